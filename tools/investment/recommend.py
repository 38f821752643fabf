"""Site recommendation for investors: transparent, explainable scoring over the site catalogue.

Each criterion the investor gave earns points out of a fixed weight; the score is the share of the weights earned,
so 1.0 means every stated wish is met. Criteria not given are left out of both sides. Weights:

- industry 3: the site lists the industry (after synonyms: AI → 人工智能);
- area 2: full when the area is at least the site's smallest unit, half when the investor must rent a larger unit;
- budget 2: full when the whole rent range is within budget, half when only its lower end is;
- needs 2: the share of the wanted facilities the site has;
- town 1: the site is in the preferred town.

A site whose free area is smaller than the requested area (or that has no free area) cannot host the investor at all:
it is excluded, and `explain_exclusions` says why. Monthly rent = leased area × daily rent × 30, where the leased area
is the larger of the requested area and the smallest unit (a site will not split below its unit).
Equal scores are ordered by the lower end of the monthly rent, then by site id, so the ranking is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from minfu.errors import InvalidInputError
from tools.investment.catalog import bundled_packages
from tools.investment.models import FACILITIES, INDUSTRIES, TOWNS, IndustryPackage, Site
from tools.investment.vocabulary import canonical_facility, canonical_industry, canonical_town

DAYS_PER_MONTH = 30
MAX_K = 50
WEIGHTS = {"industry": 3.0, "area": 2.0, "budget": 2.0, "needs": 2.0, "town": 1.0}


@dataclass(frozen=True)
class SiteRequest:
    """An investor's request after validation and normalisation to canonical names."""

    industry: str | None = None
    area_sqm: float | None = None
    budget_yuan_per_month: float | None = None
    needs: tuple[str, ...] = ()
    town: str | None = None


@dataclass(frozen=True)
class Recommendation:
    site: Site
    score: float
    reasons: list[str]
    monthly_rent_range_yuan: tuple[float, float]
    fits: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Exclusion:
    site: Site
    reason: str


def recommend_sites(
    sites: Sequence[Site],
    *,
    industry: str | None,
    area_sqm: float | None,
    budget_yuan_per_month: float | None,
    needs: Sequence[str] = (),
    town: str | None = None,
    k: int = 5,
) -> list[Recommendation]:
    """The k best sites for the request, best first, each with its score, Chinese reasons and criterion fits."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidInputError(f"推荐数量 k 应为 1 到 {MAX_K} 之间的整数", field="k")
    request = normalize_request(industry, area_sqm, budget_yuan_per_month, needs, town)
    excluded = {exclusion.site.id for exclusion in _exclusions(sites, request.area_sqm)}
    ranked = [_score(site, request) for site in sites if site.id not in excluded]
    ranked.sort(key=lambda r: (-r.score, r.monthly_rent_range_yuan[0], r.site.id))
    return ranked[:k]


def explain_exclusions(sites: Sequence[Site], *, area_sqm: float | None) -> list[Exclusion]:
    """The sites `recommend_sites` leaves out for this area, each with the reason in Chinese."""
    return _exclusions(sites, _positive(area_sqm, "area_sqm", "面积"))


def industry_package(industry: str, packages: Sequence[IndustryPackage] | None = None) -> IndustryPackage:
    """The industry service package (一业一策) for an industry or a common name for it (AI, 创新药, 芯片 …)."""
    canonical = canonical_industry(industry)
    for package in packages if packages is not None else bundled_packages():
        if package.industry == canonical:
            return package
    raise InvalidInputError(f"未找到“{industry}”的行业服务包，可选行业：{'、'.join(INDUSTRIES)}", field="industry")


def normalize_request(
    industry: str | None,
    area_sqm: float | None,
    budget_yuan_per_month: float | None,
    needs: Sequence[str],
    town: str | None,
) -> SiteRequest:
    """Validate the investor's request and map its words to canonical names; InvalidInputError in Chinese."""
    return SiteRequest(
        industry=_canonical_or_error(industry, canonical_industry, "industry", "产业方向", INDUSTRIES),
        area_sqm=_positive(area_sqm, "area_sqm", "面积"),
        budget_yuan_per_month=_positive(budget_yuan_per_month, "budget_yuan_per_month", "月预算"),
        needs=_needs(needs),
        town=_canonical_or_error(town, canonical_town, "town", "区域", TOWNS),
    )


def _positive(value: float | None, name: str, label: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InvalidInputError(f"{label}必须是大于 0 的数字，收到：{value!r}", field=name)
    return float(value)


def _canonical_or_error(
    value: str | None, lookup: Callable[[str], str | None], name: str, label: str, allowed: Sequence[str]
) -> str | None:
    if value is None or not str(value).strip():
        return None
    found = lookup(str(value))
    if found is None:
        raise InvalidInputError(f"无法识别的{label}“{value}”，可选：{'、'.join(allowed)}", field=name)
    return found


def _needs(needs: Sequence[str]) -> tuple[str, ...]:
    if isinstance(needs, str):
        needs = [needs]
    canonical = [_canonical_or_error(need, canonical_facility, "needs", "配套需求", FACILITIES) for need in needs]
    return tuple(dict.fromkeys(need for need in canonical if need))


def _exclusions(sites: Sequence[Site], area_sqm: float | None) -> list[Exclusion]:
    result = []
    for site in sites:
        if site.free_area_sqm <= 0:
            result.append(Exclusion(site, f"{site.name} 目前没有可租面积"))
        elif area_sqm is not None and site.free_area_sqm < area_sqm:
            reason = f"{site.name} 可租面积 {_num(site.free_area_sqm)}㎡，不足需求的 {_num(area_sqm)}㎡"
            result.append(Exclusion(site, reason))
    return result


def _score(site: Site, request: SiteRequest) -> Recommendation:
    earned: dict[str, float] = {}
    reasons: list[str] = []
    _judge_industry(site, request, earned, reasons)
    _judge_area(site, request, earned, reasons)
    rent = monthly_rent_range(site, request.area_sqm)
    _judge_budget(site, request, rent, earned, reasons)
    _judge_needs(site, request, earned, reasons)
    _judge_town(site, request, earned, reasons)
    possible = sum(WEIGHTS[name] for name in earned)
    score = round(sum(earned.values()) / possible, 3) if possible else 0.0
    fits = {name: points >= WEIGHTS[name] for name, points in earned.items()}
    return Recommendation(site=site, score=score, reasons=reasons, monthly_rent_range_yuan=rent, fits=fits)


def monthly_rent_range(site: Site, area_sqm: float | None) -> tuple[float, float]:
    """Monthly rent in yuan for the leased area (the smallest unit when no area is given)."""
    leased = max(area_sqm or 0.0, site.min_unit_sqm)
    rent = site.rent_yuan_per_sqm_day
    return (round(leased * rent.min * DAYS_PER_MONTH), round(leased * rent.max * DAYS_PER_MONTH))


def _judge_industry(site: Site, request: SiteRequest, earned: dict[str, float], reasons: list[str]) -> None:
    if request.industry is None:
        return
    matched = request.industry in site.industries
    earned["industry"] = WEIGHTS["industry"] if matched else 0.0
    listed = "、".join(site.industries)
    reasons.append(f"产业方向匹配：{request.industry}" if matched else f"产业方向不匹配：载体主导产业为{listed}")


def _judge_area(site: Site, request: SiteRequest, earned: dict[str, float], reasons: list[str]) -> None:
    if request.area_sqm is None:
        return
    free, unit, wanted = _num(site.free_area_sqm), _num(site.min_unit_sqm), _num(request.area_sqm)
    if request.area_sqm >= site.min_unit_sqm:
        earned["area"] = WEIGHTS["area"]
        reasons.append(f"可租面积 {free}㎡，可满足需求 {wanted}㎡（最小分割 {unit}㎡）")
    else:
        earned["area"] = WEIGHTS["area"] / 2
        reasons.append(f"最小分割单元 {unit}㎡ 大于需求 {wanted}㎡，需按 {unit}㎡ 起租")


def _judge_budget(
    site: Site, request: SiteRequest, rent: tuple[float, float], earned: dict[str, float], reasons: list[str]
) -> None:
    budget = request.budget_yuan_per_month
    if budget is None:
        return
    low, high = rent
    span = f"月租约 {_num(low)}–{_num(high)} 元（{_rent_basis(site, request)}）"
    if high <= budget:
        earned["budget"], verdict = WEIGHTS["budget"], "在预算内"
    elif low <= budget:
        earned["budget"], verdict = WEIGHTS["budget"] / 2, "部分房源在预算内"
    else:
        earned["budget"], verdict = 0.0, "超出预算"
    reasons.append(f"{span}，{verdict}（月预算 {_num(budget)} 元）")


def _rent_basis(site: Site, request: SiteRequest) -> str:
    leased = max(request.area_sqm or 0.0, site.min_unit_sqm)
    rent = site.rent_yuan_per_sqm_day
    return f"{_num(leased)}㎡ × {rent.min}–{rent.max} 元/㎡/天 × {DAYS_PER_MONTH} 天"


def _judge_needs(site: Site, request: SiteRequest, earned: dict[str, float], reasons: list[str]) -> None:
    if not request.needs:
        return
    have = [need for need in request.needs if need in site.facilities]
    missing = [need for need in request.needs if need not in site.facilities]
    earned["needs"] = WEIGHTS["needs"] * len(have) / len(request.needs)
    if have:
        reasons.append(f"具备所需配套：{'、'.join(have)}")
    if missing:
        reasons.append(f"缺少所需配套：{'、'.join(missing)}")


def _judge_town(site: Site, request: SiteRequest, earned: dict[str, float], reasons: list[str]) -> None:
    if request.town is None:
        return
    matched = site.town == request.town
    earned["town"] = WEIGHTS["town"] if matched else 0.0
    reasons.append(f"位于意向区域：{site.town}" if matched else f"位于{site.town}，不在意向区域{request.town}")


def _num(value: float) -> str:
    """12000.0 → "12,000"; 2.5 → "2.5"."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
