"""Embedded handlers of the `gdpr` extension: a user's data, found and erased in one transaction."""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.store import Tx
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


def _collect(tx: Tx, user_id: str) -> tuple[dict[str, list[dict]], dict | None]:
    """Every document of the user per layer (deduplicated by _id), and the profile row."""
    found: dict[str, list[dict]] = {}
    for layer, (table, indexes, _) in _LAYERS.items():
        docs: dict[str, dict] = {}
        for index in indexes:
            for doc in tx.query(table).index(index, user_id):
                docs.setdefault(doc["_id"], doc)
        found[layer] = list(docs.values())
    profile = tx.query("immutable").index("by_type_id", "user", user_id).first()
    if profile is not None:
        found["immutable"] = [d for d in found["immutable"] if d["_id"] != profile["_id"]]
    return found, profile


def _report(user_id: str, found: dict[str, list[dict]], profile: dict | None) -> dict:
    spaces = sorted(
        {d["memorySpaceId"] for layer in ("conversations", "memories", "facts", "contexts") for d in found[layer]}
        | {d["memorySpaceId"] for d in found["sessions"] if "memorySpaceId" in d}
    )
    counts = {layer: len(docs) for layer, docs in found.items()}
    counts["conversationMessages"] = sum(int(d.get("messageCount", 0)) for d in found["conversations"])
    return {
        "userId": user_id,
        "profile": profile is not None,
        "memorySpaceIds": spaces,
        "counts": counts,
        "items": {layer: [_LAYERS[layer][2](d) for d in docs] for layer, docs in found.items()},
        "total": sum(len(docs) for docs in found.values()) + (profile is not None),
    }


@handler("gdpr:findUserData")
def find_user_data(tx: Tx, args: dict) -> Any:
    found, profile = _collect(tx, args["userId"])
    return _report(args["userId"], found, profile)


@handler("gdpr:deleteUserData")
def delete_user_data(tx: Tx, args: dict) -> Any:
    found, profile = _collect(tx, args["userId"])
    report = _report(args["userId"], found, profile)
    dry_run = bool(args.get("dryRun"))
    if not dry_run:
        for docs in found.values():
            for doc in docs:
                tx.delete(doc["_id"])
        if profile is not None:
            tx.delete(profile["_id"])
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
