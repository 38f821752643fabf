"""Body size (413) and time-to-answer (504) limits on a small app with the real middleware and error handlers."""

import asyncio
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.errors import install_error_handlers
from api.limits import install_limits
from api.observability import install_observability
from minfu.settings import Settings


class Echo(BaseModel):
    text: str


def limited_app(**overrides: object) -> FastAPI:
    settings = Settings(**({"max_body_bytes": 1024, "request_timeout_s": 0.3} | overrides))  # type: ignore[arg-type]
    app = FastAPI()
    install_error_handlers(app)
    install_limits(app, settings)
    install_observability(app, settings)

    @app.post("/echo")
    def echo(body: Echo) -> dict[str, int]:
        return {"chars": len(body.text)}

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.get("/slow-sync")
    def slow_sync(seconds: float) -> dict[str, str]:
        time.sleep(seconds)
        return {"status": "done"}

    @app.get("/slow-async")
    async def slow_async(seconds: float) -> dict[str, str]:
        await asyncio.sleep(seconds)
        return {"status": "done"}

    @app.get("/stream")
    def stream() -> StreamingResponse:
        def events() -> Iterator[str]:
            for n in range(4):
                time.sleep(0.15)
                yield f"data: {n}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(limited_app()) as test_client:
        yield test_client


def test_a_body_within_the_limit_is_served(client: TestClient) -> None:
    response = client.post("/echo", json={"text": "营业执照" * 50})
    assert response.status_code == 200 and response.json() == {"chars": 200}


def test_a_declared_body_over_the_limit_is_a_chinese_413(client: TestClient) -> None:
    response = client.post("/echo", json={"text": "x" * 2000})
    assert response.status_code == 413
    assert response.json() == {"error": "body_too_large", "message": "请求内容过大，不能超过 1 KB"}


def test_a_streamed_body_without_length_is_counted_and_cut_at_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(8):
            yield b"a" * 400

    response = client.post("/raw", content=chunks())
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413 and response.json()["error"] == "body_too_large"
    small = client.post("/raw", content=iter([b"a" * 400, b"b" * 400]))
    assert small.status_code == 200 and small.json() == {"bytes": 800}


def test_a_slow_synchronous_route_is_answered_504_in_time(client: TestClient) -> None:
    started = time.perf_counter()
    response = client.get("/slow-sync", params={"seconds": 1.2})
    elapsed = time.perf_counter() - started
    assert response.status_code == 504 and elapsed < 1.0
    assert response.json() == {"error": "timeout", "message": "请求处理超时（超过 0.3 秒），请稍后重试"}
    assert response.headers["x-request-id"]


def test_a_slow_asynchronous_route_is_cancelled_with_504(client: TestClient) -> None:
    started = time.perf_counter()
    response = client.get("/slow-async", params={"seconds": 5})
    assert response.status_code == 504 and time.perf_counter() - started < 1.0


def test_a_route_within_the_timeout_answers(client: TestClient) -> None:
    assert client.get("/slow-async", params={"seconds": 0.05}).json() == {"status": "done"}


def test_a_streaming_route_may_stream_past_the_timeout_once_started(client: TestClient) -> None:
    started = time.perf_counter()
    response = client.get("/stream")
    assert response.status_code == 200 and time.perf_counter() - started > 0.3
    assert response.text.count("data: ") == 4
