from __future__ import annotations

import pytest

from knowledge.fusion import (
    RRF,
    Adaptive,
    RankedList,
    adaptive_fusion,
    adaptive_weights,
    convex_fusion,
    ranking_confidence,
    single,
    weighted_rrf,
)
from minfu.domain import RetrieverScore
from minfu.ports import ScoredId


def ranked(name: str, *pairs: tuple[str, float], terms: tuple[str, ...] = ()) -> RankedList:
    return RankedList(name, tuple(ScoredId(cid, score, terms) for cid, score in pairs))


def ids(result) -> list[str]:
    return [item.chunk_id for item in result.items]


DENSE = ranked("dense", ("a", 0.9), ("b", 0.8), ("c", 0.7))
LEXICAL = ranked("lexical", ("c", 0.6), ("a", 0.5), ("d", 0.1), terms=("款项",))


@pytest.mark.parametrize(
    ("weights", "k", "expected"),
    [
        (None, 60.0, ["a", "c", "b", "d"]),  # a: 1/61+1/62, c: 1/63+1/61
        ({"lexical": 3.0}, 60.0, ["c", "a", "d", "b"]),
        ({"dense": 3.0}, 60.0, ["a", "c", "b", "d"]),
        ({"lexical": 0.0}, 60.0, ["a", "b", "c", "d"]),
    ],
)
def test_weighted_rrf_orders(weights, k, expected):
    assert ids(weighted_rrf([DENSE, LEXICAL], k=k, weights=weights)) == expected


def test_weighted_rrf_score_formula_and_ranks():
    result = weighted_rrf([DENSE, LEXICAL], k=10.0, weights={"dense": 2.0})
    a = result.items[0]
    assert a.chunk_id == "a"
    assert a.score == pytest.approx(2.0 / 11 + 1.0 / 12)
    assert a.ranks == {"dense": RetrieverScore(1, 0.9), "lexical": RetrieverScore(2, 0.5)}
    assert a.terms == ("款项",)
    assert result.weights == {"dense": 2.0, "lexical": 1.0}


def test_ties_break_by_best_rank_then_id():
    result = weighted_rrf([ranked("x", ("b", 1.0), ("a", 0.5)), ranked("y", ("a", 1.0), ("b", 0.5))])
    assert ids(result) == ["a", "b"]  # equal scores and equal best rank: by id
    result = convex_fusion([ranked("x", ("b", 1.0), ("z", 0.0)), ranked("y", ("q", 2.0), ("a", 1.0), ("b", 0.0))])
    assert ids(result)[:2] == ["b", "q"]  # both 1.0; b and q both have best rank 1: by id


def test_duplicate_in_one_list_counts_once():
    result = weighted_rrf([ranked("x", ("a", 1.0), ("a", 0.5))], k=0.0)
    assert [(i.chunk_id, i.score) for i in result.items] == [("a", 1.0)]


def test_empty_lists():
    assert weighted_rrf([]).items == ()
    assert weighted_rrf([ranked("dense"), ranked("lexical")]).items == ()
    assert adaptive_fusion([ranked("dense"), ranked("lexical")]).items == ()


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], 0.0),
        ([0.3], 1.0),
        ([0.5, 0.5, 0.5], 0.0),
        ([1.0, 0.0, 0.0, 0.0, 0.0], 1.0),  # one standout over an equal rest
        ([1.0, 1.0, 0.0, 0.0], 0.5),
        ([3.0, 2.0, 1.0], (3.0 - 1.5) / 2.0),
        ([0.9, 0.9, 0.9, 0.2, 0.1], 0.0),  # a flat head far above the tail: no standout
    ],
)
def test_ranking_confidence_table(scores, expected):
    assert ranking_confidence(scores, depth=3) == pytest.approx(expected)


def test_ranking_confidence_is_scale_free_and_uses_depth():
    scores = [0.9, 0.5, 0.45, 0.4, 0.3]
    assert ranking_confidence(scores) == pytest.approx(ranking_confidence([s * 100 + 7 for s in scores]))
    assert ranking_confidence([1.0, 0.0, -1.0], depth=2) == pytest.approx(0.5)
    assert ranking_confidence([1.0, 0.0, -1.0], depth=3) == pytest.approx(0.75)
    assert ranking_confidence([1.0, 0.9, 0.9, 0.0], depth=4) < ranking_confidence([1.0, 0.2, 0.1, 0.0], depth=4)


def tail(start: float, count: int, prefix: str) -> tuple[tuple[str, float], ...]:
    return tuple((f"{prefix}{i}", start - 0.02 * i) for i in range(count))


def test_adaptive_weights_lean_on_the_confident_retriever():
    flat = ranked("dense", ("a", 0.81), ("b", 0.80), ("c", 0.80), ("d", 0.79))
    peaked = ranked("lexical", ("c", 0.9), ("e", 0.1), ("f", 0.1), ("g", 0.1))
    weights = adaptive_weights([flat, peaked], strength=1.5)
    assert weights["lexical"] > 1.0 > weights["dense"]
    assert weights["lexical"] * weights["dense"] == pytest.approx(1.0)  # exp(+x)·exp(−x)
    assert adaptive_weights([flat, peaked], strength=0.0) == {"dense": 1.0, "lexical": 1.0}


def test_adaptive_weights_keep_base_and_ignore_empty_lists():
    peaked = ranked("lexical", ("c", 0.9), ("e", 0.1))
    assert adaptive_weights([ranked("dense"), peaked], base_weights={"dense": 2.0}) == {"dense": 2.0, "lexical": 1.0}


def test_adaptive_fusion_flips_the_winner_by_confidence():
    # dense is sure of "p" (a paraphrase); lexical has a flat head of near-equal candidates: "p" should win
    dense = ranked("dense", ("p", 0.95), ("x", 0.60), ("y", 0.59), ("z", 0.58), *tail(0.5, 10, "d"))
    lexical = ranked("lexical", ("x", 0.41), ("y", 0.40), ("z", 0.40), ("p", 0.39), *tail(0.2, 10, "l"))
    assert ids(weighted_rrf([dense, lexical], k=5.0))[0] == "x"
    assert ids(adaptive_fusion([dense, lexical], k=5.0, strength=3.0))[0] == "p"
    # the mirror case: lexical sure of an entity match that dense ranks fourth
    dense2 = ranked("dense", ("x", 0.81), ("y", 0.80), ("z", 0.80), ("e", 0.79), *tail(0.7, 10, "d"))
    lexical2 = ranked("lexical", ("e", 0.95), ("x", 0.30), ("y", 0.29), ("z", 0.28), *tail(0.2, 10, "l"))
    assert ids(weighted_rrf([dense2, lexical2], k=5.0))[0] == "x"
    assert ids(adaptive_fusion([dense2, lexical2], k=5.0, strength=2.0))[0] == "e"


def test_convex_fusion_formula():
    result = convex_fusion([DENSE, LEXICAL], weights={"dense": 1.0, "lexical": 0.5})
    scores = {i.chunk_id: i.score for i in result.items}
    assert scores["a"] == pytest.approx(1.0 + 0.5 * 0.8)  # (0.5-0.1)/(0.6-0.1)
    assert scores["c"] == pytest.approx(0.0 + 0.5 * 1.0)
    assert scores["d"] == pytest.approx(0.0)
    assert convex_fusion([ranked("x", ("a", 0.3), ("b", 0.3))]).items[0].score == 1.0


def test_single_keeps_scores_and_ranks():
    result = single(LEXICAL)
    assert [(i.chunk_id, i.score, i.ranks["lexical"].rank) for i in result.items] == [
        ("c", 0.6, 1),
        ("a", 0.5, 2),
        ("d", 0.1, 3),
    ]


def test_callable_settings_match_functions():
    assert RRF(k=10.0, weights={"dense": 2.0})([DENSE, LEXICAL]) == weighted_rrf(
        [DENSE, LEXICAL], k=10.0, weights={"dense": 2.0}
    )
    assert Adaptive(combine="convex", strength=1.0)([DENSE, LEXICAL]) == adaptive_fusion(
        [DENSE, LEXICAL], combine="convex", strength=1.0
    )
