from datetime import date
from pathlib import Path

from knowledge.loaders import load_file
from knowledge.loaders._text import ends_sentence
from minfu.domain import DocumentKind, LoadedDocument

PLAN = Path(__file__).parent / "fixtures" / "policies" / "minhang-2026-action-plan-excerpt.md"
NOTICE = "闵行区人民政府办公室关于印发《闵行区加快打造国际一流营商环境行动方案（2026年）》的通知"
PART_ONE = "一、完善企业服务机制，打造规范高效的政务环境"
PART_TWO = "二、优化产业发展生态，打造友好适配的产业环境"
PART_FOUR = "四、推动社会多元协同，打造包容亲商的共治环境"


def _plan() -> LoadedDocument:
    [loaded] = load_file(PLAN)
    return loaded


def _path_of(loaded: LoadedDocument, start: str) -> tuple[str, ...]:
    [section] = [s for s in loaded.sections if s.text.startswith(start)]
    return section.path


def test_plan_metadata_from_letterhead_number_dates_and_trailer():
    doc = _plan().document
    assert doc.kind is DocumentKind.POLICY
    assert doc.title == "闵行区加快打造国际一流营商环境行动方案（2026年）"
    assert doc.id == "policy:闵行区加快打造国际一流营商环境行动方案（2026年）"
    assert (doc.doc_number, doc.issuer, doc.published) == (
        "闵府办发〔2026〕1号",
        "闵行区人民政府办公室",
        date(2026, 1, 23),
    )
    assert doc.extra["disclosure"] == "主动公开"
    assert doc.extra["cc"].startswith("区委各部门")
    assert doc.extra["printed_on"] == "2026-01-23"


def test_page_breaks_in_mid_sentence_are_joined():
    texts = [s.text for s in _plan().sections]
    assert any("推动经营主体登记注册智能化，实现名称智能帮办" in t for t in texts)
    assert any("开展全链条产业政策梳理" in t for t in texts)
    assert any("建立企业服务效果反馈机制。" in t for t in texts)
    assert any("依托上海交大技术转移中心等概念验证服务平台" in t for t in texts)
    assert not any(t.startswith(("实现名称", "策梳理", "馈机制")) for t in texts)
    assert all(ends_sentence(t) for t in texts)


def test_heading_levels_come_from_numbering_not_from_hash_marks():
    loaded = _plan()
    assert _path_of(loaded, "推进线上线下融合办") == (PART_ONE, "（一）推动政务服务智慧好办")
    assert _path_of(loaded, "优化惠企政策服务") == (PART_ONE, "（二）实现政策服务直达快享")  # written as ##
    assert _path_of(loaded, "用足用好开放政策平台") == (PART_ONE, "（四）优化涉外服务提质增效")  # written as ####
    assert _path_of(loaded, "推行“一业一策”") == (PART_TWO, "（一）强化产业精准服务")  # ### 二、 then ####
    assert _path_of(loaded, "持续优化科创全链条服务") == (PART_TWO, "（二）优化创新创业服务")
    assert _path_of(loaded, "推动“街镇吹哨") == (PART_FOUR, "（一）提升基层营商服务能力")  # #### 四、 then #####
    assert _path_of(loaded, "完善外资企业圆桌会议") == (PART_FOUR, "（三）构建亲清统一政企沟通格局")


def test_notice_keeps_its_own_sections_before_the_plan():
    loaded = _plan()
    notice = [s for s in loaded.sections if s.path == (NOTICE,)]
    assert [s.text[:6] for s in notice] == ["各镇人民政府", "《闵行区加快", "特此通知。"]
    assert loaded.sections[:3] == tuple(notice)
    assert _path_of(loaded, "为加快打造市场化") == ()


def test_metadata_lines_are_not_sections():
    texts = "\n".join(s.text for s in _plan().sections)
    for marker in ("闵府办发", "抄送", "公开属性", "2026年1月23日", "人民政府办公室文件", "---"):
        assert marker not in texts


def test_plain_text_policy_with_wrapped_lines_and_numbered_headings(tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text(
        "关于支持小微企业发展的若干措施\n\n一、总体要求\n为进一步支持小微企业发展，减轻企业负担，结合本区实际，\n"
        "制定本措施。\n（一）降低经营成本\n对符合条件的，\n小微企业给予房租补贴。\n二、附则\n"
        "本措施自2024年1月1日起施行，有效期3年。\n",
        encoding="gb18030",
    )
    [loaded] = load_file(path)
    doc = loaded.document
    assert doc.title == "关于支持小微企业发展的若干措施"
    assert (doc.effective_from, doc.expires_on) == (date(2024, 1, 1), date(2026, 12, 31))
    assert [(s.path, s.text) for s in loaded.sections] == [
        (("一、总体要求",), "为进一步支持小微企业发展，减轻企业负担，结合本区实际，制定本措施。"),
        (("一、总体要求", "（一）降低经营成本"), "对符合条件的，小微企业给予房租补贴。"),
        (("二、附则",), "本措施自2024年1月1日起施行，有效期3年。"),
    ]


def test_arabic_numbered_headings_nest_below_chinese_ones(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text(
        "# 实施方案\n\n## 一、主要任务\n\n## 1. 优化服务\n\n### （1）线上办理\n\n全程网办。\n\n"
        "# 2. 强化保障\n\n加强保障。\n\n## 二、组织实施\n\n各部门负责。\n",
        encoding="utf-8",
    )
    [loaded] = load_file(path)
    assert [(s.path, s.text) for s in loaded.sections] == [
        (("一、主要任务", "1. 优化服务", "（1）线上办理"), "全程网办。"),
        (("一、主要任务", "2. 强化保障"), "加强保障。"),
        (("二、组织实施",), "各部门负责。"),
    ]


def test_short_unpunctuated_lines_are_not_joined_to_the_next(tmp_path):
    path = tmp_path / "p.md"
    path.write_text(
        "# 通知\n\n请各单位认真贯彻执行。\n\n上海市闵行区某某局\n\n2025年3月1日\n\n附件清单\n\n附件一的内容。\n\n"
        "## 学习贯彻文件\n\n认真学习。\n",
        encoding="utf-8",
    )
    [loaded] = load_file(path)
    assert [s.text for s in loaded.sections] == ["请各单位认真贯彻执行。", "附件清单", "附件一的内容。", "认真学习。"]
    assert loaded.sections[-1].path == ("学习贯彻文件",)  # not taken for a letterhead
    assert loaded.document.issuer == "上海市闵行区某某局"
    assert loaded.document.published == date(2025, 3, 1)


def test_letterhead_is_an_issuing_body_at_the_top(tmp_path):
    with_letterhead = tmp_path / "a.md"
    with_letterhead.write_text("# 上海市闵行区人民政府文件\n\n# 通知\n\n认真学习。\n", encoding="utf-8")
    [loaded] = load_file(with_letterhead)
    assert (loaded.document.issuer, loaded.document.title) == ("上海市闵行区人民政府", "通知")
    without = tmp_path / "b.md"
    without.write_text("# 通知\n\n## 学习贯彻文件\n\n认真学习。\n", encoding="utf-8")
    [loaded] = load_file(without)
    assert loaded.document.issuer is None
    assert [(s.path, s.text) for s in loaded.sections] == [(("学习贯彻文件",), "认真学习。")]
