"""The widget on the demo portal page, end to end: a real service, a real browser, the offline brain.

Screenshots of every step go to tests/browser/artifacts/<test name>/ (git-ignored).
"""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.browser.conftest import HOSTILE_DOC_NUMBER, HOSTILE_TITLE, LiveService

pytestmark = pytest.mark.browser

Shoot = Callable[[Page, str], Path]
ANSWER_TIMEOUT_MS = 30_000
DEMO_ENTERPRISE = "上海闵服演示科技有限公司"
MATTER_NUMBER = re.compile(r"MH\d{8}-\d{6}")


def _answers(page: Page) -> Locator:
    """The assistant's answers so far (not the greeting); an answer is complete once its feedback buttons show."""
    return page.locator("#minfu-panel .message.assistant:not(.greeting)")


def _next_answer(page: Page, act: Callable[[], None]) -> Locator:
    """Do `act` (send something) and wait for the answer it gets."""
    before = _answers(page).count()
    act()
    answer = _answers(page).nth(before)
    expect(answer.locator(".feedback")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return answer


def _ask(page: Page, question: str) -> Locator:
    box = page.get_by_role("textbox", name="输入您的问题")

    def send() -> None:
        box.fill(question)
        box.press("Enter")

    return _next_answer(page, send)


def _open_widget(page: Page) -> Locator:
    page.get_by_role("button", name="打开闵服智能客服").click()
    panel = page.locator("#minfu-panel")
    expect(panel).to_be_visible()
    return panel


def _widget_count(page: Page, selector: str) -> int:
    script = "selector => document.getElementById('minfu-widget').shadowRoot.querySelectorAll(selector).length"
    return int(page.evaluate(script, selector))


def test_policy_question_cites_its_source_and_opens_the_excerpt(page: Page, shoot: Shoot) -> None:
    shoot(page, "demo-page")
    _open_widget(page)
    expect(page.get_by_role("textbox", name="输入您的问题")).to_be_focused()
    shoot(page, "widget-open")

    answer = _ask(page, "劳动合同的试用期最长不得超过多久？")
    expect(answer.locator(".bubble")).to_contain_text("试用期不得超过六个月")
    chip = answer.locator(".chip").filter(has_text="《中华人民共和国劳动合同法》第十九条")
    expect(chip).to_be_visible()
    expect(answer.locator(".bubble .ref").first).to_have_text(re.compile(r"\[\d+\]"))
    shoot(page, "cited-answer")

    chip.click()
    excerpt = page.get_by_role("dialog", name=re.compile("劳动合同法》第十九条"))
    expect(excerpt.locator(".excerpt")).to_contain_text("三年以上固定期限和无固定期限的劳动合同，试用期不得超过六个月")
    expect(excerpt).to_contain_text("2012-12-28")
    expect(excerpt).to_contain_text("现行有效")
    shoot(page, "citation-excerpt")

    page.keyboard.press("Escape")
    expect(excerpt).to_be_hidden()
    expect(chip).to_be_focused()
    expect(page.locator("#minfu-panel")).to_be_visible()


def test_signed_in_enterprise_starts_a_matter_through_the_form(page: Page, shoot: Shoot) -> None:
    page.get_by_role("button", name="模拟登录").click()
    expect(page.locator("#account-status")).to_have_text(f"已登录：{DEMO_ENTERPRISE}")
    panel = _open_widget(page)
    expect(panel.locator(".status")).to_have_text(f"已登录：{DEMO_ENTERPRISE}")
    shoot(page, "signed-in")

    answer = _ask(page, "我想办理食品经营许可")
    name = answer.get_by_label("联系人姓名")
    expect(name).to_be_focused()
    shoot(page, "form-asks-contact-name")
    name.fill("李四")
    answer = _next_answer(page, lambda: name.press("Enter"))

    phone = answer.get_by_label("联系电话")
    expect(phone).to_have_attribute("type", "tel")
    expect(phone).to_have_attribute("inputmode", "tel")
    expect(name).to_be_disabled()  # an earlier question's form cannot be answered any more
    shoot(page, "form-asks-phone")
    phone.fill("13912345678")
    answer = _next_answer(page, lambda: answer.get_by_role("button", name="提交").click())

    expect(answer.locator(".bubble")).to_contain_text("联系人：李四，电话：13912345678")
    expect(answer.get_by_role("button", name="取消")).to_be_visible()
    shoot(page, "form-asks-confirmation")
    answer = _next_answer(page, lambda: answer.get_by_role("button", name="确认").click())

    card = answer.locator(".card-matter")
    expect(card).to_contain_text("办件已创建")
    expect(card).to_contain_text(MATTER_NUMBER)
    expect(card).to_contain_text("草稿")
    number = MATTER_NUMBER.search(card.inner_text())
    assert number is not None
    expect(answer.locator(".bubble")).to_contain_text(number.group(0))
    shoot(page, "matter-created")

    answer.get_by_role("button", name="有帮助").click()
    expect(answer.locator(".thanks")).to_have_text("感谢您的反馈")

    page.get_by_role("button", name="退出登录").click()
    expect(panel.locator(".status")).to_contain_text("未登录")
    expect(panel.locator(".note-line")).to_contain_text("已退出登录")
    expect(_answers(page)).to_have_count(0)
    shoot(page, "signed-out")


def test_a_request_refused_for_login_continues_after_signing_in(page: Page, shoot: Shoot) -> None:
    _open_widget(page)
    refused = _ask(page, "查询我的办件进度")
    expect(refused.locator(".bubble")).to_contain_text("请先登录企业账号")
    go_on = refused.get_by_role("button", name="我已登录，继续办理")
    expect(go_on).to_be_disabled()
    expect(page.get_by_role("button", name="模拟登录")).to_have_class(re.compile("attention"))
    shoot(page, "login-required")

    page.get_by_role("button", name="模拟登录").click()
    expect(go_on).to_be_enabled()
    listed = _next_answer(page, go_on.click)
    card = listed.locator(".card-list")
    expect(card).to_contain_text("我的办件和诉求")
    expect(card).not_to_contain_text("[object")
    token = page.evaluate("() => JSON.parse(sessionStorage.getItem('minfu-demo:login')).token")
    headers = {"X-Site-Key": "site_dev", "Authorization": f"Bearer {token}"}
    matters = page.request.get("/v1/matters", headers=headers).json()["matters"]  # other tests may have made some
    expect(card.locator(".card-matter")).to_have_count(len(matters))
    for matter in matters:
        expect(card).to_contain_text(matter["matter_number"])
    if not matters:
        expect(card).to_contain_text("暂无办件")
    expect(listed.locator(".bubble")).to_contain_text(DEMO_ENTERPRISE)
    shoot(page, "matters-listed")


def test_two_unanswered_questions_offer_a_human(page: Page, shoot: Shoot) -> None:
    _open_widget(page)
    first = _ask(page, "今天天气怎么样")
    expect(first.locator(".bubble")).to_contain_text("超出了我的服务范围")
    expect(first.locator(".handoff")).to_have_count(0)

    first.get_by_role("button", name="没帮助").click()
    first.get_by_role("button", name="答非所问").click()
    expect(first.locator(".thanks")).to_have_text("感谢您的反馈")

    second = _ask(page, "帮我写一首诗")
    offer = second.locator(".handoff")
    expect(offer).to_contain_text("转接人工服务")
    shoot(page, "handoff-offered")

    handed = _next_answer(page, lambda: offer.get_by_role("button", name="转人工服务").click())
    expect(handed.locator(".bubble")).to_contain_text("已为您转接人工服务")
    notice = handed.locator(".handoff-notice")
    expect(notice).to_contain_text("已转人工服务")
    expect(notice).to_contain_text("专员接手后会在这里回复您")
    expect(page.locator("#minfu-panel .message.user").last).to_have_text("我：是")
    shoot(page, "handed-to-a-human")


def test_staff_reply_arrives_in_the_panel(page: Page, live_service: LiveService, shoot: Shoot) -> None:
    page.get_by_role("button", name="模拟登录").click()
    expect(page.locator("#account-status")).to_contain_text("已登录")
    _open_widget(page)
    _ask(page, "今天天气怎么样")
    offer = _ask(page, "帮我写一首诗").locator(".handoff")
    handed = _next_answer(page, lambda: offer.get_by_role("button", name="转人工服务").click())
    expect(handed.locator(".handoff-notice")).to_contain_text(re.compile(r"诉求编号：\S+"))  # signed in: recorded
    page.get_by_role("button", name="关闭对话窗口").click()

    conversation_id = page.evaluate("() => sessionStorage.getItem('minfu:conversation:site_dev')")
    staff = {"X-API-Key": live_service.staff_key()}
    queue = page.request.get("/v1/staff/handoffs?status=waiting", headers=staff).json()["handoffs"]
    handoff = next(h for h in queue if h["conversation_id"] == conversation_id)
    text = "您好，我是帮办专员小王，诗歌创作不在政务服务范围内。"
    reply = page.request.post(f"/v1/staff/handoffs/{handoff['id']}/reply", headers=staff, data={"text": text})
    assert reply.ok, reply.text()

    launcher = page.get_by_role("button", name="打开闵服智能客服（1 条新消息）")
    expect(launcher).to_be_visible(timeout=15_000)  # polled while the panel was closed
    shoot(page, "unread-staff-reply")
    launcher.click()
    staff_message = page.locator("#minfu-panel .message.staff")
    expect(staff_message).to_contain_text("人工客服")
    expect(staff_message.locator(".bubble")).to_have_text(text)
    shoot(page, "staff-reply-in-panel")

    _ask(page, "好的，谢谢")
    page.wait_for_timeout(5_000)  # longer than the widget's poll interval: the reply is not shown again
    expect(staff_message).to_have_count(1)


def test_panel_fits_a_360_pixel_screen(page: Page, shoot: Shoot) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    shoot(page, "demo-page-360")
    panel = _open_widget(page)
    box = panel.bounding_box()
    assert box is not None and (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 360, 740)

    answer = _ask(page, "食品经营许可需要什么材料？")
    guide = answer.locator(".card-guide")
    expect(guide).to_contain_text("办事指南 · 食品经营许可")
    expect(guide).to_contain_text("经营场所平面图和设备布局图")
    expect(answer.get_by_role("button", name="需要，开始办理")).to_be_visible()
    overflow = "() => { const log = document.getElementById('minfu-widget').shadowRoot.querySelector('.log');"
    overflow += " return log.scrollWidth - log.clientWidth; }"
    assert page.evaluate(overflow) == 0
    send = page.get_by_role("button", name="发送")
    send_box = send.bounding_box()
    assert send_box is not None
    assert send_box["x"] + send_box["width"] <= 360 and send_box["y"] + send_box["height"] <= 740
    shoot(page, "guide-card-360")

    # the panel covers the screen: Tab and Shift+Tab stay inside it
    first = page.get_by_role("button", name="开始新对话")
    first.focus()
    page.keyboard.press("Shift+Tab")
    expect(send).to_be_focused()
    page.keyboard.press("Tab")
    expect(first).to_be_focused()


def test_keyboard_alone_opens_asks_and_closes(page: Page, shoot: Shoot) -> None:
    launcher = page.get_by_role("button", name="打开闵服智能客服")
    launcher.focus()
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="输入您的问题")
    expect(box).to_be_focused()
    page.keyboard.type("食品经营许可的办理时限是多久？")
    before = _answers(page).count()
    page.keyboard.press("Enter")
    expect(_answers(page).nth(before).locator(".feedback")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#minfu-widget [aria-live=polite]")).to_contain_text("食品经营许可")
    shoot(page, "answered-by-keyboard")

    page.keyboard.press("Escape")
    expect(page.locator("#minfu-panel")).to_be_hidden()
    reopen = page.get_by_role("button", name="打开闵服智能客服")
    expect(reopen).to_be_focused()
    expect(reopen).to_have_attribute("aria-expanded", "false")


def test_document_text_with_markup_is_shown_as_text(page: Page, shoot: Shoot) -> None:
    _open_widget(page)
    answer = _ask(page, "萤火虫夜市扶持补贴的标准是多少？")
    expect(answer.locator(".bubble")).to_contain_text(f"《{HOSTILE_TITLE}》")
    expect(answer.locator(".bubble")).to_contain_text("<b>三千元</b><script>")

    answer.locator(".chip").first.click()
    excerpt = page.get_by_role("dialog", name=re.compile("萤火虫夜市"))
    expect(excerpt.locator("h3")).to_contain_text("<img src=x")
    expect(excerpt).to_contain_text(HOSTILE_DOC_NUMBER)
    expect(excerpt.locator(".excerpt")).to_contain_text("<script>window.minfuXss=2</script>")
    shoot(page, "markup-as-text")

    assert _widget_count(page, "img, script, b, i, style") == 0
    assert page.evaluate("() => window.minfuXss") is None


def test_conversation_survives_a_page_reload(page: Page, shoot: Shoot) -> None:
    _open_widget(page)
    _ask(page, "劳动合同的试用期最长不得超过多久？")
    page.reload()
    panel = _open_widget(page)
    expect(panel.locator(".message.user")).to_have_text(["我：劳动合同的试用期最长不得超过多久？"])
    restored = _answers(page)
    expect(restored).to_have_count(1)
    expect(restored.locator(".chip").filter(has_text="劳动合同法")).to_be_visible()
    shoot(page, "restored-after-reload")

    follow_up = _ask(page, "竞业限制最长多久？")
    expect(follow_up.locator(".bubble")).not_to_be_empty()
    expect(_answers(page)).to_have_count(2)


def test_without_streaming_the_widget_asks_for_one_json_answer(page: Page, shoot: Shoot) -> None:
    """data-transport="json" (and browsers without readable streams) use POST /v1/chat: the same answer and chips."""

    def with_json_transport(route: Route) -> None:
        original = route.fetch()
        body = original.text().replace('data-site-key="site_dev"', 'data-site-key="site_dev" data-transport="json"')
        route.fulfill(response=original, body=body)

    page.route(re.compile(r"/$"), with_json_transport)
    streamed: list[str] = []
    page.on("request", lambda request: streamed.append(request.url) if "/v1/chat" in request.url else None)
    page.reload()
    _open_widget(page)
    answer = _ask(page, "劳动合同的试用期最长不得超过多久？")
    expect(answer.locator(".chip").filter(has_text="《中华人民共和国劳动合同法》第十九条")).to_be_visible()
    assert [url.rsplit("/v1", 1)[1] for url in streamed] == ["/chat"]
    shoot(page, "json-answer")
