"""Lookup by meaning: with an embedder, a matter is found from words that appear only in what it is about."""

import pytest

from knowledge.embedders.hashing import HashingEmbedder
from tests.tools.dictionary.colloquial_table import COLLOQUIAL
from tools.dictionary.loader import load_bundled
from tools.dictionary.lookup import ServiceDictionary
from tools.dictionary.models import ServiceMatter


def _matter(code: str, name: str, conditions: str) -> ServiceMatter:
    return ServiceMatter(
        code=code,
        name=name,
        department="区某局",
        matter_type="公共服务",
        conditions=(conditions,),
        source="test",
        sample=True,
        sample_note="测试数据",
    )


MATTERS = [
    _matter("A", "甲类备案", "冷链仓储企业储存进口冷冻肉品前须登记批次与检疫证明"),
    _matter("B", "乙类核准", "户外广告设施设置前须取得规划与结构安全意见"),
    _matter("C", "丙类登记", "民办培训机构开办须有场地消防合格证明"),
]


def test_without_an_embedder_the_conditions_are_not_searched() -> None:
    assert [m.matter.code for m in ServiceDictionary(MATTERS).find("冷冻肉品检疫证明", k=3)] == []


def test_with_an_embedder_the_closest_matter_by_meaning_comes_first() -> None:
    dictionary = ServiceDictionary(MATTERS, embedder=HashingEmbedder(dimension=512))
    best = dictionary.find("进口冷冻肉品检疫证明", k=3)[0]
    assert (best.matter.code, best.how) == ("A", "meaning")
    assert all(0.0 <= m.score <= 1.0 for m in dictionary.find("进口冷冻肉品检疫证明", k=3))


def test_an_exact_name_still_wins_with_an_embedder() -> None:
    dictionary = ServiceDictionary(MATTERS, embedder=HashingEmbedder(dimension=512))
    assert dictionary.find("乙类核准", k=1)[0].how == "exact"


@pytest.mark.model
def test_e5_meaning_lifts_colloquial_lookup() -> None:
    from knowledge.embedders.e5 import E5Embedder

    matters = load_bundled()
    plain, with_meaning = ServiceDictionary(matters), ServiceDictionary(matters, embedder=E5Embedder())
    right = [sum(d.find(q, 1)[0].matter.code == code for q, code in COLLOQUIAL) for d in (plain, with_meaning)]
    print(f"\nrank-1: lexical {right[0]}/{len(COLLOQUIAL)}, with e5 meaning {right[1]}/{len(COLLOQUIAL)}")
    assert right[1] >= right[0] and right[1] / len(COLLOQUIAL) >= 0.95
