"""Embedded handlers of the `mutable` module (spec/backend/mutable.md).

Every mutation runs in one write-locked transaction (BEGIN IMMEDIATE), so the read-modify-write
of `update` and `transaction` is atomic and an error anywhere rolls back the whole call.
Deviations from upstream are listed in docs/parity.md (see `_resolve` and `_step`).
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import js_slice, or_default, truthy
from cortex_mcp.backends.embedded.store import REMOVE, Query, Tx
from cortex_mcp.contract.validators import is_number
from cortex_mcp.errors import convex_error, plain_error

TABLE = "mutable"
NOT_FOUND = "MUTABLE_KEY_NOT_FOUND"
NOT_ARRAY = "MUTABLE_VALUE_NOT_ARRAY"
NOT_NUMBER = "MUTABLE_VALUE_NOT_NUMBER"
_MAX_SAFE_INT = 2**53 - 1


# -- lookup ----------------------------------------------------------------------------------
def _resolve(tx: Tx, namespace: str, key: str, tenant_id: Any) -> dict | None:
    """The row a single-key operation acts on.

    Tenant given: the oldest row of (tenantId, namespace, key). Otherwise the oldest *global*
    row (no / falsy tenantId) of (namespace, key). Deviation: upstream looks only at the oldest
    row of (namespace, key) and reports "not found" when that one belongs to a tenant, so once a
    tenant wrote a key first, global writes went to rows no global read could ever see.
    """
    if truthy(tenant_id):
        return tx.query(TABLE).index("by_tenant_namespace_key", tenant_id, namespace, key).first()
    q = tx.query(TABLE).index("by_namespace_key", namespace, key)
    return q.filter(lambda d: not truthy(d.get("tenantId"))).first()


def _candidates(tx: Tx, namespace: str, tenant_id: Any) -> Query:
    """Namespace-wide operations: one tenant's rows, or (no tenantId) every row of the namespace."""
    if truthy(tenant_id):
        return tx.query(TABLE).index("by_tenant_namespace", tenant_id, namespace)
    return tx.query(TABLE).index("by_namespace", namespace)


def _filtered(tx: Tx, args: dict) -> Query:
    q = _candidates(tx, args["namespace"], args.get("tenantId"))
    prefix, user_id = args.get("keyPrefix"), args.get("userId")
    after, before = args.get("updatedAfter"), args.get("updatedBefore")
    if truthy(prefix):
        q = q.filter(lambda d: d["key"].startswith(prefix))
    if truthy(user_id):
        q = q.filter(lambda d: d.get("userId") == user_id)
    if after is not None:
        q = q.filter(lambda d: d["updatedAt"] > after)
    if before is not None:
        q = q.filter(lambda d: d["updatedAt"] < before)
    return q


# -- value arithmetic ------------------------------------------------------------------------
def _step(current: Any, amount: Any, sign: int) -> float:
    """`(current || 0) ± amount`, with an absent/null amount meaning 1.

    Deviation: upstream uses `amount || 1`, so "increment by 0" added 1; here 0 adds 0.
    Non-numeric values are refused (upstream applied JS coercion: string concatenation, NaN).
    """
    base = current if truthy(current) else 0
    step = 1 if amount is None else amount
    if not is_number(base) or not is_number(step):
        raise plain_error(f"{NOT_NUMBER}: increment/decrement needs a number value and a number amount")
    result = base + sign * step
    if isinstance(result, int) and abs(result) <= _MAX_SAFE_INT:
        return result
    try:  # JavaScript numbers are float64
        result = float(base) + sign * float(step)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise plain_error(f"{NOT_NUMBER}: the result is not a finite number")
    return result


def _write_value(tx: Tx, row: dict, value: Any) -> dict:
    tx.patch(row["_id"], {"value": value, "updatedAt": tx.now})  # REMOVE value -> schema error
    return tx.fetch(row["_id"])


# -- mutations -------------------------------------------------------------------------------
@handler("mutable:set")
def set_(tx: Tx, args: dict) -> Any:
    row = _resolve(tx, args["namespace"], args["key"], args.get("tenantId"))
    if row is not None:
        patch = {"value": args["value"], "updatedAt": tx.now}
        for name in ("userId", "metadata"):
            if name in args:
                patch[name] = args[name]
        tx.patch(row["_id"], patch)
        return tx.fetch(row["_id"])
    doc = {"namespace": args["namespace"], "key": args["key"], "value": args["value"]}
    for name in ("userId", "tenantId", "metadata"):
        if name in args:
            doc[name] = args[name]
    doc.update(createdAt=tx.now, updatedAt=tx.now)
    return tx.fetch(tx.insert(TABLE, doc))


@handler("mutable:update")
def update(tx: Tx, args: dict) -> Any:
    row = _resolve(tx, args["namespace"], args["key"], args.get("tenantId"))
    if row is None:
        raise convex_error(NOT_FOUND)
    current = row.get("value")
    operation = args["operation"]
    value: Any
    if operation == "increment":
        value = _step(current, args.get("operand"), 1)
    elif operation == "decrement":
        value = _step(current, args.get("operand"), -1)
    elif operation == "append":
        if not isinstance(current, list):
            raise plain_error(NOT_ARRAY)
        if "operand" not in args:
            raise plain_error(
                f"undefined is not a valid Convex value (present at path .value[{len(current)}]): "
                "append needs an operand"
            )
        value = [*current, args["operand"]]
    else:  # custom
        value = args["operand"] if "operand" in args else REMOVE
    return _write_value(tx, row, value)


@handler("mutable:deleteKey")
def delete_key(tx: Tx, args: dict) -> Any:
    row = _resolve(tx, args["namespace"], args["key"], args.get("tenantId"))
    if row is None:
        raise convex_error(NOT_FOUND)
    tx.delete(row["_id"])
    return {"deleted": True, "namespace": args["namespace"], "key": args["key"]}


@handler("mutable:purgeNamespace")
def purge_namespace(tx: Tx, args: dict) -> Any:
    rows = _candidates(tx, args["namespace"], args.get("tenantId")).collect()
    if truthy(args.get("dryRun")):
        return {"deleted": len(rows), "namespace": args["namespace"], "keys": [r["key"] for r in rows], "dryRun": True}
    tx.delete_all(rows)
    return {"deleted": len(rows), "namespace": args["namespace"], "dryRun": False}


def _missing(op: dict) -> Exception:
    return convex_error(f"{NOT_FOUND}: {op['namespace']}/{op['key']}")


@handler("mutable:transaction")
def transaction(tx: Tx, args: dict) -> Any:
    tenant_id = args.get("tenantId")
    results = []
    for op in args["operations"]:
        kind = op["op"]
        row = _resolve(tx, op["namespace"], op["key"], tenant_id)
        value = op["value"] if "value" in op else REMOVE
        if kind == "set":
            if row is not None:
                results.append(_write_value(tx, row, value))
            else:
                doc = {"namespace": op["namespace"], "key": op["key"], "value": value}
                if tenant_id is not None:
                    doc["tenantId"] = tenant_id
                doc.update(createdAt=tx.now, updatedAt=tx.now)
                results.append(tx.fetch(tx.insert(TABLE, doc)))
            continue
        if row is None:
            raise _missing(op)
        if kind == "delete":
            tx.delete(row["_id"])
            results.append({"deleted": True, "namespace": op["namespace"], "key": op["key"]})
            continue
        if kind == "increment":
            value = _step(row.get("value"), op.get("amount"), 1)
        elif kind == "decrement":
            value = _step(row.get("value"), op.get("amount"), -1)
        results.append(_write_value(tx, row, value))
    return {"success": True, "operationsExecuted": len(args["operations"]), "results": results}


@handler("mutable:purgeMany")
def purge_many(tx: Tx, args: dict) -> Any:
    rows = _filtered(tx, args).collect()
    tx.delete_all(rows)
    return {"deleted": len(rows), "namespace": args["namespace"], "keys": [r["key"] for r in rows]}


@handler("mutable:purgeAll")
def purge_all(tx: Tx, args: dict) -> Any:
    tenant_id = args.get("tenantId")
    q = tx.query(TABLE)
    if truthy(tenant_id):
        q = q.index("by_tenantId", tenant_id)
    rows = q.collect()
    tx.delete_all(rows)
    return {"deleted": len(rows)}


# -- queries ---------------------------------------------------------------------------------
@handler("mutable:get")
def get(tx: Tx, args: dict) -> Any:
    return _resolve(tx, args["namespace"], args["key"], args.get("tenantId"))


@handler("mutable:exists")
def exists(tx: Tx, args: dict) -> Any:
    return _resolve(tx, args["namespace"], args["key"], args.get("tenantId")) is not None


@handler("mutable:list")
def list_(tx: Tx, args: dict) -> Any:
    rows = _filtered(tx, args).collect()
    sort_by = or_default(args.get("sortBy"), "key")
    desc = args.get("sortOrder") == "desc"
    if sort_by == "key":
        rows.sort(key=lambda d: locale_key(d["key"]), reverse=desc)  # stable either way, like JS
    elif sort_by == "updatedAt":
        rows.sort(key=lambda d: d["updatedAt"], reverse=desc)
    offset = or_default(args.get("offset"), 0)
    limit = or_default(args.get("limit"), 100)
    return js_slice(rows, offset, offset + limit)


@handler("mutable:count")
def count(tx: Tx, args: dict) -> Any:
    return _filtered(tx, args).count()


# -- String.prototype.localeCompare ----------------------------------------------------------
# An approximation of ICU root collation, as V8's `a.localeCompare(b)` uses: compare base
# letters first (case and accents ignored; whitespace < punctuation and symbols < digits <
# letters), then accents, then case (lowercase first). ASCII punctuation follows ICU's order.
_ASCII_PUNCT = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_PUNCT_RANK = {ch: i for i, ch in enumerate(_ASCII_PUNCT)}


def _primary(ch: str) -> tuple:
    if ch.isspace():
        return (0, ord(ch))
    cat = unicodedata.category(ch)
    if ch in _PUNCT_RANK:
        return (1, _PUNCT_RANK[ch])
    if cat[0] in "PS":
        return (1, len(_PUNCT_RANK) + ord(ch))
    if cat == "Nd":
        return (2, unicodedata.digit(ch), ord(ch))
    return (3, ord(ch))


def locale_key(text: str) -> tuple:
    """Sort key whose order approximates `localeCompare` (equal keys compare as 0)."""
    primary: list[tuple] = []
    accents: list[tuple] = []
    case: list[int] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if accents:
                accents[-1] = (*accents[-1], ord(ch))
            continue
        if unicodedata.category(ch) == "Cc" and not ch.isspace():
            continue  # control characters are ignorable
        for folded in ch.casefold():
            primary.append(_primary(folded))
            accents.append(())
            case.append(0 if ch == folded or not ch.isupper() else 1)
    return (primary, accents, case)
