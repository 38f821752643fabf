"""Planning a user message: a form in progress first, else one step chosen from the intent and the slots."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from langchain_core.messages import BaseMessage

from agents.offline import history
from agents.offline.answer import HUMAN_OFFER
from agents.offline.forms import Form, advance, start_form
from agents.offline.intents import looks_like_question, without_injections
from agents.offline.scope import declined
from agents.offline.slots import Slots
from agents.offline.turns import Step, Turn
from agents.session import SessionInfo
from tools.investment.catalog import bundled_synonyms

GREETING = (
    "您好！我是闵服政务智能助手，可以为您：解答惠企政策和法规问题（注明出处）、查询办事指南、查询本企业办件进度、"
    "匹配可享受的政策、为投资项目推荐载体，也可以帮您提交诉求或转人工服务。请问有什么可以帮您？"
)
OUT_OF_SCOPE = "抱歉，这个问题超出了我的服务范围（政务服务、惠企政策、办件和招商咨询），为避免误导，我不作推测。"
INJECTION_REFUSED = (
    "抱歉，我不能按该要求操作：对话内容不会改变任何权限，我只能查询当前登录企业自己的办件和诉求。"
    "如需查询本企业的办件，请直接说“我的办件到哪一步了”。"
)
ASK_FACTS = (
    "为了给您匹配政策，请告诉我企业的基本情况：所属行业、员工人数、上年营业收入，"
    "以及注册所在街镇、成立时间、研发投入占比、已获资质（如高新技术企业）等，知道多少说多少即可。"
)
_REQUEST_CATEGORIES = (("投诉", "投诉"), ("举报", "投诉"), ("建议", "建议"), ("求助", "求助"), ("帮忙", "求助"))
MIN_FACTS = 2
# intents about the user's own records or the conversation itself: never declined for a place or a wording
_TRUSTED = frozenset({"greeting", "handoff_human", "track_matter", "rate_request", "supplement_materials"})
_BENEFIT = re.compile(r"政策|补贴|扶持|奖励|资助|优惠|享受|申报")
_MONTHLY = re.compile(r"每月|每个月|一个月|/月|月租")


@dataclass(frozen=True)
class Context:
    """Everything a planner may read: the session and the conversation so far (the current message last)."""

    session: SessionInfo
    messages: Sequence[BaseMessage]
    today: date

    def gathered(self) -> Slots:
        return history.gathered_slots(self.messages, self.today)


def plan(turn: Turn, context: Context) -> Step:
    """The step for the user's message (see the brain's module docstring)."""
    form = history.pending_form(context.messages)
    if form is not None:
        if form.kind == "match_policies":
            form = Form("match_policies", _facts(context.gathered()))
        step = advance(form, turn, context.session)
        if step is not None:
            return step
    return _fresh(turn, context)


def _fresh(turn: Turn, context: Context) -> Step:
    intent = _effective_intent(turn)
    if turn.guess.evidence.startswith("疑似提示注入") and intent not in ("policy_question", "service_guide"):
        # an injection never reaches a tool that acts (a plain question in it still does); declining is not answering
        return Step(text=INJECTION_REFUSED, answered=False)
    if intent not in _TRUSTED and (refusal := declined(turn.text)) is not None:
        return Step(text=refusal, answered=False)
    planner = _PLANNERS.get(intent)
    if planner is None:
        return Step(text=f"{OUT_OF_SCOPE}{HUMAN_OFFER}", answered=False)
    return planner(turn, context)


def _effective_intent(turn: Turn) -> str:
    guess = turn.guess
    intent = guess.intent
    if intent == "out_of_scope" and turn.matter:
        return "service_guide"  # the dictionary knows the colloquial name (奶茶店 → 食品经营许可)
    if intent == "out_of_scope" and guess.unsure and looks_like_question(turn.text):
        intent = "policy_question"  # an unrecognised question is tried on the texts; weak evidence says "not sure"
    if intent == "service_guide" and not turn.matter:
        intent = "policy_question"  # a guide needs a matter; a question that names none is answered from the texts
    if intent == "policy_question" and _describes_enterprise(turn):
        return "match_policies"  # "七宝的餐厅，10个员工，有什么政策能享受": facts plus a policy question is matching
    return intent


def _describes_enterprise(turn: Turn) -> bool:
    slots = turn.slots
    facts = (slots.headcount, slots.amount_wan, slots.sector or slots.industry, slots.registered_on, slots.town,
             slots.percentage, slots.certifications or None)  # fmt: skip
    return sum(fact is not None for fact in facts) >= MIN_FACTS and bool(_BENEFIT.search(turn.text))


def _policy(turn: Turn, _context: Context) -> Step:
    return Step(tool="search_knowledge", args={"query": without_injections(turn.text)})


def _guide(turn: Turn, _context: Context) -> Step:
    name = turn.matter.code if turn.matter else turn.text
    return Step(tool="get_service_guide", args={"name_or_code": name})


def _track(turn: Turn, _context: Context) -> Step:
    if turn.slots.matter_number:
        return Step(tool="track_matter", args={"matter_number": turn.slots.matter_number})
    return Step(tool="list_my_matters")


def _match(_turn: Turn, context: Context) -> Step:
    facts = _facts(context.gathered())
    if not facts.keys() & {"industry", "employees", "revenue_wan"}:
        return Step(text=ASK_FACTS, form=Form("match_policies"))
    return Step(tool="match_policies", args=facts)


def _facts(slots: Slots) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "industry": slots.sector or slots.industry,
        "employees": slots.headcount,
        "revenue_wan": slots.amount_wan,
        "registered_town": slots.town,
        "registered_on": slots.registered_on.isoformat() if slots.registered_on else None,
        "rd_ratio": slots.percentage,
        "certifications": list(slots.certifications) or None,
    }
    return {key: value for key, value in facts.items() if value is not None}


def _investment(turn: Turn, context: Context) -> Step:
    slots = context.gathered()
    budget = slots.monthly_rent_yuan
    if budget is None and slots.amount_wan is not None and _MONTHLY.search(turn.text):
        budget = slots.amount_wan * 10_000
    needs = _needs(history.user_texts(context.messages)) or None
    facts = {"industry": slots.industry, "area_sqm": slots.area_m2, "budget_yuan_per_month": budget, "town": slots.town,
             "needs": needs}  # fmt: skip
    return Step(tool="recommend_sites", args={key: value for key, value in facts.items() if value is not None})


def _needs(texts: Sequence[str]) -> list[str]:
    """Facilities the investor asked for anywhere in the conversation (双回路 → 双回路供电), in vocabulary order."""
    said = " ".join(texts)
    table = bundled_synonyms()["facilities"]
    return [name for name, aliases in table.items() if any(word in said for word in (name, *aliases))]


def _request(turn: Turn, _context: Context) -> Step:
    category = next((label for word, label in _REQUEST_CATEGORIES if word in turn.text), "其他")
    return Step(tool="submit_request", args={"category": category, "text": turn.text})


def _handoff(turn: Turn, _context: Context) -> Step:
    return Step(tool="handoff_to_human", args={"reason": turn.text})


def _greeting(_turn: Turn, _context: Context) -> Step:
    return Step(text=GREETING)


def _start(turn: Turn, context: Context) -> Step:
    return start_form("start_matter", turn, context.session)


def _appointment(turn: Turn, context: Context) -> Step:
    return start_form("book_appointment", turn, context.session)


def _rate(turn: Turn, context: Context) -> Step:
    return start_form("rate_request", turn, context.session)


def _supplement(turn: Turn, context: Context) -> Step:
    return start_form("supplement_materials", turn, context.session)


def _lead(turn: Turn, context: Context) -> Step:
    """Industry, area and budget already given for the site search count for the lead too."""
    earlier = next(history.earlier_args(context.messages, "recommend_sites"), {})
    known = {key: earlier.get(key) for key in ("industry", "area_sqm", "budget_yuan_per_month")}
    return start_form("register_lead", turn, context.session, **known)


def offered_handoff(reason: str) -> Form:
    """The form a proactive handoff offer leaves open: a yes hands the conversation over."""
    return replace(Form("handoff", {"reason": reason[:500]}), asking="confirm")


_PLANNERS: dict[str, Callable[[Turn, Context], Step]] = {
    "policy_question": _policy,
    "service_guide": _guide,
    "track_matter": _track,
    "match_policies": _match,
    "investment": _investment,
    "submit_request": _request,
    "handoff_human": _handoff,
    "greeting": _greeting,
    "start_matter": _start,
    "book_appointment": _appointment,
    "rate_request": _rate,
    "register_lead": _lead,
    "supplement_materials": _supplement,
}
