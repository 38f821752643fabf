"""Multi-turn dialogue scenarios: the format, the loader and the checks one scenario must pass.

A line of the JSONL file is one scenario::

    {"id": "start-matter-login", "category": "start_matter", "enterprise": "no_contact",
     "setup": [{"matter": {"code": "MH-SJ-SHIPIN", "materials": ["营业执照"]}}],
     "turns": [{"user": "我想办理食品经营许可",
                "tools": [{"name": "start_matter", "args": {"matter_code": "MH-SJ-SHIPIN"}}],
                "says": ["请确认"], "never_says": ["MH2"], "agent": "policy"}],
     "end": {"matters": 1, "tickets": 0, "leads": 0, "bookings": 0}}

- `enterprise`: who is signed in: "mine" (with a registered contact), "no_contact", "other", or null (anonymous);
  a turn may switch with its own `"enterprise"` (the user logs in mid-conversation).
- `setup`: records made before the conversation: a `matter` (for the signed-in enterprise unless `"owner":
  "other"`), a `ticket` (`{"text", "replied": true}` answers it so it can be rated) or a `slot` (`{"service",
  "in_days", "capacity"}`); their numbers can be used in user text as {matter}, {ticket}, {other_matter}.
- a turn's `tools` are the tool calls expected in order (names, and args that must be present with those values;
  `[]` means no tool call); `says` / `never_says` are substrings of the answer; `agent` the agent that answers;
  `handoff_offered` whether the answer offers a human; `cites` substrings that some citation's title and article
  must hold (e.g. "第十九条").
- `end`: counts of records the signed-in enterprises own afterwards (matters, tickets, leads, bookings).

Bad lines are reported with their line number and field; the rest still load.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.datasets import DatasetProblem
from minfu.errors import InvalidInputError

IDENTITIES = ("mine", "no_contact", "other")
SETUP_KINDS = ("matter", "ticket", "slot")
END_KEYS = ("matters", "tickets", "leads", "bookings")


@dataclass(frozen=True)
class ExpectedCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DialogueTurn:
    user: str
    tools: tuple[ExpectedCall, ...] | None = None  # None: not checked
    says: tuple[str, ...] = ()
    never_says: tuple[str, ...] = ()
    agent: str | None = None
    handoff_offered: bool | None = None
    cites: tuple[str, ...] = ()  # each must appear in some citation's title + article (e.g. "劳动合同法", "第十九条")
    enterprise: str | None = None  # switch identity from this turn on ("anonymous" logs out)


@dataclass(frozen=True)
class Scenario:
    id: str
    category: str
    turns: tuple[DialogueTurn, ...]
    enterprise: str | None = None
    setup: tuple[dict[str, Any], ...] = ()
    end: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ScenarioLoad:
    scenarios: list[Scenario]
    problems: list[DatasetProblem]


def load_scenarios(path: Path) -> ScenarioLoad:
    """Every well-formed scenario of `path`, and a problem (line, field, Chinese message) for each bad line."""
    if not path.is_file():
        raise InvalidInputError(f"找不到对话场景文件：{path}", field="dataset")
    return parse_scenarios(path.read_text(encoding="utf-8").splitlines())


def parse_scenarios(lines: Iterable[str]) -> ScenarioLoad:
    scenarios: list[Scenario] = []
    problems: list[DatasetProblem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            scenario = _scenario(json.loads(line))
        except json.JSONDecodeError as error:
            problems.append(DatasetProblem(number, None, f"不是合法的 JSON：{error.msg}"))
            continue
        except _BadLineError as bad:
            problems.append(DatasetProblem(number, bad.field, bad.message))
            continue
        if scenario.id in seen:
            problems.append(DatasetProblem(number, "id", f"场景编号重复：{scenario.id}"))
            continue
        seen.add(scenario.id)
        scenarios.append(scenario)
    return ScenarioLoad(scenarios, problems)


class _BadLineError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _scenario(raw: Any) -> Scenario:
    if not isinstance(raw, dict):
        raise _BadLineError("", "每行应为一个 JSON 对象")
    turns = raw.get("turns")
    if not isinstance(turns, list) or not turns:
        raise _BadLineError("turns", "turns 应为非空列表")
    enterprise = raw.get("enterprise")
    if enterprise is not None and enterprise not in IDENTITIES:
        raise _BadLineError("enterprise", f"enterprise 应为 {'/'.join(IDENTITIES)} 或 null")
    return Scenario(
        id=_text(raw, "id"),
        category=_text(raw, "category"),
        turns=tuple(_turn(turn, index) for index, turn in enumerate(turns)),
        enterprise=enterprise,
        setup=tuple(_setup(item, index) for index, item in enumerate(raw.get("setup") or [])),
        end=_end(raw.get("end") or {}),
    )


def _turn(raw: Any, index: int) -> DialogueTurn:
    where = f"turns[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("user"), str) or not raw["user"].strip():
        raise _BadLineError(f"{where}.user", "每轮须有非空的 user 文本")
    tools = raw.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise _BadLineError(f"{where}.tools", "tools 应为列表")
    enterprise = raw.get("enterprise")
    if enterprise is not None and enterprise not in (*IDENTITIES, "anonymous"):
        raise _BadLineError(f"{where}.enterprise", "enterprise 取值不合法")
    return DialogueTurn(
        user=raw["user"],
        tools=None if tools is None else tuple(_call(call, f"{where}.tools") for call in tools),
        says=tuple(raw.get("says") or ()),
        never_says=tuple(raw.get("never_says") or ()),
        agent=raw.get("agent"),
        handoff_offered=raw.get("handoff_offered"),
        cites=tuple(raw.get("cites") or ()),
        enterprise=enterprise,
    )


def _call(raw: Any, where: str) -> ExpectedCall:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise _BadLineError(where, "每个预期工具调用须有 name")
    args = raw.get("args") or {}
    if not isinstance(args, dict):
        raise _BadLineError(where, "args 应为对象")
    return ExpectedCall(raw["name"], args)


def _setup(raw: Any, index: int) -> dict[str, Any]:
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in SETUP_KINDS:
        raise _BadLineError(f"setup[{index}]", f"setup 每项应为 {'/'.join(SETUP_KINDS)} 之一")
    return raw


def _end(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict) or any(key not in END_KEYS or not isinstance(v, int) for key, v in raw.items()):
        raise _BadLineError("end", f"end 只能包含整数计数：{'/'.join(END_KEYS)}")
    return dict(raw)


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _BadLineError(key, f"缺少 {key}")
    return value
