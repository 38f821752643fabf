"""Checks on the development set eval/datasets/dev_policy_qa.jsonl against the bundled corpus in the repository."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DATASET = REPO / "eval" / "datasets" / "dev_policy_qa.jsonl"
CORPUS = REPO / "knowledge" / "corpus"
FIELDS = {"id", "question", "reference_contexts", "category", "source", "reference_answer", "key_points"}
OPTIONAL = {"other_sources"}  # files holding further clauses that answer the question as well
FOLDER_OF_CATEGORY = {
    "policy_plan": "policies/",
    "national_law": "laws/national/",
    "shanghai_regulation": "laws/shanghai/",
}
_SPACE = re.compile(r"\s+")
_VERSIONED = re.compile(r"^(?P<title>.+?)(?:\((?P<date>\d{4}-\d{2}-\d{2})\))?\.md$")


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


@cache
def _records() -> tuple[dict[str, Any], ...]:
    lines = DATASET.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


@cache
def _paragraphs(source: str) -> tuple[str, ...]:
    """The source's paragraphs (blocks between blank lines), whitespace removed."""
    text = (CORPUS / source).read_text(encoding="utf-8")
    return tuple(_squash(block) for block in re.split(r"\n\s*\n", text) if block.strip())


def _title_and_date(name: str) -> tuple[str, str]:
    match = _VERSIONED.match(name)
    assert match, name
    return match["title"], match["date"] or ""


def test_dataset_has_at_least_90_questions() -> None:
    assert len(_records()) >= 90


def test_every_record_has_exactly_the_expected_fields_and_types() -> None:
    for record in _records():
        assert FIELDS <= set(record) <= FIELDS | OPTIONAL, record
        assert re.fullmatch(r"dev-\d{3}", record["id"]), record["id"]
        assert isinstance(record["question"], str) and record["question"].strip()
        refs = record["reference_contexts"]
        assert isinstance(refs, list) and 1 <= len(refs) <= 3, record["id"]
        others = record.get("other_sources", [])
        assert isinstance(others, list) and all(isinstance(o, str) for o in others), record["id"]
        assert all(isinstance(ref, str) for ref in refs), record["id"]


def test_ids_are_unique() -> None:
    counts = Counter(record["id"] for record in _records())
    assert [key for key, n in counts.items() if n > 1] == []


def test_category_matches_the_folder_of_the_source() -> None:
    for record in _records():
        kind, _, topic = record["category"].partition("/")
        assert kind in FOLDER_OF_CATEGORY, record["category"]
        assert topic, record["category"]
        assert record["source"].startswith(FOLDER_OF_CATEGORY[kind]), record["id"]


def test_each_corpus_part_is_covered() -> None:
    counts = Counter(record["category"].partition("/")[0] for record in _records())
    assert counts["policy_plan"] >= 15
    assert counts["national_law"] >= 40
    assert counts["shanghai_regulation"] >= 20


def _sources(record: dict[str, Any]) -> list[str]:
    return [record["source"], *record.get("other_sources", [])]


def test_sources_are_bundled_files() -> None:
    for record in _records():
        for source in _sources(record):
            path = (CORPUS / source).resolve()
            assert path.is_file(), source
            assert CORPUS.resolve() in path.parents, source


def test_references_are_short_and_sit_inside_one_paragraph_of_a_source() -> None:
    for record in _records():
        paragraphs = [paragraph for source in _sources(record) for paragraph in _paragraphs(source)]
        for ref in record["reference_contexts"]:
            assert 15 <= len(ref) <= 80, (record["id"], ref)
            assert any(_squash(ref) in paragraph for paragraph in paragraphs), (record["id"], ref)


def test_questions_do_not_quote_their_references() -> None:
    for record in _records():
        question = _squash(record["question"])
        for ref in record["reference_contexts"]:
            assert _squash(ref) not in question, record["id"]


def test_sources_are_the_newest_bundled_version() -> None:
    newest: dict[str, tuple[str, str]] = {}
    for path in CORPUS.glob("laws/*/*.md"):
        title, date = _title_and_date(path.name)
        key = f"{path.parent.name}/{title}"
        if key not in newest or date > newest[key][0]:
            newest[key] = (date, path.name)
    for record in _records():
        for source in _sources(record):
            if not source.startswith("laws/"):
                continue
            path = CORPUS / source
            title, _ = _title_and_date(path.name)
            assert newest[f"{path.parent.name}/{title}"][1] == path.name, record["id"]


def test_each_other_source_adds_a_reference_found_only_there() -> None:
    for record in _records():
        for other in record.get("other_sources", []):
            own = _paragraphs(record["source"])
            found = [r for r in record["reference_contexts"] if any(_squash(r) in p for p in _paragraphs(other))]
            assert found and not any(_squash(r) in p for r in found for p in own), record["id"]
