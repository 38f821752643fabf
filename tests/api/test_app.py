"""The HTTP service over a real (hashing-embedder) knowledge base: health, search and bad input."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from minfu.settings import Settings

FIXTURES = Path(__file__).parents[1] / "knowledge" / "fixtures"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    data_dir = tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=data_dir, embedder="hashing", database_url=f"sqlite:///{data_dir / 'minfu.sqlite'}")
    kb = KnowledgeBase.open(settings)
    report = Ingestor(kb, Chunker(400)).ingest(load_paths([FIXTURES]))
    assert report.documents > 0
    with TestClient(create_app(settings, knowledge=kb)) as test_client:
        yield test_client


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["knowledge"]["dense_complete"] is True


def test_search_returns_citable_hits(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "大型企业拖欠中小企业货款，多久必须付款", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert 1 <= len(body["hits"]) <= 3
    hit = body["hits"][0]
    for field in ("title", "doc_number", "section_path", "article", "text", "validity", "scores"):
        assert field in hit
    assert all(h["validity"] == "current" for h in body["hits"])


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "x" * 2001},
        {"q": "问题", "k": 0},
        {"q": "问题", "k": "abc"},
        {"q": "问题", "kind": "novel"},
        {"q": "问题", "effective_after": "2020-02-30"},
    ],
)
def test_bad_search_input_is_a_clear_422(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/v1/search", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input" and body["message"] == "请求参数有误" and body["fields"]
    assert "Traceback" not in response.text


def test_unknown_route_is_a_chinese_404(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404 and response.json()["message"] == "未找到"


def test_search_says_so_while_the_dense_index_is_filling(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", embedder="hashing", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"
    )
    kb = KnowledgeBase.open(settings)
    Ingestor(kb, Chunker(400)).ingest(load_paths([FIXTURES]), dense=False)
    with TestClient(create_app(settings, knowledge=kb, fill_dense=False)) as test_client:
        body = test_client.get("/v1/search", params={"q": "付款期限"}).json()
    assert body["dense_complete"] is False and "向量索引" in body["degraded"] and body["hits"]


def test_search_filters_by_effective_date(client: TestClient) -> None:
    params: dict[str, Any] = {"q": "付款期限", "k": 10, "effective_before": "2000-01-01"}
    assert client.get("/v1/search", params=params).json()["hits"] == []


def test_the_service_rebuilds_a_lexical_index_saved_in_an_older_format_before_answering(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", embedder="hashing", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"
    )
    Ingestor(KnowledgeBase.open(settings), Chunker(400)).ingest(load_paths([FIXTURES]), dense=False)
    manifest_path = settings.index_dir / "lexical" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "format": 1}), encoding="utf-8")
    with TestClient(create_app(settings, fill_dense=False)) as test_client:  # opens the stale index itself
        body = test_client.get("/v1/search", params={"q": "付款期限"}).json()
    assert body["hits"] and all("lexical" in hit["scores"] for hit in body["hits"])  # the lexical side answered
    assert KnowledgeBase.open(settings).lexical_index.ids() == KnowledgeBase.open(settings).catalog.chunk_ids()
