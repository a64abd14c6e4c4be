"""Embedded handlers of the `bulk` extension: import and export, each call one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.handlers.memories import TABLE, new_memory
from cortex_mcp.backends.embedded.schema import TABLES
from cortex_mcp.backends.embedded.store import Query, Tx
from cortex_mcp.contract.bulk import KEYS, LAYER_TABLE, MAX_PAGE, MAX_RECORDS, RECORD, RESTORE_ARGS
from cortex_mcp.errors import ArgumentValidationError, plain_error
from cortex_mcp.ids import table_of_id

# A filtered export page reads at most this many documents per requested one, so a filter that
# matches little still answers within a bounded read (with an empty page and a cursor).
SCAN_FACTOR = 10
# Fields that say when or how often, not what: a record equal in everything else is the same
# record (one read since, or a source file imported again at another time), not a conflict.
NOT_CONTENT = (
    "createdAt", "updatedAt", "sourceTimestamp", "registeredAt", "timestamp", "accessCount", "lastAccessed",
    "lastActive", "lastActiveAt",
)  # fmt: skip
A2A = "agent-agent"


@dataclass(frozen=True)
class Layer:
    """How a layer is read: which rows of its table, and where its space, user and time live."""

    keep: Callable[[dict], bool]  # the rows of the table that belong to this layer
    space_index: str | None  # index whose first field is the memory space (None: no space)
    user: Callable[[dict], Any] | None  # the record's user id (None: the layer has no user)
    changed: str  # the field holding the last change time
    find: str  # index that finds a record by the leading fields of its KEYS


def _get(path: str) -> Callable[[dict], Any]:
    head, _, rest = path.partition(".")
    return lambda doc: (doc.get(head) or {}).get(rest) if rest else doc.get(head)


def _everything(_doc: dict) -> bool:
    return True


LAYERS: dict[str, Layer] = {
    "spaces": Layer(_everything, "by_memorySpaceId", None, "updatedAt", "by_memorySpaceId"),
    "agents": Layer(_everything, None, None, "updatedAt", "by_agentId"),
    "users": Layer(lambda d: d["type"] == "user", None, _get("id"), "updatedAt", "by_type_id"),
    "conversations": Layer(
        lambda d: d["type"] != A2A, "by_memorySpace", _get("participants.userId"), "updatedAt", "by_conversationId"
    ),
    "agentMessages": Layer(lambda d: d["type"] == A2A, "by_memorySpace", None, "updatedAt", "by_conversationId"),
    "memories": Layer(_everything, "by_memorySpace", _get("userId"), "updatedAt", "by_memoryId"),
    "facts": Layer(_everything, "by_memorySpace", _get("userId"), "updatedAt", "by_factId"),
    "factHistory": Layer(_everything, "by_memorySpace", _get("userId"), "timestamp", "by_eventId"),
    "contexts": Layer(_everything, "by_memorySpace", _get("userId"), "updatedAt", "by_contextId"),
    "immutable": Layer(lambda d: d["type"] != "user", None, _get("userId"), "updatedAt", "by_type_id"),
    "mutable": Layer(_everything, None, _get("userId"), "updatedAt", "by_namespace_key"),
    "sessions": Layer(_everything, "by_memorySpace", _get("userId"), "lastActiveAt", "by_sessionId"),
}


def public(doc: dict, *, embeddings: bool = True) -> dict:
    """A stored document as an export carries it: no `_id`/`_creationTime` (they belong to one
    store), and without vectors unless asked for."""
    out = {key: value for key, value in doc.items() if not key.startswith("_")}
    if not embeddings:
        out.pop("embedding", None)
        if isinstance(out.get("previousVersions"), list):
            out["previousVersions"] = [_without("embedding", v) for v in out["previousVersions"]]
    return out


def _without(key: str, value: Any) -> Any:
    return {k: x for k, x in value.items() if k != key} if isinstance(value, dict) else value


def _cursor(doc: dict) -> str:
    return f"{doc['_id']} {doc['_creationTime']!r}"


def _parse_cursor(cursor: str) -> tuple[str, float]:
    doc_id, _, creation = cursor.rpartition(" ")
    try:
        return doc_id, float(creation)
    except ValueError:
        raise plain_error(f"cursor: {cursor[:80]!r} is not a cursor this export gave") from None


def _page_limit(value: Any) -> int:
    if not (isinstance(value, (int, float)) and 1 <= value <= MAX_PAGE and float(value).is_integer()):
        raise plain_error(f"limit must be a whole number from 1 to {MAX_PAGE}")
    return int(value)


@handler("bulk:exportPage")
def export_page(tx: Tx, args: dict) -> Any:
    name = args["layer"]
    layer = LAYERS[name]
    limit = _page_limit(args.get("limit", MAX_PAGE))
    space, user, since = args.get("memorySpaceId"), args.get("userId"), args.get("since")
    if (space is not None and layer.space_index is None) or (user is not None and layer.user is None):
        return {"page": [], "cursor": args.get("cursor", ""), "isDone": True}
    query: Query = tx.query(LAYER_TABLE[name])
    if space is not None:
        query = query.index(layer.space_index, space)  # type: ignore[arg-type]
    if args.get("cursor"):
        query = query.after(*_parse_cursor(args["cursor"]))
    page: list[dict] = []
    last: dict | None = None
    for read, doc in enumerate(query, start=1):
        last = doc
        if (
            layer.keep(doc)
            and (user is None or layer.user(doc) == user)  # type: ignore[misc]
            and (since is None or doc[layer.changed] >= since)
        ):
            page.append(public(doc, embeddings=bool(args.get("embeddings"))))
        if len(page) == limit or read == limit * SCAN_FACTOR:
            return {"page": page, "cursor": _cursor(doc), "isDone": False}
    return {"page": page, "cursor": _cursor(last) if last else args.get("cursor", ""), "isDone": True}


class Outcome:
    """What one import call did (or, dry, would do)."""

    def __init__(self, layer: str, policy: str):
        self.layer, self.policy = layer, policy
        self.stored = self.skipped = self.replaced = self.conflicts = 0

    def existing(self, old: dict, new: dict, where: str) -> bool:
        """Count a record that is already stored; True when `new` should replace `old`."""
        if _same(old, new):
            self.skipped += 1
            return False
        if self.policy == "fail":
            key = ", ".join(f"{f}={new.get(f)!r}" for f in KEYS[self.layer] if f in new)
            raise plain_error(
                f"{where}: {self.layer} record {key} already exists with other content (onConflict: fail)"
            )
        if self.policy == "replace":
            self.replaced += 1
            return True
        self.skipped += 1
        self.conflicts += 1
        return False

    def counts(self) -> dict:
        return {"stored": self.stored, "skipped": self.skipped, "replaced": self.replaced, "conflicts": self.conflicts}


def _same(old: dict, new: dict) -> bool:
    """Equal as records: times and access counts aside, and vectors aside when the new one has none."""
    old = public(old, embeddings="embedding" in new)
    return {k: x for k, x in old.items() if k not in NOT_CONTENT} == {
        k: x for k, x in new.items() if k not in NOT_CONTENT
    }


def _find(tx: Tx, layer: str, doc: dict) -> dict | None:
    keys = KEYS[layer]
    index = LAYERS[layer].find
    leading = len(TABLES[LAYER_TABLE[layer]].indexes[index])
    query = tx.query(LAYER_TABLE[layer]).index(index, *(doc[k] for k in keys[:leading]))
    rest = keys[leading:]
    if rest:
        query = query.filter(lambda found: all(found.get(key) == doc.get(key) for key in rest))
    return query.first()


def space_of(doc: dict) -> Any:
    return doc.get("memorySpaceId")


def check_document(layer: str, doc: Any, where: str) -> None:
    """A record of `layer` as an export carries it, checked against the contract: a memory against
    `bulk:storeMemories`' record, any other against its table. Raises ArgumentValidationError."""
    if not isinstance(doc, dict):
        raise ArgumentValidationError(f"a {layer} record must be an object", path=where)
    if layer == "memories":
        RECORD.check(doc, where)
        return
    for key in doc:
        if key.startswith("_"):
            raise ArgumentValidationError("field names starting with '_' are reserved", path=f"{where}.{key}")
    TABLES[LAYER_TABLE[layer]].fields.check(doc, where, table_of_id)
    if not LAYERS[layer].keep(doc):
        raise ArgumentValidationError(f"{doc.get('type')!r} is not a {layer} record", path=f"{where}.type")


@handler("bulk:importDocuments")
def import_documents(tx: Tx, args: dict) -> Any:
    layer, documents = args["layer"], args["documents"]
    if len(documents) > MAX_RECORDS:
        raise plain_error(f"documents: at most {MAX_RECORDS} per call (got {len(documents)}); send batches")
    outcome = Outcome(layer, args.get("onConflict", "skip"))
    dry = bool(args.get("dryRun"))
    seen: set[tuple] = set()  # keys written by this call (a dry run writes nothing to find them by)
    for i, doc in enumerate(documents):
        where = f".documents[{i}]"
        check_document(layer, doc, where)
        key = tuple(doc.get(k) for k in KEYS[layer])
        old = None if key in seen and dry else _find(tx, layer, doc)
        if key in seen and old is None:
            outcome.skipped += 1
            continue
        seen.add(key)
        if old is not None and old.get("memorySpaceId", space_of(doc)) != space_of(doc):
            raise plain_error(f"{where}: {layer} record {key} already belongs to another memory space")
        if old is None:
            outcome.stored += 1
            if not dry:
                tx.insert(LAYER_TABLE[layer], doc)
        elif outcome.existing(old, doc, where) and not dry:
            tx.replace(old["_id"], doc)
    return outcome.counts()


def _restored(record: dict, now: int) -> dict:
    """The new memory document for a record: `memories:store`'s, then the stored state it carries."""
    doc = new_memory(record, now)
    for key in RESTORE_ARGS:
        if key in record:
            doc[key] = record[key]
    for implied in ("updatedAt", "sourceTimestamp"):  # as memories:store sets them: the creation time
        if "createdAt" in record and implied not in record:
            doc[implied] = record["createdAt"]
    return doc


@handler("bulk:storeMemories")
def store_memories(tx: Tx, args: dict) -> Any:
    records = args["memories"]
    if len(records) > MAX_RECORDS:
        raise plain_error(f"memories: at most {MAX_RECORDS} records per call (got {len(records)}); send batches")
    outcome = Outcome("memories", args.get("onConflict", "skip"))
    memory_ids: list[str] = []
    new_docs: list[dict] = []
    replacements: list[tuple[dict, dict]] = []
    given: dict[str, str] = {}  # memoryId given in this call -> its memory space
    for i, record in enumerate(records):
        doc = _restored(record, tx.now)
        memory_id = doc["memoryId"]
        memory_ids.append(memory_id)
        if "memoryId" in record:
            space = given.get(memory_id)
            existing = None if space else tx.query(TABLE).index("by_memoryId", memory_id).first()
            if existing is not None:
                space = existing["memorySpaceId"]
            if space is not None:
                if space != record["memorySpaceId"]:
                    raise plain_error(f"memories[{i}].memoryId: {memory_id!r} already belongs to another memory space")
                if existing is None:
                    outcome.skipped += 1  # repeated in this call: stored once
                elif outcome.existing(existing, doc, f"memories[{i}]"):
                    replacements.append((existing, doc))
                continue
            given[memory_id] = record["memorySpaceId"]
        new_docs.append(doc)
    outcome.stored = len(new_docs)
    if not args.get("dryRun"):
        tx.insert_many(TABLE, new_docs)
        for old, doc in replacements:
            if "embedding" not in doc and "embedding" in old and old["content"] == doc["content"]:
                doc["embedding"] = old["embedding"]  # the vector still describes the unchanged text
            tx.replace(old["_id"], doc)
    return {**outcome.counts(), "memoryIds": memory_ids}
