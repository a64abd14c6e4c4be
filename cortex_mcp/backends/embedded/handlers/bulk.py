"""Embedded handler of the `bulk` extension: many memories stored in one transaction."""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.handlers.memories import TABLE, new_memory
from cortex_mcp.backends.embedded.store import Tx
from cortex_mcp.contract.bulk import MAX_RECORDS, RESTORE_ARGS
from cortex_mcp.errors import plain_error


def _restored(record: dict, now: int) -> dict:
    """The new memory document for a record: `memories:store`'s, then the stored state it carries."""
    doc = new_memory(record, now)
    for key in RESTORE_ARGS:
        if key in record:
            doc[key] = record[key]
    if "createdAt" in record and "updatedAt" not in record:
        doc["updatedAt"] = record["createdAt"]
    return doc


@handler("bulk:storeMemories")
def store_memories(tx: Tx, args: dict) -> Any:
    records = args["memories"]
    if len(records) > MAX_RECORDS:
        raise plain_error(f"memories: at most {MAX_RECORDS} records per call (got {len(records)}); send batches")
    memory_ids: list[str] = []
    new_docs: list[dict] = []
    given: dict[str, str] = {}  # memoryId given in this call -> its memory space
    for i, record in enumerate(records):
        doc = _restored(record, tx.now)
        memory_id = doc["memoryId"]
        memory_ids.append(memory_id)
        if "memoryId" in record:
            space = given.get(memory_id)
            if space is None:
                existing = tx.query(TABLE).index("by_memoryId", memory_id).first()
                space = existing["memorySpaceId"] if existing else None
            if space is not None:
                if space != record["memorySpaceId"]:
                    raise plain_error(f"memories[{i}].memoryId: {memory_id!r} already belongs to another memory space")
                continue  # already stored: importing again adds nothing
            given[memory_id] = record["memorySpaceId"]
        new_docs.append(doc)
    tx.insert_many(TABLE, new_docs)
    return {"stored": len(new_docs), "skipped": len(records) - len(new_docs), "memoryIds": memory_ids}
