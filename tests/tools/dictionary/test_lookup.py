from pathlib import Path

import pytest

from minfu.errors import DocumentLoadError, InvalidInputError
from tools.dictionary.loader import load_bundled
from tools.dictionary.lookup import ServiceDictionary, bigrams, normalize, strip_fillers


@pytest.fixture(scope="module")
def dictionary():
    return ServiceDictionary(load_bundled())


def test_exact_name_scores_one(dictionary):
    best = dictionary.find("食品经营许可")[0]
    assert (best.matter.code, best.score, best.how) == ("MH-SJ-SHIPIN", 1.0, "exact")


def test_alias_and_punctuation_are_tolerated(dictionary):
    best = dictionary.find(" 核名？")[0]
    assert (best.matter.code, best.how) == ("MH-SJ-MINGCHENG", "alias")


def test_a_name_inside_a_question_is_found(dictionary):
    best = dictionary.find("请问建设工程消防验收要多少天")[0]
    assert (best.matter.code, best.how) == ("MH-XF-YANSHOU", "contains")


def test_a_misspelt_name_is_found_fuzzily(dictionary):
    best = dictionary.find("建筑工程施工许可正")[0]
    assert best.matter.code == "MH-JG-SHIGONG"


def test_results_are_sorted_and_limited(dictionary):
    results = dictionary.find("补贴", k=4)
    assert 1 <= len(results) <= 4
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert all(0 < r.score <= 1 for r in results)
    assert dictionary.find("   ") == [] and dictionary.find("许可", k=0) == []


def test_get_and_bundle_members(dictionary):
    assert dictionary.get("MH-SJ-SHIPIN").name == "食品经营许可"
    assert dictionary.get("NOPE") is None
    members = [m.code for m in dictionary.bundle_members("MH-YJS-KAIDIAN")]
    assert members[:2] == ["MH-SJ-SHELI", "MH-SJ-SHIPIN"] and "MH-LH-ZHAOPAI" in members
    assert dictionary.bundle_members("MH-SJ-SHIPIN") == []
    with pytest.raises(InvalidInputError):
        dictionary.bundle_members("NOPE")


def test_operators_can_pass_their_own_synonym_table(tmp_path: Path):
    own = tmp_path / "own.yaml"
    own.write_text("撸串: [外摆设摊]\n奶茶店: MH-WJ-GGCS\n不存在: [没有这个事项]\n", encoding="utf-8")
    dictionary = ServiceDictionary(load_bundled(), synonyms_path=own)
    assert dictionary.find("晚上想撸串")[0].matter.code == "MH-CG-WAIBAI"
    assert dictionary.find("奶茶店")[0].matter.code == "MH-WJ-GGCS"  # the own table replaces the bundled one


@pytest.mark.parametrize("text", ["- a\n- b\n", "奶茶店: [1, 2]\n", "奶茶店: [\n"])
def test_a_malformed_synonym_table_is_rejected(tmp_path: Path, text):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentLoadError):
        ServiceDictionary(load_bundled(), synonyms_path=bad)


def test_text_helpers():
    assert normalize(" 开 KTV！") == "开ktv"
    assert strip_fillers("我想问怎么办执照吗") == "问办执照"
    assert bigrams("核名") == frozenset({"核名"}) and bigrams("许可证") == frozenset({"许可", "可证"})
