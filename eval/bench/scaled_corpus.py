"""Chunk sets of a chosen size made from real texts, for measuring search at 1k, 10k and 100k chunks.

The originals are the bundled national laws and Shanghai regulations and the Guangdong service-matter dictionary,
loaded by the product's loaders, version-linked and cut by the product's Chunker. They are taken whole, in a fixed
shuffled order (laws and matters mixed), the last document cut to fit. A set larger than the originals adds copies
round after round: round n copies every original for one Shanghai district, whose name heads the copy's title and
every section, with the district and the round in the copy's series and so in its document id. Copies are therefore
distinct chunks whose term statistics stay close to real ones (the same vocabulary, plus district names), and their
versions link among themselves the way the originals' do.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.bundled import bundled_corpus_path
from knowledge.chunking import Chunker
from knowledge.loaders import load_paths
from knowledge.loaders.metadata import document_id
from knowledge.validity import link_versions
from minfu.domain import Chunk, Document, LoadedDocument, Section
from minfu.errors import InvalidInputError

DISTRICTS = (
    "浦东新区", "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区",
    "闵行区", "宝山区", "嘉定区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区",
)  # fmt: skip
SHUFFLE_SEED = 20260123
DEFAULT_MATTERS = Path("../shared/corpus/service_matters_guangdong/matters.jsonl")


@dataclass(frozen=True)
class ChunkedDocument:
    document: Document
    chunks: tuple[Chunk, ...]
    copy_round: int = 0  # 0: an original text


@dataclass(frozen=True)
class ScaledSet:
    documents: tuple[ChunkedDocument, ...]

    @property
    def size(self) -> int:
        return sum(len(item.chunks) for item in self.documents)

    @property
    def original_chunks(self) -> int:
        return sum(len(item.chunks) for item in self.documents if item.copy_round == 0)

    @property
    def copied_chunks(self) -> int:
        return self.size - self.original_chunks

    @property
    def copy_rounds(self) -> int:
        return max((item.copy_round for item in self.documents), default=0)


@dataclass(frozen=True)
class Sources:
    documents: list[LoadedDocument]
    paths: list[Path]
    missing: list[Path]  # given sources that do not exist (the set is built without them)
    failures: int  # files that failed to load


def source_paths(matters: Path | None) -> list[Path]:
    """The bundled national laws and Shanghai regulations, and the Guangdong dictionary when given."""
    laws = bundled_corpus_path() / "laws"
    return [laws / "national", laws / "shanghai", *([matters] if matters is not None else [])]


def load_sources(paths: Sequence[Path]) -> Sources:
    present = [path for path in paths if path.exists()]
    batch = load_paths(present)
    if not batch.documents:
        raise InvalidInputError("扩充检索规模所用的原始文本一篇也没有读到", field="sources")
    missing = [path for path in paths if not path.exists()]
    return Sources(batch.documents, present, missing, len(batch.failures))


class ScaledCorpus:
    """Cuts chunk sets of any size from the originals and their district copies (see the module docstring)."""

    def __init__(self, sources: Sequence[LoadedDocument], chunker: Chunker, *, seed: int = SHUFFLE_SEED) -> None:
        self._loaded = sorted(sources, key=lambda item: item.document.id)
        random.Random(seed).shuffle(self._loaded)
        self._chunker = chunker
        self._rounds: dict[int, list[ChunkedDocument]] = {0: self._chunked(self._loaded, 0)}
        if not self.original_chunks:
            raise InvalidInputError("原始文本切分后没有分块", field="sources")

    @property
    def original_chunks(self) -> int:
        return sum(len(item.chunks) for item in self._rounds[0])

    @property
    def original_documents(self) -> int:
        return len(self._rounds[0])

    def take(self, size: int) -> ScaledSet:
        """Exactly `size` chunks: originals first, then copies round by round."""
        if size < 1:
            raise InvalidInputError("分块数量必须是正整数", field="sizes")
        taken: list[ChunkedDocument] = []
        remaining, copy_round = size, 0
        while remaining:
            for item in self._round(copy_round):
                part = item.chunks[:remaining]
                taken.append(dataclasses.replace(item, chunks=part))
                remaining -= len(part)
                if not remaining:
                    break
            copy_round += 1
        return ScaledSet(tuple(taken))

    def _round(self, number: int) -> list[ChunkedDocument]:
        if number not in self._rounds:
            district = DISTRICTS[(number - 1) % len(DISTRICTS)]
            copies = [district_copy(item, district, number) for item in self._loaded]
            self._rounds[number] = self._chunked(copies, number)
        return self._rounds[number]

    def _chunked(self, loaded: Sequence[LoadedDocument], copy_round: int) -> list[ChunkedDocument]:
        linked = link_versions([item.document for item in loaded])
        return [
            ChunkedDocument(document, tuple(self._chunker.chunk(LoadedDocument(document, item.sections))), copy_round)
            for document, item in zip(linked, loaded, strict=True)
        ]


def district_copy(item: LoadedDocument, district: str, copy_round: int) -> LoadedDocument:
    """The document as one district's copy: district-headed title and sections, its own series and id."""
    document = item.document
    series = f"{document.series or document.title}（{district}·副本{copy_round}）"
    copy = dataclasses.replace(
        document,
        id=document_id(document.kind, series, document.version),
        title=f"{district}{document.title}",
        series=series,
        supersedes=(),
        superseded_by=None,
    )
    sections = tuple(Section(s.path, f"【{district}】{s.text}", s.article) for s in item.sections)
    return LoadedDocument(copy, sections)
