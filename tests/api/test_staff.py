"""Staff routes over the real app (offline brain, SQLite in tmp) and a small real knowledge base (a copy of the policy
fixture, hashing embedder): the handoff flow through the chat route, suggestions, curated answers served and then
invalidated by a re-ingest, the day's figures, and every refusal (401, 403, 404, 409)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.identity import issue_token
from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunker
from knowledge.embedders import make_embedder
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from minfu.settings import Settings
from tools.store.audit import AuditLog
from tools.store.curated import SOURCE_GONE
from tools.store.uscc import check_char

A = "91310112MA1000051" + check_char("91310112MA1000051")
POLICY_FIXTURE = Path(__file__).parents[1] / "knowledge" / "fixtures" / "policies"
QUESTION = "涉企报表怎么共享复用？"
QUOTED = "推动更多涉企报表纳入企业数据填报“一件事”"


class Desk:
    """The test's callers: a portal site (with its enterprise tokens) and staff, admin and other staff keys."""

    def __init__(self, client: TestClient, corpus: Path, kb: KnowledgeBase) -> None:
        self.client, self.corpus, self.kb = client, corpus, kb
        state: Any = client.app.state  # type: ignore[attr-defined]
        site, self.secret = state.identity.sites.create("测试门户", ["https://portal.example.gov.cn"])
        self.site_key = site.site_key
        self.staff_key, self.staff = _key(state, "王专员", "staff")
        self.other_key, self.other = _key(state, "李专员", "staff")
        self.admin_key, self.admin = _key(state, "管理员", "admin")
        self.audit: AuditLog = state.staff.audit

    def user(self, uscc: str | None = A) -> dict[str, str]:
        headers = {"X-Site-Key": self.site_key}
        if uscc:
            token = issue_token(self.site_key, self.secret, uscc=uscc, name="上海测试企业有限公司")
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def chat(self, message: str, conversation_id: str | None = None) -> dict[str, Any]:
        body = {"message": message, "conversation_id": conversation_id}
        response = self.client.post("/v1/chat", json=body, headers=self.user())
        assert response.status_code == 200, response.text
        reply: dict[str, Any] = response.json()
        return reply

    def as_staff(self, method: str, path: str, key: str | None = None, **options: Any) -> Any:
        headers = {"X-API-Key": key or self.staff_key}
        return self.client.request(method, f"/v1/staff{path}", headers=headers, **options)

    def reingest(self) -> None:
        Ingestor(self.kb, Chunker(400)).ingest(load_paths([self.corpus]), prune_under=[self.corpus])


def _key(state: Any, name: str, role: str) -> tuple[str, str]:
    record, plaintext = state.identity.api_keys.create(name, role)
    return plaintext, record.key_prefix


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    corpus = tmp_path / "corpus"
    shutil.copytree(POLICY_FIXTURE, corpus / "policies")
    kb = KnowledgeBase.in_memory(make_embedder("hashing"))
    Ingestor(kb, Chunker(400)).ingest(load_paths([corpus]), prune_under=[corpus])
    settings = Settings(
        environment="test", data_dir=tmp_path, embedder="hashing", database_url=f"sqlite:///{tmp_path / 'm.sqlite'}"
    )
    with TestClient(create_app(settings, knowledge=kb, fill_dense=False)) as client:
        yield Desk(client, corpus, kb)


def hand_over(desk: Desk) -> str:
    """Two questions the assistant cannot answer, then yes to its offer of a person: the conversation is queued."""
    first = desk.chat("今天天气怎么样")
    conversation = first["conversation_id"]
    assert desk.chat("给我讲个笑话", conversation)["metadata"]["handoff_offered"]
    handed = desk.chat("好的", conversation)
    assert [call["name"] for call in handed["tool_calls"]] == ["handoff_to_human"]
    return str(conversation)


# the handoff flow -----------------------------------------------------------------------------------------------
def test_a_handed_over_conversation_is_claimed_answered_by_staff_and_closed(desk: Desk) -> None:
    conversation = hand_over(desk)
    queue = desk.as_staff("GET", "/handoffs?status=waiting").json()["handoffs"]
    assert [h["conversation_id"] for h in queue] == [conversation]
    listed = queue[0]
    assert listed["enterprise_uscc"] == A and listed["site_key"] == desk.site_key and listed["reason"] == "给我讲个笑话"
    assert listed["preview"] == "好的" and listed["message_count"] == 6
    handoff_id = listed["id"]

    claimed = desk.as_staff("POST", f"/handoffs/{handoff_id}/claim").json()
    assert claimed["status"] == "claimed" and claimed["claimed_by"] == desk.staff
    assert [m["text"] for m in claimed["messages"] if m["role"] == "user"] == ["今天天气怎么样", "给我讲个笑话", "好的"]
    text = "您好，我是王专员，请问还有什么可以帮您？"
    replied = desk.as_staff("POST", f"/handoffs/{handoff_id}/reply", json={"text": text})
    assert replied.status_code == 200 and replied.json()["messages"][-1]["role"] == "staff"

    seen = desk.client.get(f"/v1/conversations/{conversation}", headers=desk.user()).json()["messages"]
    assert seen[-1] == {"role": "staff", "text": text, "citations": []}
    after = desk.chat("谢谢，我想办理食品经营许可", conversation)  # the conversation goes on after the staff reply
    assert after["metadata"]["form"]["asking"] == "contact_name"

    closed = desk.as_staff("POST", f"/handoffs/{handoff_id}/close").json()
    assert closed["status"] == "closed" and closed["closed_at"]
    assert desk.as_staff("GET", "/handoffs?status=waiting").json()["handoffs"] == []
    actions = [event.action for event in desk.audit.recent(actor=f"staff:{desk.staff}")]
    assert actions == ["handoff.close", "handoff.reply", "handoff.claim"]
    assert desk.audit.recent(action="handoff.queue")[0].detail["conversation_id"] == conversation


def test_the_staff_reply_survives_a_restart_of_the_app(desk: Desk) -> None:
    conversation = hand_over(desk)
    handoff_id = desk.as_staff("GET", "/handoffs").json()["handoffs"][0]["id"]
    desk.as_staff("POST", f"/handoffs/{handoff_id}/reply", json={"text": "专员已收到"})
    state: Any = desk.client.app.state  # type: ignore[attr-defined]
    settings = state.settings
    with TestClient(create_app(settings, knowledge=desk.kb, fill_dense=False)) as restarted:
        seen = restarted.get(f"/v1/conversations/{conversation}", headers=desk.user()).json()["messages"]
    assert seen[-1]["role"] == "staff" and seen[-1]["text"] == "专员已收到"


def test_a_second_claim_and_another_staff_members_reply_or_close_conflict(desk: Desk) -> None:
    hand_over(desk)
    handoff_id = desk.as_staff("GET", "/handoffs").json()["handoffs"][0]["id"]
    assert desk.as_staff("POST", f"/handoffs/{handoff_id}/claim").status_code == 200
    assert desk.as_staff("POST", f"/handoffs/{handoff_id}/claim").status_code == 200  # one's own claim again
    for path, body in (("claim", None), ("reply", {"text": "我来回复"}), ("close", None)):
        response = desk.as_staff("POST", f"/handoffs/{handoff_id}/{path}", desk.other_key, json=body)
        assert response.status_code == 409 and desk.staff in response.json()["message"]
    assert desk.as_staff("POST", f"/handoffs/{handoff_id}/close", desk.admin_key).json()["status"] == "closed"
    again = desk.as_staff("POST", f"/handoffs/{handoff_id}/reply", json={"text": "还在吗"})
    assert again.status_code == 409 and again.json() == {"error": "handoff_conflict", "message": "该转人工会话已关闭"}


def test_replying_to_a_waiting_handoff_claims_it(desk: Desk) -> None:
    hand_over(desk)
    handoff_id = desk.as_staff("GET", "/handoffs").json()["handoffs"][0]["id"]
    replied = desk.as_staff("POST", f"/handoffs/{handoff_id}/reply", desk.other_key, json={"text": "您好"}).json()
    assert replied["status"] == "claimed" and replied["claimed_by"] == desk.other


def test_an_answered_conversation_is_not_queued(desk: Desk) -> None:
    desk.chat(QUESTION)
    assert desk.as_staff("GET", "/handoffs").json()["handoffs"] == []


# suggestions and curated answers -------------------------------------------------------------------------------
def test_a_suggestion_is_grounded_with_sources_and_a_confidence(desk: Desk) -> None:
    suggestion = desk.as_staff("POST", "/suggest", json={"question": QUESTION}).json()
    assert suggestion["grounded"] and QUOTED in suggestion["answer"] and suggestion["curated_id"] is None
    assert 0.4 <= suggestion["confidence"] <= 1.0
    [source] = suggestion["sources"]
    assert source["chunk_id"] == suggestion["citations"][0]["chunk_id"]
    assert source["content_hash"] == desk.kb.catalog.chunk(source["chunk_id"]).content_hash  # type: ignore[union-attr]
    unknown = desk.as_staff("POST", "/suggest", json={"question": "火星上开店要交什么税"}).json()
    assert not unknown["grounded"] and unknown["confidence"] == 0.0 and unknown["citations"] == []


def test_an_adopted_answer_is_served_to_a_close_question_until_its_source_changes(desk: Desk) -> None:
    suggestion = desk.as_staff("POST", "/suggest", json={"question": QUESTION}).json()
    edited = suggestion["answer"] + "\n具体可咨询区行政服务中心。"
    body = {"question": QUESTION, "answer": edited, "citations": suggestion["citations"]}
    created = desk.as_staff("POST", "/curated", json=body)
    assert created.status_code == 201 and created.json()["valid"] and created.json()["sources"] == suggestion["sources"]
    curated_id = created.json()["id"]

    served = desk.chat("请问，涉企报表要怎么共享复用呢")
    assert served["brain"] == "curated" and served["metadata"]["curated"] == curated_id
    assert served["answer"] == edited and served["citations"] == suggestion["citations"]
    conversation = served["conversation_id"]
    seen = desk.client.get(f"/v1/conversations/{conversation}", headers=desk.user()).json()["messages"]
    assert [m["role"] for m in seen] == ["user", "assistant"] and seen[1]["text"] == edited
    assert desk.chat("涉企报表最少要填几张", conversation)["brain"] == "offline"  # a different question is not served
    again = desk.as_staff("POST", "/suggest", json={"question": "涉企报表要怎么共享复用"}).json()
    assert again["curated_id"] == curated_id and again["confidence"] >= 0.88

    plan = next((desk.corpus / "policies").glob("*.md"))
    changed = plan.read_text(encoding="utf-8").replace("实现更多涉企报表数据共享复用", "实现涉企报表数据全面共享复用")
    plan.write_text(changed, encoding="utf-8")
    desk.reingest()
    after = desk.chat("请问，涉企报表要怎么共享复用呢")
    assert after["brain"] == "offline" and "curated" not in after["metadata"] and "全面共享" in after["answer"]
    [listed] = desk.as_staff("GET", "/curated").json()["curated"]
    assert not listed["valid"] and listed["invalidated_reason"] == SOURCE_GONE
    assert desk.as_staff("GET", "/curated?include_invalid=false").json()["curated"] == []


def test_citations_of_a_chat_answer_are_traced_to_their_chunks(desk: Desk) -> None:
    answer = desk.chat(QUESTION)
    assert answer["citations"] and answer["citations"][0]["chunk_id"].startswith("K")  # the ref the model cited
    body = {"question": QUESTION, "answer": answer["answer"], "citations": answer["citations"]}
    created = desk.as_staff("POST", "/curated", json=body).json()
    [source] = created["sources"]
    assert desk.kb.catalog.chunk(source["chunk_id"]) is not None
    invented = body | {"citations": [{"chunk_id": "K000000"}]}
    refused = desk.as_staff("POST", "/curated", json=invented)
    assert refused.status_code == 400 and "找不到" in refused.json()["message"]


def test_deleting_a_curated_answer_is_for_administrators(desk: Desk) -> None:
    created = desk.as_staff("POST", "/curated", json={"question": "窗口几点下班", "answer": "工作日17:00。"}).json()
    forbidden = desk.as_staff("DELETE", f"/curated/{created['id']}")
    assert forbidden.status_code == 403 and forbidden.json()["message"] == "该操作需要管理员权限"
    assert desk.as_staff("DELETE", f"/curated/{created['id']}", desk.admin_key).json()["status"] == "deleted"
    assert desk.as_staff("DELETE", f"/curated/{created['id']}", desk.admin_key).status_code == 404
    assert desk.audit.recent(action="curated.delete")[0].actor == f"staff:{desk.admin}"


# figures ----------------------------------------------------------------------------------------------------------
def test_todays_figures_count_questions_unanswered_handoffs_and_thumbs(desk: Desk) -> None:
    conversation = hand_over(desk)
    desk.chat(QUESTION, conversation)
    for rating in ("up", "down"):
        body = {"conversation_id": conversation, "message_index": 1, "rating": rating}
        assert desk.client.post("/v1/feedback", json=body, headers=desk.user()).status_code == 201
    figures = desk.as_staff("GET", "/stats").json()
    assert (figures["questions"], figures["unanswered"], figures["handoffs"]) == (4, 2, 1)
    assert (figures["thumbs_up"], figures["thumbs_down"]) == (1, 1)
    empty = desk.as_staff("GET", "/stats?day=2020-01-01").json()
    assert empty == {
        "day": "2020-01-01", "questions": 0, "unanswered": 0, "curated": 0, "handoffs": 0, "thumbs_up": 0,
        "thumbs_down": 0,
    }  # fmt: skip
    assert desk.as_staff("GET", "/stats?day=yesterday").status_code == 422


# refusals -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/handoffs"), ("GET", "/handoffs/1"), ("POST", "/handoffs/1/claim"), ("POST", "/handoffs/1/close"),
        ("POST", "/suggest"), ("GET", "/curated"), ("POST", "/curated"), ("DELETE", "/curated/1"), ("GET", "/stats"),
    ],
)  # fmt: skip
def test_every_staff_route_needs_a_live_api_key(desk: Desk, method: str, path: str) -> None:
    for headers in ({}, {"X-API-Key": "mk_not-a-key"}, desk.user()):
        response = desk.client.request(method, f"/v1/staff{path}", headers=headers)
        assert response.status_code == 401 and response.json()["message"], (headers, response.text)


def test_a_revoked_key_is_refused(desk: Desk) -> None:
    state: Any = desk.client.app.state  # type: ignore[attr-defined]
    state.identity.api_keys.revoke(desk.other)
    assert desk.as_staff("GET", "/handoffs", desk.other_key).status_code == 401


def test_unknown_ids_are_404_and_bad_input_4xx(desk: Desk) -> None:
    for method, path in (("GET", "/handoffs/999"), ("POST", "/handoffs/999/claim"), ("POST", "/handoffs/999/close")):
        response = desk.as_staff(method, path)
        assert response.status_code == 404 and response.json()["message"] == "未找到该转人工记录"
    assert desk.as_staff("POST", "/handoffs/999/reply", json={"text": "您好"}).status_code == 404
    assert desk.as_staff("DELETE", "/curated/999", desk.admin_key).status_code == 404
    assert desk.as_staff("GET", "/handoffs?status=lost").status_code == 422
    assert desk.as_staff("POST", "/suggest", json={"question": ""}).status_code == 422
    assert desk.as_staff("POST", "/curated", json={"question": "问题", "answer": "   "}).status_code == 400
