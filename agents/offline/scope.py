"""Requests the offline brain declines before choosing a tool: another region's rules (not in the knowledge base,
and a Minhang guide would mislead) and help to evade the law. The lists are package data (data/scope.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

OTHER_REGION = (
    "抱歉，我是闵行区的政务服务助手，只能解答闵行区和上海市的政策、办事问题（以及全国适用的法律法规）。"
    "{region}的具体规定请咨询当地 12345 热线或当地政务服务网站。如果您的企业在闵行，我可以介绍这边的做法。"
)
EVASION = (
    "抱歉，这个请求涉及规避监管或违法违规操作，我不能提供帮助。依法合规经营是最稳妥的选择："
    "如遇到实际困难，可以问我相关的扶持政策、缓缴或信用修复等合法途径，也可以转人工服务由专人解答。"
)


@dataclass(frozen=True)
class _Scope:
    regions: re.Pattern[str]
    home: re.Pattern[str]
    evasion: tuple[re.Pattern[str], ...]


def declined(text: str) -> str | None:
    """The reply declining `text`, or None when the message is within scope."""
    scope = _scope()
    if any(pattern.search(text) for pattern in scope.evasion):
        return EVASION
    region = scope.regions.search(text)
    if region and not scope.home.search(text):
        return OTHER_REGION.format(region=region.group())
    return None


@cache
def _scope() -> _Scope:
    raw = yaml.safe_load(files("agents.offline").joinpath("data/scope.yaml").read_text(encoding="utf-8"))
    regions = sorted(raw["other_regions"], key=len, reverse=True)
    return _Scope(
        regions=re.compile("|".join(map(re.escape, regions))),
        home=re.compile(raw["home_markers"]),
        evasion=tuple(re.compile(pattern) for pattern in raw["evasion_patterns"]),
    )
