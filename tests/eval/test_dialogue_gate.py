"""The regression gate for the agents: the shipped dialogue scenarios on the offline brain over the bundled corpus.

The target (issue 4) is at least 90% of the scenarios passing end to end and not one invented matter number or
status; the threshold lives in eval/datasets/thresholds.yaml so that changing it is a reviewed change.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from agents.services import build_tool_services
from eval.dialogue_run import run_dialogues
from eval.dialogues import load_scenarios
from knowledge.base import KnowledgeBase
from minfu.settings import Settings

DATASETS = Path(__file__).parents[2] / "eval" / "datasets"


def _threshold(key: str) -> float:
    value = yaml.safe_load((DATASETS / "thresholds.yaml").read_text(encoding="utf-8"))["dialogues"][key]
    assert isinstance(value, float) and 0.5 <= value <= 1.0
    return value


def test_the_scenario_set_passes_on_the_offline_brain(bundled_knowledge: KnowledgeBase, tmp_path: Path) -> None:
    loaded = load_scenarios(DATASETS / "dialogues.jsonl")
    assert loaded.problems == []
    settings = Settings(data_dir=tmp_path, embedder="hashing", database_url=f"sqlite:///{tmp_path / 'base.sqlite'}")
    services = build_tool_services(settings, knowledge=bundled_knowledge)
    report = run_dialogues(loaded.scenarios, services, tmp_path)
    summary = report.summary()
    failing = {o.id: o.failures + o.invented for o in report.outcomes if not o.passed}
    assert summary["invented"] == 0, failing
    assert summary["pass_rate"] >= _threshold("min_pass_rate"), failing
