"""Retrieval metrics, checked against values computed by hand."""

import math

import pytest

from eval.metrics import (
    ItemScore,
    Targets,
    first_relevant_rank,
    hit_at,
    join_for_reachability,
    ndcg,
    novelty_gains,
    percentile,
    reachable_targets,
    reciprocal_rank,
    squeeze,
    summarise,
)

NONE: frozenset[int] = frozenset()
T0 = frozenset({0})
T1 = frozenset({1})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("第八条 机关\u3000事业单位\xa0从\n中小企业\t采购", "第八条机关事业单位从中小企业采购"),
        ("  ", ""),
        ("abc", "abc"),
    ],
)
def test_squeeze_removes_every_kind_of_whitespace(text, expected):
    assert squeeze(text) == expected


@pytest.mark.parametrize(
    ("targets", "document_id", "text", "expected"),
    [
        (Targets.of("ncp:a", []), "ncp:a", "无关文字", T0),  # same document
        (Targets.of("ncp:a", []), "ncp:b", "无关文字", NONE),
        (Targets.of("ncp:a", ["北京北铃专用汽车有限公司"]), "ncp:b", "赴北京北铃 专用汽车有限公司进行检查", T0),
        (Targets.of(None, ["30日内 支付款项", "60日内支付"]), "law:x", "应当自交付之日起30日内支付款项。", T0),
        (Targets.of(None, ["30日内支付款项", "60日内支付"]), "law:x", "30日内支付款项；大型企业60日内\n支付", T0 | T1),
        (Targets.of(None, ["30日内支付款项"]), "law:x", "30日内支付", NONE),  # the chunk must hold all of it
    ],
)
def test_targets_found_by_document_or_contained_text(targets, document_id, text, expected):
    assert targets.found_by(document_id, text) == expected


def test_a_docid_item_has_one_target_and_a_reference_item_one_per_string():
    assert Targets.of("ncp:a", ["x", "y"]).count == 1
    assert Targets.of(None, ["x", "y", " "]).count == 2  # a blank reference is dropped


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        (Targets.of("d1", []), 1),
        (Targets.of("d9", []), 0),
        (Targets.of("d9", ["第二段"]), 1),  # another document holds the answer text
        (Targets.of(None, ["第一段", "第二 段", "不存在"]), 2),
        (Targets.of(None, ["段第二"]), 0),  # would only match across the boundary of two chunks
    ],
)
def test_reachable_targets_counts_targets_some_chunk_finds(targets, expected):
    joined = join_for_reachability(["内容 第一段", "第二段内容"])
    assert reachable_targets(targets, frozenset({"d1", "d2"}), joined) == expected


@pytest.mark.parametrize(
    ("found", "rank", "gains"),
    [
        ([], None, []),
        ([NONE, NONE], None, [0, 0]),
        ([T0, NONE], 1, [1, 0]),
        ([NONE, NONE, T0, T0], 3, [0, 0, 1, 0]),  # a second chunk for the same target gains nothing
        ([T0, T0 | T1, T1], 1, [1, 1, 0]),
        ([NONE, T0 | T1, T1], 2, [0, 2, 0]),  # one chunk finding two targets gains 2
    ],
)
def test_first_relevant_rank_and_novelty_gains(found, rank, gains):
    assert first_relevant_rank(found) == rank
    assert novelty_gains(found) == gains


@pytest.mark.parametrize(
    ("rank", "k", "hit", "rr"),
    [(None, 10, False, 0.0), (1, 1, True, 1.0), (3, 5, True, 1 / 3), (5, 3, False, 0.0), (10, 10, True, 0.1)],
)
def test_hit_at_and_reciprocal_rank(rank, k, hit, rr):
    assert hit_at(rank, k) is hit
    assert reciprocal_rank(rank, k) == pytest.approx(rr)


@pytest.mark.parametrize(
    ("gains", "retrievable", "k", "expected"),
    [
        ([1, 0, 0], 1, 10, 1.0),
        ([0, 1], 1, 10, 1 / math.log2(3)),
        ([1, 0, 1], 2, 10, (1 + 0.5) / (1 + 1 / math.log2(3))),
        ([0, 1, 1], 2, 2, (1 / math.log2(3)) / (1 + 1 / math.log2(3))),  # only the first k ranks count
        ([1, 1], 3, 10, (1 + 1 / math.log2(3)) / (1 + 1 / math.log2(3) + 0.5)),
        ([2], 2, 10, 1.0),  # one chunk holding both targets beats the one-per-chunk ideal: capped at 1
        ([0, 0, 2], 2, 10, 2 * 0.5 / (1 + 1 / math.log2(3))),
        ([0, 0], 0, 10, 0.0),  # nothing retrievable
        ([], 1, 10, 0.0),
    ],
)
def test_ndcg(gains, retrievable, k, expected):
    assert ndcg(gains, retrievable, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([float(v) for v in range(1, 11)], 50, 5.5),
        ([float(v) for v in range(1, 11)], 95, 9.55),
        ([7.0, 1.0, 4.0], 50, 4.0),
        ([3.0], 95, 3.0),
    ],
)
def test_percentile_interpolates_like_numpy(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_nan():
    assert math.isnan(percentile([], 50))


def test_summarise_averages_over_items_and_hides_cutoffs_beyond_k():
    scores = [
        ItemScore(1, (1,), 1, 10.0, document_rank=1, has_docid=True),
        ItemScore(2, (0, 1), 1, 20.0, document_rank=None, has_docid=True),  # found by answer text only
        ItemScore(None, (0, 0, 0), 0, 30.0),
    ]
    metrics = summarise(scores, k=3)
    assert metrics.hit_at == {1: pytest.approx(1 / 3), 3: pytest.approx(2 / 3), 5: None, 10: None}
    assert metrics.mrr == pytest.approx((1 + 0.5 + 0) / 3)
    assert metrics.ndcg == pytest.approx((1 + 1 / math.log2(3) + 0) / 3)
    assert metrics.latency_p50_ms == pytest.approx(20.0)
    assert metrics.latency_p95_ms == pytest.approx(29.0)
    assert metrics.unreachable == 1
    assert metrics.document_hit_at_5 is None  # k = 3 cannot tell


def test_summarise_document_hit_counts_docid_items_only():
    scores = [ItemScore(1, (1,), 1, 1.0, 1, True), ItemScore(2, (0, 1), 1, 1.0, None, True), ItemScore(1, (1,), 1, 1.0)]
    assert summarise(scores, k=10).document_hit_at_5 == pytest.approx(0.5)


def test_summarise_of_no_items():
    metrics = summarise([], k=10)
    assert metrics.questions == 0
    assert metrics.hit_at[5] is None
