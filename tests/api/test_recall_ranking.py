"""Recall's ranking and fusion as pure functions (api/recall/ranking.py)."""

from __future__ import annotations

import pytest

from cortex_mcp.api.recall import ranking

DAY = 86_400_000
NOW = 1_000 * DAY


def item(relevance: float, importance: float = 50, created_at: int | None = None, role: str | None = None,
         kind: str = "memory", confidence: float | None = None) -> dict:
    return {"type": kind, "relevance": relevance, "importance": importance, "created_at": created_at,
            "message_role": role, "confidence": confidence}


def test_ranking_keeps_match_strength():
    now = 10 * DAY
    strong_old_unimportant = item(1.0, 0, created_at=0)
    weak_new_important_user = item(1 / ranking.MAX_FACTOR * ranking.MIN_FACTOR * 0.99, 100, created_at=now, role="user")
    ordered = ranking.rank([weak_new_important_user, strong_old_unimportant], now)
    assert ordered[0] is strong_old_unimportant  # the factors' whole range cannot overturn it
    tie_a, tie_b = item(0.5, 40), item(0.5, 60)
    assert ranking.rank([tie_a, tie_b], now)[0] is tie_b


@pytest.mark.parametrize(
    "created_at, expected",
    [
        (NOW, 1.0),
        (NOW - ranking.HALF_LIFE_MS, 0.5),
        (NOW - 2 * ranking.HALF_LIFE_MS, 0.25),
        (NOW + DAY, 1.0),  # a clock ahead of ours: no bonus beyond "now"
        (None, 0.0),  # unknown: no bonus, no cost
        ("yesterday", 0.0),
        (True, 0.0),  # a boolean is not a time
        (float(NOW), 1.0),
    ],
)
def test_recency_halves_every_half_life(created_at, expected):
    assert ranking.recency(created_at, NOW) == pytest.approx(expected)


@pytest.mark.parametrize(
    "entry, expected",
    [
        (item(1, importance=0), 1 - 0.04),
        (item(1, importance=50), 1.0),
        (item(1, importance=100), 1 + 0.04),
        (item(1, importance=250), 1 + 0.04),  # clamped to 0..100
        (item(1, importance=-5), 1 - 0.04),
        (item(1, importance=50, created_at=NOW), 1 + ranking.RECENCY_WEIGHT),
        (item(1, importance=50, role="user"), 1 + ranking.USER_WEIGHT),
        (item(1, importance=50, role="agent"), 1.0),
        # A fact weighs by its confidence, not its importance, and gets no user-message boost.
        (item(1, importance=0, kind="fact", confidence=100, role="user"), 1 + 0.04),
        (item(1, importance=100, created_at=NOW, role="user"), ranking.MAX_FACTOR),
    ],
)
def test_rank_factor(entry, expected):
    assert ranking.rank_factor(entry, NOW) == pytest.approx(expected)


def test_every_factor_lies_between_the_documented_bounds():
    for importance in (0, 50, 100):
        for created_at in (None, 0, NOW):
            for role in (None, "user"):
                factor = ranking.rank_factor(item(1, importance, created_at, role), NOW)
                assert ranking.MIN_FACTOR <= factor <= ranking.MAX_FACTOR
    assert ranking.MAX_FACTOR / ranking.MIN_FACTOR < 1.18  # "about 17%"


@pytest.mark.parametrize(
    "relevances, scores",
    [
        ([0.2, 0.8, 0.4], [1.0, 0.5, 0.25]),  # best first, scaled so the best is 1
        ([0.0, 0.0], [0.0, 0.0]),  # nothing matched: no division by zero
        ([-1.0, 0.5], [1.0, 0.0]),  # a negative relevance counts as none
        ([], []),
    ],
)
def test_rank_orders_and_scales(relevances, scores):
    ordered = ranking.rank([item(r) for r in relevances], NOW)
    assert [i["score"] for i in ordered] == scores
    assert all("rank" not in i for i in ordered)


def test_rank_is_stable_for_exact_ties():
    first, second = item(0.5), item(0.5)
    ordered = ranking.rank([first, second], NOW)
    assert ordered[0] is first and ordered[1] is second


@pytest.mark.parametrize("count", [1, 2, 10, 500])
def test_position_relevance_spaces_results_as_near_ties(count):
    values = [ranking.position_relevance(p, count) for p in range(count)]
    assert values[0] == 1.0 and values == sorted(values, reverse=True) and len(set(values)) == count
    assert all(0.5 < v <= 1.0 for v in values)
    assert ranking.position_relevance(0, 0) == 1.0


@pytest.mark.parametrize(
    "text, vector, weight, expected",
    [
        ({"a": 4.0, "b": 2.0}, {"b": 0.9, "c": 0.45}, 0.5, {"a": 0.5, "b": 0.75, "c": 0.0}),
        ({"a": 4.0, "b": 2.0}, {}, 0.5, {"a": 0.5, "b": 0.25}),  # no vectors: half weight, same order
        ({"a": 4.0, "b": 2.0}, {}, 0.0, {"a": 1.0, "b": 0.5}),
        ({}, {"x": 0.3, "y": 0.6}, 1.0, {"x": 0.0, "y": 1.0}),  # cosines min-max spread over 0..1
        ({}, {"x": 0.4, "y": 0.4}, 1.0, {"x": 1.0, "y": 1.0}),  # all equal and positive: all best
        ({}, {"x": 0.0}, 0.5, {"x": 0.0}),  # all equal and zero: nothing
        ({"a": -1.0, "b": 0.0}, {}, 0.0, {"a": 0.0, "b": 0.0}),  # no positive text score: nothing to divide by
        ({}, {}, 0.5, {}),
    ],
)
def test_fuse_is_a_weighted_sum_of_normalised_scores(text, vector, weight, expected):
    assert ranking.fuse(text, vector, vector_weight=weight) == pytest.approx(expected)
