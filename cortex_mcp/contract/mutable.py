"""Contract of the `mutable` module (spec/backend/mutable.md): a live key/value store, no versions.

Keys are `(namespace, key)`, optionally scoped by `tenantId`. Single-key functions without a
tenantId see only global rows; namespace-wide functions without a tenantId see every tenant.
"""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.validators import v

o = v.optional


def _tenant() -> dict:
    return {"tenantId": o(v.string()).describe("Tenant scope (absent = global row)")}


def _key() -> dict:
    return {
        "namespace": v.string().describe("Namespace, e.g. 'preferences' or 'counters'"),
        "key": v.string().describe("Key within the namespace"),
    }


def _namespace(what: str = "Namespace") -> dict:
    return {"namespace": v.string().describe(what)}


def _filters() -> dict:
    return {
        "keyPrefix": o(v.string()).describe("Only keys starting with this prefix"),
        "userId": o(v.string()).describe("Only rows linked to this user"),
        "updatedAfter": o(v.number()).describe("Only rows with updatedAt strictly after this epoch ms"),
        "updatedBefore": o(v.number()).describe("Only rows with updatedAt strictly before this epoch ms"),
    }


OPERATION = v.object(
    {
        "op": v.enum("set", "update", "delete", "increment", "decrement").describe("Operation kind"),
        "namespace": v.string().describe("Namespace"),
        "key": v.string().describe("Key"),
        "value": o(v.any()).describe("New value (required for set and update)"),
        "amount": o(v.number()).describe("Step for increment/decrement (default 1)"),
    }
)

FUNCTIONS = [
    mutation(
        "mutable:set",
        {
            **_key(),
            "value": v.any().describe("New value (any JSON, null allowed)"),
            "userId": o(v.string()).describe("Link the row to a user (GDPR cascade)"),
            **_tenant(),
            "metadata": o(v.any()).describe("Free-form metadata (replaces the stored metadata)"),
        },
        "Create or overwrite a key's current value (last write wins, no history).",
        destructive=True,
        idempotent=True,
        returns="the stored document",
    ),
    mutation(
        "mutable:update",
        {
            **_key(),
            "operation": v.enum("increment", "decrement", "append", "custom").describe(
                "increment/decrement a number, append to an array, or custom = replace with operand"
            ),
            "operand": o(v.any()).describe("Step (default 1), element to append, or the new value for custom"),
            **_tenant(),
        },
        "Atomically change an existing key's value: counter increment/decrement, array append, or replace.",
        destructive=True,
        returns="the updated document",
    ),
    mutation(
        "mutable:deleteKey",
        {**_key(), **_tenant()},
        "Delete one key; fails with MUTABLE_KEY_NOT_FOUND if it does not exist.",
        destructive=True,
        returns="{deleted: true, namespace, key}",
    ),
    mutation(
        "mutable:purgeNamespace",
        {
            **_namespace("Namespace to empty"),
            "dryRun": o(v.boolean()).describe("Only report which keys would be deleted"),
            **_tenant(),
        },
        "Delete every key of a namespace (without tenantId: every tenant's rows); dryRun previews.",
        destructive=True,
        idempotent=True,
        returns="{deleted, namespace, dryRun, keys (dry run only)}",
    ),
    mutation(
        "mutable:transaction",
        {
            "operations": v.array(OPERATION).describe("Operations run in order, all-or-nothing"),
            **_tenant(),
        },
        "Run several set/update/delete/increment/decrement operations atomically (all or nothing).",
        destructive=True,
        returns="{success: true, operationsExecuted, results}",
    ),
    mutation(
        "mutable:purgeMany",
        {
            **_namespace(),
            "keyPrefix": o(v.string()).describe("Only keys starting with this prefix"),
            "userId": o(v.string()).describe("Only rows linked to this user"),
            "updatedBefore": o(v.number()).describe("Only rows with updatedAt strictly before this epoch ms"),
            **_tenant(),
        },
        "Delete the keys of a namespace that match filters (prefix, user, last update).",
        destructive=True,
        idempotent=True,
        returns="{deleted, namespace, keys}",
    ),
    query(
        "mutable:get",
        {**_key(), **_tenant()},
        "Get a key's document (value, timestamps, metadata); null if it does not exist.",
        returns="document or null",
    ),
    query(
        "mutable:exists",
        {**_key(), **_tenant()},
        "Check whether a key exists.",
        returns="boolean",
    ),
    query(
        "mutable:list",
        {
            **_namespace(),
            **_filters(),
            **_tenant(),
            "limit": o(v.number()).describe("Max rows (default 100)"),
            "offset": o(v.number()).describe("Rows to skip after sorting"),
            "sortBy": o(v.string()).describe("'key' (default, locale order) or 'updatedAt'; other = insertion order"),
            "sortOrder": o(v.string()).describe("'asc' (default) or 'desc'"),
        },
        "List the keys of a namespace with filters, sorting and paging.",
        returns="array of documents",
    ),
    query(
        "mutable:count",
        {**_namespace(), **_filters(), **_tenant()},
        "Count the keys of a namespace that match filters.",
        returns="number",
    ),
    mutation(
        "mutable:purgeAll",
        {"tenantId": o(v.string()).describe("Only this tenant's rows (absent = the whole table)")},
        "Delete every mutable row, or every row of one tenant (test and development use).",
        destructive=True,
        idempotent=True,
        returns="{deleted}",
    ),
]
