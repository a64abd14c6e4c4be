"""Embedded handlers of the `contexts` module (spec/backend/contexts.md).

Deviations from upstream (each fixes an evident bug; see docs/parity.md):
- chain `totalNodes` counts direct children once (upstream adds them twice: as children and
  again among the descendants);
- `list` applies every filter it is given (upstream silently drops `status` with tenant + space,
  and `parentId`/`rootId` whenever an earlier index rule fired), and `list`/`search` apply their
  filters before the limit (upstream takes `limit` rows first, then filters, so tenant isolation
  or a filter could return fewer rows than exist, even none);
- `deleteContext` re-parenting (`orphanChildren`) also moves the re-parented children's whole
  subtrees to the new `rootId`/`depth` (upstream leaves grandchildren pointing at the deleted root);
- `deleteContext`/`deleteMany` count only children that still exist (upstream lets stale ids of
  already-deleted children block a delete with HAS_CHILDREN, or make deleteMany skip a leaf);
- `deleteMany` removes deleted ids from the `childIds` of surviving parents (upstream leaves them
  stale, which then blocked deleting those parents);
- `updateMany` with `updates.status = "completed"` sets `completedAt = now`, as `update` does
  (upstream never sets it, so such contexts escaped `deleteMany(completedBefore)`);
- `exportContexts` CSV quotes a field that holds a comma, quote or line break (RFC 4180; upstream
  wrote it raw and corrupted the row). Clean values are written exactly as upstream.
"""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import csv_field, js_iso, js_number, js_spread, js_stringify, or_default, truthy
from cortex_mcp.backends.embedded.store import REMOVE, Query, Tx
from cortex_mcp.errors import convex_error
from cortex_mcp.ids import public_id

T = "contexts"


# -- lookups --------------------------------------------------------------------------------------
def _gl(tx: Tx, context_id: Any) -> dict | None:
    """Global lookup: oldest row with that contextId, no tenant check."""
    return tx.query(T).index("by_contextId", context_id).first()


def _tl(tx: Tx, context_id: str, tenant_id: Any) -> dict | None:
    """Tenant-aware lookup: a tenant-owned row is visible only to its tenant."""
    if truthy(tenant_id):
        return tx.query(T).index("by_tenant_contextId", tenant_id, context_id).first()
    found = _gl(tx, context_id)
    if found is not None and truthy(found.get("tenantId")):
        return None
    return found


def _existing(tx: Tx, ids: list[str]) -> list[dict]:
    return [c for c in (_gl(tx, i) for i in ids) if c is not None]


def _has_existing_child(tx: Tx, c: dict) -> bool:
    return any(_gl(tx, i) is not None for i in c.get("childIds") or [])


def _snapshot(c: dict) -> dict:
    snap: dict[str, Any] = {"version": _version(c), "status": c["status"]}
    if "data" in c:
        snap["data"] = c["data"]
    snap["timestamp"] = c["updatedAt"]
    snap["updatedBy"] = c["memorySpaceId"]
    return snap


def _version(c: dict) -> Any:
    version = c.get("version")
    return 1 if version is None else version


def _history(c: dict) -> list[dict]:
    return [*(c.get("previousVersions") or []), _snapshot(c)]


# -- tree walks (with a guard against cyclic hierarchies, which upstream loops on) ------------------
def _children(tx: Tx, node: dict, seen: set[str]) -> list[dict]:
    out = []
    for child in _existing(tx, node.get("childIds") or []):
        if child["contextId"] not in seen:
            seen.add(child["contextId"])
            out.append(child)
    return out


def _descendants(tx: Tx, node: dict) -> list[dict]:
    """D(x) = children(x) ++ D(children[0]) ++ D(children[1]) ++ ..."""
    seen = {node["contextId"]}
    kids = _children(tx, node, seen)
    out = list(kids)
    stack = [iter(kids)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        grand = _children(tx, child, seen)
        out.extend(grand)
        stack.append(iter(grand))
    return out


def _ancestors(tx: Tx, c: dict, parent: dict | None) -> list[dict]:
    seen = {c["contextId"]}
    out: list[dict] = []
    node = parent
    while node is not None and node["contextId"] not in seen:
        seen.add(node["contextId"])
        out.append(node)
        node = _gl(tx, node["parentId"]) if truthy(node.get("parentId")) else None
    out.reverse()
    return out


def _chain(tx: Tx, c: dict) -> dict:
    parent = _gl(tx, c["parentId"]) if truthy(c.get("parentId")) else None
    root = _gl(tx, c["rootId"]) if truthy(c.get("rootId")) else c
    children = _existing(tx, c.get("childIds") or [])
    siblings = (
        [s for s in _existing(tx, parent.get("childIds") or []) if s["contextId"] != c["contextId"]]
        if parent is not None
        else []
    )
    ancestors = _ancestors(tx, c, parent)
    descendants = _descendants(tx, c)
    return {
        "current": c,
        "parent": parent,
        "root": root,
        "children": children,
        "siblings": siblings,
        "ancestors": ancestors,
        "descendants": descendants,
        "depth": c["depth"],
        # Deviation: upstream also adds len(children), counting direct children twice.
        "totalNodes": 1 + len(ancestors) + len(siblings) + len(descendants),
    }


def _delete_subtree(tx: Tx, context_id: str, visited: set[str]) -> int:
    """Post-order delete of a context and everything under it; returns rows removed."""
    if context_id in visited:
        return 0
    visited.add(context_id)
    node = _gl(tx, context_id)
    if node is None:
        return 0
    removed = sum(_delete_subtree(tx, i, visited) for i in node.get("childIds") or [])
    tx.delete(node["_id"])
    return removed + 1


def move_subtree(tx: Tx, node: dict, root_id: Any) -> None:
    """Give every descendant of a re-parented node its new rootId and depth."""
    seen = {node["contextId"]}
    frontier = [(node, node["depth"])]
    while frontier:
        current, depth = frontier.pop()
        for child in _children(tx, current, seen):
            tx.patch(child["_id"], {"rootId": root_id, "depth": depth + 1, "updatedAt": tx.now})
            frontier.append((child, depth + 1))


# -- mutations ------------------------------------------------------------------------------------
@handler("contexts:create")
def create(tx: Tx, args: dict) -> Any:
    context_id = public_id("ctx", tx.now)
    parent = None
    if truthy(args.get("parentId")):
        parent = _gl(tx, args["parentId"])
        if parent is None:
            raise convex_error("PARENT_NOT_FOUND")
        root_id = or_default(parent.get("rootId"), parent["contextId"])
        depth = parent["depth"] + 1
    else:
        root_id, depth = context_id, 0
    doc: dict[str, Any] = {"contextId": context_id, "memorySpaceId": args["memorySpaceId"], "purpose": args["purpose"]}
    for key in ("description", "userId", "parentId"):
        if key in args:
            doc[key] = args[key]
    doc.update(rootId=root_id, depth=depth, childIds=[], status=args.get("status") or "active")
    if "conversationRef" in args:
        doc["conversationRef"] = args["conversationRef"]
    doc.update(participants=[args["memorySpaceId"]], grantedAccess=[])
    if "data" in args:
        doc["data"] = args["data"]
    doc.update(metadata={}, version=1, previousVersions=[], createdAt=tx.now, updatedAt=tx.now)
    if truthy(args.get("tenantId")):
        doc["tenantId"] = args["tenantId"]
    new_id = tx.insert(T, doc)
    if parent is not None:
        tx.patch(parent["_id"], {"childIds": [*parent["childIds"], context_id]})
    return tx.get(new_id)


@handler("contexts:update")
def update(tx: Tx, args: dict) -> Any:
    c = _tl(tx, args["contextId"], args.get("tenantId"))
    if c is None:
        raise convex_error("CONTEXT_NOT_FOUND")
    patch: dict[str, Any] = {
        "status": args.get("status", c["status"]),
        "data": {**js_spread(c.get("data")), **js_spread(args.get("data"))},
        "version": _version(c) + 1,
        "previousVersions": [*(c.get("previousVersions") or []), _snapshot(c)],
        "updatedAt": tx.now,
    }
    if "description" in args:
        patch["description"] = args["description"]
    if "completedAt" in args:
        patch["completedAt"] = args["completedAt"]
    elif args.get("status") == "completed":
        patch["completedAt"] = tx.now
    tx.patch(c["_id"], patch)
    return tx.get(c["_id"])


@handler("contexts:deleteContext")
def delete_context(tx: Tx, args: dict) -> Any:
    c = _tl(tx, args["contextId"], args.get("tenantId"))
    if c is None:
        raise convex_error("CONTEXT_NOT_FOUND")
    child_ids = c.get("childIds") or []
    cascade, orphan = truthy(args.get("cascadeChildren")), truthy(args.get("orphanChildren"))
    # Deviation: stale ids of children deleted elsewhere do not count as children.
    if not cascade and not orphan and _has_existing_child(tx, c):
        raise convex_error("HAS_CHILDREN")
    descendants_deleted = 0
    if cascade:
        visited = {c["contextId"]}
        descendants_deleted = sum(_delete_subtree(tx, i, visited) for i in child_ids)
    orphaned: list[str] = []
    if orphan:
        for child_id in child_ids:
            child = _gl(tx, child_id)
            if child is None:
                continue
            if truthy(c.get("parentId")):
                new_root = c.get("rootId", REMOVE)
                tx.patch(
                    child["_id"],
                    {"parentId": c["parentId"], "rootId": new_root, "depth": c["depth"], "updatedAt": tx.now},
                )
                grandparent = _gl(tx, c["parentId"])
                if grandparent is not None:
                    tx.patch(
                        grandparent["_id"], {"childIds": [*grandparent["childIds"], child_id], "updatedAt": tx.now}
                    )
            else:
                new_root = child["contextId"]
                tx.patch(child["_id"], {"parentId": REMOVE, "rootId": new_root, "depth": 0, "updatedAt": tx.now})
            # Deviation: upstream leaves the grandchildren's rootId/depth pointing at the old tree.
            moved = tx.get(child["_id"])
            if moved is not None:
                move_subtree(tx, moved, new_root)
            orphaned.append(child_id)
    if truthy(c.get("parentId")):
        parent = _gl(tx, c["parentId"])
        if parent is not None:
            kept = [i for i in parent["childIds"] if i != c["contextId"]]
            tx.patch(parent["_id"], {"childIds": kept, "updatedAt": tx.now})
    if tx.get(c["_id"]) is not None:
        tx.delete(c["_id"])
    result: dict[str, Any] = {
        "deleted": True,
        "contextId": args["contextId"],
        "descendantsDeleted": descendants_deleted,
    }
    if orphaned:
        result["orphanedChildren"] = orphaned
    return result


@handler("contexts:addParticipant")
def add_participant(tx: Tx, args: dict) -> Any:
    c = _gl(tx, args["contextId"])
    if c is None:
        raise convex_error("CONTEXT_NOT_FOUND")
    if args["participantId"] in c["participants"]:
        return c
    tx.patch(c["_id"], {"participants": [*c["participants"], args["participantId"]], "updatedAt": tx.now})
    return tx.get(c["_id"])


@handler("contexts:grantAccess")
def grant_access(tx: Tx, args: dict) -> Any:
    c = _gl(tx, args["contextId"])
    if c is None:
        raise convex_error("CONTEXT_NOT_FOUND")
    target = args["targetMemorySpaceId"]
    grants = [g for g in c.get("grantedAccess") or [] if g["memorySpaceId"] != target]
    grants.append({"memorySpaceId": target, "scope": args["scope"], "grantedAt": tx.now})
    tx.patch(c["_id"], {"grantedAccess": grants, "updatedAt": tx.now})
    return tx.get(c["_id"])


def _space_or_all(tx: Tx, memory_space_id: Any) -> Query:
    if truthy(memory_space_id):
        return tx.query(T).index("by_memorySpace", memory_space_id)
    return tx.query(T)


def _equals_if_truthy(q: Query, args: dict, key: str) -> Query:
    if truthy(args.get(key)):
        value = args[key]
        q = q.filter(lambda c: c.get(key) == value)
    return q


@handler("contexts:updateMany")
def update_many(tx: Tx, args: dict) -> Any:
    q = _space_or_all(tx, args.get("memorySpaceId"))
    for key in ("userId", "status", "parentId", "rootId"):
        q = _equals_if_truthy(q, args, key)
    updates = args["updates"]
    done = []
    for c in q.collect():
        patch: dict[str, Any] = {
            "previousVersions": [*(c.get("previousVersions") or []), _snapshot(c)],
            "status": updates.get("status", c["status"]),
            "version": _version(c) + 1,
            "updatedAt": tx.now,
        }
        if truthy(updates.get("data")):
            patch["data"] = {**js_spread(c.get("data")), **js_spread(updates["data"])}
        if updates.get("status") == "completed":  # deviation: upstream never sets completedAt here
            patch["completedAt"] = tx.now
        tx.patch(c["_id"], patch)
        done.append(c["contextId"])
    return {"updated": len(done), "contextIds": done}


@handler("contexts:deleteMany")
def delete_many(tx: Tx, args: dict) -> Any:
    q = _space_or_all(tx, args.get("memorySpaceId"))
    for key in ("userId", "status"):
        q = _equals_if_truthy(q, args, key)
    if truthy(args.get("completedBefore")):
        before = args["completedBefore"]
        q = q.filter(lambda c: truthy(c.get("completedAt")) and c["completedAt"] < before)
    cascade = truthy(args.get("cascadeChildren"))
    candidates = q.collect()
    # Decided on the state at the start of the call.
    blocked = set() if cascade else {c["_id"] for c in candidates if _has_existing_child(tx, c)}
    deleted = 0
    ids: list[str] = []
    visited: set[str] = set()
    parents: dict[str, None] = {}
    removed_ids: set[str] = set()
    for c in candidates:
        if c["_id"] in blocked:
            continue
        if cascade:
            before_visit = set(visited)
            deleted += _delete_subtree(tx, c["contextId"], visited)
            removed_ids |= visited - before_visit
        elif c["contextId"] not in visited:
            visited.add(c["contextId"])
            tx.delete(c["_id"])
            deleted += 1
            removed_ids.add(c["contextId"])
        if truthy(c.get("parentId")):
            parents[c["parentId"]] = None
        ids.append(c["contextId"])
    # Deviation: upstream leaves the deleted ids in the surviving parents' childIds.
    for parent_id in parents:
        parent = _gl(tx, parent_id)
        if parent is not None:
            kept = [i for i in parent["childIds"] if i not in removed_ids]
            if kept != parent["childIds"]:
                tx.patch(parent["_id"], {"childIds": kept, "updatedAt": tx.now})
    return {"deleted": deleted, "contextIds": ids}


@handler("contexts:removeParticipant")
def remove_participant(tx: Tx, args: dict) -> Any:
    c = _gl(tx, args["contextId"])
    if c is None:
        raise convex_error("CONTEXT_NOT_FOUND")
    kept = [p for p in c["participants"] if p != args["participantId"]]
    tx.patch(c["_id"], {"participants": kept, "updatedAt": tx.now})
    return tx.get(c["_id"])


@handler("contexts:purgeAll")
def purge_all(tx: Tx, args: dict) -> Any:
    rows = tx.query(T).collect()  # a local deployment: the production guard always passes
    tx.delete_all(rows)
    return {"deleted": len(rows)}


# -- queries --------------------------------------------------------------------------------------
@handler("contexts:get")
def get(tx: Tx, args: dict) -> Any:
    c = _tl(tx, args["contextId"], args.get("tenantId"))
    if c is None:
        return None
    if not args.get("includeChain"):
        return c
    chain = _chain(tx, c)
    ref = c.get("conversationRef")
    if args.get("includeConversation") and ref and truthy(ref.get("conversationId")):
        conversation = tx.query("conversations").index("by_conversationId", ref["conversationId"]).first()
        if conversation is not None:
            wanted = ref.get("messageIds")
            trigger = [m for m in conversation["messages"] if m["id"] in wanted] if wanted is not None else []
            return {**chain, "conversation": conversation, "triggerMessages": trigger}
    return chain


@handler("contexts:list")
def list_(tx: Tx, args: dict) -> Any:
    tenant, space, status = args.get("tenantId"), args.get("memorySpaceId"), args.get("status")
    parent_id, root_id = args.get("parentId"), args.get("rootId")
    q = tx.query(T)
    constrained: set[str] = set()
    if truthy(tenant) and truthy(space):
        q, constrained = q.index("by_tenant_space", tenant, space), {"memorySpaceId"}
    elif truthy(tenant):
        q = q.index("by_tenantId", tenant)
    elif truthy(space) and truthy(status):
        q, constrained = q.index("by_memorySpace_status", space, status), {"memorySpaceId", "status"}
    elif truthy(space):
        q, constrained = q.index("by_memorySpace", space), {"memorySpaceId"}
    elif truthy(status):
        q, constrained = q.index("by_status", status), {"status"}
    elif truthy(parent_id):
        q, constrained = q.index("by_parentId", parent_id), {"parentId"}
    elif truthy(root_id):
        q, constrained = q.index("by_rootId", root_id), {"rootId"}
    else:
        q = q.order("desc")
    if not truthy(tenant):
        q = q.filter(lambda c: not truthy(c.get("tenantId")))
    if "depth" in args:
        depth = args["depth"]
        q = q.filter(lambda c: c.get("depth") == depth)
    # Deviation: upstream drops status/parentId/rootId when an earlier index rule fired, and
    # applies every filter after the limit; here all filters apply, then the limit.
    for key in ("userId", "status", "parentId", "rootId"):
        if key not in constrained:
            q = _equals_if_truthy(q, args, key)
    return q.take(or_default(args.get("limit"), 100))


@handler("contexts:count")
def count(tx: Tx, args: dict) -> Any:
    space, status = args.get("memorySpaceId"), args.get("status")
    q = tx.query(T)
    if truthy(space) and truthy(status):
        q = q.index("by_memorySpace_status", space, status)
    elif truthy(space):
        q = q.index("by_memorySpace", space)
    elif truthy(status):
        q = q.index("by_status", status)
    return _equals_if_truthy(q, args, "userId").count()


@handler("contexts:getChain")
def get_chain(tx: Tx, args: dict) -> Any:
    c = _gl(tx, args["contextId"])
    if c is None:
        raise convex_error("CONTEXT_NOT_FOUND")
    return _chain(tx, c)


@handler("contexts:getRoot")
def get_root(tx: Tx, args: dict) -> Any:
    c = _gl(tx, args["contextId"])
    if c is None:
        raise convex_error("CONTEXT_NOT_FOUND")
    return _gl(tx, or_default(c.get("rootId"), c["contextId"]))


@handler("contexts:getChildren")
def get_children(tx: Tx, args: dict) -> Any:
    c = _gl(tx, args["contextId"])
    if c is None:
        return []
    rows = _descendants(tx, c) if args.get("recursive") else _existing(tx, c.get("childIds") or [])
    if "status" in args:
        rows = [r for r in rows if r["status"] == args["status"]]
    return rows


@handler("contexts:search")
def search(tx: Tx, args: dict) -> Any:
    q = _space_or_all(tx, args.get("memorySpaceId"))
    if not truthy(args.get("memorySpaceId")):
        q = q.order("desc")
    q = _equals_if_truthy(q, args, "userId")
    q = _equals_if_truthy(q, args, "status")  # deviation: filters before the limit, not after
    return q.take(or_default(args.get("limit"), 100))


@handler("contexts:getByConversation")
def get_by_conversation(tx: Tx, args: dict) -> Any:
    wanted = args["conversationId"]
    return (
        tx.query(T)
        .filter(
            lambda c: (
                isinstance(c.get("conversationRef"), dict) and c["conversationRef"].get("conversationId") == wanted
            )
        )
        .collect()
    )


@handler("contexts:findOrphaned")
def find_orphaned(tx: Tx, args: dict) -> Any:
    return [c for c in tx.query(T).collect() if truthy(c.get("parentId")) and _gl(tx, c["parentId"]) is None]


@handler("contexts:getVersion")
def get_version(tx: Tx, args: dict) -> Any:
    c = _gl(tx, args["contextId"])
    if c is None:
        return None
    if args["version"] == _version(c):
        return _snapshot(c)
    return next((p for p in c.get("previousVersions") or [] if p["version"] == args["version"]), None)


@handler("contexts:getHistory")
def get_history(tx: Tx, args: dict) -> Any:
    c = _gl(tx, args["contextId"])
    return [] if c is None else _history(c)


@handler("contexts:getAtTimestamp")
def get_at_timestamp(tx: Tx, args: dict) -> Any:
    c = _gl(tx, args["contextId"])
    if c is None:
        return None
    at = args["timestamp"]
    if at >= c["updatedAt"]:
        return _snapshot(c)
    ordered = sorted(_history(c), key=lambda r: r["timestamp"], reverse=True)  # stable, like JS sort
    return next((r for r in ordered if r["timestamp"] <= at), None)


# -- export ---------------------------------------------------------------------------------------
_JSON_KEYS = (
    "contextId",
    "memorySpaceId",
    "purpose",
    "status",
    "depth",
    "parentId",
    "rootId",
    "userId",
    "data",
    "createdAt",
    "updatedAt",
)
_CSV_HEADER = "contextId,memorySpaceId,purpose,status,depth,parentId,userId,createdAt,updatedAt"


@handler("contexts:exportContexts")
def export_contexts(tx: Tx, args: dict) -> Any:
    q = _space_or_all(tx, args.get("memorySpaceId"))
    q = _equals_if_truthy(q, args, "userId")
    if "status" in args:
        status = args["status"]
        q = q.filter(lambda c: c["status"] == status)
    rows = q.collect()
    if args["format"] == "json":
        keys = _JSON_KEYS + (("version", "previousVersions") if args.get("includeVersionHistory") else ())
        data = js_stringify([{k: c[k] for k in keys if k in c} for c in rows], 2)
    else:
        lines = [_CSV_HEADER]
        for c in rows:
            lines.append(
                ",".join(
                    [
                        csv_field(c["contextId"]),
                        csv_field(c["memorySpaceId"]),
                        csv_field(c["purpose"]),
                        csv_field(c["status"]),
                        js_number(c["depth"]),
                        csv_field(c.get("parentId") or ""),
                        csv_field(c.get("userId") or ""),
                        js_iso(c["createdAt"]),
                        js_iso(c["updatedAt"]),
                    ]
                )
            )
        data = "\n".join(lines)
    return {"format": args["format"], "data": data, "count": len(rows), "exportedAt": tx.now}
