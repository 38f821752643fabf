"""Retrieval datasets: JSONL lines of questions with what counts as a relevant hit.

A line is `{"id", "question", "reference_contexts": [strings]}` (a chunk is relevant when it contains one of the
strings, whitespace ignored) or `{"id", "question", "docid"}` (a chunk is relevant when it comes from that document);
both may be given, and an optional `"category"` groups questions in reports. Other keys are ignored.

A bad line is reported as a `DatasetProblem` naming its line number and field; the other lines still load.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from eval.metrics import squeeze
from minfu.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class RetrievalItem:
    id: str
    question: str
    reference_contexts: tuple[str, ...] = ()
    docid: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetProblem:
    line: int  # 1-based line number in the file
    field: str | None  # the offending field; None when the line as a whole is unreadable
    message_zh: str


@dataclass(frozen=True, slots=True)
class DatasetLoad:
    items: list[RetrievalItem]
    problems: list[DatasetProblem]


class LineError(Exception):
    """A dataset line that cannot be used: the field at fault (None for the whole line) and why, in Chinese."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


ItemT = TypeVar("ItemT", bound=_Identified)


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str


def read_question_file(path: Path) -> list[Question]:
    """The `{"id", "question"}` lines of a question file (`minfu search --queries`, `minfu bench`), other keys
    ignored, a missing id numbered by its line. Unlike a dataset, the first bad line stops the reading: an
    InvalidInputError naming the file, the line and what is wrong."""
    if not path.is_file():
        raise InvalidInputError(f"找不到问题文件：{path}", field="queries")
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise InvalidInputError(f"无法读取问题文件 {path}：{exc.strerror or exc}", field="queries") from exc
    questions = []
    for number, raw in enumerate(lines, start=1):
        try:
            data = _line_object(raw, first=number == 1)
            if data is not None:
                questions.append(Question(str(data.get("id", number)), required_text(data, "question")))
        except LineError as err:
            raise InvalidInputError(f"{path} 第 {number} 行：{err.message}", field="queries") from None
    return questions


def read_dataset(path: Path) -> bytes:
    """The file's bytes; a missing or unreadable file is an InvalidInputError naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"无法读取评测数据集 {path}：{exc.strerror or exc}", field="dataset") from exc


def load_retrieval_dataset(path: Path) -> DatasetLoad:
    """Reads a JSONL dataset; a missing or unreadable file is an InvalidInputError, a bad line a DatasetProblem."""
    return parse_retrieval_lines(read_dataset(path).splitlines())


def parse_retrieval_lines(lines: Iterable[bytes]) -> DatasetLoad:
    items, problems = parse_jsonl_items(lines, _item)
    return DatasetLoad(items, problems)


def parse_jsonl_items(
    lines: Iterable[bytes], make_item: Callable[[dict[str, Any]], ItemT | None]
) -> tuple[list[ItemT], list[DatasetProblem]]:
    """Each line's JSON object through `make_item` (None skips the line); a blank line is skipped, a bad line or
    a repeated id becomes a DatasetProblem naming its line and field, and the other lines still load."""
    items: list[ItemT] = []
    problems: list[DatasetProblem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        try:
            data = _line_object(raw, first=number == 1)
            item = None if data is None else make_item(data)
            if item is None:
                continue
            if item.id in seen:
                raise LineError("id", f"id {item.id!r} 与第 {seen[item.id]} 行重复")
        except LineError as err:
            problems.append(DatasetProblem(number, err.field, f"第 {number} 行：{err.message}"))
            continue
        seen[item.id] = number
        items.append(item)
    return items, problems


def _line_object(raw: bytes, *, first: bool) -> dict[str, Any] | None:
    """The line's JSON object; None for a blank line."""
    try:
        text = raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as exc:
        raise LineError(None, "不是 UTF-8 编码的文本") from exc
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineError(None, f"不是合法的 JSON（第 {exc.colno} 列：{exc.msg}）") from exc
    if not isinstance(data, dict):
        raise LineError(None, "每行必须是一个 JSON 对象")
    return data


def _item(data: dict[str, Any]) -> RetrievalItem:
    references = _references(data)
    docid = optional_text(data, "docid")
    if not references and docid is None:
        raise LineError("reference_contexts", "缺少 reference_contexts 或 docid，无法判断哪些结果相关")
    return RetrievalItem(
        id=identifier(data),
        question=required_text(data, "question"),
        reference_contexts=references,
        docid=docid,
        category=optional_text(data, "category"),
    )


def identifier(data: dict[str, Any]) -> str:
    value = data.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return required_text(data, "id")


def required_text(data: dict[str, Any], field: str) -> str:
    if field not in data:
        raise LineError(field, f"缺少字段 {field}")
    value = optional_text(data, field)
    if value is None:
        raise LineError(field, f"字段 {field} 不能为空")
    return value


def optional_text(data: dict[str, Any], field: str) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise LineError(field, f"字段 {field} 必须是字符串，实际是 {type(value).__name__}")
    return value.strip() or None


def _references(data: dict[str, Any]) -> tuple[str, ...]:
    value = data.get("reference_contexts")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise LineError("reference_contexts", "字段 reference_contexts 必须是字符串列表")
    if not value:
        raise LineError("reference_contexts", "字段 reference_contexts 不能是空列表")
    for position, reference in enumerate(value, start=1):
        if not isinstance(reference, str):
            raise LineError("reference_contexts", f"reference_contexts 第 {position} 项必须是字符串")
        if not squeeze(reference):
            raise LineError("reference_contexts", f"reference_contexts 第 {position} 项是空字符串")
    return tuple(value)
