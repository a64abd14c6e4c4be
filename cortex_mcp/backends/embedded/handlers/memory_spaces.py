"""Embedded handlers of the `memorySpaces` module (spec/backend/memorySpaces.md).

Deviations from upstream (see docs/parity.md):
- Tenant-aware lookups without a tenant find the oldest *global* row with the id, instead of
  looking only at the oldest row of any tenant (which hid global rows behind older tenant rows).
- `deleteSpace` with `cascade` does not delete data belonging to another tenant's (or the global)
  space that is still registered under the same memorySpaceId.
"""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import (
    convex_key_order,
    js_lower,
    js_own_keys,
    js_round,
    js_slice,
    js_spread,
    js_stringify,
    or_default,
    truthy,
    utf16_key,
)
from cortex_mcp.backends.embedded.store import Tx
from cortex_mcp.errors import convex_error

TABLE = "memorySpaces"
WINDOWS_MS = {"24h": 86_400_000, "7d": 604_800_000, "30d": 2_592_000_000, "90d": 7_776_000_000}
SPACE_DATA_TABLES = ("conversations", "memories", "facts")


# -- lookups ---------------------------------------------------------------------------------


def _tenant_key(doc: dict) -> str:
    """The tenant scope of a row: absent and "" both mean global."""
    tenant = doc.get("tenantId")
    return tenant if truthy(tenant) else ""


def _find_scoped(tx: Tx, space_id: str, tenant_id: Any) -> dict | None:
    """Tenant-aware lookup (register's duplicate check, get, deleteSpace)."""
    if truthy(tenant_id):
        return tx.query(TABLE).index("by_tenant_memorySpaceId", tenant_id, space_id).first()
    # Deviation: upstream takes the oldest row of any tenant and then checks it is global, so a
    # global row registered after a tenant row with the same id is never found.
    return tx.query(TABLE).index("by_memorySpaceId", space_id).filter(lambda d: _tenant_key(d) == "").first()


def _find_any(tx: Tx, space_id: str) -> dict:
    """Lookup without a tenant check: the oldest row with the id, whatever its tenant."""
    space = tx.query(TABLE).index("by_memorySpaceId", space_id).first()
    if space is None:
        raise convex_error("MEMORYSPACE_NOT_FOUND")
    return space


def _patch(tx: Tx, space: dict, fields: dict) -> dict:
    tx.patch(space["_id"], {**fields, "updatedAt": tx.now})
    return tx.fetch(space["_id"])


def _has_participant(space: dict, participant_id: str) -> bool:
    return any(p["id"] == participant_id for p in space["participants"])


def _importance_level(importance: float) -> str:
    for floor, level in ((90, "critical"), (70, "high"), (40, "medium"), (10, "low")):
        if importance >= floor:
            return level
    return "trivial"


def _top_tags(memories: list[dict], n: int) -> list[str]:
    counts: dict[str, int] = {}
    for memory in memories:
        for tag in memory.get("tags", []):
            counts[tag] = counts.get(tag, 0) + 1
    ordered = js_own_keys(counts)  # Object.entries order
    return sorted(ordered, key=lambda tag: -counts[tag])[:n]  # stable, count descending


# -- mutations -------------------------------------------------------------------------------


@handler("memorySpaces:register")
def register(tx: Tx, args: dict) -> Any:
    if _find_scoped(tx, args["memorySpaceId"], args.get("tenantId")) is not None:
        raise convex_error("MEMORYSPACE_ALREADY_EXISTS")
    doc: dict[str, Any] = {"memorySpaceId": args["memorySpaceId"]}
    if "name" in args:
        doc["name"] = args["name"]
    doc["type"] = args["type"]
    if "tenantId" in args:
        doc["tenantId"] = args["tenantId"]
    doc.update(
        participants=args.get("participants", []),
        metadata=or_default(args.get("metadata"), {}),
        status="active",
        createdAt=tx.now,
        updatedAt=tx.now,
    )
    return tx.fetch(tx.insert(TABLE, doc))


@handler("memorySpaces:update")
def update(tx: Tx, args: dict) -> Any:
    space = _find_any(tx, args["memorySpaceId"])
    return _patch(tx, space, {k: args[k] for k in ("name", "metadata", "status") if k in args})


@handler("memorySpaces:addParticipant")
def add_participant(tx: Tx, args: dict) -> Any:
    space = _find_any(tx, args["memorySpaceId"])
    participant = args["participant"]
    if _has_participant(space, participant["id"]):
        raise convex_error("PARTICIPANT_ALREADY_EXISTS")
    return _patch(tx, space, {"participants": [*space["participants"], participant]})


@handler("memorySpaces:removeParticipant")
def remove_participant(tx: Tx, args: dict) -> Any:
    space = _find_any(tx, args["memorySpaceId"])
    kept = [p for p in space["participants"] if p["id"] != args["participantId"]]
    return _patch(tx, space, {"participants": kept})


@handler("memorySpaces:archive")
def archive(tx: Tx, args: dict) -> Any:
    space = _find_any(tx, args["memorySpaceId"])
    metadata = {**js_spread(space.get("metadata")), **js_spread(args.get("metadata")), "archivedAt": tx.now}
    if "reason" in args:
        metadata["archiveReason"] = args["reason"]
    else:  # `archiveReason: undefined` drops the key, including one left by an earlier archive
        metadata.pop("archiveReason", None)
    return _patch(tx, space, {"status": "archived", "metadata": metadata})


@handler("memorySpaces:reactivate")
def reactivate(tx: Tx, args: dict) -> Any:
    return _patch(tx, _find_any(tx, args["memorySpaceId"]), {"status": "active"})


@handler("memorySpaces:updateParticipants")
def update_participants(tx: Tx, args: dict) -> Any:
    space = _find_any(tx, args["memorySpaceId"])
    participants = list(space["participants"])
    if "remove" in args:
        removed = set(args["remove"])
        participants = [p for p in participants if p["id"] not in removed]
    for participant in args.get("add", []):
        if not any(p["id"] == participant["id"] for p in participants):
            participants.append(participant)
    return _patch(tx, space, {"participants": participants})


@handler("memorySpaces:deleteSpace")
def delete_space(tx: Tx, args: dict) -> Any:
    space_id = args["memorySpaceId"]
    if "confirmId" in args and args["confirmId"] != space_id:
        raise convex_error("CONFIRM_ID_MISMATCH")
    space = _find_scoped(tx, space_id, args.get("tenantId"))
    if space is None:
        raise convex_error("MEMORYSPACE_NOT_FOUND")
    counts = dict.fromkeys(SPACE_DATA_TABLES, 0)
    if args["cascade"]:
        # Deviation: upstream deletes every tenant's rows with this memorySpaceId. Rows whose tenant
        # still has its own registered space with this id belong to that space and are kept.
        other_owners = {
            _tenant_key(row)
            for row in tx.query(TABLE).index("by_memorySpaceId", space_id).collect()
            if row["_id"] != space["_id"]
        }
        other_owners.discard(_tenant_key(space))
        for table in SPACE_DATA_TABLES:
            for row in tx.query(table).index("by_memorySpace", space_id).collect():
                if _tenant_key(row) not in other_owners:
                    tx.delete(row["_id"])
                    counts[table] += 1
    tx.delete(space["_id"])
    return {
        "memorySpaceId": space_id,
        "deleted": True,
        "cascade": {
            "conversationsDeleted": counts["conversations"],
            "memoriesDeleted": counts["memories"],
            "factsDeleted": counts["facts"],
            "totalBytes": 0,
        },
        "reason": args["reason"],
        "deletedAt": tx.now,
    }


@handler("memorySpaces:purgeAll")
def purge_all(tx: Tx, args: dict) -> Any:
    rows = tx.query(TABLE).collect()
    tx.delete_all(rows)
    return {"deleted": len(rows)}


# -- queries ---------------------------------------------------------------------------------


@handler("memorySpaces:get")
def get(tx: Tx, args: dict) -> Any:
    return _find_scoped(tx, args["memorySpaceId"], args.get("tenantId"))


def _filtered(tx: Tx, args: dict, tenant: bool) -> list[dict]:
    """Rows in creation order, filtered tenant → type → status; the narrowest index does the first cut."""
    q = tx.query(TABLE)
    type_, status = args.get("type"), args.get("status")
    if tenant and truthy(args.get("tenantId")):
        q = q.index("by_tenantId", args["tenantId"])
        if type_ is not None:
            q = q.filter(lambda d: d["type"] == type_)
    elif type_ is not None:
        q = q.index("by_type", type_)
    elif status is not None:
        q = q.index("by_status", status)
    if status is not None:
        q = q.filter(lambda d: d["status"] == status)
    return q.collect()


@handler("memorySpaces:list")
def list_(tx: Tx, args: dict) -> Any:
    spaces = _filtered(tx, args, tenant=True)
    participant = args.get("participant")
    if truthy(participant):
        spaces = [s for s in spaces if _has_participant(s, participant)]
    total = len(spaces)
    sort_by = args.get("sortBy", "createdAt")
    if sort_by == "name":
        key = lambda s: utf16_key(or_default(s.get("name"), ""))  # noqa: E731
    else:
        key = lambda s: s[sort_by]  # noqa: E731
    spaces = sorted(spaces, key=key, reverse=args.get("sortOrder", "desc") == "desc")  # stable both ways
    offset = or_default(args.get("offset"), 0)
    limit = or_default(args.get("limit"), 100)
    return {
        "spaces": js_slice(spaces, offset, offset + limit),
        "total": total,
        "hasMore": offset + limit < total,
        "offset": offset,
    }


@handler("memorySpaces:count")
def count(tx: Tx, args: dict) -> Any:
    q = tx.query(TABLE)
    if "type" in args:
        q = q.index("by_type", args["type"])
        if "status" in args:
            q = q.filter(lambda d: d["status"] == args["status"])
    elif "status" in args:
        q = q.index("by_status", args["status"])
    return q.count()


@handler("memorySpaces:findByParticipant")
def find_by_participant(tx: Tx, args: dict) -> Any:
    participant_id = args["participantId"]
    return tx.query(TABLE).filter(lambda s: _has_participant(s, participant_id)).collect()


@handler("memorySpaces:search")
def search(tx: Tx, args: dict) -> Any:
    needle = js_lower(args["query"])

    def matches(space: dict) -> bool:
        name = space.get("name")
        if truthy(name) and needle in js_lower(name):
            return True
        if needle in js_lower(space["memorySpaceId"]):
            return True
        metadata = space.get("metadata")
        return truthy(metadata) and needle in js_lower(js_stringify(convex_key_order(metadata)))

    found = [s for s in _filtered(tx, args, tenant=False) if matches(s)]
    return js_slice(found, 0, or_default(args.get("limit"), 50))


@handler("memorySpaces:getStats")
def get_stats(tx: Tx, args: dict) -> Any:
    space_id = args["memorySpaceId"]
    _find_any(tx, space_id)
    window = args.get("timeWindow", "all")
    cutoff = tx.now - WINDOWS_MS[window] if window in WINDOWS_MS else None

    conversations = tx.query("conversations").index("by_memorySpace", space_id).collect()
    memories = tx.query("memories").index("by_memorySpace", space_id).collect()
    facts = [f for f in tx.query("facts").index("by_memorySpace", space_id).collect() if "supersededBy" not in f]

    def in_window(doc: dict) -> bool:
        return cutoff is None or doc["createdAt"] >= cutoff

    breakdown = dict.fromkeys(("critical", "high", "medium", "low", "trivial"), 0)
    for memory in memories:
        breakdown[_importance_level(memory["importance"])] += 1

    stats: dict[str, Any] = {
        "memorySpaceId": space_id,
        "totalMemories": len(memories),
        "totalConversations": len(conversations),
        "totalFacts": len(facts),
        "totalMessages": sum(c["messageCount"] for c in conversations),
        "memoriesThisWindow": sum(1 for m in memories if in_window(m)),
        "conversationsThisWindow": sum(1 for c in conversations if in_window(c)),
        "storage": {"conversationsBytes": 0, "memoriesBytes": 0, "factsBytes": 0, "totalBytes": 0},
        "topTags": _top_tags(memories, 10),
        "importanceBreakdown": breakdown,
    }
    if args.get("includeParticipants") is True:
        stats["participants"] = _participant_stats(memories, conversations, facts)
    return stats


def _participant_stats(memories: list[dict], conversations: list[dict], facts: list[dict]) -> list[dict]:
    by_id: dict[str, list[dict]] = {}
    for memory in memories:
        by_id.setdefault(or_default(memory.get("participantId"), "unknown"), []).append(memory)

    def tally(rows: list[dict]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in rows:
            pid = or_default(row.get("participantId"), "unknown")
            if pid in by_id:  # only participants that have memories get an entry
                counts[pid] = counts.get(pid, 0) + 1
        return counts

    conversation_counts, fact_counts = tally(conversations), tally(facts)
    entries = []
    for pid, own in by_id.items():
        entries.append(
            {
                "participantId": pid,
                "memoriesStored": len(own),
                "conversationsStored": conversation_counts.get(pid, 0),
                "factsExtracted": fact_counts.get(pid, 0),
                "firstActive": min(m["createdAt"] for m in own),
                "lastActive": max(or_default(m.get("updatedAt"), m["createdAt"]) for m in own),
                "avgImportance": js_round(sum(m["importance"] for m in own) / len(own)),
                "topTags": _top_tags(own, 5),
            }
        )
    return entries
