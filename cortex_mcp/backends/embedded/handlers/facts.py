"""Embedded handlers of the `facts` module (spec/backend/facts.md).

Deviations from upstream (each fixes an evident bug; see docs/parity.md; marked `DEVIATION` below):
- common filter `metadata: null` behaves as `{}` (upstream throws a JS TypeError from
  `Object.keys(null)` as soon as a candidate has metadata; where it does not throw, the results agree);
- `consolidate` reports `mergedCount` = distinct facts actually merged (upstream: `factIds.length - 1`,
  counting duplicates, missing ids and other spaces' facts), and averages the confidence of the kept
  fact and the merged facts once each (upstream weights duplicates twice and lets facts of another
  space, which it does not merge, leak into the average);
- `exportFacts` CSV quotes a non-`fact` column holding a comma, quote or line break (RFC 4180;
  upstream writes it raw and shifts the columns). Clean values are written exactly as upstream;
- `search` reads up to 32,000 hits before its in-memory filters (Convex throws past 1,024), and
  without `sortBy` stops reading once its page is full;
- `getHistory` stops when a factId repeats (upstream loops on a supersession cycle until aborted).
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import (
    UNDEFINED,
    csv_field,
    js_equal,
    js_iso,
    js_number,
    js_round,
    js_slice,
    js_stringify,
    truthy,
)
from cortex_mcp.backends.embedded.store import Tx
from cortex_mcp.errors import convex_error, plain_error
from cortex_mcp.ids import public_id

SORT_FIELDS = ("createdAt", "updatedAt", "confidence", "version")
# Convex throws past 1024 search hits; we read further instead of failing or truncating
# before the in-memory filters (superseded facts would otherwise hide current ones).
SEARCH_HIT_CAP = 32_000
_ENRICHMENT = ("category", "searchAliases", "semanticContext", "entities", "relations")
_STORE_OPTIONAL = (
    "participantId",
    "userId",
    "tenantId",
    "subject",
    "predicate",
    "object",
    "sourceRef",
    "metadata",
    "validUntil",
    *_ENRICHMENT,
)


# -- helpers -------------------------------------------------------------------------------


def _find(tx: Tx, fact_id: str) -> dict | None:
    return tx.query("facts").index("by_factId", fact_id).first()


def _find_in_space(tx: Tx, args: dict) -> dict:
    fact = _find(tx, args["factId"])
    if fact is None:
        raise convex_error("FACT_NOT_FOUND")
    if fact["memorySpaceId"] != args["memorySpaceId"]:
        raise convex_error("PERMISSION_DENIED")
    return fact


def _metadata_matches(fact: dict, wanted: Any) -> bool:
    """Common filter 11: truthy stored metadata, then `fact.metadata[k] === wanted[k]` for every own key."""
    stored = fact.get("metadata")
    if not truthy(stored):
        return False
    # DEVIATION: upstream calls Object.keys(null) and throws a TypeError for `metadata: null`
    # (as soon as a candidate has metadata); we treat null as {} — the same result in every case
    # where upstream does not throw.
    if isinstance(wanted, dict):
        pairs = list(wanted.items())
    elif isinstance(wanted, (list, str)):  # Object.keys of an array/string: its indexes
        pairs = [(str(i), item) for i, item in enumerate(wanted)]
    else:  # null, numbers, booleans: no own keys
        pairs = []
    return all(js_equal(_js_get(stored, key), want) for key, want in pairs)


def _js_get(obj: Any, key: str) -> Any:
    """`obj[key]` for a stored JSON value (truthy, so never null)."""
    if isinstance(obj, dict):
        return obj.get(key, UNDEFINED)
    if isinstance(obj, (list, str)) and key.isdigit() and str(int(key)) == key:
        i = int(key)
        return obj[i] if i < len(obj) else UNDEFINED
    return UNDEFINED


def fact_passes(fact: dict, args: dict) -> bool:
    """Common filters 1-11 (spec 'Shared filter semantics'), in spec order."""
    if not truthy(args.get("includeSuperseded")) and "supersededBy" in fact:
        return False
    if truthy(args.get("tenantId")) and fact.get("tenantId", UNDEFINED) != args["tenantId"]:
        return False
    if "factType" in args and fact["factType"] != args["factType"]:
        return False
    for name in ("subject", "predicate", "object", "userId", "participantId"):
        if name in args and not js_equal(fact.get(name, UNDEFINED), args[name]):
            return False
    if "minConfidence" in args and not fact["confidence"] >= args["minConfidence"]:
        return False
    if "confidence" in args and fact["confidence"] != args["confidence"]:
        return False
    if "sourceType" in args and fact["sourceType"] != args["sourceType"]:
        return False
    tags = args.get("tags")
    if tags:
        have = fact["tags"]
        if args.get("tagMatch") == "all":
            if not all(t in have for t in tags):
                return False
        elif not any(t in have for t in tags):
            return False
    if "createdAfter" in args and not fact["createdAt"] >= args["createdAfter"]:
        return False
    if "createdBefore" in args and not fact["createdAt"] <= args["createdBefore"]:
        return False
    if "updatedAfter" in args and not fact["updatedAt"] >= args["updatedAfter"]:
        return False
    if "updatedBefore" in args and not fact["updatedAt"] <= args["updatedBefore"]:
        return False
    if "version" in args and fact["version"] != args["version"]:
        return False
    if "validAt" in args:
        t = args["validAt"]
        start, end = fact.get("validFrom"), fact.get("validUntil")
        if truthy(start) and not start <= t:
            return False
        if truthy(end) and not end > t:
            return False
    return "metadata" not in args or _metadata_matches(fact, args["metadata"])


def _sort_and_page(facts: list[dict], args: dict) -> list[dict]:
    sort_by = args.get("sortBy")
    if sort_by in SORT_FIELDS:
        # Python's sort is stable in both directions, like JS Array.prototype.sort.
        facts = sorted(facts, key=lambda f: f[sort_by], reverse=args.get("sortOrder") != "asc")
    start = args.get("offset") if truthy(args.get("offset")) else 0
    if "limit" in args:
        return js_slice(facts, start, start + args["limit"])
    return js_slice(facts, start)


def _filtered(candidates: Any, args: dict) -> list[dict]:
    return [f for f in candidates if fact_passes(f, args)]


# -- mutations -------------------------------------------------------------------------------


@handler("facts:store")
def store(tx: Tx, args: dict) -> Any:
    doc: dict[str, Any] = {
        "factId": public_id("fact", tx.now),
        "memorySpaceId": args["memorySpaceId"],
        "fact": args["fact"],
        "factType": args["factType"],
        "confidence": args["confidence"],
        "sourceType": args["sourceType"],
        "tags": args["tags"],
        "validFrom": args["validFrom"] if truthy(args.get("validFrom")) else tx.now,
        "version": 1,
        "createdAt": tx.now,
        "updatedAt": tx.now,
    }
    for name in _STORE_OPTIONAL:
        if name in args:
            doc[name] = args[name]
    return tx.fetch(tx.insert("facts", doc))


@handler("facts:update")
def update(tx: Tx, args: dict) -> Any:
    old = _find_in_space(tx, args)
    new_id = public_id("fact", tx.now)
    doc = {k: val for k, val in old.items() if not k.startswith("_") and k not in ("supersededBy",)}
    doc.update(
        {
            "factId": new_id,
            "fact": args["fact"] if truthy(args.get("fact")) else old["fact"],
            "version": old["version"] + 1,
            "supersedes": old["factId"],
            "updatedAt": tx.now,
        }
    )
    for name in ("confidence", "tags", "validUntil", *_ENRICHMENT):
        if name in args:
            doc[name] = args[name]
    if "metadata" in args and truthy(args["metadata"]):
        doc["metadata"] = args["metadata"]
    new_doc_id = tx.insert("facts", doc)
    tx.patch(old["_id"], {"supersededBy": new_id, "validUntil": tx.now})
    return tx.get(new_doc_id)


@handler("facts:deleteFact")
def delete_fact(tx: Tx, args: dict) -> Any:
    fact = _find_in_space(tx, args)
    tx.patch(fact["_id"], {"validUntil": tx.now, "updatedAt": tx.now})
    return {"deleted": True, "factId": args["factId"]}


@handler("facts:supersede")
def supersede(tx: Tx, args: dict) -> Any:
    space = args["memorySpaceId"]
    old = _find(tx, args["oldFactId"])
    if old is None:
        raise convex_error("OLD_FACT_NOT_FOUND")
    if old["memorySpaceId"] != space:
        raise convex_error("PERMISSION_DENIED")
    new = _find(tx, args["newFactId"])
    if new is None:
        raise convex_error("NEW_FACT_NOT_FOUND")
    if new["memorySpaceId"] != space:
        raise convex_error("FACTS_MUST_BE_IN_SAME_SPACE")
    tx.patch(old["_id"], {"supersededBy": args["newFactId"], "validUntil": tx.now, "updatedAt": tx.now})
    tx.patch(new["_id"], {"supersedes": args["oldFactId"], "updatedAt": tx.now})
    result = {"superseded": True, "oldFactId": args["oldFactId"], "newFactId": args["newFactId"]}
    if "reason" in args:
        result["reason"] = args["reason"]
    return result


@handler("facts:updateInPlace")
def update_in_place(tx: Tx, args: dict) -> Any:
    fact = _find_in_space(tx, args)
    patch = {"updatedAt": tx.now}
    for name in ("fact", "confidence", "tags", "validUntil", "metadata", *_ENRICHMENT):
        if name in args:
            patch[name] = args[name]
    tx.patch(fact["_id"], patch)
    return tx.get(fact["_id"])


@handler("facts:deleteMany")
def delete_many(tx: Tx, args: dict) -> Any:
    rows = tx.query("facts").index("by_memorySpace", args["memorySpaceId"]).collect()
    if truthy(args.get("userId")):
        rows = [f for f in rows if f.get("userId") == args["userId"]]
    if "factType" in args:
        rows = [f for f in rows if f["factType"] == args["factType"]]
    tx.delete_all(rows)
    return {"deleted": len(rows), "memorySpaceId": args["memorySpaceId"]}


@handler("facts:consolidate")
def consolidate(tx: Tx, args: dict) -> Any:
    space, keep_id, ids = args["memorySpaceId"], args["keepFactId"], args["factIds"]
    if keep_id not in ids:
        raise plain_error("KEEP_FACT_NOT_IN_LIST")
    merged: dict[str, dict] = {}
    for fact_id in ids:
        if fact_id == keep_id or fact_id in merged:
            continue
        fact = _find(tx, fact_id)
        if fact is not None and fact["memorySpaceId"] == space:
            tx.patch(fact["_id"], {"supersededBy": keep_id, "validUntil": tx.now})
            merged[fact_id] = fact
    kept = _find(tx, keep_id)
    if kept is not None and kept["memorySpaceId"] == space:
        # DEVIATION: upstream averages over every listed id (duplicates weighted twice, facts of
        # other spaces included); we average the kept fact and the facts actually merged, once each.
        group = [kept["confidence"], *(f["confidence"] for f in merged.values())]
        average = sum(group) / len(group)
        tx.patch(kept["_id"], {"confidence": js_round(average), "updatedAt": tx.now})
    # DEVIATION: upstream reports factIds.length - 1 whatever was found; we report the facts merged.
    return {"consolidated": True, "keptFactId": keep_id, "mergedCount": len(merged)}


@handler("facts:deleteByIds")
def delete_by_ids(tx: Tx, args: dict) -> Any:
    done = []
    for fact_id in args["factIds"]:
        fact = _find(tx, fact_id)
        if fact is not None:
            tx.patch(fact["_id"], {"validUntil": tx.now, "updatedAt": tx.now})
            done.append(fact_id)
    return {"deleted": len(done), "factIds": done}


@handler("facts:purgeAll")
def purge_all(tx: Tx, args: dict) -> Any:
    rows = tx.query("facts").collect()
    tx.delete_all(rows)
    return {"deleted": len(rows)}


# -- queries ---------------------------------------------------------------------------------


@handler("facts:get")
def get(tx: Tx, args: dict) -> Any:
    fact = _find(tx, args["factId"])
    if fact is None or fact["memorySpaceId"] != args["memorySpaceId"]:
        return None
    if truthy(args.get("tenantId")) and fact.get("tenantId") != args["tenantId"]:
        return None
    return fact


@handler("facts:list")
def list_(tx: Tx, args: dict) -> Any:
    candidates = tx.query("facts").index("by_memorySpace", args["memorySpaceId"])
    return _sort_and_page(_filtered(candidates, args), args)


@handler("facts:count")
def count(tx: Tx, args: dict) -> Any:
    candidates = tx.query("facts").index("by_memorySpace", args["memorySpaceId"])
    return sum(1 for f in candidates if fact_passes(f, args))


@handler("facts:search")
def search(tx: Tx, args: dict) -> Any:
    space = {"memorySpaceId": args["memorySpaceId"]}
    sort_by = args.get("sortBy")
    # Matches arrive in the result's order (by sortBy, best match first among equals; else best
    # match first), so a page stops reading documents once it is full.
    sort = (sort_by, args.get("sortOrder") != "asc") if sort_by in SORT_FIELDS else None
    hits = tx.search_iter("facts", "by_content", args["query"], space, SEARCH_HIT_CAP, sort=sort)
    start = args.get("offset") if truthy(args.get("offset")) else 0
    limit = args.get("limit")
    if isinstance(start, int | float) and isinstance(limit, int | float) and _whole(start) and _whole(limit):
        page = list(islice((f for f in hits if fact_passes(f, args)), int(start) + int(limit)))
        return page[int(start):]
    return _sort_and_page(_filtered(hits, args), args)


def _whole(n: Any) -> bool:
    """A non-negative whole number (a plain slice bound; anything else takes js_slice's path)."""
    return isinstance(n, (int, float)) and not isinstance(n, bool) and 0 <= n < 2**53 and float(n) == int(n)


@handler("facts:getHistory")
def get_history(tx: Tx, args: dict) -> Any:
    start = _find(tx, args["factId"])
    if start is None or start["memorySpaceId"] != args["memorySpaceId"]:
        return []
    root, seen = start, {start["factId"]}
    while truthy(root.get("supersedes")):
        previous = _find(tx, root["supersedes"])
        if previous is None or previous["factId"] in seen:  # cycle guard (upstream loops)
            break
        seen.add(previous["factId"])
        root = previous
    chain, seen = [root], {root["factId"]}
    current = root
    while truthy(current.get("supersededBy")):
        following = _find(tx, current["supersededBy"])
        if following is None or following["factId"] in seen:
            break
        seen.add(following["factId"])
        chain.append(following)
        current = following
    return chain


@handler("facts:queryBySubject")
def query_by_subject(tx: Tx, args: dict) -> Any:
    candidates = tx.query("facts").index("by_memorySpace_subject", args["memorySpaceId"], args["subject"])
    return _sort_and_page(_filtered(candidates, args), args)


@handler("facts:queryByRelationship")
def query_by_relationship(tx: Tx, args: dict) -> Any:
    candidates = tx.query("facts").index("by_memorySpace_subject", args["memorySpaceId"], args["subject"])
    return _sort_and_page(_filtered(candidates, args), args)


@handler("facts:exportFacts")
def export_facts(tx: Tx, args: dict) -> Any:
    facts = [
        f
        for f in tx.query("facts").index("by_memorySpace", args["memorySpaceId"])
        if "supersededBy" not in f and ("factType" not in args or f["factType"] == args["factType"])
    ]
    fmt = args["format"]
    if fmt == "json":
        data = js_stringify(facts, 2)
    elif fmt == "jsonld":
        graph = []
        for f in facts:
            node: dict[str, Any] = {"@type": "Fact", "@id": f["factId"]}
            for name in ("subject", "predicate", "object"):
                if name in f:
                    node[name] = f[name]
            node.update(
                {
                    "factStatement": f["fact"],
                    "confidence": f["confidence"],
                    "factType": f["factType"],
                    "dateCreated": js_iso(f["createdAt"]),
                }
            )
            if truthy(f.get("validFrom")):
                node["validFrom"] = js_iso(f["validFrom"])
            if truthy(f.get("validUntil")):
                node["validThrough"] = js_iso(f["validUntil"])
            graph.append(node)
        data = js_stringify({"@context": "https://schema.org/", "@graph": graph}, 2)
    else:
        # DEVIATION: upstream writes the columns other than `fact` unescaped, so a comma, quote or
        # newline in a subject/predicate/object/tag shifts the columns; we quote such a field (RFC 4180).
        # Fields without those characters are written exactly as upstream writes them.
        lines = ["factId,fact,factType,subject,predicate,object,confidence,sourceType,tags,createdAt"]
        for f in facts:
            columns = [
                csv_field(f["factId"]),
                csv_field(f["fact"], always=True),
                f["factType"],
                csv_field(f.get("subject", "")),
                csv_field(f.get("predicate", "")),
                csv_field(f.get("object", "")),
                js_number(f["confidence"]),
                f["sourceType"],
                csv_field(";".join(f["tags"])),
                js_iso(f["createdAt"]),
            ]
            lines.append(",".join(columns))
        data = "\n".join(lines)
    return {"format": fmt, "data": data, "count": len(facts), "exportedAt": tx.now}


@handler("facts:findByStructure")
def find_by_structure(tx: Tx, args: dict) -> Any:
    def matches(f: dict) -> bool:
        if "supersededBy" in f:
            return False
        return all(
            f.get(name, UNDEFINED) == args[name]
            for name in ("subject", "predicate", "object", "userId", "factType")
            if name in args
        )

    limit = args.get("limit", 10)
    if limit == 0:
        return []
    found = tx.query("facts").index("by_memorySpace", args["memorySpaceId"]).filter(matches).collect()
    return js_slice(found, 0, limit)
