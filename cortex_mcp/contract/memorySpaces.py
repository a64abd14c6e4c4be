"""Contract of the `memorySpaces` module (spec/backend/memorySpaces.md): the memory space registry."""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.enums import MEMORY_SPACE_STATUSES, MEMORY_SPACE_TYPES
from cortex_mcp.contract.validators import v

o = v.optional


def _type():
    return v.enum(*MEMORY_SPACE_TYPES)


def _status():
    return v.enum(*MEMORY_SPACE_STATUSES)


def _participant():
    return v.object(
        {
            "id": v.string().describe("Participant id (agent, user or tool id)"),
            "type": v.string().describe("Free-text participant kind, e.g. ai-agent, human, ai-tool, system"),
            "joinedAt": v.number().describe("When the participant joined (epoch ms)"),
        }
    )


FUNCTIONS = [
    mutation(
        "memorySpaces:register",
        {
            "memorySpaceId": v.string().describe("Memory space id (unique globally, or per tenant)"),
            "name": o(v.string()).describe("Display name"),
            "type": _type().describe("Kind of space: personal, team, project or custom"),
            "tenantId": o(v.string()).describe("Tenant that owns the space (omit for a global space)"),
            "participants": o(v.array(_participant())).describe("Initial participants (default none)"),
            "metadata": o(v.any()).describe("Free-form metadata (default {})"),
        },
        "Register a memory space; fails with MEMORYSPACE_ALREADY_EXISTS if the id exists in that tenant scope.",
        returns="the new memory space document",
    ),
    mutation(
        "memorySpaces:update",
        {
            "memorySpaceId": v.string().describe("Memory space id"),
            "name": o(v.string()).describe("New display name"),
            "metadata": o(v.any()).describe("Replaces the whole metadata (no merge)"),
            "status": o(_status()).describe("New status"),
        },
        "Change a memory space's name, metadata or status; fails with MEMORYSPACE_NOT_FOUND if unknown.",
        idempotent=True,
        returns="the updated memory space document",
    ),
    mutation(
        "memorySpaces:addParticipant",
        {
            "memorySpaceId": v.string().describe("Memory space id"),
            "participant": _participant().describe("Participant to append"),
        },
        "Add one participant to a memory space; fails with PARTICIPANT_ALREADY_EXISTS if its id is already there.",
        returns="the updated memory space document",
    ),
    mutation(
        "memorySpaces:removeParticipant",
        {
            "memorySpaceId": v.string().describe("Memory space id"),
            "participantId": v.string().describe("Id of the participant to remove (no error if absent)"),
        },
        "Remove a participant from a memory space by id.",
        destructive=True,
        idempotent=True,
        returns="the updated memory space document",
    ),
    mutation(
        "memorySpaces:archive",
        {
            "memorySpaceId": v.string().describe("Memory space id"),
            "reason": o(v.string()).describe("Why it is archived (stored as metadata.archiveReason)"),
            "metadata": o(v.any()).describe("Object merged into the existing metadata"),
        },
        "Archive a memory space (status archived, stamps metadata.archivedAt); its data is kept.",
        idempotent=True,
        returns="the updated memory space document",
    ),
    mutation(
        "memorySpaces:reactivate",
        {"memorySpaceId": v.string().describe("Memory space id")},
        "Set an archived memory space back to active.",
        idempotent=True,
        returns="the updated memory space document",
    ),
    mutation(
        "memorySpaces:deleteSpace",
        {
            "memorySpaceId": v.string().describe("Memory space id"),
            "tenantId": o(v.string()).describe("Tenant of the space to delete (omit for a global space)"),
            "cascade": v.boolean().describe("true also deletes the space's conversations, memories and facts"),
            "reason": v.string().describe("Why it is deleted (echoed back, not stored)"),
            "confirmId": o(v.string()).describe("Safety check: must equal memorySpaceId when given"),
        },
        "Delete a memory space registration, optionally with all its conversations, memories and facts.",
        destructive=True,
        returns="{memorySpaceId, deleted, cascade: {conversationsDeleted, memoriesDeleted, factsDeleted, "
        "totalBytes}, reason, deletedAt}",
    ),
    query(
        "memorySpaces:get",
        {
            "memorySpaceId": v.string().describe("Memory space id"),
            "tenantId": o(v.string()).describe("Tenant scope (omit for a global space)"),
        },
        "Get one memory space by id within a tenant scope; null when not registered there.",
        returns="memory space document or null",
    ),
    query(
        "memorySpaces:list",
        {
            "type": o(_type()).describe("Only spaces of this type"),
            "status": o(_status()).describe("Only spaces with this status"),
            "participant": o(v.string()).describe("Only spaces having a participant with this id"),
            "limit": o(v.number()).describe("Page size (default 100)"),
            "offset": o(v.number()).describe("Spaces to skip (default 0)"),
            "sortBy": o(v.enum("createdAt", "updatedAt", "name")).describe("Sort key (default createdAt)"),
            "sortOrder": o(v.enum("asc", "desc")).describe("Sort direction (default desc)"),
            "tenantId": o(v.string()).describe("Only spaces of this tenant (omit for every tenant)"),
        },
        "List memory spaces with filters, sorting and paging, with the total match count.",
        returns="{spaces, total, hasMore, offset}",
    ),
    query(
        "memorySpaces:count",
        {
            "type": o(_type()).describe("Count only this type"),
            "status": o(_status()).describe("Count only this status"),
        },
        "Count memory spaces across all tenants.",
        returns="number",
    ),
    query(
        "memorySpaces:getStats",
        {
            "memorySpaceId": v.string().describe("Memory space id"),
            "timeWindow": o(v.enum("24h", "7d", "30d", "90d", "all")).describe(
                "Window for the *ThisWindow counts (default all)"
            ),
            "includeParticipants": o(v.boolean()).describe("true adds a per-participant activity breakdown"),
        },
        "Statistics of a memory space: memories, conversations, current facts, top tags, importance breakdown.",
        returns="{memorySpaceId, totalMemories, totalConversations, totalFacts, totalMessages, memoriesThisWindow, "
        "conversationsThisWindow, storage, topTags, importanceBreakdown, participants?}",
    ),
    query(
        "memorySpaces:findByParticipant",
        {"participantId": v.string().describe("Participant id")},
        "Find every memory space (any tenant or status) that has this participant.",
        returns="array of memory space documents",
    ),
    query(
        "memorySpaces:search",
        {
            "query": v.string().describe("Case-insensitive text found in the name, id or metadata"),
            "type": o(_type()).describe("Only spaces of this type"),
            "status": o(_status()).describe("Only spaces with this status"),
            "limit": o(v.number()).describe("Max results (default 50)"),
        },
        "Find memory spaces whose name, id or metadata contains a text (substring match, oldest first).",
        returns="array of memory space documents",
    ),
    mutation(
        "memorySpaces:updateParticipants",
        {
            "memorySpaceId": v.string().describe("Memory space id"),
            "add": o(v.array(_participant())).describe("Participants to add (ids already present are skipped)"),
            "remove": o(v.array(v.string())).describe("Participant ids to remove (applied before add)"),
        },
        "Add and remove several participants of a memory space in one call.",
        destructive=True,
        idempotent=True,
        returns="the updated memory space document",
    ),
    mutation(
        "memorySpaces:purgeAll",
        {},
        "Delete every memory space registration, all tenants (test and development use; data is kept).",
        destructive=True,
        returns="{deleted}",
    ),
]
