"""Contract of the `memories` module (spec/backend/memories.md): Layer 2 versioned vector memory."""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.enums import CONTENT_TYPES, MEMORY_SOURCE_FILTERS, MEMORY_SOURCE_TYPES, MESSAGE_ROLES
from cortex_mcp.contract.validators import Validator, v

o = v.optional
# `store`, `list` and `count` accept five source types; `search`, `deleteMany`, `updateMany` only four.


def _space(text: str = "Memory space id") -> Validator:
    return v.string().describe(text)


def _memory_id() -> Validator:
    return v.string().describe("Memory id (mem-...)")


# `memories:store` arguments; the bulk extension (contract/bulk.py) takes the same per record.
STORE_ARGS: dict[str, Validator] = {
    "memorySpaceId": _space("Memory space to store the memory in"),
    "participantId": o(v.string()).describe("Hive-mode participant that created it"),
    "tenantId": o(v.string()).describe("Multi-tenant isolation key (stored as given)"),
    "content": v.string().describe("The memory text"),
    "contentType": v.enum(*CONTENT_TYPES).describe("raw, summarized or fact"),
    "embedding": o(v.array(v.number())).describe("Embedding vector for semantic search (any length)"),
    "sourceType": v.enum(*MEMORY_SOURCE_TYPES).describe("Where the memory came from"),
    "sourceUserId": o(v.string()).describe("User who produced the source content"),
    "sourceUserName": o(v.string()).describe("Display name of that user"),
    "userId": o(v.string()).describe("User who owns the memory (GDPR cascade)"),
    "agentId": o(v.string()).describe("Agent who owns the memory"),
    "messageRole": o(v.enum(*MESSAGE_ROLES)).describe("Role of the source message (user memories rank higher)"),
    "enrichedContent": o(v.string()).describe("Enriched/expanded text (slight search boost)"),
    "factCategory": o(v.string()).describe("Fact category (boosted by search queryCategory)"),
    "conversationRef": o(
        v.object(
            {
                "conversationId": v.string().describe("Source conversation id"),
                "messageIds": v.array(v.string()).describe("Source message ids"),
            }
        )
    ).describe("Link to the source conversation messages"),
    "immutableRef": o(
        v.object(
            {
                "type": v.string().describe("Immutable record type"),
                "id": v.string().describe("Immutable record id"),
                "version": o(v.number()).describe("Record version"),
            }
        )
    ).describe("Link to an immutable record"),
    "mutableRef": o(
        v.object(
            {
                "namespace": v.string().describe("Mutable namespace"),
                "key": v.string().describe("Mutable key"),
                "snapshotValue": v.any().describe("Value at snapshot time (required key, null allowed)"),
                "snapshotAt": v.number().describe("Snapshot time (epoch ms)"),
            }
        )
    ).describe("Snapshot link to a mutable record"),
    "factsRef": o(
        v.object(
            {
                "factId": v.string().describe("Fact id"),
                "version": o(v.number()).describe("Fact version"),
            }
        )
    ).describe("Link to a fact"),
    "importance": v.number().describe("Importance, intended 0-100"),
    "tags": v.array(v.string()).describe("Tags"),
}


FUNCTIONS = [
    mutation(
        "memories:store",
        STORE_ARGS,
        "Store a new memory (version 1) in a memory space; use for anything the agent should recall later.",
        returns="the inserted memory document",
    ),
    mutation(
        "memories:storePartialMemory",
        {
            "memorySpaceId": _space(),
            "participantId": o(v.string()).describe("Hive-mode participant"),
            "conversationId": v.string().describe("Conversation being streamed"),
            "userId": v.string().describe("User the memory belongs to"),
            "content": v.string().describe("Partial content so far"),
            "isPartial": v.boolean().describe("Whether the memory is still partial"),
            "metadata": v.any().describe("Streaming metadata (required; null allowed)"),
            "importance": v.number().describe("Importance, intended 0-100"),
            "tags": v.array(v.string()).describe("Tags"),
        },
        "Start a streaming (partial) memory that is later updated and finalized.",
        returns="{memoryId, _id}",
    ),
    mutation(
        "memories:updatePartialMemory",
        {
            "memoryId": _memory_id(),
            "content": v.string().describe("Replacement content"),
            "metadata": v.any().describe("Replacement streaming metadata (required; null allowed)"),
        },
        "Replace the content of a streaming memory in progress (no new version).",
        destructive=True,
        idempotent=True,
        returns="{success: true}",
    ),
    mutation(
        "memories:finalizePartialMemory",
        {
            "memoryId": _memory_id(),
            "content": v.string().describe("Final content"),
            "embedding": o(v.array(v.number())).describe("Final embedding; when omitted the stored one is removed"),
            "metadata": v.any().describe("Final streaming metadata (required; null allowed)"),
        },
        "Finish a streaming memory: final content, drops streaming/partial tags, marks it complete.",
        destructive=True,
        idempotent=True,
        returns="{success: true}",
    ),
    mutation(
        "memories:deleteMemory",
        {"memorySpaceId": _space("Memory space that owns the memory"), "memoryId": _memory_id()},
        "Permanently delete one memory (no cascade to facts or conversations).",
        destructive=True,
        returns="{deleted: true, memoryId}",
    ),
    query(
        "memories:get",
        {"memorySpaceId": _space(), "memoryId": _memory_id()},
        "Get one memory by id; null when missing or in another memory space.",
        returns="memory document or null",
    ),
    query(
        "memories:search",
        {
            "memorySpaceId": _space("Memory space to search"),
            "query": v.string().describe("Keyword query (required; ignored when embedding is given)"),
            "embedding": o(v.array(v.number())).describe("Query vector: non-empty switches to semantic search"),
            "userId": o(v.string()).describe("Only memories whose userId or sourceUserId equals this"),
            "tags": o(v.array(v.string())).describe("Only memories having any of these tags"),
            "sourceType": o(v.enum(*MEMORY_SOURCE_FILTERS)).describe("Only this source type"),
            "minImportance": o(v.number()).describe("Only importance >= this"),
            "minScore": o(v.number()).describe("Semantic mode: only weighted _score >= this"),
            "queryCategory": o(v.string()).describe("Semantic mode: boost memories with this factCategory"),
            "limit": o(v.number()).describe("Max results (default 20)"),
        },
        "Find relevant memories by keywords (full-text) or by embedding similarity; the recall workhorse.",
        returns="array of memory documents (with _score in semantic mode), best first",
    ),
    query(
        "memories:list",
        {
            "memorySpaceId": _space(),
            "userId": o(v.string()).describe("Only memories with this userId"),
            "sourceType": o(v.enum(*MEMORY_SOURCE_TYPES)).describe("Only this source type"),
            "limit": o(v.number()).describe("Max memories (default 100)"),
        },
        "List the newest memories of a memory space.",
        returns="array of memory documents, newest first",
    ),
    query(
        "memories:count",
        {
            "memorySpaceId": _space(),
            "userId": o(v.string()).describe("Count only memories with this userId"),
            "sourceType": o(v.enum(*MEMORY_SOURCE_TYPES)).describe("Count only this source type"),
        },
        "Count the memories of a memory space.",
        returns="number",
    ),
    mutation(
        "memories:update",
        {
            "memorySpaceId": _space("Memory space that owns the memory"),
            "memoryId": _memory_id(),
            "content": o(v.string()).describe("New content (empty keeps the current one)"),
            "embedding": o(v.array(v.number())).describe("New embedding (replaces, even [])"),
            "importance": o(v.number()).describe("New importance"),
            "tags": o(v.array(v.string())).describe("New tags (replaces; [] clears)"),
        },
        "Edit a memory, keeping the old content/embedding as a previous version.",
        destructive=True,
        returns="the updated memory document",
    ),
    query(
        "memories:getVersion",
        {
            "memorySpaceId": _space(),
            "memoryId": _memory_id(),
            "version": v.number().describe("Version number (1 = original)"),
        },
        "Get one version of a memory's content; null when missing.",
        returns="{memoryId, version, content, embedding?, timestamp} or null",
    ),
    query(
        "memories:getHistory",
        {"memorySpaceId": _space(), "memoryId": _memory_id()},
        "Get every version of a memory's content, oldest first.",
        returns="array of {memoryId, version, content, embedding?, timestamp}",
    ),
    mutation(
        "memories:deleteMany",
        {
            "memorySpaceId": _space("Memory space to delete from"),
            "userId": o(v.string()).describe("Only memories whose userId or sourceUserId equals this"),
            "sourceType": o(v.enum(*MEMORY_SOURCE_FILTERS)).describe("Only this source type"),
        },
        "Delete every memory of a space matching the filters (no filters: the whole space).",
        destructive=True,
        idempotent=True,
        returns="{deleted, memoryIds}",
    ),
    mutation(
        "memories:deleteByIds",
        {"memoryIds": v.array(v.string()).describe("Memory ids to delete (any space)")},
        "Delete memories by id; unknown ids are skipped.",
        destructive=True,
        idempotent=True,
        returns="{deleted, memoryIds}",
    ),
    mutation(
        "memories:purgeAll",
        {},
        "Delete every memory in every space (test and development use).",
        destructive=True,
        idempotent=True,
        returns="{deleted}",
    ),
    query(
        "memories:exportMemories",
        {
            "memorySpaceId": _space("Memory space to export"),
            "userId": o(v.string()).describe("Only memories whose userId or sourceUserId equals this"),
            "format": v.enum("json", "csv").describe("json or csv"),
            "includeEmbeddings": o(v.boolean()).describe("JSON only: include embeddings (default false)"),
        },
        "Export a memory space's memories as a JSON or CSV string.",
        returns="{format, data, count, exportedAt}",
    ),
    mutation(
        "memories:updateMany",
        {
            "memorySpaceId": _space(),
            "userId": o(v.string()).describe("Only memories with this userId"),
            "sourceType": o(v.enum(*MEMORY_SOURCE_FILTERS)).describe("Only this source type"),
            "importance": o(v.number()).describe("Set this importance on every match"),
            "tags": o(v.array(v.string())).describe("Replace the tags of every match ([] clears)"),
        },
        "Set importance and/or replace tags on every memory of a space matching the filters.",
        destructive=True,
        returns="{updated, memoryIds}",
    ),
    mutation(
        "memories:archive",
        {"memorySpaceId": _space("Memory space that owns the memory"), "memoryId": _memory_id()},
        "Soft-delete a memory: tag it archived and cap its importance at 10 (restorable).",
        destructive=True,
        returns="{archived: true, memoryId, restorable: true}",
    ),
    mutation(
        "memories:restoreFromArchive",
        {"memorySpaceId": _space("Memory space that owns the memory"), "memoryId": _memory_id()},
        "Undo archive: remove the archived tag and raise importance to at least 50.",
        returns="{restored: true, memoryId, memory}",
    ),
    query(
        "memories:getAtTimestamp",
        {
            "memorySpaceId": _space(),
            "memoryId": _memory_id(),
            "timestamp": v.number().describe("Point in time (epoch ms)"),
        },
        "Get the version of a memory's content that was current at a point in time; null if none.",
        returns="{memoryId, version, content, embedding?, timestamp} or null",
    ),
]
