"""A deterministic intent guess: exemplars scored with rapidfuzz, cue patterns and a few rules.

The exemplars, cues, threshold and injection patterns are package data (data/intents.yaml). Scores are on a 0-100
scale: the best exemplar similarity, plus a bonus for each intent whose cue is present, plus the rules below.
Injection-looking phrases are cut out before scoring and never raise a privileged intent's confidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal, get_args

import yaml
from rapidfuzz import fuzz

Intent = Literal[
    "policy_question", "service_guide", "start_matter", "track_matter", "supplement_materials", "match_policies",
    "book_appointment", "submit_request", "rate_request", "investment", "register_lead", "handoff_human",
    "greeting", "out_of_scope",
]  # fmt: skip
INTENTS: tuple[Intent, ...] = get_args(Intent)

RULE_BONUS = 40  # a rule's decision outweighs a cue (30) and any exemplar difference
INJECTION_CAP = 0.5  # the highest confidence a privileged intent keeps when the message contains an injection
_RECORD = re.compile(r"(MH|SQ|YY|ZS)\d{8}-\d{6}", re.IGNORECASE)
_QUESTION = re.compile(
    r"[?？]|吗|怎么|怎样|如何|多少|多久|多长|哪些|哪里|什么|是否|能否|可否|可以|能不能|有没有|要不要"
)
_PUNCTUATION = re.compile(r"[^\w-]+|_+")
_GREETING_PREFIX = re.compile(r"^(你好|您好|嗨|hi|hello|哈喽|早上好|上午好|下午好|晚上好)+(啊|呀|呢)?")
_GREETING_ONLY = re.compile(r"^(请问)?(现在)?(可以|能)?(咨询|问|请教)?(一下|个问题)?(吗|么)?$")


@dataclass(frozen=True)
class IntentGuess:
    intent: Intent
    confidence: float  # 0..1
    evidence: str  # why, for logs and tests: the best exemplar, the cues and rules that fired
    unsure: bool = False  # out_of_scope only because nothing scored high enough (not recognised chit-chat)


@dataclass(frozen=True)
class _Config:
    exemplars: dict[Intent, tuple[str, ...]]
    cues: dict[Intent, tuple[re.Pattern[str], ...]]
    cue_bonus: float
    threshold: float
    injections: tuple[re.Pattern[str], ...]
    privileged: frozenset[str]


def without_injections(text: str) -> str:
    """The message with role-changing and prompt-reading phrases cut out (what a search should look for)."""
    rest, _found = _strip_injections(text, _config().injections)
    return re.sub(r"^[\s，,。.！!；;]+", "", rest).strip() or text


def looks_like_question(text: str) -> bool:
    return bool(_QUESTION.search(text))


def classify_intent(text: str, *, matter_names: Sequence[str] = ()) -> IntentGuess:
    """The most likely intent of one user message; `matter_names` are the service dictionary's matter names."""
    config = _config()
    rest, injected = _strip_injections(_fold(text), config.injections)
    guess = _classify(rest, matter_names, config)
    if not injected:
        return guess
    confidence = min(guess.confidence, INJECTION_CAP) if guess.intent in config.privileged else guess.confidence
    evidence = f"疑似提示注入已忽略（{'、'.join(injected)}）; {guess.evidence}"
    return IntentGuess(guess.intent, confidence, evidence, guess.unsure)


def _classify(text: str, matter_names: Sequence[str], config: _Config) -> IntentGuess:
    plain = _PUNCTUATION.sub("", text)
    if not plain:
        return IntentGuess("out_of_scope", 1.0, "empty message")
    body = _GREETING_PREFIX.sub("", plain)
    if body != plain and _GREETING_ONLY.match(body):
        return IntentGuess("greeting", 0.95, "rule: greeting only")
    scores, evidence = _exemplar_scores(body, config)
    for intent, patterns in config.cues.items():
        if cue := next((match.group() for p in patterns if (match := p.search(body))), None):
            scores[intent] += config.cue_bonus
            evidence[intent].append(f"cue {cue}")
    for intent, reason in _rules(body, matter_names, config):
        scores[intent] += RULE_BONUS
        evidence[intent].append(f"rule: {reason}")
    return _decide(scores, evidence, config.threshold)


def _decide(scores: dict[Intent, float], evidence: dict[Intent, list[str]], threshold: float) -> IntentGuess:
    best = max(scores, key=lambda intent: scores[intent])
    if scores[best] < threshold:
        detail = f"best {best} {scores[best]:.0f} < threshold {threshold:.0f}"
        return IntentGuess("out_of_scope", round(1 - scores[best] / 100, 2), detail, unsure=True)
    runner_up = max((score for intent, score in scores.items() if intent != best), default=0.0)
    margin = min(1.0, (scores[best] - runner_up) / 50)
    confidence = round(min(1.0, scores[best] / 100) * (0.6 + 0.4 * margin), 2)
    return IntentGuess(best, confidence, "; ".join(evidence[best]))


def _exemplar_scores(text: str, config: _Config) -> tuple[dict[Intent, float], dict[Intent, list[str]]]:
    scores: dict[Intent, float] = {intent: 0.0 for intent in INTENTS}
    evidence: dict[Intent, list[str]] = {intent: [] for intent in INTENTS}
    normalised = _normalise(text)
    for intent, exemplars in config.exemplars.items():
        if not exemplars:
            continue
        score, exemplar = max((_similarity(normalised, _normalise(ex)), ex) for ex in exemplars)
        scores[intent] = score
        evidence[intent].append(f"exemplar {exemplar} {score:.0f}")
    return scores, evidence


def _similarity(text: str, exemplar: str) -> float:
    """Character-bigram overlap (token_set) blended with the best aligned substring (partial ratio)."""
    bigrams = fuzz.token_set_ratio(_bigrams(text), _bigrams(exemplar))
    partial = fuzz.partial_ratio(text, exemplar) if min(len(text), len(exemplar)) >= 3 else fuzz.ratio(text, exemplar)
    coverage = min(1.0, 2 * len(exemplar) / max(1, len(text)))  # a short exemplar inside a long text proves little
    return 0.5 * bigrams + 0.5 * partial * coverage


def _bigrams(text: str) -> str:
    return " ".join(text[i : i + 2] for i in range(max(1, len(text) - 1)))


def _rules(text: str, matter_names: Sequence[str], config: _Config) -> list[tuple[Intent, str]]:
    fired: list[tuple[Intent, str]] = []
    cue = _cue_checker(text, config)
    if _RECORD.search(text):
        intent: Intent = "supplement_materials" if cue("supplement_materials") else "track_matter"
        fired.append(("rate_request" if cue("rate_request") else intent, "record number"))
    if cue("handoff_human"):
        fired.append(("handoff_human", "asks for a human"))
    if name := _matter_name(text, matter_names):
        if cue("book_appointment"):
            fired.append(("book_appointment", f"matter {name} + booking words"))
        elif cue("service_guide"):
            fired.append(("service_guide", f"matter {name} + how-to words"))
        elif cue("start_matter"):
            fired.append(("start_matter", f"matter {name} + start words"))
    if cue("rate_request") and re.search(r"诉求", text):
        fired.append(("rate_request", "rates a request"))
    if cue("investment") and re.search(r"\d|[一二两三四五六七八九十百千万]", text) and re.search(r"平|㎡|亩|人", text):
        fired.append(("investment", "premises + area"))
    return fired


def _cue_checker(text: str, config: _Config) -> Any:
    def has_cue(intent: Intent) -> bool:
        return any(pattern.search(text) for pattern in config.cues.get(intent, ()))

    return has_cue


def _matter_name(text: str, matter_names: Sequence[str]) -> str | None:
    """The longest dictionary name in the text, or one nearly contained (partial ratio ≥ 90, names of 4+ chars)."""
    folded = {_fold(name): name for name in matter_names if name.strip()}
    contained = [name for key, name in folded.items() if key in text]
    if contained:
        return max(contained, key=len)
    near = [(fuzz.partial_ratio(key, text), name) for key, name in folded.items() if len(key) >= 4]
    best = max(near, default=(0.0, ""))
    return best[1] if best[0] >= 90 else None


def _strip_injections(text: str, patterns: Sequence[re.Pattern[str]]) -> tuple[str, list[str]]:
    found: list[str] = []
    for pattern in patterns:
        found += [match.group() for match in pattern.finditer(text)]
        text = pattern.sub(" ", text)
    return text, found


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _normalise(text: str) -> str:
    """Record numbers become 编号 and digits #, so exemplars match whatever number a message carries."""
    text = _RECORD.sub("编号", _PUNCTUATION.sub("", _fold(text)))
    return re.sub(r"\d+", "#", text)


@cache
def _config() -> _Config:
    raw: dict[str, Any] = yaml.safe_load(
        files("agents.offline").joinpath("data/intents.yaml").read_text(encoding="utf-8")
    )
    intents = {_intent(name): spec for name, spec in raw["intents"].items()}
    return _Config(
        exemplars={name: tuple(spec.get("exemplars") or ()) for name, spec in intents.items()},
        cues={
            name: tuple(re.compile(cue, re.IGNORECASE) for cue in spec.get("cues") or ())
            for name, spec in intents.items()
        },
        cue_bonus=float(raw["cue_bonus"]),
        threshold=float(raw["threshold"]),
        injections=tuple(re.compile(pattern, re.IGNORECASE) for pattern in raw["injection_patterns"]),
        privileged=frozenset(raw["privileged"]),
    )


def _intent(name: str) -> Intent:
    if name not in INTENTS:
        raise ValueError(f"intents.yaml names an unknown intent: {name}")
    return name
