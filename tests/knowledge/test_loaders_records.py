import json
from datetime import date
from pathlib import Path

import pytest

from knowledge.loaders import load_file
from minfu.domain import DocumentKind
from minfu.errors import DocumentLoadError

MATTERS = Path(__file__).parent / "fixtures" / "matters" / "matters.jsonl"


def _sections(loaded) -> dict[str, str]:
    return {s.path[0]: s.text for s in loaded.sections}


def test_service_matter_records_map_to_documents_and_repeats_load_once():
    loaded = load_file(MATTERS)
    assert [item.document.id for item in loaded] == [
        "service_matter:11440000006939756B2440101007000",
        "service_matter:11440000006940116U2440102002003",
        "service_matter:11440000006940116U2440102002002",
    ]
    doc = loaded[0].document
    assert (doc.kind, doc.title, doc.issuer) == (
        DocumentKind.SERVICE_MATTER,
        "临时价格干预范围事项提价申报",
        "广东省发展和改革委员会",
    )
    assert doc.extra["url"].startswith("https://www.gdzwfw.gov.cn/")
    assert doc.sample is False


def test_service_matter_field_groups_drop_empty_values():
    sections = _sections(load_file(MATTERS)[1])
    assert list(sections) == ["事项概况", "受理条件", "办理材料", "办理地点", "办理时限", "办理渠道", "咨询电话"]
    assert sections["办理材料"].splitlines()[0] == "1. 广东省中小学地方课程教材审查登记表"
    assert sections["办理地点"].startswith("广州市越秀区农林下路72号")  # the "办理地点：" prefix is dropped
    assert sections["受理条件"].startswith("根据《中华人民共和国义务教育法》")
    assert "网上预约" not in sections["办理渠道"]  # online_book_addr is "无"
    assert "联办部门" not in sections["事项概况"]  # co_department is "无"
    assert "行政许可" in sections["事项概况"]


def test_matter_title_prefers_the_more_specific_task_name(tmp_path):
    record = {
        "matter_name": "高等职业学校设立",
        "TASK_NAME": "高等职业学校设立(民办高等职业学校设置审核)",
        "DEPT_NAME": "广东省教育厅",
        "accept_standard": "无",
        "consult_phone": "020-1",
    }
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    [loaded] = load_file(path)
    assert loaded.document.title == "高等职业学校设立(民办高等职业学校设置审核)"
    assert loaded.document.id == "service_matter:高等职业学校设立(民办高等职业学校设置审核)"  # no code: the name
    assert [s.path for s in loaded.sections] == [("事项概况",), ("咨询电话",)]


def test_own_schema_yaml_faq_with_document_fields(tmp_path):
    path = tmp_path / "faq.yaml"
    path.write_text(
        "kind: faq\ntitle: 企业开办常见问题\nissuer: 闵行区市场监督管理局\npublished: 2026-02-01\nsample: true\n"
        "owner: 企业服务中心\nsections:\n  - question: 开办企业要多久？\n    answer: |\n      一般1个工作日内办结。\n\n"
        "      材料齐全的当场办结。\n  - heading: [登记, 名称]\n    text: 名称可以自主申报。\n",
        encoding="utf-8",
    )
    [loaded] = load_file(path)
    doc = loaded.document
    assert doc.id == "faq:企业开办常见问题"
    assert (doc.kind, doc.issuer, doc.published, doc.sample) == (
        DocumentKind.FAQ,
        "闵行区市场监督管理局",
        date(2026, 2, 1),
        True,
    )
    assert doc.extra == {"owner": "企业服务中心"}
    assert [(s.path, s.text) for s in loaded.sections] == [
        (("开办企业要多久？",), "一般1个工作日内办结。\n材料齐全的当场办结。"),
        (("登记", "名称"), "名称可以自主申报。"),
    ]


def test_own_schema_json_list_jsonl_and_service_matter_code(tmp_path):
    records = [
        {"kind": "compliance_guide", "title": "广告合规指引", "version": "2025-01", "text": "不得使用“最佳”等用语。"},
        {
            "kind": "service_matter",
            "title": "食品经营许可",
            "code": "MH-001",
            "sections": [{"heading": "受理条件", "text": "有经营场所。"}],
        },
    ]
    as_json = tmp_path / "records.json"
    as_json.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    as_jsonl = tmp_path / "records.jsonl"
    as_jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n", encoding="utf-8")
    for path in (as_json, as_jsonl):
        ids = [item.document.id for item in load_file(path)]
        assert ids == ["compliance_guide:广告合规指引@2025-01", "service_matter:MH-001"]
    wrapped = tmp_path / "wrapped.yml"
    wrapped.write_text(json.dumps({"records": records}, ensure_ascii=False), encoding="utf-8")
    assert len(load_file(wrapped)) == 2


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bad.jsonl", '{"kind": "faq", "title": "a", "text": "b"}\n{not json\n', "第 2 行不是有效的 JSON"),
        ("untitled.json", '[{"kind": "faq", "text": "b"}]', "第 1 条记录缺少 kind 或 title"),
        ("kind.yaml", "kind: news\ntitle: a\ntext: b\n", "未知的文档类型 'news'"),
        ("empty.yaml", "kind: faq\ntitle: a\nsections: []\n", "没有正文"),
        ("broken.yaml", "kind: faq\ntitle: [a\n", "文件格式无法解析"),
        ("scalar.json", "[1, 2]", "每条记录应为"),
        ("nothing.json", "[]", "文件中没有记录"),
    ],
)
def test_bad_records_raise_a_load_error_naming_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DocumentLoadError) as error:
        load_file(path)
    assert reason in error.value.reason
    assert name in error.value.message
