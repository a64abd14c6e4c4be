"""Contract of the `factHistory` module (spec/backend/factHistory.md): the belief-revision audit trail."""

from __future__ import annotations

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.enums import FACT_HISTORY_ACTIONS
from cortex_mcp.contract.validators import Validator, v

o = v.optional


def _action() -> Validator:
    return v.enum(*FACT_HISTORY_ACTIONS)


FUNCTIONS = [
    mutation(
        "factHistory:logEvent",
        {
            "factId": v.string().describe("Fact the event is about (not checked for existence)"),
            "memorySpaceId": v.string().describe("Memory space"),
            "action": _action().describe("What happened to the fact"),
            "oldValue": o(v.string()).describe("Previous fact text"),
            "newValue": o(v.string()).describe("New fact text"),
            "supersededBy": o(v.string()).describe("factId that replaced this fact"),
            "supersedes": o(v.string()).describe("factId this fact replaced"),
            "reason": o(v.string()).describe("Why the change was made"),
            "confidence": o(v.number()).describe("Confidence of the decision (0-100)"),
            "pipeline": o(
                v.object(
                    {
                        "slotMatching": o(v.boolean()),
                        "semanticMatching": o(v.boolean()),
                        "llmResolution": o(v.boolean()),
                    }
                )
            ).describe("Which belief-revision stages ran {slotMatching?, semanticMatching?, llmResolution?}"),
            "userId": o(v.string()).describe("User who triggered the change"),
            "participantId": o(v.string()).describe("Participant who triggered the change"),
            "conversationId": o(v.string()).describe("Conversation context"),
        },
        "Record a fact change event (CREATE/UPDATE/SUPERSEDE/DELETE) in the audit trail.",
        returns="{eventId, _id}",
    ),
    mutation(
        "factHistory:deleteByFactId",
        {"factId": v.string().describe("Fact whose events are deleted")},
        "Permanently delete every history event of one fact (GDPR cascade).",
        destructive=True,
        idempotent=True,
        returns="{deleted}",
    ),
    mutation(
        "factHistory:deleteByUserId",
        {"userId": v.string().describe("User whose events are deleted (all spaces)")},
        "Permanently delete every history event triggered by a user, in all spaces (GDPR cascade).",
        destructive=True,
        idempotent=True,
        returns="{deleted}",
    ),
    mutation(
        "factHistory:deleteByMemorySpace",
        {"memorySpaceId": v.string().describe("Memory space whose events are deleted")},
        "Permanently delete every history event of a memory space.",
        destructive=True,
        idempotent=True,
        returns="{deleted}",
    ),
    mutation(
        "factHistory:purgeOldEvents",
        {
            "memorySpaceId": o(v.string()).describe("Only this space (empty or absent = all spaces)"),
            "olderThan": v.number().describe("Delete events with timestamp < this (ms)"),
            "limit": o(v.number()).describe("Max deletions per call (default 1000)"),
        },
        "Retention: delete the oldest history events older than a cutoff; call again while remaining > 0.",
        destructive=True,
        returns="{deleted, remaining}",
    ),
    query(
        "factHistory:getHistory",
        {
            "factId": v.string().describe("Fact id"),
            "limit": o(v.number()).describe("Max events (default 100)"),
        },
        "Get the change events of one fact, newest first.",
        returns="array of event documents",
    ),
    query(
        "factHistory:getEvent",
        {"eventId": v.string().describe("Event id (fh-...)")},
        "Get one history event by its eventId; null when unknown.",
        returns="event document or null",
    ),
    query(
        "factHistory:getChangesByTimeRange",
        {
            "memorySpaceId": v.string().describe("Memory space"),
            "after": o(v.number()).describe("Events at or after this time (ms)"),
            "before": o(v.number()).describe("Events at or before this time (ms)"),
            "action": o(_action()).describe("Only this action"),
            "limit": o(v.number()).describe("Max events (default 100)"),
            "offset": o(v.number()).describe("Events to skip (default 0)"),
        },
        "List a space's fact change events in a time window, newest first.",
        returns="array of event documents",
    ),
    query(
        "factHistory:countByAction",
        {
            "memorySpaceId": v.string().describe("Memory space"),
            "after": o(v.number()).describe("Events at or after this time (ms)"),
            "before": o(v.number()).describe("Events at or before this time (ms)"),
        },
        "Count a space's fact change events per action in a time window.",
        returns="{CREATE, UPDATE, SUPERSEDE, DELETE, total}",
    ),
    query(
        "factHistory:getSupersessionChain",
        {"factId": v.string().describe("Current (newest) fact of the chain")},
        "Trace which facts a fact replaced (from SUPERSEDE events), oldest first, ending with the fact itself.",
        returns="array of {factId, supersededBy (string or null), timestamp, reason?}",
    ),
    query(
        "factHistory:getActivitySummary",
        {
            "memorySpaceId": v.string().describe("Memory space"),
            "hours": o(v.number()).describe("Look-back window in hours (default 24)"),
        },
        "Summarise recent fact changes in a space: counts per action, facts modified, active participants.",
        returns="{timeRange {hours, since, until}, totalEvents, actionCounts, uniqueFactsModified, activeParticipants}",
    ),
]
