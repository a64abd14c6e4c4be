"""Contract of the `admin` module (spec/backend/admin.md): low-level table maintenance.

These bypass every domain rule (no tenant checks, no cascades): tools for inspection and cleanup.
"""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.validators import v

o = v.optional

TABLE_NAMES = (
    "agents",
    "contexts",
    "conversations",
    "factHistory",
    "facts",
    "governanceEnforcement",
    "governancePolicies",
    "graphSyncQueue",
    "immutable",
    "memories",
    "memorySpaces",
    "mutable",
    "sessions",
)


def _table():
    return v.enum(*TABLE_NAMES).describe("Table name")


def _limit(what: str):
    return o(v.number()).describe(f"Max documents to {what} (default and maximum 1000)")


FUNCTIONS = [
    query(
        "admin:listTable",
        {"table": _table(), "limit": _limit("return")},
        "Dump the raw documents of any table, oldest first (at most 1000; no paging).",
        returns="array of raw documents",
    ),
    mutation(
        "admin:deleteRecord",
        {
            "table": _table(),
            "id": v.union(*(v.id(name) for name in TABLE_NAMES)).describe("Document _id; must belong to `table`"),
        },
        "Delete one raw document by _id, bypassing all domain rules and cascades.",
        destructive=True,
        returns="{deleted: true}",
    ),
    mutation(
        "admin:clearTable",
        {"table": _table(), "limit": _limit("delete")},
        "Delete up to 1000 documents of a table, oldest first; call again while hasMore is true.",
        destructive=True,
        returns="{deleted, hasMore}",
    ),
    query(
        "admin:countTable",
        {"table": _table()},
        "Count the documents of a table (capped at 10000).",
        returns="{count}",
    ),
    query(
        "admin:getAllCounts",
        {},
        "Count the documents of every table (each capped at 10000).",
        returns="{agents, contexts, conversations, ..., sessions}: numbers",
    ),
]
