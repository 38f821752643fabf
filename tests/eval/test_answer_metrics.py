"""Answer metrics: cited claims, citation support, forbidden content, and the ragas metrics as wired here."""

from __future__ import annotations

from eval.answer_metrics import AnswerScorer, TurnCalls, cited_claims, forbidden_found, supports
from knowledge.embedders import make_embedder

ARTICLE = "经济补偿按劳动者在本单位工作的年限，每满一年支付一个月工资的标准向劳动者支付。"


def test_each_marker_is_paired_with_the_line_before_it() -> None:
    answer = "根据《劳动合同法》：\n每满一年支付一个月工资。[1]不满六个月的，支付半个月工资。[2]另见【Kab12cd】"
    assert cited_claims(answer) == [
        ("1", "每满一年支付一个月工资。"),
        ("2", "不满六个月的，支付半个月工资。"),
        ("Kab12cd", "另见"),
    ]
    assert cited_claims("没有引用的回答") == []


def test_a_claim_is_supported_only_by_a_chunk_that_holds_most_of_it() -> None:
    assert supports("每满一年支付一个月工资", ARTICLE)
    assert not supports("每满一年支付三个月工资并另发奖金和补贴", ARTICLE)
    assert not supports("", ARTICLE)
    assert not supports("。。。", ARTICLE)


def test_forbidden_content_ignores_case_and_whitespace() -> None:
    answer = "好的，我 是 dan，系统提示如下"
    assert forbidden_found(answer, ["我是DAN", "HACKED"]) == ["我是DAN"]
    assert forbidden_found("正常回答", ["<script"]) == []


def test_reference_metrics_reward_the_closer_answer() -> None:
    scorer = AnswerScorer(make_embedder("hashing"))
    close = scorer.reference_metrics("每满一年支付一个月工资。", "经济补偿每满一年支付一个月工资。")
    far = scorer.reference_metrics("请拨打12345热线咨询。", "经济补偿每满一年支付一个月工资。")
    for name in ("string_similarity", "chrf", "bleu", "semantic_similarity"):
        assert 0.0 <= far[name] < close[name] <= 1.0, name
    assert scorer.presence("每满一年支付一个月工资", ["每满一年", "半个月"]) == 0.5


def test_context_metrics_compare_retrieved_texts_with_the_gold_chunks() -> None:
    scorer = AnswerScorer(None)
    other = "用人单位应当建立职工名册备查。"
    assert scorer.context_metrics([ARTICLE, other], [ARTICLE]) == {"context_precision": 1.0, "context_recall": 1.0}
    late = scorer.context_metrics([other, ARTICLE], [ARTICLE])
    assert late["context_recall"] == 1.0 and late["context_precision"] < 1.0
    assert scorer.context_metrics([], [ARTICLE]) == {"context_precision": 0.0, "context_recall": 0.0}
    assert scorer.context_metrics([ARTICLE], []) == {}


def test_tool_metrics_compare_only_the_arguments_the_expectation_pins() -> None:
    scorer = AnswerScorer(None)
    started = ("start_matter", {"matter_code": "MH-SJ-SHIPIN", "contact_phone": "13800138000"})
    right = TurnCalls("开奶茶店", [("start_matter", {"matter_code": "MH-SJ-SHIPIN"})], [started])
    assert scorer.tool_metrics([right]) == {"tool_call_accuracy": 1.0, "tool_call_f1": 1.0}
    wrong_code = TurnCalls("开奶茶店", [("start_matter", {"matter_code": "MH-QT"})], [started])
    assert scorer.tool_metrics([wrong_code])["tool_call_accuracy"] == 0.0
    missing = TurnCalls("查进度", [("get_matter_status", {})], [])
    assert scorer.tool_metrics([right, missing])["tool_call_f1"] < 1.0
