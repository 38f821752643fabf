"""Domain types shared by every layer: documents, chunks, hits and search filters."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class DocumentKind(StrEnum):
    POLICY = "policy"
    LAW = "law"
    SERVICE_MATTER = "service_matter"
    COMPLIANCE_GUIDE = "compliance_guide"
    FAQ = "faq"
    CURATED_ANSWER = "curated_answer"


class Validity(StrEnum):
    """Where a document stands on a given day."""

    CURRENT = "current"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    NOT_YET_EFFECTIVE = "not_yet_effective"


@dataclass(frozen=True, slots=True)
class Document:
    """One source text (a law version, a policy, a service matter) with its provenance and validity."""

    id: str
    kind: DocumentKind
    title: str
    source: str
    doc_number: str | None = None  # 文号, e.g. 闵府办发〔2026〕1号
    issuer: str | None = None
    published: date | None = None
    effective_from: date | None = None
    expires_on: date | None = None
    version: str | None = None  # usually the version date, e.g. "2025-03-17"
    series: str | None = None  # the work across its versions, e.g. "保障中小企业款项支付条例"
    supersedes: tuple[str, ...] = ()
    superseded_by: str | None = None
    sample: bool = False  # true only for demo records written by this project
    extra: Mapping[str, str] = field(default_factory=dict)

    def validity(self, on: date) -> Validity:
        if self.superseded_by:
            return Validity.SUPERSEDED
        if self.expires_on is not None and self.expires_on < on:
            return Validity.EXPIRED
        if self.effective_from is not None and self.effective_from > on:
            return Validity.NOT_YET_EFFECTIVE
        return Validity.CURRENT


@dataclass(frozen=True, slots=True)
class Section:
    """A structural unit produced by a loader: an article of a law, a paragraph under a heading path."""

    path: tuple[str, ...]  # e.g. ("第二章 款项支付规定",) or ("一、完善企业服务机制…", "（一）推动政务服务智慧好办")
    text: str
    article: str | None = None  # e.g. "第八条"


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    document: Document
    sections: tuple[Section, ...]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Chunk:
    """The unit that is indexed, retrieved and cited."""

    id: str
    document_id: str
    ordinal: int
    text: str
    section_path: tuple[str, ...] = ()
    article: str | None = None
    content_hash: str = ""

    def embedding_text(self, title: str) -> str:
        """Text given to embedders and lexical indexes: title and heading path give the chunk its context."""
        heading = " ".join((title, *self.section_path))
        return f"{heading}\n{self.text}"


@dataclass(frozen=True, slots=True)
class RetrieverScore:
    rank: int  # 1-based rank within that retriever
    score: float


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    document: Document
    fused_score: float
    scores: Mapping[str, RetrieverScore] = field(default_factory=dict)  # retriever name -> rank and score
    why: tuple[str, ...] = ()  # matched terms, which retrievers agreed
    validity: Validity = Validity.CURRENT

    @property
    def flagged(self) -> bool:
        """True when the hit is from a text that is not in force today."""
        return self.validity is not Validity.CURRENT


@dataclass(frozen=True, slots=True)
class SearchFilters:
    kinds: frozenset[DocumentKind] = frozenset()
    issuers: frozenset[str] = frozenset()
    doc_numbers: frozenset[str] = frozenset()
    document_ids: frozenset[str] = frozenset()
    effective_after: date | None = None  # effective_from on or after this day
    effective_before: date | None = None  # effective_from on or before this day
    include_history: bool = False  # include superseded, expired and not yet effective texts (flagged)
    on: date | None = None  # the day validity is judged on; today when None

    def admits(self, document: Document, today: date) -> bool:
        if self.kinds and document.kind not in self.kinds:
            return False
        if self.issuers and document.issuer not in self.issuers:
            return False
        if self.doc_numbers and document.doc_number not in self.doc_numbers:
            return False
        if self.document_ids and document.id not in self.document_ids:
            return False
        if not self._admits_dates(document):
            return False
        return self.include_history or document.validity(self.on or today) is Validity.CURRENT

    def _admits_dates(self, document: Document) -> bool:
        start = document.effective_from
        if self.effective_after and (start is None or start < self.effective_after):
            return False
        return not (self.effective_before and (start is None or start > self.effective_before))
