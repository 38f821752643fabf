"""Load service dictionaries: the bundled Minhang sample (YAML) and the real Guangdong records (JSONL, from a path)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from minfu.errors import DocumentLoadError, InvalidInputError
from tools.dictionary.models import Material, Place, ServiceMatter, matter_from_dict

BUNDLED_NAME = "minhang_matters.yaml"
_EMPTY = {"", "无", "无条件受理", "无受理条件", "无条件办理"}
_DAYS = re.compile(r"^\s*(\d+)")
_LOCATION_PREFIX = "办理地点："
_ALIAS_SPLIT = re.compile(r"[，,、；;]")


def data_path(name: str) -> Path:
    """Path of a file bundled in tools/dictionary/data/."""
    return Path(str(files("tools.dictionary") / "data" / name))


def load_bundled() -> list[ServiceMatter]:
    """The bundled Minhang sample dictionary (every record `sample: true`)."""
    return load_yaml(data_path(BUNDLED_NAME))


def load_yaml(path: Path | str) -> list[ServiceMatter]:
    """A dictionary file: a YAML list of matters, or a mapping with a `matters:` list."""
    path = Path(path)
    data = _read_yaml(path)
    records = data.get("matters") if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise DocumentLoadError(str(path), "应为事项列表（或含 matters 列表的映射）")
    matters = [
        matter_from_dict(_as_mapping(raw, path, i), origin=f"{path.name} 第{i + 1}条") for i, raw in enumerate(records)
    ]
    _check_unique_codes(matters, path)
    return matters


def load_guangdong(path: Path | str) -> list[ServiceMatter]:
    """The real Guangdong records (one JSON object a line), mapped to ServiceMatter, repeats dropped."""
    path = Path(path)
    return list(_dedupe(guangdong_to_matter(row, origin=f"{path.name} 第{n}行") for n, row in _json_lines(path)))


def guangdong_to_matter(row: Mapping[str, Any], *, origin: str) -> ServiceMatter:
    """Map one Guangdong record (TASK_CODE, TASK_NAME, DEPT_NAME, accept_standard, material_intro …)."""
    url = str(row.get("URL") or "")
    raw = {
        "code": row.get("TASK_CODE"),
        "name": row.get("TASK_NAME") or row.get("matter_name"),
        "aliases": _guangdong_aliases(row),
        "department": row.get("DEPT_NAME"),
        "matter_type": row.get("TASK_TYPE_TEXT") or row.get("matter_type"),
        "conditions": [text] if (text := _text(row.get("accept_standard"))) else [],
        "materials": [Material(name=m) for m in _materials(row.get("material_intro"))],
        "legal_time_limit_days": _days(row.get("handle_time")),
        "committed_time_limit_days": _days(row.get("handle_time_limit")),
        "fees": "未注明",
        "places": _places(row),
        "online_url": url,
        "source": url or "广东政务服务网",
        "sample": False,
    }
    return matter_from_dict(raw, origin=origin)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DocumentLoadError(str(path), f"无法解析 YAML：{exc}") from exc


def _as_mapping(raw: Any, path: Path, index: int) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path.name} 第{index + 1}条不是映射（应为 code: …, name: … 的记录）")
    return raw


def _check_unique_codes(matters: Iterable[ServiceMatter], path: Path) -> None:
    seen: set[str] = set()
    for matter in matters:
        if matter.code in seen:
            raise InvalidInputError(f"{path.name} 中事项编码 {matter.code} 重复", field="code")
        seen.add(matter.code)


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DocumentLoadError(str(path), str(exc)) from exc
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DocumentLoadError(str(path), f"第{number}行不是合法 JSON：{exc.msg}") from exc


def _dedupe(matters: Iterable[ServiceMatter]) -> Iterator[ServiceMatter]:
    """Drop a record whose code, or whose name within the same department, was already seen."""
    codes: set[str] = set()
    names: set[tuple[str, str]] = set()
    for matter in matters:
        key = (matter.name, matter.department)
        if matter.code in codes or key in names:
            continue
        codes.add(matter.code)
        names.add(key)
        yield matter


def _text(value: Any) -> str:
    text = str(value or "").strip()
    return "" if text in _EMPTY else text


def _days(value: Any) -> int | None:
    match = _DAYS.match(str(value or ""))
    return int(match.group(1)) if match else None


def _materials(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [text for item in items if (text := _text(item))]


def _places(row: Mapping[str, Any]) -> list[Place]:
    location = _text(row.get("handle_location"))
    if not location or location.startswith("无线下"):
        return []
    return [Place(name=str(row.get("DEPT_NAME") or "办理窗口"), address=location.removeprefix(_LOCATION_PREFIX))]


def _guangdong_aliases(row: Mapping[str, Any]) -> list[str]:
    name = row.get("TASK_NAME") or row.get("matter_name")
    candidates = [_text(row.get("matter_name"))]
    for key in ("matter_short", "matter_daily"):
        candidates.extend(part.strip() for part in _ALIAS_SPLIT.split(_text(row.get(key))))
    return list(dict.fromkeys(alias for alias in candidates if alias and alias != name))
