"""report.html: self-contained (no script, no URL), Chinese, every text escaped, absent metrics as "—", the best
pipeline of each overview row marked, and the worst items ordered by how badly they went."""

import re
from html import escape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.report import render_report, write_report
from eval.report_items import trouble, worst_items
from eval.run_dir import ItemResult, load_run
from minfu.cli import app
from minfu.errors import InvalidInputError
from tests.eval.run_fixture import (
    ABSENT_METRIC,
    HOSTILE_ANSWER,
    HOSTILE_QUESTION,
    HOSTILE_TITLE,
    pipeline_items,
    write_run,
)

runner = CliRunner()


@pytest.fixture
def report_html(tmp_path: Path) -> str:
    return write_report(write_run(tmp_path, truncate_last=True)).read_text(encoding="utf-8")


def _overview_row(html: str, metric: str) -> list[str]:
    """The cells of the overview row of `metric` (its label cell excluded)."""
    overview = html.split('id="overview"')[1].split("</section>")[0]
    row = next(row for row in overview.split("<tr>") if f"<small>{metric}</small>" in row)
    return re.findall(r"<td class=\"num[^\"]*\">[^<]*</td>", row)


def test_the_report_is_one_file_with_no_script_and_no_url(report_html: str) -> None:
    assert "<script" not in report_html.lower()
    assert not re.search(r"https?://", report_html)
    assert not re.search(r"\b(src|href)=\"(?!#)", report_html)  # only in-page anchors
    assert "default-src 'none'" in report_html  # the page may not load anything, should markup slip through
    for heading in ("闵服评测报告", "运行信息", "总览", "分组图表", "分类明细", "问题条目"):
        assert heading in report_html


def test_every_text_from_the_run_is_escaped(report_html: str) -> None:
    for hostile in (HOSTILE_ANSWER, HOSTILE_QUESTION, HOSTILE_TITLE, "<i>旧版</i>", "<script>x</script>"):
        assert hostile not in report_html
    for hostile in (HOSTILE_ANSWER, HOSTILE_QUESTION, HOSTILE_TITLE):
        assert escape(hostile) in report_html


def test_absent_metrics_show_a_dash_and_the_best_of_each_row_is_marked(report_html: str) -> None:
    assert [cell.endswith(">—</td>") for cell in _overview_row(report_html, ABSENT_METRIC)] == [True] * 3
    hit_at_5 = _overview_row(report_html, "hit@5")
    assert ["best" in cell for cell in hit_at_5] == [True, True, False]  # default and dense-e5 tie at 1.000
    latency = _overview_row(report_html, "latency_ms_p95")
    assert not any("best" in cell for cell in latency)  # all equal: nothing stands out


def test_an_interrupted_run_and_errors_are_announced(report_html: str) -> None:
    assert "第 16 行写到一半" in report_html
    assert "运行出错的条目：naive 1 条" in report_html
    assert "第 7 行 · 字段 question" in report_html  # a dataset problem


def test_one_pipeline_renders_without_comparison_marks(tmp_path: Path) -> None:
    html = render_report(load_run(write_run(tmp_path, pipelines=("default",))))
    assert 'class="num best"' not in html
    assert html.count('<svg class="chart"') >= 4
    assert "流水线 default（共 5 条" in html


def test_the_worst_items_come_first_and_a_clean_item_is_not_listed() -> None:
    items = [ItemResult.model_validate(row) for row in pipeline_items("naive")]
    ranked = [(item.id, why.reasons) for item, why in worst_items(items)]
    assert ranked[0] == ("dev-004", ("运行出错",))
    assert ranked[1][0] == "dev-002"  # failure, a miss, an unsupported and a stale citation
    clean = [ItemResult.model_validate(row) for row in pipeline_items("default")]
    assert trouble(next(item for item in clean if item.id == "dev-001")).score == 0
    assert [item.id for item, _ in worst_items(clean)] == ["dev-002"]


def test_a_run_without_summary_has_no_report(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="尚未完成或被中断"):
        write_report(write_run(tmp_path, with_summary=False))
    assert not (tmp_path / "report.html").exists()


def test_the_report_command_writes_the_file_or_explains_in_chinese(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run")
    result = runner.invoke(app, ["eval", "report", str(run)])
    assert result.exit_code == 0, result.output
    assert "报告已写入" in result.output and (run / "report.html").is_file()
    missing = runner.invoke(app, ["eval", "report", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "找不到评测运行目录" in missing.output
