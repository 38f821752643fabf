"""`minfu eval retrieval`: run a dataset through named pipelines and report hit@k, MRR, nDCG and latency.

The corpus the pipelines search is, in order of precedence:
- the benchmark's own contexts, when the dataset is NCPPolicies (its folder or one of its files);
- the files under `corpus`, when given;
- the bundled corpus otherwise: `default` and `lexical` then search the persistent knowledge base built by
  `minfu ingest` (unless `embedder_override` asks for another model), the baselines are built from its texts.

Latency is the wall time of one `retrieve` call, query embedding included, after one untimed warm-up query.
See eval.metrics for what counts as relevant and how nDCG is normalised.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from eval.datasets import DatasetProblem, RetrievalItem, load_retrieval_dataset
from eval.metrics import (
    HIT_CUTOFFS,
    ItemScore,
    RetrievalMetrics,
    Targets,
    first_relevant_rank,
    novelty_gains,
    reachable_targets,
    summarise,
)
from eval.ncppolicies import BENCHMARK, is_ncp_path, load_ncppolicies
from eval.pipelines import DESCRIPTIONS, Corpus, EvalProgress, Pipeline, PipelineBuilder
from minfu.domain import Hit, LoadedDocument
from minfu.errors import InvalidInputError, MinfuError
from minfu.settings import Settings, get_settings


@dataclass(frozen=True, slots=True)
class RetrievedChunk:
    document_id: str
    chunk_id: str
    relevant: bool


@dataclass(frozen=True, slots=True)
class ItemResult:
    id: str
    question: str
    category: str | None
    first_relevant_rank: int | None
    document_rank: int | None  # first chunk of the item's own document (docid items)
    gains: tuple[int, ...]  # per rank: how many targets that chunk finds first (eval.metrics)
    retrievable: int  # targets some chunk of this pipeline's index could satisfy
    latency_ms: float
    retrieved: tuple[RetrievedChunk, ...]
    error: str | None = None
    degraded: bool = False  # the hybrid retriever answered from the lexical index alone (dense side unavailable)

    def score(self, has_docid: bool) -> ItemScore:
        return ItemScore(
            self.first_relevant_rank, self.gains, self.retrievable, self.latency_ms, self.document_rank, has_docid
        )


@dataclass
class PipelineReport:
    name: str
    description: str
    embedder: str | None = None
    chunks: int = 0
    build_seconds: float = 0.0
    metrics: RetrievalMetrics | None = None
    by_category: dict[str, RetrievalMetrics] = field(default_factory=dict)
    items: list[ItemResult] = field(default_factory=list)
    error: str | None = None  # the pipeline could not be built
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[ItemResult]:
        return [item for item in self.items if item.error]


@dataclass
class RetrievalEvalReport:
    dataset: str
    corpus: str
    k: int
    questions: int
    benchmark: str | None = None
    problems: list[DatasetProblem] = field(default_factory=list)
    pipelines: list[PipelineReport] = field(default_factory=list)


@dataclass(frozen=True)
class _Source:
    items: list[RetrievalItem]
    problems: list[DatasetProblem]
    corpus: Corpus
    benchmark: str | None


def run_retrieval_eval(
    dataset: Path,
    *,
    corpus: Path | None,
    pipelines: Sequence[str],
    k: int = 10,
    embedder_override: str | None = None,
    progress: EvalProgress | None = None,
    cache_path: Path | None = None,
    settings: Settings | None = None,
) -> RetrievalEvalReport:
    """Evaluates every named pipeline on the dataset; `cache_path` defaults to the settings' embedding cache."""
    settings = settings or get_settings()
    _check_arguments(pipelines, k)
    source = _source(dataset, corpus, settings)
    builder = PipelineBuilder(
        source.corpus,
        cache_path=cache_path or settings.cache_dir / "embeddings.sqlite",
        embedder_override=embedder_override,
        progress=progress,
        chunk_size=settings.chunk_size,
    )
    report = RetrievalEvalReport(
        str(dataset), source.corpus.label, k, len(source.items), source.benchmark, source.problems
    )
    for name in dict.fromkeys(pipelines):
        report.pipelines.append(_evaluate(builder, name, source.items, k, progress))
    return report


def _check_arguments(pipelines: Sequence[str], k: int) -> None:
    unknown = [name for name in pipelines if name not in DESCRIPTIONS]
    if unknown or not pipelines:
        given, choices = "、".join(unknown) or "（空）", "、".join(DESCRIPTIONS)
        raise InvalidInputError(f"未知的检索流水线：{given}（可选：{choices}）", field="pipeline")
    if k < 1:
        raise InvalidInputError("k 必须是正整数", field="k")


def _source(dataset: Path, corpus: Path | None, settings: Settings) -> _Source:
    if not dataset.exists():
        raise InvalidInputError(f"找不到评测数据集：{dataset}", field="dataset")
    if is_ncp_path(dataset):
        if corpus is not None:
            message = f"{BENCHMARK} 数据集自带语料（每个 docid 一篇），不能再指定 --corpus"
            raise InvalidInputError(message, field="corpus")
        documents, items = load_ncppolicies(dataset)
        label = f"{BENCHMARK} 的 {len(documents)} 篇上下文"
        return _Source(items, [], Corpus(label, lambda: documents), BENCHMARK)
    if dataset.is_dir():
        raise InvalidInputError(f"{dataset} 是目录：请给出 .jsonl 数据集文件，或 NCPPolicies 的目录", field="dataset")
    load = load_retrieval_dataset(dataset)
    if not load.items:
        shown = "；".join(p.message_zh for p in load.problems[:3])
        raise InvalidInputError(f"数据集 {dataset} 中没有可用的问题{('：' + shown) if shown else ''}", field="dataset")
    return _Source(load.items, load.problems, corpus_for(corpus, settings), None)


def corpus_for(corpus: Path | None, settings: Settings) -> Corpus:
    """The documents at `corpus`, or (None) the bundled corpus over the persistent knowledge base."""
    if corpus is not None:
        if not corpus.exists():
            raise InvalidInputError(f"找不到语料：{corpus}", field="corpus")
        return Corpus(str(corpus), lambda: _load_documents(corpus))
    from knowledge.bundled import bundled_corpus_path

    bundled = bundled_corpus_path()
    return Corpus(f"内置语料 {bundled}", lambda: _load_documents(bundled), persistent=settings)


def _load_documents(path: Path) -> list[LoadedDocument]:
    from knowledge.loaders import load_paths

    batch = load_paths([path])
    if not batch.documents:
        failures = "；".join(f.message for f in batch.failures[:3])
        detail = f"：{failures}" if failures else ""
        raise InvalidInputError(f"语料 {path} 中没有可读取的文档{detail}", field="corpus")
    return batch.documents


# running one pipeline ---------------------------------------------------------------------------------------
def _evaluate(
    builder: PipelineBuilder, name: str, items: list[RetrievalItem], k: int, progress: EvalProgress | None
) -> PipelineReport:
    report = PipelineReport(name, DESCRIPTIONS[name])
    try:
        pipeline = builder.build(name)
    except MinfuError as error:
        report.error = error.message
        return report
    report.embedder, report.chunks, report.build_seconds = pipeline.embedder, pipeline.chunks, pipeline.build_seconds
    report.notes = list(pipeline.notes)
    _warm_up(pipeline, items[0].question, k)
    for done, item in enumerate(items, start=1):
        report.items.append(_ask(pipeline, item, k))
        if progress:
            progress(f"{name}：检索", done, len(items))
    has_docid = {item.id: item.docid is not None for item in items}
    report.metrics = summarise([r.score(has_docid[r.id]) for r in report.items], k)
    report.by_category = _by_category(report.items, has_docid, k)
    return report


def _warm_up(pipeline: Pipeline, question: str, k: int) -> None:
    """One untimed query: loads the model and builds lazy index structures, so latency is warm."""
    with suppress(MinfuError):  # the timed call of the same question records the error
        pipeline.retriever.retrieve(question, k=k)


def _ask(pipeline: Pipeline, item: RetrievalItem, k: int) -> ItemResult:
    targets = Targets.of(item.docid, item.reference_contexts)
    retrievable = reachable_targets(targets, pipeline.document_ids, pipeline.joined_texts)
    started = time.perf_counter()
    try:
        hits = pipeline.retriever.retrieve(item.question, k=k)[:k]
    except MinfuError as error:
        elapsed = (time.perf_counter() - started) * 1000
        return ItemResult(
            item.id, item.question, item.category, None, None, (), retrievable, elapsed, (), error=error.message
        )
    elapsed = (time.perf_counter() - started) * 1000
    found = [targets.found_by(hit.document.id, hit.chunk.text) for hit in hits]
    gains = tuple(novelty_gains(found))
    return ItemResult(
        id=item.id,
        question=item.question,
        category=item.category,
        first_relevant_rank=first_relevant_rank(found),
        document_rank=_document_rank(hits, item.docid),
        gains=gains,
        retrievable=max(retrievable, sum(gains)),  # a hit outside the admitted view still counts as retrievable
        latency_ms=elapsed,
        retrieved=tuple(RetrievedChunk(h.document.id, h.chunk.id, bool(f)) for h, f in zip(hits, found, strict=True)),
        degraded=bool(getattr(pipeline.retriever, "last_degraded", None)),
    )


def _document_rank(hits: Sequence[Hit], docid: str | None) -> int | None:
    if docid is None:
        return None
    return next((rank for rank, hit in enumerate(hits, start=1) if hit.document.id == docid), None)


def _by_category(items: list[ItemResult], has_docid: dict[str, bool], k: int) -> dict[str, RetrievalMetrics]:
    groups: dict[str, list[ItemScore]] = {}
    for item in items:
        if item.category:
            groups.setdefault(item.category, []).append(item.score(has_docid[item.id]))
    return {name: summarise(scores, k) for name, scores in sorted(groups.items())} if len(groups) > 1 else {}


# rendering --------------------------------------------------------------------------------------------------
def render_table(report: RetrievalEvalReport) -> Table:
    """One row per pipeline: hit@1/3/5/10, MRR@k, nDCG@k, latency p50/p95 and counts."""
    table = Table(
        title=f"检索评测：{report.dataset}（{report.questions} 题，k={report.k}）", caption=f"语料：{report.corpus}"
    )
    table.add_column("流水线", style="bold")
    for cutoff in HIT_CUTOFFS:
        table.add_column(f"hit@{cutoff}", justify="right")
    for header in (f"MRR@{report.k}", f"nDCG@{report.k}", "p50 ms", "p95 ms", "切块数", "不可达", "失败"):
        table.add_column(header, justify="right")
    table.add_column("向量模型")
    for pipeline in report.pipelines:
        table.add_row(*_row(pipeline))
    return table


def _row(pipeline: PipelineReport) -> list[str]:
    metrics = pipeline.metrics
    if metrics is None:
        blanks = [""] * (len(HIT_CUTOFFS) + 7)
        return [pipeline.name, *blanks, f"[red]未运行：{pipeline.error}[/red]"]
    hits = [_fraction(metrics.hit_at.get(c)) for c in HIT_CUTOFFS]
    return [
        pipeline.name,
        *hits,
        _fraction(metrics.mrr),
        _fraction(metrics.ndcg),
        f"{metrics.latency_p50_ms:.1f}",
        f"{metrics.latency_p95_ms:.1f}",
        str(pipeline.chunks),
        str(metrics.unreachable),
        str(len(pipeline.failures)),
        pipeline.embedder or "—",
    ]


def _fraction(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def report_notes(report: RetrievalEvalReport) -> list[str]:
    """Lines to print under the table: dataset problems, pipeline errors and notes, what the columns mean."""
    lines = [p.message_zh for p in report.problems]
    if report.problems:
        lines.append(f"数据集中 {len(report.problems)} 行有问题，已跳过，其余 {report.questions} 题照常评测")
    for pipeline in report.pipelines:
        lines.extend(f"{pipeline.name}：{note}" for note in pipeline.notes)
        lines.extend(f"{pipeline.name}：问题 {item.id} 检索失败：{item.error}" for item in pipeline.failures)
        degraded = sum(1 for item in pipeline.items if item.degraded)
        if degraded:
            lines.append(f"{pipeline.name}：{degraded} 题向量检索不可用，只用了词法索引")
        if pipeline.metrics and pipeline.metrics.document_hit_at_5 is not None and report.benchmark:
            share = pipeline.metrics.document_hit_at_5
            lines.append(f"{pipeline.name}：仅按 docid 判定（不计答案文本匹配）的 hit@5 为 {share:.3f}")
    lines.append("不可达：该流水线的索引里没有任何切块满足相关性判定的问题数（例如参考片段被切块切断）")
    return lines


def report_to_json(report: RetrievalEvalReport) -> dict[str, Any]:
    return {
        "dataset": report.dataset,
        "corpus": report.corpus,
        "benchmark": report.benchmark,
        "k": report.k,
        "questions": report.questions,
        "problems": [{"line": p.line, "field": p.field, "message": p.message_zh} for p in report.problems],
        "pipelines": [_pipeline_json(p) for p in report.pipelines],
    }


def _pipeline_json(pipeline: PipelineReport) -> dict[str, Any]:
    return {
        "name": pipeline.name,
        "description": pipeline.description,
        "embedder": pipeline.embedder,
        "chunks": pipeline.chunks,
        "build_seconds": round(pipeline.build_seconds, 3),
        "error": pipeline.error,
        "notes": pipeline.notes,
        "metrics": _metrics_json(pipeline.metrics) if pipeline.metrics else None,
        "by_category": {name: _metrics_json(m) for name, m in pipeline.by_category.items()},
        "items": [_item_json(item) for item in pipeline.items],
    }


def _metrics_json(metrics: RetrievalMetrics) -> dict[str, Any]:
    data: dict[str, Any] = {f"hit@{c}": _round(v) for c, v in metrics.hit_at.items()}
    data |= {
        f"mrr@{metrics.k}": _round(metrics.mrr),
        f"ndcg@{metrics.k}": _round(metrics.ndcg),
        "latency_p50_ms": _round(metrics.latency_p50_ms, 2),
        "latency_p95_ms": _round(metrics.latency_p95_ms, 2),
        "questions": metrics.questions,
        "unreachable": metrics.unreachable,
        "document_hit@5": _round(metrics.document_hit_at_5),
    }
    return data


def _item_json(item: ItemResult) -> dict[str, Any]:
    return {
        "id": item.id,
        "question": item.question,
        "category": item.category,
        "first_relevant_rank": item.first_relevant_rank,
        "document_rank": item.document_rank,
        "retrievable": item.retrievable,
        "latency_ms": round(item.latency_ms, 2),
        "retrieved": [
            {"document_id": r.document_id, "chunk_id": r.chunk_id, "relevant": r.relevant} for r in item.retrieved
        ],
        "error": item.error,
        "degraded": item.degraded,
    }


def _round(value: float | None, digits: int = 4) -> float | None:
    if value is None or value != value:  # None or NaN: JSON has no NaN
        return None
    return round(value, digits)
