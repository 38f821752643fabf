"""What one pipeline's part of an evaluation run needs: the assistant over that pipeline's retriever, a record of
every hit the agent saw (so citations resolve to chunks), and lookups for relevance and gold contexts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from agents.assistant import Assistant
from agents.factory import build_assistant
from eval.answer_metrics import AnswerScorer
from eval.metrics import Targets, squeeze
from eval.pipelines import Pipeline
from knowledge.base import KnowledgeBase
from minfu.domain import Hit, SearchFilters
from minfu.ports import Retriever
from minfu.settings import Settings
from tools.agent_tools import ToolServices
from tools.agent_tools.views import citation_ref


class RecordingRetriever:
    """The pipeline's retriever, remembering every hit it returned by citation ref (what the agent may cite)."""

    def __init__(self, inner: Retriever) -> None:
        self._inner = inner
        self.name = inner.name
        self.seen: dict[str, Hit] = {}

    @property
    def last_degraded(self) -> str | None:
        value = getattr(self._inner, "last_degraded", None)
        return value if isinstance(value, str) else None

    def retrieve(self, query: str, *, k: int = 5, filters: SearchFilters | None = None) -> list[Hit]:
        hits = self._inner.retrieve(query, k=k, filters=filters)
        self.seen.update((citation_ref(hit.chunk.id), hit) for hit in hits)
        return hits


@dataclass
class PipelineRun:
    pipeline: Pipeline
    services: ToolServices  # the shared catalogues and this pipeline's knowledge view
    recorder: RecordingRetriever
    assistant: Assistant
    scorer: AnswerScorer
    make_assistant: Callable[[ToolServices], Assistant]
    k: int
    today: date
    _texts: list[tuple[str, str]] = field(default_factory=list)  # (text, squeezed text) of every admitted chunk

    def direct_hits(self, question: str) -> list[Hit]:
        """The question straight to the retriever (not through the agent): what retrieval metrics measure."""
        return self.pipeline.retriever.retrieve(question, k=self.k, filters=SearchFilters(on=self.today))[: self.k]

    def gold_contexts(self, references: tuple[str, ...], retrieved: list[str]) -> list[str]:
        """For each reference string, one chunk text of this pipeline's index holding it: the best-ranked
        retrieved one if any, else the first in the index. ragas' context metrics compare against these."""
        gold: list[str] = []
        for reference in (squeeze(r) for r in references):
            if not reference:
                continue
            found = next((text for text in retrieved if reference in squeeze(text)), None)
            found = found or next((text for text, squeezed in self._texts if reference in squeezed), None)
            if found is not None and found not in gold:
                gold.append(found)
        return gold

    @staticmethod
    def relevance(targets: Targets, hit: Hit) -> bool | None:
        if targets.count == 0:
            return None
        return bool(targets.found_by(hit.document.id, hit.chunk.text))


def open_pipeline_run(
    pipeline: Pipeline, base: ToolServices, settings: Settings, scorer: AnswerScorer, *, k: int, stores: Path
) -> PipelineRun:
    """The assistant exactly as the API builds it (`build_assistant`), over this pipeline's retriever."""
    recorder = RecordingRetriever(pipeline.retriever)
    kb = base.knowledge
    view = KnowledgeBase(pipeline.catalog, kb.embedder, kb.vector_index, kb.lexical_index, recorder)
    services = replace(base, knowledge=view)
    stores.mkdir(parents=True, exist_ok=True)

    def make_assistant(scoped: ToolServices) -> Assistant:
        url = f"sqlite:///{stores / f'{pipeline.name}-conversations.sqlite'}"
        return build_assistant(settings.model_copy(update={"database_url": url}), services=scoped)

    resolved = pipeline.catalog.resolve(sorted(_admitted(pipeline)))
    texts = [(chunk.text, squeeze(chunk.text)) for chunk, _ in resolved]
    today = base.today()
    return PipelineRun(pipeline, services, recorder, make_assistant(services), scorer, make_assistant, k, today, texts)


def _admitted(pipeline: Pipeline) -> set[str]:
    admitted = pipeline.catalog.admitted_chunk_ids(SearchFilters(), date.today())
    return pipeline.catalog.chunk_ids() if admitted is None else set(admitted)
