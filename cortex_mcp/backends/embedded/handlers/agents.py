"""Embedded handlers of the `agents` module (spec/backend/agents.md)."""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import js_slice, or_default, truthy
from cortex_mcp.backends.embedded.store import Tx
from cortex_mcp.errors import convex_error, plain_error

SAMPLE_LIMIT = 1000
_EDITABLE = ("name", "description", "metadata", "config")


def _find(tx: Tx, agent_id: str) -> dict | None:
    return tx.query("agents").index("by_agentId", agent_id).first()


@handler("agents:get")
def get(tx: Tx, args: dict) -> Any:
    return _find(tx, args["agentId"])


@handler("agents:list")
def list_(tx: Tx, args: dict) -> Any:
    q = tx.query("agents")
    if "status" in args:
        q = q.index("by_status", args["status"])
    else:
        q = q.index("by_registered")
    q = q.order("desc")
    limit, offset = args.get("limit"), args.get("offset")
    if truthy(offset):
        return js_slice(q.collect(), offset, offset + or_default(limit, 100))
    return q.take(or_default(limit, 100))


@handler("agents:count")
def count(tx: Tx, args: dict) -> Any:
    q = tx.query("agents")
    if "status" in args:
        q = q.index("by_status", args["status"])
    return q.count()


@handler("agents:exists")
def exists(tx: Tx, args: dict) -> Any:
    return _find(tx, args["agentId"]) is not None


@handler("agents:computeStats")
def compute_stats(tx: Tx, args: dict) -> Any:
    agent_id = args["agentId"]
    memories = tx.query("memories").index("by_participantId", agent_id).take(SAMPLE_LIMIT)
    conversations = tx.query("conversations").index("by_memorySpace", agent_id).take(SAMPLE_LIMIT)
    facts = tx.query("facts").index("by_participantId", agent_id).take(SAMPLE_LIMIT)
    stats: dict[str, Any] = {
        "totalMemories": len(memories),
        "totalConversations": len(conversations),
        "totalFacts": len(facts),
        "memorySpacesActive": len({m["memorySpaceId"] for m in memories}),
        "isApproximate": any(len(s) >= SAMPLE_LIMIT for s in (memories, conversations, facts)),
    }
    updated = [d["updatedAt"] for d in (*memories, *conversations, *facts)]
    if updated:
        stats["lastActive"] = max(updated)
    return stats


@handler("agents:register")
def register(tx: Tx, args: dict) -> Any:
    if _find(tx, args["agentId"]) is not None:
        raise convex_error("AGENT_ALREADY_REGISTERED")
    doc = {
        "agentId": args["agentId"],
        "name": args["name"],
        "metadata": or_default(args.get("metadata"), {}),
        "config": or_default(args.get("config"), {}),
        "status": "active",
        "registeredAt": tx.now,
        "updatedAt": tx.now,
    }
    if "description" in args:
        doc["description"] = args["description"]
    return tx.fetch(tx.insert("agents", doc))


@handler("agents:update")
def update(tx: Tx, args: dict) -> Any:
    agent = _find(tx, args["agentId"])
    if agent is None:
        raise convex_error("AGENT_NOT_REGISTERED")
    patch = {"updatedAt": tx.now, **{k: args[k] for k in (*_EDITABLE, "status") if k in args}}
    tx.patch(agent["_id"], patch)
    return tx.get(agent["_id"])


@handler("agents:updateMany")
def update_many(tx: Tx, args: dict) -> Any:
    if not args["agentIds"]:
        return {"updated": 0, "agentIds": []}
    patch = {"updatedAt": tx.now, **{k: args[k] for k in _EDITABLE if k in args}}
    done = []
    for agent_id in args["agentIds"]:
        agent = _find(tx, agent_id)
        if agent is not None:
            tx.patch(agent["_id"], patch)
            done.append(agent_id)
    return {"updated": len(done), "agentIds": done}


@handler("agents:unregister")
def unregister(tx: Tx, args: dict) -> Any:
    agent = _find(tx, args["agentId"])
    if agent is None:
        raise convex_error("AGENT_NOT_REGISTERED")
    tx.delete(agent["_id"])
    return {"deleted": True, "agentId": args["agentId"]}


@handler("agents:unregisterMany")
def unregister_many(tx: Tx, args: dict) -> Any:
    if args.get("agentIds"):
        selected = [a for a in (_find(tx, i) for i in args["agentIds"]) if a is not None]
    elif "status" in args:
        selected = tx.query("agents").index("by_status", args["status"]).collect()
    else:
        raise plain_error("INVALID_FILTERS: Must provide agentIds or status filter")
    deleted: list[str] = []
    seen: set[str] = set()
    for agent in selected:
        if agent["_id"] in seen:  # already deleted in this transaction: upstream swallows the failure
            continue
        seen.add(agent["_id"])
        tx.delete(agent["_id"])
        deleted.append(agent["agentId"])
    return {"deleted": len(deleted), "agentIds": deleted}


@handler("agents:purgeAll")
def purge_all(tx: Tx, args: dict) -> Any:
    rows = tx.query("agents").collect()
    tx.delete_all(rows)
    return {"deleted": len(rows)}
