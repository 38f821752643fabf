"""Admin routes: index status and background ingest, admin keys only; tool actions of a chat turn are audited."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.identity import issue_token
from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from minfu.settings import Settings
from tools.store.uscc import check_char

FIXTURES = Path(__file__).parents[1] / "knowledge" / "fixtures" / "policies"
USCC = "91310112MA1000051" + check_char("91310112MA1000051")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        environment="test", data_dir=tmp_path / "data", embedder="hashing",
        database_url=f"sqlite:///{tmp_path / 'minfu.sqlite'}", chat_rate_limit_per_minute=0,
    )  # fmt: skip
    kb = KnowledgeBase.open(settings)
    Ingestor(kb, Chunker(400)).ingest(load_paths([FIXTURES]), dense=False)
    with TestClient(create_app(settings, knowledge=kb, fill_dense=False)) as test_client:
        yield test_client


def _key(client: TestClient, role: str) -> dict[str, str]:
    _record, key = client.app.state.identity.api_keys.create(f"{role}-1", role)  # type: ignore[attr-defined]
    return {"X-API-Key": key}


def test_index_status_needs_an_admin_key(client: TestClient) -> None:
    assert client.get("/v1/admin/index").status_code == 401
    assert client.get("/v1/admin/index", headers=_key(client, "staff")).status_code == 403
    status = client.get("/v1/admin/index", headers=_key(client, "admin")).json()
    assert status["knowledge"]["chunks"] > 0 and status["ingest"]["state"] == "idle"


def test_an_import_folder_is_ingested_in_the_background_and_audited(client: TestClient) -> None:
    admin = _key(client, "admin")
    missing = client.post("/v1/admin/ingest", json={"source": "import"}, headers=admin)
    assert missing.status_code == 400 and "import" in missing.json()["message"]
    folder = Path(client.app.state.settings.data_dir) / "import"  # type: ignore[attr-defined]
    folder.mkdir(parents=True)
    (folder / "tongzhi.txt").write_text("闵行区测试通知。企业可在线申请测试补贴。", encoding="utf-8")
    started = client.post("/v1/admin/ingest", json={"source": "import", "dense": False}, headers=admin)
    assert started.status_code == 202 and started.json()["state"] == "running"
    job: dict[str, Any] = {}
    for _ in range(100):
        job = client.get("/v1/admin/index", headers=admin).json()["ingest"]
        if job["state"] != "running":
            break
        time.sleep(0.1)
    assert job["state"] == "done" and job["report"]["documents"] == 1, job["report"]
    actions = [e.action for e in client.app.state.staff.audit.recent(limit=10)]  # type: ignore[attr-defined]
    assert "index.ingest" in actions
    assert client.post("/v1/admin/ingest", json={"source": "/etc"}, headers=admin).status_code == 422


def test_a_tool_that_acts_is_audited_with_the_enterprise_as_actor(client: TestClient) -> None:
    site, secret = client.app.state.identity.sites.create("审计门户", ["https://a.example.gov.cn"])  # type: ignore[attr-defined]
    token = issue_token(site.site_key, secret, uscc=USCC, name="上海审计测试有限公司")
    headers = {"X-Site-Key": site.site_key, "Authorization": f"Bearer {token}"}
    reply = client.post("/v1/chat", json={"message": "我要投诉，楼下餐馆油烟太大影响办公"}, headers=headers).json()
    assert [call["name"] for call in reply["tool_calls"]] == ["submit_request"]
    events = client.app.state.staff.audit.recent(limit=5, action="tool.submit_request")  # type: ignore[attr-defined]
    assert events and events[0].actor == f"enterprise:{USCC}" and events[0].detail["ok"] is True
