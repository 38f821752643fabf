"""Loading a run directory: typed items and summaries, an interrupted run's half line skipped, and every kind of
broken directory refused with a Chinese message that names the file (and line)."""

import json
from pathlib import Path

import pytest

from eval.run_dir import load_run
from minfu.errors import InvalidInputError
from tests.eval.run_fixture import ABSENT_METRIC, PIPELINES, changed, standard_items, write_run


def test_a_complete_run_loads_with_its_pipelines_items_and_summary(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path))
    assert run.pipelines == PIPELINES
    assert len(run.results) == len(standard_items()) and run.truncated_line is None
    summary = run.require_summary()
    assert summary.pipelines["default"].overall.value("hit@5") == 1.0
    assert summary.pipelines["default"].overall.value(ABSENT_METRIC) is None
    assert summary.pipelines["naive"].errors == 1
    assert summary.pipelines["default"].by_category["refusal"].items == 1
    dialogue = next(item for item in run.items_of("default") if item.kind == "dialogue")
    assert [turn.agent for turn in dialogue.turns] == ["investment", "policy"]
    assert run.info.duration_s == 125.0


def test_the_half_written_last_line_of_an_interrupted_run_is_skipped(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path, truncate_last=True))
    assert run.truncated_line == len(standard_items()) + 1
    assert len(run.results) == len(standard_items())


def test_a_broken_line_before_the_last_is_an_error_naming_it(tmp_path: Path) -> None:
    write_run(tmp_path)
    lines = (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:20]
    (tmp_path / "results.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="第 2 行不是有效的 JSON"):
        load_run(tmp_path)


def test_a_later_line_for_the_same_item_replaces_the_earlier_one(tmp_path: Path) -> None:
    items = standard_items(("default",))
    retried = changed(items, "default", "dev-001", answer="重跑后的回答")
    write_run(tmp_path, [*items, retried[0]], pipelines=("default",))
    run = load_run(tmp_path)
    assert len(run.results) == len(items)
    assert next(item for item in run.results if item.id == "dev-001").answer == "重跑后的回答"


def test_a_run_without_summary_loads_but_cannot_be_reported(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path, with_summary=False))
    assert run.summary is None and len(run.results) == len(standard_items())
    with pytest.raises(InvalidInputError, match=r"没有 summary\.json"):
        run.require_summary()


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("missing", "找不到评测运行目录"),
        ("file", "不是目录"),
        ("no_run_json", "缺少 run.json"),
        ("bad_json", r"run.json 不是有效的 JSON（第 1 行"),
        ("missing_field", "缺少字段 brain"),
        ("future_version", "格式版本为 2"),
        ("bad_item", r"results.jsonl 第 1 行 不符合运行目录的格式：字段 kind"),
    ],
)
def test_broken_run_directories_are_refused_in_chinese(tmp_path: Path, breakage: str, message: str) -> None:
    target = write_run(tmp_path / "run")
    info = json.loads((target / "run.json").read_text(encoding="utf-8"))
    if breakage == "missing":
        target = tmp_path / "elsewhere"
    elif breakage == "file":
        target = target / "run.json"
    elif breakage == "no_run_json":
        (target / "run.json").unlink()
    elif breakage == "bad_json":
        (target / "run.json").write_text("{", encoding="utf-8")
    elif breakage in ("missing_field", "future_version"):
        if breakage == "missing_field":
            del info["brain"]
        else:
            info["version"] = 2
        (target / "run.json").write_text(json.dumps(info), encoding="utf-8")
    else:
        item = {**standard_items()[0], "kind": "monologue"}
        (target / "results.jsonl").write_text(json.dumps(item) + "\n" + json.dumps(item) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message):
        load_run(target)
