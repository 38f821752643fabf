"""match_policies: each condition kind yields eligible, possibly eligible (fact missing) and not eligible."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tools.policies import CONDITION_KINDS, EnterpriseProfile, Policy, load_policies, match_policies, match_policy

TODAY = date(2026, 11, 27)


def make_policy(*conditions: dict[str, Any], **overrides: Any) -> Policy:
    record = {
        "id": "T-1",
        "title": "测试政策",
        "benefit": "测试",
        "conditions": list(conditions),
        "effective_from": "2026-01-23",
        "issuer": "闵行区人民政府办公室",
        "doc_number": "闵府办发〔2026〕1号",
        "source_document": "闵行区加快打造国际一流营商环境行动方案（2026年）",
        "article": "二、（六）加大融资服务力度",
        "sample": True,
        "sample_note": "测试",
    }
    return Policy.model_validate(record | overrides)


# kind -> (condition, eligible profile, not eligible profile, profile missing the fact, missing field names)
Row = tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], list[str]]
TABLE: dict[str, Row] = {
    "industry_in": (
        {"kind": "industry_in", "industries": ["制造业"]},
        {"industry": "汽车制造业"},
        {"industry": "餐饮业"},
        {},
        ["industry"],
    ),
    "size_in": (
        {"kind": "size_in", "sizes": ["小型", "微型"]},
        {"industry": "零售业", "employees": 12, "revenue_wan": 300},
        {"industry": "零售业", "employees": 80, "revenue_wan": 900},
        {"industry": "零售业", "employees": 80},
        ["revenue_wan"],
    ),
    "town_in": (
        {"kind": "town_in", "towns": ["虹桥", "莘庄工业区"]},
        {"registered_town": "虹桥镇"},
        {"registered_town": "古美路街道"},
        {},
        ["registered_town"],
    ),
    "years_since_registration_min": (
        {"kind": "years_since_registration_min", "years": 3},
        {"registered_on": "2023-11-27"},  # exactly three years today
        {"registered_on": "2023-11-28"},  # one day short
        {},
        ["registered_on"],
    ),
    "years_since_registration_max": (
        {"kind": "years_since_registration_max", "years": 2},
        {"registered_on": "2024-11-28"},  # two years tomorrow
        {"registered_on": "2024-11-27"},  # two years today: no longer 未满两年
        {},
        ["registered_on"],
    ),
    "employees_min": (
        {"kind": "employees_min", "value": 50},
        {"employees": 50},
        {"employees": 49},
        {},
        ["employees"],
    ),
    "employees_max": (
        {"kind": "employees_max", "value": 20},
        {"employees": 20},
        {"employees": 21},
        {},
        ["employees"],
    ),
    "revenue_min": (
        {"kind": "revenue_min", "value_wan": 20000},
        {"revenue_wan": 20000},
        {"revenue_wan": 19999.5},
        {},
        ["revenue_wan"],
    ),
    "revenue_max": (
        {"kind": "revenue_max", "value_wan": 20000},
        {"revenue_wan": 20000},
        {"revenue_wan": 20000.1},
        {},
        ["revenue_wan"],
    ),
    "rd_ratio_min": (
        {"kind": "rd_ratio_min", "value": 0.03},
        {"rd_ratio": 0.03},
        {"rd_ratio": 0.029},
        {},
        ["rd_ratio"],
    ),
    "certification_required": (
        {"kind": "certification_required", "any_of": ["高新技术企业", "专精特新"]},
        {"certifications": ["专精特新小巨人"]},  # 小巨人 implies 专精特新
        {"certifications": []},  # known: holds none
        {},
        ["certifications"],
    ),
}


def test_table_covers_every_condition_kind():
    assert set(TABLE) == set(CONDITION_KINDS)


@pytest.mark.parametrize("kind", sorted(TABLE))
def test_condition_eligible(kind):
    condition, good, _, _, _ = TABLE[kind]
    match = match_policy(EnterpriseProfile.model_validate(good), make_policy(condition), today=TODAY)
    assert match.verdict == "eligible", match.reason
    assert match.outcomes[0].status == "met"
    assert "符合" in match.reason and "不符合" not in match.reason
    assert match.missing_facts == () and match.failing == ()


@pytest.mark.parametrize("kind", sorted(TABLE))
def test_condition_not_eligible_names_the_failing_condition(kind):
    condition, _, bad, _, _ = TABLE[kind]
    match = match_policy(EnterpriseProfile.model_validate(bad), make_policy(condition), today=TODAY)
    assert match.verdict == "not_eligible"
    assert [outcome.kind for outcome in match.failing] == [kind]
    assert "不符合" in match.failing[0].reason


@pytest.mark.parametrize("kind", sorted(TABLE))
def test_condition_possibly_eligible_names_missing_facts(kind):
    condition, _, _, unknown, fields = TABLE[kind]
    match = match_policy(EnterpriseProfile.model_validate(unknown), make_policy(condition), today=TODAY)
    assert match.verdict == "possibly_eligible"
    assert [fact.field for fact in match.missing_facts] == fields
    assert all(fact.label for fact in match.missing_facts)
    assert "无法判断" in match.reason


def test_size_with_unknown_industry_asks_for_the_industry():
    match = match_policy(EnterpriseProfile(employees=5), make_policy(TABLE["size_in"][0]), today=TODAY)
    assert [fact.field for fact in match.missing_facts] == ["industry"]


def test_a_failing_condition_outweighs_a_missing_fact():
    policy = make_policy({"kind": "employees_min", "value": 50}, {"kind": "rd_ratio_min", "value": 0.03})
    match = match_policy(EnterpriseProfile(employees=10), policy, today=TODAY)
    assert match.verdict == "not_eligible"
    assert [outcome.kind for outcome in match.failing] == ["employees_min"]


def test_missing_facts_are_listed_once_across_conditions():
    policy = make_policy({"kind": "employees_min", "value": 5}, {"kind": "employees_max", "value": 50})
    match = match_policy(EnterpriseProfile(), policy, today=TODAY)
    assert [(fact.field, fact.label) for fact in match.missing_facts] == [("employees", "从业人员数")]


@pytest.mark.parametrize(
    ("overrides", "today", "word"),
    [
        ({"expires_on": "2026-11-26"}, TODAY, "已失效"),
        ({"effective_from": "2026-11-28"}, TODAY, "未生效"),
    ],
)
def test_policies_outside_validity_never_match(overrides, today, word):
    policy = make_policy(**overrides)  # no conditions: would otherwise be eligible for anyone
    match = match_policy(EnterpriseProfile(), policy, today=today)
    assert match.verdict == "not_eligible"
    assert word in match.reason and match.failing[0].kind == "validity"


def test_validity_bounds_are_inclusive():
    assert match_policy(EnterpriseProfile(), make_policy(expires_on="2026-11-27"), today=TODAY).verdict == "eligible"
    policy = make_policy(effective_from="2026-11-27")
    assert match_policy(EnterpriseProfile(), policy, today=TODAY).verdict == "eligible"


def test_bundled_expired_policies_never_match_even_a_perfect_profile():
    policies = load_policies()
    expired = [policy for policy in policies if policy.expires_on and policy.expires_on < TODAY]
    assert len(expired) >= 2
    profile = EnterpriseProfile(industry="零售业", employees=12, revenue_wan=300, registered_on=date(2020, 1, 1))
    result = match_policies(profile, expired, today=TODAY)
    assert result.eligible == () and result.possibly_eligible == ()
    assert all("已失效" in match.reason for match in result.not_eligible)
    # The same records before expiry do match: the verdict comes from the date alone.
    earlier = match_policies(profile, expired, today=date(2026, 4, 1))
    assert len(earlier.eligible) == len(expired)


def test_citation_and_mian_shen_flag_are_carried():
    policy = make_policy(mian_shen_ji_xiang=True)
    match = match_policy(EnterpriseProfile(), policy, today=TODAY)
    assert match.mian_shen_ji_xiang
    assert match.citation.doc_number == "闵府办发〔2026〕1号"
    assert (
        match.citation.text()
        == "闵行区加快打造国际一流营商环境行动方案（2026年）（闵府办发〔2026〕1号） 二、（六）加大融资服务力度"
    )


def test_realistic_profile_end_to_end():
    profile = EnterpriseProfile.model_validate(
        {
            "uscc": "91350100M000100Y43",
            "industry": "软件和信息技术服务业",
            "employees": 45,
            "revenue_wan": 3200,
            "registered_town": "马桥镇",
            "registered_on": "2021-05-10",
            "rd_ratio": 0.12,
            "certifications": ["科技型中小企业"],
        }
    )
    policies = load_policies()
    result = match_policies(profile, policies, today=TODAY)
    eligible = {match.policy.id for match in result.eligible}
    failing = {match.policy.id: match for match in result.not_eligible}
    assert len(result.eligible) + len(result.possibly_eligible) + len(result.not_eligible) == len(policies)
    assert {"MH-2026-026", "MH-2026-009", "MH-2026-010", "MH-2026-011", "MH-2026-001"} <= eligible
    assert result.possibly_eligible == ()  # every fact is known
    assert failing["MH-2026-008"].failing[0].kind == "certification_required"  # not a 高新技术企业
    assert failing["MH-2026-002"].failing[0].kind == "industry_in"  # 首台套 is for manufacturers
    assert "已失效" in failing["MH-2026-X01"].reason
    flags = [match.mian_shen_ji_xiang for match in result.eligible]
    assert flags == sorted(flags, reverse=True)  # 免申即享 first


def test_sparse_profile_gets_possibly_eligible_with_missing_facts():
    profile = EnterpriseProfile(industry="餐饮业", registered_town="虹桥镇")
    result = match_policies(profile, load_policies(), today=TODAY)
    by_id = {match.policy.id: match for match in result.possibly_eligible}
    night = by_id["MH-2026-023"]  # 夜间经济: industry and town met, size undecided
    assert {fact.field for fact in night.missing_facts} == {"employees", "revenue_wan"}
    assert "MH-2026-029" in {match.policy.id for match in result.not_eligible}  # 工业上楼: not 制造业
