"""Version links: within one work (same kind and series) each newer version supersedes the older ones.

`link_versions` is pure and idempotent: it recomputes every link from the documents it is given, keeps links
written by hand (a `supersedes` entry from metadata naming another work) and marks their targets superseded.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from knowledge.loaders._text import parse_date
from minfu.domain import Document


def version_key(document: Document) -> tuple[date, str, str]:
    """Order of versions: the version date (else effective, else published date), then the version text and id.

    A version with no date at all sorts first: in the real corpus an undated file is the older text of a work
    whose newer version carries its date.
    """
    day = parse_date(document.version) or document.effective_from or document.published or date.min
    return day, document.version or "", document.id


def link_versions(documents: Sequence[Document]) -> list[Document]:
    """The documents, in the given order, with supersedes / superseded_by set from their versions."""
    groups: dict[tuple[str, str], list[Document]] = defaultdict(list)
    for document in documents:
        if document.series:
            groups[(document.kind.value, document.series)].append(document)
    links: dict[str, tuple[tuple[str, ...], str | None]] = {}
    for group in groups.values():
        links.update(_group_links(group))
    linked = [_relinked(d, links.get(d.id)) for d in documents]
    return _mark_written_links(linked)


def _group_links(group: list[Document]) -> dict[str, tuple[tuple[str, ...], str | None]]:
    """id -> (older ids, nearest first; the next newer id) within one work."""
    ordered = sorted({d.id: d for d in group}.values(), key=version_key)
    ids = [d.id for d in ordered]
    return {
        doc_id: (tuple(reversed(ids[:index])), ids[index + 1] if index + 1 < len(ids) else None)
        for index, doc_id in enumerate(ids)
    }


def _relinked(document: Document, link: tuple[tuple[str, ...], str | None] | None) -> Document:
    if link is None:
        return document
    older, newer = link
    written = tuple(ref for ref in document.supersedes if not _same_work(document, ref))
    supersedes = tuple(dict.fromkeys((*older, *written)))
    kept = document.superseded_by
    superseded_by = newer or (kept if kept and not _same_work(document, kept) else None)
    if supersedes == document.supersedes and superseded_by == document.superseded_by:
        return document
    return dataclasses.replace(document, supersedes=supersedes, superseded_by=superseded_by)


def _same_work(document: Document, ref: str) -> bool:
    """True when `ref` is an id of the document's own work: such links are recomputed, never kept."""
    base = f"{document.kind.value}:{document.series}"
    return ref == base or ref.startswith(base + "@")


def _mark_written_links(documents: list[Document]) -> list[Document]:
    """A document named in another's `supersedes` (from metadata, across works) is superseded by it."""
    by_id = {d.id: d for d in documents}
    newer: dict[str, str] = {}
    for document in sorted(documents, key=version_key):
        for old_id in document.supersedes:
            if old_id in by_id and old_id != document.id:
                newer[old_id] = document.id
    return [
        dataclasses.replace(d, superseded_by=newer[d.id]) if d.id in newer and d.superseded_by is None else d
        for d in documents
    ]
