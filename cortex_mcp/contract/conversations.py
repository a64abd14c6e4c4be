"""Contract of the `conversations` module (spec/backend/conversations.md): the ACID conversation log (Layer 1a)."""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.enums import CONVERSATION_TYPES, MESSAGE_ROLES
from cortex_mcp.contract.validators import v

o = v.optional


def TYPE():  # noqa: N802 - a fresh validator per use, since .describe() sets it in place
    return v.enum(*CONVERSATION_TYPES)


def ROLE():  # noqa: N802
    return v.enum(*MESSAGE_ROLES)


def _participants():
    return v.object(
        {
            "userId": o(v.string()).describe("User taking part (required for user-agent)"),
            "agentId": o(v.string()).describe("Agent taking part (required for user-agent)"),
            "participantId": o(v.string()).describe("Hive-mode participant"),
            "memorySpaceIds": o(v.array(v.string())).describe(
                "Memory spaces taking part (at least 2 for agent-agent)"
            ),
        }
    )


FUNCTIONS = [
    mutation(
        "conversations:create",
        {
            "conversationId": v.string().describe("Caller-chosen unique conversation id, e.g. conv-abc123"),
            "memorySpaceId": v.string().describe("Owning memory space"),
            "participantId": o(v.string()).describe("Hive-mode participant creating the conversation"),
            "tenantId": o(v.string()).describe("Tenant that owns the conversation"),
            "type": TYPE().describe("user-agent (needs userId and agentId) or agent-agent (needs 2+ memorySpaceIds)"),
            "participants": _participants().describe("Who takes part in the conversation"),
            "metadata": o(v.any()).describe("Free-form metadata (default {})"),
        },
        "Start a new conversation with a caller-chosen id; fails with CONVERSATION_ALREADY_EXISTS if the id is taken.",
        returns="the new conversation document",
    ),
    mutation(
        "conversations:addMessage",
        {
            "conversationId": v.string().describe("Conversation to append to"),
            "message": v.object(
                {
                    "id": v.string().describe("Message id (not checked for uniqueness)"),
                    "role": ROLE().describe("Who spoke"),
                    "content": v.string().describe("Message text"),
                    "participantId": o(v.string()).describe("Hive-mode participant that sent it"),
                    "metadata": o(v.any()).describe("Free-form message metadata"),
                }
            ).describe("The message; the server sets its timestamp"),
        },
        "Append one message to a conversation's log (append-only; timestamped by the server).",
        returns="the updated conversation document with all messages",
    ),
    mutation(
        "conversations:deleteConversation",
        {"conversationId": v.string().describe("Conversation to delete")},
        "Permanently delete one conversation and all its messages (memories referencing it stay).",
        destructive=True,
        returns="{deleted: true, conversationId, messagesDeleted, deletedAt, restorable: false}",
    ),
    mutation(
        "conversations:deleteMany",
        {
            "userId": o(v.string()).describe("Only conversations with this user"),
            "memorySpaceId": o(v.string()).describe("Only conversations in this memory space"),
            "type": o(TYPE()).describe("Only conversations of this type"),
            "dryRun": o(v.boolean()).describe("Preview what would be deleted without deleting"),
            "confirmationThreshold": o(v.number()).describe(
                "Refuse to delete more than this many conversations (default 10)"
            ),
        },
        "Delete all conversations matching the filters (no filter = all); run with dryRun first.",
        destructive=True,
        returns="{deleted, totalMessagesDeleted, conversationIds, dryRun, wouldDelete?, wouldDeleteMessages?}",
    ),
    mutation(
        "conversations:deleteByIds",
        {"conversationIds": v.array(v.string()).describe("Conversation ids to delete; unknown ids are skipped")},
        "Delete several conversations by id.",
        destructive=True,
        returns="{deleted, conversationIds, totalMessagesDeleted}",
    ),
    mutation(
        "conversations:purgeAll",
        {},
        "Delete every conversation of every tenant (test and development use).",
        destructive=True,
        returns="{deleted, totalMessagesDeleted}",
    ),
    query(
        "conversations:getMessage",
        {
            "conversationId": v.string().describe("Conversation id"),
            "messageId": v.string().describe("Message id"),
        },
        "Get one message of a conversation by its id; null when not found.",
        returns="message object or null",
    ),
    query(
        "conversations:getMessagesByIds",
        {
            "conversationId": v.string().describe("Conversation id"),
            "messageIds": v.array(v.string()).describe("Message ids to fetch"),
        },
        "Get several messages of a conversation by id, in chronological order.",
        returns="array of message objects",
    ),
    mutation(
        "conversations:getOrCreate",
        {
            "memorySpaceId": v.string().describe("Memory space to look in (user-agent) and to create in"),
            "participantId": o(v.string()).describe("Hive-mode participant, stored only on creation"),
            "type": TYPE().describe("user-agent (needs userId and agentId) or agent-agent (needs 2+ memorySpaceIds)"),
            "participants": _participants().describe("Who takes part in the conversation"),
            "metadata": o(v.any()).describe("Metadata, used only when creating (default {})"),
        },
        "Return the existing conversation for these participants, or create one with a generated id.",
        idempotent=True,
        returns="the existing or new conversation document",
    ),
    query(
        "conversations:findConversation",
        {
            "memorySpaceId": v.string().describe("Memory space (used for user-agent lookups)"),
            "type": TYPE().describe("Conversation type"),
            "userId": o(v.string()).describe("User of a user-agent conversation"),
            "memorySpaceIds": o(v.array(v.string())).describe("Memory spaces of an agent-agent conversation"),
        },
        "Find the existing conversation between these participants without creating one; null when none.",
        returns="conversation document or null",
    ),
    query(
        "conversations:get",
        {
            "conversationId": v.string().describe("Conversation id"),
            "tenantId": o(v.string()).describe("Only return it if it belongs to this tenant"),
            "includeMessages": o(v.boolean()).describe("false returns the conversation with messages: []"),
            "messageLimit": o(v.number()).describe("Only the last N messages"),
        },
        "Get one conversation by id, optionally only its last N messages; null when not found.",
        returns="conversation document or null",
    ),
    query(
        "conversations:list",
        {
            "type": o(TYPE()).describe("Only this conversation type"),
            "userId": o(v.string()).describe("Only conversations with this user"),
            "memorySpaceId": o(v.string()).describe("Only this memory space"),
            "tenantId": o(v.string()).describe("Only this tenant"),
            "participantId": o(v.string()).describe("Only conversations created by this hive participant"),
            "createdBefore": o(v.number()).describe("createdAt < this (ms)"),
            "createdAfter": o(v.number()).describe("createdAt > this (ms)"),
            "updatedBefore": o(v.number()).describe("updatedAt < this (ms)"),
            "updatedAfter": o(v.number()).describe("updatedAt > this (ms)"),
            "lastMessageBefore": o(v.number()).describe("Last message time < this (ms)"),
            "lastMessageAfter": o(v.number()).describe("Last message time > this (ms)"),
            "messageCountMin": o(v.number()).describe("At least this many messages"),
            "messageCountMax": o(v.number()).describe("At most this many messages"),
            "limit": o(v.number()).describe("Page size (default 50)"),
            "offset": o(v.number()).describe("Conversations to skip"),
            "sortBy": o(v.enum("createdAt", "updatedAt", "lastMessageAt", "messageCount")).describe(
                "Sort key (default createdAt)"
            ),
            "sortOrder": o(v.enum("asc", "desc")).describe("Sort direction (default desc)"),
            "includeMessages": o(v.boolean()).describe("false strips messages from each conversation"),
        },
        "List conversations with filters, sorting and paging.",
        returns="{conversations, total, limit, offset, hasMore}",
    ),
    query(
        "conversations:count",
        {
            "userId": o(v.string()).describe("Only conversations with this user"),
            "memorySpaceId": o(v.string()).describe("Only this memory space"),
            "type": o(TYPE()).describe("Only this conversation type"),
        },
        "Count conversations matching the filters (all tenants).",
        returns="number",
    ),
    query(
        "conversations:getHistory",
        {
            "conversationId": v.string().describe("Conversation id"),
            "limit": o(v.number()).describe("Page size (default 50)"),
            "offset": o(v.number()).describe("Messages to skip"),
            "sortOrder": o(v.enum("asc", "desc")).describe("asc = oldest first (default), desc = newest first"),
            "since": o(v.number()).describe("Only messages with timestamp >= this (ms)"),
            "until": o(v.number()).describe("Only messages with timestamp <= this (ms)"),
            "roles": o(v.array(ROLE())).describe("Only messages with these roles"),
        },
        "Page through a conversation's messages with time and role filters; fails with CONVERSATION_NOT_FOUND.",
        returns="{messages, total, hasMore, conversationId}",
    ),
    query(
        "conversations:search",
        {
            "query": v.string().describe("Text to look for (case-insensitive)"),
            "type": o(TYPE()).describe("Only this conversation type"),
            "userId": o(v.string()).describe("Only conversations with this user"),
            "memorySpaceId": o(v.string()).describe("Only this memory space"),
            "dateStart": o(v.number()).describe("Only conversations created at or after this (ms)"),
            "dateEnd": o(v.number()).describe("Only conversations created at or before this (ms)"),
            "limit": o(v.number()).describe("Max results (default 10)"),
            "searchIn": o(v.enum("content", "metadata", "both")).describe(
                "Search message content, conversation metadata or both (default content)"
            ),
            "matchMode": o(v.enum("contains", "exact", "fuzzy")).describe(
                "contains = substring (default), exact = whole text, fuzzy = every word appears"
            ),
        },
        "Search conversations' messages and/or metadata for text; best matches first with highlights.",
        returns="array of {conversation, matchedMessages, highlights, score}",
    ),
    query(
        "conversations:exportConversations",
        {
            "userId": o(v.string()).describe("Only conversations with this user"),
            "memorySpaceId": o(v.string()).describe("Only this memory space"),
            "conversationIds": o(v.array(v.string())).describe("Only these conversations"),
            "type": o(TYPE()).describe("Only this conversation type"),
            "dateStart": o(v.number()).describe("Only conversations created at or after this (ms)"),
            "dateEnd": o(v.number()).describe("Only conversations created at or before this (ms)"),
            "format": v.enum("json", "csv").describe("Export format (CSV omits messages)"),
            "includeMetadata": o(v.boolean()).describe("Include conversation metadata"),
        },
        "Export matching conversations as a JSON or CSV string (no paging: everything that matches).",
        returns="{format, data, count, exportedAt}",
    ),
]
