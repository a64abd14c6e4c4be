"""Contract of the `immutable` module (spec/backend/immutable.md): versioned shared records (Layer 1b).

User profiles are rows with type "user" and id = the userId.
"""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.validators import v

o = v.optional


def _type(what: str = "Entity type, e.g. kb-article, policy, audit-log, feedback, user"):
    return v.string().describe(what)


def _id():
    return v.string().describe("Logical id within the type (for users: the userId)")


FUNCTIONS = [
    mutation(
        "immutable:store",
        {
            "type": _type(),
            "id": _id(),
            "data": v.any().describe("The payload of the new version (null allowed)"),
            "userId": o(v.string()).describe("User the record belongs to (GDPR link); only used when creating"),
            "tenantId": o(v.string()).describe("Tenant scope of the record"),
            "metadata": o(v.any()).describe("Metadata of the new version (omitted keeps the previous metadata)"),
        },
        "Store a versioned record: creates version 1, or adds a new version keeping the old ones in history.",
        returns="the record document after the write",
    ),
    mutation(
        "immutable:purge",
        {
            "type": _type(),
            "id": _id(),
            "tenantId": o(v.string()).describe("Tenant scope of the record"),
        },
        "Permanently delete a record with all its versions; fails with IMMUTABLE_ENTRY_NOT_FOUND.",
        destructive=True,
        returns="{deleted: true, type, id, versionsDeleted}",
    ),
    query(
        "immutable:get",
        {
            "type": _type(),
            "id": _id(),
            "tenantId": o(v.string()).describe("Tenant scope of the record"),
        },
        "Get the current version of a record; null when it does not exist.",
        returns="record document or null",
    ),
    query(
        "immutable:getVersion",
        {
            "type": _type(),
            "id": _id(),
            "version": v.number().describe("Version number (1 = first)"),
            "tenantId": o(v.string()).describe("Tenant scope of the record"),
        },
        "Get one specific version of a record; null when that version does not exist.",
        returns="{type, id, version, data, userId?, metadata?, timestamp, createdAt} or null",
    ),
    query(
        "immutable:getHistory",
        {"type": _type(), "id": _id()},
        "Get every stored version of a record, oldest first.",
        returns="array of {type, id, version, data, userId?, metadata?, timestamp, createdAt}",
    ),
    query(
        "immutable:list",
        {
            "type": o(_type("Only records of this type")),
            "userId": o(v.string()).describe("Only records of this user"),
            "tenantId": o(v.string()).describe("Only records of this tenant"),
            "limit": o(v.number()).describe("Page size (default 50)"),
            "offset": o(v.number()).describe("Records to skip"),
            "createdAfter": o(v.number()).describe("createdAt > this (ms)"),
            "createdBefore": o(v.number()).describe("createdAt < this (ms)"),
            "updatedAfter": o(v.number()).describe("updatedAt > this (ms)"),
            "updatedBefore": o(v.number()).describe("updatedAt < this (ms)"),
            "sortBy": o(v.string()).describe('"updatedAt" or "createdAt" (default)'),
            "sortOrder": o(v.string()).describe('"desc" (default) or "asc"'),
        },
        "List records (current versions) with filters, sorting and paging.",
        returns="{entries, total, limit, offset, hasMore}",
    ),
    query(
        "immutable:search",
        {
            "query": v.string().describe("Text to look for in the records' current data (case-insensitive)"),
            "type": o(_type("Only records of this type")),
            "userId": o(v.string()).describe("Only records of this user"),
            "limit": o(v.number()).describe("Max results (default 10)"),
        },
        "Search the current data of records for text (keys and values), with highlights.",
        returns="array of {entry, score, highlights}",
    ),
    query(
        "immutable:count",
        {
            "type": o(_type("Only records of this type")),
            "userId": o(v.string()).describe("Only records of this user"),
            "createdAfter": o(v.number()).describe("createdAt > this (ms)"),
            "createdBefore": o(v.number()).describe("createdAt < this (ms)"),
            "updatedAfter": o(v.number()).describe("updatedAt > this (ms)"),
            "updatedBefore": o(v.number()).describe("updatedAt < this (ms)"),
        },
        "Count records matching the filters (all tenants).",
        returns="number",
    ),
    query(
        "immutable:getAtTimestamp",
        {
            "type": _type(),
            "id": _id(),
            "timestamp": v.number().describe("Point in time (epoch ms)"),
        },
        "Get the version of a record that was current at a point in time; null if it did not exist yet.",
        returns="{type, id, version, data, userId?, metadata?, timestamp, createdAt} or null",
    ),
    mutation(
        "immutable:purgeMany",
        {
            "type": o(_type("Delete only records of this type")),
            "userId": o(v.string()).describe("Delete only records of this user"),
        },
        "Permanently delete every record matching the filters (no filter = all records of all tenants).",
        destructive=True,
        returns="{deleted, totalVersionsDeleted, entries: [{type, id}]}",
    ),
    mutation(
        "immutable:purgeVersions",
        {
            "type": _type(),
            "id": _id(),
            "keepLatest": v.number().describe(
                "How many of the newest versions to keep (the current one is always kept)"
            ),
        },
        "Trim a record's version history to its newest versions; fails with IMMUTABLE_ENTRY_NOT_FOUND.",
        destructive=True,
        idempotent=True,
        returns="{versionsPurged, versionsRemaining}",
    ),
    mutation(
        "immutable:purgeAll",
        {},
        "Delete every immutable record of every tenant, user profiles included (test and development use).",
        destructive=True,
        returns="{deleted}",
    ),
]
