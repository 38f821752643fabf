"""Chat latency per turn through the assistant the service builds (agents.factory), on the offline brain.

Two groups of turns: every dev-set question as a conversation of its own, and the multi-turn scenarios of the
dialogue set that need no records set up beforehand, turn by turn with their sign-ins. A turn is timed from
outside (`wall`) and split by the reply's own timings: the brain (`model_ms`), the tools (`tool_ms`, and per tool)
and the rest of the agent graph (`other`); `wall` minus `total` is the conversation store around the graph.
Two throwaway turns warm everything up first. Conversations go to a database of their own (see ServiceKnowledge).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.assistant import Assistant, Reply
from agents.factory import build_assistant
from agents.services import build_tool_services
from eval.bench.common import Progress, latency_summary, quiet, ratio, timed
from eval.dialogue_run import IDENTITIES
from eval.dialogues import Scenario
from knowledge.base import KnowledgeBase
from minfu.errors import InvalidInputError
from minfu.settings import Settings
from tools.agent_tools import EnterpriseIdentity

WARM_UP = ("开奶茶店要办什么证", "劳动合同的试用期最长不得超过多久？")
STAGES = ("wall", "total", "model", "tool", "other")


@dataclass(frozen=True)
class ChatBenchOptions:
    questions: tuple[str, ...]
    scenarios: tuple[Scenario, ...]


@dataclass(frozen=True)
class TurnTiming:
    wall_ms: float
    reply: Reply

    def stages(self) -> dict[str, float]:
        timings = self.reply.timings
        total, model, tool = (float(timings.get(f"{name}_ms", 0.0)) for name in ("total", "model", "tool"))
        return {"wall": self.wall_ms, "total": total, "model": model, "tool": tool, "other": total - model - tool}


@dataclass
class TurnGroup:
    turns: list[TurnTiming] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        stages = [turn.stages() for turn in self.turns]
        return {
            "turns": len(self.turns),
            "stages_ms": {name: latency_summary([s[name] for s in stages]) for name in STAGES},
            "tools_ms": _by_tool(self.turns),
            "brains": sorted({turn.reply.brain for turn in self.turns}),
        }


def multi_turn_scenarios(scenarios: Sequence[Scenario], limit: int | None = None) -> tuple[Scenario, ...]:
    """Scenarios of two or more turns that need no setup records (so they run on a fresh store as they are)."""
    chosen = [s for s in scenarios if len(s.turns) >= 2 and not s.setup]
    return tuple(chosen if limit is None else chosen[:limit])


def run_chat_bench(
    settings: Settings, kb: KnowledgeBase, options: ChatBenchOptions, *, progress: Progress = quiet
) -> dict[str, Any]:
    if not options.questions and not options.scenarios:
        raise InvalidInputError("没有可用于对话基准的问题或多轮场景", field="queries")
    progress("对话：构建智能助手…")
    with timed() as setup:
        offline = replace_brain(settings)
        assistant = build_assistant(offline, services=build_tool_services(offline, knowledge=kb))
        for number, question in enumerate(WARM_UP):
            assistant.ask(question, conversation_id=f"bench-warm-up-{number}")
    single, multi = TurnGroup(), TurnGroup()
    for number, question in enumerate(options.questions):
        progress(f"对话：单轮问题 {number + 1}/{len(options.questions)}…")
        single.turns.append(timed_turn(assistant, question, f"bench-question-{number}", None))
    for number, scenario in enumerate(options.scenarios):
        progress(f"对话：多轮场景 {number + 1}/{len(options.scenarios)}（{scenario.id}）…")
        for text, who in scenario_turns(scenario):
            multi.turns.append(timed_turn(assistant, text, f"bench-dialogue-{scenario.id}", who))
    single_summary, multi_summary = single.summary(), multi.summary()
    return {
        "setup_s": round(setup.seconds, 2),
        "single_turn": single_summary,
        "multi_turn": multi_summary,
        "multi_vs_single": _stage_ratios(multi_summary, single_summary),
        "scenarios": [scenario.id for scenario in options.scenarios],
    }


def replace_brain(settings: Settings) -> Settings:
    """The settings with the offline brain, whatever the environment chose."""
    return settings.model_copy(update={"brain": "offline"})


def timed_turn(assistant: Assistant, text: str, conversation_id: str, who: EnterpriseIdentity | None) -> TurnTiming:
    with timed() as watch:
        reply = assistant.ask(text, conversation_id=conversation_id, enterprise=who)
    return TurnTiming(watch.seconds * 1000, reply)


def scenario_turns(scenario: Scenario) -> Iterator[tuple[str, EnterpriseIdentity | None]]:
    """Each user message with who is signed in at that turn (a turn may sign in or out)."""
    who = IDENTITIES.get(scenario.enterprise or "")
    for turn in scenario.turns:
        if turn.enterprise is not None:
            who = None if turn.enterprise == "anonymous" else IDENTITIES[turn.enterprise]
        yield turn.user, who


def _by_tool(turns: Sequence[TurnTiming]) -> dict[str, dict[str, Any]]:
    times: dict[str, list[float]] = {}
    for turn in turns:
        for call in turn.reply.tool_calls:
            if call.elapsed_ms is not None:
                times.setdefault(call.name, []).append(float(call.elapsed_ms))
    return {name: latency_summary(values) for name, values in sorted(times.items())}


def _stage_ratios(multi: dict[str, Any], single: dict[str, Any]) -> dict[str, float | None]:
    wall_multi, wall_single = multi["stages_ms"]["wall"], single["stages_ms"]["wall"]
    return {"p50": ratio(wall_multi["p50"], wall_single["p50"]), "p95": ratio(wall_multi["p95"], wall_single["p95"])}
