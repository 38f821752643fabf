"""`minfu eval dialogues`: the multi-turn scenario set through the assistant, with pass rate and latency."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from eval.dialogue_run import DialogueReport, ScenarioOutcome, fresh_stores, run_dialogues
from eval.dialogues import load_scenarios
from minfu.settings import get_settings

if TYPE_CHECKING:
    from tools.agent_tools import ToolServices

DEFAULT_SCENARIOS = Path("eval/datasets/dialogues.jsonl")


def run_dialogue_eval(dataset: Path, *, as_json: bool, show_failures: int) -> DialogueReport:
    from agents.services import build_tool_services

    loaded = load_scenarios(dataset)
    errors = Console(stderr=True)
    for problem in loaded.problems:
        errors.print(f"[yellow]第 {problem.line} 行（{problem.field or '整行'}）：{problem.message_zh}[/yellow]")
    with tempfile.TemporaryDirectory(prefix="minfu-dialogues-") as workdir:
        services = build_tool_services(get_settings())
        _warm_up(services, Path(workdir))
        with Progress(TextColumn("对话场景"), BarColumn(), TaskProgressColumn(), console=errors, transient=True) as bar:
            task = bar.add_task("scenarios", total=len(loaded.scenarios))

            def advance(_outcome: ScenarioOutcome) -> None:
                bar.advance(task)

            report = run_dialogues(loaded.scenarios, services, Path(workdir), progress=advance)
    _print(report, as_json=as_json, show_failures=show_failures)
    return report


def _warm_up(services: ToolServices, workdir: Path) -> None:
    """One throwaway turn so that latency figures are warm (models, jieba and the indexes loaded)."""
    from agents.assistant import Assistant
    from agents.offline.brain import OfflineBrain

    scoped = fresh_stores(services, f"sqlite:///{workdir / 'warm-up.sqlite'}")
    assistant = Assistant(scoped, OfflineBrain(services=scoped))
    for question in ("开奶茶店要办什么证", "劳动合同的试用期最长不得超过多久？"):
        assistant.ask(question, conversation_id="warm-up")


def _print(report: DialogueReport, *, as_json: bool, show_failures: int) -> None:
    summary = report.summary()
    if as_json:
        failures = {o.id: o.failures + o.invented for o in report.outcomes if not o.passed}
        print(json.dumps(summary | {"failures": failures}, ensure_ascii=False, indent=2))
        return
    console = Console()
    table = Table(title=f"对话场景：{summary['passed']}/{summary['scenarios']} 通过")
    for column in ("类别", "通过率"):
        table.add_column(column)
    for category, rate in summary["by_category"].items():
        table.add_row(category, f"{rate:.0%}")
    console.print(table)
    console.print(
        f"通过率 {summary['pass_rate']:.1%}；每轮耗时 p50 {summary['latency_ms_p50']} ms，"
        f"p95 {summary['latency_ms_p95']} ms（{summary['turns']} 轮）；编造的编号或状态：{summary['invented']}"
    )
    for outcome in [o for o in report.outcomes if not o.passed][:show_failures]:
        console.print(f"[red]✗ {outcome.id}[/red]：" + "；".join(outcome.failures + outcome.invented))
