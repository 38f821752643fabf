"""Loading the investment data files: sites, industry packages and the synonym table.

Every record is validated on load; an invalid record raises `InvestmentDataError` naming the file, the record and the
field in Chinese, so an operator who edits the YAML sees exactly what to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tools.investment.models import FACILITIES, INDUSTRIES, IndustryPackage, InvestmentDataError, Site

BUNDLED_SITES = "data/minhang_sites.yaml"
BUNDLED_PACKAGES = "data/industry_packages.yaml"
BUNDLED_SYNONYMS = "data/synonyms.yaml"

Record = TypeVar("Record", bound=BaseModel)

_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "literal_error": "取值不在允许范围内（允许：{expected}）",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "必须不小于 {ge}",
    "less_than_equal": "必须不大于 {le}",
    "string_too_short": "不能为空或过短",
    "too_short": "至少需要 {min_length} 项",
    "string_pattern_mismatch": "格式不正确（应为小写字母、数字和连字符）",
}


def load_sites(path: Path | None = None) -> tuple[Site, ...]:
    """Sites from a YAML file with a top-level `sites` list; the bundled Minhang sample when `path` is None."""
    if path is None:
        return bundled_sites()
    return _load_records(path.read_text(encoding="utf-8"), str(path), "sites", Site)


def load_industry_packages(path: Path | None = None) -> tuple[IndustryPackage, ...]:
    """Industry packages from a YAML file with a top-level `packages` list; the bundled ones when `path` is None."""
    if path is None:
        return bundled_packages()
    return _load_records(path.read_text(encoding="utf-8"), str(path), "packages", IndustryPackage)


@lru_cache(maxsize=1)
def bundled_sites() -> tuple[Site, ...]:
    return _load_records(_bundled_text(BUNDLED_SITES), BUNDLED_SITES, "sites", Site)


@lru_cache(maxsize=1)
def bundled_packages() -> tuple[IndustryPackage, ...]:
    return _load_records(_bundled_text(BUNDLED_PACKAGES), BUNDLED_PACKAGES, "packages", IndustryPackage)


@lru_cache(maxsize=1)
def bundled_synonyms() -> dict[str, dict[str, tuple[str, ...]]]:
    """`{"industries": {canonical: aliases}, "facilities": {...}}` from the bundled table, checked on load."""
    data = _parse_yaml(_bundled_text(BUNDLED_SYNONYMS), BUNDLED_SYNONYMS)
    return {
        section: _synonym_section(data, section, vocabulary)
        for section, vocabulary in (("industries", INDUSTRIES), ("facilities", FACILITIES))
    }


def _bundled_text(name: str) -> str:
    return files("tools.investment").joinpath(name).read_text(encoding="utf-8")


def _parse_yaml(text: str, origin: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvestmentDataError(f"数据文件 {origin} 不是合法的 YAML：{error}") from None


def _load_records(text: str, origin: str, key: str, model: type[Record]) -> tuple[Record, ...]:
    data = _parse_yaml(text, origin)
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise InvestmentDataError(f"数据文件 {origin} 缺少非空的 {key} 列表", field=key)
    records = tuple(_validate(model, item, origin, index) for index, item in enumerate(items, start=1))
    _check_unique(records, origin)
    return records


def _validate(model: type[Record], item: object, origin: str, index: int) -> Record:
    label = _record_label(item, index)
    try:
        return model.model_validate(item)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "（整条记录）"
        raise InvestmentDataError(
            f"数据文件 {origin} 的{label}，字段 {field}：{_chinese(first)}", record=label, field=field
        ) from None


def _record_label(item: object, index: int) -> str:
    if isinstance(item, dict):
        name = item.get("id") or item.get("industry")
        if name:
            return f"第 {index} 条记录（{name}）"
    return f"第 {index} 条记录"


def _chinese(error: ErrorDetails) -> str:
    context = error.get("ctx") or {}
    if error["type"] == "value_error":
        return str(context.get("error", error["msg"]))
    template = _MESSAGES.get(error["type"])
    return template.format(**context) if template else f"类型或取值错误（{error['msg']}）"


def _check_unique(records: Sequence[BaseModel], origin: str) -> None:
    seen: set[str] = set()
    for record in records:
        key = str(getattr(record, "id", None) or getattr(record, "industry", ""))
        if key in seen:
            raise InvestmentDataError(f"数据文件 {origin} 中 {key} 重复出现", record=key)
        seen.add(key)


def _synonym_section(data: Any, section: str, vocabulary: Sequence[str]) -> dict[str, tuple[str, ...]]:
    table = data.get(section) if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise InvestmentDataError(f"同义词表 {BUNDLED_SYNONYMS} 缺少 {section} 部分", field=section)
    unknown = sorted(str(name) for name in table if name not in vocabulary)
    if unknown:
        raise InvestmentDataError(f"同义词表 {section} 中有不在词表内的规范名称：{'、'.join(unknown)}", field=section)
    return {str(name): tuple(str(alias) for alias in aliases or ()) for name, aliases in table.items()}
