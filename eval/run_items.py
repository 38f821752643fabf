"""Running one item of an evaluation (a single-turn question or a dialogue scenario) and scoring it.

Each returns one results.jsonl record (see eval/run.py for the file's shape). A question goes twice: straight to the
pipeline's retriever (what the retrieval metrics measure) and through the assistant as the API runs it (what the
answer, citation, refusal and safety metrics measure).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from agents.assistant import Reply
from eval.answer_dataset import AnswerItem
from eval.answer_metrics import TurnCalls, cited_claims, forbidden_found, supports
from eval.dialogue_run import fill_placeholders, fresh_stores, play_scenario
from eval.dialogues import Scenario
from eval.judge import Judge
from eval.metrics import (
    HIT_CUTOFFS,
    Targets,
    first_relevant_rank,
    hit_at,
    ndcg,
    novelty_gains,
    reachable_targets,
    reciprocal_rank,
)
from eval.run_context import PipelineRun
from minfu.domain import Hit
from minfu.errors import MinfuError

HANDOFF_TOOLS = frozenset({"handoff_to_human"})


def run_answer_item(run: PipelineRun, item: AnswerItem, dataset: str, judge: Judge | None = None) -> dict[str, Any]:
    record = _base(run, dataset, item.id, "single", item.category, item.question)
    record |= {"reference_answer": item.reference_answer, "expected_refusal": item.expected_refusal}
    started = time.perf_counter()
    try:
        hits = run.direct_hits(item.question)
        reply = run.assistant.ask(item.question, conversation_id=f"eval-{item.id}-{uuid.uuid4().hex[:8]}")
    except MinfuError as error:
        return record | {"error": error.message, "latency_ms": _since(started)}
    record["latency_ms"] = _since(started)
    targets = Targets.of(item.docid, item.reference_contexts)
    record["contexts"] = [_context(run, rank, hit, targets) for rank, hit in enumerate(hits, start=1)]
    record |= _reply_fields(run, reply)
    record["metrics"] = _single_metrics(run, item, hits, targets, reply, record)
    if judge is not None and not record["refused"]:
        verdict = judge.score(item.question, reply.text, _judged_contexts(record), item.reference_answer)
        record["metrics"] |= verdict.metrics
        if verdict.error:
            record["judge_error"] = verdict.error  # the judge's failure, not the product's: not in `failures`
    return record


def run_dialogue_item(run: PipelineRun, scenario: Scenario, dataset: str, workdir: Path) -> dict[str, Any]:
    question = " / ".join(turn.user for turn in scenario.turns)
    record = _base(run, dataset, scenario.id, "dialogue", scenario.category, question)
    store = workdir / f"{run.pipeline.name}-{scenario.id}-{uuid.uuid4().hex[:8]}.sqlite"
    started = time.perf_counter()
    try:
        scoped = fresh_stores(run.services, f"sqlite:///{store}")
        outcome = play_scenario(scenario, scoped, run.make_assistant, conversation_id=f"eval-{uuid.uuid4().hex}")
    except MinfuError as error:
        return record | {"error": error.message, "latency_ms": _since(started)}
    record["latency_ms"] = _since(started)
    names = outcome.names
    expected = [
        [(call.name, {k: _filled(v, names) for k, v in call.args.items()}) for call in turn.tools or ()]
        for turn in scenario.turns
    ]
    actual = [[(call["name"], dict(call["args"])) for call in turn.tools] for turn in outcome.turns]
    record |= {
        "answer": outcome.turns[-1].answer if outcome.turns else "",
        "tool_calls": [call for turn in outcome.turns for call in turn.tools],
        "expected_tool_calls": [{"name": name, "args": args} for turn in expected for name, args in turn],
        "turns": [
            {"user": t.user, "answer": t.answer, "agent": t.agent, "failures": t.failures} for t in outcome.turns
        ],
        "failures": outcome.failures + [f"编造：{item}" for item in outcome.invented],
    }
    checked = [
        TurnCalls(turn.user, want, got)
        for turn, want, got, spec in zip(outcome.turns, expected, actual, scenario.turns, strict=True)
        if spec.tools is not None
    ]
    metrics: dict[str, Any] = {"dialogue_passed": 1.0 if outcome.passed else 0.0}
    if checked:
        metrics |= run.scorer.tool_metrics(checked)
    record["metrics"] = metrics
    return record


# pieces ---------------------------------------------------------------------------------------------------------
def _base(
    run: PipelineRun, dataset: str, item_id: str, kind: str, category: str | None, question: str
) -> dict[str, Any]:
    return {
        "pipeline": run.pipeline.name,
        "dataset": dataset,
        "id": item_id,
        "kind": kind,
        "category": category or "未分类",
        "question": question,
        "answer": "",
        "reference_answer": None,
        "expected_refusal": None,
        "refused": False,
        "contexts": [],
        "citations": [],
        "tool_calls": [],
        "expected_tool_calls": [],
        "turns": [],
        "failures": [],
        "metrics": {},
        "latency_ms": 0.0,
        "error": None,
    }


def _context(run: PipelineRun, rank: int, hit: Hit, targets: Targets) -> dict[str, Any]:
    return {
        "rank": rank,
        "chunk_id": hit.chunk.id,
        "document_id": hit.document.id,
        "title": hit.document.title,
        "section": " > ".join(hit.chunk.section_path),
        "text": hit.chunk.text,
        "relevant": run.relevance(targets, hit),
        "current": not hit.flagged,
    }


def _reply_fields(run: PipelineRun, reply: Reply) -> dict[str, Any]:
    claims: dict[str, list[str]] = {}
    for marker, claim in cited_claims(reply.text):
        claims.setdefault(marker, []).append(claim)
    citations = [_citation(run, citation, claims) for citation in reply.citations]
    handed_over = any(call.name in HANDOFF_TOOLS for call in reply.tool_calls)
    refused = reply.metadata.get("answered") is False or reply.handoff_offered or handed_over
    return {
        "answer": reply.text,
        "refused": bool(refused),
        "citations": citations,
        "tool_calls": [{"name": call.name, "args": call.args, "ok": call.ok} for call in reply.tool_calls],
    }


def _citation(run: PipelineRun, citation: dict[str, Any], claims: dict[str, list[str]]) -> dict[str, Any]:
    ref = str(citation.get("chunk_id") or citation.get("ref") or "")
    hit = run.recorder.seen.get(ref)
    text = hit.chunk.text if hit else str(citation.get("excerpt") or "")
    said = claims.get(str(citation.get("number")), []) + claims.get(ref, [])
    return {
        "chunk_id": hit.chunk.id if hit else ref,
        "document_id": hit.document.id if hit else None,
        "title": citation.get("title") or (hit.document.title if hit else ""),
        "section": " > ".join(citation.get("section") or []),
        "text": text,
        # a citation no marker points at, or one the agent never retrieved, supports nothing
        "supported": bool(hit and said and all(supports(claim, text) for claim in said)),
        "current": citation.get("validity", "current") == "current",
    }


def _single_metrics(
    run: PipelineRun, item: AnswerItem, hits: list[Hit], targets: Targets, reply: Reply, record: dict[str, Any]
) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    if targets.count:
        reachable = reachable_targets(targets, run.pipeline.document_ids, run.pipeline.joined_texts)
        metrics |= _retrieval_metrics(hits, targets, run.k, reachable)
        gold = run.gold_contexts(item.reference_contexts, [hit.chunk.text for hit in hits])
        metrics |= run.scorer.context_metrics([hit.chunk.text for hit in hits], gold)
    answered = not record["refused"]
    if item.reference_answer and answered:
        metrics |= run.scorer.reference_metrics(reply.text, item.reference_answer)
    if item.key_points and answered:
        metrics["string_presence"] = run.scorer.presence(reply.text, item.key_points)
    citations = record["citations"]
    if citations:
        metrics["citation_precision"] = round(sum(c["supported"] for c in citations) / len(citations), 4)
    metrics["currency_violations"] = sum(not c["current"] for c in citations)
    if item.expected_refusal is not None:
        metrics["refusal_correct"] = 1.0 if record["refused"] == item.expected_refusal else 0.0
        if record["refused"] != item.expected_refusal:
            record["failures"].append("应拒答却作答" if item.expected_refusal else "应作答却拒答或转人工")
    if item.must_not_contain:
        leaked = forbidden_found(reply.text, item.must_not_contain)
        metrics["safety_passed"] = 0.0 if leaked else 1.0
        record["failures"] += [f"回答包含禁止内容「{text}」" for text in leaked]
    if metrics.get("hit@5") == 0.0:
        record["failures"].append("前 5 条检索结果中没有相关依据")
    return metrics


def _judged_contexts(record: dict[str, Any]) -> list[str]:
    """What the answer may rest on: the retrieved chunks, and any cited chunk the direct retrieval did not return."""
    return list(dict.fromkeys(c["text"] for c in [*record["contexts"], *record["citations"]] if c["text"]))


def _retrieval_metrics(hits: list[Hit], targets: Targets, k: int, reachable: int) -> dict[str, float]:
    found = [targets.found_by(hit.document.id, hit.chunk.text) for hit in hits]
    rank = first_relevant_rank(found)
    gains = novelty_gains(found)
    retrievable = max(reachable, sum(gains))  # a hit outside the admitted view still counts as retrievable
    metrics = {f"hit@{cut}": float(hit_at(rank, cut)) for cut in HIT_CUTOFFS}
    metrics["mrr@10"] = round(reciprocal_rank(rank, min(k, 10)), 4)
    metrics["ndcg@10"] = round(ndcg(gains, retrievable, min(k, 10)), 4)
    return metrics


def _filled(value: Any, names: dict[str, str]) -> Any:
    return fill_placeholders(value, names) if isinstance(value, str) else value


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
