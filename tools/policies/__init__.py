"""Policy catalogue and matching: structured policies with machine-checkable conditions, matched to a profile."""

from tools.policies.catalogue import BUNDLED_POLICIES, load_policies, load_profile, parse_policies, parse_profile
from tools.policies.evaluation import ConditionOutcome, MissingFact, evaluate_condition
from tools.policies.matching import Citation, MatchResult, PolicyMatch, match_policies, match_policy
from tools.policies.models import CONDITION_KINDS, FIELD_LABELS, EnterpriseProfile, Policy
from tools.policies.sizes import classify_size, industry_group

__all__ = [
    "BUNDLED_POLICIES",
    "CONDITION_KINDS",
    "FIELD_LABELS",
    "Citation",
    "ConditionOutcome",
    "EnterpriseProfile",
    "MatchResult",
    "MissingFact",
    "Policy",
    "PolicyMatch",
    "classify_size",
    "evaluate_condition",
    "industry_group",
    "load_policies",
    "load_profile",
    "match_policies",
    "match_policy",
    "parse_policies",
    "parse_profile",
]
