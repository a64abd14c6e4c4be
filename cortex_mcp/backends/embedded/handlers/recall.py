"""Embedded handler of the `recall` extension: memories by their conversation windows, facts by
their text, best match first, each read only until the limit is filled (fulltext.py plans the
match work)."""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded import fulltext
from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.handlers.facts import fact_passes
from cortex_mcp.backends.embedded.handlers.memories import _post_filter
from cortex_mcp.backends.embedded.store import Tx, take_limit

# BM25 column weights of a memory's window: its own text, then its neighbours' (tuned on the
# LoCoMo dev file: a question's words are often in the turn before the answer).
WINDOW_WEIGHTS = (1.0, 0.4)


def _first(limit: int) -> int:
    """Matches ranked in the index alone before falling back to the join: room for `limit` results
    with as many again passed over (another space, a filter); more is rare and still correct."""
    return max(32, 2 * limit)


@handler("recall:search")
def search(tx: Tx, args: dict) -> Any:
    limit = take_limit(args["limit"])
    space = {"memorySpaceId": args["memorySpaceId"]}
    memories: list[dict] = []
    if args.get("includeMemories", True) and limit:
        keep = _post_filter(args, include_source_type=False)
        for memory, relevance in tx.ranked("memories", fulltext.window_table("memories"), args["query"], space,
                                           WINDOW_WEIGHTS, first=_first(limit)):
            if keep is None or keep(memory):
                memories.append({**memory, "_score": relevance})
                if len(memories) >= limit:
                    break
    facts: list[dict] = []
    if args.get("includeFacts", True) and limit:
        wanted = {k: args[k] for k in ("minConfidence", "validAt", "userId") if k in args}
        facts_index = fulltext.search_table("facts", "by_content")
        for fact, relevance in tx.ranked("facts", facts_index, args["query"], space, first=_first(limit)):
            if fact_passes(fact, wanted):
                facts.append({**fact, "_score": relevance})
                if len(facts) >= limit:
                    break
    return {"memories": memories, "facts": facts}
