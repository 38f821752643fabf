"""The typed langchain tools the agents call; each returns {"ok": true, ...} or a structured Chinese error.

Give the agent `ALL_TOOLS` and `context_schema=ToolContext`, and pass `context=ToolContext(...)` when invoking it:
the enterprise identity reaches the tools only through that context, never through the model's arguments.
"""

from langchain_core.tools import BaseTool

from tools.agent_tools.context import EnterpriseIdentity, ToolContext, ToolServices
from tools.agent_tools.investment_tools import recommend_sites, register_investment_lead
from tools.agent_tools.knowledge_tools import get_service_guide, search_knowledge
from tools.agent_tools.matter_tools import list_my_matters, start_matter, supplement_materials, track_matter
from tools.agent_tools.policy_tools import match_policies
from tools.agent_tools.results import validation_message
from tools.agent_tools.service_tools import book_appointment, handoff_to_human, rate_request, submit_request

ALL_TOOLS: list[BaseTool] = [
    search_knowledge,
    get_service_guide,
    start_matter,
    supplement_materials,
    track_matter,
    list_my_matters,
    match_policies,
    book_appointment,
    submit_request,
    rate_request,
    recommend_sites,
    register_investment_lead,
    handoff_to_human,
]

for _tool in ALL_TOOLS:
    _tool.handle_validation_error = validation_message

TOOLS_BY_NAME: dict[str, BaseTool] = {t.name: t for t in ALL_TOOLS}

__all__ = [
    "ALL_TOOLS",
    "TOOLS_BY_NAME",
    "EnterpriseIdentity",
    "ToolContext",
    "ToolServices",
    "book_appointment",
    "get_service_guide",
    "handoff_to_human",
    "list_my_matters",
    "match_policies",
    "rate_request",
    "recommend_sites",
    "register_investment_lead",
    "search_knowledge",
    "start_matter",
    "submit_request",
    "supplement_materials",
    "track_matter",
]
