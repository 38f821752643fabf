from pathlib import Path

import pytest

from minfu.errors import DocumentLoadError, InvalidInputError
from tests.tools.dictionary.colloquial_table import COLLOQUIAL
from tools.dictionary.loader import data_path, load_bundled, load_yaml
from tools.dictionary.lookup import ServiceDictionary, load_synonyms, normalize

CENTER_ADDRESS = "上海市闵行区沪闵路6258号"


@pytest.fixture(scope="module")
def matters():
    return load_bundled()


def test_bundled_dictionary_has_at_least_60_sample_records(matters):
    assert len(matters) >= 60
    assert len({m.code for m in matters}) == len(matters)
    for matter in matters:
        assert matter.sample, matter.code
        assert "闵服通" in matter.sample_note, matter.code


def test_action_plan_matters_are_present(matters):
    names = {n for m in matters for n in m.names()}
    for wanted in [
        "开店一件事",
        "个人创业一件事",
        "企业开办",
        "企业名称申报",
        "经营范围变更登记",
        "人才安居补贴",
        "信用修复",
        "欠薪保障金垫付",
        "外摆设摊",
        "户外招牌设置",
        "首台套",
        "无还本续贷",
        "工程建设项目审批",
        "施工许可",
        "消防验收",
        "排水许可",
        "高新技术企业认定",
        "专精特新",
        "进出口备案",
        "外资企业设立",
        "知识产权质押",
        "稳岗补贴",
        "税务登记",
        "社保登记",
        "公积金开户",
    ]:
        assert wanted in names, wanted


def test_bundles_reference_existing_matters(matters):
    codes = {m.code for m in matters}
    bundles = [m for m in matters if m.is_bundle]
    assert len(bundles) >= 4
    for bundle in bundles:
        assert bundle.code not in bundle.bundle_members
        assert set(bundle.bundle_members) <= codes, bundle.code


def test_places_are_the_real_centre_or_marked_as_sample(matters):
    for matter in matters:
        for place in matter.places:
            assert place.address == CENTER_ADDRESS or "样例" in place.address, (matter.code, place)


def test_every_synonym_target_exists_in_the_bundled_dictionary(matters):
    known = {normalize(m.name) for m in matters} | {m.code for m in matters}
    table = load_synonyms(data_path("matter_synonyms.yaml"))
    missing = {t for targets in table.values() for t in targets if t not in known and normalize(t) not in known}
    assert not missing


def test_colloquial_questions_find_the_right_matter_at_rank_1(matters):
    dictionary = ServiceDictionary(matters)
    assert len(COLLOQUIAL) >= 45
    assert {code for _, code in COLLOQUIAL} <= {m.code for m in matters}
    ranked = {q: [m.matter.code for m in dictionary.find(q, 3)] for q, _ in COLLOQUIAL}
    misses = [(q, code, ranked[q]) for q, code in COLLOQUIAL if ranked[q][:1] != [code]]
    accuracy = 1 - len(misses) / len(COLLOQUIAL)
    print(f"\nrank-1 accuracy {accuracy:.1%} ({len(COLLOQUIAL) - len(misses)}/{len(COLLOQUIAL)}); misses: {misses}")
    assert accuracy >= 0.90


def test_load_yaml_rejects_duplicate_codes_and_non_lists(tmp_path: Path):
    record = "- {code: A, name: 甲, department: 部门, matter_type: 公共服务, source: s, sample: false}\n"
    duplicate = tmp_path / "dup.yaml"
    duplicate.write_text(record * 2, encoding="utf-8")
    with pytest.raises(InvalidInputError, match="A 重复"):
        load_yaml(duplicate)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n", encoding="utf-8")
    with pytest.raises(DocumentLoadError):
        load_yaml(scalar)
    single = tmp_path / "one.yaml"
    single.write_text("matters:\n" + record, encoding="utf-8")
    assert [m.code for m in load_yaml(single)] == ["A"]
