"""The session facts a brain may read: which agent speaks and who is signed in, carried on the system message."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from agents.session import SESSION_KEY, AgentName, SessionInfo, session_of
from tools.agent_tools import EnterpriseIdentity
from tools.store.uscc import check_char, is_valid_uscc

FIRST17 = "91310112MA1000021"
USCC = FIRST17 + check_char(FIRST17)
WITH_CONTACT = EnterpriseIdentity(USCC, "上海甲科技有限公司", "张三", "13800138000")
WITHOUT_CONTACT = EnterpriseIdentity(USCC, "上海丙贸易有限公司")


def test_the_test_code_is_a_real_uscc() -> None:
    assert is_valid_uscc(USCC)


@pytest.mark.parametrize("agent", ["policy", "investment"])
def test_of_an_enterprise_keeps_its_name_and_contact(agent: AgentName) -> None:
    session = SessionInfo.of(agent, WITH_CONTACT)
    assert session == SessionInfo(agent, "上海甲科技有限公司", "张三", "13800138000")
    assert session.logged_in


@pytest.mark.parametrize("agent", ["policy", "investment"])
def test_of_nobody_is_anonymous(agent: AgentName) -> None:
    session = SessionInfo.of(agent, None)
    assert session == SessionInfo(agent)
    assert not session.logged_in


def test_a_session_keeps_no_code() -> None:
    assert USCC not in repr(SessionInfo.of("policy", WITH_CONTACT))


@pytest.mark.parametrize("enterprise", [WITH_CONTACT, WITHOUT_CONTACT, None])
def test_identity_line_never_states_the_code(enterprise: EnterpriseIdentity | None) -> None:
    line = SessionInfo.of("policy", enterprise).identity_line()
    assert USCC not in line and FIRST17 not in line and USCC[-6:] not in line


def test_identity_line_names_the_enterprise_and_contact() -> None:
    assert SessionInfo.of("policy", WITH_CONTACT).identity_line() == "已登录企业：上海甲科技有限公司，联系人 张三"
    assert SessionInfo.of("policy", WITHOUT_CONTACT).identity_line() == "已登录企业：上海丙贸易有限公司"


def test_identity_line_of_an_anonymous_user_asks_for_a_login_only_to_act() -> None:
    line = SessionInfo.of("policy", None).identity_line()
    assert "未登录" in line and "办理" in line and "可以咨询" in line


@pytest.mark.parametrize(
    "session",
    [
        SessionInfo(),
        SessionInfo("investment"),
        SessionInfo.of("policy", WITH_CONTACT),
        SessionInfo.of("investment", WITHOUT_CONTACT),
    ],
)
def test_to_message_and_session_of_round_trip(session: SessionInfo) -> None:
    message = session.to_message("你是闵服政务智能助手。")
    assert message.content == "你是闵服政务智能助手。"
    assert session_of([message, HumanMessage("你好")]) == session


def test_the_session_survives_serialisation_of_the_message() -> None:
    message = SessionInfo.of("investment", WITH_CONTACT).to_message("prompt")
    copied = SystemMessage.model_validate_json(message.model_dump_json())
    assert session_of([copied]) == SessionInfo.of("investment", WITH_CONTACT)


@pytest.mark.parametrize(
    "messages",
    [
        [],
        [HumanMessage("你好")],
        [HumanMessage("你好"), AIMessage("您好")],
        [SystemMessage("prompt without a session"), HumanMessage("你好")],
        [SystemMessage("prompt", additional_kwargs={SESSION_KEY: "investment"}), HumanMessage("你好")],
    ],
)
def test_no_session_written_is_an_anonymous_policy_session(messages: list[BaseMessage]) -> None:
    assert session_of(messages) == SessionInfo()


def test_the_first_system_message_with_a_session_counts() -> None:
    first = SessionInfo.of("investment", WITH_CONTACT).to_message("一")
    second = SessionInfo().to_message("二")
    assert session_of([SystemMessage("plain"), first, HumanMessage("你好"), second]) == SessionInfo.of(
        "investment", WITH_CONTACT
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"agent": "nobody"}, SessionInfo()),
        ({"agent": "investment", "enterprise_name": "上海甲科技有限公司", "extra": 1},
         SessionInfo("investment", "上海甲科技有限公司")),
        ({}, SessionInfo()),
    ],
)  # fmt: skip
def test_a_written_session_is_read_leniently(data: dict[str, Any], expected: SessionInfo) -> None:
    assert session_of([SystemMessage("prompt", additional_kwargs={SESSION_KEY: data})]) == expected
