"""Contract of the `sessions` module (spec/backend/sessions.md): native session tracking."""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.enums import SESSION_STATUSES
from cortex_mcp.contract.validators import v

o = v.optional


def _status():
    return v.enum(*SESSION_STATUSES)


FUNCTIONS = [
    mutation(
        "sessions:create",
        {
            "sessionId": v.string().describe("Caller-generated session id (not checked for uniqueness)"),
            "userId": v.string().describe("User the session belongs to"),
            "tenantId": o(v.string()).describe("Tenant isolation key"),
            "memorySpaceId": o(v.string()).describe("Memory space the session works in"),
            "metadata": o(v.any()).describe("Free-form metadata, stored as given"),
            "startedAt": v.number().describe("Start time in epoch ms (client clock; also the first lastActiveAt)"),
            "expiresAt": o(v.number()).describe("Expiry time in epoch ms (stored only, never enforced)"),
        },
        "Start a new session for a user; it begins active with zero message and memory counts.",
        returns="{_id, sessionId, userId, tenantId?, memorySpaceId?, status, startedAt, lastActiveAt, "
        "expiresAt?, metadata?, messageCount, memoryCount}",
    ),
    query(
        "sessions:get",
        {"sessionId": v.string().describe("Session id")},
        "Get a session by id (ended sessions included); null when unknown.",
        returns="session document or null",
    ),
    mutation(
        "sessions:touch",
        {"sessionId": v.string().describe("Session id")},
        "Record activity on a session now (sets lastActiveAt and status active, even if it had ended).",
        idempotent=True,
        returns="null",
    ),
    mutation(
        "sessions:end",
        {"sessionId": v.string().describe("Session id")},
        "End a session now (status ended, endedAt set).",
        returns="null",
    ),
    mutation(
        "sessions:endAll",
        {
            "userId": v.string().describe("User whose open sessions to end"),
            "tenantId": o(v.string()).describe("Only this tenant's sessions (default: every tenant)"),
        },
        "End every session of a user that is not already ended.",
        returns="{ended, sessionIds}",
    ),
    query(
        "sessions:list",
        {
            "userId": o(v.string()).describe("Only this user's sessions"),
            "tenantId": o(v.string()).describe("Only this tenant's sessions"),
            "memorySpaceId": o(v.string()).describe("Only sessions in this memory space"),
            "status": o(_status()).describe("Only sessions with this status"),
            "limit": o(v.number()).describe("Max sessions (default 50)"),
            "offset": o(v.number()).describe("Sessions to skip"),
        },
        "List sessions matching all given filters, oldest first.",
        returns="array of session documents",
    ),
    query(
        "sessions:count",
        {
            "userId": o(v.string()).describe("Only this user's sessions"),
            "tenantId": o(v.string()).describe("Only this tenant's sessions"),
            "memorySpaceId": o(v.string()).describe("Only sessions in this memory space"),
            "status": o(_status()).describe("Only sessions with this status"),
        },
        "Count sessions matching all given filters.",
        returns="number",
    ),
    mutation(
        "sessions:expireIdle",
        {
            "tenantId": o(v.string()).describe("Only this tenant's sessions (default: every tenant)"),
            "idleTimeout": v.number().describe("Idle time in ms after which an active/idle session is ended"),
        },
        "End every active or idle session whose last activity is older than idleTimeout.",
        returns="{expired}",
    ),
    mutation(
        "sessions:incrementMessageCount",
        {"sessionId": v.string().describe("Session id")},
        "Count one more message in a session and set its lastActiveAt to now (unknown session: no-op).",
        returns="null",
    ),
    mutation(
        "sessions:incrementMemoryCount",
        {"sessionId": v.string().describe("Session id")},
        "Count one more stored memory in a session and set its lastActiveAt to now (unknown session: no-op).",
        returns="null",
    ),
]
