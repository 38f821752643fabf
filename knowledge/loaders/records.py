"""Structured records (JSONL, JSON, YAML): service matters, FAQs, compliance guides written by operators.

Two shapes are understood:
- the service-matter dictionary shape (办事指南) of the Guangdong government service portal: matter_name,
  DEPT_NAME, accept_standard, material_intro, handle_location, handle_time … (one record a line);
- our own record schema: {"kind", "title", "sections": [{"heading", "text"}], plus any Document field}, where a
  section may also be {"question", "answer"} and a record may give a single "text" instead of sections.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from knowledge.loaders._text import clean_line
from knowledge.loaders.metadata import apply_metadata, document_id, parse_kind
from minfu.domain import Document, DocumentKind, LoadedDocument, Section
from minfu.errors import DocumentLoadError

_EMPTY = {"", "无", "null", "None", "暂无", "-"}
# Section heading -> (label, field) pairs; an empty label means the field's value is the whole text.
_MATTER_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "事项概况",
        (
            ("事项类型", "TASK_TYPE_TEXT"),
            ("实施部门", "DEPT_NAME"),
            ("行使层级", "matter_level"),
            ("联办部门", "co_department"),
            ("服务对象", "service_object_name"),
            ("主题分类", "theme_category"),
            ("事项简称", "matter_short"),
            ("俗称", "matter_daily"),
        ),
    ),
    ("受理条件", (("", "accept_standard"),)),
    ("办理材料", (("", "material_intro"),)),
    ("办理地点", (("", "handle_location"),)),
    ("办理时限", (("法定办结时限", "handle_time"), ("承诺办结时限", "handle_time_limit"))),
    (
        "办理渠道",
        (
            ("申办平台", "bear_paltform"),
            ("网上预约", "online_book_addr"),
            ("快递送达", "courier_service"),
            ("到现场次数", "visit_number"),
        ),
    ),
    ("咨询电话", (("咨询电话", "consult_phone"), ("投诉电话", "complain_phone"))),
)
_MATTER_EXTRA = (
    ("TASK_CODE", "task_code"),
    ("URL", "url"),
    ("AREA_CODE_TEXT", "area"),
    ("matter_name", "matter_name"),
    ("TASK_TYPE_TEXT", "matter_type"),
)
_OWN_SCHEMA_KEYS = ("kind", "title", "sections", "text", "code")


def load_records(path: Path, text: str) -> list[LoadedDocument]:
    """Every record of the file as a document; a record repeated (same id) is loaded once."""
    loaded: dict[str, LoadedDocument] = {}
    for number, record in enumerate(_records(path, text), start=1):
        item = _record_document(path, record, number)
        loaded.setdefault(item.document.id, item)
    if not loaded:
        raise DocumentLoadError(str(path), "文件中没有记录")
    return list(loaded.values())


# ---------------------------------------------------------------------------------------------- parsing
def _records(path: Path, text: str) -> Iterator[Mapping[str, Any]]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _jsonl(path, text)
        return
    try:
        values = list(yaml.safe_load_all(text)) if suffix in (".yaml", ".yml") else [json.loads(text)]
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise DocumentLoadError(str(path), f"文件格式无法解析（{_where(exc)}）") from exc
    for value in values:
        yield from _unwrap(path, value)


def _jsonl(path: Path, text: str) -> Iterator[Mapping[str, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DocumentLoadError(str(path), f"第 {number} 行不是有效的 JSON") from exc
        yield from _unwrap(path, value)


def _unwrap(path: Path, value: Any) -> Iterator[Mapping[str, Any]]:
    """A record, a list of records, or {"records": [...]}."""
    if value is None:
        return
    if isinstance(value, Mapping) and isinstance(value.get("records"), list):
        value = value["records"]
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, Mapping):
            raise DocumentLoadError(str(path), "每条记录应为“键: 值”形式的对象")
        yield item


def _where(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    line = getattr(mark, "line", None) if mark is not None else getattr(exc, "lineno", None)
    if line is None:
        return type(exc).__name__
    return f"第 {line + 1 if mark is not None else line} 行附近"


def _record_document(path: Path, record: Mapping[str, Any], number: int) -> LoadedDocument:
    if "matter_name" in record or "TASK_NAME" in record:
        return service_matter(path, record, number)
    return own_record(path, record, number)


# ---------------------------------------------------------------------------------------------- service matters
def service_matter(path: Path, record: Mapping[str, Any], number: int) -> LoadedDocument:
    """A record of the service-matter dictionary shape, one section per field group."""
    title = _matter_title(record)
    if not title:
        raise DocumentLoadError(str(path), f"第 {number} 条事项缺少名称（matter_name）")
    code = _value(record.get("TASK_CODE")) or _value(record.get("matter_code"))
    series = code or title
    document = Document(
        id=document_id(DocumentKind.SERVICE_MATTER, series, None),
        kind=DocumentKind.SERVICE_MATTER,
        title=title,
        source=str(path),
        issuer=_value(record.get("DEPT_NAME")),
        series=series,
        extra={key: v for field, key in _MATTER_EXTRA if (v := _value(record.get(field)))},
    )
    sections = tuple(s for heading, fields in _MATTER_GROUPS if (s := _group(record, heading, fields)))
    return LoadedDocument(document, sections)


def _matter_title(record: Mapping[str, Any]) -> str:
    """The matter name; the task name when it is a more specific form of it (e.g. with "(民办…审核)")."""
    name = _value(record.get("matter_name"))
    task = _value(record.get("TASK_NAME"))
    if task and (not name or (task != name and task.startswith(name))):
        return task
    return name


def _group(record: Mapping[str, Any], heading: str, fields: tuple[tuple[str, str], ...]) -> Section | None:
    lines = []
    for label, field in fields:
        value = _value(record.get(field), numbered=field == "material_intro")
        if value and field == "handle_location":
            value = value.removeprefix("办理地点：").removeprefix("办理地点:")
        if value:
            lines.append(f"{label}：{value}" if label else value)
    return Section((heading,), "\n".join(lines)) if lines else None


def _value(value: Any, *, numbered: bool = False) -> str:
    """A field's text with "无" and empty values dropped; lists joined (numbered for materials)."""
    if isinstance(value, list | tuple):
        items = [text for v in value if (text := _value(v))]
        if numbered and len(items) > 1:
            return "\n".join(f"{i}. {text}" for i, text in enumerate(items, start=1))
        return "、".join(items)
    if value is None or isinstance(value, Mapping):
        return ""
    text = clean_line(str(value))
    return "" if text in _EMPTY else text


# ---------------------------------------------------------------------------------------------- own schema
def own_record(path: Path, record: Mapping[str, Any], number: int) -> LoadedDocument:
    """A record of our schema: kind, title, sections (or text), and any Document field."""
    title = _value(record.get("title"))
    if not title or "kind" not in record:
        raise DocumentLoadError(str(path), f"第 {number} 条记录缺少 kind 或 title")
    kind = parse_kind(record["kind"], path)
    series = _value(record.get("code")) if kind is DocumentKind.SERVICE_MATTER else ""
    series = series or _value(record.get("series")) or title
    base = Document(id=document_id(kind, series, None), kind=kind, title=title, source=str(path), series=series)
    fields = {k: v for k, v in record.items() if k not in _OWN_SCHEMA_KEYS or k == "code"}
    document = apply_metadata(base, fields, path)
    sections = _own_sections(record, path, number)
    if not sections:
        raise DocumentLoadError(str(path), f"第 {number} 条记录没有正文（sections 或 text）")
    return LoadedDocument(document, sections)


def _own_sections(record: Mapping[str, Any], path: Path, number: int) -> tuple[Section, ...]:
    raw = record.get("sections") or []
    if not isinstance(raw, list):
        raise DocumentLoadError(str(path), f"第 {number} 条记录的 sections 应为列表")
    sections = [section for item in raw if (section := _own_section(item, path, number))]
    text = _text_block(record.get("text"))
    return tuple([Section((), text)] if text else []) + tuple(sections)


def _own_section(item: Any, path: Path, number: int) -> Section | None:
    if isinstance(item, str):
        return Section((), item.strip()) if item.strip() else None
    if not isinstance(item, Mapping):
        raise DocumentLoadError(str(path), f"第 {number} 条记录的 sections 中有无法识别的条目")
    heading = item.get("heading", item.get("question"))
    text = _text_block(item.get("text", item.get("answer")))
    if not text:
        return None
    path_parts = heading if isinstance(heading, list) else [heading] if heading else []
    article = _value(item.get("article")) or None
    return Section(tuple(clean_line(str(p)) for p in path_parts if p), text, article)


def _text_block(value: Any) -> str:
    """Multi-line text with each line cleaned and blank lines dropped."""
    if value is None:
        return ""
    lines = (clean_line(line) for line in str(value).splitlines())
    return "\n".join(line for line in lines if line)
