"""Embedded handlers of the `admin` module (spec/backend/admin.md)."""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.store import Tx
from cortex_mcp.contract.admin import TABLE_NAMES
from cortex_mcp.errors import plain_error
from cortex_mcp.ids import table_of_id

MAX_LIMIT = 1000
COUNT_CAP = 10_000


def _limit(args: dict) -> Any:
    """`Math.min(limit ?? 1000, 1000)`; a negative or fractional result fails in `take`."""
    return min(args.get("limit", MAX_LIMIT), MAX_LIMIT)


def _count(tx: Tx, table: str) -> int:
    return min(tx.query(table).count(), COUNT_CAP)


@handler("admin:listTable")
def list_table(tx: Tx, args: dict) -> Any:
    return tx.query(args["table"]).take(_limit(args))


@handler("admin:deleteRecord")
def delete_record(tx: Tx, args: dict) -> Any:
    doc_id, table = args["id"], args["table"]
    actual = table_of_id(doc_id)
    # Deviation: upstream ignores `table` and deletes the id from whichever table owns it.
    if actual != table:
        raise plain_error(f'Document ID {doc_id} belongs to table "{actual}", not "{table}"; nothing was deleted')
    tx.delete(doc_id)  # a missing document: "Delete on nonexistent document ID <id>"
    return {"deleted": True}


@handler("admin:clearTable")
def clear_table(tx: Tx, args: dict) -> Any:
    rows = tx.query(args["table"]).take(_limit(args))
    tx.delete_all(rows)
    # Deviation: upstream reports hasMore = (deleted == limit), true even when the table is now
    # empty and forever for limit 0; here it says whether documents remain.
    return {"deleted": len(rows), "hasMore": tx.query(args["table"]).first() is not None}


@handler("admin:countTable")
def count_table(tx: Tx, args: dict) -> Any:
    return {"count": _count(tx, args["table"])}


@handler("admin:getAllCounts")
def get_all_counts(tx: Tx, args: dict) -> Any:
    return {table: _count(tx, table) for table in TABLE_NAMES}
