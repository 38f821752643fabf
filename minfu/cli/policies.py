"""`minfu policies match`: which sample policies an enterprise profile qualifies for, and why."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from rich.console import Console

from tools.policies import MatchResult, PolicyMatch, load_policies, load_profile, match_policies

SECTIONS = (("eligible", "符合条件"), ("possibly_eligible", "可能符合（还缺以下信息）"), ("not_eligible", "不符合"))


def run_policy_match(profile_path: Path, *, today: date, as_json: bool) -> None:
    result = match_policies(load_profile(profile_path), load_policies(), today=today)
    if as_json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    _print_result(result)


def _print_result(result: MatchResult) -> None:
    console = Console()
    for attribute, heading in SECTIONS:
        matches: tuple[PolicyMatch, ...] = getattr(result, attribute)
        console.print(f"\n[bold]{heading}：{len(matches)} 项[/bold]")
        for match in matches:
            console.print(_line(match))


def _line(match: PolicyMatch) -> str:
    flag = "［免申即享］" if match.mian_shen_ji_xiang else ""
    missing = "；缺：" + "、".join(f.label for f in match.missing_facts) if match.missing_facts else ""
    head = f"· {flag}{match.policy.title} — {match.policy.benefit}"
    return f"{head}\n  {match.reason}{missing}\n  依据：{match.citation.text()}"
