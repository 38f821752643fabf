"""The staff console in Chromium against the live service: a conversation handed over through the chat API is seen in
the queue, opened, claimed and answered (the reply reaches the user's conversation); a suggested answer is adopted
and then served to a close paraphrase; the page fits a 360 px screen and shows document text as text."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import APIRequestContext, Page, expect

from tests.browser.conftest import HOSTILE_TITLE, LiveService

Shoot = Callable[[Page, str], Path]
SITE = {"X-Site-Key": "site_dev"}
QUESTION = "萤火虫夜市摊主的扶持补贴标准是多少？"
PARAPHRASE = "请问萤火虫夜市摊主扶持补贴的标准是多少"
REPLY = "您好，我是帮办专员小王：天气和笑话不在政务服务范围内，办事问题欢迎随时咨询。"


def _chat(request: APIRequestContext, message: str, conversation_id: str | None = None) -> dict[str, Any]:
    response = request.post("/v1/chat", headers=SITE, data={"message": message, "conversation_id": conversation_id})
    assert response.ok, response.text()
    body: dict[str, Any] = response.json()
    return body


def _hand_over(request: APIRequestContext) -> str:
    """Two questions out of scope, then yes to the offer of a person: the conversation waits in the queue."""
    conversation = str(_chat(request, "今天天气怎么样")["conversation_id"])
    assert _chat(request, "给我讲个笑话", conversation)["metadata"]["handoff_offered"]
    handed = _chat(request, "好的", conversation)
    assert [call["name"] for call in handed["tool_calls"]] == ["handoff_to_human"]
    return conversation


def _sign_in(page: Page, key: str) -> None:
    page.goto("/console")
    page.get_by_label("API 密钥").fill("not-a-real-key")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").first).to_have_text("API 密钥无效或已停用，请检查后重新输入")
    page.get_by_label("API 密钥").fill(key)
    page.keyboard.press("Enter")
    expect(page.locator("#workspace")).to_be_visible()


def test_staff_answer_a_handed_over_conversation_and_adopt_a_suggestion(
    page: Page, live_service: LiveService, shoot: Shoot
) -> None:
    conversation = _hand_over(page.request)
    _sign_in(page, live_service.staff_key())
    assert int(page.locator("#fig-handoffs").inner_text()) >= 1
    entry = page.locator("#queue button", has_text="好的").filter(has_text="待接手").last
    expect(entry).to_be_visible()
    shoot(page, "queue")

    entry.focus()
    page.keyboard.press("Enter")  # the queue is usable from the keyboard
    transcript = page.locator("#transcript li")
    expect(transcript.filter(has_text="今天天气怎么样")).to_have_count(1)
    expect(transcript.filter(has_text="给我讲个笑话")).to_have_count(1)
    page.get_by_role("button", name="接手", exact=True).click()
    expect(page.locator("#detail-note")).to_contain_text("已接手")
    page.get_by_label("回复用户").fill(REPLY)
    page.get_by_role("button", name="发送回复").click()
    expect(page.locator("#transcript li.staff")).to_contain_text(REPLY)
    shoot(page, "replied")
    seen = page.request.get(f"/v1/conversations/{conversation}", headers=SITE).json()["messages"]
    assert seen[-1] == {"role": "staff", "text": REPLY, "citations": []}

    page.get_by_label("用户的问题").fill(QUESTION)
    page.get_by_role("button", name="生成建议答复").click()
    expect(page.locator("#suggest-confidence")).to_contain_text(re.compile(r"置信度：[1-9]\d*%"))
    expect(page.locator("#suggest-sources li").first).to_contain_text(HOSTILE_TITLE)  # markup shown as text
    assert page.evaluate("() => window.minfuXss") is None
    page.get_by_role("button", name="修改后采纳").click()
    answer = page.get_by_label("答复内容")
    edited = answer.input_value() + "\n具体以区商务委员会审核为准。"
    answer.fill(edited)
    shoot(page, "edited-suggestion")
    page.get_by_role("button", name="保存修改并采纳").click()
    expect(page.locator("#suggest-note")).to_contain_text("已采纳为标准答复")
    expect(page.locator("#curated li").filter(has_text=QUESTION)).to_contain_text("具体以区商务委员会审核为准")

    served = _chat(page.request, PARAPHRASE)
    assert served["brain"] == "curated" and "curated" in served["metadata"] and served["answer"] == edited.strip()

    page.get_by_role("button", name="关闭会话", exact=True).click()
    expect(page.locator("#detail-note")).to_contain_text("已关闭")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    shoot(page, "narrow-screen")
    page.set_viewport_size({"width": 1024, "height": 768})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1024
    shoot(page, "closed-1024")
