"""Policy catalogue records: the enterprise profile, machine-checkable conditions and the policy itself.

Every profile field is optional: None means "not known", which matching reports as a missing fact rather than a
failure. Conditions are plain data discriminated by `kind`; `evaluation.py` gives them meaning.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tools.policies.sizes import SIZES, Size

# The 14 units of Minhang: 9 towns, 4 subdistricts and the 莘庄工业区, by short name.
MINHANG_TOWNS: tuple[str, ...] = (
    "莘庄", "七宝", "浦江", "梅陇", "虹桥", "马桥", "吴泾", "华漕", "颛桥",
    "江川路", "古美", "新虹", "浦锦", "莘庄工业区",
)  # fmt: skip

KNOWN_CERTIFICATIONS: tuple[str, ...] = (
    "高新技术企业", "专精特新", "专精特新小巨人", "创新型中小企业", "科技型中小企业", "技术先进型服务企业",
    "外资研发中心", "跨国公司地区总部", "民营企业总部", "知识产权示范企业", "上海市企业技术中心",
)  # fmt: skip

FIELD_LABELS: dict[str, str] = {
    "uscc": "统一社会信用代码",
    "industry": "所属行业",
    "employees": "从业人员数",
    "revenue_wan": "营业收入（万元）",
    "total_assets_wan": "资产总额（万元）",
    "registered_town": "注册所在街镇",
    "registered_on": "成立日期",
    "rd_ratio": "研发投入占营业收入比例",
    "certifications": "已获资质认定",
}

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_is_valid(code: str) -> bool:
    """GB 32100-2015: 18 characters from the 31-letter alphabet with a weighted mod-31 check digit."""
    if len(code) != 18 or any(char not in _USCC_CHARS for char in code):
        return False
    total = sum(_USCC_CHARS.index(char) * weight for char, weight in zip(code, _USCC_WEIGHTS, strict=False))
    return _USCC_CHARS[(31 - total % 31) % 31] == code[17]


def normalize_town(name: str) -> str:
    """'莘庄镇' -> '莘庄', '古美路街道' -> '古美'; other names come back stripped."""
    name = name.strip().removeprefix("闵行区")
    if name == "莘庄工业区":
        return name
    for suffix in ("街道", "镇"):
        name = name.removesuffix(suffix)
    return "古美" if name == "古美路" else name


class EnterpriseProfile(BaseModel):
    """What is known about an enterprise; None means unknown (never "no")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uscc: str | None = None
    name: str | None = None
    industry: str | None = None
    employees: int | None = Field(default=None, ge=0)
    revenue_wan: float | None = Field(default=None, ge=0)
    total_assets_wan: float | None = Field(default=None, ge=0)
    registered_town: str | None = None
    registered_on: date | None = None
    rd_ratio: float | None = Field(default=None, ge=0, le=1)
    certifications: tuple[str, ...] | None = None

    @field_validator("uscc")
    @classmethod
    def _check_uscc(cls, value: str | None) -> str | None:
        if value is not None and not uscc_is_valid(value.strip().upper()):
            raise ValueError("统一社会信用代码格式或校验位不正确")
        return None if value is None else value.strip().upper()

    @field_validator("registered_town")
    @classmethod
    def _normalize_town(cls, value: str | None) -> str | None:
        return None if value is None else normalize_town(value)


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndustryIn(_Condition):
    kind: Literal["industry_in"]
    industries: tuple[str, ...] = Field(min_length=1)


class SizeIn(_Condition):
    kind: Literal["size_in"]
    sizes: tuple[Size, ...] = Field(min_length=1)


class TownIn(_Condition):
    kind: Literal["town_in"]
    towns: tuple[str, ...] = Field(min_length=1)

    @field_validator("towns")
    @classmethod
    def _known_towns(cls, towns: tuple[str, ...]) -> tuple[str, ...]:
        normalized = tuple(normalize_town(town) for town in towns)
        unknown = [town for town in normalized if town not in MINHANG_TOWNS]
        if unknown:
            raise ValueError(f"不是闵行区的街镇：{'、'.join(unknown)}")
        return normalized


class YearsSinceRegistrationMin(_Condition):
    kind: Literal["years_since_registration_min"]
    years: int = Field(ge=0)


class YearsSinceRegistrationMax(_Condition):
    kind: Literal["years_since_registration_max"]
    years: int = Field(ge=1)


class EmployeesMin(_Condition):
    kind: Literal["employees_min"]
    value: int = Field(ge=0)


class EmployeesMax(_Condition):
    kind: Literal["employees_max"]
    value: int = Field(ge=0)


class RevenueMin(_Condition):
    kind: Literal["revenue_min"]
    value_wan: float = Field(ge=0)


class RevenueMax(_Condition):
    kind: Literal["revenue_max"]
    value_wan: float = Field(ge=0)


class RdRatioMin(_Condition):
    kind: Literal["rd_ratio_min"]
    value: float = Field(gt=0, le=1)


class CertificationRequired(_Condition):
    """Met when the enterprise holds at least one of `any_of`."""

    kind: Literal["certification_required"]
    any_of: tuple[str, ...] = Field(min_length=1)

    @field_validator("any_of")
    @classmethod
    def _known_certifications(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in names if name not in KNOWN_CERTIFICATIONS]
        if unknown:
            raise ValueError(f"未登记的资质名称：{'、'.join(unknown)}（可选：{'、'.join(KNOWN_CERTIFICATIONS)}）")
        return names


Condition = Annotated[
    IndustryIn
    | SizeIn
    | TownIn
    | YearsSinceRegistrationMin
    | YearsSinceRegistrationMax
    | EmployeesMin
    | EmployeesMax
    | RevenueMin
    | RevenueMax
    | RdRatioMin
    | CertificationRequired,
    Field(discriminator="kind"),
]

CONDITION_KINDS: tuple[str, ...] = (
    "industry_in", "size_in", "town_in", "years_since_registration_min", "years_since_registration_max",
    "employees_min", "employees_max", "revenue_min", "revenue_max", "rd_ratio_min", "certification_required",
)  # fmt: skip


class Policy(BaseModel):
    """One policy measure with its benefit, conditions, validity and citation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    title: str = Field(min_length=1)
    benefit: str = Field(min_length=1)
    conditions: tuple[Condition, ...] = ()
    mian_shen_ji_xiang: bool = False
    effective_from: date
    expires_on: date | None = None
    issuer: str = Field(min_length=1)
    doc_number: str | None = None
    source_document: str = Field(min_length=1)
    article: str = Field(min_length=1)
    department: str | None = None
    sample: bool
    sample_note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        if self.expires_on is not None and self.expires_on < self.effective_from:
            raise ValueError("失效日期 expires_on 早于生效日期 effective_from")
        if self.sample and not (self.sample_note or "").strip():
            raise ValueError("示例政策（sample: true）必须写明 sample_note")
        return self


__all__ = [
    "CONDITION_KINDS",
    "FIELD_LABELS",
    "KNOWN_CERTIFICATIONS",
    "MINHANG_TOWNS",
    "SIZES",
    "Condition",
    "EnterpriseProfile",
    "Policy",
]
