"""Contract of the `users` module (spec/backend/users.md): user profiles, read and delete only.

A profile is the `immutable` row with `type == "user"` and `id == userId`; profiles are created
and versioned through `immutable:store` (type "user"), not here. `tenantId` is ignored.
"""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.validators import v

o = v.optional


def _user_id(what: str = "User id") -> dict:
    return {"userId": v.string().describe(what)}


FUNCTIONS = [
    query(
        "users:get",
        _user_id(),
        "Get a user's current profile; null when the user has no profile.",
        returns="{id, data, version, createdAt, updatedAt} or null",
    ),
    query(
        "users:list",
        {"limit": o(v.number()).describe("Max profiles; absent or 0 means all")},
        "List user profiles, oldest first (all tenants).",
        returns="array of {id, data, version, createdAt, updatedAt}",
    ),
    query(
        "users:count",
        {},
        "Count user profiles (all tenants).",
        returns="number",
    ),
    query(
        "users:getVersion",
        {
            **_user_id(),
            "version": v.number().describe("Profile version number (1 = first)"),
        },
        "Get one specific version of a user's profile; null if the user or version does not exist.",
        returns="{version, data, timestamp} or null",
    ),
    query(
        "users:getHistory",
        _user_id(),
        "Get every version of a user's profile, newest version first; [] when no profile.",
        returns="array of {version, data, timestamp}",
    ),
    query(
        "users:getAtTimestamp",
        {
            **_user_id(),
            "timestamp": v.number().describe("Point in time, epoch milliseconds"),
        },
        "Get the version of a user's profile that was current at a point in time; null if none yet.",
        returns="{version, data, timestamp} or null",
    ),
    mutation(
        "users:deleteUserProfile",
        _user_id(),
        "Delete a user's profile row (no cascade to memories, facts, sessions...).",
        destructive=True,
        returns="{deleted: boolean}",
    ),
    query(
        "users:exists",
        _user_id(),
        "Check whether a user has a profile.",
        returns="boolean",
    ),
]
