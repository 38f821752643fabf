"""Judge-model metrics for a single-turn answer: ragas' Faithfulness, AnswerRelevancy (ResponseRelevancy) and
FactualCorrectness, asked of an OpenAI-compatible endpoint (vLLM, Ollama, …) set by MINFU_JUDGE_BASE_URL.

ragas 0.4's collections metrics take an instructor LLM from `llm_factory` over an AsyncOpenAI client (JSON mode: the
requested schema goes into a system message and the reply must be one JSON instance of it). AnswerRelevancy has the
judge write questions back from the answer and compares them with the asked question through our own embedder.
The three metrics are asked concurrently on the run's scoring loop. A judge that times out, replies with something
other than the requested JSON or is down costs the item only the metric concerned: the others are kept, and a
Chinese note says which metric failed and why.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import openai
from instructor.core import IncompleteOutputException
from pydantic import ValidationError
from ragas.llms import llm_factory
from ragas.metrics.collections import AnswerRelevancy, FactualCorrectness, Faithfulness

from eval.answer_metrics import RagasEmbedder, ScoringLoop
from minfu.errors import ConfigurationError
from minfu.ports import Embedder
from minfu.settings import Settings

MAX_TOKENS = 2048  # ragas' default of 1024 cuts off the verdicts (each with a reason) on a long Chinese answer
HTTP_RETRIES = 1  # one more try after a dropped connection, a timeout or a 5xx
REASKS = 1  # instructor asks once more when the reply is not the requested JSON
LABELS = {"faithfulness": "忠实度", "answer_relevancy": "回答相关性", "factual_correctness": "事实正确性"}

# instructor logs every failed attempt as an error; the item's judge_error records the failure instead
logging.getLogger("instructor.v2.retry").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class JudgeVerdict:
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None  # Chinese: which metrics the judge failed to give, and why


def require_judge_endpoint(settings: Settings) -> None:
    if not (settings.judge_base_url or "").strip():
        raise ConfigurationError(
            "已要求使用评审模型（--judge），但未设置评审模型服务地址 MINFU_JUDGE_BASE_URL"
            "（兼容 OpenAI 接口，例如 http://127.0.0.1:8002/v1）"
        )


class Judge:
    """The judge model's metrics, built once per run; `score` blocks until the judge has answered."""

    def __init__(self, settings: Settings, embedder: Embedder | None, loop: ScoringLoop) -> None:
        require_judge_endpoint(settings)
        self.model = settings.judge_model
        self._timeout_s = settings.judge_timeout_s
        self._loop = loop
        client = openai.AsyncOpenAI(
            base_url=str(settings.judge_base_url).strip(),
            api_key=settings.judge_api_key.get_secret_value() if settings.judge_api_key else "none",
            timeout=settings.judge_timeout_s,
            max_retries=HTTP_RETRIES,
        )
        llm = llm_factory(self.model, client=client, max_tokens=MAX_TOKENS, max_retries=REASKS)
        self._faithfulness = Faithfulness(llm=llm)
        self._relevancy = AnswerRelevancy(llm=llm, embeddings=RagasEmbedder(embedder)) if embedder else None
        self._factual = FactualCorrectness(llm=llm)

    def score(self, question: str, answer: str, contexts: Sequence[str], reference: str | None) -> JudgeVerdict:
        """Faithfulness to `contexts` (when there are any), relevancy to the question, and factual correctness
        against `reference` (when given)."""
        if not question.strip() or not answer.strip():
            return JudgeVerdict()
        return self._loop.wait(self._score(self._asked(question, answer, contexts, reference)))

    def _asked(
        self, question: str, answer: str, contexts: Sequence[str], reference: str | None
    ) -> dict[str, Coroutine[Any, Any, Any]]:
        asked: dict[str, Coroutine[Any, Any, Any]] = {}
        texts = [text for text in contexts if text.strip()]
        if texts:
            asked["faithfulness"] = self._faithfulness.ascore(
                user_input=question, response=answer, retrieved_contexts=texts
            )
        if self._relevancy is not None:
            asked["answer_relevancy"] = self._relevancy.ascore(user_input=question, response=answer)
        if reference and reference.strip():
            asked["factual_correctness"] = self._factual.ascore(response=answer, reference=reference)
        return asked

    async def _score(self, asked: dict[str, Coroutine[Any, Any, Any]]) -> JudgeVerdict:
        outcomes = await asyncio.gather(*asked.values(), return_exceptions=True)
        metrics: dict[str, float] = {}
        problems: list[str] = []
        for name, outcome in zip(asked, outcomes, strict=True):
            if isinstance(outcome, Exception):
                problems.append(f"{LABELS[name]}（{self._reason(outcome)}）")
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                value = float(getattr(outcome, "value", outcome))
                if not math.isnan(value):  # NaN: the judge found no statement in the answer to check
                    metrics[name] = round(value, 4)
        error = f"评审模型未能给出{'、'.join(problems)}" if problems else None
        return JudgeVerdict(metrics, error)

    def _reason(self, error: Exception) -> str:
        """Why the judge failed, in Chinese; instructor wraps the client's error, so the whole chain is read."""
        for link in _causes(error):
            if isinstance(link, openai.APITimeoutError):
                return f"请求超时，超过 {self._timeout_s:g} 秒"
            if isinstance(link, openai.APIConnectionError):
                return "无法连接评审模型服务"
            if isinstance(link, openai.APIStatusError):
                return f"服务返回 HTTP {link.status_code}"
            if isinstance(link, IncompleteOutputException):
                return f"回复被截断，超过 {MAX_TOKENS} 个词元"
            if isinstance(link, ValidationError | json.JSONDecodeError):
                return "回复不是所要求格式的 JSON"
        return f"{type(error).__name__}：{str(error)[:200]}"


def _causes(error: BaseException) -> Iterator[BaseException]:
    link: BaseException | None = error
    seen: set[int] = set()
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__
