"""A conversation memory's vector: its own text and its text in the context of the turns before it.

A turn often means little alone: "Yes, every Friday since May" answers a question asked a turn
earlier, and a later query about that question finds it only through that context. So a memory
that is a turn of a conversation is stored with the sum (normalised) of two vectors: its own text's,
and the vector of its text preceded by the (up to) `CONTEXT_TURNS` turns said before it in the same
conversation; equal parts what it says and what it answers. A memory with nothing before it (a
standalone note, a conversation's first turn) gets its own text's vector. The turns before are
known when a memory is written, so the vector never changes when the conversation grows.

Measured on the LoCoMo dev file (tools/bench_locomo.py --embeddings local, dated ingest): R@10
75.9 -> 77.2, multi-hop 47.3 -> 48.2 (context from one turn before: 76.0; from two before and two
after: 77.0, but a vector that changes with every later turn).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cortex_mcp.api.embeddings import Embedder

CONTEXT_TURNS = 2


def with_context(turns: Sequence[str], before: Sequence[str] = ()) -> list[tuple[list[str], str]]:
    """`(turns before it, text)` for consecutive `turns` of one conversation said after `before`
    (the conversation's earlier turns, oldest first)."""
    history = list(before)
    items = []
    for text in turns:
        items.append((history[-CONTEXT_TURNS:], text))
        history.append(text)
    return items


def texts_to_embed(items: Sequence[tuple[Sequence[str], str]]) -> list[str]:
    """What the embedder is asked for, in one batch: every text alone, then each text with context."""
    return [text for _, text in items] + ["\n".join([*before, text]) for before, text in items if before]


def assemble(items: Sequence[tuple[Sequence[str], str]], vectors: Sequence[Sequence[float]]) -> list[list[float]]:
    """One vector per item from the embedder's answer to `texts_to_embed(items)`."""
    own, in_context = iter(vectors[: len(items)]), iter(vectors[len(items) :])
    out = []
    for before, _ in items:
        vector = [float(x) for x in next(own)]
        if before:
            summed = [a + float(b) for a, b in zip(vector, next(in_context), strict=True)]
            norm = math.sqrt(sum(x * x for x in summed))
            vector = [x / norm for x in summed] if norm > 0 else vector
        out.append(vector)
    return out


async def vectors_in_context(embedder: Embedder, items: Sequence[tuple[Sequence[str], str]]) -> list[list[float]]:
    """One vector per `(turns before, text)` item, in one call to the embedder."""
    if not items:
        return []
    return assemble(items, await embedder.embed(texts_to_embed(items)))
