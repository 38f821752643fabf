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

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import DatasetProblem
from minfu.errors import InvalidInputError

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


class _LineError(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def is_dialogue_line(obj: dict[str, Any]) -> bool:
    """Whether a dataset line is a multi-turn scenario (eval/dialogues.py) rather than a single-turn item."""
    return "turns" in obj


def load_answer_dataset(path: Path) -> AnswerLoad:
    """Reads a JSONL dataset; a missing or unreadable file is an InvalidInputError, a bad line a DatasetProblem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"无法读取评测数据集 {path}：{exc.strerror or exc}", field="dataset") from exc
    return parse_answer_lines(raw.splitlines())


def parse_answer_lines(lines: Iterable[bytes]) -> AnswerLoad:
    items: list[AnswerItem] = []
    problems: list[DatasetProblem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        try:
            item = _parse_line(raw, first=number == 1)
            if item is None:
                continue
            if item.id in seen:
                raise _LineError("id", f"id {item.id!r} 与第 {seen[item.id]} 行重复")
        except _LineError as err:
            problems.append(DatasetProblem(number, err.field, f"第 {number} 行：{err.message}"))
            continue
        seen[item.id] = number
        items.append(item)
    return AnswerLoad(items, problems)


def _parse_line(raw: bytes, *, first: bool) -> AnswerItem | None:
    """The line's item; None for a blank line or a dialogue scenario."""
    try:
        text = raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as exc:
        raise _LineError(None, "不是 UTF-8 编码的文本") from exc
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _LineError(None, f"不是合法的 JSON（第 {exc.colno} 列：{exc.msg}）") from exc
    if not isinstance(data, dict):
        raise _LineError(None, "每行必须是一个 JSON 对象")
    if is_dialogue_line(data):
        return None
    return _item(data)


def _item(data: dict[str, Any]) -> AnswerItem:
    return AnswerItem(
        id=_identifier(data),
        question=_question(data),
        reference_answer=_optional_text(data, "reference_answer"),
        reference_contexts=_text_list(data, "reference_contexts"),
        docid=_optional_text(data, "docid"),
        expected_refusal=_optional_flag(data, "expected_refusal"),
        category=_optional_text(data, "category"),
        key_points=_text_list(data, "key_points"),
        must_not_contain=_text_list(data, "must_not_contain"),
    )


def _identifier(data: dict[str, Any]) -> str:
    value = data.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _required_text(data, "id")


def _question(data: dict[str, Any]) -> str:
    question = _required_text(data, "question")
    if len(question) > MAX_QUESTION_CHARS:
        raise _LineError("question", f"字段 question 过长（{len(question)} 字，最多 {MAX_QUESTION_CHARS} 字）")
    return question


def _required_text(data: dict[str, Any], field: str) -> str:
    if field not in data:
        raise _LineError(field, f"缺少字段 {field}")
    value = _optional_text(data, field)
    if value is None:
        raise _LineError(field, f"字段 {field} 不能为空")
    return value


def _optional_text(data: dict[str, Any], field: str) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _LineError(field, f"字段 {field} 必须是字符串，实际是 {type(value).__name__}")
    return value.strip() or None


def _optional_flag(data: dict[str, Any], field: str) -> bool | None:
    value = data.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise _LineError(field, f"字段 {field} 必须是 true 或 false，实际是 {type(value).__name__}")


def _text_list(data: dict[str, Any], field: str) -> tuple[str, ...]:
    """A list of non-blank strings, kept as written (they are matched as substrings); absent means none."""
    value = data.get(field)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _LineError(field, f"字段 {field} 必须是字符串列表")
    for position, entry in enumerate(value, start=1):
        if not isinstance(entry, str):
            raise _LineError(field, f"{field} 第 {position} 项必须是字符串")
        if not entry.strip():
            raise _LineError(field, f"{field} 第 {position} 项是空字符串")
    return tuple(value)
