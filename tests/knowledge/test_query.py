from pathlib import Path

import pytest

from knowledge.query import QueryExpander
from minfu.errors import ConfigurationError


def test_longest_key_wins_and_terms_are_added_once() -> None:
    expander = QueryExpander({"开店": ["开店一件事"], "开网店": ["电子商务经营者"], "网店": ["电子商务经营者"]})
    assert expander.terms("想开网店") == ["电子商务经营者"]
    assert expander.expand("开店要跑几个部门") == "开店要跑几个部门 开店一件事"


def test_terms_already_in_the_query_are_not_repeated() -> None:
    assert QueryExpander({"员工": ["劳动者"]}).expand("员工即劳动者吗") == "员工即劳动者吗"


def test_a_query_without_everyday_words_is_unchanged() -> None:
    assert QueryExpander.bundled().expand("第八条") == "第八条"


@pytest.mark.parametrize(
    ("question", "official"),
    [
        ("开个奶茶店要跑几个部门", "食品经营"),
        ("租房补贴怎么申请", "人才安居补贴"),
        ("客户拖着货款不给", "款项"),
        ("员工试用能约定多久", "试用期"),
    ],
)
def test_bundled_table_reaches_official_terms(question: str, official: str) -> None:
    assert official in QueryExpander.bundled().terms(question)


def test_operator_file_extends_and_overrides(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text("奶茶店: [现制饮品]\n拎包: 拎包开业\n", encoding="utf-8")
    expander = QueryExpander.bundled(extra)
    assert expander.terms("奶茶店") == ["现制饮品"]
    assert expander.terms("拎包入驻") == ["拎包开业"]


@pytest.mark.parametrize("text", ["- a\n- b\n", "键: []\n", "a: [b\n"])
def test_bad_operator_file_is_a_clear_configuration_error(tmp_path: Path, text: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="同义词表"):
        QueryExpander.bundled(bad)


def test_missing_operator_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="无法读取同义词表"):
        QueryExpander.bundled(tmp_path / "nope.yaml")
