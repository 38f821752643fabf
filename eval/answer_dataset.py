"""Single-turn answer-quality datasets: JSONL lines of a question and what a good answer looks like.

A line is one object::

    {"id": "ref-001", "question": "北京的社保基数是多少？", "expected_refusal": true, "category": "refusal/other_city",
     "reference_answer": "…", "reference_contexts": ["…"], "docid": "…",
     "key_points": ["六个月"], "must_not_contain": ["HACKED"]}

Only `id` and `question` (non-empty, at most 2000 characters) are required. `expected_refusal` true means a correct
product declines, says it cannot answer or hands over; `key_points` are short strings a good answer must contain,
`must_not_contain` strings it must never contain. Other keys are ignored. A line with a `"turns"` key is a dialogue
scenario (eval/dialogues.py) and is skipped here without a problem, so one file may hold both kinds.

A bad line is reported as a `DatasetProblem` naming its line number and field; the other lines still load.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import (
    DatasetProblem,
    LineError,
    identifier,
    optional_text,
    parse_jsonl_items,
    read_dataset,
    required_text,
)

MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True, slots=True)
class AnswerItem:
    id: str
    question: str
    reference_answer: str | None = None
    reference_contexts: tuple[str, ...] = ()
    docid: str | None = None
    expected_refusal: bool | None = None
    category: str | None = None
    key_points: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AnswerLoad:
    items: list[AnswerItem]
    problems: list[DatasetProblem]


def is_dialogue_line(obj: dict[str, Any]) -> bool:
    """Whether a dataset line is a multi-turn scenario (eval/dialogues.py) rather than a single-turn item."""
    return "turns" in obj


def load_answer_dataset(path: Path) -> AnswerLoad:
    """Reads a JSONL dataset; a missing or unreadable file is an InvalidInputError, a bad line a DatasetProblem."""
    return parse_answer_lines(read_dataset(path).splitlines())


def parse_answer_lines(lines: Iterable[bytes]) -> AnswerLoad:
    """The single-turn items; dialogue scenarios (eval/dialogues.py) in the same file are skipped silently."""
    items, problems = parse_jsonl_items(lines, lambda data: None if is_dialogue_line(data) else _item(data))
    return AnswerLoad(items, problems)


def _item(data: dict[str, Any]) -> AnswerItem:
    return AnswerItem(
        id=identifier(data),
        question=_question(data),
        reference_answer=optional_text(data, "reference_answer"),
        reference_contexts=_text_list(data, "reference_contexts"),
        docid=optional_text(data, "docid"),
        expected_refusal=_optional_flag(data, "expected_refusal"),
        category=optional_text(data, "category"),
        key_points=_text_list(data, "key_points"),
        must_not_contain=_text_list(data, "must_not_contain"),
    )


def _question(data: dict[str, Any]) -> str:
    question = required_text(data, "question")
    if len(question) > MAX_QUESTION_CHARS:
        raise LineError("question", f"字段 question 过长（{len(question)} 字，最多 {MAX_QUESTION_CHARS} 字）")
    return question


def _optional_flag(data: dict[str, Any], field: str) -> bool | None:
    value = data.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise LineError(field, f"字段 {field} 必须是 true 或 false，实际是 {type(value).__name__}")


def _text_list(data: dict[str, Any], field: str) -> tuple[str, ...]:
    """A list of non-blank strings, kept as written (they are matched as substrings); absent means none."""
    value = data.get(field)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise LineError(field, f"字段 {field} 必须是字符串列表")
    for position, entry in enumerate(value, start=1):
        if not isinstance(entry, str):
            raise LineError(field, f"{field} 第 {position} 项必须是字符串")
        if not entry.strip():
            raise LineError(field, f"{field} 第 {position} 项是空字符串")
    return tuple(value)
