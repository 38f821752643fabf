"""Multi-turn forms driven directly: `start_form` / `advance` on turns read like the brain reads them.

Turns carry the real intent guess and slots; the matter a message names is the bundled dictionary's record, passed
explicitly (the brain finds it with the dictionary lookup, which has its own tests).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

import pytest

from agents.offline.forms import (
    CANCELLED,
    CONFIRM,
    LOGIN_TO_CONTINUE,
    OFFER,
    SPECS,
    Form,
    advance,
    idempotency_key,
    offered_start,
    retry_after_login,
    start_form,
    with_options,
)
from agents.offline.intents import classify_intent
from agents.offline.slots import extract_slots
from agents.offline.turns import Step, Turn
from agents.session import SessionInfo
from tools.agent_tools.investment_tools import CONSENT_TEXT
from tools.dictionary import ServiceMatter, load_bundled

TODAY = date(2026, 1, 5)
MATTERS = {matter.code: matter for matter in load_bundled()}
MATTER_NAMES = tuple(name for matter in MATTERS.values() for name in matter.names())
FOOD = MATTERS["MH-SJ-SHIPIN"]  # 食品经营许可
HOUSING = MATTERS["MH-RS-ANJU"]  # 人才安居补贴
MH = "MH20261127-000123"
SQ = "SQ20261201-000045"

ANONYMOUS = SessionInfo("policy")
SIGNED_IN = SessionInfo("policy", "上海甲科技有限公司", "张三", "13800138000")
NO_CONTACT = SessionInfo("policy", "上海丙贸易有限公司")  # signed in, no registered contact
SLOTS = ({"value": "S1", "label": "1月6日 上午 09:00-10:00"}, {"value": "S2", "label": "1月6日 下午 14:00-15:00"})
MISSING = ({"value": "营业执照", "label": "营业执照"}, {"value": "健康证明", "label": "健康证明"})
POLICY_QUESTION = "人才安居补贴的标准是多少"
TRACK_QUESTION = f"帮我查一下{MH}的进度"


def turn(text: str, matter: ServiceMatter | None = None) -> Turn:
    return Turn(text, classify_intent(text, matter_names=MATTER_NAMES), extract_slots(text, today=TODAY), matter)


def question(kind: str, item: str) -> str:
    return next(spec_item.question for spec_item in SPECS[kind].items if spec_item.name == item)


def asked(step: Step | None) -> str:
    """What the form asks next ("" when the step closes the form)."""
    assert step is not None
    return step.form.asking if step.form else ""


def step_after(form: Form, text: str, session: SessionInfo, matter: ServiceMatter | None = None) -> Step:
    step = advance(form, turn(text, matter), session)
    assert step is not None, f"{text!r} left the form"
    return step


def open_form(step: Step) -> Form:
    assert step.form is not None, f"no form open after {step}"
    return step.form


# forms at each step, for the tests that apply to every step -------------------------------------------------------
def _start_matter_steps() -> list[Form]:
    first = open_form(start_form("start_matter", turn("我要办理食品经营许可", FOOD), NO_CONTACT))
    second = open_form(step_after(first, "李娜", NO_CONTACT))
    third = open_form(step_after(second, "13912345678", NO_CONTACT))
    nothing_named = open_form(start_form("start_matter", turn("我要办个事"), NO_CONTACT))
    return [nothing_named, first, second, third]


def _booking_steps() -> list[Form]:
    first = open_form(start_form("book_appointment", turn("我要预约"), SIGNED_IN))
    choosing = with_options(open_form(step_after(first, "食品经营许可", SIGNED_IN, FOOD)), SLOTS)
    assert choosing is not None
    confirming = open_form(step_after(choosing, "第1个", SIGNED_IN))
    return [first, choosing, confirming]


def _lead_steps() -> list[Form]:
    first = open_form(start_form("register_lead", turn("我想登记投资意向"), ANONYMOUS))
    second = open_form(step_after(first, "上海某某生物科技有限公司", ANONYMOUS))
    third = open_form(step_after(second, "13912345678", ANONYMOUS))
    return [first, second, third, open_form(step_after(third, "生物医药", ANONYMOUS))]


def _other_steps() -> list[Form]:
    supplementing = open_form(start_form("supplement_materials", turn(f"我要为{MH}补充材料"), SIGNED_IN))
    rating = open_form(start_form("rate_request", turn(f"我要评价诉求{SQ}"), SIGNED_IN))
    return [supplementing, with_options(supplementing, MISSING) or supplementing, rating]


ALL_STEPS = [*_start_matter_steps(), *_booking_steps(), *_lead_steps(), *_other_steps()]
STEP_IDS = [f"{form.kind}:{form.asking}" for form in ALL_STEPS]


# start_matter ---------------------------------------------------------------------------------------------------
def test_start_matter_asks_each_item_once_in_order_then_confirms() -> None:
    step = start_form("start_matter", turn("我要办个事"), NO_CONTACT)
    assert (step.text, asked(step)) == (question("start_matter", "matter_code"), "matter_code")
    step = step_after(open_form(step), "食品经营许可", NO_CONTACT, FOOD)
    assert (step.text, asked(step)) == (question("start_matter", "contact_name"), "contact_name")
    step = step_after(open_form(step), "李娜", NO_CONTACT)
    assert (step.text, asked(step)) == (question("start_matter", "contact_phone"), "contact_phone")
    step = step_after(open_form(step), "13912345678", NO_CONTACT)
    assert asked(step) == CONFIRM and step.tool is None
    for shown in ("食品经营许可", FOOD.code, "上海丙贸易有限公司", "李娜", "13912345678"):
        assert shown in step.text
    done = step_after(open_form(step), "确认", NO_CONTACT)
    assert done.tool == "start_matter" and done.form is None
    key = done.args.pop("idempotency_key")
    assert done.args == {"matter_code": FOOD.code, "contact_name": "李娜", "contact_phone": "13912345678"}
    assert key.startswith("start_matter-")


def test_an_item_not_understood_is_asked_again_with_an_apology() -> None:
    form = open_form(start_form("start_matter", turn("我要办理食品经营许可", FOOD), NO_CONTACT))
    again = step_after(form, "嗯", NO_CONTACT)
    assert again.text == "抱歉，我没有读懂。" + question("start_matter", "contact_name")
    assert again.form == form


def test_resuming_asks_again_without_an_apology() -> None:
    form = open_form(start_form("start_matter", turn("我要办理食品经营许可", FOOD), NO_CONTACT))
    assert step_after(form, "继续", NO_CONTACT).text == question("start_matter", "contact_name")


def test_start_matter_needs_a_login_before_anything() -> None:
    for text, matter in (("我要办个事", None), ("我要办理食品经营许可", FOOD)):
        step = start_form("start_matter", turn(text, matter), ANONYMOUS)
        assert step.text == LOGIN_TO_CONTINUE and step.tool is None
    form = open_form(step)
    assert form.values == {"matter_code": FOOD.code, "matter_name": "食品经营许可"}  # what was said is kept
    assert form.asking == "contact_name"
    for reply in ("继续", "李娜", "13912345678"):
        assert step_after(form, reply, ANONYMOUS).text == LOGIN_TO_CONTINUE


def test_start_matter_resumes_after_login_with_the_session_contact() -> None:
    form = open_form(start_form("start_matter", turn("我要办理食品经营许可", FOOD), ANONYMOUS))
    step = step_after(form, "我登录了", SIGNED_IN)
    assert asked(step) == CONFIRM
    assert "张三" in step.text and "13800138000" in step.text and "上海甲科技有限公司" in step.text


@pytest.mark.parametrize(("kind", "text"), [("supplement_materials", f"我要为{MH}补充材料"), ("rate_request", SQ)])
def test_enterprise_forms_need_a_login_before_any_tool_call(kind: str, text: str) -> None:
    step = start_form(kind, turn(text), ANONYMOUS)
    assert step.text == LOGIN_TO_CONTINUE and step.tool is None


# booking --------------------------------------------------------------------------------------------------------
def test_booking_fetches_slots_without_a_login_and_asks_for_one_before_contact() -> None:
    step = start_form("book_appointment", turn("我要预约办理食品经营许可", FOOD), ANONYMOUS)
    assert (step.tool, step.args, asked(step)) == ("book_appointment", {"service_name": "食品经营许可"}, "slot_id")
    choosing = with_options(open_form(step), SLOTS)
    assert choosing is not None
    step = step_after(choosing, "第2个", ANONYMOUS)
    assert step.text == LOGIN_TO_CONTINUE and asked(step) == "contact_name"
    assert open_form(step).values["slot_id"] == "S2"
    step = step_after(open_form(step), "继续", SIGNED_IN)
    assert asked(step) == CONFIRM
    assert SLOTS[1]["label"] in step.text and "张三" in step.text
    done = step_after(open_form(step), "确认", SIGNED_IN)
    assert done.tool == "book_appointment"
    assert done.args == {
        "service_name": "食品经营许可",
        "slot_id": "S2",
        "contact_name": "张三",
        "contact_phone": "13800138000",
    }


def test_booking_asks_the_service_when_none_is_named() -> None:
    step = start_form("book_appointment", turn("我要预约"), ANONYMOUS)
    assert (step.text, asked(step)) == (question("book_appointment", "service_name"), "service_name")


def test_a_slot_outside_the_offer_is_asked_again() -> None:
    choosing = with_options(open_form(start_form("book_appointment", turn("预约食品经营许可", FOOD), SIGNED_IN)), SLOTS)
    assert choosing is not None
    step = step_after(choosing, "第5个", SIGNED_IN)
    assert step.text.startswith("抱歉，我没有读懂。") and asked(step) == "slot_id"


def test_no_options_leaves_nothing_to_choose() -> None:
    form = open_form(start_form("book_appointment", turn("预约食品经营许可", FOOD), SIGNED_IN))
    assert with_options(form, ()) is None


# the session's contact ------------------------------------------------------------------------------------------
def test_the_session_contact_is_prefilled() -> None:
    step = start_form("start_matter", turn("我要办理食品经营许可", FOOD), SIGNED_IN)
    assert asked(step) == CONFIRM
    assert open_form(step).values["contact_name"] == "张三"
    assert open_form(step).values["contact_phone"] == "13800138000"


def test_a_contact_named_in_the_request_replaces_the_session_one() -> None:
    step = start_form("start_matter", turn("我要办理食品经营许可，联系人写李娜，电话13912345678", FOOD), SIGNED_IN)
    assert asked(step) == CONFIRM
    assert {k: open_form(step).values[k] for k in ("contact_name", "contact_phone")} == {
        "contact_name": "李娜",
        "contact_phone": "13912345678",
    }


@pytest.mark.parametrize(
    ("reply", "field", "value"),
    [("联系人改成李娜", "contact_name", "李娜"), ("电话改成13912345678", "contact_phone", "13912345678")],
)
def test_a_correction_at_the_confirmation_is_confirmed_again(reply: str, field: str, value: str) -> None:
    confirming = open_form(start_form("start_matter", turn("我要办理食品经营许可", FOOD), SIGNED_IN))
    step = step_after(confirming, reply, SIGNED_IN)
    assert asked(step) == CONFIRM and step.tool is None
    assert open_form(step).values[field] == value and value in step.text


def test_naming_another_contact_asks_for_their_phone() -> None:
    step = start_form("start_matter", turn("我要办理食品经营许可，联系人写李娜", FOOD), SIGNED_IN)
    assert asked(step) == "contact_phone"


# idempotency ----------------------------------------------------------------------------------------------------
def _confirmed_start(session: SessionInfo, *replies: str) -> Step:
    form = open_form(start_form("start_matter", turn("我要办理食品经营许可", FOOD), session))
    for reply in (*replies, "确认"):
        step = step_after(form, reply, session)
        form = step.form or form
    assert step.tool == "start_matter"
    return step


def test_the_same_application_gets_the_same_key_whatever_the_route() -> None:
    prefilled = _confirmed_start(SIGNED_IN)
    typed = _confirmed_start(NO_CONTACT, "张三", "13800138000")
    again = _confirmed_start(SIGNED_IN)
    assert prefilled.args["idempotency_key"] == typed.args["idempotency_key"] == again.args["idempotency_key"]


def test_a_different_application_gets_another_key() -> None:
    keys = {
        _confirmed_start(NO_CONTACT, "张三", "13800138000").args["idempotency_key"],
        _confirmed_start(NO_CONTACT, "李娜", "13800138000").args["idempotency_key"],
        _confirmed_start(NO_CONTACT, "张三", "13912345678").args["idempotency_key"],
    }
    assert len(keys) == 3


def test_the_key_ignores_display_labels_but_not_the_kind() -> None:
    values = {"service_name": "食品经营许可", "slot_id": "S2"}
    form = Form("book_appointment", values)
    assert idempotency_key(form) == idempotency_key(form.filled(slot_id_label="1月6日 下午"))
    assert idempotency_key(form) != idempotency_key(Form("start_matter", values))
    assert idempotency_key(form) != idempotency_key(form.filled(slot_id="S1"))


# cancelling and leaving -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ALL_STEPS, ids=STEP_IDS)
@pytest.mark.parametrize("reply", ["算了", "取消", "不办了"])
def test_cancel_at_any_step(form: Form, reply: str) -> None:
    session = ANONYMOUS if form.kind == "register_lead" else SIGNED_IN
    assert advance(form, turn(reply), session) == Step(text=CANCELLED)


@pytest.mark.parametrize("form", ALL_STEPS, ids=STEP_IDS)
@pytest.mark.parametrize("reply", ["好的", "嗯", "2", "继续", "查进度", "转人工"])
def test_a_short_reply_never_leaves_the_form(form: Form, reply: str) -> None:
    session = ANONYMOUS if form.kind == "register_lead" else SIGNED_IN
    step = advance(form, turn(reply), session)
    assert step is not None
    assert step.form is not None or step.tool is not None  # still asking, or the form's own tool call


SITE_QUESTION = "莘庄工业区有没有500平的厂房出租"
LEAVING = [POLICY_QUESTION, TRACK_QUESTION, SITE_QUESTION]


def _leaving_cases() -> list[object]:
    cases: list[object] = []
    for form, ident in zip(ALL_STEPS, STEP_IDS, strict=True):
        for text in LEAVING:
            cases.append(pytest.param(form, text, id=f"{ident}-{text}"))
    return cases


@pytest.mark.parametrize(("form", "text"), _leaving_cases())
def test_a_confident_different_question_leaves_the_form(form: Form, text: str) -> None:
    session = ANONYMOUS if form.kind == "register_lead" else SIGNED_IN
    assert turn(text).guess.confidence >= 0.7  # the premise: the classifier is sure of another intent
    assert advance(form, turn(text), session) is None


def test_a_question_at_the_confirmation_never_submits() -> None:
    confirming = open_form(start_form("start_matter", turn("我要办理食品经营许可", FOOD), SIGNED_IN))
    step = advance(confirming, turn("需要带什么材料"), SIGNED_IN)
    assert step is None or step.tool is None


@pytest.mark.parametrize("reply", ["你好", "不错啊"])
def test_a_short_non_name_is_not_taken_as_the_name(reply: str) -> None:
    form = open_form(start_form("start_matter", turn("我要办理食品经营许可", FOOD), NO_CONTACT))
    assert "contact_name" not in open_form(step_after(form, reply, NO_CONTACT)).values


# serialising ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", [*ALL_STEPS, offered_start(FOOD.code, FOOD.name)], ids=[*STEP_IDS, "offer"])
def test_a_form_survives_json(form: Form) -> None:
    assert Form.from_json(json.loads(json.dumps(form.to_json(), ensure_ascii=False))) == form


@pytest.mark.parametrize(
    "junk", [None, "", "start_matter", [], {}, {"kind": "nope"}, {"values": {"matter_code": FOOD.code}}, {"kind": 1}]
)
def test_junk_is_no_form(junk: object) -> None:
    assert Form.from_json(junk) is None


def test_from_json_tolerates_missing_parts_and_drops_bad_options() -> None:
    form = Form.from_json({"kind": "book_appointment", "values": None, "options": [SLOTS[0], "S2", 3]})
    assert form == Form("book_appointment", {}, "", (SLOTS[0],))


# offer and retry ------------------------------------------------------------------------------------------------
OFFERED = offered_start(FOOD.code, FOOD.name)


def test_an_offer_taken_goes_on_to_the_confirmation() -> None:
    assert OFFERED.asking == OFFER
    for reply, matter in (("好的", None), ("需要", None), ("帮我办理食品经营许可", FOOD)):
        step = step_after(OFFERED, reply, SIGNED_IN, matter)
        assert asked(step) == CONFIRM and FOOD.name in step.text


def test_an_offer_taken_while_anonymous_asks_for_a_login() -> None:
    step = step_after(OFFERED, "好的", ANONYMOUS)
    assert step.text == LOGIN_TO_CONTINUE and open_form(step).values["matter_code"] == FOOD.code


@pytest.mark.parametrize(("reply", "text"), [("不", "好的，有需要随时告诉我。"), ("不用了", CANCELLED)])
def test_an_offer_declined_closes(reply: str, text: str) -> None:
    assert advance(OFFERED, turn(reply), SIGNED_IN) == Step(text=text)


@pytest.mark.parametrize(("text", "matter"), [(POLICY_QUESTION, None), ("帮我办理人才安居补贴", HOUSING)])
def test_an_offer_ignored_leaves_the_form(text: str, matter: ServiceMatter | None) -> None:
    assert advance(OFFERED, turn(text, matter), SIGNED_IN) is None


RETRY = retry_after_login("track_matter", {"matter_number": MH})


@pytest.mark.parametrize("reply", ["继续", "我登录了", "好的", "我的办件到哪一步了"])
def test_a_refused_request_is_repeated_after_login(reply: str) -> None:
    assert advance(RETRY, turn(reply), SIGNED_IN) == Step(tool="track_matter", args={"matter_number": MH})


@pytest.mark.parametrize("reply", [POLICY_QUESTION, "你好", "取消"])
def test_anything_else_drops_the_retry(reply: str) -> None:
    assert advance(RETRY, turn(reply), SIGNED_IN) is None


# the other forms ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "provided"), [("都准备好了", ["营业执照", "健康证明"]), ("健康证明已经准备好了", ["健康证明"])]
)
def test_supplement_submits_the_materials_chosen(reply: str, provided: list[str]) -> None:
    step = start_form("supplement_materials", turn(f"我要为{MH}补充材料"), SIGNED_IN)
    assert (step.tool, step.args, asked(step)) == ("track_matter", {"matter_number": MH}, "provided")
    choosing = with_options(open_form(step), MISSING)
    assert choosing is not None
    assert step_after(choosing, reply, SIGNED_IN) == Step(
        tool="supplement_materials", args={"matter_number": MH, "provided": provided}
    )


@pytest.mark.parametrize(("reply", "value"), [("打个4分吧", 4), ("非常满意", 5), ("3", 3)])
def test_rating_asks_the_score_then_rates(reply: str, value: int) -> None:
    step = start_form("rate_request", turn(f"我要评价诉求{SQ}"), SIGNED_IN)
    assert (step.text, asked(step)) == (question("rate_request", "score"), "score")
    assert step_after(open_form(step), reply, SIGNED_IN) == Step(
        tool="rate_request", args={"ticket_number": SQ, "score": value}
    )


def test_a_rating_given_at_once_needs_no_question() -> None:
    step = start_form("rate_request", turn(f"{SQ} 我给5分"), SIGNED_IN)
    assert step == Step(tool="rate_request", args={"ticket_number": SQ, "score": 5})


def _lead_at_consent() -> Form:
    return _lead_steps()[-1]


def test_a_lead_asks_for_consent_with_the_consent_text() -> None:
    asking_industry = _lead_steps()[2]
    step = step_after(asking_industry, "生物医药", ANONYMOUS)
    assert asked(step) == CONFIRM and step.tool is None
    assert CONSENT_TEXT in step.text and "上海某某生物科技有限公司" in step.text


def test_a_lead_is_registered_only_with_consent() -> None:
    lead = _lead_at_consent()
    assert step_after(lead, "同意", ANONYMOUS) == Step(
        tool="register_investment_lead",
        args={
            "investor_name": "上海某某生物科技有限公司",
            "contact_phone": "13912345678",
            "industry": "生物医药",
            "consent": True,
        },
    )
    assert step_after(lead, "不同意", ANONYMOUS) == Step(text="好的，不登记任何信息。")


def test_a_lead_keeps_facts_given_before_it_opened() -> None:
    step = start_form("register_lead", turn("我想登记投资意向"), ANONYMOUS, industry="人工智能", area_sqm=None)
    assert open_form(step).values == {"industry": "人工智能"}
    for reply in ("上海某某生物科技有限公司", "13912345678"):
        step = step_after(open_form(step), reply, ANONYMOUS)
    assert asked(step) == CONFIRM and "人工智能" in step.text


def test_a_handoff_offer_accepted_hands_over_and_declined_does_not() -> None:
    offer = Form("handoff", {"reason": "投诉无人处理"}, CONFIRM)
    assert step_after(offer, "是", ANONYMOUS) == Step(tool="handoff_to_human", args={"reason": "投诉无人处理"})
    assert step_after(offer, "不用", ANONYMOUS) == Step(text=CANCELLED)


def _steps_of(forms: Sequence[Form]) -> list[str]:
    return [form.asking for form in forms]


def test_every_step_fixture_is_where_it_claims() -> None:
    """The states the cancel/leave tests run on really are the forms' successive questions."""
    assert _steps_of(_start_matter_steps()) == ["matter_code", "contact_name", "contact_phone", CONFIRM]
    assert _steps_of(_booking_steps()) == ["service_name", "slot_id", CONFIRM]
    assert _steps_of(_lead_steps()) == ["investor_name", "contact_phone", "industry", CONFIRM]
    assert _steps_of(_other_steps()) == ["provided", "provided", "score"]
