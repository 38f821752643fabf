"""The `minfu` command in-process, over the test fixtures with the hashing embedder."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from minfu.cli import app
from minfu.settings import get_settings

FIXTURES = Path(__file__).parents[1] / "knowledge" / "fixtures"
runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MINFU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MINFU_EMBEDDER", "hashing")
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def _ingest(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["ingest", str(FIXTURES), "--json", *args])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def test_ingest_twice_reports_everything_unchanged() -> None:
    first = _ingest()
    assert first["documents"] > 0 and first["failed"] == 0 and first["new_chunks"] == first["chunks"]
    second = _ingest()
    assert second["new_chunks"] == 0 and second["unchanged_chunks"] == first["chunks"]
    assert second["index"]["dense_complete"] is True


def test_lexical_only_ingest_leaves_dense_index_empty() -> None:
    summary = _ingest("--lexical-only")
    assert summary["index"]["dense_chunks"] == 0 and summary["embedded_chunks"] == 0


def test_if_missing_skips_a_built_index() -> None:
    _ingest()
    result = runner.invoke(app, ["ingest", str(FIXTURES), "--if-missing"])
    assert result.exit_code == 0 and "跳过" in result.output


def test_search_json_has_citation_fields_and_ranks() -> None:
    _ingest()
    result = runner.invoke(app, ["search", "大型企业付款期限", "--k", "2", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert len(payload["hits"]) == 2
    assert {"title", "doc_number", "article", "section_path", "scores", "validity"} <= payload["hits"][0].keys()


def test_batch_search_writes_one_line_per_question(tmp_path: Path) -> None:
    _ingest()
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "a", "question": "付款期限"}\n\n{"id": "b", "question": "开店"}\n', encoding="utf-8")
    result = runner.invoke(app, ["search", "--queries", str(queries), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"] and all(line["hits"] for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search"], "二者选一"),
        (["search", "问题", "--kind", "novel"], "未知的文档类型"),
        (["search", "--queries", "/nonexistent.jsonl"], "找不到问题文件"),
        (["ingest", "/nonexistent/dir"], "路径不存在"),
        (["search", "问题", "--effective-after", "2020-13-01"], "日期格式"),
    ],
)
def test_bad_input_exits_2_with_a_chinese_message(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_bad_batch_line_names_the_line(tmp_path: Path) -> None:
    _ingest()
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "a", "question": "付款"}\nnot json\n', encoding="utf-8")
    result = runner.invoke(app, ["search", "--queries", str(queries)])
    assert result.exit_code == 2 and "第 2 行" in result.output


def test_date_filters_keep_only_texts_in_force_from_that_day() -> None:
    _ingest()
    result = runner.invoke(app, ["search", "付款期限", "--k", "10", "--effective-after", "2025-01-01", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["hits"]
    assert hits and all(h["effective_from"] >= "2025-01-01" for h in hits)


def test_ann_recall_bench_prints_a_row_per_setting(tmp_path: Path) -> None:
    _ingest()
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        "".join(f'{{"id": "{i}", "question": "付款期限 第{i}条"}}\n' for i in range(5)), encoding="utf-8"
    )
    result = runner.invoke(app, ["bench", "ann-recall", "--queries", str(queries), "--k", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.count("cosine") == 3 and "recall@3" in result.output


def test_ann_recall_bench_refuses_an_empty_index(tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "1", "question": "付款"}\n', encoding="utf-8")
    result = runner.invoke(app, ["bench", "ann-recall", "--queries", str(queries)])
    assert result.exit_code == 2 and "minfu ingest" in result.output
