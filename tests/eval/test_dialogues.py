"""Loading dialogue scenarios: each bad line is reported with its line number and field, the rest still load; the
shipped scenario set loads cleanly, is broad enough, and names only real tools, arguments and setup records."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eval.datasets import DatasetProblem
from eval.dialogues import ExpectedCall, Scenario, load_scenarios, parse_scenarios
from minfu.errors import InvalidInputError
from tools.agent_tools import ALL_TOOLS
from tools.dictionary import load_bundled

SHIPPED = Path(__file__).parents[2] / "eval" / "datasets" / "dialogues.jsonl"
PLACEHOLDER = re.compile(r"\{(matter|other_matter|ticket)\}")
TOOL_ARGS = {tool.name: set(tool.args) for tool in ALL_TOOLS}


def line(**fields: Any) -> str:
    scenario = {"id": "s", "category": "policy_answer", "enterprise": None, "turns": [{"user": "你好"}]} | fields
    return json.dumps(scenario, ensure_ascii=False)


def test_a_good_line_loads_with_its_turns_and_expectations() -> None:
    turn = {
        "user": "我想办理食品经营许可",
        "tools": [{"name": "start_matter", "args": {"matter_code": "MH-SJ-SHIPIN"}}],
        "says": ["请确认"],
        "never_says": ["MH2"],
        "agent": "policy",
        "handoff_offered": False,
        "cites": ["劳动合同法第十九条"],
        "enterprise": "anonymous",
    }
    setup = [{"matter": {"code": "MH-SJ-SHIPIN"}}, {"slot": {"service": "企业开办"}}]
    turns = [turn, {"user": "确认", "tools": []}]
    load = parse_scenarios([line(enterprise="mine", setup=setup, turns=turns, end={"matters": 1})])
    assert load.problems == []
    (scenario,) = load.scenarios
    assert (scenario.enterprise, scenario.setup, scenario.end) == ("mine", tuple(setup), {"matters": 1})
    first, second = scenario.turns
    assert first.tools == (ExpectedCall("start_matter", {"matter_code": "MH-SJ-SHIPIN"}),)
    assert (first.says, first.never_says, first.cites) == (("请确认",), ("MH2",), ("劳动合同法第十九条",))
    assert (first.agent, first.handoff_offered, first.enterprise) == ("policy", False, "anonymous")
    assert second.tools == () and second.says == () and second.enterprise is None


def test_unchecked_tools_differ_from_no_tool_call() -> None:
    load = parse_scenarios([line(turns=[{"user": "你好"}, {"user": "再见", "tools": []}])])
    first, second = load.scenarios[0].turns
    assert first.tools is None
    assert second.tools == ()


def test_each_bad_line_is_reported_with_line_and_field_while_the_rest_load() -> None:
    lines = [
        line(id="good-1"),
        '{"id": "broken", "turns": [',
        line(id="no-user", turns=[{"user": "你好"}, {"says": ["您好"]}]),
        "",
        line(id="bad-enterprise", enterprise="admin"),
        line(id="good-1", category="routing"),
        line(id="good-2"),
    ]
    load = parse_scenarios(lines)
    assert [s.id for s in load.scenarios] == ["good-1", "good-2"]
    assert [(p.line, p.field) for p in load.problems] == [
        (2, None),
        (3, "turns[1].user"),
        (5, "enterprise"),
        (6, "id"),
    ]
    assert "JSON" in load.problems[0].message_zh
    assert "good-1" in load.problems[3].message_zh
    assert all(re.search(r"[\u4e00-\u9fff]", p.message_zh) for p in load.problems)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"turns": []}, "turns"),
        ({"turns": [{"user": "   "}]}, "turns[0].user"),
        ({"turns": [{"user": "好", "enterprise": "root"}]}, "turns[0].enterprise"),
        ({"turns": [{"user": "好", "tools": {"name": "x"}}]}, "turns[0].tools"),
        ({"turns": [{"user": "好", "tools": [{"args": {}}]}]}, "turns[0].tools"),
        ({"turns": [{"user": "好", "tools": [{"name": "x", "args": [1]}]}]}, "turns[0].tools"),
        ({"setup": [{"account": {}}]}, "setup[0]"),
        ({"end": {"matters": "1"}}, "end"),
        ({"end": {"invoices": 1}}, "end"),
        ({"id": ""}, "id"),
        ({"category": None}, "category"),
    ],
)
def test_each_kind_of_bad_field_is_named(fields: dict[str, Any], field: str) -> None:
    load = parse_scenarios([line(**fields)])
    assert load.scenarios == []
    assert [(p.line, p.field) for p in load.problems] == [(1, field)]


def test_a_line_that_is_not_an_object_is_reported() -> None:
    load = parse_scenarios(["[1, 2]"])
    assert load.problems == [DatasetProblem(1, "", "每行应为一个 JSON 对象")]


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as raised:
        load_scenarios(tmp_path / "none.jsonl")
    assert raised.value.field == "dataset"


# the shipped scenario set ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped() -> list[Scenario]:
    load = load_scenarios(SHIPPED)
    assert load.problems == []
    return load.scenarios


def test_the_shipped_set_is_broad(shipped: list[Scenario]) -> None:
    categories = Counter(s.category for s in shipped)
    assert len(shipped) >= 48
    assert len(categories) >= 12
    assert min(categories.values()) >= 3, categories  # every behaviour is covered by several scenarios


def test_the_shipped_set_names_only_real_tools_and_arguments(shipped: list[Scenario]) -> None:
    wrong = [
        (s.id, call.name, sorted(set(call.args) - TOOL_ARGS.get(call.name, set())))
        for s in shipped
        for turn in s.turns
        for call in turn.tools or ()
        if call.name not in TOOL_ARGS or set(call.args) - TOOL_ARGS[call.name]
    ]
    assert wrong == []


def test_the_shipped_set_uses_real_matter_codes(shipped: list[Scenario]) -> None:
    codes = {matter.code for matter in load_bundled()}
    calls = [call for s in shipped for turn in s.turns for call in turn.tools or ()]
    named = {str(call.args[key]) for call in calls for key in ("matter_code", "name_or_code") if key in call.args}
    named |= {str(item["matter"]["code"]) for s in shipped for item in s.setup if "matter" in item}
    assert named and named <= codes, named - codes


def test_every_placeholder_has_its_setup_record(shipped: list[Scenario]) -> None:
    missing = []
    for scenario in shipped:
        made = {_record_name(item) for item in scenario.setup} - {None}
        texts = [text for turn in scenario.turns for text in (turn.user, *turn.says, *turn.never_says)]
        texts += [str(value) for turn in scenario.turns for call in turn.tools or () for value in call.args.values()]
        missing += [(scenario.id, name) for text in texts for name in PLACEHOLDER.findall(text) if name not in made]
    assert missing == []


def test_every_shipped_scenario_states_what_it_may_write(shipped: list[Scenario]) -> None:
    assert [s.id for s in shipped if set(s.end) != {"matters", "tickets", "leads", "bookings"}] == []


def _record_name(item: dict[str, Any]) -> str | None:
    kind, spec = next(iter(item.items()))
    if kind == "matter":
        return "other_matter" if spec.get("owner") == "other" else "matter"
    return "ticket" if kind == "ticket" else None
