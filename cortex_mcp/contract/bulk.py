"""Contract of the `bulk` module — a cortex-mcp extension, not an upstream Cortex module.

`bulk:storeMemories` stores many memories in one transaction (an import, a benchmark's loader):
every record is what `memories:store` takes, plus the optional stored state an export carries
(`memoryId`, times, versions, access counts), so an export imports back as it was. A record whose
`memoryId` already exists in the same memory space is skipped, so re-running an import adds
nothing. One bad record fails the whole call and nothing is written.
"""

from cortex_mcp.contract.catalog import mutation
from cortex_mcp.contract.memories import STORE_ARGS
from cortex_mcp.contract.validators import v

o = v.optional

# Convex refuses arrays of more than 8192 values; the api layer (api/bulk.py) sends batches.
MAX_RECORDS = 8192

# Stored state an export carries; absent fields get what `memories:store` would set.
RESTORE_ARGS = {
    "memoryId": o(v.string()).describe("Keep this memory id (an existing one in the space is skipped)"),
    "sourceTimestamp": o(v.number()).describe("Source time (epoch ms); default now"),
    "createdAt": o(v.number()).describe("Creation time (epoch ms); default now"),
    "updatedAt": o(v.number()).describe("Last update (epoch ms); default createdAt"),
    "lastAccessed": o(v.number()).describe("Last access (epoch ms)"),
    "accessCount": o(v.number()).describe("Access count; default 0"),
    "version": o(v.number()).describe("Version; default 1"),
    "previousVersions": o(
        v.array(
            v.object(
                {
                    "version": v.number(),
                    "content": v.string(),
                    "embedding": o(v.array(v.number())),
                    "timestamp": v.number(),
                }
            )
        )
    ).describe("Earlier versions; default none"),
    "metadata": o(v.any()).describe("Free-form metadata"),
}

RECORD = v.object({**STORE_ARGS, **RESTORE_ARGS})

FUNCTIONS = [
    mutation(
        "bulk:storeMemories",
        {"memories": v.array(RECORD).describe(f"Memories to store (at most {MAX_RECORDS} per call)")},
        "Store many memories in one transaction (import); records with an existing memoryId are skipped.",
        idempotent=True,
        returns="{stored, skipped, memoryIds}",
        extension=True,
    ),
]
