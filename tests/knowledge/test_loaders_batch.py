import shutil
from datetime import date
from pathlib import Path

import pytest

from knowledge.loaders import load_file, load_paths
from minfu.errors import DocumentLoadError, UnsupportedFileError

FIXTURES = Path(__file__).parent / "fixtures"
POLICY = "# 关于优化营商环境的通知\n\n一、总体要求\n\n各单位要认真落实。\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_fixture_loads_without_failures():
    batch = load_paths([FIXTURES])
    assert batch.failures == []
    assert len(batch.documents) == 6 + 1 + 3  # laws, the plan, three service matters
    sources = [item.document.source for item in batch.documents]
    assert sources == sorted(sources)


def test_unknown_suffix_and_sidecar_are_unsupported(tmp_path):
    with pytest.raises(UnsupportedFileError) as error:
        load_file(_write(tmp_path / "table.xlsx", "x"))
    assert "table.xlsx" in error.value.message and "不支持的文件类型" in error.value.reason
    with pytest.raises(UnsupportedFileError, match="元数据文件"):
        load_file(_write(tmp_path / "a.md.meta.yaml", "title: x\n"))
    with pytest.raises(DocumentLoadError, match="文件不存在"):
        load_file(tmp_path / "missing.md")


def test_batch_collects_failures_and_keeps_going(tmp_path):
    _write(tmp_path / "a" / "policy.md", POLICY)
    (tmp_path / "a" / "broken.pdf").write_bytes(b"not a pdf")
    _write(tmp_path / "a" / "notes.xyz", "x")
    _write(tmp_path / "b" / "guide.txt", "企业合规指引\n\n一、广告\n\n不得虚假宣传。\n")
    _write(tmp_path / ".hidden" / "secret.md", POLICY)
    _write(tmp_path / "b" / ".draft.md", POLICY)
    _write(tmp_path / "a" / "policy.md.meta.yaml", "sample: true\n")
    _write(tmp_path / "README.md", "# 说明\n\n本目录存放政策文件。\n")
    _write(tmp_path / "b" / "LICENSE", "MIT")
    batch = load_paths([tmp_path, tmp_path / "a" / "policy.md", tmp_path / "nowhere"])
    assert [Path(item.document.source).name for item in batch.documents] == ["policy.md", "guide.txt"]
    assert batch.documents[0].document.sample is True
    failed = sorted(Path(f.path).name for f in batch.failures)
    assert failed == ["broken.pdf", "notes.xyz", "nowhere"]
    assert all(isinstance(f, DocumentLoadError) and f.reason for f in batch.failures)


def test_sidecar_overrides_inferred_metadata_and_rebuilds_the_id(tmp_path):
    law = tmp_path / "保障中小企业款项支付条例(2025-03-17).md"
    shutil.copy(FIXTURES / "laws" / law.name, law)
    _write(
        tmp_path / (law.name + ".meta.yaml"),
        "version: '2025-03-17-rev'\neffective_from: 2025-06-02\nexpires_on: 2030年1月1日\nsample: false\n"
        "owner: 法制办\ntopics: [款项, 中小企业]\n",
    )
    [loaded] = load_file(law)
    doc = loaded.document
    assert doc.id == "law:保障中小企业款项支付条例@2025-03-17-rev"
    assert (doc.effective_from, doc.expires_on) == (date(2025, 6, 2), date(2030, 1, 1))
    assert doc.issuer == "国务院"  # inferred, not overridden
    assert doc.extra["owner"] == "法制办" and doc.extra["topics"] == "款项、中小企业"
    assert "history" in doc.extra


def test_front_matter_applies_and_the_sidecar_wins(tmp_path):
    path = _write(
        tmp_path / "faq.md",
        "---\nkind: faq\ntitle: 开办企业问答\nissuer: 区市场监管局\nsample: true\n---\n"
        "# 问答\n\n## 要多久？\n\n一天。\n",
    )
    [loaded] = load_file(path)
    doc = loaded.document
    assert (doc.id, doc.kind.value, doc.title, doc.issuer, doc.sample) == (
        "faq:开办企业问答",
        "faq",
        "开办企业问答",
        "区市场监管局",
        True,
    )
    assert [(s.path, s.text) for s in loaded.sections] == [(("要多久？",), "一天。")]
    _write(tmp_path / "faq.md.meta.yaml", "issuer: 区政府办\n")
    assert load_file(path)[0].document.issuer == "区政府办"


@pytest.mark.parametrize(
    ("sidecar", "reason"),
    [
        ("published: 不是日期\n", "published 不是有效日期"),
        ("kind: blog\n", "未知的文档类型"),
        ("- a\n- b\n", "映射"),
        ("title: [\n", "无法解析"),
        ("sample: maybe\n", "sample"),
    ],
)
def test_bad_sidecar_fails_that_file_only(tmp_path, sidecar, reason):
    _write(tmp_path / "good.md", POLICY.replace("优化营商环境", "人才"))
    _write(tmp_path / "bad.md", POLICY)
    _write(tmp_path / "bad.md.meta.yaml", sidecar)
    batch = load_paths([tmp_path])
    assert [Path(item.document.source).name for item in batch.documents] == ["good.md"]
    [failure] = batch.failures
    assert reason in failure.reason


def test_duplicate_document_id_in_another_file_is_reported(tmp_path):
    _write(tmp_path / "a.md", POLICY)
    _write(tmp_path / "b.md", POLICY)
    batch = load_paths([tmp_path])
    assert len(batch.documents) == 1
    [failure] = batch.failures
    assert Path(failure.path).name == "b.md" and "重复" in failure.reason


def test_undecodable_text_is_a_load_error(tmp_path):
    path = tmp_path / "binary.txt"
    path.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(DocumentLoadError, match="编码"):
        load_file(path)
