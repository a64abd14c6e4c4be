"""Embedded handlers of the `factHistory` module (spec/backend/factHistory.md)."""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import js_iso, js_slice, truthy
from cortex_mcp.backends.embedded.store import Tx
from cortex_mcp.contract.enums import FACT_HISTORY_ACTIONS
from cortex_mcp.ids import public_id

_EVENT_OPTIONAL = (
    "oldValue",
    "newValue",
    "supersededBy",
    "supersedes",
    "reason",
    "confidence",
    "pipeline",
    "userId",
    "participantId",
    "conversationId",
)
HOUR_MS = 3_600_000


def _delete_all(tx: Tx, rows: list[dict]) -> dict:
    return {"deleted": tx.delete_all(rows)}


def _in_range(event: dict, args: dict) -> bool:
    if "after" in args and not event["timestamp"] >= args["after"]:
        return False
    return "before" not in args or event["timestamp"] <= args["before"]


# -- mutations -------------------------------------------------------------------------------


@handler("factHistory:logEvent")
def log_event(tx: Tx, args: dict) -> Any:
    event_id = public_id("fh", tx.now)
    doc = {
        "eventId": event_id,
        "factId": args["factId"],
        "memorySpaceId": args["memorySpaceId"],
        "action": args["action"],
        **{k: args[k] for k in _EVENT_OPTIONAL if k in args},
        "timestamp": tx.now,
    }
    return {"eventId": event_id, "_id": tx.insert("factHistory", doc)}


@handler("factHistory:deleteByFactId")
def delete_by_fact_id(tx: Tx, args: dict) -> Any:
    return _delete_all(tx, tx.query("factHistory").index("by_factId", args["factId"]).collect())


@handler("factHistory:deleteByUserId")
def delete_by_user_id(tx: Tx, args: dict) -> Any:
    return _delete_all(tx, tx.query("factHistory").index("by_userId", args["userId"]).collect())


@handler("factHistory:deleteByMemorySpace")
def delete_by_memory_space(tx: Tx, args: dict) -> Any:
    return _delete_all(tx, tx.query("factHistory").index("by_memorySpace", args["memorySpaceId"]).collect())


@handler("factHistory:purgeOldEvents")
def purge_old_events(tx: Tx, args: dict) -> Any:
    cutoff = args["olderThan"]
    if truthy(args.get("memorySpaceId")):
        q = tx.query("factHistory").index("by_memorySpace_timestamp", args["memorySpaceId"], lt=cutoff)
    else:
        q = tx.query("factHistory").index("by_timestamp", lt=cutoff)
    qualifying = q.collect()
    doomed = js_slice(qualifying, 0, args.get("limit", 1000))
    for event in doomed:
        tx.delete(event["_id"])
    return {"deleted": len(doomed), "remaining": len(qualifying) - len(doomed)}


# -- queries ---------------------------------------------------------------------------------


@handler("factHistory:getHistory")
def get_history(tx: Tx, args: dict) -> Any:
    events = tx.query("factHistory").index("by_factId", args["factId"]).order("desc").collect()
    return js_slice(events, 0, args.get("limit", 100))


@handler("factHistory:getEvent")
def get_event(tx: Tx, args: dict) -> Any:
    return tx.query("factHistory").index("by_eventId", args["eventId"]).first()


@handler("factHistory:getChangesByTimeRange")
def get_changes_by_time_range(tx: Tx, args: dict) -> Any:
    events = [
        e
        for e in tx.query("factHistory").index("by_memorySpace", args["memorySpaceId"]).order("desc")
        if _in_range(e, args) and ("action" not in args or e["action"] == args["action"])
    ]
    offset = args.get("offset", 0)
    return js_slice(events, offset, offset + args.get("limit", 100))


@handler("factHistory:countByAction")
def count_by_action(tx: Tx, args: dict) -> Any:
    counts = dict.fromkeys(FACT_HISTORY_ACTIONS, 0)
    total = 0
    for event in tx.query("factHistory").index("by_memorySpace", args["memorySpaceId"]):
        if _in_range(event, args):
            counts[event["action"]] += 1
            total += 1
    return {**counts, "total": total}


@handler("factHistory:getSupersessionChain")
def get_supersession_chain(tx: Tx, args: dict) -> Any:
    chain: list[dict] = []
    current = args["factId"]
    seen = {current}
    while True:
        event = tx.query("factHistory").index("by_factId", current).filter(lambda e: e["action"] == "SUPERSEDE").first()
        if event is None or not truthy(event.get("supersedes")) or event["supersedes"] in seen:
            break  # the `seen` test is our cycle guard (upstream loops until aborted)
        entry = {"factId": event["supersedes"], "supersededBy": current, "timestamp": event["timestamp"]}
        if "reason" in event:
            entry["reason"] = event["reason"]
        chain.insert(0, entry)
        current = event["supersedes"]
        seen.add(current)
    chain.append({"factId": args["factId"], "supersededBy": None, "timestamp": tx.now, "reason": "Current version"})
    return chain


@handler("factHistory:getActivitySummary")
def get_activity_summary(tx: Tx, args: dict) -> Any:
    hours = args.get("hours", 24)
    since = tx.now - hours * HOUR_MS
    time_range = {"hours": hours, "since": js_iso(since), "until": js_iso(tx.now)}
    events = tx.query("factHistory").index("by_memorySpace_timestamp", args["memorySpaceId"], gte=since).collect()
    counts = dict.fromkeys(FACT_HISTORY_ACTIONS, 0)
    facts: set[str] = set()
    participants: set[str] = set()
    for event in events:
        counts[event["action"]] += 1
        facts.add(event["factId"])
        for name in ("participantId", "userId"):
            if truthy(event.get(name)):
                participants.add(event[name])
    return {
        "timeRange": time_range,
        "totalEvents": len(events),
        "actionCounts": counts,
        "uniqueFactsModified": len(facts),
        "activeParticipants": len(participants),
    }
