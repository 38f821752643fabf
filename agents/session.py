"""What a brain may know about the conversation's session: which agent speaks and who is signed in.

The assembly writes it on the system message of every model request (`additional_kwargs["minfu_session"]`), next
to the prompt text, so every brain reads the same facts: a language model from the prompt text, the offline brain
from the structured copy. Provider adapters send only the text. Identity here is for wording only (whether to ask
the user to log in, whom to greet): the tools take the enterprise from the verified runtime context, never from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from langchain_core.messages import BaseMessage, SystemMessage

from tools.agent_tools import EnterpriseIdentity

AgentName = Literal["policy", "investment"]
SESSION_KEY = "minfu_session"


@dataclass(frozen=True)
class SessionInfo:
    agent: AgentName = "policy"
    enterprise_name: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None

    @property
    def logged_in(self) -> bool:
        return self.enterprise_name is not None

    @classmethod
    def of(cls, agent: AgentName, enterprise: EnterpriseIdentity | None) -> SessionInfo:
        if enterprise is None:
            return cls(agent=agent)
        return cls(agent, enterprise.name, enterprise.contact_name, enterprise.contact_phone)

    def identity_line(self) -> str:
        """The identity as the prompt states it (no full codes: the model never needs them)."""
        if not self.logged_in:
            return "用户未登录企业账号（可以咨询；办理、查询本企业事项前需先登录）"
        contact = f"，联系人 {self.contact_name}" if self.contact_name else ""
        return f"已登录企业：{self.enterprise_name}{contact}"

    def to_message(self, prompt: str) -> SystemMessage:
        return SystemMessage(content=prompt, additional_kwargs={SESSION_KEY: asdict(self)})


def session_of(messages: Sequence[BaseMessage]) -> SessionInfo:
    """The session written on the request's system message; an anonymous policy session when there is none."""
    for message in messages:
        if isinstance(message, SystemMessage):
            data: Any = message.additional_kwargs.get(SESSION_KEY)
            if isinstance(data, dict):
                return _from_json(data)
    return SessionInfo()


def _from_json(data: dict[str, Any]) -> SessionInfo:
    agent = data.get("agent")
    known = {key: data.get(key) for key in ("enterprise_name", "contact_name", "contact_phone")}
    return SessionInfo(agent="investment" if agent == "investment" else "policy", **known)
