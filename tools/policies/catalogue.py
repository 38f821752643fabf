"""Load and validate the policy catalogue (YAML) and enterprise profiles; Chinese errors name record and field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from minfu.errors import InvalidInputError
from tools.policies.models import EnterpriseProfile, Policy

BUNDLED_POLICIES = Path(__file__).parent / "data" / "minhang_policies.yaml"

_ERROR_TEXT = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段",
    "union_tag_invalid": "未知的条件类型",
    "union_tag_not_found": "条件缺少 kind",
    "literal_error": "取值不在允许范围内",
    "date_from_datetime_parsing": "日期格式不正确（应为 YYYY-MM-DD）",
    "date_parsing": "日期格式不正确（应为 YYYY-MM-DD）",
    "date_type": "日期格式不正确（应为 YYYY-MM-DD）",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "too_short": "不能为空",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式不正确（只允许字母、数字、- 和 _）",
}


def _describe(error: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "（整条记录）"
    if error["type"] == "value_error":
        text = str(error["ctx"]["error"])
    else:
        text = _ERROR_TEXT.get(error["type"], f"取值不合法（{error['msg']}）")
    return f"字段 {field}：{text}"


def describe_validation_error(record: str, exc: ValidationError) -> str:
    """One Chinese sentence per problem, each naming the record and the field."""
    return "；".join(f"{record} {_describe(error)}" for error in exc.errors())


def parse_policies(records: Any, *, source: str) -> list[Policy]:
    if not isinstance(records, list):
        raise InvalidInputError(f"政策数据 {source} 应为列表（每项一条政策）")
    policies: list[Policy] = []
    for index, record in enumerate(records, start=1):
        name = f"政策第{index}条（id={record.get('id', '?') if isinstance(record, dict) else '?'}）"
        try:
            policies.append(Policy.model_validate(record))
        except ValidationError as exc:
            raise InvalidInputError(describe_validation_error(name, exc), field=str(index)) from exc
    _check_unique_ids(policies)
    return policies


def _check_unique_ids(policies: list[Policy]) -> None:
    seen: set[str] = set()
    for policy in policies:
        if policy.id in seen:
            raise InvalidInputError(f"政策 id 重复：{policy.id}", field="id")
        seen.add(policy.id)


def load_policies(path: Path | None = None) -> list[Policy]:
    """Read a YAML policy catalogue; without a path, the bundled Minhang sample catalogue."""
    if path is None:
        return list(_bundled())
    return _read(path)


@lru_cache(maxsize=1)
def _bundled() -> tuple[Policy, ...]:
    return tuple(_read(BUNDLED_POLICIES))


def _read(path: Path) -> list[Policy]:
    try:
        records = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInputError(f"无法读取政策数据 {path}：{exc}") from exc
    return parse_policies(records, source=str(path))


def parse_profile(data: Any) -> EnterpriseProfile:
    """Validate an enterprise profile (a mapping), raising InvalidInputError in Chinese."""
    try:
        return EnterpriseProfile.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(describe_validation_error("企业画像", exc)) from exc


def load_profile(path: Path) -> EnterpriseProfile:
    """Read an enterprise profile from a JSON file (for `minfu policies match --profile FILE.json`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"无法读取企业画像 {path}：{exc}") from exc
    return parse_profile(data)
