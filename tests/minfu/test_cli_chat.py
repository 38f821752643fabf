"""`minfu ask` and `minfu chat` in-process: the assistant over the fixture texts, a persisted conversation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minfu.cli import app
from minfu.settings import get_settings
from tools.store.uscc import check_char

FIXTURES = Path(__file__).parents[1] / "knowledge" / "fixtures"
USCC = "91310112MA1000031" + check_char("91310112MA1000031")
runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MINFU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MINFU_EMBEDDER", "hashing")
    monkeypatch.setenv("MINFU_DATABASE_URL", f"sqlite:///{tmp_path / 'minfu.sqlite'}")
    get_settings.cache_clear()
    result = runner.invoke(app, ["ingest", str(FIXTURES), "--lexical-only"])
    assert result.exit_code == 0, result.output
    yield tmp_path / "data"
    get_settings.cache_clear()


def _ask(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["ask", *args, "--json"])
    assert result.exit_code == 0, result.output
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def test_ask_json_gives_answer_citations_tool_calls_and_timings() -> None:
    answer = _ask("普惠性政策是否纳入免申即享")
    assert answer["brain"] == "offline" and answer["agent"] == "policy"
    assert isinstance(answer["citations"], list) and answer["citations"]
    calls = answer["tool_calls"]
    assert isinstance(calls, list) and calls[0]["name"] == "search_knowledge" and calls[0]["ok"] is True
    timings = answer["timings_ms"]
    assert isinstance(timings, dict) and timings["total_ms"] > 0


def test_a_conversation_continues_across_invocations() -> None:
    who = ["--enterprise", USCC, "--enterprise-name", "上海丁科技有限公司"]
    first = _ask("我想办理食品经营许可", *who, "--conversation", "cli-1")
    assert "姓名" in str(first["answer"])
    second = _ask("孙七", *who, "--conversation", "cli-1")
    assert "手机" in str(second["answer"])


def test_an_identity_without_a_name_is_refused_clearly() -> None:
    result = runner.invoke(app, ["ask", "我的办件到哪一步了", "--enterprise", USCC])
    assert result.exit_code == 2 and "--enterprise-name" in result.output
    bad = runner.invoke(app, ["ask", "你好", "--enterprise", "123", "--enterprise-name", "某公司"])
    assert bad.exit_code == 2 and "统一社会信用代码" in bad.output


def test_chat_answers_each_line_until_exit() -> None:
    result = runner.invoke(app, ["chat"], input="你好\n今天天气怎么样\n退出\n")
    assert result.exit_code == 0, result.output
    assert "您好" in result.output and "超出" in result.output and "会话已保存" in result.output


def test_an_empty_question_is_a_clear_error() -> None:
    result = runner.invoke(app, ["ask", "   "])
    assert result.exit_code == 2 and "请输入" in result.output
