"""Embedded handlers of the `immutable` module (spec/backend/immutable.md).

Deviation (docs/parity.md): an untenanted lookup ("resolve" without tenantId) returns the oldest
*untenanted* row of (type, id). Upstream takes the oldest row of any tenant and reports "not
found" when it is tenanted, so a global record created after a tenant's record with the same key
could never be read, versioned or purged (every store inserted yet another version-1 row).
"""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.handlers.conversations import highlight
from cortex_mcp.backends.embedded.js import convex_key_order, js_own_keys, js_slice, js_stringify, or_default, truthy
from cortex_mcp.backends.embedded.store import Query, Tx
from cortex_mcp.errors import convex_error

_BOUNDS = (
    ("createdAfter", "createdAt", lambda x, b: x > b),
    ("createdBefore", "createdAt", lambda x, b: x < b),
    ("updatedAfter", "updatedAt", lambda x, b: x > b),
    ("updatedBefore", "updatedAt", lambda x, b: x < b),
)


def _resolve(tx: Tx, type_: str, id_: str, tenant_id: Any = None) -> dict | None:
    """The row a tenant-aware call addresses: the tenant's row, or the oldest untenanted one."""
    if truthy(tenant_id):
        return tx.query("immutable").index("by_tenant_type_id", tenant_id, type_, id_).first()
    return tx.query("immutable").index("by_type_id", type_, id_).filter(lambda r: not truthy(r.get("tenantId"))).first()


def _resolve_any(tx: Tx, type_: str, id_: str) -> dict | None:
    """The oldest row of (type, id), whatever its tenant (functions without a tenantId argument)."""
    return tx.query("immutable").index("by_type_id", type_, id_).first()


def _require_any(tx: Tx, type_: str, id_: str) -> dict:
    row = _resolve_any(tx, type_, id_)
    if row is None:
        raise convex_error("IMMUTABLE_ENTRY_NOT_FOUND")
    return row


def _view(row: dict, version: dict | None = None) -> dict:
    """Version view of the current version (version=None) or of a previousVersions entry."""
    source = row if version is None else version
    out: dict[str, Any] = {"type": row["type"], "id": row["id"], "version": source["version"], "data": source["data"]}
    if "userId" in row:
        out["userId"] = row["userId"]
    if "metadata" in source:
        out["metadata"] = source["metadata"]
    out["timestamp"] = row["updatedAt"] if version is None else version["timestamp"]
    out["createdAt"] = row["createdAt"]
    return out


def _filtered(tx: Tx, args: dict, tenant: bool = False) -> Query:
    """Rows matching the truthy type/userId(/tenantId) filters and the strict time bounds, oldest first."""
    type_, user_id = args.get("type"), args.get("userId")
    tenant_id = args.get("tenantId") if tenant else None
    q = tx.query("immutable")
    if truthy(tenant_id):
        q = q.index("by_tenantId", tenant_id)
    elif truthy(type_):
        q = q.index("by_type", type_)
    elif truthy(user_id):
        q = q.index("by_userId", user_id)

    def keep(r: dict) -> bool:
        if truthy(type_) and r["type"] != type_:
            return False
        if truthy(user_id) and r.get("userId") != user_id:
            return False
        if truthy(tenant_id) and r.get("tenantId") != tenant_id:
            return False
        return all(arg not in args or ok(r[field], args[arg]) for arg, field, ok in _BOUNDS)

    return q.filter(keep)


# -- mutations -------------------------------------------------------------------------------


@handler("immutable:store")
def store(tx: Tx, args: dict) -> Any:
    row = _resolve(tx, args["type"], args["id"], args.get("tenantId"))
    if row is not None:
        previous = {"version": row["version"], "data": row["data"], "timestamp": row["updatedAt"]}
        if "metadata" in row:
            previous["metadata"] = row["metadata"]
        patch = {
            "data": args["data"],
            "version": row["version"] + 1,
            "previousVersions": [*row["previousVersions"], previous],
            "updatedAt": tx.now,
        }
        if truthy(args.get("metadata")):  # `args.metadata || old metadata`
            patch["metadata"] = args["metadata"]
        tx.patch(row["_id"], patch)
        return tx.get(row["_id"])
    doc: dict[str, Any] = {"type": args["type"], "id": args["id"], "data": args["data"]}
    for key in ("userId", "tenantId"):
        if key in args:
            doc[key] = args[key]
    doc.update({"version": 1, "previousVersions": []})
    if "metadata" in args:
        doc["metadata"] = args["metadata"]
    doc.update({"createdAt": tx.now, "updatedAt": tx.now})
    return tx.fetch(tx.insert("immutable", doc))


@handler("immutable:purge")
def purge(tx: Tx, args: dict) -> Any:
    row = _resolve(tx, args["type"], args["id"], args.get("tenantId"))
    if row is None:
        raise convex_error("IMMUTABLE_ENTRY_NOT_FOUND")
    tx.delete(row["_id"])
    return {"deleted": True, "type": args["type"], "id": args["id"], "versionsDeleted": row["version"]}


@handler("immutable:purgeMany")
def purge_many(tx: Tx, args: dict) -> Any:
    rows = _filtered(tx, args).collect()
    tx.delete_all(rows)
    return {
        "deleted": len(rows),
        "totalVersionsDeleted": sum(r["version"] for r in rows),
        "entries": [{"type": r["type"], "id": r["id"]} for r in rows],
    }


@handler("immutable:purgeVersions")
def purge_versions(tx: Tx, args: dict) -> Any:
    row = _require_any(tx, args["type"], args["id"])
    previous = row["previousVersions"]
    total = len(previous) + 1
    keep_latest = args["keepLatest"]
    if total <= keep_latest:
        return {"versionsPurged": 0, "versionsRemaining": total}
    kept = js_slice(previous, total - keep_latest)
    tx.patch(row["_id"], {"previousVersions": kept})
    # Report what actually happened: the current version always remains (see docs/parity.md).
    return {"versionsPurged": len(previous) - len(kept), "versionsRemaining": len(kept) + 1}


@handler("immutable:purgeAll")
def purge_all(tx: Tx, args: dict) -> Any:
    rows = tx.query("immutable").collect()
    tx.delete_all(rows)
    return {"deleted": len(rows)}


# -- queries ---------------------------------------------------------------------------------


@handler("immutable:get")
def get(tx: Tx, args: dict) -> Any:
    return _resolve(tx, args["type"], args["id"], args.get("tenantId"))


@handler("immutable:getVersion")
def get_version(tx: Tx, args: dict) -> Any:
    row = _resolve(tx, args["type"], args["id"], args.get("tenantId"))
    if row is None:
        return None
    if args["version"] == row["version"]:
        return _view(row)
    entry = next((p for p in row["previousVersions"] if p["version"] == args["version"]), None)
    return None if entry is None else _view(row, entry)


@handler("immutable:getHistory")
def get_history(tx: Tx, args: dict) -> Any:
    row = _resolve_any(tx, args["type"], args["id"])
    if row is None:
        return []
    views = [*(_view(row, p) for p in row["previousVersions"]), _view(row)]
    views.sort(key=lambda x: x["version"])
    return views


@handler("immutable:getAtTimestamp")
def get_at_timestamp(tx: Tx, args: dict) -> Any:
    row = _resolve_any(tx, args["type"], args["id"])
    if row is None:
        return None
    at = args["timestamp"]
    if at >= row["updatedAt"]:
        return _view(row)
    if at < row["createdAt"]:
        return None
    previous = row["previousVersions"]
    for entry in reversed(previous):
        if entry["timestamp"] <= at:
            return _view(row, entry)
    return _view(row, previous[0]) if previous else None


@handler("immutable:list")
def list_(tx: Tx, args: dict) -> Any:
    rows = _filtered(tx, args, tenant=True).collect()
    key = "updatedAt" if args.get("sortBy") == "updatedAt" else "createdAt"
    rows.sort(key=lambda r: r[key], reverse=or_default(args.get("sortOrder"), "desc") == "desc")
    limit, offset = or_default(args.get("limit"), 50), or_default(args.get("offset"), 0)
    entries = js_slice(rows, offset, offset + limit)
    total = len(rows)
    return {
        "entries": entries,
        "total": total,
        "limit": limit,
        "offset": offset,
        "hasMore": offset + len(entries) < total,
    }


@handler("immutable:count")
def count(tx: Tx, args: dict) -> Any:
    return _filtered(tx, args).count()


def _highlights(data: Any, query_lower: str) -> list[str]:
    if isinstance(data, list):
        values = list(data)
    elif isinstance(data, dict):
        values = [data[k] for k in js_own_keys(data)]
    else:
        return []
    out = []
    for value in values:
        if isinstance(value, str):
            found = highlight(value, query_lower)
            if found is not None:
                out.append(found)
                if len(out) == 3:
                    break
    return out


@handler("immutable:search")
def search(tx: Tx, args: dict) -> Any:
    query_lower = args["query"].lower()
    limit = or_default(args.get("limit"), 10)
    results = []
    for row in _filtered(tx, args):
        data = convex_key_order(row["data"])  # as a Convex function reads it: object keys sorted
        if query_lower in js_stringify(data).lower():
            results.append({"entry": row, "score": 1, "highlights": _highlights(data, query_lower)})
    return js_slice(results, 0, limit)
