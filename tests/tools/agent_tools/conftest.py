"""Real services for the agent tools: SQLite stores in tmp, a hashing-embedder knowledge base over test fixtures,
the bundled dictionary, policies and sites. Tools are called the way the agent runtime calls them: an AIMessage with
a tool call goes through langgraph's ToolNode inside a graph compiled with `context_schema=ToolContext`, and the
graph is invoked with `context=`; ToolNode builds the ToolRuntime and injects it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode

from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunker
from knowledge.embedders.hashing import HashingEmbedder
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from tests.tools.agent_tools.helpers import DATABASE, Caller
from tools.agent_tools import ALL_TOOLS, ToolContext, ToolServices
from tools.dictionary import ServiceDictionary, load_bundled
from tools.investment import load_sites
from tools.policies import load_policies
from tools.store import make_engine, session_factory, upgrade
from tools.store.appointments import AppointmentStore
from tools.store.common import utc_now
from tools.store.leads import LeadStore
from tools.store.matters import MatterStore
from tools.store.tickets import TicketStore

FIXTURES = Path(__file__).parents[2] / "knowledge" / "fixtures"
TODAY = date(2026, 6, 1)


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    kb = KnowledgeBase.in_memory(HashingEmbedder())
    paths = [FIXTURES / "policies", FIXTURES / "laws" / "保障中小企业款项支付条例(2025-03-17).md"]
    Ingestor(kb, Chunker(400)).ingest(load_paths(paths))
    return kb


@pytest.fixture(scope="session")
def dictionary() -> ServiceDictionary:
    return ServiceDictionary(load_bundled())


@pytest.fixture
def services(tmp_path: Path, knowledge: KnowledgeBase, dictionary: ServiceDictionary) -> Iterator[ToolServices]:
    engine = make_engine(f"sqlite:///{tmp_path / DATABASE}")
    upgrade(engine)
    sessions = session_factory(engine)
    yield ToolServices(
        knowledge=knowledge,
        dictionary=dictionary,
        policies=load_policies(),
        matters=MatterStore(sessions),
        tickets=TicketStore(sessions),
        appointments=AppointmentStore(sessions),
        leads=LeadStore(sessions),
        sites=load_sites(),
        today=lambda: TODAY,
    )
    engine.dispose()


@pytest.fixture(scope="session")
def graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    builder = StateGraph(MessagesState, context_schema=ToolContext)
    builder.add_node("tools", ToolNode(ALL_TOOLS))
    builder.add_edge(START, "tools")
    builder.add_edge("tools", END)
    return builder.compile()


@pytest.fixture
def call(graph: CompiledStateGraph[Any, Any, Any, Any], services: ToolServices) -> Caller:
    return Caller(graph, services)


@pytest.fixture
def slot_ids(services: ToolServices) -> list[int]:
    """Two future slots (capacity 1 and 3) at a window for 企业开办."""
    store = services.appointments
    place = store.add_place("闵行区行政服务中心", "沪闵路6258号")
    window = store.add_window(place, "企业开办", "A01")
    start = utc_now() + timedelta(days=2)
    return [
        store.add_slot(window, start, start + timedelta(minutes=30), 1),
        store.add_slot(window, start + timedelta(hours=1), start + timedelta(hours=1, minutes=30), 3),
    ]
