"""Site recommendation: a table of investor requests with the expected top site, filters, reasons, bad input."""

from collections.abc import Sequence

import pytest

from minfu.errors import InvalidInputError
from tools.investment import (
    Recommendation,
    explain_exclusions,
    industry_package,
    load_sites,
    monthly_rent_range,
    recommend_sites,
)
from tools.investment.vocabulary import canonical_facility, canonical_industry, canonical_town

SITES = load_sites()
BY_ID = {site.id: site for site in SITES}


def _recommend(
    industry: str | None = None,
    area: float | None = None,
    budget: float | None = None,
    needs: Sequence[str] = (),
    town: str | None = None,
    k: int = 5,
) -> list[Recommendation]:
    return recommend_sites(
        SITES, industry=industry, area_sqm=area, budget_yuan_per_month=budget, needs=needs, town=town, k=k
    )


@pytest.mark.parametrize(
    ("request_", "top"),
    [
        (dict(industry="生物医药", area=2000, needs=["共享实验室", "中试平台"]), "mh-pj-01"),
        (dict(industry="创新药", area=50, needs=["孵化器"]), "mh-pj-02"),
        (dict(industry="芯片", area=3000, needs=["洁净车间"], town="颛桥镇"), "mh-zq-01"),
        (dict(industry="AI", area=1000, needs=["公寓"], town="马桥"), "mh-mq-01"),
        (dict(industry="现代服务", area=500, budget=50_000), "mh-zq-02"),
        (dict(industry="大模型", area=300, needs=["概念验证", "地铁"]), "mh-jc-01"),
        (dict(industry="航空", area=2000, needs=["中试平台"]), "mh-hc-02"),
        (dict(industry="总部", area=1000, town="新虹"), "mh-xh-01"),
        (dict(industry="文创", area=30, needs=["孵化器"], budget=5_000), "mh-qb-02"),
        (dict(industry="新材料", area=1500, needs=["检验检测"], budget=80_000), "mh-wj-02"),
        (dict(industry="高端装备", area=12_000, budget=500_000), "mh-mq-02"),
        (dict(industry="集成电路", area=4000, needs=["人才公寓", "洁净车间"]), "mh-xzgy-02"),
    ],
)
def test_the_expected_site_ranks_first(request_, top):
    results = _recommend(**request_)
    assert results[0].site.id == top, [(r.site.id, r.score) for r in results]
    assert results[0].score > 0.8


def test_biotech_needing_a_shared_lab_gets_sites_that_have_one_first():
    results = _recommend(industry="生物医药", needs=["共享实验室"], k=3)
    assert all("共享实验室" in r.site.facilities and "生物医药" in r.site.industries for r in results)
    assert all(r.fits == {"industry": True, "needs": True} for r in results)


def test_results_are_sorted_and_scores_are_shares_of_the_weights():
    results = _recommend(industry="人工智能", area=800, budget=65_000, needs=["人才公寓"], k=10)
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert results[0].site.id == "mh-mq-01" and results[0].score == 1.0 and all(results[0].fits.values())
    tighter = _recommend(industry="人工智能", area=800, budget=60_000, needs=["人才公寓"], k=1)[0]
    assert tighter.site.id == "mh-mq-01"  # 43,200–62,400 元: budget earns 1 of 2 points, 8 of 9 overall
    assert tighter.score == round(8 / 9, 3) and tighter.fits["budget"] is False


def test_sites_too_small_are_excluded_and_explained():
    results = _recommend(area=10_000, k=50)
    assert {r.site.id for r in results} == {"mh-mq-02", "mh-xzgy-01", "mh-jc-02"}
    exclusions = explain_exclusions(SITES, area_sqm=10_000)
    assert len(exclusions) == len(SITES) - 3
    hq = next(e for e in exclusions if e.site.id == "mh-hq-01")
    assert "5,000㎡" in hq.reason and "10,000㎡" in hq.reason


def test_a_request_below_the_minimum_unit_is_rented_by_the_unit():
    factory = BY_ID["mh-jc-02"]  # min unit 2,000㎡ at 1.3–1.8 元/㎡/天
    assert monthly_rent_range(factory, 500) == (78_000, 108_000)
    (result,) = [r for r in _recommend(area=500, k=50) if r.site.id == "mh-jc-02"]
    assert result.fits["area"] is False
    assert any("需按 2,000㎡ 起租" in reason for reason in result.reasons)


def test_budget_splits_within_partial_and_over():
    results = {r.site.id: r for r in _recommend(area=1000, budget=150_000, k=50)}
    assert results["mh-mq-01"].fits["budget"] is True  # 54,000–78,000
    assert results["mh-xz-01"].fits["budget"] is False  # 126,000–165,000: only partly
    assert "部分房源在预算内" in results["mh-xz-01"].reasons[-1]
    assert "超出预算" in results["mh-hq-01"].reasons[-1]  # 195,000–255,000
    assert results["mh-hq-01"].monthly_rent_range_yuan == (195_000, 255_000)
    assert results["mh-xz-01"].score > results["mh-hq-01"].score


def test_reasons_state_the_matched_facts():
    top = _recommend(industry="医药", area=2000, budget=250_000, needs=["实验室", "中试"], town="浦江镇")[0]
    assert top.site.id == "mh-pj-01"
    text = "\n".join(top.reasons)
    facts = ("产业方向匹配：生物医药", "7,000㎡", "2,000㎡", "168,000–228,000 元", "在预算内", "共享实验室、中试平台")
    for fact in facts:
        assert fact in text
    assert "位于意向区域：浦江" in text


def test_reasons_state_what_is_missing():
    result = next(r for r in _recommend(industry="生物医药", needs=["共享实验室", "洁净车间"], k=50))
    assert result.fits["needs"] is False
    assert any(reason.startswith("缺少所需配套：洁净车间") for reason in result.reasons)


def test_no_criteria_ranks_everything_by_cheapest_unit():
    results = _recommend(k=3)
    assert [r.score for r in results] == [0.0, 0.0, 0.0]
    rents = [r.monthly_rent_range_yuan[0] for r in _recommend(k=50)]
    assert rents == sorted(rents)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(area=-100), "area_sqm"),
        (dict(area=0), "area_sqm"),
        (dict(area=float("nan")), "area_sqm"),
        (dict(budget=-1), "budget_yuan_per_month"),
        (dict(budget=float("inf")), "budget_yuan_per_month"),
        (dict(industry="挖矿"), "industry"),
        (dict(town="浦东"), "town"),
        (dict(needs=["游泳池"]), "needs"),
        (dict(k=0), "k"),
        (dict(k=51), "k"),
    ],
)
def test_bad_input_is_rejected_in_chinese(kwargs, field):
    with pytest.raises(InvalidInputError) as caught:
        _recommend(**kwargs)
    assert caught.value.field == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)


def test_negative_area_is_rejected_by_explain_exclusions_too():
    with pytest.raises(InvalidInputError, match="面积必须是大于 0 的数字"):
        explain_exclusions(SITES, area_sqm=-1)


@pytest.mark.parametrize(
    ("word", "industry"),
    [
        ("人工智能", "人工智能"),
        ("AI", "人工智能"),
        ("ai", "人工智能"),
        ("医药", "生物医药"),
        ("创新药", "生物医药"),
        ("创新药研发", "生物医药"),
        ("半导体", "集成电路"),
        ("低空经济", "航空航天"),
        ("短剧", "文创"),
        ("跨国公司总部", "总部经济"),
    ],
)
def test_industry_package_by_synonym(word, industry):
    package = industry_package(word)
    assert package.industry == industry
    assert package.measures and "闵府办发〔2026〕1号" in package.source


def test_unknown_industry_package_is_an_explained_error():
    with pytest.raises(InvalidInputError, match="未找到“挖矿”的行业服务包"):
        industry_package("挖矿")


def test_vocabulary_maps_towns_and_facilities():
    assert canonical_town("江川路街道") == "江川路"
    assert canonical_town("古美路街道") == "古美"
    assert canonical_town("莘庄工业区") == "莘庄工业区"
    assert canonical_town("莘庄镇") == "莘庄"
    assert canonical_town("陆家嘴") is None
    assert canonical_facility("无尘车间") == "洁净车间"
    assert canonical_industry("") is None
