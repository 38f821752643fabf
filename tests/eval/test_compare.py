"""`minfu eval compare A B`: per-pipeline and per-category deltas, regressions by the catalog's direction and the
tolerance, items that got worse, the exit code CI relies on (1 on a regression) and Chinese errors (exit 2)."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eval.compare import Comparison, compare_aggregates, compare_runs
from eval.run_dir import Aggregate, load_run
from minfu.cli import app
from minfu.errors import InvalidInputError
from tests.eval.run_fixture import changed, standard_items, write_run

runner = CliRunner()
Items = list[dict[str, Any]]


def _compare(tmp_path: Path, before: Items, after: Items, *, tolerance: float = 0.01, **kwargs: Any) -> Comparison:
    a = write_run(tmp_path / "a", before, **kwargs)
    b = write_run(tmp_path / "b", after, **kwargs)
    return compare_runs(load_run(a), load_run(b), tolerance=tolerance)


def _overall(comparison: Comparison, pipeline: str, metric: str) -> Any:
    found = next(p for p in comparison.pipelines if p.pipeline == pipeline)
    return next(change for change in found.overall if change.metric == metric)


def test_identical_runs_have_no_regression_and_exit_zero(tmp_path: Path) -> None:
    items = standard_items()
    comparison = _compare(tmp_path, items, items)
    assert comparison.regressions == 0 and comparison.worsened == () and comparison.notes == ()
    assert [p.pipeline for p in comparison.pipelines] == ["default", "dense-e5", "naive"]
    result = runner.invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "结论：没有超出容差" in result.output


def test_a_lost_hit_is_a_regression_overall_per_category_and_per_item(tmp_path: Path) -> None:
    before = standard_items()
    after = changed(before, "default", "dev-001", metrics={"hit@5": 0.0}, failures=["前 5 条检索结果中没有相关条款"])
    comparison = _compare(tmp_path, before, after)
    hit = _overall(comparison, "default", "hit@5")
    assert hit.regressed and hit.delta == pytest.approx(-1 / 3)
    default = comparison.pipelines[0]
    assert [c.metric for c in default.by_category["policy_plan/one_thing"] if c.regressed] == ["hit@5"]
    assert comparison.regressions == 2
    [worse] = comparison.worsened
    assert (worse.pipeline, worse.dataset, worse.id) == ("default", "dev_policy_qa", "dev-001")
    assert worse.reasons == ("由通过变为未通过", "前 5 条由命中变为未命中")

    result = runner.invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 1, result.output
    assert "结论：发现 2 项指标退步（整体 1 项、分类 1 项），1 个条目变差。" in result.output
    as_json = runner.invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"])
    assert as_json.exit_code == 1
    payload = json.loads(as_json.stdout)
    assert payload["regressions"] == 2 and payload["worsened_items"][0]["id"] == "dev-001"
    assert next(c for c in payload["pipelines"]["default"]["overall"] if c["metric"] == "hit@5")["regressed"]


def test_direction_and_tolerance_decide_what_counts(tmp_path: Path) -> None:
    before = standard_items(("default",))
    after = changed(before, "default", "dev-001", metrics={"mrr@10": 0.99, "currency_violations": 1.0})
    after = changed(after, "default", "dlg-001", latency_ms=125.0)  # p95 120 → 125 ms: within 10 %
    comparison = _compare(tmp_path, before, after, pipelines=("default",))
    assert not _overall(comparison, "default", "mrr@10").regressed  # -0.0033 on the mean
    assert _overall(comparison, "default", "currency_violations").regressed  # lower is better, any rise counts
    assert not _overall(comparison, "default", "latency_ms_p95").regressed
    strict = _compare(tmp_path / "strict", before, after, tolerance=0.0, pipelines=("default",))
    assert _overall(strict, "default", "mrr@10").regressed


def test_improvements_are_not_regressions(tmp_path: Path) -> None:
    before = standard_items()
    after = changed(before, "naive", "dev-003", metrics={"refusal_correct": 1.0}, refused=True, failures=[])
    comparison = _compare(tmp_path, before, after)
    assert comparison.regressions == 0
    assert _overall(comparison, "naive", "refusal_correct").improved
    assert _overall(comparison, "naive", "refusal_precision").before is None  # absent before: no judgement
    assert not _overall(comparison, "naive", "refusal_precision").regressed


def test_a_new_error_is_an_item_that_got_worse(tmp_path: Path) -> None:
    before = standard_items()
    after = changed(before, "dense-e5", "dlg-001", error="大脑超时", metrics={"dialogue_passed": 0.0})
    [worse] = _compare(tmp_path, before, after).worsened
    assert worse.reasons == ("新出现运行错误", "多轮场景由通过变为未通过")


def test_pipelines_in_one_run_only_are_listed_not_compared(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", pipelines=("default", "naive"))
    b = write_run(tmp_path / "b", pipelines=("default", "dense-e5"))
    comparison = compare_runs(load_run(a), load_run(b))
    assert [p.pipeline for p in comparison.pipelines] == ["default"]
    assert comparison.only_in_baseline == ("naive",) and comparison.only_in_candidate == ("dense-e5",)


def test_runs_without_a_shared_pipeline_or_a_directory_are_errors(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", pipelines=("naive",))
    b = write_run(tmp_path / "b", pipelines=("default",))
    with pytest.raises(InvalidInputError, match="没有共同的流水线"):
        compare_runs(load_run(a), load_run(b))
    result = runner.invoke(app, ["eval", "compare", str(a), str(tmp_path / "missing")])
    assert result.exit_code == 2 and "找不到评测运行目录" in result.output


def test_a_category_latency_is_shown_but_only_the_overall_latency_is_judged() -> None:
    before = Aggregate.model_validate({"items": 2, "hit@5": 1.0, "latency_ms_p95": 100.0})
    after = Aggregate.model_validate({"items": 2, "hit@5": 0.5, "latency_ms_p95": 200.0})
    overall = {c.metric: c.regressed for c in compare_aggregates(before, after, 0.01)}
    category = {c.metric: c.regressed for c in compare_aggregates(before, after, 0.01, timing=False)}
    assert overall == {"hit@5": True, "latency_ms_p95": True}
    assert category == {"hit@5": True, "latency_ms_p95": False}
