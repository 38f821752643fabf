"""Policy documents: Markdown (often a PDF extraction) and plain text.

The text is first cut into blocks; then paragraphs broken by a page break are joined, numbered headings
(一、 （一） 1. （1）) get their level from the numbering rather than from inconsistent `#` marks, the letterhead,
document number (文号), dates and the trailer (公开属性, 抄送, 印发) become metadata, and what remains becomes
sections under their heading path. A 通知 that publishes a plan keeps its own sections before the plan's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from knowledge.loaders._structure import (
    Block,
    SectionBuilder,
    heading_text,
    line_blocks,
    markdown_blocks,
    numbering_rank,
    promote_numbered_headings,
    repair_breaks,
)
from knowledge.loaders._text import (
    DATE_LINE,
    DOC_NUMBER,
    effective_date,
    effective_on_publication,
    ends_sentence,
    expiry_date,
    find_dates,
    join_cjk,
)
from knowledge.loaders.metadata import document_id
from minfu.domain import Document, DocumentKind, LoadedDocument
from minfu.errors import DocumentLoadError

_LETTERHEAD = re.compile(r"^(.{2,30}?)\s*文件$")
_PUBLISHES = re.compile(r"关于(?:印发|发布|转发|公布)\s*《(.+?)》\s*的通知")
_TRAILER = {"公开属性": "disclosure", "抄送": "cc", "主题词": "keywords", "联系人": "contact"}
_ISSUER_ENDINGS = ("政府", "办公室", "办公厅", "委员会", "局", "厅", "部", "院", "中心", "委", "办")
MAX_TITLE = 80
_TOP_BLOCKS = 3  # a letterhead (…文件) is one of the first blocks


@dataclass
class PolicyMeta:
    """What the text says about itself, outside its sections."""

    issuer: str | None = None
    doc_number: str | None = None
    published: date | None = None
    extra: dict[str, str] = field(default_factory=dict)


def load_policy_markdown(path: Path, text: str) -> LoadedDocument:
    return build_policy(path, markdown_blocks(text.splitlines()))


def load_policy_text(path: Path, text: str) -> LoadedDocument:
    return build_policy(path, line_blocks(text))


def build_policy(path: Path, blocks: Sequence[Block], *, title: str | None = None) -> LoadedDocument:
    """The shared pipeline for every policy-like input (Markdown, text, PDF, DOCX, HTML)."""
    meta = PolicyMeta()
    body = promote_numbered_headings(repair_breaks(_take_metadata(list(blocks), meta)))
    found = _find_title(body)
    title = join_cjk(title or found or path.stem)
    sections = SectionBuilder(title=title).build(body)
    if not sections:
        raise DocumentLoadError(str(path), "文件中没有可读取的正文")
    full_text = "\n".join(s.text for s in sections)
    effective = _effective(full_text, meta.published)
    document = Document(
        id=document_id(DocumentKind.POLICY, title, None),
        kind=DocumentKind.POLICY,
        title=title,
        source=str(path),
        doc_number=meta.doc_number,
        issuer=meta.issuer,
        published=meta.published,
        effective_from=effective,
        expires_on=expiry_date(full_text, effective),
        series=title,
        extra=meta.extra,
    )
    return LoadedDocument(document, sections)


def _effective(text: str, published: date | None) -> date | None:
    stated = effective_date(text)
    if stated is not None:
        return stated
    return published if effective_on_publication(text) else None


# ---------------------------------------------------------------------------------------------- metadata
def _take_metadata(blocks: list[Block], meta: PolicyMeta) -> list[Block]:
    """Remove the letterhead, document number, date and trailer blocks, recording them in `meta`."""
    kept: list[Block] = []
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if not _is_metadata(block, following, meta, at_top=index < _TOP_BLOCKS):
            kept.append(block)
    return kept


def _is_metadata(block: Block, following: Block | None, meta: PolicyMeta, *, at_top: bool) -> bool:
    text = join_cjk(block.text)
    if block.kind == "rule":
        return True
    letterhead = _LETTERHEAD.match(text) if at_top and numbering_rank(text) is None else None
    if letterhead and letterhead.group(1).endswith(_ISSUER_ENDINGS) and meta.issuer is None:
        meta.issuer = letterhead.group(1)
        return True
    if DOC_NUMBER.fullmatch(text):
        meta.doc_number = meta.doc_number or text.replace(" ", "")
        return True
    if block.kind != "paragraph":
        return False
    return _is_date_line(text, meta) or _is_trailer(text, meta) or _is_signature(text, following, meta)


def _is_date_line(text: str, meta: PolicyMeta) -> bool:
    match = DATE_LINE.match(text)
    if not match:
        return False
    day = find_dates(text)[0] if find_dates(text) else None
    if text.endswith("印发"):
        meta.extra["printed_on"] = day.isoformat() if day else text
    if meta.published is None:
        meta.published = day
    return True


def _is_trailer(text: str, meta: PolicyMeta) -> bool:
    label, sep, value = text.partition("：")
    key = _TRAILER.get(label.strip())
    if not sep or key is None:
        return False
    meta.extra[key] = value.strip()
    return True


def _is_signature(text: str, following: Block | None, meta: PolicyMeta) -> bool:
    """An issuing body's name on its own line just above a date line (落款)."""
    if following is None or following.kind != "paragraph" or not DATE_LINE.match(join_cjk(following.text)):
        return False
    if len(text) > 30 or ends_sentence(text) or not text.endswith(_ISSUER_ENDINGS):
        return False
    meta.issuer = meta.issuer or text
    return True


# ---------------------------------------------------------------------------------------------- title
def _find_title(blocks: list[Block]) -> str | None:
    """The published plan's title when a 通知 publishes one, else the first heading or a title-like first line.

    A first line taken as the title becomes a heading, so that it is not repeated as a section.
    """
    headings = [heading_text(b.text) for b in blocks if b.kind == "heading"]
    for heading in headings:
        published = _PUBLISHES.search(heading)
        if published and join_cjk(published.group(1)) in headings:
            return join_cjk(published.group(1))
    if blocks and blocks[0].kind == "paragraph" and _title_like(blocks[0].text):
        blocks[0] = Block("heading", blocks[0].text, 1)
    first = next((b for b in blocks if b.kind == "heading" and numbering_rank(b.text) is None), None)
    return heading_text(first.text) if first is not None and len(first.text) <= MAX_TITLE else None


def _title_like(text: str) -> bool:
    """A first line that reads as a title: short, no sentence end, no comma, not numbered."""
    return len(text) <= MAX_TITLE and not ends_sentence(text) and numbering_rank(text) is None and "，" not in text
