"""classify_size against 《中小企业划型标准规定》(工信部联企业〔2011〕300号), at the boundaries of each tier."""

from __future__ import annotations

import pytest

from tools.policies.sizes import classify_size, indicators_for, industry_group

# (industry, employees, revenue 万元, total assets 万元, expected)
CASES = [
    # 工业: employees 1000/300/20, revenue 40000/2000/300
    ("制造业", 1000, 40000, None, "大型"),
    ("汽车制造业", 999, 40000, None, "中型"),
    ("制造业", 1000, 39999, None, "中型"),
    ("制造业", 300, 2000, None, "中型"),
    ("制造业", 299, 2000, None, "小型"),
    ("制造业", 20, 300, None, "小型"),
    ("制造业", 19, 300, None, "微型"),
    ("制造业", 5000, 299, None, "微型"),
    ("纺织业", 20, 300, None, "小型"),
    # 建筑业: revenue 80000/6000/300, assets 80000/5000/300
    ("建筑业", None, 80000, 80000, "大型"),
    ("建筑业", None, 80000, 79999, "中型"),
    ("建筑业", None, 6000, 5000, "中型"),
    ("建筑业", None, 5999, 5000, "小型"),
    ("建筑业", None, 300, 299, "微型"),
    # 批发业: employees 200/20/5, revenue 40000/5000/1000
    ("批发业", 200, 40000, None, "大型"),
    ("批发业", 20, 5000, None, "中型"),
    ("批发业", 19, 5000, None, "小型"),
    ("批发业", 5, 1000, None, "小型"),
    ("批发业", 4, 1000, None, "微型"),
    # 零售业: employees 300/50/10, revenue 20000/500/100
    ("零售业", 300, 20000, None, "大型"),
    ("零售业", 50, 500, None, "中型"),
    ("零售业", 49, 500, None, "小型"),
    ("零售业", 10, 100, None, "小型"),
    ("零售业", 10, 99, None, "微型"),
    # 餐饮业 / 住宿业: employees 300/100/10, revenue 10000/2000/100
    ("餐饮业", 100, 2000, None, "中型"),
    ("餐饮业", 99, 2000, None, "小型"),
    ("住宿业", 9, 5000, None, "微型"),
    # 交通运输业, 仓储业, 邮政业
    ("道路运输业", 300, 3000, None, "中型"),
    ("道路运输业", 300, 2999, None, "小型"),
    ("仓储业", 100, 1000, None, "中型"),
    ("仓储业", 200, 30000, None, "大型"),
    ("邮政业", 20, 100, None, "小型"),
    # 信息传输业: employees 2000/100/10, revenue 100000/1000/100
    ("信息传输业", 2000, 100000, None, "大型"),
    ("电信、广播电视和卫星传输服务", 1999, 100000, None, "中型"),
    # 软件和信息技术服务业: employees 300/100/10, revenue 10000/1000/50
    ("软件和信息技术服务业", 300, 10000, None, "大型"),
    ("软件和信息技术服务业", 100, 1000, None, "中型"),
    ("软件和信息技术服务业", 45, 3200, None, "小型"),
    ("软件和信息技术服务业", 10, 50, None, "小型"),
    ("软件和信息技术服务业", 10, 49, None, "微型"),
    # 房地产开发经营: revenue 200000/1000/100, assets 10000/5000/2000
    ("房地产开发经营", None, 200000, 10000, "大型"),
    ("房地产开发经营", None, 1000, 4999, "小型"),
    # 物业管理: employees 1000/300/100, revenue 5000/1000/500
    ("物业管理", 300, 1000, None, "中型"),
    ("物业管理", 99, 1000, None, "微型"),
    # 租赁和商务服务业: employees 300/100/10, assets 120000/8000/100
    ("租赁和商务服务业", 100, None, 8000, "中型"),
    ("租赁和商务服务业", 100, None, 7999, "小型"),
    ("商务服务业", 10, None, 99, "微型"),
    # 其他未列明行业: employees 300/100/10
    ("科学研究和技术服务业", 300, None, None, "大型"),
    ("科学研究和技术服务业", 100, None, None, "中型"),
    ("科学研究和技术服务业", 9, None, None, "微型"),
    # 农、林、牧、渔业: revenue 20000/500/50
    ("农业", None, 500, None, "中型"),
    ("农业", None, 49, None, "微型"),
]


@pytest.mark.parametrize(("industry", "employees", "revenue", "assets", "expected"), CASES)
def test_classify_size_at_boundaries(industry, employees, revenue, assets, expected):
    assert classify_size(industry, employees, revenue, assets) == expected


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "assets"),
    [
        (None, 50, 500, 500),  # industry unknown
        ("制造业", None, 5000, None),  # employees missing
        ("制造业", 500, None, None),  # revenue missing
        ("建筑业", None, 7000, None),  # total assets missing
        ("批发和零售业", 50, 6000, None),  # the section spans two groups with different thresholds
        ("房地产业", None, 5000, 6000),
    ],
)
def test_classify_size_is_none_when_facts_do_not_decide(industry, employees, revenue, assets):
    assert classify_size(industry, employees, revenue, assets) is None


def test_one_known_micro_indicator_decides_even_if_the_other_is_missing():
    assert classify_size("制造业", 5, None, None) == "微型"
    assert classify_size("零售业", None, 50, None) == "微型"


def test_industry_groups_and_needed_facts():
    assert industry_group("计算机、通信和其他电子设备制造业") == "工业"
    assert industry_group("农副食品加工业") == "工业"
    assert industry_group("餐饮业") == "餐饮业"
    assert industry_group("教育") == "其他未列明行业"
    assert indicators_for("建筑业") == ("revenue_wan", "total_assets_wan")
    assert indicators_for("租赁和商务服务业") == ("employees", "total_assets_wan")
    assert indicators_for("批发和零售业") == ()
