"""The bundled policy catalogue is valid, and bad records fail with Chinese errors naming record and field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from minfu.errors import InvalidInputError
from tools.policies import CONDITION_KINDS, load_policies, load_profile, parse_policies, parse_profile
from tools.policies.models import MINHANG_TOWNS, uscc_is_valid

TODAY = date(2026, 11, 27)


def test_bundled_catalogue_shape():
    policies = load_policies()
    assert len(policies) >= 30
    assert all(policy.sample and policy.sample_note for policy in policies)
    assert len({policy.id for policy in policies}) == len(policies)
    in_force = [policy for policy in policies if policy.expires_on is None or policy.expires_on >= TODAY]
    assert len(in_force) >= 30
    assert 2 <= len(policies) - len(in_force) <= 3
    used = {condition.kind for policy in policies for condition in policy.conditions}
    assert used == set(CONDITION_KINDS)
    assert any(policy.mian_shen_ji_xiang for policy in policies)


def test_bundled_citations_point_to_the_action_plan_or_a_bundled_law():
    for policy in load_policies():
        assert policy.article
        if policy.doc_number:
            assert policy.doc_number == "闵府办发〔2026〕1号"
            assert policy.source_document == "闵行区加快打造国际一流营商环境行动方案（2026年）"
        else:
            assert policy.source_document in {"中华人民共和国中小企业促进法", "上海市促进中小企业发展条例"}


def test_bundled_catalogue_names_the_measures_of_the_action_plan():
    titles = "".join(policy.title for policy in load_policies())
    measures = "人才安居 首台（套） 无还本续贷 专精特新 高新技术企业 科技创新券 稳岗 外资研发中心 总部 知识产权"
    for measure in [*measures.split(), "数字化转型", "IPO", "开业", "首发经济", "信用修复"]:
        assert measure in titles, measure


def _record(**overrides: Any) -> dict[str, Any]:
    base = {
        "id": "X-1",
        "title": "t",
        "benefit": "b",
        "effective_from": "2026-01-23",
        "issuer": "i",
        "source_document": "s",
        "article": "a",
        "sample": True,
        "sample_note": "n",
    }
    return base | overrides


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (_record(conditions=[{"kind": "size_in", "sizes": ["巨型"]}]), "字段 conditions.0.size_in.sizes.0"),
        (_record(conditions=[{"kind": "town_in", "towns": ["徐汇"]}]), "不是闵行区的街镇：徐汇"),
        (_record(conditions=[{"kind": "certification_required", "any_of": ["ISO9001"]}]), "未登记的资质名称"),
        (_record(conditions=[{"kind": "age_max", "years": 3}]), "未知的条件类型"),
        (_record(expires_on="2026-01-01"), "早于生效日期"),
        (_record(sample_note=None), "必须写明 sample_note"),
        (_record(colour="red"), "字段 colour：不认识的字段"),
        ({k: v for k, v in _record().items() if k != "article"}, "字段 article：缺少必填字段"),
    ],
)
def test_bad_records_fail_in_chinese_naming_record_and_field(record, expected):
    with pytest.raises(InvalidInputError) as info:
        parse_policies([record], source="test")
    assert "政策第1条（id=X-1）" in info.value.message
    assert expected in info.value.message


def test_duplicate_ids_are_refused():
    with pytest.raises(InvalidInputError, match="id 重复"):
        parse_policies([_record(), _record()], source="test")


def test_load_policies_from_a_path(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("- {id: A, title: t, benefit: b, effective_from: 2026-01-01, issuer: i, source_document: s,"
                    " article: a, sample: false}\n", encoding="utf-8")  # fmt: skip
    assert [policy.id for policy in load_policies(path)] == ["A"]
    path.write_text("id: A\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="应为列表"):
        load_policies(path)


def test_profile_validation_and_normalisation(tmp_path):
    profile = parse_profile({"registered_town": "闵行区古美路街道", "uscc": "91110000802100433b"})
    assert profile.registered_town == "古美" and profile.registered_town in MINHANG_TOWNS
    assert profile.uscc == "91110000802100433B"
    with pytest.raises(InvalidInputError, match="企业画像 字段 uscc：统一社会信用代码格式或校验位不正确"):
        parse_profile({"uscc": "91110000802100433C"})
    with pytest.raises(InvalidInputError, match="企业画像 字段 rd_ratio：数值过大"):
        parse_profile({"rd_ratio": 3})
    path = tmp_path / "profile.json"
    path.write_text('{"industry": "制造业", "employees": 30}', encoding="utf-8")
    assert load_profile(path).employees == 30


def test_uscc_check_digit():
    assert uscc_is_valid("91350100M000100Y43")
    assert not uscc_is_valid("91350100M000100Y44")
    assert not uscc_is_valid("91350100M000100Y4")
    assert not uscc_is_valid("91350100M000100I43")  # I is not in the alphabet
