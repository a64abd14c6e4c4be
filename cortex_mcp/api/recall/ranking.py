"""Recall's ranking, as pure functions: match strength first, secondary signals for near-ties.

An item's relevance is how well it matches the query (normalised BM25 from the backend, ~[0, 1]).
Its rank is that relevance times a factor near 1 from importance (or a fact's confidence), recency
and the user-message boost. The factor spans at most `MAX_FACTOR / MIN_FACTOR` (about 1.17), so
those signals reorder matches within about 17% of each other and never bury a clearly better one;
recency only ever adds, so an old memory keeps its full relevance.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HALF_LIFE_MS = 2_592_000_000  # 30 days
IMPORTANCE_WEIGHT = 0.08  # importance 0..100 moves the factor by -0.04..+0.04
RECENCY_WEIGHT = 0.04  # a memory from now: +0.04, halving every HALF_LIFE_MS
USER_WEIGHT = 0.04  # what the user said outranks the agent's reply to it on a tie
MIN_FACTOR = 1 - IMPORTANCE_WEIGHT / 2
MAX_FACTOR = 1 + IMPORTANCE_WEIGHT / 2 + RECENCY_WEIGHT + USER_WEIGHT


def recency(created_at: Any, now: int) -> float:
    """1 for now, halving every HALF_LIFE_MS; 0 when the time is unknown (no bonus, no cost)."""
    if not isinstance(created_at, (int, float)) or isinstance(created_at, bool):
        return 0.0
    return float(2 ** (-max(0, now - created_at) / HALF_LIFE_MS))


def rank_factor(item: Mapping[str, Any], now: int) -> float:
    """The near-tie factor of a recall item (type memory or fact)."""
    weight = item["confidence"] if item["type"] == "fact" else item["importance"]
    factor = 1 + IMPORTANCE_WEIGHT * (max(0.0, min(100.0, float(weight))) / 100 - 0.5)
    factor += RECENCY_WEIGHT * recency(item.get("created_at"), now)
    if item["type"] == "memory" and item.get("message_role") == "user":
        factor += USER_WEIGHT
    return factor


def rank(items: list[dict], now: int) -> list[dict]:
    """Items best first; each gets `score` = relevance x factor, scaled so the best is 1."""
    for item in items:
        item["rank"] = max(0.0, float(item["relevance"])) * rank_factor(item, now)
    ordered = sorted(items, key=lambda item: item["rank"], reverse=True)
    best = ordered[0]["rank"] if ordered and ordered[0]["rank"] > 0 else 1.0
    for item in ordered:
        item["score"] = round(item.pop("rank") / best, 4)
    return ordered


def position_relevance(position: int, count: int) -> float:
    """Relevance of a result known only by its place in a best-first list (a backend without
    scores): evenly spaced from 1 down to 0.5, so neighbours in the list are near-ties."""
    return 1.0 - 0.5 * position / max(1, count)


def fuse(text: Mapping[str, float], vector: Mapping[str, float], vector_weight: float = 0.5) -> dict[str, float]:
    """Weighted sum of full-text and vector relevances by item id: full text divided by its best
    score, vectors min-max normalised (an item missing from one list scores 0 there). The seam for embeddings: recall
    passes memories:search's cosine scores as `vector`."""

    def normalised(scores: Mapping[str, float]) -> dict[str, float]:
        best = max((s for s in scores.values() if s > 0), default=0.0)
        return {key: max(0.0, s) / best for key, s in scores.items()} if best else dict.fromkeys(scores, 0.0)

    def spread(scores: Mapping[str, float]) -> dict[str, float]:
        # Cosines of one query sit close together (MiniLM: ~0.3-0.6): min-max spreads them over
        # 0..1. Tuned on the LoCoMo dev file (tools/bench_locomo.py --embeddings local): R@10
        # 69.8 with max-normalised cosines, 75.95 with min-max (full text alone: 74.1).
        if not scores:
            return {}
        low, high = min(scores.values()), max(scores.values())
        return {key: (s - low) / (high - low) if high > low else float(high > 0) for key, s in scores.items()}

    t, v = normalised(text), spread(vector)
    return {key: (1 - vector_weight) * t.get(key, 0.0) + vector_weight * v.get(key, 0.0) for key in {*t, *v}}
