"""Contract of the `gdpr` module — a cortex-mcp extension, not an upstream Cortex module.

Upstream erases a user with a client-side cascade of many calls, which can stop half way. These
functions find, and delete, everything of one user across every layer and memory space as
one transaction: the delete either completes or changes nothing (see docs/parity.md).
`deleteMessages` erases single messages (upstream can only delete a whole conversation), so
forget can make an exchange's words unsearchable; `factsBySource` finds the facts forget retracts
with a memory through an index (upstream scans the space's facts).
"""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.validators import v

FUNCTIONS = [
    query(
        "gdpr:findUserData",
        {"userId": v.string().describe("User whose data to find")},
        "List every record of a user in every layer and memory space (what a cascade delete would remove).",
        returns="{userId, profile, memorySpaceIds, counts, items, total}",
        extension=True,
    ),
    mutation(
        "gdpr:deleteUserData",
        {
            "userId": v.string().describe("User whose data to erase"),
            "dryRun": v.optional(v.boolean()).describe("Only report what would be deleted"),
        },
        "Erase a user's data from every layer of every memory space (conversations, memories, facts and "
        "their history, contexts, sessions, mutable and immutable records, the profile) in one transaction.",
        destructive=True,
        idempotent=True,
        returns="{userId, dryRun, deleted, deletedAt, profile, memorySpaceIds, counts, items, total}",
        extension=True,
    ),
    mutation(
        "gdpr:deleteMessages",
        {
            "conversationId": v.string().describe("Conversation holding the messages"),
            "messageIds": v.array(v.string()).describe("Messages to erase; unknown ids are skipped"),
        },
        "Erase some messages of a conversation (the rest and the conversation stay).",
        destructive=True,
        idempotent=True,
        returns="{deleted, conversationId, messageIds}",
        extension=True,
    ),
    query(
        "gdpr:factsBySource",
        {
            "memorySpaceId": v.string().describe("Memory space of the facts"),
            "sourceMemoryId": v.optional(v.string()).describe("Facts whose sourceRef.memoryId is this memory"),
            "sourceConversationId": v.optional(v.string()).describe(
                "Facts whose sourceRef.conversationId is this conversation"
            ),
            "validAt": v.optional(v.number()).describe("Only facts valid at this time (ms); default: any"),
        },
        "List a space's facts derived from a memory or a conversation (either source matches), oldest first; "
        "superseded versions left out.",
        returns="[fact]",
        extension=True,
    ),
]
