import itertools
import json
import re
from pathlib import Path

import pytest

from knowledge.chunking import Chunker
from knowledge.loaders import load_file
from minfu.domain import Document, DocumentKind, LoadedDocument, Section, content_hash
from minfu.errors import InvalidInputError

FIXTURES = Path(__file__).parent / "fixtures"
SENTENCE_END = "。！？；"


def _one(path: Path) -> LoadedDocument:
    [loaded] = load_file(path)
    return loaded


def _loaded(kind: DocumentKind, *sections: Section) -> LoadedDocument:
    document = Document(id=f"{kind.value}:示例", kind=kind, title="示例", source="/x.md", series="示例")
    return LoadedDocument(document, sections)


def _sentences(n: int, length: int = 40) -> str:
    return "".join(f"第{i:02d}句" + "字" * (length - 6) + "。" for i in range(n))


def test_law_is_chunked_one_article_per_chunk_with_hash_ids():
    loaded = _one(FIXTURES / "laws" / "公司法(2023-12-29).md")
    chunks = Chunker().chunk(loaded)
    assert [(c.text, c.section_path, c.article) for c in chunks] == [
        (s.text, s.path, s.article) for s in loaded.sections
    ]
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        digest = content_hash(chunk.embedding_text(loaded.document.title))
        assert chunk.content_hash == digest
        assert chunk.id == f"{loaded.document.id}#{digest[:12]}"
        assert chunk.document_id == loaded.document.id


def test_ids_are_stable_and_change_only_for_the_changed_article():
    loaded = _one(FIXTURES / "laws" / "保障中小企业款项支付条例(2025-03-17).md")
    before = [c.id for c in Chunker().chunk(loaded)]
    assert [c.id for c in Chunker().chunk(loaded)] == before
    sections = list(loaded.sections)
    sections[1] = Section(sections[1].path, sections[1].text + "（修改）", sections[1].article)
    after = [c.id for c in Chunker().chunk(LoadedDocument(loaded.document, tuple(sections)))]
    assert [a == b for a, b in zip(before, after, strict=True)] == [i != 1 for i in range(len(before))]


def test_long_article_is_split_at_sentence_ends_and_keeps_its_article():
    text = "第八条 " + _sentences(30)
    loaded = _loaded(DocumentKind.LAW, Section(("第二章 款项支付",), text, "第八条"))
    chunks = Chunker(200, max_size=300).chunk(loaded)
    assert len(chunks) > 1
    assert "".join(c.text for c in chunks) == text
    assert all(len(c.text) <= 300 and c.text[-1] in SENTENCE_END for c in chunks)
    assert {(c.article, c.section_path) for c in chunks} == {("第八条", ("第二章 款项支付",))}


def test_sentence_longer_than_max_size_is_cut_at_commas_then_by_length():
    clauses = "，".join("分句" + "字" * 30 for _ in range(20)) + "。"
    unbroken = "长" * 700
    loaded = _loaded(DocumentKind.POLICY, Section(("一、",), clauses), Section(("二、",), unbroken))
    chunks = Chunker(100, max_size=150).chunk(loaded)
    first = [c.text for c in chunks if c.section_path == ("一、",)]
    assert "".join(first) == clauses
    assert all(len(t) <= 150 for t in first) and all(t.endswith(("，", "。")) for t in first)
    second = [c.text for c in chunks if c.section_path == ("二、",)]
    assert "".join(second) == unbroken and max(len(t) for t in second) <= 100


def test_policy_paragraphs_merge_within_a_heading_path_up_to_the_target():
    loaded = _one(FIXTURES / "policies" / "minhang-2026-action-plan-excerpt.md")
    chunks = Chunker(400).chunk(loaded)
    by_path: dict[tuple[str, ...], list[str]] = {}
    for section in loaded.sections:
        by_path.setdefault(section.path, []).append(section.text)
    for path, texts in by_path.items():
        merged = [c.text for c in chunks if c.section_path == path]
        assert "\n".join(merged) == "\n".join(texts)  # nothing lost, order kept, no mixing across paths
    assert len(chunks) < len(loaded.sections)
    assert all(len(c.text) <= 400 or "\n" not in c.text for c in chunks)
    assert chunks[0].section_path[0].endswith("的通知")


def test_long_policy_paragraph_is_split_alone_and_short_neighbours_are_not_merged_across_it():
    long_paragraph = _sentences(20)
    loaded = _loaded(
        DocumentKind.POLICY,
        Section(("一、",), "短段一。"),
        Section(("一、",), long_paragraph),
        Section(("一、",), "短段二。"),
    )
    texts = [c.text for c in Chunker(300).chunk(loaded)]
    assert texts[0] == "短段一。" and texts[-1] == "短段二。"
    assert "".join(texts[1:-1]) == long_paragraph


def test_overlap_repeats_the_last_sentences_of_the_previous_piece():
    text = _sentences(12)
    chunks = Chunker(100, max_size=120, overlap_sentences=1).chunk(
        _loaded(DocumentKind.LAW, Section((), text, "第一条"))
    )
    for previous, current in itertools.pairwise(chunks):
        last = re.findall(r"[^。]*。", previous.text)[-1]
        assert current.text.startswith(last)


def test_repeated_text_gets_numbered_ids():
    loaded = _loaded(
        DocumentKind.LAW, Section((), "第一条 同样的文字。", None), Section((), "第一条 同样的文字。", None)
    )
    first, second = Chunker().chunk(loaded)
    assert second.id == first.id + "-2"
    assert first.content_hash == second.content_hash


def test_service_matter_is_one_chunk_when_it_fits_and_packed_groups_otherwise(tmp_path):
    matter = load_file(FIXTURES / "matters" / "matters.jsonl")[0]
    [chunk] = Chunker().chunk(matter)
    assert chunk.section_path == ()
    assert "受理条件：《广东省实施〈中华人民共和国价格法〉办法》" in chunk.text
    assert "办理时限：\n法定办结时限：30(工作日)" in chunk.text
    record = {
        "matter_name": "机动车驾驶证申领",
        "DEPT_NAME": "广州市公安局",
        "accept_standard": _sentences(25),
        "material_intro": ["身份证明", "身体条件证明"],
        "consult_phone": "020-12345",
    }
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    chunks = Chunker(300).chunk(load_file(path)[0])
    assert len(chunks) > 2 and all(len(c.text) <= 450 for c in chunks)
    assert {c.section_path for c in chunks if c.text.startswith("第")} == {("受理条件",)}


@pytest.mark.parametrize(
    ("target", "max_size", "overlap", "field"),
    [(10, None, 0, "target_size"), (400, 300, 0, "max_size"), (400, None, -1, "overlap_sentences")],
)
def test_bad_sizes_are_rejected(target, max_size, overlap, field):
    with pytest.raises(InvalidInputError) as error:
        Chunker(target, max_size=max_size, overlap_sentences=overlap)
    assert error.value.field == field
