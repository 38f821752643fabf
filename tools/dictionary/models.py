"""Typed records of the service dictionary (事项): one ServiceMatter per matter, validated on load."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from minfu.errors import InvalidInputError

MaterialForm = Literal["原件", "复印件", "原件及复印件", "电子", "未注明"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Material(_Record):
    """One item of the materials list (申请材料)."""

    name: str = Field(min_length=1)
    required: bool = True
    form: MaterialForm = "未注明"
    notes: str = ""


class Place(_Record):
    """Where the matter is handled in person (办理地点) and when."""

    name: str = Field(min_length=1)
    address: str = ""
    hours: str = ""


class ServiceMatter(_Record):
    """One matter of the dictionary; `sample` records are demo content, not the district's real guide."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    department: str = Field(min_length=1)
    matter_type: str = Field(min_length=1)
    conditions: tuple[str, ...] = ()
    materials: tuple[Material, ...] = ()
    steps: tuple[str, ...] = ()
    legal_time_limit_days: int | None = Field(default=None, ge=0)
    committed_time_limit_days: int | None = Field(default=None, ge=0)
    fees: str = "不收费"
    places: tuple[Place, ...] = ()
    online_url: str = ""
    bundle_members: tuple[str, ...] = ()
    mian_shen_ji_xiang: bool = False
    source: str = Field(min_length=1)
    sample: bool
    sample_note: str = ""

    @field_validator("aliases", "bundle_members")
    @classmethod
    def _no_blank_entries(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if any(not value.strip() for value in values):
            raise ValueError("不能包含空字符串")
        return values

    @property
    def is_bundle(self) -> bool:
        return bool(self.bundle_members)

    def names(self) -> tuple[str, ...]:
        """The official name first, then the aliases."""
        return (self.name, *self.aliases)


def matter_from_dict(raw: Mapping[str, Any], *, origin: str) -> ServiceMatter:
    """Validate one raw record; the error names the record (its code or position in `origin`) and the field."""
    try:
        matter = ServiceMatter.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(raw, origin, exc) from exc
    if matter.sample and not matter.sample_note:
        raise InvalidInputError(f"{_label(raw, origin)} 是样例数据，必须填写 sample_note", field="sample_note")
    return matter


def _invalid(raw: Mapping[str, Any], origin: str, exc: ValidationError) -> InvalidInputError:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "(记录)"
    reason = "缺少必填字段" if first["type"] == "missing" else first["msg"]
    return InvalidInputError(f"{_label(raw, origin)} 的字段 {field} 无效：{reason}", field=field)


def _label(raw: Mapping[str, Any], origin: str) -> str:
    code = raw.get("code") if isinstance(raw, Mapping) else None
    return f"事项 {code}（{origin}）" if code else f"事项（{origin}）"
