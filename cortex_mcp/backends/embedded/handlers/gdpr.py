"""Embedded handlers of the `gdpr` extension: a user's data, found and erased in one transaction.

Erasure is complete: the user's documents in every layer go; documents of others that mention
the user are edited (agent-to-agent log copies of the user's messages, memory-space participant
entries, graph-sync queue entries, contexts under an erased context become roots); and the file
keeps no trace (`Tx.scrub`: full-text indexes merged, VACUUM, WAL truncated).
"""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.handlers.contexts import move_subtree
from cortex_mcp.backends.embedded.handlers.facts import fact_passes
from cortex_mcp.backends.embedded.store import REMOVE, Tx
from cortex_mcp.errors import convex_error

# layer -> (table, index lookups on the user id, how an item is reported)
_LAYERS: dict[str, tuple[str, tuple[str, ...], Any]] = {
    "conversations": ("conversations", ("by_user",), lambda d: d["conversationId"]),
    "memories": (
        "memories",
        ("by_userId", "by_sourceUserId"),
        lambda d: {"memorySpaceId": d["memorySpaceId"], "memoryId": d["memoryId"]},
    ),
    "facts": ("facts", ("by_userId",), lambda d: {"memorySpaceId": d["memorySpaceId"], "factId": d["factId"]}),
    "factHistory": ("factHistory", ("by_userId",), lambda d: d["eventId"]),
    "contexts": ("contexts", ("by_userId",), lambda d: d["contextId"]),
    "sessions": ("sessions", ("by_userId",), lambda d: d["sessionId"]),
    "mutable": ("mutable", ("by_userId",), lambda d: {"namespace": d["namespace"], "key": d["key"]}),
    "immutable": ("immutable", ("by_userId",), lambda d: {"type": d["type"], "id": d["id"]}),
}


def _mentions(value: Any, needle: str) -> bool:
    """Whether a JSON value holds `needle` as (part of) any string, key or value."""
    if isinstance(value, str):
        return needle in value
    if isinstance(value, dict):
        return any(needle in k or _mentions(item, needle) for k, item in value.items())
    if isinstance(value, list):
        return any(_mentions(item, needle) for item in value)
    return False


def _collect(tx: Tx, user_id: str) -> tuple[dict[str, list[dict]], dict | None, dict[str, list[dict]]]:
    """Every document of the user per layer (deduplicated by _id), the profile row, and the other
    documents that mention the user or its records (they are edited, not deleted)."""
    found: dict[str, list[dict]] = {}
    for layer, (table, indexes, _) in _LAYERS.items():
        docs: dict[str, dict] = {}
        for index in indexes:
            for doc in tx.query(table).index(index, user_id):
                docs.setdefault(doc["_id"], doc)
        found[layer] = list(docs.values())
    events = {d["_id"]: d for d in found["factHistory"]}
    for fact in found["facts"]:  # events of the user's facts that were logged without a userId
        for event in tx.query("factHistory").index("by_factId", fact["factId"]):
            events.setdefault(event["_id"], event)
    found["factHistory"] = list(events.values())
    profile = tx.query("immutable").index("by_type_id", "user", user_id).first()
    if profile is not None:
        found["immutable"] = [d for d in found["immutable"] if d["_id"] != profile["_id"]]
    return found, profile, _references(tx, user_id, found)


def _references(tx: Tx, user_id: str, found: dict[str, list[dict]]) -> dict[str, list[dict]]:
    own_conversations = {d["conversationId"] for d in found["conversations"]}
    # Messages of other conversations (an agent-to-agent log) that the user's memories were made from.
    messages: dict[str, set[str]] = {}
    for memory in found["memories"]:
        ref = memory.get("conversationRef") or {}
        if ref.get("conversationId") and ref["conversationId"] not in own_conversations:
            messages.setdefault(ref["conversationId"], set()).update(ref.get("messageIds") or [])
    copies = []
    for conversation_id, ids in messages.items():
        conversation = tx.query("conversations").index("by_conversationId", conversation_id).first()
        if conversation is not None and any(m["id"] in ids for m in conversation["messages"]):
            copies.append({**conversation, "_erase": sorted(ids)})
    spaces = [s for s in tx.query("memorySpaces") if any(p.get("id") == user_id for p in s["participants"])]
    erased_ids = {user_id} | {
        d[key] for docs in found.values() for d in docs
        for key in ("conversationId", "memoryId", "factId", "contextId", "sessionId", "eventId") if key in d
    }
    queued = [q for q in tx.query("graphSyncQueue")
              if q["entityId"] in erased_ids or _mentions(q.get("entity"), user_id)]
    erased_contexts = {d["contextId"] for d in found["contexts"]}
    children = [c for c in tx.query("contexts") if c.get("parentId") in erased_contexts
                and c["contextId"] not in erased_contexts]
    parents = [c for c in tx.query("contexts") if c["contextId"] not in erased_contexts
               and erased_contexts & set(c.get("childIds") or [])]
    shared = [c for c in tx.query("contexts") if c["contextId"] not in erased_contexts
              and user_id in (c.get("participants") or [])]
    return {"a2aMessages": copies, "memorySpaceParticipants": spaces, "graphSyncQueue": queued,
            "contextChildren": children, "contextParents": parents, "contextParticipants": shared}


def _report(user_id: str, found: dict[str, list[dict]], profile: dict | None, refs: dict[str, list[dict]]) -> dict:
    spaces = sorted(
        {d["memorySpaceId"] for layer in ("conversations", "memories", "facts", "contexts") for d in found[layer]}
        | {d["memorySpaceId"] for d in found["sessions"] if "memorySpaceId" in d}
    )
    counts = {layer: len(docs) for layer, docs in found.items()}
    counts["conversationMessages"] = sum(int(d.get("messageCount", 0)) for d in found["conversations"])
    counts["a2aMessages"] = sum(len(c["_erase"]) for c in refs["a2aMessages"])
    counts["memorySpaceParticipants"] = len(refs["memorySpaceParticipants"])
    counts["graphSyncQueue"] = len(refs["graphSyncQueue"])
    counts["contextChildren"] = len(refs["contextChildren"])
    counts["contextParticipants"] = len(refs["contextParticipants"])
    items = {layer: [_LAYERS[layer][2](d) for d in docs] for layer, docs in found.items()}
    items["a2aMessages"] = [{"conversationId": c["conversationId"], "messageIds": c["_erase"]}
                            for c in refs["a2aMessages"]]
    items["memorySpaceParticipants"] = [s["memorySpaceId"] for s in refs["memorySpaceParticipants"]]
    items["graphSyncQueue"] = [{"table": q["table"], "entityId": q["entityId"]} for q in refs["graphSyncQueue"]]
    items["contextChildren"] = [c["contextId"] for c in refs["contextChildren"]]
    items["contextParticipants"] = [c["contextId"] for c in refs["contextParticipants"]]
    return {
        "userId": user_id,
        "profile": profile is not None,
        "memorySpaceIds": spaces,
        "counts": counts,
        "items": items,
        "total": sum(len(docs) for docs in found.values()) + (profile is not None),
    }


@handler("gdpr:findUserData")
def find_user_data(tx: Tx, args: dict) -> Any:
    return _report(args["userId"], *_collect(tx, args["userId"]))


def _edit_references(tx: Tx, user_id: str, refs: dict[str, list[dict]], erased_contexts: set[str]) -> None:
    for conversation in refs["a2aMessages"]:
        kept = [m for m in conversation["messages"] if m["id"] not in conversation["_erase"]]
        tx.patch(conversation["_id"], {"messages": kept, "messageCount": len(kept), "updatedAt": tx.now})
    for space in refs["memorySpaceParticipants"]:
        kept = [p for p in space["participants"] if p.get("id") != user_id]
        tx.patch(space["_id"], {"participants": kept, "updatedAt": tx.now})
    tx.delete_all(refs["graphSyncQueue"])
    for parent in refs["contextParents"]:
        kept = [i for i in parent["childIds"] if i not in erased_contexts]
        tx.patch(parent["_id"], {"childIds": kept, "updatedAt": tx.now})
    for shared in refs["contextParticipants"]:
        kept = [p for p in shared["participants"] if p != user_id]
        tx.patch(shared["_id"], {"participants": kept, "updatedAt": tx.now})
    for child in refs["contextChildren"]:
        # Another user's context under an erased one becomes the root of its own chain.
        tx.patch(child["_id"], {"parentId": REMOVE, "rootId": child["contextId"], "depth": 0, "updatedAt": tx.now})
        moved = tx.get(child["_id"])
        if moved is not None:
            move_subtree(tx, moved, child["contextId"])


@handler("gdpr:deleteUserData")
def delete_user_data(tx: Tx, args: dict) -> Any:
    found, profile, refs = _collect(tx, args["userId"])
    report = _report(args["userId"], found, profile, refs)
    dry_run = bool(args.get("dryRun"))
    if not dry_run:
        for docs in found.values():
            for doc in docs:
                tx.delete(doc["_id"])
        if profile is not None:
            tx.delete(profile["_id"])
        _edit_references(tx, args["userId"], refs, {d["contextId"] for d in found["contexts"]})
        tx.scrub()
    return {**report, "dryRun": dry_run, "deleted": not dry_run, "deletedAt": tx.now}


@handler("gdpr:deleteMessages")
def delete_messages(tx: Tx, args: dict) -> Any:
    conversation = tx.query("conversations").index("by_conversationId", args["conversationId"]).first()
    if conversation is None:
        raise convex_error("CONVERSATION_NOT_FOUND")
    doomed = set(args["messageIds"])
    kept = [m for m in conversation["messages"] if m["id"] not in doomed]
    gone = [m["id"] for m in conversation["messages"] if m["id"] in doomed]
    if gone:
        tx.patch(conversation["_id"], {"messages": kept, "messageCount": len(kept), "updatedAt": tx.now})
    return {"deleted": len(gone), "conversationId": args["conversationId"], "messageIds": gone}


@handler("gdpr:factsBySource")
def facts_by_source(tx: Tx, args: dict) -> Any:
    space = args["memorySpaceId"]
    found: dict[str, dict] = {}
    for index, source in (("by_memorySpace_sourceMemory", args.get("sourceMemoryId")),
                          ("by_memorySpace_sourceConversation", args.get("sourceConversationId"))):
        if isinstance(source, str):
            found.update((f["_id"], f) for f in tx.query("facts").index(index, space, source))
    wanted = {"validAt": args["validAt"]} if "validAt" in args else {}
    return sorted((f for f in found.values() if fact_passes(f, wanted)), key=lambda f: f["_creationTime"])
