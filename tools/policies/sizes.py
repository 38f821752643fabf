"""National enterprise size classification (大中小微) per 《中小企业划型标准规定》(工信部联企业〔2011〕300号).

Each industry group is decided by one or two indicators. An enterprise reaches a tier only when every indicator of its
group reaches that tier's floor ("X及以上" in the rule; "X以下" excludes X), so its size is the lowest tier any single
indicator reaches. A missing indicator leaves the size unknown unless a known one already pins it at 微型.
"""

from __future__ import annotations

from typing import Literal

Size = Literal["大型", "中型", "小型", "微型"]
SIZES: tuple[Size, ...] = ("大型", "中型", "小型", "微型")
Indicator = Literal["employees", "revenue_wan", "total_assets_wan"]

# group -> {indicator: (large floor, medium floor, small floor)}; below the small floor is 微型. Money in 万元.
SIZE_THRESHOLDS: dict[str, dict[Indicator, tuple[float, float, float]]] = {
    "农、林、牧、渔业": {"revenue_wan": (20000, 500, 50)},
    "工业": {"employees": (1000, 300, 20), "revenue_wan": (40000, 2000, 300)},
    "建筑业": {"revenue_wan": (80000, 6000, 300), "total_assets_wan": (80000, 5000, 300)},
    "批发业": {"employees": (200, 20, 5), "revenue_wan": (40000, 5000, 1000)},
    "零售业": {"employees": (300, 50, 10), "revenue_wan": (20000, 500, 100)},
    "交通运输业": {"employees": (1000, 300, 20), "revenue_wan": (30000, 3000, 200)},
    "仓储业": {"employees": (200, 100, 20), "revenue_wan": (30000, 1000, 100)},
    "邮政业": {"employees": (1000, 300, 20), "revenue_wan": (30000, 2000, 100)},
    "住宿业": {"employees": (300, 100, 10), "revenue_wan": (10000, 2000, 100)},
    "餐饮业": {"employees": (300, 100, 10), "revenue_wan": (10000, 2000, 100)},
    "信息传输业": {"employees": (2000, 100, 10), "revenue_wan": (100000, 1000, 100)},
    "软件和信息技术服务业": {"employees": (300, 100, 10), "revenue_wan": (10000, 1000, 50)},
    "房地产开发经营": {"revenue_wan": (200000, 1000, 100), "total_assets_wan": (10000, 5000, 2000)},
    "物业管理": {"employees": (1000, 300, 100), "revenue_wan": (5000, 1000, 500)},
    "租赁和商务服务业": {"employees": (300, 100, 10), "total_assets_wan": (120000, 8000, 100)},
    "其他未列明行业": {"employees": (300, 100, 10)},
}

# Category words (国民经济行业分类) -> group, checked in order; the first keyword found in the industry name wins.
_GROUP_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("软件和信息技术服务", "软件和信息技术服务业"),
    ("信息传输", "信息传输业"),
    ("电信", "信息传输业"),
    ("互联网", "信息传输业"),
    ("房地产开发", "房地产开发经营"),
    ("物业管理", "物业管理"),
    ("租赁和商务服务", "租赁和商务服务业"),
    ("商务服务", "租赁和商务服务业"),
    ("租赁", "租赁和商务服务业"),
    ("批发", "批发业"),
    ("零售", "零售业"),
    ("仓储", "仓储业"),
    ("邮政", "邮政业"),
    ("快递", "邮政业"),
    ("运输", "交通运输业"),
    ("住宿", "住宿业"),
    ("餐饮", "餐饮业"),
    ("建筑", "建筑业"),
    ("制造", "工业"),
    ("采矿", "工业"),
    ("电力", "工业"),
    ("燃气", "工业"),
    ("水的生产", "工业"),
    ("加工", "工业"),
    ("纺织", "工业"),
    ("制品", "工业"),
    ("冶炼", "工业"),
    ("印刷", "工业"),
    ("综合利用", "工业"),
    ("工业", "工业"),
    ("农、林", "农、林、牧、渔业"),
    ("农业", "农、林、牧、渔业"),
    ("林业", "农、林、牧、渔业"),
    ("畜牧", "农、林、牧、渔业"),
    ("渔业", "农、林、牧、渔业"),
)

# Sections of the national classification that span groups with different thresholds: the sub-industry decides.
AMBIGUOUS_INDUSTRIES = frozenset(
    {"批发和零售业", "交通运输、仓储和邮政业", "信息传输、软件和信息技术服务业", "房地产业"}
)


def industry_group(industry: str | None) -> str | None:
    """The size-rule group of an industry name; None when unknown or when the name spans several groups."""
    if industry is None:
        return None
    name = industry.strip()
    if not name or name in AMBIGUOUS_INDUSTRIES:
        return None
    if name in SIZE_THRESHOLDS:
        return name
    for keyword, group in _GROUP_KEYWORDS:
        if keyword in name:
            return group
    return "其他未列明行业"


def indicators_for(industry: str | None) -> tuple[Indicator, ...]:
    """The facts the size rule needs for this industry (empty when the group itself is unknown)."""
    group = industry_group(industry)
    return tuple(SIZE_THRESHOLDS[group]) if group else ()


def _tier(value: float, floors: tuple[float, float, float]) -> int:
    """0=大型 … 3=微型: the highest tier whose floor the value reaches."""
    for index, floor in enumerate(floors):
        if value >= floor:
            return index
    return 3


def classify_size(
    industry: str | None,
    employees: int | None,
    revenue_wan: float | None,
    total_assets_wan: float | None,
) -> Size | None:
    """大型/中型/小型/微型 by the national rule, or None when the facts do not decide it."""
    group = industry_group(industry)
    if group is None:
        return None
    facts: dict[Indicator, float | None] = {
        "employees": employees,
        "revenue_wan": revenue_wan,
        "total_assets_wan": total_assets_wan,
    }
    thresholds = SIZE_THRESHOLDS[group]
    tiers = [_tier(value, thresholds[name]) for name in thresholds if (value := facts[name]) is not None]
    if len(tiers) < len(thresholds):
        return "微型" if 3 in tiers else None
    return SIZES[max(tiers)]
