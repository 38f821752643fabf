"""Prometheus metrics: request counts by route template and status, chat-turn helpers, and /metrics in the app."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from agents.assistant import Reply, ToolCallRecord
from api.app import create_app
from api.errors import install_error_handlers
from api.limits import install_limits
from api.metrics import REGISTRY, record_tool_call, record_turn
from api.observability import install_observability
from knowledge.base import KnowledgeBase
from minfu.settings import Settings


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = Settings()
    app = FastAPI()
    install_error_handlers(app)
    install_limits(app, settings)
    install_observability(app, settings)

    @app.get("/v1/matters/{number}")
    def matter(number: str) -> dict[str, str]:
        return {"number": number}

    with TestClient(app) as test_client:
        yield test_client


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    labels = {"method": "GET", "route": "/v1/matters/{number}", "status": "200"}
    before = sample("minfu_http_requests_total", **labels)
    latency_before = sample("minfu_http_request_duration_seconds_count", method="GET", route="/v1/matters/{number}")
    client.get("/v1/matters/MH20261127-000001")
    client.get("/v1/matters/MH20261127-000002")
    assert sample("minfu_http_requests_total", **labels) == before + 2
    assert sample("minfu_http_request_duration_seconds_count", method="GET", route="/v1/matters/{number}") == (
        latency_before + 2
    )


def test_unknown_paths_and_methods_do_not_create_new_series(client: TestClient) -> None:
    before = sample("minfu_http_requests_total", method="GET", route="unmatched", status="404")
    client.get("/no/such/path/13800138000")
    assert sample("minfu_http_requests_total", method="GET", route="unmatched", status="404") == before + 1
    client.request("BREW", "/v1/matters/x")
    text = client.get("/metrics").text
    assert "13800138000" not in text and "/no/such/path" not in text and 'method="BREW"' not in text
    assert 'method="OTHER"' in text


def test_metrics_are_served_in_the_prometheus_text_format(client: TestClient) -> None:
    client.get("/v1/matters/MH1")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    for name in (
        "minfu_http_requests_total",
        "minfu_http_request_duration_seconds_bucket",
        "minfu_chat_turns_total",
        "minfu_tool_calls_total",
        "minfu_handoffs_offered_total",
        "minfu_unanswered_turns_total",
        "minfu_rate_limit_rejections_total",
        "process_cpu_seconds_total",
    ):
        assert f"# TYPE {name.removesuffix('_bucket').removesuffix('_total')}" in response.text, name
    assert 'route="/v1/matters/{number}"' in response.text


def reply(metadata: dict[str, object], calls: list[ToolCallRecord]) -> Reply:
    return Reply(
        conversation_id="c1",
        text="……",
        agent="policy",
        brain="offline",
        citations=[],
        tool_calls=calls,
        metadata=dict(metadata),
    )


def test_a_turn_counts_its_tool_calls_handoff_and_unanswered_answer() -> None:
    def counts() -> list[float]:
        return [
            sample("minfu_chat_turns_total", agent="policy", brain="offline"),
            sample("minfu_tool_calls_total", tool="search_knowledge", outcome="ok"),
            sample("minfu_tool_calls_total", tool="track_matter", outcome="error"),
            sample("minfu_handoffs_offered_total"),
            sample("minfu_unanswered_turns_total", agent="policy"),
        ]

    before = counts()
    calls = [
        ToolCallRecord("search_knowledge", {"query": "补贴"}, True, {"ok": True}, 3.0),
        ToolCallRecord("track_matter", {"number": "MH1"}, False, {"ok": False}, 1.0),
    ]
    record_turn(reply({"handoff_offered": True, "grounded": False}, calls))
    record_turn(reply({"grounded": True}, []))
    assert [after - b for after, b in zip(counts(), before, strict=True)] == [2, 1, 1, 1, 1]


def test_a_tool_name_the_model_made_up_is_counted_as_other() -> None:
    before = sample("minfu_tool_calls_total", tool="other", outcome="error")
    record_tool_call("drop_all_tables", ok=False)
    assert sample("minfu_tool_calls_total", tool="other", outcome="error") == before + 1
    assert REGISTRY.get_sample_value("minfu_tool_calls_total", {"tool": "drop_all_tables", "outcome": "error"}) is None


def test_the_application_has_metrics_request_ids_and_limits(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        embedder="hashing",
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'store.sqlite'}",
        max_body_bytes=2048,
    )
    with TestClient(create_app(settings, knowledge=KnowledgeBase.open(settings), fill_dense=False)) as client:
        health = client.get("/healthz", headers={"X-Request-ID": "probe-1"})
        metrics = client.get("/metrics")
        too_large = client.post("/v1/search", content=b"x" * 4096)
    assert health.headers["x-request-id"] == "probe-1"
    assert metrics.status_code == 200 and 'route="/healthz"' in metrics.text
    assert too_large.status_code == 413 and too_large.json()["message"] == "请求内容过大，不能超过 2 KB"


def test_routes_included_with_a_prefix_are_labelled_with_the_full_template() -> None:
    router = APIRouter()

    @router.get("/items/{n}")
    def item(n: int, user: str) -> dict[str, int]:
        return {"n": n}

    app = FastAPI()
    install_limits(app, Settings())
    install_observability(app, Settings())
    app.include_router(router, prefix="/v1")
    app.include_router(router, prefix="/users/{user}")
    with TestClient(app) as client:
        client.get("/v1/items/7", params={"user": "x"})
        client.get("/users/alice/items/8")
        text = client.get("/metrics").text
    assert 'route="/v1/items/{n}"' in text and 'route="/users/{user}/items/{n}"' in text
    assert "alice" not in text and 'route="/items/{n}"' not in text
