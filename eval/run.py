"""`minfu eval run`: questions and dialogues through the assistant, per retrieval pipeline, into a run directory.

The directory (`--out`) holds run.json (what was asked for), results.jsonl (one record per pipeline and item,
appended as each finishes), summary.json and report.html; the shapes are read back by eval/run_dir.py. A run that
was interrupted resumes where it stopped when started again with the same arguments; different arguments on the
same directory are refused unless `fresh` is set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

from agents.services import build_tool_services
from eval.answer_dataset import AnswerItem, is_dialogue_line, parse_answer_lines
from eval.answer_metrics import AnswerScorer
from eval.datasets import DatasetProblem, read_dataset
from eval.dialogues import Scenario, parse_scenarios
from eval.judge import Judge, require_judge_endpoint
from eval.pipelines import DESCRIPTIONS, Corpus, PipelineBuilder
from eval.retrieval import corpus_for
from eval.run_context import PipelineRun, open_pipeline_run
from eval.run_items import run_answer_item, run_dialogue_item
from eval.run_summary import summarise_run
from knowledge.base import KnowledgeBase
from minfu.errors import InvalidInputError
from minfu.settings import Settings

RUN_VERSION = 1
# (stage label, done, total)
RunProgress = Callable[[str, int, int], None]
_RESUME_KEYS = ("version", "brain", "pipelines", "datasets", "k", "corpus", "embedder_override", "limit", "judge")


@dataclass
class EvalRunOptions:
    datasets: Sequence[Path]
    out: Path
    pipelines: Sequence[str] = ("default",)
    brain: str = "offline"
    k: int = 10
    corpus: Path | None = None
    embedder: str | None = None  # overrides every pipeline's embedder (the hashing embedder in tests)
    limit: int | None = None  # the first N items of each dataset
    fresh: bool = False
    judge: bool = False  # also ask the judge model (MINFU_JUDGE_*) for faithfulness, relevancy, factual correctness


@dataclass
class EvalDataset:
    name: str
    path: Path
    digest: str
    answers: list[AnswerItem] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    problems: list[DatasetProblem] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.answers) + len(self.scenarios)


def run_evaluation(options: EvalRunOptions, settings: Settings, progress: RunProgress | None = None) -> Path:
    """Runs (or resumes) the evaluation and writes summary.json and report.html; returns the run directory."""
    _check(options)
    if options.judge:
        require_judge_endpoint(settings)
    datasets = [load_eval_dataset(path, limit=options.limit) for path in options.datasets]
    if not any(d.size for d in datasets):
        shown = "；".join(p.message_zh for d in datasets for p in d.problems[:3])
        raise InvalidInputError(f"评测集中没有可用的题目{('：' + shown) if shown else ''}", field="dataset")
    _name_uniquely(datasets)
    settings = settings.model_copy(update={"brain": options.brain} | _embedder(options))
    corpus = corpus_for(options.corpus, settings)
    run = _run_info(options, datasets, corpus, settings)
    done = _prepare(options.out, run, fresh=options.fresh)
    builder = PipelineBuilder(
        corpus, cache_path=settings.cache_dir / "embeddings.sqlite", embedder_override=options.embedder,
        progress=progress, chunk_size=settings.chunk_size,
    )  # fmt: skip
    stores = options.out / "stores"
    stores.mkdir(exist_ok=True)
    base_settings = settings.model_copy(update={"database_url": f"sqlite:///{stores / 'base.sqlite'}"})
    base = build_tool_services(base_settings, knowledge=KnowledgeBase.open(settings))
    scorer = AnswerScorer(base.knowledge.embedder)
    judge = Judge(settings, base.knowledge.embedder, scorer.loop) if options.judge else None
    results = options.out / "results.jsonl"
    for name in run["pipelines"]:
        pipeline = builder.build(name)
        context = open_pipeline_run(pipeline, base, settings, scorer, k=options.k, stores=stores)
        _run_pipeline(context, datasets, done, results, stores, progress, judge)
    run["finished_at"] = _now()
    return _finish(options.out, run)


def _run_pipeline(
    context: PipelineRun,
    datasets: list[EvalDataset],
    done: set[tuple[str, str, str]],
    results: Path,
    stores: Path,
    progress: RunProgress | None,
    judge: Judge | None,
) -> None:
    name = context.pipeline.name
    total = sum(d.size for d in datasets)
    count = sum(1 for key in done if key[0] == name)
    with results.open("a", encoding="utf-8") as out:
        for dataset in datasets:
            for item_id, run_item in _work(context, dataset, stores, judge):
                if (name, dataset.name, item_id) in done:
                    continue
                out.write(json.dumps(run_item(), ensure_ascii=False) + "\n")
                out.flush()
                count += 1
                if progress:
                    progress(f"{name}：作答", count, total)


def _work(
    context: PipelineRun, dataset: EvalDataset, stores: Path, judge: Judge | None
) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
    """Each item of the dataset with a call that runs it (deferred, so finished items are skipped unrun)."""
    work: list[tuple[str, Callable[[], dict[str, Any]]]] = []
    for item in dataset.answers:
        work.append((item.id, partial(run_answer_item, context, item, dataset.name, judge)))
    for scenario in dataset.scenarios:
        work.append((scenario.id, partial(run_dialogue_item, context, scenario, dataset.name, stores)))
    return work


# datasets -------------------------------------------------------------------------------------------------------
def load_eval_dataset(path: Path, *, limit: int | None = None) -> EvalDataset:
    """Single-turn items and dialogue scenarios from one JSONL file; a bad line is a problem, the rest still run."""
    raw = read_dataset(path)
    lines = raw.splitlines()
    answers = parse_answer_lines(lines)
    dialogue_lines = [line.decode("utf-8", "replace") if _is_dialogue(line) else "" for line in lines]
    scenarios = parse_scenarios(dialogue_lines)
    dataset = EvalDataset(path.stem, path, hashlib.sha256(raw).hexdigest()[:16])
    dataset.answers, dataset.scenarios = answers.items[:limit], scenarios.scenarios[:limit]
    dataset.problems = sorted([*answers.problems, *scenarios.problems], key=lambda p: p.line)
    return dataset


def _is_dialogue(line: bytes) -> bool:
    try:
        data = json.loads(line)
    except ValueError:
        return False
    return isinstance(data, dict) and is_dialogue_line(data)


def _name_uniquely(datasets: list[EvalDataset]) -> None:
    seen: dict[str, int] = {}
    for dataset in datasets:
        seen[dataset.name] = seen.get(dataset.name, 0) + 1
        if seen[dataset.name] > 1:
            dataset.name = f"{dataset.name}-{seen[dataset.name]}"


# the run directory ----------------------------------------------------------------------------------------------
def _run_info(
    options: EvalRunOptions, datasets: list[EvalDataset], corpus: Corpus, settings: Settings
) -> dict[str, Any]:
    return {
        "version": RUN_VERSION,
        "started_at": _now(),
        "finished_at": None,
        "brain": options.brain,
        "pipelines": list(dict.fromkeys(options.pipelines)),
        "datasets": [_dataset_info(d) for d in datasets],
        "k": options.k,
        "corpus": corpus.label,
        "embedder": options.embedder or settings.embedder,
        "embedder_override": options.embedder,
        "limit": options.limit,
        "judge": settings.judge_model if options.judge else None,
        "llm_model": settings.llm_model if options.brain == "openai" else None,
        "minfu_version": version("minfu"),
    }


def _dataset_info(dataset: EvalDataset) -> dict[str, Any]:
    problems = [{"line": p.line, "field": p.field, "message_zh": p.message_zh} for p in dataset.problems]
    return {"name": dataset.name, "path": str(dataset.path), "digest": dataset.digest, "items": dataset.size,
            "problems": problems}  # fmt: skip


def _prepare(out: Path, run: dict[str, Any], *, fresh: bool) -> set[tuple[str, str, str]]:
    """Creates the directory, or finds what an interrupted run with the same arguments already did."""
    out.mkdir(parents=True, exist_ok=True)
    run_file, results = out / "run.json", out / "results.jsonl"
    if fresh or not run_file.exists():
        results.unlink(missing_ok=True)
        (out / "summary.json").unlink(missing_ok=True)
        _write_json(run_file, run)
        return set()
    before = _read_json(run_file)
    if {k: before.get(k) for k in _RESUME_KEYS} != {k: run.get(k) for k in _RESUME_KEYS}:
        raise InvalidInputError(
            f"输出目录 {out} 已有另一次评测（参数不同）：请换一个 --out，或加 --fresh 清空后重新开始", field="out"
        )
    run["started_at"] = before.get("started_at", run["started_at"])
    _write_json(run_file, run)
    return {(r["pipeline"], r["dataset"], r["id"]) for r in _complete_records(results)}


def _complete_records(results: Path) -> list[dict[str, Any]]:
    """The records of results.jsonl; a last line cut off by an interruption is dropped from the file."""
    if not results.exists():
        return []
    data = results.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    if len(complete) != len(data):
        results.write_bytes(complete)
    return [json.loads(line) for line in complete.splitlines() if line.strip()]


def _finish(out: Path, run: dict[str, Any]) -> Path:
    from eval.report import write_report

    _write_json(out / "run.json", run)
    _write_json(out / "summary.json", summarise_run(run, _complete_records(out / "results.jsonl")))
    write_report(out)
    return out


def _check(options: EvalRunOptions) -> None:
    unknown = [name for name in options.pipelines if name not in DESCRIPTIONS]
    if unknown or not options.pipelines:
        given, choices = "、".join(unknown) or "（空）", "、".join(DESCRIPTIONS)
        raise InvalidInputError(f"未知的检索流水线：{given}（可选：{choices}）", field="pipeline")
    if options.brain not in ("offline", "openai"):
        raise InvalidInputError(f"未知的回答引擎：{options.brain}（可选：offline、openai）", field="brain")
    if options.k < 1 or options.k > 50:
        raise InvalidInputError("k 必须在 1 到 50 之间", field="k")
    if options.limit is not None and options.limit < 1:
        raise InvalidInputError("--limit 必须是正整数", field="limit")
    missing = [str(path) for path in options.datasets if not path.is_file()]
    if missing or not options.datasets:
        raise InvalidInputError(f"找不到评测集：{'、'.join(missing) or '（未指定）'}", field="dataset")


def _embedder(options: EvalRunOptions) -> dict[str, Any]:
    return {"embedder": options.embedder} if options.embedder else {}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    temporary.replace(path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"无法读取 {path}：请换一个 --out，或加 --fresh 重新开始", field="out") from exc
    return data if isinstance(data, dict) else {}
