"""Embedded handlers of the `users` module (spec/backend/users.md).

Profiles are `immutable` rows with `type == "user"`; `tenantId` is ignored throughout (the
oldest row for a user id wins). Nothing here raises its own errors.
"""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import truthy
from cortex_mcp.backends.embedded.store import Tx

USER = "user"


def _lookup(tx: Tx, user_id: str) -> dict | None:
    return tx.query("immutable").index("by_type_id", USER, user_id).first()


def _profile(row: dict) -> dict:
    return {
        "id": row["id"],
        "data": row["data"],
        "version": row["version"],
        "createdAt": row["createdAt"],
        "updatedAt": row["updatedAt"],
    }


def _current(row: dict) -> dict:
    return {"version": row["version"], "data": row["data"], "timestamp": row["updatedAt"]}


def _previous(entry: dict) -> dict:
    return {"version": entry["version"], "data": entry["data"], "timestamp": entry["timestamp"]}


@handler("users:get")
def get(tx: Tx, args: dict) -> Any:
    row = _lookup(tx, args["userId"])
    return None if row is None else _profile(row)


@handler("users:list")
def list_(tx: Tx, args: dict) -> Any:
    q = tx.query("immutable").index("by_type", USER)
    limit = args.get("limit")
    rows = q.take(limit) if truthy(limit) else q.collect()
    return [_profile(r) for r in rows]


@handler("users:count")
def count(tx: Tx, args: dict) -> Any:
    return tx.query("immutable").index("by_type", USER).count()


@handler("users:getVersion")
def get_version(tx: Tx, args: dict) -> Any:
    row = _lookup(tx, args["userId"])
    if row is None:
        return None
    if row["version"] == args["version"]:
        return _current(row)
    for entry in row["previousVersions"]:
        if entry["version"] == args["version"]:
            return _previous(entry)
    return None


@handler("users:getHistory")
def get_history(tx: Tx, args: dict) -> Any:
    row = _lookup(tx, args["userId"])
    if row is None:
        return []
    views = [_current(row), *(_previous(e) for e in row["previousVersions"])]
    return sorted(views, key=lambda view: view["version"], reverse=True)  # stable, like JS sort


@handler("users:getAtTimestamp")
def get_at_timestamp(tx: Tx, args: dict) -> Any:
    row = _lookup(tx, args["userId"])
    ts = args["timestamp"]
    if row is None or row["createdAt"] > ts:
        return None
    if row["updatedAt"] <= ts:
        return _current(row)
    best = None
    for entry in row["previousVersions"]:
        if entry["timestamp"] <= ts and (best is None or entry["timestamp"] > best["timestamp"]):
            best = entry  # strict `>`: on a tie the earlier entry in the array stays
    return None if best is None else _previous(best)


@handler("users:deleteUserProfile")
def delete_user_profile(tx: Tx, args: dict) -> Any:
    row = _lookup(tx, args["userId"])
    if row is None:
        return {"deleted": False}
    tx.delete(row["_id"])
    return {"deleted": True}


@handler("users:exists")
def exists(tx: Tx, args: dict) -> Any:
    return _lookup(tx, args["userId"]) is not None
