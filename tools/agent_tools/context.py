"""What a tool knows besides the model's arguments: the services it acts on and the verified enterprise.

The API builds a `ToolContext` per conversation after verifying the portal's signed token and passes it as the
agent's `context`; langchain injects it into each tool through `ToolRuntime[ToolContext]`, a parameter that the model
never sees. The enterprise identity therefore comes only from here, never from a tool argument.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from knowledge.base import KnowledgeBase
from tools.dictionary import ServiceDictionary
from tools.investment import Site
from tools.policies import Policy
from tools.store.appointments import AppointmentStore
from tools.store.common import LOCAL_TZ
from tools.store.leads import LeadStore
from tools.store.matters import MatterStore
from tools.store.tickets import TicketStore

DEFAULT_HOTLINE = "12345"


def shanghai_today() -> date:
    return datetime.now(LOCAL_TZ).date()


@dataclass(frozen=True)
class EnterpriseIdentity:
    """An enterprise verified by the host portal's signed token."""

    uscc: str
    name: str
    contact_name: str | None = None
    contact_phone: str | None = None


@dataclass(frozen=True)
class ToolServices:
    """Everything the tools act on; built once by the composition root and shared by all conversations."""

    knowledge: KnowledgeBase
    dictionary: ServiceDictionary
    policies: Sequence[Policy]
    matters: MatterStore
    tickets: TicketStore
    appointments: AppointmentStore
    leads: LeadStore
    sites: Sequence[Site]
    today: Callable[[], date] = shanghai_today
    hotline: str = DEFAULT_HOTLINE


@dataclass(frozen=True)
class ToolContext:
    """The agent's runtime context for one conversation (`create_agent(..., context_schema=ToolContext)`)."""

    services: ToolServices
    enterprise: EnterpriseIdentity | None
    conversation_id: str = field(default="")

    @classmethod
    def __get_pydantic_core_schema__(cls, _source: Any, _handler: GetCoreSchemaHandler) -> CoreSchema:
        """Tool schemas check the injected context by type only (its services are not data to validate)."""
        return core_schema.is_instance_schema(cls)
