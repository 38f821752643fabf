"""Chat routes over the real app (bundled corpus, lexical index, SQLite in tmp): JSON, SSE, history, feedback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.identity import issue_token
from knowledge.base import KnowledgeBase
from minfu.settings import Settings
from tools.store.uscc import check_char

A = "91310112MA1000041" + check_char("91310112MA1000041")
B = "91310112MA1000042" + check_char("91310112MA1000042")


class Portal:
    """A test client for one embedding site, with tokens as its portal would sign them."""

    def __init__(self, client: TestClient, site_key: str, secret: str) -> None:
        self.client, self.site_key, self.secret = client, site_key, secret

    def headers(self, uscc: str | None = None, name: str = "上海测试企业有限公司") -> dict[str, str]:
        headers = {"X-Site-Key": self.site_key}
        if uscc:
            headers["Authorization"] = "Bearer " + issue_token(self.site_key, self.secret, uscc=uscc, name=name)
        return headers

    def chat(self, message: str, conversation_id: str | None = None, uscc: str | None = None) -> Any:
        body = {"message": message, "conversation_id": conversation_id}
        return self.client.post("/v1/chat", json=body, headers=self.headers(uscc))


@pytest.fixture(scope="module")
def app_client(bundled_knowledge: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("chat-api")
    settings = Settings(
        environment="test",
        data_dir=root,
        embedder="hashing",
        database_url=f"sqlite:///{root / 'minfu.sqlite'}",
        chat_rate_limit_per_minute=0,  # unlimited here; the limit has its own test below
    )
    with TestClient(create_app(settings, knowledge=bundled_knowledge, fill_dense=False)) as client:
        yield client


@pytest.fixture(scope="module")
def portal(app_client: TestClient) -> Portal:
    sites = app_client.app.state.identity.sites  # type: ignore[attr-defined]
    site, secret = sites.create("测试门户", ["https://portal.example.gov.cn"])
    return Portal(app_client, site.site_key, secret)


def _events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_a_policy_question_gets_a_cited_answer(portal: Portal) -> None:
    response = portal.chat("劳动合同的试用期最长不得超过多久？")
    assert response.status_code == 200
    reply = response.json()
    assert reply["conversation_id"].startswith("c_") and reply["brain"] == "offline"
    assert reply["citations"][0]["article"] == "第十九条" and "[1]" in reply["answer"]


def test_the_stream_sends_tool_calls_results_text_and_the_final_reply(portal: Portal) -> None:
    body = {"message": "开奶茶店要办什么证"}
    response = portal.client.post("/v1/chat/stream", json=body, headers=portal.headers())
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    names = [name for name, _ in events]
    assert names[:3] == ["conversation", "tool_call", "tool_result"] and names[-1] == "final"
    assert set(names[3:-1]) == {"text"}
    text = "".join(data["delta"] for name, data in events if name == "text")
    assert text == events[-1][1]["answer"] and "申请材料" in text
    assert events[2][1]["result"]["guide"]["name"]


def test_a_matter_started_over_several_turns_is_listed_for_its_enterprise_only(portal: Portal) -> None:
    first = portal.chat("我想办理食品经营许可", uscc=A).json()
    conversation = first["conversation_id"]
    assert first["metadata"]["form"]["asking"] == "contact_name"
    portal.chat("王五", conversation, uscc=A)
    confirm = portal.chat("13700137000", conversation, uscc=A).json()
    assert confirm["metadata"]["form"]["asking"] == "confirm"
    done = portal.chat("确认", conversation, uscc=A).json()
    number = done["tool_calls"][0]["result"]["matter"]["matter_number"]
    assert number in done["answer"]
    mine = portal.client.get("/v1/matters", headers=portal.headers(A)).json()
    assert [m["matter_number"] for m in mine["matters"]] == [number]
    theirs = portal.client.get("/v1/matters", headers=portal.headers(B)).json()
    assert theirs["matters"] == []


def test_someone_elses_conversation_is_not_found(portal: Portal) -> None:
    conversation = portal.chat("我的办件到哪一步了", uscc=A).json()["conversation_id"]
    own = portal.client.get(f"/v1/conversations/{conversation}", headers=portal.headers(A))
    assert own.status_code == 200 and own.json()["messages"][0] == {"role": "user", "text": "我的办件到哪一步了"}
    for headers in (portal.headers(B), portal.headers()):
        assert portal.client.get(f"/v1/conversations/{conversation}", headers=headers).status_code == 404
    hijack = portal.chat("我的办件到哪一步了", conversation, uscc=B)
    assert hijack.status_code == 404 and hijack.json()["message"] == "未找到该会话"


def test_an_anonymous_conversation_is_claimed_by_whoever_signs_in_within_it(portal: Portal) -> None:
    conversation = portal.chat("我想办理食品经营许可").json()["conversation_id"]
    assert portal.chat("继续", conversation, uscc=A).status_code == 200
    assert portal.client.get(f"/v1/conversations/{conversation}", headers=portal.headers()).status_code == 404


def test_feedback_is_recorded_for_a_visible_conversation(portal: Portal) -> None:
    conversation = portal.chat("你好").json()["conversation_id"]
    body = {"conversation_id": conversation, "message_index": 1, "rating": "up", "reason": "清楚"}
    assert portal.client.post("/v1/feedback", json=body, headers=portal.headers()).status_code == 201
    wrong = body | {"rating": "meh"}
    assert portal.client.post("/v1/feedback", json=wrong, headers=portal.headers()).status_code == 422
    unknown = body | {"conversation_id": "c_" + "0" * 32}
    assert portal.client.post("/v1/feedback", json=unknown, headers=portal.headers()).status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"message": ""}, 422),
        ({"message": "字" * 2001}, 422),
        ({"message": "你好", "conversation_id": "../etc"}, 422),
        ({"message": "   "}, 400),
        ({}, 422),
    ],
)
def test_bad_input_is_a_clear_4xx(portal: Portal, body: dict[str, Any], status: int) -> None:
    for path in ("/v1/chat", "/v1/chat/stream"):
        response = portal.client.post(path, json=body, headers=portal.headers())
        assert response.status_code == status, response.text
        assert response.json()["message"] and "Traceback" not in response.text


def test_every_chat_route_needs_a_site_key(app_client: TestClient) -> None:
    assert app_client.post("/v1/chat", json={"message": "你好"}).status_code == 401
    assert app_client.post("/v1/chat", json={"message": "你好"}, headers={"X-Site-Key": "site_nope"}).status_code == 401
    assert app_client.get("/v1/matters", headers={"X-Site-Key": "site_nope"}).status_code == 401


def test_matters_need_a_signed_in_enterprise(portal: Portal) -> None:
    response = portal.client.get("/v1/matters", headers=portal.headers())
    assert response.status_code == 401 and "登录" in response.json()["message"]


def test_a_forged_token_is_refused(portal: Portal, tmp_path: Path) -> None:
    forged = issue_token(portal.site_key, "not-the-portal-secret-" * 2, uscc=A, name="冒充企业")
    headers = {"X-Site-Key": portal.site_key, "Authorization": f"Bearer {forged}"}
    assert portal.client.post("/v1/chat", json={"message": "我的办件"}, headers=headers).status_code == 401


def test_chat_is_rate_limited_per_client(bundled_knowledge: KnowledgeBase, tmp_path: Path) -> None:
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        embedder="hashing",
        database_url=f"sqlite:///{tmp_path / 'minfu.sqlite'}",
        chat_rate_limit_per_minute=2,
    )
    with TestClient(create_app(settings, knowledge=bundled_knowledge, fill_dense=False)) as client:
        sites = client.app.state.identity.sites  # type: ignore[attr-defined]
        site, _secret = sites.create("限流门户", ["https://limits.example.gov.cn"])
        headers = {"X-Site-Key": site.site_key}
        codes = [client.post("/v1/chat", json={"message": "你好"}, headers=headers).status_code for _ in range(3)]
        refused = client.post("/v1/chat/stream", json={"message": "你好"}, headers=headers)
    assert codes == [200, 200, 429]
    assert (
        refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0 and "频繁" in refused.json()["message"]
    )
