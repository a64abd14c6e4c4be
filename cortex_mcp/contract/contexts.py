"""Contract of the `contexts` module (spec/backend/contexts.md): hierarchical context chains.

A context is a unit of work (a task, a sub-goal) owned by a memory space. Contexts form trees
(`parentId`/`rootId`/`depth`/`childIds`), keep a version history of status and data, and can
be shared with other memory spaces as participants or through access grants.
"""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.enums import CONTEXT_STATUSES
from cortex_mcp.contract.validators import v

o = v.optional


def _status():
    """A fresh validator per use, so each `.describe()` stays its own."""
    return v.enum(*CONTEXT_STATUSES)


FUNCTIONS = [
    # -- mutations -----------------------------------------------------------------------------
    mutation(
        "contexts:create",
        {
            "purpose": v.string().describe("What this context (task, goal, sub-task) is for"),
            "memorySpaceId": v.string().describe("Memory space that owns and creates the context"),
            "tenantId": o(v.string()).describe("Tenant that owns the context (stored only if non-empty)"),
            "description": o(v.string()).describe("Longer description"),
            "userId": o(v.string()).describe("User the context concerns (GDPR link)"),
            "parentId": o(v.string()).describe("contextId of the parent; makes this a child context one level deeper"),
            "conversationRef": o(
                v.object(
                    {
                        "conversationId": v.string().describe("Conversation that triggered the context"),
                        "messageIds": o(v.array(v.string())).describe(
                            "Messages of that conversation that triggered it"
                        ),
                    }
                )
            ).describe("Source conversation (not checked to exist)"),
            "data": o(v.any()).describe("Free-form payload (any JSON)"),
            "status": o(_status()).describe("Initial status (default active)"),
        },
        "Create a context (a unit of work) in a memory space, optionally as the child of another context; "
        "fails with PARENT_NOT_FOUND if parentId is unknown.",
        returns="the new context document (contextId, rootId, depth, childIds, participants, version 1, ...)",
    ),
    mutation(
        "contexts:update",
        {
            "contextId": v.string().describe("Context to update"),
            "tenantId": o(v.string()).describe("Tenant scope: required to reach a tenant-owned context"),
            "status": o(_status()).describe("New status; 'completed' also sets completedAt to now"),
            "description": o(v.string()).describe("Replaces the description"),
            "data": o(v.any()).describe("Shallow-merged into the existing data (keys overwrite)"),
            "completedAt": o(v.number()).describe("Explicit completion time (ms)"),
        },
        "Update a context's status, description or data; archives the previous state as a version. "
        "Fails with CONTEXT_NOT_FOUND.",
        returns="the updated context document",
    ),
    mutation(
        "contexts:deleteContext",
        {
            "contextId": v.string().describe("Context to delete"),
            "tenantId": o(v.string()).describe("Tenant scope: required to reach a tenant-owned context"),
            "cascadeChildren": o(v.boolean()).describe("Also delete the whole subtree"),
            "orphanChildren": o(v.boolean()).describe(
                "Keep the children, re-attached to the grandparent (or made roots)"
            ),
        },
        "Delete a context; a context with children needs cascadeChildren or orphanChildren "
        "(else HAS_CHILDREN). Fails with CONTEXT_NOT_FOUND.",
        destructive=True,
        returns="{deleted: true, contextId, descendantsDeleted, orphanedChildren?}",
    ),
    mutation(
        "contexts:addParticipant",
        {
            "contextId": v.string().describe("Context to share"),
            "participantId": v.string().describe("Participant or memory space id to add"),
        },
        "Add a participant (memory space) to a context; no change if already present.",
        idempotent=True,
        returns="the context document",
    ),
    mutation(
        "contexts:grantAccess",
        {
            "contextId": v.string().describe("Context to share"),
            "targetMemorySpaceId": v.string().describe("Memory space being granted access"),
            "scope": v.string().describe("Free-text scope, e.g. 'read-only' or 'context-only'"),
        },
        "Grant another memory space access to a context (replaces that space's earlier grant).",
        idempotent=True,
        returns="the updated context document",
    ),
    mutation(
        "contexts:updateMany",
        {
            "memorySpaceId": o(v.string()).describe("Only contexts of this memory space"),
            "userId": o(v.string()).describe("Only contexts of this user"),
            "status": o(_status()).describe("Only contexts currently in this status"),
            "parentId": o(v.string()).describe("Only direct children of this context"),
            "rootId": o(v.string()).describe("Only contexts in the tree with this root"),
            "updates": v.object(
                {
                    "status": o(_status()).describe("New status"),
                    "data": o(v.any()).describe("Shallow-merged into each context's data"),
                }
            ).describe("Changes to apply to every matched context"),
        },
        "Apply the same status/data change to every matching context (no filter = every context); each is versioned.",
        destructive=True,
        returns="{updated, contextIds}",
    ),
    mutation(
        "contexts:deleteMany",
        {
            "memorySpaceId": o(v.string()).describe("Only contexts of this memory space"),
            "userId": o(v.string()).describe("Only contexts of this user"),
            "status": o(_status()).describe("Only contexts in this status"),
            "completedBefore": o(v.number()).describe("Only contexts completed before this time (ms)"),
            "cascadeChildren": o(v.boolean()).describe(
                "Delete subtrees too; without it contexts with children are skipped"
            ),
        },
        "Delete every matching context (no filter = every leaf context); contexts with children are skipped "
        "unless cascadeChildren.",
        destructive=True,
        returns="{deleted, contextIds}",
    ),
    mutation(
        "contexts:removeParticipant",
        {
            "contextId": v.string().describe("Context"),
            "participantId": v.string().describe("Participant or memory space id to remove"),
        },
        "Remove a participant (memory space) from a context.",
        idempotent=True,
        returns="the updated context document",
    ),
    mutation(
        "contexts:purgeAll",
        {},
        "Delete every context of every space and tenant (test and development use).",
        destructive=True,
        returns="{deleted}",
    ),
    # -- queries -------------------------------------------------------------------------------
    query(
        "contexts:get",
        {
            "contextId": v.string().describe("Context id"),
            "tenantId": o(v.string()).describe("Tenant scope: required to see a tenant-owned context"),
            "includeChain": o(v.boolean()).describe("Return the whole chain (parent, root, children, ancestors, ...)"),
            "includeConversation": o(v.boolean()).describe(
                "With includeChain: also the source conversation and its trigger messages"
            ),
        },
        "Get one context by id (optionally with its chain and source conversation); null if not found.",
        returns="context document, chain object, or null",
    ),
    query(
        "contexts:list",
        {
            "memorySpaceId": o(v.string()).describe("Only contexts of this memory space"),
            "tenantId": o(v.string()).describe(
                "Only contexts of this tenant (without it, tenant-owned ones are hidden)"
            ),
            "userId": o(v.string()).describe("Only contexts of this user"),
            "status": o(_status()).describe("Only contexts in this status"),
            "parentId": o(v.string()).describe("Only direct children of this context"),
            "rootId": o(v.string()).describe("Only contexts in the tree with this root"),
            "depth": o(v.number()).describe("Only contexts at this depth (0 = roots)"),
            "limit": o(v.number()).describe("Max contexts (default 100)"),
        },
        "List contexts by space, tenant, status, parent or root, oldest first (newest first with no filter).",
        returns="array of context documents",
    ),
    query(
        "contexts:count",
        {
            "memorySpaceId": o(v.string()).describe("Count only this memory space"),
            "userId": o(v.string()).describe("Count only this user's contexts"),
            "status": o(_status()).describe("Count only this status"),
        },
        "Count contexts (all tenants).",
        returns="number",
    ),
    query(
        "contexts:getChain",
        {"contextId": v.string().describe("Any context of the tree")},
        "Get a context with its parent, root, children, siblings, ancestors and descendants; "
        "fails with CONTEXT_NOT_FOUND.",
        returns="{current, parent, root, children, siblings, ancestors, descendants, depth, totalNodes}",
    ),
    query(
        "contexts:getRoot",
        {"contextId": v.string().describe("Any context of the tree")},
        "Get the root context of a context's tree; fails with CONTEXT_NOT_FOUND.",
        returns="root context document or null",
    ),
    query(
        "contexts:getChildren",
        {
            "contextId": v.string().describe("Parent context"),
            "status": o(_status()).describe("Only children in this status"),
            "recursive": o(v.boolean()).describe("All descendants instead of direct children"),
        },
        "List a context's children (or all descendants); empty if the context does not exist.",
        returns="array of context documents",
    ),
    query(
        "contexts:search",
        {
            "memorySpaceId": o(v.string()).describe("Only contexts of this memory space"),
            "userId": o(v.string()).describe("Only contexts of this user"),
            "status": o(_status()).describe("Only contexts in this status"),
            "limit": o(v.number()).describe("Max contexts (default 100)"),
        },
        "Filter contexts by space, user and status (not a text search; all tenants).",
        returns="array of context documents",
    ),
    query(
        "contexts:getByConversation",
        {"conversationId": v.string().describe("Source conversation id")},
        "List the contexts created from a given conversation.",
        returns="array of context documents",
    ),
    query(
        "contexts:findOrphaned",
        {},
        "List contexts whose parent no longer exists (maintenance).",
        returns="array of context documents",
    ),
    query(
        "contexts:getVersion",
        {
            "contextId": v.string().describe("Context id"),
            "version": v.number().describe("Version number to fetch"),
        },
        "Get one historical version (status, data) of a context; null if unknown.",
        returns="{version, status, data?, timestamp, updatedBy?} or null",
    ),
    query(
        "contexts:getHistory",
        {"contextId": v.string().describe("Context id")},
        "Get every version of a context, oldest first, current last; empty if not found.",
        returns="array of {version, status, data?, timestamp, updatedBy?}",
    ),
    query(
        "contexts:getAtTimestamp",
        {
            "contextId": v.string().describe("Context id"),
            "timestamp": v.number().describe("Point in time (ms since epoch)"),
        },
        "Get the version of a context that was current at a point in time; null if none.",
        returns="{version, status, data?, timestamp, updatedBy?} or null",
    ),
    query(
        "contexts:exportContexts",
        {
            "memorySpaceId": o(v.string()).describe("Only contexts of this memory space"),
            "userId": o(v.string()).describe("Only contexts of this user"),
            "status": o(_status()).describe("Only contexts in this status"),
            "format": v.enum("json", "csv").describe("Output format"),
            "includeChain": o(v.boolean()).describe("Accepted for compatibility; has no effect"),
            "includeVersionHistory": o(v.boolean()).describe("JSON only: include version and previousVersions"),
        },
        "Export contexts as a JSON or CSV string (all tenants).",
        returns="{format, data, count, exportedAt}",
    ),
]
