"""Contract of the `graphSync` module (spec/backend/graphSync.md): the graph-database sync queue.

A worker that mirrors Cortex entities into a graph database reads pending items from
`graphSyncQueue`, then reports each one as synced or failed (an item is given up after 3 failures).
"""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.enums import GRAPH_OPERATIONS
from cortex_mcp.contract.validators import v

o = v.optional


def _id():
    return v.id("graphSyncQueue").describe("Queue item _id (as returned by queueForSync or the list queries)")


def _limit():
    return v.number().describe("Maximum number of items to return (non-negative integer)")


FUNCTIONS = [
    mutation(
        "graphSync:queueForSync",
        {
            "table": v.string().describe("Source table of the entity, e.g. memories, facts, contexts, conversations"),
            "entityId": v.string().describe("Cortex id of the entity to mirror into the graph"),
            "operation": v.enum(*GRAPH_OPERATIONS).describe("Graph operation to perform"),
            "entity": o(v.any()).describe("Full entity snapshot (omit or null for deletes)"),
            "priority": o(v.string()).describe('Priority: "high", "normal" (default) or "low"'),
        },
        "Queue an entity change for graph sync; a pending item for the same table and entity is updated "
        "in place instead of duplicated.",
        idempotent=True,
        returns="queue item _id (string), existing or new",
    ),
    mutation(
        "graphSync:markSynced",
        {"id": _id()},
        "Mark a queue item as synced to the graph database (clears its last error).",
        idempotent=True,
        returns="null",
    ),
    mutation(
        "graphSync:markFailed",
        {
            "id": _id(),
            "error": v.string().describe("What went wrong during this sync attempt"),
        },
        "Record a failed sync attempt for a queue item; after the 3rd failure the item is given up "
        "(counted as synced). Fails with SYNC_ITEM_NOT_FOUND for an unknown id.",
        returns="null",
    ),
    mutation(
        "graphSync:deleteSyncItem",
        {"id": _id()},
        "Delete one queue item permanently.",
        destructive=True,
        returns="null",
    ),
    query(
        "graphSync:getUnsyncedItems",
        {"limit": _limit()},
        "List queue items still waiting to be synced, most recently queued first.",
        returns="array of graphSyncQueue documents",
    ),
    query(
        "graphSync:getHighPriorityItems",
        {"limit": _limit()},
        'List pending queue items with priority "high", most recently queued first.',
        returns="array of graphSyncQueue documents",
    ),
    query(
        "graphSync:getSyncStats",
        {},
        "Health of the graph sync queue: totals, pending and failed counts, average sync time, "
        "current lag and items per table.",
        returns="{total, unsynced, synced, failed, avgSyncTimeMs, syncLagMs, byTable: {<table>: count}}",
    ),
    query(
        "graphSync:getFailedItems",
        {"limit": _limit()},
        "List queue items that failed at least once (including given-up ones), most recently queued first.",
        returns="array of graphSyncQueue documents",
    ),
    mutation(
        "graphSync:clearSyncedItems",
        {
            "olderThanMs": o(v.number()).describe(
                "Delete synced items whose syncedAt is older than this many ms (default 86400000 = 24 h)"
            ),
        },
        "Delete synced (or given-up) queue items older than a cutoff to keep the queue small.",
        destructive=True,
        idempotent=True,
        returns="{deleted}",
    ),
    mutation(
        "graphSync:purgeAll",
        {},
        "Delete every graph sync queue item (test and development use).",
        destructive=True,
        idempotent=True,
        returns="{deleted}",
    ),
]
