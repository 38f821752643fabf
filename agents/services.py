"""The composition root: builds every service the tools act on from settings, once per process."""

from __future__ import annotations

from knowledge.base import KnowledgeBase
from minfu.settings import Settings
from tools.agent_tools import ToolServices
from tools.agent_tools.context import shanghai_today
from tools.dictionary import ServiceDictionary, load_bundled
from tools.investment import load_sites
from tools.policies import load_policies
from tools.store import make_engine, session_factory, upgrade
from tools.store.appointments import AppointmentStore
from tools.store.leads import LeadStore
from tools.store.matters import MatterStore
from tools.store.schedule import load_schedule, publish_schedule
from tools.store.tickets import TicketStore


def build_tool_services(settings: Settings, *, knowledge: KnowledgeBase | None = None) -> ToolServices:
    """Open the knowledge base and the database (migrated to head) and load the bundled catalogues.

    The dictionary looks matters up by meaning with the knowledge base's own embedder (cached, so the bundled
    matters are embedded once per machine). Unless `settings.publish_schedule` is off, the bundled appointment
    schedule's slots for the next working days are published (two reads when they already exist).
    """
    kb = knowledge or KnowledgeBase.open(settings)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    dictionary = ServiceDictionary(load_bundled(), synonyms_path=settings.matter_synonyms_path, embedder=kb.embedder)
    appointments = AppointmentStore(sessions)
    if settings.publish_schedule:
        publish_schedule(appointments, load_schedule(), today=shanghai_today())
    return ToolServices(
        knowledge=kb,
        dictionary=dictionary,
        policies=load_policies(),
        matters=MatterStore(sessions),
        tickets=TicketStore(sessions),
        appointments=appointments,
        leads=LeadStore(sessions),
        sites=load_sites(),
    )
