"""Dataset loading: good lines load, each bad line is reported with its line number and field."""

import json
from pathlib import Path

import pytest

from eval.datasets import DatasetProblem, Question, RetrievalItem, load_retrieval_dataset, read_question_file
from eval.ncppolicies import context_paragraphs, context_title, is_ncp_path, load_ncppolicies
from minfu.domain import DocumentKind
from minfu.errors import InvalidInputError


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_both_line_shapes_load(tmp_path):
    path = write_lines(
        tmp_path / "d.jsonl",
        [
            json.dumps(
                {
                    "id": "q1",
                    "question": "开奶茶店要办什么证？",
                    "reference_contexts": ["食品经营许可"],
                    "category": "开办",
                    "note": "ignored",
                },
                ensure_ascii=False,
            ),
            "",
            json.dumps({"id": 7, "question": "款项多久付？", "docid": "law:payment"}, ensure_ascii=False),
        ],
    )
    load = load_retrieval_dataset(path)
    assert load.problems == []
    assert load.items == [
        RetrievalItem("q1", "开奶茶店要办什么证？", ("食品经营许可",), None, "开办"),
        RetrievalItem("7", "款项多久付？", (), "law:payment", None),
    ]


BAD_LINES = [
    ('{"id": "a", "question": "问", ', None),
    ('["not", "an", "object"]', None),
    ('{"question": "问", "docid": "d"}', "id"),
    ('{"id": "", "question": "问", "docid": "d"}', "id"),
    ('{"id": "b", "docid": "d"}', "question"),
    ('{"id": "c", "question": "  ", "docid": "d"}', "question"),
    ('{"id": "d", "question": 3, "docid": "d"}', "question"),
    ('{"id": "e", "question": "问"}', "reference_contexts"),
    ('{"id": "f", "question": "问", "reference_contexts": "一段"}', "reference_contexts"),
    ('{"id": "g", "question": "问", "reference_contexts": []}', "reference_contexts"),
    ('{"id": "h", "question": "问", "reference_contexts": ["一段", 2]}', "reference_contexts"),
    ('{"id": "i", "question": "问", "reference_contexts": [" \\u3000"]}', "reference_contexts"),
    ('{"id": "j", "question": "问", "docid": ["d"]}', "docid"),
    ('{"id": "k", "question": "问", "docid": "d", "category": 5}', "category"),
]


@pytest.mark.parametrize(("line", "field"), BAD_LINES)
def test_a_bad_line_is_reported_with_its_line_and_field(tmp_path, line, field):
    good = '{"id": "ok", "question": "好问题", "docid": "d"}'
    load = load_retrieval_dataset(write_lines(tmp_path / "d.jsonl", [good, line, good.replace("ok", "ok2")]))
    assert [item.id for item in load.items] == ["ok", "ok2"]
    assert len(load.problems) == 1
    problem = load.problems[0]
    assert (problem.line, problem.field) == (2, field)
    assert problem.message_zh.startswith("第 2 行")


def test_a_duplicate_id_keeps_the_first_line(tmp_path):
    path = write_lines(
        tmp_path / "d.jsonl",
        [
            '{"id": "q", "question": "一", "docid": "d"}',
            '{"id": "x", "question": "二", "docid": "d"}',
            '{"id": "q", "question": "三", "docid": "d"}',
        ],
    )
    load = load_retrieval_dataset(path)
    assert [i.question for i in load.items] == ["一", "二"]
    assert load.problems == [DatasetProblem(3, "id", "第 3 行：id 'q' 与第 1 行重复")]


def test_bad_encoding_and_byte_order_mark(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "q", "question": "\xe9\x97\xae", "docid": "d"}\n\xff\xfe\n')
    load = load_retrieval_dataset(path)
    assert [i.id for i in load.items] == ["q"]
    assert [(p.line, p.field) for p in load.problems] == [(2, None)]


def test_a_missing_file_is_invalid_input(tmp_path):
    with pytest.raises(InvalidInputError) as info:
        load_retrieval_dataset(tmp_path / "nope.jsonl")
    assert "nope.jsonl" in info.value.message


# --- NCPPolicies adapter, on synthetic lines of the benchmark's shape (the benchmark itself is never copied) ---


def ncp_line(qid: str, docid: str, context: str, question: str, answer: str) -> str:
    start = context.index(answer)
    return json.dumps(
        {
            "id": qid,
            "docid": docid,
            "context": context,
            "question": question,
            "answer": {"text": answer, "span": [start, start + len(answer)]},
        },
        ensure_ascii=False,
    )


CONTEXT_A = "某市出台支持企业措施 为帮助企业渡过难关，制定如下措施。 一、减免房租三个月。 二、延期缴纳社保。"
CONTEXT_B = "某区开通 COVID 19 线上服务 即日起企业可在网上办理登记。"


def test_a_question_file_gives_ids_and_questions(tmp_path):
    path = tmp_path / "q.jsonl"
    first = json.dumps({"id": "a", "question": " 货款拖了半年 ", "extra": 1}, ensure_ascii=False)
    lines = [first, "", '{"question": "开店"}']
    path.write_text("\ufeff" + "\n".join(lines), encoding="utf-8")
    assert read_question_file(path) == [Question("a", "货款拖了半年"), Question("3", "开店")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"question": "一"}\n{not json', "第 2 行：不是合法的 JSON"),
        ('{"id": 1}', "第 1 行：缺少字段 question"),
        ('{"question": 5}', "第 1 行：字段 question 必须是字符串"),
        ('{"question": "  "}', "第 1 行：字段 question 不能为空"),
        ("[1, 2]", "第 1 行：每行必须是一个 JSON 对象"),
    ],
)
def test_the_first_bad_line_of_a_question_file_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "q.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message) as raised:
        read_question_file(path)
    assert raised.value.field == "queries" and str(path) in str(raised.value)


def test_a_question_file_that_is_missing_or_not_utf8_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidInputError, match="找不到问题文件"):
        read_question_file(tmp_path / "none.jsonl")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"question": "caf\u00e9"}'.encode("latin-1"))
    with pytest.raises(InvalidInputError, match="第 1 行：不是 UTF-8 编码的文本"):
        read_question_file(latin)


def test_ncp_adapter_makes_one_document_per_docid(tmp_path):
    folder = tmp_path / "ncp"
    folder.mkdir()
    write_lines(
        folder / "local_train_with_context.jsonl",
        [
            ncp_line("1", "a", CONTEXT_A, "房租减免多久？", "三个月"),
            ncp_line("2", "a", CONTEXT_A, "社保怎么办？", "延期缴纳社保"),
        ],
    )
    write_lines(folder / "local_dev_with_context.jsonl", [ncp_line("3", "b", CONTEXT_B, "在哪办登记？", "网上")])
    assert is_ncp_path(folder)
    documents, items = load_ncppolicies(folder)
    assert [d.document.id for d in documents] == ["ncp:b", "ncp:a"]  # files in name order: local_dev first
    doc_a = documents[1]
    assert doc_a.document.kind is DocumentKind.POLICY
    assert doc_a.document.title == "某市出台支持企业措施"
    assert [s.text for s in doc_a.sections] == [
        "某市出台支持企业措施",
        "为帮助企业渡过难关，制定如下措施。",
        "一、减免房租三个月。",
        "二、延期缴纳社保。",
    ]
    assert doc_a.document.issuer is None and doc_a.document.published is None
    assert [(i.id, i.docid, i.reference_contexts, i.category) for i in items] == [
        ("3", "ncp:b", ("网上",), "local_dev"),
        ("1", "ncp:a", ("三个月",), "local_train"),
        ("2", "ncp:a", ("延期缴纳社保",), "local_train"),
    ]


def test_ncp_paragraphs_keep_spaces_inside_ascii_words():
    assert context_paragraphs(CONTEXT_B) == ["某区开通", "COVID 19", "线上服务", "即日起企业可在网上办理登记。"]


@pytest.mark.parametrize(
    ("context", "title"),
    [
        ("北京市财政局 关于做好防控工作的通知 正文", "北京市财政局"),
        ("通 告 为了有效防控疫情 正文", "通 告 为了有效防控疫情"),  # whitespace within the first six characters
        ("无空格的一段很长的文字" * 10, ("无空格的一段很长的文字" * 10)[:60] + "…"),
    ],
)
def test_ncp_title_is_the_opening_words(context, title):
    assert context_title(context) == title


def test_a_plain_dataset_is_not_taken_for_ncp(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", ['{"id": "q", "question": "问", "docid": "d"}'])
    assert not is_ncp_path(path)


def test_a_broken_ncp_line_names_file_line_and_field(tmp_path):
    path = write_lines(
        tmp_path / "x_with_context.jsonl",
        [
            ncp_line("1", "a", CONTEXT_A, "问？", "三个月"),
            '{"id": "2", "docid": "a", "context": "正文", "answer": {"text": "正"}}',
        ],
    )
    with pytest.raises(InvalidInputError) as info:
        load_ncppolicies(path)
    assert "第 2 行" in info.value.message and info.value.field == "question"
