"""The judge-model metrics against a real OpenAI-compatible endpoint on a loopback port (tests/agents/brains/stub.py).

The endpoint judges like a literal reader: the statements and claims it extracts are the sentences of the text, a
statement is supported when the context contains it verbatim, and the question it writes back from an answer is the
one the test names. It reads the requested schema from the request as instructor sends it (JSON mode: the schema in
the system message; also a response_format json_schema or a tool), so the expected scores follow from the texts.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eval.answer_metrics import ScoringLoop
from eval.judge import Judge
from eval.run import EvalRunOptions, run_evaluation
from knowledge.bundled import bundled_corpus_path
from knowledge.embedders import make_embedder
from minfu.cli import app
from minfu.errors import InvalidInputError
from minfu.settings import Settings, get_settings
from tests.agents.brains.stub import Reply, StubLLM, serving

JUDGE_MODEL = "judge-test"
CONTEXT = "大型企业应当自交付之日起60日内支付款项。合同另有约定的，付款期限最长不得超过60日。"
ANSWER = "大型企业应当自交付之日起60日内支付款项。合同另有约定的，付款期限最长不得超过60日。逾期可向区政府投诉。"
REFERENCE = "大型企业应当自交付之日起60日内支付款项。"
QUESTION = "大企业欠我们小公司的货款，最长能拖多久？"
WRITTEN_BACK = "大企业应在多少日内向中小企业付款？"
PAY_QUESTION = "大型企业从中小企业采购货物，应当在多少日内支付款项？"
PAY = {
    "id": "pay-60",
    "question": PAY_QUESTION,
    "reference_answer": "大型企业从中小企业采购货物、工程、服务，应当自交付之日起60日内支付款项。",
    "reference_contexts": ["应当自货物、工程、服务交付之日起60日内支付款项"],
    "category": "law",
}
WEATHER = {"id": "weather", "question": "今天天气怎么样？", "expected_refusal": True, "category": "refusal"}


# the literal judge ----------------------------------------------------------------------------------------------
def sentences(text: str) -> list[str]:
    """The statements of a text as the literal judge reads them: its sentences, citation markers dropped."""
    unmarked = re.sub(r"\[\d+\]|【K[0-9a-f]{6}】", "", text)
    return [part.strip() for part in re.split(r"[。！？；\n]", unmarked) if part.strip()]


def literal_judge(written_back: str, broken: frozenset[str] = frozenset()) -> Callable[[dict[str, Any]], Reply]:
    """One reply of the literal judge to a chat-completions body; schemas named in `broken` get prose instead."""

    def reply(body: dict[str, Any]) -> Reply:
        title, as_tool = _requested(body)
        if title in broken:
            return Reply.text("这个回答总体不错。")
        given = _prompt_input(body)
        if title == "StatementGeneratorOutput":
            instance: dict[str, Any] = {"statements": sentences(given["answer"])}
        elif title == "ClaimDecompositionOutput":
            instance = {"claims": sentences(given["response"])}
        elif title == "NLIStatementOutput":
            verdicts = [(s, int(s in given["context"])) for s in given["statements"]]
            instance = {"statements": [{"statement": s, "reason": "原文逐字比对", "verdict": v} for s, v in verdicts]}
        elif title == "AnswerRelevanceOutput":
            instance = {"question": written_back, "noncommittal": 0}
        else:
            raise AssertionError(f"the judge was asked for an unknown schema: {title}")
        return Reply.call(title, instance) if as_tool else Reply.text(json.dumps(instance, ensure_ascii=False))

    return reply


def _requested(body: dict[str, Any]) -> tuple[str, bool]:
    """The title of the schema the reply must follow, and whether it is asked for as a tool call."""
    if body.get("tools"):
        return body["tools"][0]["function"]["name"], True
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return response_format["json_schema"]["schema"]["title"], False
    assert response_format == {"type": "json_object"}, body
    system = body["messages"][0]["content"]
    schema, _ = json.JSONDecoder().raw_decode(system[system.index("{") :])
    return schema["title"], False


def _prompt_input(body: dict[str, Any]) -> dict[str, Any]:
    """ragas' prompts end with `input: {json}` and `Output: `."""
    prompt = body["messages"][-1]["content"]
    given, _ = json.JSONDecoder().raw_decode(prompt.rsplit("input: ", 1)[1])
    return dict(given)


def enqueue_judge(stub: StubLLM, count: int, written_back: str = WRITTEN_BACK, **kwargs: Any) -> None:
    stub.enqueue(*[literal_judge(written_back, **kwargs)] * count)


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


# fixtures -------------------------------------------------------------------------------------------------------
@pytest.fixture
def stub() -> Iterator[StubLLM]:
    with serving() as served:
        yield served


@pytest.fixture(scope="module")
def loop() -> ScoringLoop:
    return ScoringLoop()


def judge_settings(base_url: str, **overrides: Any) -> Settings:
    values = {"judge_base_url": base_url, "judge_model": JUDGE_MODEL, "judge_api_key": "judge-key"} | overrides
    return Settings(embedder="hashing", **values)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# one item -------------------------------------------------------------------------------------------------------
def test_the_three_metrics_follow_from_the_judges_verdicts(stub: StubLLM, loop: ScoringLoop) -> None:
    embedder = make_embedder("hashing")
    enqueue_judge(stub, 9)  # faithfulness 2 requests, relevancy 3 (ragas' strictness), factual correctness 4
    verdict = Judge(judge_settings(stub.base_url), embedder, loop).score(QUESTION, ANSWER, [CONTEXT], REFERENCE)
    # 2 of the answer's 3 sentences stand in the context; as claims against the reference: 1 of 3 supported and
    # the reference's one claim covered, so precision 1/3, recall 1, F1 0.5
    expected_relevancy = cosine(*embedder.embed_documents([QUESTION, WRITTEN_BACK]))
    assert verdict.error is None
    assert verdict.metrics == {
        "faithfulness": 0.6667,
        "answer_relevancy": round(expected_relevancy, 4),
        "factual_correctness": 0.5,
    }
    assert not stub.replies and stub.overdrawn == 0
    assert {body["model"] for body in stub.requests} == {JUDGE_MODEL}
    assert {headers["authorization"] for headers in stub.headers} == {"Bearer judge-key"}


def test_only_the_metrics_an_item_allows_are_asked(stub: StubLLM, loop: ScoringLoop) -> None:
    enqueue_judge(stub, 3, written_back=QUESTION)
    verdict = Judge(judge_settings(stub.base_url), make_embedder("hashing"), loop).score(QUESTION, ANSWER, [], None)
    assert verdict.metrics == {"answer_relevancy": 1.0}  # no context: no faithfulness; no reference: no factual
    assert not stub.replies and stub.overdrawn == 0


def test_a_judge_failing_one_metric_keeps_the_others(stub: StubLLM, loop: ScoringLoop) -> None:
    enqueue_judge(stub, 12, broken=frozenset({"AnswerRelevanceOutput"}))
    verdict = Judge(judge_settings(stub.base_url), make_embedder("hashing"), loop).score(
        QUESTION, ANSWER, [CONTEXT], REFERENCE
    )
    assert verdict.metrics == {"faithfulness": 0.6667, "factual_correctness": 0.5}
    assert verdict.error == "评审模型未能给出回答相关性（回复不是所要求格式的 JSON）"


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("error", "服务返回 HTTP 500"), ("prose", "回复不是所要求格式的 JSON"), ("slow", "请求超时，超过 0.3 秒")],
)
def test_a_failing_judge_leaves_the_metrics_out_with_the_reason(
    stub: StubLLM, loop: ScoringLoop, fault: str, reason: str
) -> None:
    reply = {"error": Reply.error(500), "prose": Reply.text("我觉得不错"), "slow": Reply.slow(0.8)}[fault]
    stub.enqueue(*[reply] * 12)
    settings = judge_settings(stub.base_url, judge_timeout_s=0.3)
    verdict = Judge(settings, make_embedder("hashing"), loop).score(QUESTION, ANSWER, [CONTEXT], REFERENCE)
    assert verdict.metrics == {}
    assert verdict.error == f"评审模型未能给出忠实度（{reason}）、回答相关性（{reason}）、事实正确性（{reason}）"


def test_an_unreachable_judge_is_named_as_such(loop: ScoringLoop) -> None:
    settings = judge_settings(f"http://127.0.0.1:{free_port()}/v1")
    verdict = Judge(settings, None, loop).score(QUESTION, ANSWER, [CONTEXT], None)
    assert verdict.metrics == {} and verdict.error == "评审模型未能给出忠实度（无法连接评审模型服务）"


# the run --------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    name = "保障中小企业款项支付条例(2025-03-17).md"
    shutil.copy(bundled_corpus_path() / "laws" / "national" / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dataset") / "judged.jsonl"
    path.write_text("\n".join(json.dumps(item, ensure_ascii=False) for item in (PAY, WEATHER)) + "\n", "utf-8")
    return path


def run_judged(stub: StubLLM, corpus: Path, dataset: Path, out: Path, *, judge: bool = True) -> list[dict[str, Any]]:
    settings = judge_settings(stub.base_url, data_dir=out.parent / "data")
    options = EvalRunOptions([dataset], out, pipelines=["lexical"], corpus=corpus, embedder="hashing", judge=judge)
    run_evaluation(options, settings)
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_a_judged_run_scores_answered_items_and_names_the_judge(
    stub: StubLLM, corpus: Path, dataset: Path, tmp_path: Path
) -> None:
    enqueue_judge(stub, 9, written_back=PAY_QUESTION)
    pay, weather = run_judged(stub, corpus, dataset, tmp_path / "run")
    contexts = "\n".join(c["text"] for c in pay["contexts"] + pay["citations"])
    said = sentences(pay["answer"])
    supported = sum(statement in contexts for statement in said) / len(said)
    assert pay["refused"] is False and "judge_error" not in pay
    assert 0 < supported < 1 and pay["metrics"]["faithfulness"] == round(supported, 4)
    assert pay["metrics"]["answer_relevancy"] == 1.0 and "factual_correctness" in pay["metrics"]
    assert weather["refused"] is True and not {"faithfulness", "answer_relevancy"} & set(weather["metrics"])
    assert not stub.replies and stub.overdrawn == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["run"]["judge"] == JUDGE_MODEL and summary["pipelines"]["lexical"]["judge_errors"] == 0
    assert summary["pipelines"]["lexical"]["overall"]["answer_relevancy"] == 1.0
    with pytest.raises(InvalidInputError, match="--fresh"):  # the judge is part of what a resume must match
        run_judged(stub, corpus, dataset, tmp_path / "run", judge=False)


def test_a_run_whose_judge_fails_keeps_the_item_and_counts_the_failure(
    stub: StubLLM, corpus: Path, dataset: Path, tmp_path: Path
) -> None:
    stub.enqueue(*[Reply.error(503)] * 12)
    pay, weather = run_judged(stub, corpus, dataset, tmp_path / "run")
    assert pay["judge_error"].startswith("评审模型未能给出忠实度（服务返回 HTTP 503）")
    assert pay["failures"] == [] and pay["error"] is None
    assert pay["metrics"]["hit@10"] == 1.0 and "chrf" in pay["metrics"] and "faithfulness" not in pay["metrics"]
    assert "judge_error" not in weather
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["pipelines"]["lexical"]["judge_errors"] == 1 and summary["run"]["finished_at"]
    assert (tmp_path / "run" / "report.html").is_file()


def test_the_command_asks_for_the_judges_address(dataset: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINFU_JUDGE_BASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["eval", "run", "--dataset", str(dataset), "--judge"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "MINFU_JUDGE_BASE_URL" in result.output
    assert "Traceback" not in result.output
