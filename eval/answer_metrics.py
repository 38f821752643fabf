"""Answer-quality metrics for one item: ragas' non-LLM metrics, and ours (citation support, refusal, safety).

ragas 0.4 gives the string metrics (NonLLMStringSimilarity, CHRF, BLEU with sacrebleu's `tokenize="zh"`,
StringPresence), SemanticSimilarity over our own embedder, the non-LLM context precision and recall, and
ToolCallAccuracy / ToolCallF1. ROUGE is left out: its tokenizer drops Chinese characters.

Citation support is lexical and strict on purpose: the claim a marker closes (the last line of text before it) is
supported when at least 60% of its character bigrams occur in the cited chunk. An extractive answer passes; a
paraphrase by a language model may fall short and is then shown in the report's worst items.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import warnings
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # ragas otherwise reports usage over the network

from ragas import SingleTurnSample
from ragas.embeddings.base import BaseRagasEmbedding
from ragas.messages import AIMessage, HumanMessage, ToolCall, ToolMessage
from ragas.metrics import NonLLMContextPrecisionWithReference, NonLLMContextRecall
from ragas.metrics.collections import (
    BleuScore,
    CHRFScore,
    NonLLMStringSimilarity,
    SemanticSimilarity,
    StringPresence,
    ToolCallAccuracy,
    ToolCallF1,
)

from minfu.ports import Embedder

# ragas warns on every mismatch between predicted and expected tool calls, which the score already reflects
warnings.filterwarnings("ignore", message=r"(Length mismatch|No tool calls found|Reference tool calls are empty)")
SUPPORT_SHARE = 0.6
T = TypeVar("T")
_MARKER = re.compile(r"\[(\d{1,3})\]|【(K[0-9a-f]{6})】")
_NOT_CONTENT = re.compile(r"[\s\W_]+", re.UNICODE)


class RagasEmbedder(BaseRagasEmbedding):
    """Our embedder behind ragas' embedding interface; both texts are embedded as passages."""

    def __init__(self, embedder: Embedder) -> None:
        super().__init__()
        self._embedder = embedder

    def embed_text(self, text: str, **kwargs: Any) -> list[float]:
        return [float(x) for x in self._embedder.embed_documents([text])[0]]

    async def aembed_text(self, text: str, **kwargs: Any) -> list[float]:
        return self.embed_text(text)


class ScoringLoop:
    """ragas scores are coroutines; its sync wrappers refuse to run where an event loop is already running (a
    notebook, Playwright's sync API earlier in a test session), so they run on a loop of their own. The loop lives
    as long as the run, so an async HTTP client (the judge model's) stays bound to one loop."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="ragas-scoring", daemon=True).start()

    def wait(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> float:
        result = self.wait(coroutine)
        return float(getattr(result, "value", result))


class AnswerScorer:
    """The ragas metric objects, built once per run."""

    def __init__(self, embedder: Embedder | None) -> None:
        self.loop = ScoringLoop()
        self._run = self.loop.run
        self._similarity = NonLLMStringSimilarity()
        self._chrf = CHRFScore()
        self._bleu = BleuScore(kwargs={"tokenize": "zh"})
        self._presence = StringPresence()
        self._semantic = SemanticSimilarity(embeddings=RagasEmbedder(embedder)) if embedder else None
        self._context_precision = NonLLMContextPrecisionWithReference()
        self._context_recall = NonLLMContextRecall()
        self._tool_accuracy = ToolCallAccuracy(strict_order=True)
        self._tool_f1 = ToolCallF1()

    def reference_metrics(self, answer: str, reference: str) -> dict[str, float]:
        """Similarity of the answer to a reference answer."""
        scores = {
            "string_similarity": self._run(self._similarity.ascore(reference=reference, response=answer)),
            "chrf": self._run(self._chrf.ascore(reference=reference, response=answer)),
            "bleu": self._run(self._bleu.ascore(reference=reference, response=answer)) if answer.strip() else 0.0,
        }
        if self._semantic is not None:
            scores["semantic_similarity"] = self._run(self._semantic.ascore(reference=reference, response=answer))
        return {name: round(float(value), 4) for name, value in scores.items()}

    def presence(self, answer: str, key_points: Sequence[str]) -> float:
        values = [self._run(self._presence.ascore(reference=point, response=answer)) for point in key_points]
        return round(sum(values) / len(values), 4)

    def context_metrics(self, retrieved: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
        """ragas' non-LLM context precision and recall; `gold` are the texts of the chunks that hold the item's
        reference strings in this pipeline's own index (see eval.run_single)."""
        if not gold:
            return {}
        if not retrieved:
            return {"context_precision": 0.0, "context_recall": 0.0}
        sample = SingleTurnSample(retrieved_contexts=list(retrieved), reference_contexts=list(gold))
        precision = self._run(self._context_precision.single_turn_ascore(sample))
        recall = self._run(self._context_recall.single_turn_ascore(sample))
        return {"context_precision": round(float(precision), 4), "context_recall": round(float(recall), 4)}

    def tool_metrics(self, turns: Sequence[TurnCalls]) -> dict[str, float]:
        """ToolCallAccuracy and ToolCallF1 over a dialogue; a predicted call is compared on the arguments its
        expectation names (the scenario format only pins those)."""
        messages: list[HumanMessage | AIMessage | ToolMessage] = []
        reference: list[ToolCall] = []
        for turn in turns:
            messages.append(HumanMessage(content=turn.user))
            predicted = [ToolCall(name=name, args=args) for name, args in _pinned(turn.actual, turn.expected)]
            messages.append(AIMessage(content="", tool_calls=predicted))
            reference += [ToolCall(name=name, args=dict(args)) for name, args in turn.expected]
        accuracy = self._run(self._tool_accuracy.ascore(user_input=messages, reference_tool_calls=reference))
        f1 = self._run(self._tool_f1.ascore(user_input=messages, reference_tool_calls=reference))
        return {"tool_call_accuracy": round(float(accuracy), 4), "tool_call_f1": round(float(f1), 4)}


@dataclass(frozen=True)
class TurnCalls:
    user: str
    expected: list[tuple[str, dict[str, Any]]]
    actual: list[tuple[str, dict[str, Any]]]


def _pinned(
    actual: Sequence[tuple[str, dict[str, Any]]], expected: Sequence[tuple[str, dict[str, Any]]]
) -> list[tuple[str, dict[str, Any]]]:
    keys: dict[str, set[str]] = {}
    for name, args in expected:
        keys.setdefault(name, set()).update(args)
    return [(name, {k: v for k, v in args.items() if k in keys.get(name, set())}) for name, args in actual]


# citations ------------------------------------------------------------------------------------------------------
def cited_claims(answer: str) -> list[tuple[str, str]]:
    """(marker, claim) pairs: each citation marker ([n] or 【Kxxxxxx】) with the last line of text before it."""
    pairs: list[tuple[str, str]] = []
    start = 0
    for match in _MARKER.finditer(answer):
        segment = answer[start : match.start()]
        lines = [line for line in segment.splitlines() if line.strip()]
        pairs.append((match.group(1) or match.group(2), lines[-1].strip() if lines else ""))
        start = match.end()
    return pairs


def supports(claim: str, chunk_text: str) -> bool:
    grams = _bigrams(claim)
    if not grams:
        return False
    return len(grams & _bigrams(chunk_text)) / len(grams) >= SUPPORT_SHARE


def _bigrams(text: str) -> set[str]:
    content = _NOT_CONTENT.sub("", text)
    return {content[i : i + 2] for i in range(len(content) - 1)}


def forbidden_found(answer: str, forbidden: Sequence[str]) -> list[str]:
    """The forbidden strings the answer contains (case-insensitive, whitespace ignored)."""
    squeezed = re.sub(r"\s+", "", answer).casefold()
    return [item for item in forbidden if re.sub(r"\s+", "", item).casefold() in squeezed]
