"""Match an enterprise profile against the policy catalogue: eligible, possibly eligible, not eligible."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tools.policies.evaluation import ConditionOutcome, MissingFact, evaluate_condition
from tools.policies.models import EnterpriseProfile, Policy

Verdict = Literal["eligible", "possibly_eligible", "not_eligible"]


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True)

    source_document: str
    doc_number: str | None
    article: str

    def text(self) -> str:
        number = f"（{self.doc_number}）" if self.doc_number else ""
        return f"{self.source_document}{number} {self.article}"


class PolicyMatch(BaseModel):
    """One policy's verdict with the reason for every condition, its citation and what is missing or failing."""

    model_config = ConfigDict(frozen=True)

    policy: Policy
    verdict: Verdict
    reason: str
    outcomes: tuple[ConditionOutcome, ...]
    citation: Citation
    missing_facts: tuple[MissingFact, ...] = ()
    failing: tuple[ConditionOutcome, ...] = ()

    @property
    def mian_shen_ji_xiang(self) -> bool:
        return self.policy.mian_shen_ji_xiang


class MatchResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    eligible: tuple[PolicyMatch, ...]
    possibly_eligible: tuple[PolicyMatch, ...]
    not_eligible: tuple[PolicyMatch, ...]


def citation_of(policy: Policy) -> Citation:
    return Citation(source_document=policy.source_document, doc_number=policy.doc_number, article=policy.article)


def validity_outcome(policy: Policy, today: date) -> ConditionOutcome | None:
    """A failed outcome when the policy is not in force on `today`, else None."""
    if today < policy.effective_from:
        reason = f"该政策未生效（{policy.effective_from.isoformat()}起施行）。"
        return ConditionOutcome(kind="validity", status="failed", reason=reason)
    if policy.expires_on is not None and today > policy.expires_on:
        reason = f"该政策已失效（有效期至{policy.expires_on.isoformat()}）。"
        return ConditionOutcome(kind="validity", status="failed", reason=reason)
    return None


def _unique_missing(outcomes: Iterable[ConditionOutcome]) -> tuple[MissingFact, ...]:
    seen: dict[str, MissingFact] = {}
    for outcome in outcomes:
        for fact in outcome.missing:
            seen.setdefault(fact.field, fact)
    return tuple(seen.values())


def _verdict(outcomes: tuple[ConditionOutcome, ...]) -> Verdict:
    statuses = {outcome.status for outcome in outcomes}
    if "failed" in statuses:
        return "not_eligible"
    return "possibly_eligible" if "unknown" in statuses else "eligible"


def _summary(verdict: Verdict, outcomes: tuple[ConditionOutcome, ...]) -> str:
    if not outcomes:
        return "该政策无特定申请条件，在有效期内的企业均可享受。"
    if verdict == "not_eligible":
        return "".join(outcome.reason for outcome in outcomes if outcome.status == "failed")
    return "".join(outcome.reason for outcome in outcomes)


def match_policy(profile: EnterpriseProfile, policy: Policy, *, today: date) -> PolicyMatch:
    """Judge one policy; a policy out of its validity period is never eligible."""
    invalid = validity_outcome(policy, today)
    if invalid is not None:
        outcomes: tuple[ConditionOutcome, ...] = (invalid,)
    else:
        outcomes = tuple(evaluate_condition(condition, profile, today=today) for condition in policy.conditions)
    verdict = _verdict(outcomes)
    return PolicyMatch(
        policy=policy,
        verdict=verdict,
        reason=_summary(verdict, outcomes),
        outcomes=outcomes,
        citation=citation_of(policy),
        missing_facts=_unique_missing(outcomes) if verdict == "possibly_eligible" else (),
        failing=tuple(outcome for outcome in outcomes if outcome.status == "failed"),
    )


def _rank(match: PolicyMatch) -> tuple[bool, int, int]:
    met = sum(outcome.status == "met" for outcome in match.outcomes)
    unknown = sum(outcome.status == "unknown" for outcome in match.outcomes)
    return (not match.mian_shen_ji_xiang, -met, unknown)


def match_policies(profile: EnterpriseProfile, policies: Iterable[Policy], *, today: date) -> MatchResult:
    """Sort every policy into eligible / possibly eligible / not eligible.

    Within each: 免申即享 policies first, then those with more conditions already met, then fewer still unknown (so a
    policy the enterprise nearly qualifies for is not buried under ones it has said nothing about).
    """
    matches = sorted((match_policy(profile, policy, today=today) for policy in policies), key=_rank)
    return MatchResult(
        eligible=tuple(match for match in matches if match.verdict == "eligible"),
        possibly_eligible=tuple(match for match in matches if match.verdict == "possibly_eligible"),
        not_eligible=tuple(match for match in matches if match.verdict == "not_eligible"),
    )
