"""Contract of the `a2a` module (spec/backend/a2a.md): agent-to-agent messaging.

Agents are memory spaces: a message from A to B is stored as a memory in space A (outbound)
and one in space B (inbound), and optionally logged in a shared agent-agent conversation.
"""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.validators import v

o = v.optional

FUNCTIONS = [
    mutation(
        "a2a:send",
        {
            "from": v.string().describe("Sender agent (memory space id)"),
            "to": v.string().describe("Recipient agent (memory space id); must differ from the sender"),
            "message": v.string().describe("Message text (non-blank, at most 100 KB of UTF-8)"),
            "userId": o(v.string()).describe("User the exchange concerns; stored on both memories"),
            "contextId": o(v.string()).describe("Context (task) the message belongs to"),
            "importance": o(v.number()).describe("0-100 (default 60)"),
            "trackConversation": o(v.boolean()).describe("Also log it in the pair's A2A conversation (default true)"),
            "autoEmbed": o(v.boolean()).describe("Accepted for compatibility; has no effect"),
            "metadata": o(v.any()).describe(
                "Free-form object merged into the stored message metadata (its keys win); "
                "metadata.tags (array of strings) is added to the memory tags"
            ),
        },
        "Send a message from one agent to another: stores it in both agents' memory spaces "
        "(and their shared A2A conversation).",
        returns="{messageId, sentAt, conversationId?, acidMessageId?, senderMemoryId, receiverMemoryId}",
    ),
    mutation(
        "a2a:request",
        {
            "from": v.string().describe("Requesting agent (memory space id)"),
            "to": v.string().describe("Agent asked to respond"),
            "message": v.string().describe("Request text (non-blank, at most 100 KB of UTF-8)"),
            "timeout": o(v.number()).describe("How long to wait for a response, 1000-300000 ms (default 30000)"),
            "retries": o(v.number()).describe("Accepted for compatibility; has no effect"),
            "userId": o(v.string()).describe("User the exchange concerns"),
            "contextId": o(v.string()).describe("Context (task) the request belongs to"),
            "importance": o(v.number()).describe("0-100 (default 70)"),
        },
        "Synchronous request/response between agents; needs pub/sub, so the backend always refuses "
        "with PUBSUB_NOT_CONFIGURED and stores nothing. Use a2a:send instead.",
        returns="never returns normally (ConvexError PUBSUB_NOT_CONFIGURED)",
    ),
    mutation(
        "a2a:broadcast",
        {
            "from": v.string().describe("Sender agent (memory space id)"),
            "to": v.array(v.string()).describe("Recipients: 1-100 distinct agent ids, not including the sender"),
            "message": v.string().describe("Message text (non-blank, at most 100 KB of UTF-8)"),
            "userId": o(v.string()).describe("User the exchange concerns"),
            "contextId": o(v.string()).describe("Context (task) the message belongs to"),
            "importance": o(v.number()).describe("0-100 (default 60)"),
            "trackConversation": o(v.boolean()).describe("Also log it in each pair's A2A conversation (default true)"),
            "metadata": o(v.any()).describe(
                "Free-form object merged into the stored message metadata; metadata.tags is added to the memory tags"
            ),
        },
        "Send the same message from one agent to several agents at once.",
        returns=(
            "{messageId, sentAt, recipients, senderMemoryIds, receiverMemoryIds, memoriesCreated, conversationIds?}"
        ),
    ),
    query(
        "a2a:getConversation",
        {
            "agent1": v.string().describe("Agent whose memory space is read (the perspective)"),
            "agent2": v.string().describe("The other agent"),
            "since": o(v.number()).describe("Only messages created at or after this time (ms)"),
            "until": o(v.number()).describe("Only messages created at or before this time (ms)"),
            "minImportance": o(v.number()).describe("Only messages with at least this importance (0-100)"),
            "tags": o(v.array(v.string())).describe("Only messages having any of these tags"),
            "userId": o(v.string()).describe("Only messages about this user"),
            "limit": o(v.number()).describe("Max messages, 1-1000 (default 100)"),
            "offset": o(v.number()).describe("Messages to skip (default 0)"),
        },
        "Read the messages exchanged between two agents, oldest first, as seen from agent1's memory space.",
        returns=(
            "{participants, conversationId?, messageCount, messages, period: {start, end}, tags?, "
            "canRetrieveFullHistory}"
        ),
    ),
]
