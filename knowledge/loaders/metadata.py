"""Document metadata written by hand: sidecar files (`X.md.meta.yaml`) and YAML front matter.

Keys are Document fields (title, kind, doc_number, issuer, published, effective_from, expires_on, version, series,
sample, supersedes, superseded_by); any other key goes to Document.extra. What is written here overrides what a
loader inferred from the text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from knowledge.loaders._text import parse_date
from minfu.domain import Document, DocumentKind
from minfu.errors import DocumentLoadError

SIDECAR_SUFFIX = ".meta.yaml"
_DATE_FIELDS = ("published", "effective_from", "expires_on")
_TEXT_FIELDS = ("title", "doc_number", "issuer", "version", "series", "superseded_by")
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def document_id(kind: DocumentKind, series: str, version: str | None) -> str:
    """Stable id: `law:保障中小企业款项支付条例@2025-03-17`, or `kind:series` when there is no version."""
    return f"{kind.value}:{series}@{version}" if version else f"{kind.value}:{series}"


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX)


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict[str, Any]:
    """The metadata in `path`'s sidecar file, or {} when there is none."""
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return {}
    try:
        return _mapping(yaml.safe_load(sidecar.read_text(encoding="utf-8")), sidecar)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DocumentLoadError(str(sidecar), f"元数据文件无法解析（{type(exc).__name__}）") from exc


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    """YAML front matter (--- … ---) at the top of a Markdown text, and the text after it."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = _mapping(yaml.safe_load(match.group(1)), path)
    except yaml.YAMLError as exc:
        raise DocumentLoadError(str(path), "文件开头的 YAML 元数据无法解析") from exc
    return meta, text[match.end() :]


def _mapping(value: object, path: Path) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DocumentLoadError(str(path), "元数据应为“键: 值”形式的映射")
    return {str(k): v for k, v in value.items()}


def apply_metadata(document: Document, meta: Mapping[str, Any], path: Path) -> Document:
    """The document with the written metadata applied; the id follows the new kind, series and version."""
    if not meta:
        return document
    changes: dict[str, Any] = {}
    extra = dict(document.extra)
    for key, value in meta.items():
        if key in ("id", "source", "extra", "sections"):
            continue
        if _is_field(key):
            changes[key] = _field_value(key, value, path)
        elif value is not None:
            extra[key] = _text(value)
    if isinstance(meta.get("extra"), Mapping):
        extra.update({str(k): _text(v) for k, v in meta["extra"].items()})
    changes["extra"] = extra
    _follow_title(document, changes)
    updated = dataclasses.replace(document, **changes)
    new_id = str(meta["id"]) if meta.get("id") else _rebuilt_id(document, updated)
    return dataclasses.replace(updated, id=new_id)


def _is_field(key: str) -> bool:
    return key in _DATE_FIELDS or key in _TEXT_FIELDS or key in ("kind", "sample", "supersedes")


def _field_value(key: str, value: Any, path: Path) -> Any:
    if key == "kind":
        return parse_kind(value, path)
    if key == "sample":
        return _boolean(value, path)
    if key == "supersedes":
        items = value if isinstance(value, list | tuple) else [value]
        return tuple(str(v) for v in items if v)
    if key in _DATE_FIELDS:
        parsed = parse_date(value)
        if value not in (None, "") and parsed is None:
            raise DocumentLoadError(str(path), f"元数据 {key} 不是有效日期：{value}")
        return parsed
    return _text(value) if value not in (None, "") else None


def parse_kind(value: Any, path: Path) -> DocumentKind:
    try:
        return DocumentKind(str(value).strip())
    except ValueError as exc:
        allowed = "、".join(k.value for k in DocumentKind)
        raise DocumentLoadError(str(path), f"未知的文档类型 {value!r}（可选：{allowed}）") from exc


def _boolean(value: Any, path: Path) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "是"):
        return True
    if text in ("false", "no", "0", "否"):
        return False
    raise DocumentLoadError(str(path), f"元数据 sample 应为 true 或 false：{value}")


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value).strip()


def _follow_title(document: Document, changes: dict[str, Any]) -> None:
    """A new title renames the series too, unless the series was given or was not the title."""
    if "title" in changes and "series" not in changes and document.series == document.title:
        changes["series"] = changes["title"]


def _rebuilt_id(before: Document, after: Document) -> str:
    """Rebuild the id only when it was built from kind/series/version (a service-matter code id stays)."""
    if before.series is None or before.id != document_id(before.kind, before.series, before.version):
        return before.id
    return document_id(after.kind, after.series or after.title, after.version)
