"""Incremental ingest over real files: unchanged chunks are not embedded again, removed ones vanish everywhere."""

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunker
from knowledge.embedders.hashing import HashingEmbedder
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from minfu.domain import SearchFilters, Validity
from minfu.settings import Settings

LAW_2020 = """# 保障中小企业款项支付条例

2020年7月5日 中华人民共和国国务院令第728号公布

<!-- INFO END -->

## 第二章 款项支付规定

第八条 机关、事业单位从中小企业采购货物、工程、服务，应当自货物、工程、服务交付之日起30日内支付款项。

第九条 大型企业从中小企业采购货物、工程、服务，应当按照行业规范、交易习惯合理约定付款期限并及时支付款项。
"""

LAW_2025 = """# 保障中小企业款项支付条例

2020年7月5日 中华人民共和国国务院令第728号公布
2025年3月17日 中华人民共和国国务院令第802号修订

<!-- INFO END -->

## 第二章 款项支付规定

第八条 机关、事业单位从中小企业采购货物、工程、服务，应当自货物、工程、服务交付之日起30日内支付款项。

第九条 大型企业从中小企业采购货物、工程、服务，应当自货物、工程、服务交付之日起60日内支付款项。
"""

POLICY = """# 闵行区加快打造国际一流营商环境行动方案（2026年）

## 一、完善企业服务机制

### （一）推动政务服务智慧好办

深化“开店一件事”审批、监管、服务联动，试点“拎包开业”新模式，提升企业开店便利。
"""


class CountingEmbedder(HashingEmbedder):
    """The real hashing embedder, counting the passages it is asked to embed."""

    def __init__(self) -> None:
        super().__init__(dimension=128)
        self.embedded = 0

    def embed_documents(self, texts: Sequence[str]):  # type: ignore[no-untyped-def]
        self.embedded += len(texts)
        return super().embed_documents(texts)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "laws").mkdir(parents=True)
    (root / "policies").mkdir()
    (root / "laws" / "保障中小企业款项支付条例(2020-07-05).md").write_text(LAW_2020, encoding="utf-8")
    (root / "laws" / "保障中小企业款项支付条例(2025-03-17).md").write_text(LAW_2025, encoding="utf-8")
    (root / "policies" / "plan.md").write_text(POLICY, encoding="utf-8")
    return root


def _ingest(kb: KnowledgeBase, root: Path, **options):  # type: ignore[no-untyped-def]
    return Ingestor(kb, Chunker(400)).ingest(load_paths([root]), prune_under=[root], **options)


def _indexes_agree(kb: KnowledgeBase) -> None:
    assert kb.vector_index.ids() == kb.catalog.chunk_ids()
    assert kb.lexical_index.ids() == kb.catalog.chunk_ids()


def test_second_ingest_embeds_nothing(corpus: Path) -> None:
    embedder = CountingEmbedder()
    kb = KnowledgeBase.in_memory(embedder)
    first = _ingest(kb, corpus)
    assert first.documents == 3 and first.failures == []
    assert embedder.embedded == first.chunks > 0
    _indexes_agree(kb)
    second = _ingest(kb, corpus)
    assert (second.new_chunks, second.unchanged_chunks, embedder.embedded) == (0, first.chunks, first.chunks)


def test_changed_article_is_the_only_chunk_embedded(corpus: Path) -> None:
    embedder = CountingEmbedder()
    kb = KnowledgeBase.in_memory(embedder)
    first = _ingest(kb, corpus)
    path = corpus / "policies" / "plan.md"
    path.write_text(POLICY + "\n推进线上线下融合办，优化“线上预审、线下交件”服务模式。\n", encoding="utf-8")
    report = _ingest(kb, corpus)
    assert report.new_chunks >= 1
    assert embedder.embedded - first.chunks == report.new_chunks
    _indexes_agree(kb)


def test_removed_file_disappears_from_every_index(corpus: Path) -> None:
    kb = KnowledgeBase.in_memory(HashingEmbedder())
    _ingest(kb, corpus)
    (corpus / "policies" / "plan.md").unlink()
    report = _ingest(kb, corpus)
    assert report.removed_documents == 1
    assert all("开店一件事" not in c.text for c in (kb.catalog.chunk(i) for i in kb.catalog.chunk_ids()) if c)
    _indexes_agree(kb)
    assert not [h for h in kb.retriever.retrieve("开店一件事 拎包开业", k=5) if h.document.kind.value == "policy"]


def test_newer_version_supersedes_and_older_is_only_found_with_history(corpus: Path) -> None:
    kb = KnowledgeBase.in_memory(HashingEmbedder())
    _ingest(kb, corpus)
    hits = kb.retriever.retrieve("大型企业付款期限", k=5)
    assert hits and {h.document.version for h in hits if h.document.kind.value == "law"} == {"2025-03-17"}
    history = kb.retriever.retrieve("大型企业付款期限", k=10, filters=SearchFilters(include_history=True))
    old = [h for h in history if h.document.version == "2020-07-05"]
    assert old and all(h.validity is Validity.SUPERSEDED and h.flagged for h in old)


def test_a_later_version_ingested_alone_supersedes_the_indexed_one(corpus: Path, tmp_path: Path) -> None:
    kb = KnowledgeBase.in_memory(HashingEmbedder())
    newer = corpus / "laws" / "保障中小企业款项支付条例(2025-03-17).md"
    parked = tmp_path / "parked.md"
    newer.rename(parked)
    _ingest(kb, corpus)
    parked.rename(newer)
    Ingestor(kb, Chunker(400)).ingest(load_paths([newer]))
    old = next(d for d in kb.catalog.documents() if d.version == "2020-07-05")
    assert old.superseded_by is not None and old.superseded_by.endswith("2025-03-17")


def test_lexical_only_then_fill_dense(corpus: Path) -> None:
    kb = KnowledgeBase.in_memory(HashingEmbedder())
    report = _ingest(kb, corpus, dense=False)
    assert kb.vector_index.count() == 0 and kb.lexical_index.ids() == kb.catalog.chunk_ids()
    assert kb.retriever.retrieve("开店一件事", k=3)  # lexical answers while the dense index is empty
    assert Ingestor(kb, Chunker(400)).fill_dense() == report.chunks
    _indexes_agree(kb)


def test_a_bad_file_is_listed_and_the_rest_ingested(corpus: Path) -> None:
    (corpus / "policies" / "broken.pdf").write_bytes(b"not a pdf at all")
    (corpus / "policies" / "notes.xyz").write_text("?", encoding="utf-8")
    kb = KnowledgeBase.in_memory(HashingEmbedder())
    report = _ingest(kb, corpus)
    assert report.documents == 3
    assert sorted(Path(f.path).name for f in report.failures) == ["broken.pdf", "notes.xyz"]


def test_persistent_knowledge_base_reopens_with_its_indexes(corpus: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", embedder="hashing")
    kb = KnowledgeBase.open(settings)
    first = _ingest(kb, corpus)
    reopened = KnowledgeBase.open(settings)
    assert reopened.catalog.chunk_count() == first.chunks
    _indexes_agree(reopened)
    assert reopened.retriever.retrieve("拎包开业", k=1)[0].document.kind.value == "policy"


def test_a_lexical_index_of_an_older_format_is_rebuilt_from_the_catalog(corpus: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", embedder="hashing")
    first = _ingest(KnowledgeBase.open(settings), corpus)
    manifest_path = settings.index_dir / "lexical" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "format": 1}), encoding="utf-8")  # as an older release saved
    stale = KnowledgeBase.open(settings)
    assert stale.lexical_index.ids() == set() and stale.catalog.chunk_count() == first.chunks
    assert Ingestor(stale, Chunker(400)).fill_lexical() == first.chunks
    assert Ingestor(stale, Chunker(400)).fill_lexical() == 0  # nothing left to add
    reopened = KnowledgeBase.open(settings)
    _indexes_agree(reopened)
    assert reopened.retriever.retrieve("拎包开业", k=1)[0].document.kind.value == "policy"


def test_an_ingest_run_also_refills_a_lexical_index_that_lost_chunks(corpus: Path) -> None:
    kb = KnowledgeBase.in_memory(HashingEmbedder())
    _ingest(kb, corpus)
    kb.lexical_index.delete(sorted(kb.catalog.chunk_ids())[:2])
    report = _ingest(kb, corpus)
    assert report.new_chunks == 0
    _indexes_agree(kb)
