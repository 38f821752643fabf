"""Failures reach the agent as structured results: never a raw exception, never silence."""

import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.tools.agent_tools.helpers import DATABASE, ENTERPRISE_A, Caller, assert_error
from tools.store import make_engine


def _drop(database: Path, *tables: str) -> None:
    """Really break the tools' database (the file the `services` fixture uses)."""
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DROP TABLE {table}"))
    engine.dispose()


def test_an_unexpected_failure_is_logged_and_becomes_internal_error(
    call: Caller, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    _drop(tmp_path / DATABASE, "matter_events", "matter_materials", "matters")
    with caplog.at_level(logging.ERROR, logger="tools.agent_tools.results"):
        result = call("list_my_matters", {}, ENTERPRISE_A)
    assert_error(result, "internal_error")
    assert "matters" not in result["error"]["message"]  # no internals leak to the model
    assert any("list_my_matters" in record.getMessage() for record in caplog.records)


def test_handoff_still_answers_when_the_ticket_cannot_be_recorded(call: Caller, tmp_path: Path) -> None:
    _drop(tmp_path / DATABASE, "ticket_replies", "tickets")
    result = call("handoff_to_human", {"reason": "系统出错了需要人工帮助"}, ENTERPRISE_A)
    assert result["ok"] is True and result["handoff"] is True and result["recorded"] is False
    assert "12345" in result["message"]


def test_schema_violations_come_back_as_chinese_structured_errors(call: Caller) -> None:
    result = call("rate_request", {"ticket_number": "SQ1", "score": "五星"}, ENTERPRISE_A)
    assert_error(result, "invalid_input", field="score")
    assert "整数" in result["error"]["message"]
    assert call.last is not None and call.last.status == "error"
    missing = call("start_matter", {"matter_code": "MH-SJ-SHIPIN"}, ENTERPRISE_A)
    assert_error(missing, "invalid_input")
    assert "缺少必填参数" in missing["error"]["message"]
