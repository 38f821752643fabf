"""Builds the assistant from settings: the brain, its safety nets and the persisted conversation store."""

from __future__ import annotations

from typing import Any

from langchain.agents.middleware import AgentMiddleware
from langchain_core.language_models import BaseChatModel

from agents.assistant import Assistant
from agents.brains.fallback import BrainFallbackMiddleware
from agents.brains.openai import build_openai_brain
from agents.checkpoint import SqlCheckpointer
from agents.grounding import CitationCheckMiddleware
from agents.offline.brain import OfflineBrain
from agents.services import build_tool_services
from minfu.settings import Settings
from tools.agent_tools import ToolServices
from tools.store import make_engine, upgrade


def build_assistant(settings: Settings, *, services: ToolServices | None = None) -> Assistant:
    """The assistant for `settings.brain`: offline, or an OpenAI-compatible endpoint that falls back to offline.

    Conversations are persisted in `settings.database_url` (migrated to head).
    """
    services = services or build_tool_services(settings)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    offline = OfflineBrain(services=services)
    brain, middleware = _brain(settings, offline)
    return Assistant(services, brain, checkpointer=SqlCheckpointer(engine), middleware=middleware)


def _brain(settings: Settings, offline: OfflineBrain) -> tuple[BaseChatModel, list[AgentMiddleware[Any, Any]]]:
    if settings.brain != "openai":
        return offline, []
    # citation check outside the fallback: an answer the offline brain gave in its place reaches it tagged "offline"
    return build_openai_brain(settings), [CitationCheckMiddleware(), BrainFallbackMiddleware(offline)]
