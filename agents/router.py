"""The router: which agent speaks this turn, the policy agent (政策解答) or the investment agent (招商).

It reads each new user message with the offline intent classifier (deterministic and ~1 ms, so every brain gets the
same routing) and switches only when the message is clearly about the other agent's topic; a short reply, a
greeting, or an answer to a question the agent asked keeps the current agent.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.offline.intents import classify_intent, looks_like_question
from agents.session import AgentName

SWITCH_CONFIDENCE = 0.5  # at least this sure of the other topic to switch agents
SHORT_REPLY = 4  # characters
INVESTMENT_INTENTS = frozenset({"investment", "register_lead"})
NEUTRAL_INTENTS = frozenset({"greeting", "out_of_scope", "handoff_human"})

SHARED_TOOLS = ("search_knowledge", "get_service_guide", "match_policies", "book_appointment", "handoff_to_human")
MATTER_TOOLS = (
    "start_matter",
    "supplement_materials",
    "track_matter",
    "list_my_matters",
    "submit_request",
    "rate_request",
)
AGENT_TOOLS: dict[AgentName, frozenset[str]] = {
    "policy": frozenset((*SHARED_TOOLS, *MATTER_TOOLS)),
    "investment": frozenset((*SHARED_TOOLS, "recommend_sites", "register_investment_lead")),
}


def route(text: str, current: AgentName, *, matter_names: Sequence[str] = (), answering: bool = False) -> AgentName:
    """The agent for a user message; `answering` is True when it replies to a question the agent asked."""
    if len(text.strip()) <= SHORT_REPLY:
        return current  # "好的", "2", "张三": a reply, not a new topic
    guess = classify_intent(text, matter_names=matter_names)
    if guess.unsure and looks_like_question(text):
        return "policy"  # an unrecognised question is tried on the texts, which is the policy agent's work
    if guess.intent in NEUTRAL_INTENTS or guess.confidence < SWITCH_CONFIDENCE:
        return current
    wanted: AgentName = "investment" if guess.intent in INVESTMENT_INTENTS else "policy"
    if answering and wanted != current and guess.confidence < 0.8:
        return current  # "上海某某生物科技有限公司" answering the lead form is not a new topic
    return wanted
