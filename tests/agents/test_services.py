"""The composition root builds real services from settings, and the tools work on them end to end."""

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from agents.services import build_tool_services
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from minfu.settings import Settings
from tools.agent_tools import ALL_TOOLS, EnterpriseIdentity, ToolContext, ToolServices
from tools.store.uscc import check_char

FIXTURES = Path(__file__).parents[1] / "knowledge" / "fixtures"
USCC = "91310112MA1000021" + check_char("91310112MA1000021")


def _call(
    services: ToolServices, name: str, args: dict[str, Any], enterprise: EnterpriseIdentity | None = None
) -> dict[str, Any]:
    builder = StateGraph(MessagesState, context_schema=ToolContext)
    builder.add_node("tools", ToolNode(ALL_TOOLS))
    builder.add_edge(START, "tools")
    builder.add_edge("tools", END)
    call = {"name": name, "args": args, "id": f"c{uuid.uuid4().hex[:6]}", "type": "tool_call"}
    context = ToolContext(services=services, enterprise=enterprise, conversation_id="t")
    out = builder.compile().invoke({"messages": [AIMessage("", tool_calls=[call])]}, context=context)
    result: dict[str, Any] = json.loads(str(out["messages"][-1].content))
    return result


def test_services_from_settings_serve_a_matter_end_to_end(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", embedder="hashing", database_url=f"sqlite:///{tmp_path / 'minfu.sqlite'}"
    )
    services = build_tool_services(settings)
    Ingestor(services.knowledge, Chunker(400)).ingest(load_paths([FIXTURES / "policies"]))
    assert _call(services, "search_knowledge", {"query": "开店一件事"})["ok"] is True
    guide = _call(services, "get_service_guide", {"name_or_code": "开奶茶店要办什么证"})
    assert guide["ok"] is True
    enterprise = EnterpriseIdentity(USCC, "上海丙餐饮有限公司", "王五", "13700137000")
    started = _call(
        services,
        "start_matter",
        {
            "matter_code": "MH-SJ-SHIPIN",
            "contact_name": "王五",
            "contact_phone": "13700137000",
            "idempotency_key": "k-1",
        },
        enterprise,
    )
    assert started["ok"] is True
    number = started["matter"]["matter_number"]
    assert number.startswith("MH")
    assert [m.number for m in services.matters.list_for(USCC)] == [number]


def test_operator_matter_synonyms_are_used(tmp_path: Path) -> None:
    table = tmp_path / "mine.yaml"
    table.write_text("卖奶茶: [MH-SJ-SHIPIN]\n", encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data",
        embedder="hashing",
        matter_synonyms_path=table,
        database_url=f"sqlite:///{tmp_path / 'minfu.sqlite'}",
    )
    best = build_tool_services(settings).dictionary.find("我想卖奶茶", k=1)[0]
    assert best.matter.code == "MH-SJ-SHIPIN"


def _stored_slots(services: ToolServices) -> int:
    store, now = services.appointments, services.appointments.now()
    starts = store.slot_starts(store.window_ids().values(), now - timedelta(days=30), now + timedelta(days=60))
    return sum(len(window_starts) for window_starts in starts.values())


def test_a_fresh_installation_has_bookable_slots_published_once(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", embedder="hashing", database_url=f"sqlite:///{tmp_path / 'minfu.sqlite'}"
    )
    services = build_tool_services(settings)
    published = services.appointments.open_slots()
    assert {slot.service_name for slot in published} >= {"食品经营许可", "企业开办", "人才安居补贴"}
    assert _stored_slots(services) == _stored_slots(build_tool_services(settings)) >= len(published)
    for words in ("食品经营许可", "餐饮服务许可"):  # the window's name, then an alias matched by dictionary meaning
        listed = _call(services, "book_appointment", {"service_name": words})["open_slots"]
        assert listed and {slot["service_name"] for slot in listed} == {"食品经营许可"}
        assert "闵行区行政服务中心" in {slot["place"] for slot in listed}


def test_publishing_the_schedule_can_be_turned_off(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        embedder="hashing",
        database_url=f"sqlite:///{tmp_path / 'minfu.sqlite'}",
        publish_schedule=False,
    )
    assert build_tool_services(settings).appointments.open_slots() == []
