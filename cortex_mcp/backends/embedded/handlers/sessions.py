"""Embedded handlers of the `sessions` module (spec/backend/sessions.md).

Every error here is a plain `Error` upstream. Lookups by `sessionId` take the oldest row
(ids are not unique: `create` does not check).
"""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import js_slice, truthy
from cortex_mcp.backends.embedded.store import Query, Tx
from cortex_mcp.errors import plain_error

_OPEN = ("active", "idle")


def _find(tx: Tx, session_id: str) -> dict | None:
    return tx.query("sessions").index("by_sessionId", session_id).first()


def _require(tx: Tx, session_id: str) -> dict:
    session = _find(tx, session_id)
    if session is None:
        raise plain_error(f"Session not found: {session_id}")
    return session


def _filtered(tx: Tx, args: dict) -> Query:
    """Sessions matching every truthy filter: the narrowest index, the rest as post-filters."""
    tenant, user, space, status = (args.get(k) for k in ("tenantId", "userId", "memorySpaceId", "status"))
    tenant, user, space, status = (x if truthy(x) else None for x in (tenant, user, space, status))
    q = tx.query("sessions")
    used: set[str] = set()
    if tenant is not None and user is not None:
        q, used = q.index("by_tenant_user", tenant, user), {"tenantId", "userId"}
    elif tenant is not None and status is not None:
        q, used = q.index("by_tenant_status", tenant, status), {"tenantId", "status"}
    elif tenant is not None:
        q, used = q.index("by_tenantId", tenant), {"tenantId"}
    elif user is not None:
        q, used = q.index("by_userId", user), {"userId"}
    elif space is not None:
        q, used = q.index("by_memorySpace", space), {"memorySpaceId"}
    elif status is not None:
        q, used = q.index("by_status", status), {"status"}
    for name, value in (("tenantId", tenant), ("userId", user), ("memorySpaceId", space), ("status", status)):
        if value is not None and name not in used:
            q = q.where(name, value)
    return q


def _is_count(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 and float(value).is_integer()


@handler("sessions:create")
def create(tx: Tx, args: dict) -> Any:
    doc: dict[str, Any] = {"sessionId": args["sessionId"], "userId": args["userId"]}
    for key in ("tenantId", "memorySpaceId"):
        if key in args:
            doc[key] = args[key]
    doc.update(status="active", startedAt=args["startedAt"], lastActiveAt=args["startedAt"])
    for key in ("expiresAt", "metadata"):
        if key in args:
            doc[key] = args[key]
    doc.update(messageCount=0, memoryCount=0)
    session_id = tx.insert("sessions", doc)
    return {"_id": session_id, **doc}  # built from the inserted values: no _creationTime


@handler("sessions:get")
def get(tx: Tx, args: dict) -> Any:
    return _find(tx, args["sessionId"])


@handler("sessions:touch")
def touch(tx: Tx, args: dict) -> Any:
    session = _require(tx, args["sessionId"])
    tx.patch(session["_id"], {"lastActiveAt": tx.now, "status": "active"})
    return None


@handler("sessions:end")
def end(tx: Tx, args: dict) -> Any:
    session = _require(tx, args["sessionId"])
    tx.patch(session["_id"], {"status": "ended", "endedAt": tx.now})
    return None


@handler("sessions:endAll")
def end_all(tx: Tx, args: dict) -> Any:
    q = tx.query("sessions")
    if truthy(args.get("tenantId")):
        q = q.index("by_tenant_user", args["tenantId"], args["userId"])
    else:
        q = q.index("by_userId", args["userId"])
    open_sessions = q.filter(lambda doc: doc["status"] != "ended").collect()
    for session in open_sessions:
        tx.patch(session["_id"], {"status": "ended", "endedAt": tx.now})
    return {"ended": len(open_sessions), "sessionIds": [s["sessionId"] for s in open_sessions]}


@handler("sessions:list")
def list_(tx: Tx, args: dict) -> Any:
    q = _filtered(tx, args)
    offset = args.get("offset", 0)
    limit = args.get("limit", 50)
    if offset == 0 and _is_count(limit):
        return q.take(limit)
    return js_slice(q.collect(), offset, offset + limit)


@handler("sessions:count")
def count(tx: Tx, args: dict) -> Any:
    return _filtered(tx, args).count()


@handler("sessions:expireIdle")
def expire_idle(tx: Tx, args: dict) -> Any:
    cutoff = tx.now - args["idleTimeout"]
    tenant = args.get("tenantId")
    expired = 0
    for status in _OPEN:
        q = tx.query("sessions")
        if truthy(tenant):
            q = q.index("by_tenant_status", tenant, status)
        else:
            q = q.index("by_status", status)
        for session in q.filter(lambda doc: doc["lastActiveAt"] < cutoff).collect():
            tx.patch(session["_id"], {"status": "ended", "endedAt": tx.now})
            expired += 1
    return {"expired": expired}


def _increment(tx: Tx, session_id: str, counter: str) -> None:
    session = _find(tx, session_id)
    if session is None:
        return None
    tx.patch(session["_id"], {counter: session.get(counter, 0) + 1, "lastActiveAt": tx.now})
    return None


@handler("sessions:incrementMessageCount")
def increment_message_count(tx: Tx, args: dict) -> Any:
    return _increment(tx, args["sessionId"], "messageCount")


@handler("sessions:incrementMemoryCount")
def increment_memory_count(tx: Tx, args: dict) -> Any:
    return _increment(tx, args["sessionId"], "memoryCount")
