"""Contract of the `bulk` module — a cortex-mcp extension, not an upstream Cortex module.

`bulk:storeMemories` stores many memories in one transaction (an import, a benchmark's loader):
every record is what `memories:store` takes, plus the optional stored state an export carries
(`memoryId`, times, versions, access counts), so an export imports back as it was. A record whose
`memoryId` already exists in the same memory space is skipped (or, with `onConflict: "replace"`,
replaced when it differs), so re-running an import adds nothing. One bad record fails the whole
call and nothing is written.

`bulk:exportPage` and `bulk:importDocuments` carry every other layer the same way, for
`cortex-mcp export` / `import` (cortex_mcp/data/, docs/export-format.md): a page of stored
documents of one layer at a time, and a batch of them written back in one transaction, each
document matched with the stored one by its layer's own id (`KEYS`).
"""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.enums import CONFLICT_POLICIES, EXPORT_LAYERS
from cortex_mcp.contract.memories import STORE_ARGS
from cortex_mcp.contract.validators import v

o = v.optional

# Convex refuses arrays of more than 8192 values; the api layer (api/bulk.py) sends batches.
MAX_RECORDS = 8192

# Stored state an export carries; absent fields get what `memories:store` would set.
RESTORE_ARGS = {
    "memoryId": o(v.string()).describe("Keep this memory id (an existing one in the space is skipped)"),
    "sourceTimestamp": o(v.number()).describe("Source time (epoch ms); default createdAt"),
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
    "isPartial": o(v.boolean()).describe("Still streaming (memories:storePartialMemory)"),
    "partialMetadata": o(v.any()).describe("Streaming state of a partial memory"),
}

# The table behind each export layer; `users` are the `user` rows of `immutable`, and agent
# messages the `agent-agent` conversations (a2a), so each record is exported once.
LAYER_TABLE = {
    "spaces": "memorySpaces",
    "agents": "agents",
    "users": "immutable",
    "conversations": "conversations",
    "agentMessages": "conversations",
    "memories": "memories",
    "facts": "facts",
    "factHistory": "factHistory",
    "contexts": "contexts",
    "immutable": "immutable",
    "mutable": "mutable",
    "sessions": "sessions",
}
# The fields that identify a document of a layer: an imported document with the same values is
# the same record (skipped when equal, else a conflict).
KEYS = {
    "spaces": ("memorySpaceId",),
    "agents": ("agentId",),
    "users": ("type", "id"),
    "conversations": ("conversationId",),
    "agentMessages": ("conversationId",),
    "memories": ("memoryId",),
    "facts": ("factId",),
    "factHistory": ("eventId",),
    "contexts": ("contextId",),
    "immutable": ("type", "id", "tenantId"),
    "mutable": ("namespace", "key", "tenantId"),
    "sessions": ("sessionId",),
}
MAX_PAGE = 1000
_policy = o(v.enum(*CONFLICT_POLICIES)).describe(
    "An existing record that differs: skip it (default), replace it, or fail the whole call"
)
_dry_run = o(v.boolean()).describe("Only count what would be written")
_counts = "{stored, skipped, replaced, conflicts}"

RECORD = v.object({**STORE_ARGS, **RESTORE_ARGS})

FUNCTIONS = [
    mutation(
        "bulk:storeMemories",
        {
            "memories": v.array(RECORD).describe(f"Memories to store (at most {MAX_RECORDS} per call)"),
            "onConflict": _policy,
            "dryRun": _dry_run,
        },
        "Store many memories in one transaction (import); records with an existing memoryId are skipped.",
        destructive=True,  # onConflict "replace" overwrites
        idempotent=True,
        returns=f"{_counts[:-1]}, memoryIds}}",
        extension=True,
    ),
    query(
        "bulk:exportPage",
        {
            "layer": v.enum(*EXPORT_LAYERS).describe("Layer to read"),
            "memorySpaceId": o(v.string()).describe("Only this memory space (layers without one give nothing)"),
            "userId": o(v.string()).describe("Only this user's records (layers without one give nothing)"),
            "since": o(v.number()).describe("Only records changed at or after this time (epoch ms)"),
            "embeddings": o(v.boolean()).describe("Keep memories' vectors (default: left out)"),
            "cursor": o(v.string()).describe("Continue after the page that returned it"),
            "limit": o(v.number()).describe(f"Documents per page, 1-{MAX_PAGE} (default {MAX_PAGE})"),
        },
        "Read one page of a layer's stored documents in creation order (export).",
        returns="{page, cursor, isDone}",
        extension=True,
    ),
    mutation(
        "bulk:importDocuments",
        {
            "layer": v.enum(*(layer for layer in EXPORT_LAYERS if layer != "memories")).describe(
                "Layer to write (memories go through bulk:storeMemories)"
            ),
            "documents": v.array(v.any()).describe(
                f"Documents as bulk:exportPage gives them (at most {MAX_RECORDS} per call)"
            ),
            "onConflict": _policy,
            "dryRun": _dry_run,
        },
        "Write exported documents of one layer in one transaction; an existing equal record is skipped.",
        destructive=True,  # onConflict "replace" overwrites
        idempotent=True,
        returns=_counts,
        extension=True,
    ),
]
