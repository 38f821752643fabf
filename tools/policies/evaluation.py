"""Evaluate one condition against a profile: met, failed or undecided (with the facts that would decide it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from tools.policies.models import (
    FIELD_LABELS,
    CertificationRequired,
    Condition,
    EmployeesMax,
    EmployeesMin,
    EnterpriseProfile,
    IndustryIn,
    RdRatioMin,
    RevenueMax,
    RevenueMin,
    SizeIn,
    TownIn,
    YearsSinceRegistrationMax,
    YearsSinceRegistrationMin,
)
from tools.policies.sizes import classify_size, indicators_for

Status = Literal["met", "failed", "unknown"]

# Holding the key certification implies the listed ones.
IMPLIED_CERTIFICATIONS: dict[str, tuple[str, ...]] = {"专精特新小巨人": ("专精特新",)}


class MissingFact(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    label: str


class ConditionOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    status: Status
    reason: str
    missing: tuple[MissingFact, ...] = ()


def missing_fact(field: str) -> MissingFact:
    return MissingFact(field=field, label=FIELD_LABELS[field])


def _unknown(kind: str, fields: tuple[str, ...], requirement: str) -> ConditionOutcome:
    labels = "、".join(FIELD_LABELS[field] for field in fields)
    reason = f"要求{requirement}，尚缺“{labels}”，无法判断。"
    return ConditionOutcome(kind=kind, status="unknown", reason=reason, missing=tuple(map(missing_fact, fields)))


def _decided(kind: str, met: bool, requirement: str, actual: str) -> ConditionOutcome:
    verdict = "符合" if met else "不符合"
    return ConditionOutcome(
        kind=kind, status="met" if met else "failed", reason=f"要求{requirement}，{actual}，{verdict}。"
    )


def _industry(cond: IndustryIn, profile: EnterpriseProfile, today: date) -> ConditionOutcome:
    requirement = f"所属行业为{'、'.join(cond.industries)}"
    if profile.industry is None:
        return _unknown(cond.kind, ("industry",), requirement)
    met = any(word in profile.industry for word in cond.industries)
    return _decided(cond.kind, met, requirement, f"企业所属行业为{profile.industry}")


def _size(cond: SizeIn, profile: EnterpriseProfile, today: date) -> ConditionOutcome:
    requirement = f"企业规模（国家大中小微划型标准）为{'、'.join(cond.sizes)}"
    size = classify_size(profile.industry, profile.employees, profile.revenue_wan, profile.total_assets_wan)
    if size is None:
        needed = indicators_for(profile.industry)
        fields = tuple(field for field in needed if getattr(profile, field) is None) if needed else ("industry",)
        return _unknown(cond.kind, fields, requirement)
    return _decided(cond.kind, size in cond.sizes, requirement, f"按划型标准企业为{size}企业")


def _town(cond: TownIn, profile: EnterpriseProfile, today: date) -> ConditionOutcome:
    requirement = f"注册在{'、'.join(cond.towns)}"
    if profile.registered_town is None:
        return _unknown(cond.kind, ("registered_town",), requirement)
    met = profile.registered_town in cond.towns
    return _decided(cond.kind, met, requirement, f"企业注册在{profile.registered_town}")


def _anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a common year
        return date(start.year + years, 3, 1)


def _years_min(cond: YearsSinceRegistrationMin, profile: EnterpriseProfile, today: date) -> ConditionOutcome:
    requirement = f"成立满{cond.years}年"
    if profile.registered_on is None:
        return _unknown(cond.kind, ("registered_on",), requirement)
    met = today >= _anniversary(profile.registered_on, cond.years)
    return _decided(cond.kind, met, requirement, f"企业成立于{profile.registered_on.isoformat()}")


def _years_max(cond: YearsSinceRegistrationMax, profile: EnterpriseProfile, today: date) -> ConditionOutcome:
    requirement = f"成立未满{cond.years}年"
    if profile.registered_on is None:
        return _unknown(cond.kind, ("registered_on",), requirement)
    met = profile.registered_on <= today < _anniversary(profile.registered_on, cond.years)
    return _decided(cond.kind, met, requirement, f"企业成立于{profile.registered_on.isoformat()}")


def _bound(kind: str, field: str, value: float | None, limit: float, at_least: bool, unit: str) -> ConditionOutcome:
    name = {"employees": "从业人员数", "revenue_wan": "营业收入"}[field]
    requirement = f"{name}{'不少于' if at_least else '不超过'}{limit:g}{unit}"
    if value is None:
        return _unknown(kind, (field,), requirement)
    met = value >= limit if at_least else value <= limit
    return _decided(kind, met, requirement, f"企业为{value:g}{unit}")


def _employees_min(cond: EmployeesMin, profile: EnterpriseProfile, today: date) -> ConditionOutcome:
    return _bound(cond.kind, "employees", profile.employees, cond.value, True, "人")


def _employees_max(cond: EmployeesMax, profile: EnterpriseProfile, today: date) -> ConditionOutcome:
    return _bound(cond.kind, "employees", profile.employees, cond.value, False, "人")


def _revenue_min(cond: RevenueMin, profile: EnterpriseProfile, today: date) -> ConditionOutcome:
    return _bound(cond.kind, "revenue_wan", profile.revenue_wan, cond.value_wan, True, "万元")


def _revenue_max(cond: RevenueMax, profile: EnterpriseProfile, today: date) -> ConditionOutcome:
    return _bound(cond.kind, "revenue_wan", profile.revenue_wan, cond.value_wan, False, "万元")


def _rd_ratio_min(cond: RdRatioMin, profile: EnterpriseProfile, today: date) -> ConditionOutcome:
    requirement = f"研发投入占营业收入比例不低于{cond.value:.1%}"
    if profile.rd_ratio is None:
        return _unknown(cond.kind, ("rd_ratio",), requirement)
    return _decided(cond.kind, profile.rd_ratio >= cond.value, requirement, f"企业为{profile.rd_ratio:.1%}")


def _held(certifications: tuple[str, ...]) -> set[str]:
    held = set(certifications)
    for name in certifications:
        held.update(IMPLIED_CERTIFICATIONS.get(name, ()))
    return held


def _certification(cond: CertificationRequired, profile: EnterpriseProfile, today: date) -> ConditionOutcome:
    requirement = f"具有{'或'.join(cond.any_of)}资质"
    if profile.certifications is None:
        return _unknown(cond.kind, ("certifications",), requirement)
    actual = f"企业已获{'、'.join(profile.certifications)}" if profile.certifications else "企业未登记任何资质"
    return _decided(cond.kind, bool(_held(profile.certifications) & set(cond.any_of)), requirement, actual)


_EVALUATORS: dict[str, Callable[[Any, EnterpriseProfile, date], ConditionOutcome]] = {
    "industry_in": _industry,
    "size_in": _size,
    "town_in": _town,
    "years_since_registration_min": _years_min,
    "years_since_registration_max": _years_max,
    "employees_min": _employees_min,
    "employees_max": _employees_max,
    "revenue_min": _revenue_min,
    "revenue_max": _revenue_max,
    "rd_ratio_min": _rd_ratio_min,
    "certification_required": _certification,
}


def evaluate_condition(condition: Condition, profile: EnterpriseProfile, *, today: date) -> ConditionOutcome:
    """Judge one condition; an unknown fact gives status 'unknown' naming it, never 'failed'."""
    return _EVALUATORS[condition.kind](condition, profile, today)
