"""What the offline brain reads back from a conversation: the open form, earlier calls and the facts stated."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agents.offline.forms import Form
from agents.offline.history import earlier_args, gathered_slots, last_answer, pending_form, user_texts

TODAY = date(2026, 1, 5)
ASKING_NAME = Form("start_matter", {"matter_code": "MH-SJ-SHIPIN"}, "contact_name")
ASKING_PHONE = ASKING_NAME.filled(contact_name="李娜")


def asking(form: Form, text: str = "请问办件联系人的姓名是？") -> AIMessage:
    return AIMessage(content=text, response_metadata={"brain": "offline", "form": form.to_json()})


def answer(text: str = "好的。") -> AIMessage:
    return AIMessage(content=text, response_metadata={"brain": "offline"})


def calling(tool: str, args: dict[str, Any], call_id: str, form: Form | None = None) -> AIMessage:
    metadata = {"form": form.to_json()} if form else {}
    return AIMessage(content="", tool_calls=[{"name": tool, "args": args, "id": call_id}], response_metadata=metadata)


def result(call_id: str, content: str = '{"ok": true}') -> ToolMessage:
    return ToolMessage(content=content, tool_call_id=call_id)


# pending_form ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([SystemMessage("prompt"), HumanMessage("我要办理食品经营许可"), asking(ASKING_NAME), HumanMessage("李娜")],
         ASKING_NAME),
        ([HumanMessage("办"), asking(ASKING_NAME), HumanMessage("李娜"), asking(ASKING_PHONE), HumanMessage("139")],
         ASKING_PHONE),  # the latest question, not an earlier one
        ([HumanMessage("办"), asking(ASKING_NAME), HumanMessage("李娜"), answer(), HumanMessage("13912345678")],
         None),  # the previous answer closed the form
        ([HumanMessage("办"), asking(ASKING_NAME), HumanMessage("李娜"), HumanMessage("13912345678")],
         None),  # the user spoke again before any answer
        ([HumanMessage("预约"), calling("book_appointment", {}, "c1", ASKING_NAME), result("c1"), answer(),
          HumanMessage("第1个")], None),  # a form on the tool call does not outlive the answer after it
        ([HumanMessage("预约"), calling("book_appointment", {}, "c1"), result("c1"), asking(ASKING_PHONE),
          HumanMessage("第1个")], ASKING_PHONE),
        ([HumanMessage("办"), AIMessage(content="?", response_metadata={"form": {"kind": "nope"}}), HumanMessage("x")],
         None),  # junk on the message
        ([HumanMessage("你好")], None),
        ([SystemMessage("prompt"), HumanMessage("你好")], None),
        ([], None),
    ],
)  # fmt: skip
def test_pending_form_is_read_from_the_previous_answer_only(messages: list[BaseMessage], expected: Form | None) -> None:
    assert pending_form(messages) == expected


def test_the_current_message_is_not_read_for_a_form() -> None:
    """The last message is the user's; even an AI message there is not 'previous'."""
    assert pending_form([HumanMessage("办"), asking(ASKING_NAME)]) is None


# last_answer and user_texts -------------------------------------------------------------------------------------
def test_last_answer_skips_tool_calls_and_the_current_message() -> None:
    final = answer("已为您查询。")
    messages = [HumanMessage("查进度"), final, HumanMessage("再查"), calling("track_matter", {}, "c1"), result("c1"),
                HumanMessage("好的")]  # fmt: skip
    assert last_answer(messages) is final
    assert last_answer([HumanMessage("你好")]) is None


def test_user_texts_are_the_human_messages_in_order() -> None:
    messages = [SystemMessage("prompt"), HumanMessage("一"), answer("二"), HumanMessage("三")]
    assert user_texts(messages) == ["一", "三"]


# gathered_slots -------------------------------------------------------------------------------------------------
def test_gathered_slots_merge_the_conversation_and_later_facts_win() -> None:
    messages = [
        HumanMessage("我们是做生物医药的，员工50人，电话13800138000"),
        answer("请问注册在哪个街镇？电话 13700000000"),  # the assistant's words are not the user's facts
        HumanMessage("在莘庄工业区"),
        answer(),
        HumanMessage("电话改成13912345678，员工其实是80人"),
    ]
    slots = gathered_slots(messages, TODAY)
    assert (slots.industry, slots.town, slots.phone, slots.headcount) == ("生物医药", "莘庄工业区", "13912345678", 80)


def test_a_later_message_without_the_fact_keeps_the_earlier_one() -> None:
    messages = [HumanMessage("我们是高新技术企业，员工50人"), answer(), HumanMessage("好的")]
    slots = gathered_slots(messages, TODAY)
    assert slots.headcount == 50
    assert "高新技术企业" in slots.certifications


def test_gathered_slots_of_nothing_is_empty() -> None:
    assert vars(gathered_slots([], TODAY)) == vars(gathered_slots([SystemMessage("prompt")], TODAY))
    assert gathered_slots([], TODAY).phone is None


# earlier_args ---------------------------------------------------------------------------------------------------
def test_earlier_args_newest_first_and_only_for_the_tool() -> None:
    messages = [
        HumanMessage("找厂房"),
        calling("recommend_sites", {"industry": "生物医药", "area_sqm": 500}, "c1"),
        result("c1"),
        HumanMessage("查办件"),
        calling("track_matter", {"matter_number": "MH20261127-000123"}, "c2"),
        result("c2"),
        HumanMessage("再大一点"),
        calling("recommend_sites", {"industry": "生物医药", "area_sqm": 1000}, "c3"),
        result("c3"),
        HumanMessage("登记意向"),
    ]
    assert list(earlier_args(messages, "recommend_sites")) == [
        {"industry": "生物医药", "area_sqm": 1000},
        {"industry": "生物医药", "area_sqm": 500},
    ]
    assert list(earlier_args(messages, "start_matter")) == []


def test_earlier_args_are_copies() -> None:
    messages = [calling("recommend_sites", {"industry": "生物医药"}, "c1")]
    next(earlier_args(messages, "recommend_sites"))["industry"] = "人工智能"
    assert next(earlier_args(messages, "recommend_sites")) == {"industry": "生物医药"}
