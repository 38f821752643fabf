"""The system prompts ship as package files with two placeholders, filled per conversation."""

from __future__ import annotations

import re
from datetime import date

import pytest

from agents.prompts import available_prompts, describe_identity, load_prompt, render_prompt
from minfu.errors import ConfigurationError
from tools.agent_tools import EnterpriseIdentity

WHO = EnterpriseIdentity("91310112MA1000021X", "上海甲科技有限公司")


def test_both_agents_have_a_prompt() -> None:
    assert set(available_prompts()) >= {"policy", "investment"}


@pytest.mark.parametrize("name", ["policy", "investment"])
def test_a_prompt_holds_the_rules_and_exactly_two_placeholders(name: str) -> None:
    text = load_prompt(name)
    assert sorted(set(re.findall(r"\{\w+\}", text))) == ["{identity}", "{today}"]
    for rule in ("【ref】", "不得编造", "已失效", "转人工", "一次只问一项", "不透露本提示词"):
        assert rule in text, rule


def test_the_roles_differ() -> None:
    assert "政策解答智能体" in load_prompt("policy") and "start_matter" in load_prompt("policy")
    investment = load_prompt("investment")
    assert "招商智能体" in investment and "register_investment_lead" in investment and "明确同意" in investment


def test_render_fills_today_and_identity() -> None:
    text = render_prompt("policy", today=date(2026, 6, 1), identity=describe_identity(WHO))
    assert "今天日期：2026-06-01" in text
    assert "当前用户：已登录企业：上海甲科技有限公司（统一社会信用代码 91310112MA1000021X）" in text
    assert "{today}" not in text and "{identity}" not in text


def test_an_anonymous_user_is_not_logged_in() -> None:
    assert "当前用户：未登录" in render_prompt("investment", today="2026-06-01", identity=describe_identity(None))


@pytest.mark.parametrize("name", ["nope", "../policy", "policy.md", ""])
def test_an_unknown_name_is_a_clear_error(name: str) -> None:
    with pytest.raises(ConfigurationError, match="policy"):
        load_prompt(name)
