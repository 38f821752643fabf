"""The bundled investment data: valid, marked as sample, covering Minhang's towns; bad records named in Chinese."""

from pathlib import Path

import pytest

from tools.investment import InvestmentDataError, load_industry_packages, load_sites
from tools.investment.catalog import bundled_synonyms
from tools.investment.models import ACTION_PLAN, FACILITIES, INDUSTRIES, TOWNS

PLAN = Path(__file__).parents[3] / "knowledge/corpus/policies/minhang-2026-business-environment-action-plan.md"

GOOD_SITE = """
sites:
  - id: demo-01
    name: (示例) 测试园区
    kind: 产业园区
    town: 莘庄
    address: 莘庄镇
    industries: [人工智能]
    free_area_sqm: 100
    min_unit_sqm: 10
    rent_yuan_per_sqm_day: {min: 2.0, max: 3.0}
    facilities: [地铁]
    contact: 示例联系人
    sample: true
    sample_note: 示例
"""


def test_bundled_sites_are_many_valid_samples_across_the_towns():
    sites = load_sites()
    assert len(sites) >= 24
    assert all(site.sample and site.name.startswith("(示例)") and site.sample_note for site in sites)
    assert {site.town for site in sites} == set(TOWNS)
    assert len({site.id for site in sites}) == len(sites)
    assert {"中试平台", "共享实验室", "孵化器"} <= {f for site in sites for f in site.facilities}
    assert {site.kind for site in sites} == {"产业园区", "商务楼宇", "孵化器", "标准厂房"}


def test_every_industry_has_a_package_and_a_site():
    packages = load_industry_packages()
    assert len(packages) >= 8
    assert {p.industry for p in packages} == set(INDUSTRIES)
    assert set(INDUSTRIES) <= {i for site in load_sites() for i in site.industries}
    assert all(p.sample and ACTION_PLAN in p.source for p in packages)


def test_package_sections_exist_in_the_action_plan():
    plan = PLAN.read_text(encoding="utf-8")
    for package in load_industry_packages():
        for section in package.source.split(" ", 1)[1].split("；"):
            title = section.split("）", 1)[1]
            assert title in plan, f"{package.industry}: {title}"


def test_synonyms_name_only_known_canonical_terms():
    table = bundled_synonyms()
    assert set(table["industries"]) <= set(INDUSTRIES)
    assert set(table["facilities"]) <= set(FACILITIES)


def test_an_operator_file_loads(tmp_path):
    path = tmp_path / "sites.yaml"
    path.write_text(GOOD_SITE, encoding="utf-8")
    (site,) = load_sites(path)
    assert site.town == "莘庄"
    assert site.rent_yuan_per_sqm_day.max == 3.0


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ("town: 莘庄", "town: 陆家嘴", "town", "允许"),
        ("free_area_sqm: 100", "free_area_sqm: -5", "free_area_sqm", "不小于"),
        ("{min: 2.0, max: 3.0}", "{min: 4.0, max: 3.0}", "rent_yuan_per_sqm_day", "租金下限"),
        ("[地铁]", "[地铁, 地铁]", "facilities", "重复"),
        ("[地铁]", "[游泳池]", "facilities.0", "允许"),
        ("name: (示例) 测试园区", "name: 测试园区", "（整条记录）", "示例"),
        ("    contact: 示例联系人\n", "", "contact", "缺少"),
    ],
)
def test_a_bad_record_is_named_with_its_field_in_chinese(tmp_path, old, new, field, words):
    path = tmp_path / "sites.yaml"
    path.write_text(GOOD_SITE.replace(old, new), encoding="utf-8")
    with pytest.raises(InvestmentDataError) as caught:
        load_sites(path)
    assert caught.value.field == field
    assert "第 1 条记录（demo-01）" in caught.value.message
    assert words in caught.value.message


def test_duplicate_ids_and_missing_list_are_rejected(tmp_path):
    path = tmp_path / "sites.yaml"
    record = GOOD_SITE.split("sites:\n", 1)[1]
    path.write_text("sites:\n" + record + record, encoding="utf-8")
    with pytest.raises(InvestmentDataError, match="demo-01 重复"):
        load_sites(path)
    path.write_text("packages: []", encoding="utf-8")
    with pytest.raises(InvestmentDataError, match="sites"):
        load_sites(path)


def test_a_package_without_the_plan_citation_is_rejected(tmp_path):
    path = tmp_path / "packages.yaml"
    record = "{industry: 人工智能, title: 服务包, measures: [一条措施内容], source: 某文件, sample: true}"
    path.write_text(f"packages:\n  - {record}", encoding="utf-8")
    with pytest.raises(InvestmentDataError, match="第 1 条记录（人工智能），字段 source"):
        load_industry_packages(path)
