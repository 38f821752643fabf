"""The agents' system prompts, shipped as package files (`agents/prompts/<name>.md`) so operators can read and review
them as text.

A prompt holds two placeholders, `{today}` and `{identity}`, filled per conversation by `render_prompt`. Only those two
are replaced (by plain substitution, not `str.format`), so any other brace in a prompt stays as written.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources

from minfu.errors import ConfigurationError
from tools.agent_tools.context import EnterpriseIdentity

PLACEHOLDERS = ("{today}", "{identity}")
NOT_LOGGED_IN = "未登录"
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def available_prompts() -> tuple[str, ...]:
    """The names of the bundled prompts, sorted."""
    files = resources.files(__name__).iterdir()
    return tuple(sorted(f.name.removesuffix(".md") for f in files if f.name.endswith(".md")))


@cache
def load_prompt(name: str) -> str:
    """The raw text of prompt `name` (placeholders unfilled); ConfigurationError for an unknown name."""
    if not _NAME.fullmatch(name) or name not in available_prompts():
        known = "、".join(available_prompts())
        raise ConfigurationError(f"没有名为“{name}”的系统提示词，可用的有：{known}")
    return resources.files(__name__).joinpath(f"{name}.md").read_text(encoding="utf-8")


def render_prompt(name: str, *, today: date | str, identity: str) -> str:
    """Prompt `name` with today's date (ISO when a date) and the user's identity line filled in."""
    day = today.isoformat() if isinstance(today, date) else today
    return load_prompt(name).replace("{today}", day).replace("{identity}", identity)


def describe_identity(enterprise: EnterpriseIdentity | None) -> str:
    """The `{identity}` line: the verified enterprise (name and USCC) or 未登录."""
    if enterprise is None:
        return NOT_LOGGED_IN
    return f"已登录企业：{enterprise.name}（统一社会信用代码 {enterprise.uscc}）"
