"""Running dialogue scenarios through the assistant (the same code path as the API) and scoring them.

Each scenario gets a fresh SQLite store (the knowledge base is shared, read-only), its setup records, then its
turns; every turn is checked (tool calls, answer text, agent, handoff offer), and so is the end state. Across all
turns the runner also looks for invented records: a matter/诉求/预约/线索 number in an answer that no tool result,
user message or setup record holds, or a matter or 诉求 status quoted in a turn whose tool results do not hold it.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from agents.assistant import Assistant, Reply
from agents.offline.brain import OfflineBrain
from eval.dialogues import DialogueTurn, ExpectedCall, Scenario
from tools.agent_tools import EnterpriseIdentity, ToolServices
from tools.store import make_engine, session_factory, upgrade
from tools.store.appointments import AppointmentStore
from tools.store.common import LOCAL_TZ, Contact
from tools.store.leads import LeadStore
from tools.store.matters import STATE_LABELS, MatterStore
from tools.store.tickets import TICKET_LABELS, TicketStore
from tools.store.uscc import check_char

BrainFactory = Callable[[ToolServices], BaseChatModel]
RECORD_NUMBER = re.compile(r"(?:MH|SQ|YY|ZS)\d{8}-\d{6}")
EXAMPLE_NUMBER = re.compile(r"例如\s*" + RECORD_NUMBER.pattern)  # a format hint in a question, not a record
STATUS_LABELS = tuple(sorted({*STATE_LABELS.values(), *TICKET_LABELS.values()}, key=len, reverse=True))


def _uscc(n: int) -> str:
    first17 = f"91310112MA1{n:06d}"
    return first17 + check_char(first17)


IDENTITIES = {
    "mine": EnterpriseIdentity(_uscc(901), "上海闵服示范科技有限公司", "张三", "13800138000"),
    "no_contact": EnterpriseIdentity(_uscc(902), "上海闵服示范贸易有限公司"),
    "other": EnterpriseIdentity(_uscc(903), "上海另一家餐饮有限公司", "李四", "13900139000"),
}


@dataclass
class TurnOutcome:
    user: str
    answer: str
    tools: list[dict[str, Any]]
    agent: str
    elapsed_ms: float
    failures: list[str] = field(default_factory=list)


@dataclass
class ScenarioOutcome:
    id: str
    category: str
    turns: list[TurnOutcome]
    failures: list[str]
    invented: list[str]
    names: dict[str, str] = field(default_factory=dict)  # setup placeholders ({matter}, …) and the numbers they got

    @property
    def passed(self) -> bool:
        return not self.failures and not self.invented


@dataclass
class DialogueReport:
    outcomes: list[ScenarioOutcome]

    @property
    def pass_rate(self) -> float:
        return sum(o.passed for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    def latencies(self) -> list[float]:
        return [turn.elapsed_ms for outcome in self.outcomes for turn in outcome.turns]

    def summary(self) -> dict[str, Any]:
        times = sorted(self.latencies())
        by_category: dict[str, list[bool]] = {}
        for outcome in self.outcomes:
            by_category.setdefault(outcome.category, []).append(outcome.passed)
        return {
            "scenarios": len(self.outcomes),
            "passed": sum(o.passed for o in self.outcomes),
            "pass_rate": round(self.pass_rate, 4),
            "turns": len(times),
            "latency_ms_p50": round(statistics.median(times), 1) if times else 0.0,
            "latency_ms_p95": round(_percentile(times, 0.95), 1),
            "invented": sum(len(o.invented) for o in self.outcomes),
            "by_category": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_category.items())},
        }


def run_dialogues(
    scenarios: Sequence[Scenario],
    services: ToolServices,
    workdir: Path,
    *,
    brain: BrainFactory = lambda services: OfflineBrain(services=services),
    progress: Callable[[ScenarioOutcome], None] | None = None,
) -> DialogueReport:
    """Run every scenario on its own fresh store under `workdir`; `services` lends the catalogues and the KB."""
    outcomes = []
    for index, scenario in enumerate(scenarios):
        scoped = fresh_stores(services, f"sqlite:///{workdir / f'dialogue-{index}.sqlite'}")
        outcome = run_scenario(scenario, scoped, brain(scoped))
        outcomes.append(outcome)
        if progress:
            progress(outcome)
    return DialogueReport(outcomes)


def fresh_stores(services: ToolServices, database_url: str) -> ToolServices:
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    return replace(
        services,
        matters=MatterStore(sessions),
        tickets=TicketStore(sessions),
        appointments=AppointmentStore(sessions),
        leads=LeadStore(sessions),
    )


def run_scenario(scenario: Scenario, services: ToolServices, brain: BaseChatModel) -> ScenarioOutcome:
    return play_scenario(scenario, services, lambda scoped: Assistant(scoped, brain))


def play_scenario(
    scenario: Scenario,
    services: ToolServices,
    make_assistant: Callable[[ToolServices], Assistant],
    *,
    conversation_id: str | None = None,
) -> ScenarioOutcome:
    """Set the scenario's records up in `services`, then play its turns through the assistant made for them."""
    names = _set_up(scenario, services)
    assistant = make_assistant(services)
    conversation_id = conversation_id or f"scenario-{scenario.id}"
    who = IDENTITIES.get(scenario.enterprise or "")
    known = set(names.values())
    turns: list[TurnOutcome] = []
    invented: list[str] = []
    for turn in scenario.turns:
        who = _identity(turn, who)
        text = fill_placeholders(turn.user, names)
        reply = assistant.ask(text, conversation_id=conversation_id, enterprise=who)
        known |= set(RECORD_NUMBER.findall(text)) | _numbers_in_results(reply)
        invented += _invented(reply, known)
        turns.append(_checked_turn(turn, text, reply, names))
    failures = [f"第{i + 1}轮：{f}" for i, t in enumerate(turns) for f in t.failures]
    failures += _end_failures(scenario, services)
    return ScenarioOutcome(scenario.id, scenario.category, turns, failures, invented, names)


# setup ----------------------------------------------------------------------------------------------------------
def _set_up(scenario: Scenario, services: ToolServices) -> dict[str, str]:
    names: dict[str, str] = {}
    owner = IDENTITIES.get(scenario.enterprise or "") or IDENTITIES["mine"]
    for index, item in enumerate(scenario.setup):
        kind, spec = next(iter(item.items()))
        if kind == "matter":
            key = "other_matter" if spec.get("owner") == "other" else "matter"
            who = IDENTITIES["other"] if spec.get("owner") == "other" else owner
            names[key] = _matter(services, who, spec, f"setup-{index}")
        elif kind == "ticket":
            names["ticket"] = _ticket(services, owner, spec)
        else:
            _slot(services, spec)
    return names


def _matter(services: ToolServices, who: EnterpriseIdentity, spec: dict[str, Any], key: str) -> str:
    record = services.dictionary.get(spec["code"])
    name = record.name if record else spec["code"]
    materials = [(m, True) for m in spec.get("materials", [])]
    contact = Contact(who.contact_name or "联系人", who.contact_phone or "13800000000")
    matter = services.matters.create(who.uscc, spec["code"], name, materials, contact, key)
    if spec.get("submitted") and not matter.missing_materials:
        matter = services.matters.submit(matter.number, who.uscc, "企业提交预审")
    return matter.number


def _ticket(services: ToolServices, who: EnterpriseIdentity, spec: dict[str, Any]) -> str:
    ticket = services.tickets.submit(who.uscc, spec.get("category", "求助"), spec["text"])
    if spec.get("replied"):
        today = datetime.now(LOCAL_TZ).date()
        services.tickets.assign(ticket.number, "区营商办", today + timedelta(days=5), "staff:eval")
        services.tickets.reply(ticket.number, spec.get("reply", "已答复，详见办理结果。"), "staff:eval")
    return ticket.number


def _slot(services: ToolServices, spec: dict[str, Any]) -> None:
    store = services.appointments
    place = store.add_place(spec.get("place", "闵行区行政服务中心"), "沪闵路6258号")
    window = store.add_window(place, spec["service"], spec.get("window", "3号窗口"))
    day = datetime.now(LOCAL_TZ).date() + timedelta(days=int(spec.get("in_days", 3)))
    start = datetime(day.year, day.month, day.day, 9, tzinfo=LOCAL_TZ)
    store.add_slot(window, start, start + timedelta(hours=1), int(spec.get("capacity", 2)))


def _identity(turn: DialogueTurn, current: EnterpriseIdentity | None) -> EnterpriseIdentity | None:
    if turn.enterprise is None:
        return current
    return None if turn.enterprise == "anonymous" else IDENTITIES[turn.enterprise]


def fill_placeholders(text: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        text = text.replace("{" + key + "}", value)
    return text


# checks ---------------------------------------------------------------------------------------------------------
def _checked_turn(turn: DialogueTurn, text: str, reply: Reply, names: dict[str, str]) -> TurnOutcome:
    calls = [{"name": c.name, "args": c.args, "ok": c.ok} for c in reply.tool_calls]
    outcome = TurnOutcome(text, reply.text, calls, reply.agent, reply.timings.get("total_ms", 0.0))
    if turn.tools is not None:
        outcome.failures += _call_failures(turn.tools, reply, names)
    says = [fill_placeholders(s, names) for s in turn.says]
    never = [fill_placeholders(s, names) for s in turn.never_says]
    outcome.failures += [f"回答缺少「{s}」" for s in says if s not in reply.text]
    outcome.failures += [f"回答不应包含「{s}」" for s in never if s in reply.text]
    cited = [f"{c.get('title', '')}{c.get('article') or ''}" for c in reply.citations]
    outcome.failures += [f"出处缺少「{s}」" for s in turn.cites if not any(s in c for c in cited)]
    if turn.agent and reply.agent != turn.agent:
        outcome.failures.append(f"应由 {turn.agent} 智能体回答，实际为 {reply.agent}")
    if turn.handoff_offered is not None and reply.handoff_offered != turn.handoff_offered:
        outcome.failures.append(f"转人工提示应为 {turn.handoff_offered}")
    return outcome


def _call_failures(expected: Sequence[ExpectedCall], reply: Reply, names: dict[str, str]) -> list[str]:
    actual = reply.tool_calls
    if [c.name for c in actual] != [e.name for e in expected]:
        return [f"工具调用应为 {[e.name for e in expected]}，实际为 {[c.name for c in actual]}"]
    failures = []
    for want, got in zip(expected, actual, strict=True):
        for key, value in want.args.items():
            value = fill_placeholders(value, names) if isinstance(value, str) else value
            if not _same(got.args.get(key), value):
                failures.append(f"{want.name}.{key} 应为 {value!r}，实际为 {got.args.get(key)!r}")
    return failures


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(float(actual) - float(expected)) < 1e-6
    if isinstance(expected, list) and isinstance(actual, list):
        return sorted(map(str, actual)) == sorted(map(str, expected))
    return bool(actual == expected)


def _numbers_in_results(reply: Reply) -> set[str]:
    return {n for call in reply.tool_calls for n in RECORD_NUMBER.findall(json.dumps(call.result, ensure_ascii=False))}


def _invented(reply: Reply, known: set[str]) -> list[str]:
    """Numbers and statuses in the answer that nothing this conversation saw holds."""
    claimed = EXAMPLE_NUMBER.sub("", reply.text)
    invented = [f"编号 {n}" for n in RECORD_NUMBER.findall(claimed) if n not in known]
    results = " ".join(json.dumps(c.result, ensure_ascii=False) for c in reply.tool_calls)
    text = reply.text
    for label in STATUS_LABELS:  # longest first, so 已受理 is not also counted as 受理
        if label in text:
            if label not in results:
                invented.append(f"状态 {label}")
            text = text.replace(label, "")
    return invented


def _end_failures(scenario: Scenario, services: ToolServices) -> list[str]:
    people = [who.uscc for who in IDENTITIES.values()]
    counts = {
        "matters": sum(len(services.matters.list_for(u)) for u in people) - _setup_count(scenario, "matter"),
        "tickets": sum(len(services.tickets.list_for(u)) for u in people) - _setup_count(scenario, "ticket"),
        "bookings": sum(len(services.appointments.list_for(u)) for u in people),
        "leads": len(services.leads.list_recent(500)),
    }
    wrong = {key: want for key, want in scenario.end.items() if counts[key] != want}
    return [f"结束时新增{key}应为 {want}，实际为 {counts[key]}" for key, want in wrong.items()]


def _setup_count(scenario: Scenario, kind: str) -> int:
    return sum(1 for item in scenario.setup if kind in item)


def _percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
