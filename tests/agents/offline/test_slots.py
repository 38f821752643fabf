"""Slots parsed from Chinese user text: one row per case, `today` fixed at Wednesday 2026-05-20."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from agents.offline.slots import Slots, extract_slots, parse_number
from tools.store.uscc import is_valid_uscc

TODAY = date(2026, 5, 20)  # a Wednesday
VALID_USCC = "91310112MA1GB11103"
OTHER_VALID_USCC = "91310112132234567W"

CASES: list[tuple[str, dict[str, Any]]] = [
    # codes and record numbers
    (f"我们的统一社会信用代码是{VALID_USCC}", {"uscc": VALID_USCC}),
    (f"信用代码 {OTHER_VALID_USCC.lower()}", {"uscc": OTHER_VALID_USCC}),
    ("代码91310112MA1GB11104，帮我查一下", {"uscc": None}),  # wrong check character: ignored
    ("代码91310112MA1GB1110", {"uscc": None}),  # 17 characters
    ("办件号MH20261127-000123到哪了", {"matter_number": "MH20261127-000123"}),
    ("mh20261127-000123", {"matter_number": "MH20261127-000123"}),
    ("诉求SQ20261201-000045处理了吗", {"ticket_number": "SQ20261201-000045"}),
    ("预约号YY20261203-000007", {"appointment_number": "YY20261203-000007"}),
    ("线索ZS20260101-000001", {"lead_number": "ZS20260101-000001"}),
    ("MH20261127-000123", {"phone": None, "date": None, "amount_wan": None}),  # digits are not read again
    ("MH2026112-000123", {"matter_number": None}),
    # phones
    ("电话13812345678", {"phone": "13812345678"}),
    ("手机 138-1234-5678 找王经理", {"phone": "13812345678"}),
    ("+86 139 0000 1111", {"phone": "13900001111"}),
    ("座机021-64120000", {"phone": "021-64120000"}),
    ("打02164120000", {"phone": "021-64120000"}),
    ("号码12812345678", {"phone": None}),  # no mobile network starts with 12
    ("1381234567", {"phone": None}),  # ten digits
    # dates
    ("2026-12-01去办", {"date": date(2026, 12, 1)}),
    ("2026/6/3上午", {"date": date(2026, 6, 3)}),
    ("2026年12月1日", {"date": date(2026, 12, 1)}),
    ("12月1日可以吗", {"date": date(2026, 12, 1)}),
    ("3月5号", {"date": date(2027, 3, 5)}),  # already past this year: next year
    ("5月20日", {"date": date(2026, 5, 20)}),
    ("十二月一日", {"date": date(2026, 12, 1)}),
    ("明天下午", {"date": date(2026, 5, 21)}),
    ("后天上午", {"date": date(2026, 5, 22)}),
    ("大后天", {"date": date(2026, 5, 23)}),
    ("下周一", {"date": date(2026, 5, 25)}),
    ("下星期五", {"date": date(2026, 5, 29)}),
    ("这周五", {"date": date(2026, 5, 22)}),
    ("周一", {"date": date(2026, 5, 25)}),
    ("2026年2月30日", {"date": None}),
    # towns
    ("在莘庄镇", {"town": "莘庄"}),
    ("莘庄工业区有厂房吗", {"town": "莘庄工业区"}),
    ("七宝附近", {"town": "七宝"}),
    ("江川路街道", {"town": "江川路"}),
    ("古美路街道", {"town": "古美"}),
    ("虹桥镇的办公室", {"town": "虹桥"}),
    ("浦锦街道", {"town": "浦锦"}),
    ("闵行区", {"town": None}),
    # industries and sectors
    ("做医疗器械的", {"industry": "生物医药"}),
    ("我们是芯片设计公司", {"industry": "集成电路"}),
    ("大模型创业团队", {"industry": "人工智能"}),
    ("需要什么材料", {"industry": None}),
    ("开奶茶店", {"sector": "餐饮"}),
    ("做软件开发", {"sector": "软件和信息技术服务", "industry": "数字经济"}),
    ("开一家便利店", {"sector": "零售"}),
    # area
    ("3000平方米", {"area_m2": 3000.0}),
    ("3000平", {"area_m2": 3000.0}),
    ("3000㎡的厂房", {"area_m2": 3000.0}),
    ("三千平方米", {"area_m2": 3000.0}),
    ("2亩地", {"area_m2": 1333.33}),
    ("1.5万平米", {"area_m2": 15000.0}),
    ("两百五十平", {"area_m2": 250.0}),
    ("中试平台", {"area_m2": None}),
    # headcount
    ("50人", {"headcount": 50}),
    ("五十个员工", {"headcount": 50}),
    ("团队30多人", {"headcount": 30}),
    ("员工有两百", {"headcount": 200}),
    ("注册资本500万人民币", {"headcount": None, "amount_wan": 500.0}),
    # money
    ("预算2000万元", {"amount_wan": 2000.0}),
    ("2千万", {"amount_wan": 2000.0}),
    ("投资3亿", {"amount_wan": 30000.0}),
    ("500万", {"amount_wan": 500.0}),
    ("80000元", {"amount_wan": 8.0}),
    ("每月5万租金", {"monthly_rent_yuan": 50000.0, "amount_wan": None}),
    ("月租金三万五", {"monthly_rent_yuan": 35000.0}),
    ("拿地花了一万二", {"amount_wan": 1.2}),
    ("座机0512-68881234", {"phone": "0512-68881234"}),
    ("租金每月不超过8万元", {"monthly_rent_yuan": 80000.0}),
    ("2000个", {"amount_wan": None}),
    # percentages
    ("研发投入占8%", {"percentage": 0.08}),
    ("研发占比6.5％", {"percentage": 0.065}),
    ("百分之十五", {"percentage": 0.15}),
    # registration
    ("成立3年", {"years_registered": 3, "registered_on": None}),
    ("公司成立了三年多", {"years_registered": 3}),
    ("2021年成立", {"registered_on": date(2021, 1, 1), "years_registered": 5}),
    ("成立于2019年6月", {"registered_on": date(2019, 6, 1), "years_registered": 7}),
    ("2021年成立，员工50人", {"registered_on": date(2021, 1, 1), "headcount": 50, "amount_wan": None}),
    # certifications
    ("我们是高企", {"certifications": ("高新技术企业",)}),
    ("国家高新技术企业，也是专精特新", {"certifications": ("高新技术企业", "专精特新中小企业")}),
    ("去年评上专精特新小巨人", {"certifications": ("专精特新“小巨人”企业",)}),
    ("科技型中小企业", {"certifications": ("科技型中小企业",)}),
    ("还不是高新技术企业", {"certifications": ()}),
]


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 60


def test_the_codes_used_are_what_they_claim() -> None:
    assert is_valid_uscc(VALID_USCC) and is_valid_uscc(OTHER_VALID_USCC)
    assert not is_valid_uscc("91310112MA1GB11104")


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_extract_slots(text: str, expected: dict[str, Any]) -> None:
    slots = extract_slots(text, today=TODAY)
    assert {name: getattr(slots, name) for name in expected} == expected


def test_a_whole_investor_message() -> None:
    text = "我们做生物医药，想在莘庄工业区找3000平方米的厂房，50人，预算2000万元，电话13812345678"
    assert extract_slots(text, today=TODAY) == Slots(
        phone="13812345678", town="莘庄工业区", industry="生物医药", area_m2=3000.0, headcount=50, amount_wan=2000.0
    )


def test_nothing_found_is_an_empty_slots() -> None:
    assert extract_slots("你好", today=TODAY) == Slots()


@pytest.mark.parametrize(
    ("token", "value"),
    [("三千", 3000), ("两百五十", 250), ("一万二", 12000), ("两百五", 250), ("一百零五", 105), ("十五", 15),
     ("二十万", 200000), ("2千万", 20_000_000), ("1.5万", 15000), ("3亿", 300_000_000), ("一千零一", 1001),
     ("3000", 3000), ("零", 0), ("abc", None)],
)  # fmt: skip
def test_parse_number(token: str, value: float | None) -> None:
    assert parse_number(token) == value
