"""The closed vocabularies of the Cortex contract, each defined once (spec/backend/*.md).

A `Literal` type for typed code (tool signatures) and its values as a tuple for validators
(`v.enum(*FACT_TYPES)`), table schemas and client-side checks; both come from the one spelling here.
"""

from __future__ import annotations

from typing import Literal, get_args

FactType = Literal["preference", "identity", "knowledge", "relationship", "event", "observation", "custom"]
FactSourceType = Literal["conversation", "system", "tool", "manual", "a2a"]
FactHistoryAction = Literal["CREATE", "UPDATE", "SUPERSEDE", "DELETE"]
MemorySourceType = Literal["conversation", "system", "tool", "a2a", "fact-extraction"]
ContentType = Literal["raw", "summarized", "fact"]
MessageRole = Literal["user", "agent", "system"]
ConversationType = Literal["user-agent", "agent-agent"]
AgentStatus = Literal["active", "inactive", "archived"]
MemorySpaceType = Literal["personal", "team", "project", "custom"]
MemorySpaceStatus = Literal["active", "archived"]
ContextStatus = Literal["active", "completed", "cancelled", "blocked"]
SessionStatus = Literal["active", "idle", "ended"]
GraphOperation = Literal["insert", "update", "delete"]
# The layers of an export file (docs/export-format.md), in the order a file lists them.
ExportLayer = Literal[
    "spaces",
    "agents",
    "users",
    "conversations",
    "agentMessages",
    "memories",
    "facts",
    "factHistory",
    "contexts",
    "immutable",
    "mutable",
    "sessions",
]
ConflictPolicy = Literal["skip", "replace", "fail"]

FACT_TYPES: tuple[str, ...] = get_args(FactType)
FACT_SOURCE_TYPES: tuple[str, ...] = get_args(FactSourceType)
FACT_HISTORY_ACTIONS: tuple[str, ...] = get_args(FactHistoryAction)
MEMORY_SOURCE_TYPES: tuple[str, ...] = get_args(MemorySourceType)
# memories:search, deleteMany, updateMany and export filter on four of them (upstream's validators).
MEMORY_SOURCE_FILTERS: tuple[str, ...] = tuple(t for t in MEMORY_SOURCE_TYPES if t != "fact-extraction")
CONTENT_TYPES: tuple[str, ...] = get_args(ContentType)
MESSAGE_ROLES: tuple[str, ...] = get_args(MessageRole)
CONVERSATION_TYPES: tuple[str, ...] = get_args(ConversationType)
AGENT_STATUSES: tuple[str, ...] = get_args(AgentStatus)
MEMORY_SPACE_TYPES: tuple[str, ...] = get_args(MemorySpaceType)
MEMORY_SPACE_STATUSES: tuple[str, ...] = get_args(MemorySpaceStatus)
CONTEXT_STATUSES: tuple[str, ...] = get_args(ContextStatus)
SESSION_STATUSES: tuple[str, ...] = get_args(SessionStatus)
GRAPH_OPERATIONS: tuple[str, ...] = get_args(GraphOperation)
EXPORT_LAYERS: tuple[str, ...] = get_args(ExportLayer)
CONFLICT_POLICIES: tuple[str, ...] = get_args(ConflictPolicy)
