"""Plain-JSON views of retrieval results, shared by the CLI, the API and the evaluation."""

from __future__ import annotations

from typing import Any

from knowledge.bundled import display_source
from minfu.domain import Hit


def hit_to_json(hit: Hit) -> dict[str, Any]:
    document = hit.document
    return {
        "chunk_id": hit.chunk.id,
        "document_id": document.id,
        "title": document.title,
        "kind": document.kind.value,
        "doc_number": document.doc_number,
        "issuer": document.issuer,
        "section_path": list(hit.chunk.section_path),
        "article": hit.chunk.article,
        "text": hit.chunk.text,
        "source": display_source(document.source),
        "effective_from": document.effective_from.isoformat() if document.effective_from else None,
        "validity": hit.validity.value,
        "fused_score": round(hit.fused_score, 6),
        "scores": {name: {"rank": s.rank, "score": round(s.score, 6)} for name, s in hit.scores.items()},
        "why": list(hit.why),
    }
