"""Structured logs: request ids in and out, one masked JSON object per line, and a 500 that carries the id."""

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import install_error_handlers
from api.limits import install_limits
from api.logging_setup import configure_logging, current_request_id, sane_request_id
from api.observability import install_observability
from minfu.settings import Settings

log = logging.getLogger("minfu.test.routes")


def observed_app(settings: Settings) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_limits(app, settings)
    install_observability(app, settings)

    @app.get("/contact/{name}")
    def contact(name: str) -> dict[str, str | None]:
        log.info("联系人 %s 的电话 13800138000", name, extra={"detail": {"card": "6222021234567890123", "n": 3}})
        return {"request_id": current_request_id()}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("数据库连接失败，操作人手机 13912345678")

    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(observed_app(Settings(log_format="json")), raise_server_exceptions=False) as test_client:
        yield test_client


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_sane_incoming_request_id_is_kept_and_returned(client: TestClient) -> None:
    response = client.get("/contact/zhang", headers={"X-Request-ID": "gw-2026.11.27:abc-123"})
    assert response.headers["x-request-id"] == "gw-2026.11.27:abc-123"
    assert response.json() == {"request_id": "gw-2026.11.27:abc-123"}  # the route's thread sees it too


def test_without_a_request_id_a_new_one_is_made_per_request(client: TestClient) -> None:
    first = client.get("/contact/zhang").headers["x-request-id"]
    second = client.get("/contact/zhang").headers["x-request-id"]
    assert len(first) == 32 and int(first, 16) >= 0 and first != second


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("abc-123", True),
        ("0f8c2a5e-7d7e-4c1b-9a8f-1d2e3f405162", True),
        ("", False),
        ("has space", False),
        ("x" * 129, False),
        ("<script>", False),
        ("13800138000", False),  # an id must not smuggle a phone number into the logs
        ("-leading-dash", False),
    ],
)
def test_only_sane_request_ids_are_accepted(raw: str, kept: bool) -> None:
    assert (sane_request_id(raw) == raw) is kept


def test_each_log_line_is_a_json_object_with_the_request_id_and_masked_numbers(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = client.get("/contact/13800138000", params={"q": "身份证310112199001011233"})
    request_id = response.headers["x-request-id"]
    lines = json_lines(capsys.readouterr().err)
    route_line = next(line for line in lines if line["logger"] == "minfu.test.routes")
    assert route_line["message"] == "联系人 138****8000 的电话 138****8000"
    assert route_line["detail"] == {"card": "***************0123", "n": 3}
    assert route_line["request_id"] == request_id and route_line["level"] == "INFO"
    assert route_line["ts"].endswith("+00:00")
    access = next(line for line in lines if line["logger"] == "minfu.api.access")
    assert access["path"] == "/contact/138****8000"  # masked; the query string is never logged
    assert access["route"] == "/contact/{name}" and access["method"] == "GET" and access["status"] == 200
    assert isinstance(access["duration_ms"], float) and access["request_id"] == request_id
    assert "13800138000" not in json.dumps(lines) and "310112199001011233" not in json.dumps(lines)


def test_an_unhandled_error_is_a_chinese_500_with_the_request_id_and_a_masked_log(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = client.get("/boom", headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 500 and response.headers["x-request-id"] == "trace-42"
    body = response.json()
    assert body == {"error": "internal_error", "message": "服务内部错误，请稍后重试", "request_id": "trace-42"}
    assert "Traceback" not in response.text
    lines = json_lines(capsys.readouterr().err)
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["request_id"] == "trace-42" and "RuntimeError" in error["exc"]
    assert "139****5678" in error["exc"] and "13912345678" not in error["exc"]
    access = next(line for line in lines if line["logger"] == "minfu.api.access")
    assert access["status"] == 500


def test_probes_are_logged_at_debug_only(client: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    client.get("/metrics")
    assert not [line for line in json_lines(capsys.readouterr().err) if line["logger"] == "minfu.api.access"]


def test_text_format_masks_too_and_shows_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    with TestClient(observed_app(Settings(log_format="text"))) as client:
        client.get("/contact/li", headers={"X-Request-ID": "req-7"})
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "minfu.test.routes" in line)
    assert "[req-7]" in line and "138****8000" in line and "***************0123" in line
    assert not err.lstrip().startswith("{")


def test_configuring_again_replaces_the_handler_and_sets_the_level() -> None:
    root = logging.getLogger()
    configure_logging(Settings(log_level="warning"))
    configure_logging(Settings(log_level="debug"))
    assert len([h for h in root.handlers if h.get_name() == "minfu"]) == 1
    assert root.level == logging.DEBUG
    assert logging.getLogger("uvicorn.access").disabled
    configure_logging(Settings())
