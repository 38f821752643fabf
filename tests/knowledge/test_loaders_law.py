from datetime import date
from pathlib import Path

import pytest

from knowledge.loaders import load_file
from knowledge.loaders._text import cn_to_int, find_dates
from minfu.domain import DocumentKind, LoadedDocument

LAWS = Path(__file__).parent / "fixtures" / "laws"


def _one(path: Path) -> LoadedDocument:
    [loaded] = load_file(path)
    return loaded


def _article(loaded: LoadedDocument, label: str):
    [section] = [s for s in loaded.sections if s.article == label]
    return section


def test_regulation_with_history_chapters_and_decree_number():
    loaded = _one(LAWS / "保障中小企业款项支付条例(2025-03-17).md")
    doc = loaded.document
    assert doc.id == "law:保障中小企业款项支付条例@2025-03-17"
    assert (doc.kind, doc.title, doc.series, doc.version) == (
        DocumentKind.LAW,
        "保障中小企业款项支付条例",
        "保障中小企业款项支付条例",
        "2025-03-17",
    )
    assert (doc.issuer, doc.doc_number) == ("国务院", "国务院令第802号")
    assert (doc.published, doc.effective_from) == (date(2025, 3, 17), date(2025, 6, 1))
    assert doc.extra["history"].splitlines() == [
        "2020年7月5日 中华人民共和国国务院令第728号公布",
        "2025年3月17日 中华人民共和国国务院令第802号修订）",
    ]
    first = loaded.sections[0]
    assert (first.path, first.article) == (("第一章 总则",), "第一条")
    assert first.text.startswith("第一条 为了促进机关、事业单位和大型企业及时支付中小企业款项")
    third = _article(loaded, "第三条")
    assert third.text.count("\n") == 1  # two paragraphs of one article stay together
    assert "应当主动告知其属于中小企业" in third.text
    assert _article(loaded, "第三十七条").path == ("第五章 附则",)


def test_version_from_file_name_when_there_is_no_history():
    doc = _one(LAWS / "保障中小企业款项支付条例(2020-07-05).md").document
    assert doc.id == "law:保障中小企业款项支付条例@2020-07-05"
    assert doc.published == date(2020, 7, 5)
    assert doc.effective_from == date(2020, 9, 1)
    assert doc.issuer is None and "history" not in doc.extra


def test_law_with_sections_and_invisible_characters():
    loaded = _one(LAWS / "公司法(2023-12-29).md")
    doc = loaded.document
    assert (doc.title, doc.issuer) == ("中华人民共和国公司法", "全国人民代表大会常务委员会")
    assert doc.effective_from == date(2024, 7, 1)
    assert len(doc.extra["history"].splitlines()) == 7
    assert _article(loaded, "第四十二条").path == ("第三章 有限责任公司的设立和组织机构", "第一节 设立")
    assert _article(loaded, "第五十八条").path == ("第三章 有限责任公司的设立和组织机构", "第二节 组织机构")
    assert _article(loaded, "第二百六十六条").path == ("第十五章 附则",)
    assert all(s.text.strip() and "\u200b" not in s.text for s in loaded.sections)
    assert all(s.article for s in loaded.sections)


def test_shanghai_regulation_with_and_without_date():
    undated = _one(LAWS / "上海市未成年人保护条例.md").document
    dated = _one(LAWS / "上海市未成年人保护条例(2024-12-31).md").document
    assert undated.id == "law:上海市未成年人保护条例" and undated.version is None
    assert undated.effective_from == date(2005, 3, 1)
    assert dated.id == "law:上海市未成年人保护条例@2024-12-31"
    assert dated.issuer == "上海市人民代表大会常务委员会"
    assert undated.series == dated.series == "上海市未成年人保护条例"


def test_decision_without_articles_keeps_numbered_items_with_their_paragraphs():
    loaded = _one(LAWS / "上海市人民代表大会常务委员会关于进一步促进和保障“一网通办”改革的决定(2021-06-23).md")
    texts = [s.text for s in loaded.sections]
    assert texts[0].startswith("为了进一步完善本市“一网通办”服务")
    assert texts[1].startswith("一、本市推进“一网通办”改革")
    item_two = next(t for t in texts if t.startswith("二、"))
    assert "各市级部门应当加强对本领域" in item_two  # the item's second paragraph
    assert loaded.document.effective_from == date(2021, 7, 1)
    assert loaded.document.issuer == "上海市人民代表大会常务委员会"


def test_article_numbers_parts_and_preamble(tmp_path):
    path = tmp_path / "示例法.md"
    path.write_text(
        "# 示例法\n\n2019年3月15日 第十三届全国人民代表大会第二次会议通过\n\n<!-- INFO END -->\n\n"
        "序言的文字。\n\n## 第一编 总则\n\n## 第一章 一般规定\n\n第一条 第一条的文字。\n\n"
        "## 第二章 其他规定\n\n第一百零一条　第一百零一条的文字。\n\n第一百零一条之一 之一的文字。\n\n"
        "## 第二编 分则\n\n第一百零二条 本法自公布之日起施行。\n",
        encoding="utf-8",
    )
    loaded = _one(path)
    assert [(s.path, s.article) for s in loaded.sections] == [
        ((), None),
        (("第一编 总则", "第一章 一般规定"), "第一条"),
        (("第一编 总则", "第二章 其他规定"), "第一百零一条"),
        (("第一编 总则", "第二章 其他规定"), "第一百零一条之一"),
        (("第二编 分则",), "第一百零二条"),
    ]
    assert loaded.sections[2].text == "第一百零一条 第一百零一条的文字。"
    doc = loaded.document
    assert doc.version == "2019-03-15" and doc.issuer == "全国人民代表大会"
    assert doc.effective_from == doc.published == date(2019, 3, 15)


def test_amended_text_keeps_old_in_force_date_so_version_applies_from_publication(tmp_path):
    path = tmp_path / "上海市某条例.md"
    path.write_text(
        "# 上海市某条例\n\n2001年1月1日 上海市第十一届人民代表大会常务委员会第三次会议通过\n\n"
        "2021年3月24日 上海市第十五届人民代表大会常委会第三十次会议《关于修改的决定》第一次修正\n\n"
        "<!-- INFO END -->\n\n第一条 本条例自2001年5月1日起施行。\n",
        encoding="utf-8",
    )
    doc = _one(path).document
    assert doc.version == "2021-03-24" and doc.issuer == "上海市人民代表大会常务委员会"
    assert doc.effective_from == date(2021, 3, 24)


def test_empty_law_body_is_a_load_error(tmp_path):
    from minfu.errors import DocumentLoadError

    path = tmp_path / "空法.md"
    path.write_text("# 空法\n\n<!-- INFO END -->\n\n", encoding="utf-8")
    with pytest.raises(DocumentLoadError) as error:
        load_file(path)
    assert "空法.md" in error.value.message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十一", 11),
        ("二十", 20),
        ("一百零一", 101),
        ("二百六十六", 266),
        ("二〇二六", 2026),
        ("12", 12),
        ("甲", None),
    ],
)
def test_chinese_numerals(text, value):
    assert cn_to_int(text) == value


def test_dates_in_arabic_and_chinese_numerals():
    assert find_dates("2026年1月23日 与 二〇二六年一月二十三日，及 2026年2月30日") == [date(2026, 1, 23)] * 2


def test_a_text_that_only_mentions_the_marker_is_not_a_law(tmp_path):
    path = tmp_path / "about.md"
    path.write_text("# 语料说明\n\n法规文件在 `<!-- INFO END -->` 之后是正文。\n", encoding="utf-8")
    [loaded] = load_file(path)
    assert loaded.document.kind is DocumentKind.POLICY
