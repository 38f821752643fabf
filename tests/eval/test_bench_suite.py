"""`minfu bench` (the suite) on small inputs: real indexes, the real assistant and a real service subprocess.

Speed is not asserted: these tests check that every section measures what it says (exact chunk counts, originals
versus copies, sampled versus full embedding, a nothing-changed second ingest, per-stage chat timings, service
memory sampled under load) and that the command prints one parseable JSON document.
"""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eval.bench.ingest import IngestBenchOptions, run_ingest_bench
from eval.bench.scaled_corpus import DISTRICTS, ScaledCorpus, load_sources
from eval.bench.search_scaling import SearchBenchOptions, run_search_bench
from eval.bench.service_knowledge import HASHING_SPEC
from eval.bench.suite import SuiteOptions, parse_sections, parse_sizes, run_suite
from knowledge.bundled import bundled_corpus_path
from knowledge.chunking import Chunker
from minfu.cli import app
from minfu.domain import Validity
from minfu.errors import InvalidInputError

REPO = Path(__file__).resolve().parents[2]
QUERIES = REPO / "eval" / "datasets" / "dev_policy_qa.jsonl"
DIALOGUES = REPO / "eval" / "datasets" / "dialogues.jsonl"
NATIONAL = bundled_corpus_path() / "laws" / "national"
SMALL_LAW = NATIONAL / "企业信息公示暂行条例(2014-08-07).md"
QUESTIONS = ("劳动合同的试用期最长不得超过多久？", "开奶茶店要办什么证", "企业年度报告什么时候报送？")


def _matters_file(path: Path) -> Path:
    """Three records in the Guangdong service-matter shape (the real file lives outside the repository)."""
    rows = [
        {
            "TASK_CODE": f"11440000{n}",
            "TASK_NAME": name,
            "matter_name": name,
            "DEPT_NAME": "广东省市场监督管理局",
            "TASK_TYPE_TEXT": "行政许可",
            "accept_standard": "申请人应当具备法定条件。",
            "material_intro": ["申请书", "营业执照"],
            "handle_time": "20(工作日)",
        }
        for n, name in enumerate(("食品经营许可", "药品经营许可证核发", "医疗器械经营备案"))
    ]
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), encoding="utf-8")
    return path


def test_scaled_sets_have_exact_sizes_and_distinct_district_copies(tmp_path: Path) -> None:
    paths = [
        NATIONAL / "反垄断法(2007-08-30).md",
        NATIONAL / "反垄断法(2022-06-24).md",
        _matters_file(tmp_path / "m.jsonl"),
    ]
    corpus = ScaledCorpus(load_sources(paths).documents, Chunker(400))
    originals = corpus.original_chunks

    small = corpus.take(originals // 2)
    assert (small.size, small.copied_chunks) == (originals // 2, 0)

    large = corpus.take(3 * originals + 7)
    assert large.size == 3 * originals + 7
    assert large.original_chunks == originals and large.copy_rounds == 3  # two whole rounds and a part of a third
    chunk_ids = [chunk.id for item in large.documents for chunk in item.chunks]
    assert len(chunk_ids) == len(set(chunk_ids))
    copies = [item for item in large.documents if item.copy_round == 1]
    district = DISTRICTS[0]
    assert all(item.document.title.startswith(district) and "副本1" in item.document.id for item in copies)
    assert all(f"【{district}】" in chunk.text for item in copies for chunk in item.chunks)
    # versions link within a round as they do among the originals: the 2007 copy is superseded by the 2022 copy
    antitrust = {item.document.version: item.document for item in copies if "反垄断法" in item.document.title}
    older, newer = antitrust["2007-08-30"], antitrust["2022-06-24"]
    assert (older.superseded_by, newer.superseded_by) == (newer.id, None)
    assert older.validity(date.today()) is Validity.SUPERSEDED


def test_search_latency_is_measured_per_size_over_the_products_indexes(tmp_path: Path) -> None:
    options = SearchBenchOptions(
        sizes=(100, 300),
        embedder=HASHING_SPEC,
        questions=QUESTIONS,
        matters=tmp_path / "absent.jsonl",
        rounds=2,
        measure_e5_queries=False,
    )
    result = run_search_bench(options)

    assert result["sources"]["missing"] == [str(tmp_path / "absent.jsonl")]
    assert [row["chunks"] for row in result["sizes"]] == [100, 300]
    for row in result["sizes"]:
        assert row["original_chunks"] == row["chunks"] and row["copied_chunks"] == 0
        assert row["latency_ms"]["n"] == len(QUESTIONS) * 2 and row["latency_ms"]["p50"] > 0
        assert row["lexical_only_answers"] == 0  # the dense side answered every time
        assert 0 < row["current_chunks"] <= row["chunks"]
        build = row["build_s"]
        assert build["total"] == pytest.approx(build["catalog"] + build["lexical"] + build["dense"], abs=0.05)
    assert result["sizes"][0]["vs_first"]["p50"] == 1.0
    assert result["sizes"][1]["vs_first"]["chunks"] == 3.0
    assert result["e5_query_embedding"] is None


def test_ingest_throughput_full_then_sampled_and_a_second_run_that_changes_nothing() -> None:
    full = run_ingest_bench(IngestBenchOptions(HASHING_SPEC, None, SMALL_LAW))
    assert full["documents"] == 1 and full["chunks"] > 10 and full["embedder"] == "hashing-384"
    assert not full["dense"]["sampled"] and full["dense"]["chunks"] == full["chunks"]
    assert full["chunk_lexical"]["chunks_per_s"] > 0 and full["load"]["characters_per_s"] > 0
    assert full["second_run"] | {"seconds": 0, "vs_first": 0} == {
        "seconds": 0, "new_chunks": 0, "embedded_chunks": 0, "dense_checked": True, "vs_first": 0,
    }  # fmt: skip

    sampled = run_ingest_bench(IngestBenchOptions(HASHING_SPEC, 5, SMALL_LAW))
    assert sampled["dense"]["sampled"] and sampled["dense"]["chunks"] == 5 and sampled["first_run_estimated"]
    assert sampled["dense"]["seconds_full"] > sampled["dense"]["seconds"]  # the whole corpus has more characters


def test_service_sections_on_a_temporary_index(tmp_path: Path) -> None:
    options = SuiteOptions(
        sections=("chat", "http", "memory"),
        seconds=2.0,
        concurrency=2,
        queries=QUERIES,
        dialogues=DIALOGUES,
        service_index="temporary",
        service_corpus=SMALL_LAW,
        chat_questions=3,
        chat_dialogues=1,
        http_warmup_s=0.0,
        probe_turns=2,
    )
    report = run_suite(options)

    sections = report["sections"]
    assert not [name for name, result in sections.items() if "error" in result], sections
    assert report["service_knowledge"]["kind"] == "temporary"
    assert report["service_knowledge"]["status"]["dense_complete"]
    _check_chat(sections["chat"])
    http = sections["http"]
    assert http["load"]["sessions"] == 2 and http["load"]["errors"] == 0 and http["load"]["turns_completed"] > 0
    assert set(http["load_vs_probe"]) == {"first_event", "full_turn"}
    memory = sections["memory"]
    assert memory["idle_mb"]["median"] > 50 and memory["load"]["errors"] == 0
    assert memory["load_mb"]["peak"] >= memory["load_mb"]["median"] > 50 and memory["vm_hwm_mb"] > 50
    assert memory["load_mb"]["samples"] >= 10  # sampled all through the two-second load


def _check_chat(chat: dict[str, Any]) -> None:
    assert chat["single_turn"]["turns"] == 3 and chat["single_turn"]["brains"] == ["offline"]
    assert chat["multi_turn"]["turns"] >= 2 and len(chat["scenarios"]) == 1
    stages = chat["single_turn"]["stages_ms"]
    assert stages["wall"]["p50"] >= stages["total"]["p50"] > 0
    assert set(stages) == {"wall", "total", "model", "tool", "other"}


def test_the_command_prints_one_json_document(tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text("\n".join(json.dumps({"id": n, "question": q}) for n, q in enumerate(QUESTIONS)), "utf-8")
    arguments = ["--only", "search", "--sizes", "120", "--rounds", "1", "--queries", str(queries)]
    result = CliRunner().invoke(app, ["bench", *arguments, "--matters", str(tmp_path / "none.jsonl"), "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report["sections"]) == ["search"]
    assert report["sections"]["search"]["sizes"][0]["chunks"] == 120
    assert report["options"]["embedder_spec"] == HASHING_SPEC


def test_the_command_refuses_bad_options_in_chinese_and_keeps_its_subcommands() -> None:
    runner = CliRunner()
    refused = runner.invoke(app, ["bench", "--only", "ingest,disk"])
    assert refused.exit_code == 2 and "未知的基准项目：disk" in refused.output
    assert runner.invoke(app, ["bench", "http", "--help"]).exit_code == 0
    assert runner.invoke(app, ["bench", "ann-recall", "--help"]).exit_code == 0


def test_sections_and_sizes_are_parsed_in_suite_order() -> None:
    assert parse_sections("memory, ingest") == ("ingest", "memory")
    assert parse_sections(None) == ("ingest", "search", "chat", "http", "memory")
    assert parse_sizes("10_000, 1000,1000") == (1000, 10000)
    for bad in ("0", "1k", "-5"):
        with pytest.raises(InvalidInputError):
            parse_sizes(bad)
