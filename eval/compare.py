"""Two runs side by side (`minfu eval compare A B`): A is the baseline, B the candidate.

For every pipeline both runs have: each metric overall and per category (categories both runs have), with the
delta and whether it got worse (a regression) or better beyond the tolerance, as eval.metric_catalog.is_worse
judges. Also the items that got worse: passed in A and failed in B, a hit@5 that became a miss, a correct refusal
decision or a passed dialogue that no longer is, a new error — matched by (pipeline, dataset, id).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from eval.metric_catalog import METRICS, is_worse
from eval.run_dir import Aggregate, ItemResult, PipelineSummary, Run, RunInfo
from minfu.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class MetricChange:
    metric: str
    before: float | None
    after: float | None
    regressed: bool
    improved: bool

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass(frozen=True, slots=True)
class PipelineComparison:
    pipeline: str
    overall: tuple[MetricChange, ...]
    by_category: dict[str, tuple[MetricChange, ...]]

    @property
    def overall_regressions(self) -> int:
        return sum(change.regressed for change in self.overall)

    @property
    def category_regressions(self) -> int:
        return sum(change.regressed for changes in self.by_category.values() for change in changes)


@dataclass(frozen=True, slots=True)
class WorsenedItem:
    pipeline: str
    dataset: str
    id: str
    category: str
    question: str
    reasons: tuple[str, ...]
    failures: tuple[str, ...]  # B's, to see what went wrong


@dataclass(frozen=True, slots=True)
class Comparison:
    baseline: str
    candidate: str
    tolerance: float
    pipelines: tuple[PipelineComparison, ...]
    only_in_baseline: tuple[str, ...]
    only_in_candidate: tuple[str, ...]
    worsened: tuple[WorsenedItem, ...]
    notes: tuple[str, ...]

    @property
    def regressions(self) -> int:
        return sum(p.overall_regressions + p.category_regressions for p in self.pipelines)

    @property
    def improvements(self) -> int:
        return sum(
            change.improved
            for p in self.pipelines
            for changes in (p.overall, *p.by_category.values())
            for change in changes
        )

    @property
    def verdict(self) -> str:
        overall = sum(p.overall_regressions for p in self.pipelines)
        by_category = sum(p.category_regressions for p in self.pipelines)
        items = f"{len(self.worsened)} 个条目变差"
        if self.regressions:
            return f"结论：发现 {self.regressions} 项指标退步（整体 {overall} 项、分类 {by_category} 项），{items}。"
        return f"结论：没有超出容差 {self.tolerance:g} 的指标退步（{self.improvements} 项改进），{items}。"


def compare_runs(baseline: Run, candidate: Run, *, tolerance: float = 0.01) -> Comparison:
    """Compare two loaded runs; InvalidInputError when they lack a summary or share no pipeline."""
    if tolerance < 0:
        raise InvalidInputError("容差不能为负数", field="tolerance")
    before, after = baseline.require_summary(), candidate.require_summary()
    shared = tuple(name for name in baseline.pipelines if name in before.pipelines and name in after.pipelines)
    if not shared:
        raise InvalidInputError(
            f"两次运行没有共同的流水线（A：{'、'.join(before.pipelines)}；B：{'、'.join(after.pipelines)}），无法对比",
            field="run_dir",
        )
    pipelines = tuple(
        _compare_pipeline(name, before.pipelines[name], after.pipelines[name], tolerance) for name in shared
    )
    return Comparison(
        baseline=str(baseline.path),
        candidate=str(candidate.path),
        tolerance=tolerance,
        pipelines=pipelines,
        only_in_baseline=tuple(name for name in before.pipelines if name not in after.pipelines),
        only_in_candidate=tuple(name for name in after.pipelines if name not in before.pipelines),
        worsened=worsened_items(baseline.results, candidate.results, pipelines=set(shared)),
        notes=_differences(baseline.info, candidate.info),
    )


def _compare_pipeline(name: str, a: PipelineSummary, b: PipelineSummary, tolerance: float) -> PipelineComparison:
    by_category = {
        # a category holds a handful of items: its latency is shown, but only the overall latency is judged
        category: compare_aggregates(a.by_category[category], b.by_category[category], tolerance, timing=False)
        for category in sorted(a.by_category)
        if category in b.by_category
    }
    return PipelineComparison(name, compare_aggregates(a.overall, b.overall, tolerance), by_category)


def compare_aggregates(
    before: Aggregate, after: Aggregate, tolerance: float, *, timing: bool = True
) -> tuple[MetricChange, ...]:
    """Every metric either side has a value for, in catalog order (metrics the catalog does not know last);
    with `timing` off, latency changes are listed but never counted as a regression or an improvement."""
    names = [name for name in METRICS if before.value(name) is not None or after.value(name) is not None]
    names += sorted(
        name
        for name in {*before.metrics, *after.metrics}
        if name not in METRICS and (before.value(name) is not None or after.value(name) is not None)
    )
    return tuple(_change(name, before.value(name), after.value(name), tolerance, timing) for name in names)


def _change(name: str, before: float | None, after: float | None, tolerance: float, timing: bool) -> MetricChange:
    judged = timing or METRICS[name].scale != "ms" if name in METRICS else True
    if before is None or after is None or not judged:
        return MetricChange(name, before, after, regressed=False, improved=False)
    regressed = is_worse(name, before, after, tolerance=tolerance)
    improved = is_worse(name, after, before, tolerance=tolerance)
    return MetricChange(name, before, after, regressed=regressed, improved=improved)


# --- items ---

_BINARY_CHECKS = (
    ("hit@5", "前 5 条由命中变为未命中"),
    ("refusal_correct", "拒答判断由正确变为错误"),
    ("dialogue_passed", "多轮场景由通过变为未通过"),
)


def item_regressions(before: ItemResult, after: ItemResult) -> tuple[str, ...]:
    reasons = []
    if after.error and not before.error:
        reasons.append("新出现运行错误")
    elif after.failed and not before.failed:
        reasons.append("由通过变为未通过")
    for metric, reason in _BINARY_CHECKS:
        if before.metrics.get(metric) == 1 and after.metrics.get(metric) == 0:
            reasons.append(reason)
    return tuple(reasons)


def worsened_items(
    before: Iterable[ItemResult], after: Iterable[ItemResult], *, pipelines: set[str]
) -> tuple[WorsenedItem, ...]:
    earlier = {item.key: item for item in before if item.pipeline in pipelines}
    found = []
    for item in after:
        previous = earlier.get(item.key)
        reasons = item_regressions(previous, item) if previous is not None else ()
        if reasons:
            found.append(
                WorsenedItem(item.pipeline, item.dataset, item.id, item.category, item.question, reasons, item.failures)
            )
    return tuple(sorted(found, key=lambda worse: (worse.pipeline, worse.dataset, worse.id)))


def _differences(a: RunInfo, b: RunInfo) -> tuple[str, ...]:
    notes = []
    sets_a = {(d.name, d.items) for d in a.datasets}
    sets_b = {(d.name, d.items) for d in b.datasets}
    if sets_a != sets_b:
        notes.append("两次运行的评测集或条目数不同，指标差异可能来自数据而非系统。")
    for field, what in (("brain", "大脑"), ("embedder", "向量模型"), ("corpus", "语料"), ("judge", "评审模型")):
        first, second = getattr(a, field), getattr(b, field)
        if first != second:
            notes.append(f"{what}不同：A 为 {first or '无'}，B 为 {second or '无'}。")
    return tuple(notes)


def comparison_to_json(comparison: Comparison) -> dict[str, Any]:
    def changes(items: Iterable[MetricChange]) -> list[dict[str, Any]]:
        return [{**asdict(change), "delta": change.delta} for change in items]

    return {
        "baseline": comparison.baseline,
        "candidate": comparison.candidate,
        "tolerance": comparison.tolerance,
        "regressions": comparison.regressions,
        "improvements": comparison.improvements,
        "verdict": comparison.verdict,
        "notes": list(comparison.notes),
        "only_in_baseline": list(comparison.only_in_baseline),
        "only_in_candidate": list(comparison.only_in_candidate),
        "pipelines": {
            p.pipeline: {
                "overall": changes(p.overall),
                "by_category": {category: changes(items) for category, items in p.by_category.items()},
            }
            for p in comparison.pipelines
        },
        "worsened_items": [asdict(item) for item in comparison.worsened],
    }
