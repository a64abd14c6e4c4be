"""User profiles (immutable records of type "user") and the GDPR cascade (orchestration §8).

Profile CRUD is client-side over `immutable:*` / `users:*`, as upstream. The cascade delete uses
the `gdpr` extension functions, so it is one transaction — it completes or changes nothing —
and is verified afterwards by looking for anything left (docs/parity.md).
"""

from __future__ import annotations

import copy
import csv
import io
import json
from typing import Any

from cortex_mcp.api import checks
from cortex_mcp.backends.base import Backend, Call, Nested, Plan, call, run_plan
from cortex_mcp.errors import CortexError, InputError

MAX_BATCH = 100


def check_user_id(user_id: Any, field: str = "user_id") -> str:
    if user_id is None:
        raise InputError("MISSING_USER_ID", f"{field} is required", field)
    if not isinstance(user_id, str) or not user_id.strip():
        raise InputError("INVALID_USER_ID_FORMAT", f"{field} must be a non-empty string", field)
    return user_id


def _check_ids(user_ids: Any) -> list[str]:
    if not isinstance(user_ids, list) or not user_ids:
        raise InputError("EMPTY_USER_IDS_ARRAY", "user_ids must list at least one user", "user_ids")
    if len(user_ids) > MAX_BATCH:
        raise InputError("USER_ID_ARRAY_TOO_LARGE", f"at most {MAX_BATCH} user ids per call", "user_ids")
    if len(set(user_ids)) != len(user_ids):
        raise InputError("DUPLICATE_VALUES", "user_ids lists a user twice", "user_ids")
    for user_id in user_ids:
        check_user_id(user_id, "user_ids")
    return user_ids


def deep_merge(base: Any, updates: Any) -> Any:
    """Objects merge key by key (recursively); anything else is replaced."""
    if isinstance(base, dict) and isinstance(updates, dict):
        merged = copy.deepcopy(base)
        for key, value in updates.items():
            merged[key] = deep_merge(merged.get(key), value)
        return merged
    return copy.deepcopy(updates)


async def get(backend: Backend, *, user_id: str) -> dict | None:
    check_user_id(user_id)
    return await call(backend, "users:get", {"userId": user_id})


async def update(backend: Backend, *, user_id: str, data: dict, merge: bool = True) -> dict:
    """A new profile version: `data` merged into the current profile (or replacing it).

    Creates the profile when the user has none (get-or-create). Read, merge and write are one plan
    (one transaction on the embedded backend): parallel updates of one profile each keep the other's keys.
    """
    check_user_id(user_id)
    if not isinstance(data, dict):
        raise InputError("INVALID_PROFILE_DATA", "data must be an object", "data")
    return await run_plan(backend, _update_plan(user_id, data, merge), bounded=True)


def _update_plan(user_id: str, data: dict, merge: bool) -> Plan[dict]:
    current = yield Call("users:get", {"userId": user_id})
    new_data = deep_merge(current["data"], data) if current is not None and merge else data
    yield Call("immutable:store", {"type": "user", "id": user_id, "userId": user_id, "data": new_data})
    saved = yield Call("users:get", {"userId": user_id})
    if saved is None:  # deleted by another call in between (call by call, on Convex)
        raise CortexError(f"user {user_id} was deleted while being updated", code="USER_NOT_FOUND", field="user_id")
    return saved


async def search(backend: Backend, *, query: str, limit: int = 20) -> list[dict]:
    """Profiles whose data contains `query` (case-insensitive)."""
    checks.require_text(query, "query")
    checks.check_limit(limit, maximum=MAX_BATCH)
    rows = await call(backend, "immutable:search", {"query": query, "type": "user", "limit": limit})
    return [
        {key: hit["entry"][key] for key in ("id", "data", "version", "createdAt", "updatedAt")} for hit in rows
    ]


async def update_many(backend: Backend, *, user_ids: list[str], data: dict) -> list[dict]:
    """Merge the same data into several existing profiles, in one plan: unknown users are refused
    before anything is written."""
    _check_ids(user_ids)
    if not isinstance(data, dict):
        raise InputError("INVALID_PROFILE_DATA", "data must be an object", "data")
    return await run_plan(backend, _update_many_plan(user_ids, data))


def _update_many_plan(user_ids: list[str], data: dict) -> Plan[list[dict]]:
    missing = []
    for user_id in user_ids:
        if not (yield Call("users:exists", {"userId": user_id})):
            missing.append(user_id)
    if missing:
        raise CortexError(f"no profile for: {', '.join(missing)}", code="USER_NOT_FOUND", field="user_ids",
                          hint="Create the profiles first (update_user), or leave those ids out.")
    saved = []
    for user_id in user_ids:
        saved.append((yield Nested(_update_plan(user_id, data, merge=True))))
    return saved


async def delete(backend: Backend, *, user_id: str, cascade: bool = False, dry_run: bool = False) -> dict:
    """Delete the profile, or with `cascade` everything of the user in every layer (one transaction).

    A cascade is verified afterwards: `verification.complete` is false if anything was left.
    """
    check_user_id(user_id)
    if not cascade:
        if dry_run:
            exists = await call(backend, "users:exists", {"userId": user_id})
            return {"userId": user_id, "dryRun": True, "deleted": False, "total": int(exists), "profile": exists}
        result = await call(backend, "users:deleteUserProfile", {"userId": user_id})
        return {"userId": user_id, "dryRun": False, "deleted": result["deleted"], "total": int(result["deleted"]),
                "profile": result["deleted"]}
    result = await call(backend, "gdpr:deleteUserData", {"userId": user_id, "dryRun": dry_run})
    if not dry_run:
        remaining = await call(backend, "gdpr:findUserData", {"userId": user_id})
        issues = [f"{n} {layer} still reference the user" for layer, n in remaining["counts"].items()
                  if n and layer != "conversationMessages"]
        if remaining["profile"]:
            issues.append("the user profile still exists")
        result["verification"] = {"complete": not issues, "issues": issues}
    return result


async def delete_many(
    backend: Backend, *, user_ids: list[str], cascade: bool = False, dry_run: bool = False
) -> list[dict]:
    _check_ids(user_ids)
    return [await delete(backend, user_id=u, cascade=cascade, dry_run=dry_run) for u in user_ids]


async def export(backend: Backend, *, format: str = "json", limit: int = 1000) -> str:
    """All profiles as JSON (a list) or CSV (id, version, createdAt, updatedAt, data as JSON)."""
    checks.check_choice(format, "format", ("json", "csv"))
    checks.check_limit(limit, maximum=10_000)
    profiles = await call(backend, "users:list", {"limit": limit})
    if format == "json":
        return json.dumps(profiles, ensure_ascii=False, indent=2)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "version", "createdAt", "updatedAt", "data"])
    for p in profiles:
        writer.writerow(
            [
                p["id"],
                p["version"],
                int(p["createdAt"]),
                int(p["updatedAt"]),
                json.dumps(p["data"], ensure_ascii=False, sort_keys=True),
            ]
        )
    return out.getvalue()
