"""Bulk import of memories over any Backend: `bulk:storeMemories` in batches.

Every record is checked against the contract before the first batch goes out, so a bad record
anywhere writes nothing; each batch is then one transaction on the backend. A Convex deployment
without the cortex-mcp extension gets one `memories:store` per record instead (several in
flight at once): not atomic, and the stored state an export carries (ids, times, versions) is not
kept there — the result says which path was taken.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import anyio

from cortex_mcp.backends.base import Backend, call
from cortex_mcp.contract.bulk import MAX_RECORDS, RECORD
from cortex_mcp.contract.memories import STORE_ARGS
from cortex_mcp.errors import FunctionNotFoundError

log = logging.getLogger(__name__)

# Records per call: as many as Convex takes in process; over HTTP, requests of a few hundred
# kilobytes keep each transaction short on a real deployment.
BATCH_SIZE = {"embedded": MAX_RECORDS}
DEFAULT_BATCH_SIZE = 500
FALLBACK_CONCURRENCY = 8


@dataclass
class ImportResult:
    stored: int = 0
    skipped: int = 0  # records whose memoryId already existed in their memory space
    memory_ids: list[str] = field(default_factory=list)  # one per record, in order
    extension: bool = True  # False: stored one by one with memories:store (see the module doc)


def check_records(records: Sequence[dict]) -> None:
    """Each record against the contract; the error names the record and field (`.memories[3].content`)."""
    for i, record in enumerate(records):
        RECORD.check(record, f".memories[{i}]")


async def store_memories(backend: Backend, records: Sequence[dict], *, batch_size: int | None = None) -> ImportResult:
    """Store `records` (each what `memories:store` takes, plus optional stored state)."""
    size = batch_size or BATCH_SIZE.get(backend.name, DEFAULT_BATCH_SIZE)
    if not 1 <= size <= MAX_RECORDS:
        raise ValueError(f"batch_size must be between 1 and {MAX_RECORDS}")
    if len(records) > size:  # one batch is checked by the backend, in the same transaction
        check_records(records)
    result = ImportResult()
    for start in range(0, len(records), size):
        batch = list(records[start : start + size])
        try:
            reply = await call(backend, "bulk:storeMemories", {"memories": batch})
        except FunctionNotFoundError:
            if start:
                raise  # the function vanished mid-import; do not mix the two paths
            log.warning("%s lacks bulk:storeMemories; storing %d memories one by one", backend.name, len(records))
            return await _store_one_by_one(backend, records)
        result.stored += reply["stored"]
        result.skipped += reply["skipped"]
        result.memory_ids.extend(reply["memoryIds"])
    return result


async def _store_one_by_one(backend: Backend, records: Sequence[dict]) -> ImportResult:
    ids: list[str] = [""] * len(records)
    pending = iter(enumerate(records))

    async def worker() -> None:
        for i, record in pending:  # the workers share one iterator: each record goes out once
            args = {key: value for key, value in record.items() if key in STORE_ARGS}
            ids[i] = (await call(backend, "memories:store", args))["memoryId"]

    async with anyio.create_task_group() as group:
        for _ in range(min(FALLBACK_CONCURRENCY, len(records))):
            group.start_soon(worker)
    return ImportResult(stored=len(records), memory_ids=ids, extension=False)
