"""recall (spec/orchestration.md §3): find what is remembered about a query, best first.

The backend finds and scores (`recall:search`, a cortex-mcp extension: memories by their
conversation windows, current facts, one relevance scale); `ranking` orders. A backend without
the extension (an upstream Cortex deployment) is served by `memories:search` and `facts:search`,
whose best-first order becomes the relevance. With a query embedding, full-text and vector
relevances are fused (`ranking.fuse`). Only `backends.base.call` is used.
"""

from __future__ import annotations

import logging
import time

import anyio

from cortex_mcp.api import checks
from cortex_mcp.api.recall.query import STOP_WORDS, keyword_query
from cortex_mcp.api.recall.ranking import fuse, position_relevance, rank
from cortex_mcp.backends.base import Backend, call, compact
from cortex_mcp.clock import now_ms
from cortex_mcp.errors import BackendUnavailableError, CortexError, FunctionNotFoundError

log = logging.getLogger(__name__)

__all__ = ["STOP_WORDS", "attach_sources", "keyword_query", "recall"]


async def recall(
    backend: Backend,
    *,
    memory_space_id: str,
    query: str,
    user_id: str | None = None,
    embedding: list[float] | None = None,
    tags: list[str] | None = None,
    min_importance: float | None = None,
    min_confidence: float | None = None,
    limit: int = 20,
    include_memories: bool = True,
    include_facts: bool = True,
    include_conversation: bool = False,
    now: int | None = None,
) -> dict:
    """§3: search memories and facts, merge, rank and bound the result. `now` (epoch ms, default the
    current time) is the moment recency is measured from and facts must be valid at."""
    started = time.perf_counter()
    checks.require_text(memory_space_id, "memory_space_id")
    checks.require_text(query, "query")
    checks.optional_text(user_id, "user_id")
    checks.check_importance(min_importance, "min_importance")
    checks.check_range(min_confidence, "min_confidence", 0, 100)
    checks.check_tags(tags)
    checks.check_limit(limit)
    checks.check_embedding(embedding)
    now = now_ms() if now is None else now
    args = compact(
        memorySpaceId=memory_space_id,
        query=keyword_query(query),
        limit=limit,
        userId=user_id,
        tags=tags,
        minImportance=min_importance,
        includeMemories=include_memories,
        includeFacts=include_facts,
        minConfidence=min_confidence,
        validAt=now,  # current beliefs only: forgotten facts carry validUntil
    )
    memories, facts = await _search(backend, args)
    if embedding is not None and include_memories:
        memories = await _fuse_vectors(backend, args, embedding, memories)

    items = [_memory_item(m) for m in memories] + [_fact_item(f) for f in facts]
    ranked = rank(items, now)[:limit]
    if include_conversation:
        await attach_sources(backend, ranked)
    return {
        "items": ranked,
        "total_results": len(items),  # candidates ranked (each search stops at `limit`), not every match
        "query_time_ms": round((time.perf_counter() - started) * 1000, 2),
    }


_MEMORY_SEARCH_KEYS = ("memorySpaceId", "query", "userId", "tags", "minImportance", "limit")
_FACT_SEARCH_KEYS = ("memorySpaceId", "query", "minConfidence", "userId", "validAt", "limit")


async def _search(backend: Backend, args: dict) -> tuple[list[dict], list[dict]]:
    """(memories, facts), each record with its `_score` relevance."""
    try:
        both = await call(backend, "recall:search", args)
        return both["memories"], both["facts"]
    except FunctionNotFoundError:
        pass  # an upstream deployment: the contract's searches below
    except BackendUnavailableError:
        raise  # an outage is not "nothing remembered"
    except CortexError as exc:
        log.warning("recall: search failed: %s", exc)
        return [], []
    found: dict[str, list[dict]] = {"memories:search": [], "facts:search": []}
    outages: list[BackendUnavailableError] = []

    async def search(path: str, keys: tuple[str, ...]) -> None:
        try:
            found[path] = await _scored_by_position(backend, path, {k: args[k] for k in keys if k in args})
        except BackendUnavailableError as exc:
            outages.append(exc)

    async with anyio.create_task_group() as tg:  # independent: over HTTP both round trips at once
        if args["includeMemories"]:
            tg.start_soon(search, "memories:search", _MEMORY_SEARCH_KEYS)
        if args["includeFacts"]:
            tg.start_soon(search, "facts:search", _FACT_SEARCH_KEYS)
    if outages:
        raise outages[0]  # an outage is not "nothing remembered"
    return found["memories:search"], found["facts:search"]


async def _scored_by_position(backend: Backend, path: str, args: dict) -> list[dict]:
    try:
        found = await call(backend, path, args)
    except BackendUnavailableError:
        raise
    except CortexError as exc:
        log.warning("recall: %s failed: %s", path, exc)
        return []
    return [{**record, "_score": position_relevance(i, len(found))} for i, record in enumerate(found)]


async def _fuse_vectors(backend: Backend, args: dict, embedding: list[float], memories: list[dict]) -> list[dict]:
    """Memories by full-text and by vector similarity, relevance fused by weighted sum."""
    keys = ("memorySpaceId", "userId", "tags", "minImportance", "limit")
    try:
        similar = await call(backend, "memories:search", {**{k: args[k] for k in keys if k in args},
                                                          "query": args["query"], "embedding": embedding})
    except BackendUnavailableError:
        raise
    except CortexError as exc:
        log.warning("recall: vector search failed: %s", exc)
        return memories
    by_id = {m["memoryId"]: m for m in [*similar, *memories]}
    fused = fuse({m["memoryId"]: m["_score"] for m in memories}, {m["memoryId"]: m.get("_score", 0.0) for m in similar})
    return [{**by_id[key], "_score": score} for key, score in fused.items()]


def _memory_item(memory: dict) -> dict:
    return {
        "type": "memory",
        "id": memory["memoryId"],
        "content": memory["content"],
        "source": "vector",
        "relevance": memory["_score"],
        "importance": memory["importance"],
        "connected_entities": [],
        "created_at": memory.get("createdAt"),
        "message_role": memory.get("messageRole"),
        "record": {k: v for k, v in memory.items() if k != "_score"},
    }


def _fact_item(fact: dict) -> dict:
    return {
        "type": "fact",
        "id": fact["factId"],
        "content": fact["fact"],
        "source": "facts",
        "relevance": fact["_score"],
        "confidence": fact["confidence"],
        "connected_entities": [x for x in (fact.get("subject"), fact.get("object")) if x],
        "created_at": fact.get("createdAt"),
        "record": {k: v for k, v in fact.items() if k != "_score"},
    }


async def attach_sources(backend: Backend, items: list[dict]) -> None:
    """§3.3 step 9: the source messages of each memory that survived the limit."""
    cache: dict[str, dict | None] = {}
    for item in items:
        ref = item["record"].get("conversationRef") if item["type"] == "memory" else None
        if not ref:
            continue
        cid = ref["conversationId"]
        if cid not in cache:
            try:
                cache[cid] = await call(backend, "conversations:get", {"conversationId": cid})
            except CortexError:
                cache[cid] = None
        conversation = cache[cid]
        if conversation:
            wanted = set(ref.get("messageIds") or [])
            item["source_messages"] = [m for m in conversation["messages"] if m["id"] in wanted]

