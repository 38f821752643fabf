"""Checks on the bundled default corpus (knowledge/corpus/): provenance record, plan metadata, nothing foreign."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parents[2] / "knowledge" / "corpus"
PLAN = CORPUS / "policies" / "minhang-2026-business-environment-action-plan.md"


def _listed_shanghai_files() -> list[str]:
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    section = sources.split("## Shanghai regulations bundled, by topic", 1)[1]
    return re.findall(r"^- (.+\.md)$", section, flags=re.MULTILINE)


def test_every_bundled_shanghai_file_is_listed_once_in_sources() -> None:
    listed = _listed_shanghai_files()
    bundled = sorted(path.name for path in (CORPUS / "laws" / "shanghai").glob("*.md"))
    assert len(listed) == len(set(listed))
    assert sorted(listed) == bundled


def test_shanghai_selection_size_is_in_the_planned_range() -> None:
    assert 80 <= len(list((CORPUS / "laws" / "shanghai").glob("*.md"))) <= 120


def test_sources_records_provenance_of_each_folder() -> None:
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert "2f4c5c23716267af9dbebbbbd6cbbf732b101981" in sources
    assert "LawRefBook/Laws" in sources
    assert "闵府办发〔2026〕1号" in sources


def test_only_law_and_policy_texts_are_bundled() -> None:
    names = {path.relative_to(CORPUS).as_posix() for path in CORPUS.rglob("*") if path.is_file()}
    foreign = [name for name in names if "benchmark" in name or "guangdong" in name or name.endswith(".jsonl")]
    assert foreign == []
    folders = ("policies/", "laws/national/", "laws/shanghai/")
    assert all(name.startswith(folders) or name == "SOURCES.md" for name in names)


def test_plan_metadata_is_complete_and_not_sample() -> None:
    meta = yaml.safe_load(PLAN.with_name(PLAN.name + ".meta.yaml").read_text(encoding="utf-8"))
    assert meta["kind"] == "policy"
    assert meta["doc_number"] == "闵府办发〔2026〕1号"
    assert meta["issuer"] == "闵行区人民政府办公室"
    assert meta["published"] == meta["effective_from"] == date(2026, 1, 23)
    assert meta["sample"] is False
    assert meta["title"] in PLAN.read_text(encoding="utf-8").replace(" ", "")
