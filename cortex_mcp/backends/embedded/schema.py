"""The Cortex tables (spec/backend/tables-part*.md): field validators, indexes, search indexes.

The embedded store creates one SQLite table per entry, with a generated column and a SQL
index for every index listed here, and validates every written document against `fields`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cortex_mcp.contract.enums import (
    AGENT_STATUSES,
    CONTENT_TYPES,
    CONTEXT_STATUSES,
    CONVERSATION_TYPES,
    FACT_HISTORY_ACTIONS,
    FACT_SOURCE_TYPES,
    FACT_TYPES,
    GRAPH_OPERATIONS,
    MEMORY_SOURCE_TYPES,
    MEMORY_SPACE_STATUSES,
    MEMORY_SPACE_TYPES,
    MESSAGE_ROLES,
    SESSION_STATUSES,
)
from cortex_mcp.contract.validators import ObjectValidator, OptionalValidator, v

o = v.optional


@dataclass(frozen=True)
class SearchIndex:
    field: str
    filter_fields: tuple[str, ...]


@dataclass(frozen=True)
class SameAs:
    """An implied value: the value of another field of the same document."""

    field: str


@dataclass(frozen=True)
class WindowIndex:
    """For recall: each row's `field` indexed with the same field of its neighbours, the `radius`
    rows before and after it (creation order) with the same `scope` and `group` (fulltext.py)."""

    field: str
    scope: str
    group: str
    radius: int = 2
    # The search index on the same field, served by the window's own-text column instead of a
    # full-text table of its own (the same text indexed once: ~60 bytes less per row).
    serves: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    fields: ObjectValidator
    indexes: dict[str, tuple[str, ...]]
    search: dict[str, SearchIndex] = field(default_factory=dict)
    # Top-level number arrays kept as float64 blobs beside the JSON document (not inside it), so
    # a brute-force vector scan reads them without parsing documents (store.py).
    vectors: tuple[str, ...] = ()
    # Fields absent from most documents: an SQL index over one of them holds only the documents
    # that have it (a partial index), so a query on that index must give the field a value.
    sparse: tuple[str, ...] = ()
    # Indexes of the upstream schema that no embedded handler reads: declared (for parity), but
    # with no SQL index behind them, which would cost space and write time for nothing. A query
    # on one still works (a scan); to use one, take it off this list.
    unindexed: tuple[str, ...] = ()
    # Required fields left out of the stored JSON while they hold their usual value (a constant, or
    # `SameAs` another field): most memories repeat `"version":1,"tags":[]...`; the store puts them
    # back when it reads the document. Never an indexed or search field (SQL reads those).
    implied: dict[str, Any] = field(default_factory=dict)
    window: WindowIndex | None = None


def _enum(*values: str):
    return v.enum(*values)


_participant = v.object({"id": v.string(), "type": v.string(), "joinedAt": v.number()})
_message = v.object(
    {
        "id": v.string(),
        "role": _enum(*MESSAGE_ROLES),
        "content": v.string(),
        "timestamp": v.number(),
        "participantId": o(v.string()),
        "metadata": o(v.any()),
    }
)

TABLES: dict[str, Table] = {}


def _table(
    name: str,
    fields: dict,
    indexes: dict,
    search: dict | None = None,
    vectors: tuple = (),
    sparse: tuple = (),
    unindexed: tuple = (),
    implied: dict | None = None,
    window: WindowIndex | None = None,
) -> None:
    for index in unindexed:
        if index not in indexes:
            raise ValueError(f"{name}: unindexed names an unknown index {index}")
    table = Table(
        name,
        v.object(fields),
        {k: tuple(x) for k, x in indexes.items()},
        search or {},
        vectors,
        sparse,
        unindexed,
        implied or {},
        window,
    )
    read_by_sql = {f for fs in table.indexes.values() for f in fs} | {s.field for s in table.search.values()}
    for key in table.implied:
        if key not in fields or isinstance(fields[key], OptionalValidator) or key in read_by_sql:
            raise ValueError(f"{name}: implied field {key} must be required and neither indexed nor searched")
    TABLES[name] = table


_table(
    "memories",
    {
        "memoryId": v.string(),
        "memorySpaceId": v.string(),
        "participantId": o(v.string()),
        "tenantId": o(v.string()),
        "content": v.string(),
        "contentType": _enum(*CONTENT_TYPES),
        "embedding": o(v.array(v.number())),
        "sourceType": _enum(*MEMORY_SOURCE_TYPES),
        "sourceUserId": o(v.string()),
        "sourceUserName": o(v.string()),
        "sourceTimestamp": v.number(),
        "messageRole": o(_enum(*MESSAGE_ROLES)),
        "userId": o(v.string()),
        "agentId": o(v.string()),
        "conversationRef": o(v.object({"conversationId": v.string(), "messageIds": v.array(v.string())})),
        "immutableRef": o(v.object({"type": v.string(), "id": v.string(), "version": o(v.number())})),
        "mutableRef": o(
            v.object({"namespace": v.string(), "key": v.string(), "snapshotValue": v.any(), "snapshotAt": v.number()})
        ),
        "factsRef": o(v.object({"factId": v.string(), "version": o(v.number())})),
        "importance": v.number(),
        "tags": v.array(v.string()),
        "enrichedContent": o(v.string()),
        "factCategory": o(v.string()),
        "metadata": o(v.any()),
        "version": v.number(),
        "previousVersions": v.array(
            v.object(
                {
                    "version": v.number(),
                    "content": v.string(),
                    "embedding": o(v.array(v.number())),
                    "timestamp": v.number(),
                }
            )
        ),
        "createdAt": v.number(),
        "updatedAt": v.number(),
        "lastAccessed": o(v.number()),
        "accessCount": v.number(),
        "isPartial": o(v.boolean()),
        "partialMetadata": o(v.any()),
    },
    {
        "by_memorySpace": ["memorySpaceId"],
        "by_memoryId": ["memoryId"],
        "by_tenantId": ["tenantId"],
        "by_tenant_space": ["tenantId", "memorySpaceId"],
        "by_userId": ["userId"],
        "by_agentId": ["agentId"],
        "by_memorySpace_created": ["memorySpaceId", "createdAt"],
        "by_memorySpace_userId": ["memorySpaceId", "userId"],
        "by_memorySpace_agentId": ["memorySpaceId", "agentId"],
        "by_participantId": ["participantId"],
        # Not in upstream's schema: lets the GDPR cascade find memories by their source user.
        "by_sourceUserId": ["sourceUserId"],
        # Not in upstream's schema: a memory's neighbours in its conversation (recall's windows).
        "by_memorySpace_conversation": ["memorySpaceId", "conversationRef.conversationId"],
    },
    {
        "by_content": SearchIndex(
            "content", ("memorySpaceId", "tenantId", "sourceType", "userId", "agentId", "participantId")
        )
    },
    vectors=("embedding",),
    sparse=("tenantId", "participantId", "sourceUserId", "userId", "conversationRef.conversationId"),
    implied={
        "contentType": "raw",
        "tags": [],
        "version": 1,
        "previousVersions": [],
        "accessCount": 0,
        "sourceTimestamp": SameAs("createdAt"),
        "updatedAt": SameAs("createdAt"),
    },
    unindexed=("by_tenantId", "by_tenant_space", "by_agentId", "by_memorySpace_created", "by_memorySpace_agentId"),
    window=WindowIndex("content", scope="memorySpaceId", group="conversationRef.conversationId", serves="by_content"),
)

_table(
    "memorySpaces",
    {
        "memorySpaceId": v.string(),
        "name": o(v.string()),
        "tenantId": o(v.string()),
        "type": _enum(*MEMORY_SPACE_TYPES),
        "participants": v.array(_participant),
        "metadata": v.any(),
        "status": _enum(*MEMORY_SPACE_STATUSES),
        "createdAt": v.number(),
        "updatedAt": v.number(),
    },
    {
        "by_memorySpaceId": ["memorySpaceId"],
        "by_tenantId": ["tenantId"],
        "by_tenant_memorySpaceId": ["tenantId", "memorySpaceId"],
        "by_tenant_status": ["tenantId", "status"],
        "by_status": ["status"],
        "by_type": ["type"],
        "by_created": ["createdAt"],
    },
)

_table(
    "agents",
    {
        "agentId": v.string(),
        "tenantId": o(v.string()),
        "name": v.string(),
        "description": o(v.string()),
        "metadata": o(v.any()),
        "config": o(v.any()),
        "status": _enum(*AGENT_STATUSES),
        "registeredAt": v.number(),
        "updatedAt": v.number(),
        "lastActive": o(v.number()),
    },
    {
        "by_agentId": ["agentId"],
        "by_tenantId": ["tenantId"],
        "by_tenant_status": ["tenantId", "status"],
        "by_status": ["status"],
        "by_registered": ["registeredAt"],
    },
)

_table(
    "conversations",
    {
        "conversationId": v.string(),
        "memorySpaceId": v.string(),
        "participantId": o(v.string()),
        "tenantId": o(v.string()),
        "type": _enum(*CONVERSATION_TYPES),
        "participants": v.object(
            {
                "userId": o(v.string()),
                "agentId": o(v.string()),
                "participantId": o(v.string()),
                "memorySpaceIds": o(v.array(v.string())),
            }
        ),
        "messages": v.array(_message),
        "messageCount": v.number(),
        "metadata": o(v.any()),
        "createdAt": v.number(),
        "updatedAt": v.number(),
    },
    {
        "by_conversationId": ["conversationId"],
        "by_memorySpace": ["memorySpaceId"],
        "by_tenantId": ["tenantId"],
        "by_tenant_space": ["tenantId", "memorySpaceId"],
        "by_type": ["type"],
        "by_user": ["participants.userId"],
        "by_agent": ["participants.agentId"],
        "by_memorySpace_user": ["memorySpaceId", "participants.userId"],
        "by_memorySpace_agent": ["memorySpaceId", "participants.agentId"],
        "by_created": ["createdAt"],
    },
)

_table(
    "immutable",
    {
        "type": v.string(),
        "id": v.string(),
        "data": v.any(),
        "userId": o(v.string()),
        "tenantId": o(v.string()),
        "version": v.number(),
        "previousVersions": v.array(
            v.object({"version": v.number(), "data": v.any(), "timestamp": v.number(), "metadata": o(v.any())})
        ),
        "metadata": o(v.any()),
        "createdAt": v.number(),
        "updatedAt": v.number(),
    },
    {
        "by_type_id": ["type", "id"],
        "by_type": ["type"],
        "by_tenantId": ["tenantId"],
        "by_tenant_type_id": ["tenantId", "type", "id"],
        "by_userId": ["userId"],
        "by_created": ["createdAt"],
    },
)

_table(
    "facts",
    {
        "factId": v.string(),
        "memorySpaceId": v.string(),
        "participantId": o(v.string()),
        "userId": o(v.string()),
        "tenantId": o(v.string()),
        "fact": v.string(),
        "factType": _enum(*FACT_TYPES),
        "subject": o(v.string()),
        "predicate": o(v.string()),
        "object": o(v.string()),
        "confidence": v.number(),
        "sourceType": _enum(*FACT_SOURCE_TYPES),
        "sourceRef": o(
            v.object(
                {"conversationId": o(v.string()), "messageIds": o(v.array(v.string())), "memoryId": o(v.string())}
            )
        ),
        "metadata": o(v.any()),
        "tags": v.array(v.string()),
        "category": o(v.string()),
        "searchAliases": o(v.array(v.string())),
        "semanticContext": o(v.string()),
        "entities": o(v.array(v.object({"name": v.string(), "type": v.string(), "fullValue": o(v.string())}))),
        "relations": o(v.array(v.object({"subject": v.string(), "predicate": v.string(), "object": v.string()}))),
        "validFrom": o(v.number()),
        "validUntil": o(v.number()),
        "version": v.number(),
        "supersededBy": o(v.string()),
        "supersedes": o(v.string()),
        "createdAt": v.number(),
        "updatedAt": v.number(),
    },
    {
        "by_factId": ["factId"],
        "by_memorySpace": ["memorySpaceId"],
        "by_tenantId": ["tenantId"],
        "by_tenant_space": ["tenantId", "memorySpaceId"],
        "by_memorySpace_subject": ["memorySpaceId", "subject"],
        "by_participantId": ["participantId"],
        "by_userId": ["userId"],
        # Not in upstream's schema: the facts derived from a memory or conversation (forget's cascade).
        "by_memorySpace_sourceMemory": ["memorySpaceId", "sourceRef.memoryId"],
        "by_memorySpace_sourceConversation": ["memorySpaceId", "sourceRef.conversationId"],
    },
    {"by_content": SearchIndex("fact", ("memorySpaceId", "tenantId", "factType"))},
    sparse=("sourceRef.memoryId", "sourceRef.conversationId"),
)

_table(
    "factHistory",
    {
        "eventId": v.string(),
        "factId": v.string(),
        "memorySpaceId": v.string(),
        "action": _enum(*FACT_HISTORY_ACTIONS),
        "oldValue": o(v.string()),
        "newValue": o(v.string()),
        "supersededBy": o(v.string()),
        "supersedes": o(v.string()),
        "reason": o(v.string()),
        "confidence": o(v.number()),
        "pipeline": o(
            v.object(
                {"slotMatching": o(v.boolean()), "semanticMatching": o(v.boolean()), "llmResolution": o(v.boolean())}
            )
        ),
        "userId": o(v.string()),
        "participantId": o(v.string()),
        "conversationId": o(v.string()),
        "timestamp": v.number(),
    },
    {
        "by_eventId": ["eventId"],
        "by_factId": ["factId"],
        "by_memorySpace": ["memorySpaceId"],
        "by_memorySpace_timestamp": ["memorySpaceId", "timestamp"],
        "by_action": ["action"],
        "by_userId": ["userId"],
        "by_timestamp": ["timestamp"],
    },
)

_table(
    "contexts",
    {
        "contextId": v.string(),
        "memorySpaceId": v.string(),
        "tenantId": o(v.string()),
        "purpose": v.string(),
        "description": o(v.string()),
        "parentId": o(v.string()),
        "rootId": o(v.string()),
        "depth": v.number(),
        "childIds": v.array(v.string()),
        "status": _enum(*CONTEXT_STATUSES),
        "conversationRef": o(v.object({"conversationId": v.string(), "messageIds": o(v.array(v.string()))})),
        "userId": o(v.string()),
        "participants": v.array(v.string()),
        "grantedAccess": o(
            v.array(v.object({"memorySpaceId": v.string(), "scope": v.string(), "grantedAt": v.number()}))
        ),
        "data": o(v.any()),
        "metadata": o(v.any()),
        "version": v.number(),
        "previousVersions": v.array(
            v.object(
                {
                    "version": v.number(),
                    "status": v.string(),
                    "data": o(v.any()),
                    "timestamp": v.number(),
                    "updatedBy": o(v.string()),
                }
            )
        ),
        "createdAt": v.number(),
        "updatedAt": v.number(),
        "completedAt": o(v.number()),
    },
    {
        "by_contextId": ["contextId"],
        "by_memorySpace": ["memorySpaceId"],
        "by_tenantId": ["tenantId"],
        "by_tenant_contextId": ["tenantId", "contextId"],
        "by_tenant_space": ["tenantId", "memorySpaceId"],
        "by_parentId": ["parentId"],
        "by_rootId": ["rootId"],
        "by_status": ["status"],
        "by_memorySpace_status": ["memorySpaceId", "status"],
        "by_userId": ["userId"],
        "by_created": ["createdAt"],
    },
)

_table(
    "mutable",
    {
        "namespace": v.string(),
        "key": v.string(),
        "value": v.any(),
        "userId": o(v.string()),
        "tenantId": o(v.string()),
        "metadata": o(v.any()),
        "createdAt": v.number(),
        "updatedAt": v.number(),
    },
    {
        "by_namespace_key": ["namespace", "key"],
        "by_namespace": ["namespace"],
        "by_tenantId": ["tenantId"],
        "by_tenant_namespace": ["tenantId", "namespace"],
        "by_tenant_namespace_key": ["tenantId", "namespace", "key"],
        "by_userId": ["userId"],
        "by_updated": ["updatedAt"],
    },
)

_table(
    "sessions",
    {
        "sessionId": v.string(),
        "userId": v.string(),
        "tenantId": o(v.string()),
        "memorySpaceId": o(v.string()),
        "status": _enum(*SESSION_STATUSES),
        "startedAt": v.number(),
        "lastActiveAt": v.number(),
        "endedAt": o(v.number()),
        "expiresAt": o(v.number()),
        "metadata": o(v.any()),
        "messageCount": v.number(),
        "memoryCount": v.number(),
    },
    {
        "by_sessionId": ["sessionId"],
        "by_userId": ["userId"],
        "by_tenantId": ["tenantId"],
        "by_tenant_user": ["tenantId", "userId"],
        "by_status": ["status"],
        "by_memorySpace": ["memorySpaceId"],
        "by_lastActive": ["lastActiveAt"],
        "by_tenant_status": ["tenantId", "status"],
    },
)

_table(
    "governancePolicies",
    {
        "organizationId": o(v.string()),
        "memorySpaceId": o(v.string()),
        "policy": v.any(),
        "isActive": v.boolean(),
        "appliedBy": o(v.string()),
        "createdAt": v.number(),
        "updatedAt": v.number(),
    },
    {
        "by_organization": ["organizationId"],
        "by_memorySpace": ["memorySpaceId"],
        "by_active": ["isActive", "organizationId"],
        "by_updated": ["updatedAt"],
    },
)

_table(
    "governanceEnforcement",
    {
        "organizationId": o(v.string()),
        "memorySpaceId": o(v.string()),
        "enforcementType": _enum("automatic", "manual"),
        "layers": v.array(v.string()),
        "rules": v.array(v.string()),
        "versionsDeleted": v.number(),
        "recordsPurged": v.number(),
        "storageFreed": v.number(),
        "triggeredBy": o(v.string()),
        "executedAt": v.number(),
    },
    {
        "by_organization": ["organizationId", "executedAt"],
        "by_memorySpace": ["memorySpaceId", "executedAt"],
        "by_executed": ["executedAt"],
    },
)

_table(
    "graphSyncQueue",
    {
        "table": v.string(),
        "entityId": v.string(),
        "operation": _enum(*GRAPH_OPERATIONS),
        "entity": o(v.any()),
        "synced": v.boolean(),
        "syncedAt": o(v.number()),
        "failedAttempts": o(v.number()),
        "lastError": o(v.string()),
        "priority": o(v.string()),
        "createdAt": v.number(),
    },
    {
        "by_synced": ["synced"],
        "by_table": ["table"],
        "by_table_entity": ["table", "entityId"],
        "by_priority": ["priority", "synced"],
        "by_created": ["createdAt"],
    },
)
