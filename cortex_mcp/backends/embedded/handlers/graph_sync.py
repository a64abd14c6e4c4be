"""Embedded handlers of the `graphSync` module (spec/backend/graphSync.md).

Deviation from upstream (docs/parity.md): `clearSyncedItems` reads `olderThanMs` with `??`,
not `||`, so an explicit 0 clears every synced item instead of falling back to 24 h.
"""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import js_round, js_slice, or_default, truthy
from cortex_mcp.backends.embedded.store import REMOVE, Tx
from cortex_mcp.contract.validators import is_number
from cortex_mcp.errors import plain_error

TABLE = "graphSyncQueue"
MAX_ATTEMPTS = 3
DEFAULT_CLEAR_AGE_MS = 24 * 60 * 60 * 1000


@handler("graphSync:queueForSync")
def queue_for_sync(tx: Tx, args: dict) -> Any:
    priority = or_default(args.get("priority"), "normal")
    entity = args["entity"] if "entity" in args else REMOVE
    pending = (
        tx.query(TABLE)
        .index("by_table_entity", args["table"], args["entityId"])
        .filter(lambda d: d.get("synced") is False)
        .first()
    )
    if pending is not None:
        tx.patch(
            pending["_id"],
            {"operation": args["operation"], "entity": entity, "priority": priority, "createdAt": tx.now},
        )
        return pending["_id"]
    return tx.insert(
        TABLE,
        {
            "table": args["table"],
            "entityId": args["entityId"],
            "operation": args["operation"],
            "entity": entity,
            "synced": False,
            "failedAttempts": 0,
            "priority": priority,
            "createdAt": tx.now,
        },
    )


@handler("graphSync:markSynced")
def mark_synced(tx: Tx, args: dict) -> Any:
    tx.patch(args["id"], {"synced": True, "syncedAt": tx.now, "lastError": REMOVE})
    return None


@handler("graphSync:markFailed")
def mark_failed(tx: Tx, args: dict) -> Any:
    item = tx.get(args["id"])
    if item is None:
        raise plain_error("SYNC_ITEM_NOT_FOUND")
    attempts = or_default(item.get("failedAttempts"), 0) + 1
    given_up = attempts >= MAX_ATTEMPTS
    tx.patch(
        item["_id"],
        {
            "failedAttempts": attempts,
            "lastError": args["error"],
            "synced": given_up,
            "syncedAt": tx.now if given_up else REMOVE,
        },
    )
    return None


@handler("graphSync:deleteSyncItem")
def delete_sync_item(tx: Tx, args: dict) -> Any:
    tx.delete(args["id"])
    return None


@handler("graphSync:getUnsyncedItems")
def get_unsynced_items(tx: Tx, args: dict) -> Any:
    return tx.query(TABLE).index("by_synced", False).order("desc").take(args["limit"])


@handler("graphSync:getHighPriorityItems")
def get_high_priority_items(tx: Tx, args: dict) -> Any:
    return tx.query(TABLE).index("by_priority", "high", False).order("desc").take(args["limit"])


@handler("graphSync:getSyncStats")
def get_sync_stats(tx: Tx, args: dict) -> Any:
    total = unsynced = synced = failed = 0
    sync_time_sum = 0.0
    sync_time_count = 0
    oldest_pending: float | None = None
    by_table: dict[str, int] = {}
    for item in tx.query(TABLE):
        total += 1
        if item.get("synced") is True:
            synced += 1
        if not truthy(item.get("synced")):
            unsynced += 1
            created = item["createdAt"]  # required by the table schema
            if oldest_pending is None or created < oldest_pending:
                oldest_pending = created
        attempts = item.get("failedAttempts")
        if is_number(attempts) and attempts > 0:
            failed += 1
        if truthy(item.get("syncedAt")) and truthy(item.get("createdAt")):
            sync_time_sum += item["syncedAt"] - item["createdAt"]
            sync_time_count += 1
        by_table[item["table"]] = by_table.get(item["table"], 0) + 1
    return {
        "total": total,
        "unsynced": unsynced,
        "synced": synced,
        "failed": failed,
        "avgSyncTimeMs": js_round(sync_time_sum / sync_time_count) if sync_time_count else 0,
        "syncLagMs": tx.now - oldest_pending if oldest_pending is not None else 0,
        "byTable": by_table,
    }


@handler("graphSync:getFailedItems")
def get_failed_items(tx: Tx, args: dict) -> Any:
    failed = [
        item
        for item in tx.query(TABLE)
        if is_number(item.get("failedAttempts")) and item["failedAttempts"] > 0
    ]
    failed.sort(key=lambda item: item["createdAt"], reverse=True)  # stable, as Array.prototype.sort
    return js_slice(failed, 0, args["limit"])


@handler("graphSync:clearSyncedItems")
def clear_synced_items(tx: Tx, args: dict) -> Any:
    # Deviation: upstream `olderThanMs || 24h` turns an explicit 0 into 24 h.
    older_than = args["olderThanMs"] if "olderThanMs" in args else DEFAULT_CLEAR_AGE_MS
    cutoff = tx.now - older_than
    stale = (
        tx.query(TABLE)
        .index("by_synced", True)
        .filter(lambda d: not is_number(d.get("syncedAt")) or d["syncedAt"] < cutoff)
        .collect()
    )
    for item in stale:
        tx.delete(item["_id"])
    return {"deleted": len(stale)}


@handler("graphSync:purgeAll")
def purge_all(tx: Tx, args: dict) -> Any:
    rows = tx.query(TABLE).collect()
    tx.delete_all(rows)
    return {"deleted": len(rows)}
