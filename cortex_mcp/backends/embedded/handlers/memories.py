"""Embedded handlers of the `memories` module (spec/backend/memories.md).

Deviations from upstream (docs/parity.md):
- `search` (both modes) and `list` apply their filters before the result limit, so a filtered call
  returns up to `limit` matches; upstream filters an already truncated page and can return fewer,
  even none, while matches exist. Keyword `search` pushes `sourceType` into the indexed full-text
  filter and over-fetches once for the other filters (reading every match only when that page is
  not enough); `list` narrows by `userId` through `by_memorySpace_userId`.
Everything else follows the spec literally, including its documented quirks (no ownership check in
the partial-memory functions and `deleteByIds`, `finalizePartialMemory` dropping the embedding when
none is given, `getAtTimestamp`'s superseded-at stamps).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from cortex_mcp.backends.embedded import vectors
from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import js_iso, js_number, js_slice, js_stringify, or_default, truthy, utf16_len
from cortex_mcp.backends.embedded.store import REMOVE, Tx, take_limit
from cortex_mcp.errors import convex_error
from cortex_mcp.ids import public_id

TABLE = "memories"
ACK_PHRASES = ("got it", "i've noted", "i'll remember", "noted", "understood", "i'll set", "i'll call")
_MAX_SQL_LIMIT = 2**62

# Optional `store` arguments copied into the document as given (absent stays absent).
_STORE_OPTIONAL = (
    "participantId",
    "tenantId",
    "embedding",
    "sourceUserId",
    "sourceUserName",
    "userId",
    "agentId",
    "messageRole",
    "enrichedContent",
    "factCategory",
    "conversationRef",
    "immutableRef",
    "mutableRef",
    "factsRef",
)


# -- helpers -------------------------------------------------------------------------------
def _find(tx: Tx, memory_id: str) -> dict | None:
    """The lookup: index `by_memoryId`, oldest row first."""
    return tx.query(TABLE).index("by_memoryId", memory_id).first()


def _owned(tx: Tx, args: dict) -> dict:
    """Mutation ownership check: MEMORY_NOT_FOUND / PERMISSION_DENIED."""
    memory = _find(tx, args["memoryId"])
    if memory is None:
        raise convex_error("MEMORY_NOT_FOUND")
    if memory["memorySpaceId"] != args["memorySpaceId"]:
        raise convex_error("PERMISSION_DENIED")
    return memory


def _visible(tx: Tx, args: dict) -> dict | None:
    """Query ownership check: None when missing or in another space."""
    memory = _find(tx, args["memoryId"])
    if memory is None or memory["memorySpaceId"] != args["memorySpaceId"]:
        return None
    return memory


def _snapshot(memory_id: str, version: Any, content: str, embedding: Any, timestamp: Any) -> dict:
    snap: dict[str, Any] = {"memoryId": memory_id, "version": version, "content": content}
    if embedding is not None:
        snap["embedding"] = embedding
    snap["timestamp"] = timestamp
    return snap


def _current_snapshot(memory: dict) -> dict:
    m = memory
    return _snapshot(m["memoryId"], m["version"], m["content"], m.get("embedding"), m["updatedAt"])


def _entry_snapshot(memory: dict, entry: dict) -> dict:
    return _snapshot(memory["memoryId"], entry["version"], entry["content"], entry.get("embedding"), entry["timestamp"])


def _user_or_source(user_id: Any) -> Callable[[dict], bool] | None:
    """`userId` filter matching either `userId` or `sourceUserId` (falsy ⇒ no filter)."""
    if not truthy(user_id):
        return None
    return lambda m: m.get("userId") == user_id or m.get("sourceUserId") == user_id


def _space_query(tx: Tx, args: dict):
    """The space's memories, filtered by `userId` matching `userId` or `sourceUserId` (if given)."""
    q = tx.query(TABLE).index("by_memorySpace", args["memorySpaceId"])
    by_user = _user_or_source(args.get("userId"))
    return q if by_user is None else q.filter(by_user)


def _by_user_query(tx: Tx, args: dict):
    """Memories of the space, narrowed by `memory.userId` through its index when the filter is set."""
    q = tx.query(TABLE)
    if truthy(args.get("userId")):
        return q.index("by_memorySpace_userId", args["memorySpaceId"], args["userId"])
    return q.index("by_memorySpace", args["memorySpaceId"])




def _is_acknowledgement(content: str) -> bool:
    lower = content.lower()
    return utf16_len(lower) < 60 and any(phrase in lower for phrase in ACK_PHRASES)


def _weighted(memory: dict, query_category: Any) -> float:
    score = memory["_score"]
    role = memory.get("messageRole")
    if role == "user":
        score *= 1.25
    elif role == "agent" and _is_acknowledgement(memory["content"]):
        score *= 0.5
    if query_category is not None and memory.get("factCategory") == query_category:
        score *= 1.3
    if truthy(memory.get("enrichedContent")):
        score *= 1.1
    return score


# -- mutations -----------------------------------------------------------------------------
def new_memory(args: dict, now: int) -> dict:
    """The document `memories:store` writes for its (validated) arguments, stamped `now`."""
    doc: dict[str, Any] = {
        "memoryId": args.get("memoryId") or public_id("mem", now),  # given: a bulk import
        "memorySpaceId": args["memorySpaceId"],
        "content": args["content"],
        "contentType": args["contentType"],
        "sourceType": args["sourceType"],
        "sourceTimestamp": now,
        "importance": args["importance"],
        "tags": args["tags"],
        "version": 1,
        "previousVersions": [],
        "createdAt": now,
        "updatedAt": now,
        "accessCount": 0,
    }
    for key in _STORE_OPTIONAL:
        if key in args:
            doc[key] = args[key]
    return doc


@handler("memories:store")
def store(tx: Tx, args: dict) -> Any:
    return tx.fetch(tx.insert(TABLE, new_memory(args, tx.now)))


@handler("memories:storePartialMemory")
def store_partial_memory(tx: Tx, args: dict) -> Any:
    now = tx.now
    memory_id = public_id("mem-partial", now)
    doc: dict[str, Any] = {"memoryId": memory_id, "memorySpaceId": args["memorySpaceId"]}
    if "participantId" in args:
        doc["participantId"] = args["participantId"]
    doc.update(
        {
            "content": args["content"],
            "contentType": "raw",
            "sourceType": "conversation",
            "sourceTimestamp": now,
            "userId": args["userId"],
            "conversationRef": {"conversationId": args["conversationId"], "messageIds": []},
            "importance": args["importance"],
            "tags": args["tags"],
            "version": 1,
            "previousVersions": [],
            "createdAt": now,
            "updatedAt": now,
            "accessCount": 0,
            "isPartial": args["isPartial"],
            "partialMetadata": args["metadata"],
        }
    )
    return {"memoryId": memory_id, "_id": tx.insert(TABLE, doc)}


@handler("memories:updatePartialMemory")
def update_partial_memory(tx: Tx, args: dict) -> Any:
    memory = _find(tx, args["memoryId"])
    if memory is None:
        raise convex_error("MEMORY_NOT_FOUND")
    tx.patch(memory["_id"], {"content": args["content"], "updatedAt": tx.now, "partialMetadata": args["metadata"]})
    return {"success": True}


@handler("memories:finalizePartialMemory")
def finalize_partial_memory(tx: Tx, args: dict) -> Any:
    memory = _find(tx, args["memoryId"])
    if memory is None:
        raise convex_error("MEMORY_NOT_FOUND")
    tx.patch(
        memory["_id"],
        {
            "content": args["content"],
            "embedding": args.get("embedding", REMOVE),
            "updatedAt": tx.now,
            "isPartial": False,
            "tags": [t for t in memory["tags"] if t not in ("streaming", "partial")],
            "partialMetadata": args["metadata"],
        },
    )
    return {"success": True}


@handler("memories:deleteMemory")
def delete_memory(tx: Tx, args: dict) -> Any:
    memory = _owned(tx, args)
    tx.delete(memory["_id"])
    return {"deleted": True, "memoryId": args["memoryId"]}


@handler("memories:update")
def update(tx: Tx, args: dict) -> Any:
    memory = _owned(tx, args)
    history = [
        *memory["previousVersions"],
        _snapshot_entry(memory),
    ]
    patch: dict[str, Any] = {
        "content": or_default(args.get("content"), memory["content"]),
        "previousVersions": history,
        "version": memory["version"] + 1,
        "updatedAt": tx.now,
    }
    for key in ("embedding", "importance", "tags"):
        if key in args:
            patch[key] = args[key]
    tx.patch(memory["_id"], patch)
    return tx.fetch(memory["_id"])


def _snapshot_entry(memory: dict) -> dict:
    entry: dict[str, Any] = {"version": memory["version"], "content": memory["content"]}
    if "embedding" in memory:
        entry["embedding"] = memory["embedding"]
    entry["timestamp"] = memory["updatedAt"]
    return entry


@handler("memories:deleteMany")
def delete_many(tx: Tx, args: dict) -> Any:
    q = _space_query(tx, args)
    if truthy(args.get("sourceType")):
        q = q.where("sourceType", args["sourceType"])
    matches = q.collect()
    for memory in matches:
        tx.delete(memory["_id"])
    return {"deleted": len(matches), "memoryIds": [m["memoryId"] for m in matches]}


@handler("memories:deleteByIds")
def delete_by_ids(tx: Tx, args: dict) -> Any:
    deleted: list[str] = []
    for memory_id in args["memoryIds"]:
        memory = _find(tx, memory_id)
        if memory is not None:
            tx.delete(memory["_id"])
            deleted.append(memory_id)
    return {"deleted": len(deleted), "memoryIds": deleted}


@handler("memories:purgeAll")
def purge_all(tx: Tx, args: dict) -> Any:
    # The embedded store is a local deployment: the production gate of A.10 always passes.
    rows = tx.query(TABLE).collect()
    tx.delete_all(rows)
    return {"deleted": len(rows)}


@handler("memories:updateMany")
def update_many(tx: Tx, args: dict) -> Any:
    q = _by_user_query(tx, args)
    if truthy(args.get("sourceType")):
        q = q.where("sourceType", args["sourceType"])
    matches = q.collect()
    patch: dict[str, Any] = {"updatedAt": tx.now}
    for key in ("importance", "tags"):
        if key in args:
            patch[key] = args[key]
    for memory in matches:
        tx.patch(memory["_id"], patch)
    return {"updated": len(matches), "memoryIds": [m["memoryId"] for m in matches]}


@handler("memories:archive")
def archive(tx: Tx, args: dict) -> Any:
    memory = _owned(tx, args)
    tags = memory["tags"] if "archived" in memory["tags"] else [*memory["tags"], "archived"]
    tx.patch(memory["_id"], {"tags": tags, "importance": min(memory["importance"], 10), "updatedAt": tx.now})
    return {"archived": True, "memoryId": args["memoryId"], "restorable": True}


@handler("memories:restoreFromArchive")
def restore_from_archive(tx: Tx, args: dict) -> Any:
    memory = _owned(tx, args)
    if "archived" not in memory["tags"]:
        raise convex_error("MEMORY_NOT_ARCHIVED")
    importance = 50 if memory["importance"] < 50 else memory["importance"]
    tx.patch(
        memory["_id"],
        {"tags": [t for t in memory["tags"] if t != "archived"], "importance": importance, "updatedAt": tx.now},
    )
    return {"restored": True, "memoryId": args["memoryId"], "memory": tx.fetch(memory["_id"])}


# -- queries -------------------------------------------------------------------------------
@handler("memories:get")
def get(tx: Tx, args: dict) -> Any:
    return _visible(tx, args)


def _post_filter(args: dict, include_source_type: bool) -> Callable[[dict], bool] | None:
    """The search filters as one predicate (None when no filter is active)."""
    checks: list[Callable[[dict], bool]] = []
    by_user = _user_or_source(args.get("userId"))
    if by_user is not None:
        checks.append(by_user)
    tags = args.get("tags")
    if tags:
        wanted = set(tags)
        checks.append(lambda m: any(t in wanted for t in m["tags"]))
    if include_source_type and truthy(args.get("sourceType")):
        checks.append(lambda m: m["sourceType"] == args["sourceType"])
    if "minImportance" in args:
        floor = args["minImportance"]
        checks.append(lambda m: m["importance"] >= floor)
    if not checks:
        return None
    return lambda m: all(check(m) for check in checks)


def _keyword_search(tx: Tx, args: dict, limit: Any) -> list[dict]:
    n = take_limit(limit)
    if n == 0:
        return []
    filters: dict[str, Any] = {"memorySpaceId": args["memorySpaceId"]}
    if truthy(args.get("sourceType")):
        filters["sourceType"] = args["sourceType"]  # exact equality: pushed into the indexed search
    keep = _post_filter(args, include_source_type=False)
    n = min(n, _MAX_SQL_LIMIT)
    if keep is None:
        return tx.search(TABLE, "by_content", args["query"], filters, limit=n)
    # Filters run before the limit (deviation): over-fetch once, and only when that page does not
    # yield `n` matches read every match (at most two indexed searches).
    batch = min(max(n * 4, 100), _MAX_SQL_LIMIT)
    rows = tx.search(TABLE, "by_content", args["query"], filters, limit=batch)
    hits = [m for m in rows if keep(m)]
    if len(hits) < n and len(rows) == batch < _MAX_SQL_LIMIT:
        hits = [m for m in tx.search(TABLE, "by_content", args["query"], filters, limit=_MAX_SQL_LIMIT) if keep(m)]
    return hits[:n]


def _semantic_search(tx: Tx, args: dict, limit: Any) -> list[dict]:
    """Brute-force cosine ranking (the contract): scores come from the stored vectors alone; only
    the documents that can reach the result are read, best first, until `limit` pass the filters."""
    keep = _post_filter(args, include_source_type=True)
    # js_slice of a negative (or infinite) limit needs every match
    bound = math.trunc(limit) if 0 < limit < math.inf else None
    scored: list[dict] = []
    # best first, ties in creation order (a stable sort, as Array.prototype.sort); vectors.py
    for score, doc_id in vectors.ranked(tx, args["memorySpaceId"], args["embedding"], bound):
        memory = tx.fetch(doc_id)
        if keep is not None and not keep(memory):
            continue
        memory["_score"] = score
        scored.append(memory)
        if bound is not None and len(scored) >= bound:
            break
    results = js_slice(scored, 0, limit)
    category = args.get("queryCategory")
    for memory in results:
        memory["_score"] = _weighted(memory, category)
    results.sort(key=lambda m: m["_score"], reverse=True)
    return results


@handler("memories:search")
def search(tx: Tx, args: dict) -> Any:
    limit = or_default(args.get("limit"), 20)
    if args.get("embedding"):
        results = _semantic_search(tx, args, limit)
    else:
        results = _keyword_search(tx, args, limit)
    if "minScore" in args:
        floor = args["minScore"]
        results = [m for m in results if "_score" not in m or m["_score"] >= floor]
    return results


@handler("memories:list")
def list_(tx: Tx, args: dict) -> Any:
    q = _by_user_query(tx, args).order("desc")
    if truthy(args.get("sourceType")):
        q = q.where("sourceType", args["sourceType"])
    return q.take(or_default(args.get("limit"), 100))


@handler("memories:count")
def count(tx: Tx, args: dict) -> Any:
    q = _by_user_query(tx, args)
    if truthy(args.get("sourceType")):
        q = q.where("sourceType", args["sourceType"])
    return q.count()


@handler("memories:getVersion")
def get_version(tx: Tx, args: dict) -> Any:
    memory = _visible(tx, args)
    if memory is None:
        return None
    if args["version"] == memory["version"]:
        return _current_snapshot(memory)
    for entry in memory["previousVersions"]:
        if entry["version"] == args["version"]:
            return _entry_snapshot(memory, entry)
    return None


@handler("memories:getHistory")
def get_history(tx: Tx, args: dict) -> Any:
    memory = _visible(tx, args)
    if memory is None:
        return []
    history = [_entry_snapshot(memory, e) for e in memory["previousVersions"]]
    history.append(_current_snapshot(memory))
    history.sort(key=lambda s: s["version"])
    return history


@handler("memories:getAtTimestamp")
def get_at_timestamp(tx: Tx, args: dict) -> Any:
    memory = _visible(tx, args)
    if memory is None:
        return None
    at = args["timestamp"]
    if at >= memory["updatedAt"]:
        return _current_snapshot(memory)
    if at < memory["createdAt"]:
        return None
    for entry in reversed(memory["previousVersions"]):
        if entry["timestamp"] <= at:
            return _entry_snapshot(memory, entry)
    return None


@handler("memories:exportMemories")
def export_memories(tx: Tx, args: dict) -> Any:
    memories = _space_query(tx, args).collect()
    if args["format"] == "json":
        with_embeddings = args.get("includeEmbeddings") is True
        items = []
        for m in memories:
            item = {
                "memoryId": m["memoryId"],
                "content": m["content"],
                "sourceType": m["sourceType"],
                "importance": m["importance"],
                "tags": m["tags"],
                "createdAt": m["createdAt"],
            }
            if with_embeddings and isinstance(m.get("embedding"), list):
                item["embedding"] = m["embedding"]
            items.append(item)
        data = js_stringify(items, 2)
    else:
        lines = ["memoryId,content,sourceType,importance,tags,createdAt"]
        for m in memories:
            lines.append(
                ",".join(
                    (
                        m["memoryId"],
                        m["content"].replace(",", ";"),
                        m["sourceType"],
                        js_number(m["importance"]),
                        ";".join(m["tags"]),
                        js_iso(m["createdAt"]),
                    )
                )
            )
        data = "\n".join(lines)
    return {"format": args["format"], "data": data, "count": len(memories), "exportedAt": tx.now}
