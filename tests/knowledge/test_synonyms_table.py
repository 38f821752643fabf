"""Checks on the bundled synonym table (knowledge/data/synonyms.yaml) against the bundled corpus texts."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

from knowledge.query import BUNDLED_SYNONYMS, QueryExpander

CORPUS = Path(__file__).resolve().parents[2] / "knowledge" / "corpus"
_SPACE = re.compile(r"\s+")


def _table_text() -> str:
    return files("knowledge").joinpath(BUNDLED_SYNONYMS).read_text(encoding="utf-8")


def _raw_table() -> dict[str, list[str]]:
    data = yaml.safe_load(_table_text())
    return {str(key): [str(term) for term in terms] for key, terms in data.items()}


@cache
def _corpus_text() -> str:
    """All bundled law and policy texts, whitespace removed (PDF extraction breaks lines mid-word)."""
    texts = (path.read_text(encoding="utf-8") for path in sorted(CORPUS.rglob("*.md")) if path.name != "SOURCES.md")
    return _SPACE.sub("", "".join(texts))


def test_bundled_table_loads_with_every_key() -> None:
    assert len(QueryExpander.bundled()) == len(_raw_table()) >= 500


def test_no_key_is_written_twice() -> None:
    node = yaml.compose(_table_text())
    assert isinstance(node, yaml.MappingNode)
    keys = [key.value for key, _ in node.value]
    assert sorted({key for key in keys if keys.count(key) > 1}) == []


def test_no_key_is_shorter_than_two_characters() -> None:
    assert [key for key in _raw_table() if len(key.strip()) < 2] == []


def test_every_official_term_occurs_in_the_bundled_corpus() -> None:
    corpus = _corpus_text()
    pairs = [(key, term) for key, terms in _raw_table().items() for term in terms]
    missing = [(key, term) for key, term in pairs if _SPACE.sub("", term) not in corpus]
    assert missing == []


def test_no_key_maps_only_to_itself() -> None:
    assert [key for key, terms in _raw_table().items() if set(terms) <= {key}] == []


def test_the_corpus_check_can_fail() -> None:
    assert "住所变更" not in _corpus_text()  # a plausible term the texts never use (they say 变更住所)
    assert "变更住所" in _corpus_text()
