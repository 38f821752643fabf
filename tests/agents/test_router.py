"""The router: which agent speaks, policy (政策解答) or investment (招商), and the tools each agent may call."""

from __future__ import annotations

import pytest

from agents.offline.intents import classify_intent
from agents.router import AGENT_TOOLS, SWITCH_CONFIDENCE, route
from agents.session import AgentName
from tools.agent_tools import ALL_TOOLS
from tools.dictionary import load_bundled

MATTER_NAMES = tuple(name for matter in load_bundled() for name in matter.names())
AGENTS: tuple[AgentName, ...] = ("policy", "investment")


def routed(text: str, current: AgentName, *, answering: bool = False) -> AgentName:
    return route(text, current, matter_names=MATTER_NAMES, answering=answering)


# switching ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "莘庄工业区有没有500平的厂房出租",
        "想在闵行租一个1000平米的研发办公楼",
        "有没有适合人工智能企业的产业园区",
        "推荐一下闵行的产业园区",
        "我们公司想把总部搬到闵行",
        "我想登记投资意向",
    ],
)
@pytest.mark.parametrize("current", AGENTS)
def test_an_investment_topic_goes_to_the_investment_agent(text: str, current: AgentName) -> None:
    assert routed(text, current) == "investment"


def test_an_investment_question_with_policy_words_leaves_the_policy_agent() -> None:
    assert routed("我们想在闵行投资建厂，有什么载体推荐", "policy") == "investment"


@pytest.mark.parametrize(
    "text",
    [
        "人才安居补贴的标准是多少",
        "办理食品经营许可要准备哪些东西",
        "帮我查查办件进度",
        "我要办理食品经营许可",
        "帮我申请一下人才安居补贴",
    ],
)
@pytest.mark.parametrize("current", AGENTS)
def test_a_policy_topic_goes_to_the_policy_agent(text: str, current: AgentName) -> None:
    assert routed(text, current) == "policy"


@pytest.mark.parametrize("text", ["火星离地球有多远？", "人才安居补贴怎么申请", "稳岗补贴今年还有吗"])
def test_an_unrecognised_question_goes_to_policy(text: str) -> None:
    assert classify_intent(text, matter_names=MATTER_NAMES).unsure  # the premise: nothing recognised it
    assert routed(text, "investment") == "policy"


# staying --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "好的", "2", "张三", "确认", "继续", "不了", "生物医药",  # short replies
        "你好", "您好", "你好，请问可以咨询一下吗",  # greetings
        "今天天气怎么样", "给我讲个笑话", "帮我写一首诗",  # recognised out of scope
        "我要转人工客服",  # a human, whichever agent
        "上海某某生物科技有限公司", "联系人写李娜，电话13912345678", "1234567",  # values, not questions
    ],
)  # fmt: skip
@pytest.mark.parametrize("current", AGENTS)
def test_the_current_agent_keeps_replies_greetings_and_out_of_scope(text: str, current: AgentName) -> None:
    assert routed(text, current) == current


@pytest.mark.parametrize(
    ("text", "current"), [("帮我查查办件进度", "investment"), ("马桥有没有适合生物医药企业的厂房", "policy")]
)
def test_an_answer_to_the_agents_question_stays_unless_very_sure(text: str, current: AgentName) -> None:
    guess = classify_intent(text, matter_names=MATTER_NAMES)
    assert SWITCH_CONFIDENCE <= guess.confidence < 0.8  # the premise: sure enough to switch when not answering
    assert routed(text, current) != current
    assert routed(text, current, answering=True) == current


@pytest.mark.parametrize(
    ("text", "current", "wanted"),
    [("人才安居补贴的标准是多少", "investment", "policy"), ("莘庄工业区有没有500平的厂房出租", "policy", "investment")],
)
def test_a_very_sure_topic_change_switches_even_while_answering(
    text: str, current: AgentName, wanted: AgentName
) -> None:
    assert routed(text, current, answering=True) == wanted


# tools ----------------------------------------------------------------------------------------------------------
ALL_TOOL_NAMES = {tool.name for tool in ALL_TOOLS}


def test_every_tool_is_bound_by_some_agent_and_only_real_tools_are_bound() -> None:
    bound = set().union(*AGENT_TOOLS.values())
    assert bound == ALL_TOOL_NAMES
    assert set(AGENT_TOOLS) == set(AGENTS)


@pytest.mark.parametrize(
    ("tool", "agents"),
    [
        ("start_matter", {"policy"}),
        ("recommend_sites", {"investment"}),
        ("register_investment_lead", {"investment"}),
        ("search_knowledge", {"policy", "investment"}),
        ("handoff_to_human", {"policy", "investment"}),
    ],
)
def test_which_agents_bind_a_tool(tool: str, agents: set[str]) -> None:
    assert {agent for agent, tools in AGENT_TOOLS.items() if tool in tools} == agents
