"""Memory vectors in the embedded store: similarity search, and the SQL of the `embeddings:*` extension.

Vectors live as float32 in the `v_embedding` blob column beside each memory's JSON document
(store.py), so everything here reads and clears them without decoding a document.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from operator import mul
from typing import Any

from cortex_mcp.backends.embedded.store import VECTORS_VERSION, Tx, unpack_vector

TABLE = "memories"


def counts(tx: Tx) -> tuple[int, int]:
    """(memories, memories with a vector)."""
    total, embedded = tx.conn.execute(f'SELECT count(*), count(v_embedding) FROM "{TABLE}"').fetchone()
    return total, embedded


def pending(tx: Tx, limit: int, after: float | None, turns: int) -> list[tuple[float, str, str, list[str]]]:
    """`(creation time, memoryId, content, context)` of memories without a vector, oldest first,
    after a cursor; `context` is the contents of the (up to) `turns` memories stored before
    it in the same conversation, oldest first (api/embeddings/context.py)."""
    rows = tx.conn.execute(
        f"SELECT rowid, _creationTime, json_extract(doc, '$.memoryId'), json_extract(doc, '$.content'), "
        f'f_memorySpaceId, f_conversationRef__conversationId FROM "{TABLE}" '
        "WHERE v_embedding IS NULL AND _creationTime > ? ORDER BY _creationTime LIMIT ?",
        (-1.0 if after is None else after, limit),
    ).fetchall()
    return [(created, memory_id, content, _before(tx, rowid, space, conversation, turns))
            for rowid, created, memory_id, content, space, conversation in rows]


def _before(tx: Tx, rowid: int, space: str, conversation: str | None, turns: int) -> list[str]:
    if conversation is None or turns <= 0:
        return []
    rows = tx.conn.execute(
        f"SELECT json_extract(doc, '$.content') FROM \"{TABLE}\" WHERE f_memorySpaceId = ? "
        "AND f_conversationRef__conversationId = ? AND rowid < ? ORDER BY rowid DESC LIMIT ?",
        (space, conversation, rowid, turns),
    ).fetchall()
    return [content for (content,) in reversed(rows)]


def clear(tx: Tx) -> int:
    """Drop every memory vector; returns how many were dropped (a mutation's transaction only)."""
    return tx.conn.execute(f'UPDATE "{TABLE}" SET v_embedding = NULL WHERE v_embedding IS NOT NULL').rowcount


# -- similarity search ---------------------------------------------------------------------------
# With numpy (it comes with the [embeddings] extra), a memory space's vectors are kept in memory as
# one float32 matrix and scored with one matrix product; the matrix is reloaded when `_meta`'s
# vectors_version (bumped by triggers on every vector change, in any process) moves on. Without
# numpy, vectors are scored one by one in Python (fine for the few an agent passes by hand).


@dataclass
class _Space:
    version: Any
    ids: list[str]  # document _id per row, in index (creation) order
    groups: dict[int, tuple[Any, Any, Any]]  # dimension -> (row positions, float32 matrix, row norms)


_CACHE: OrderedDict[tuple[int, str], _Space] = OrderedDict()
_CACHE_SPACES = 8
_cache_lock = threading.Lock()


def _numpy() -> Any:
    if importlib.util.find_spec("numpy") is None:
        return None
    import numpy

    return numpy


def _version(tx: Tx) -> Any:
    row = tx.conn.execute("SELECT value FROM _meta WHERE key = ?", (VECTORS_VERSION,)).fetchone()
    return None if row is None else row[0]


def _load(tx: Tx, np: Any, space_id: str, version: Any) -> _Space:
    rows = tx.conn.execute(
        f'SELECT _id, v_embedding FROM "{TABLE}" WHERE f_memorySpaceId = ? AND v_embedding IS NOT NULL ORDER BY rowid',
        (space_id,),
    ).fetchall()
    by_size: dict[int, list[int]] = {}
    for position, (_, blob) in enumerate(rows):
        by_size.setdefault(len(blob), []).append(position)
    groups = {}
    for size, positions in by_size.items():
        matrix = np.frombuffer(b"".join(rows[p][1] for p in positions), dtype=np.float32).reshape(len(positions), -1)
        groups[size // 4] = (np.array(positions), matrix, np.linalg.norm(matrix, axis=1).astype(np.float64))
    return _Space(version, [doc_id for doc_id, _ in rows], groups)


def _space(tx: Tx, np: Any, space_id: str) -> _Space:
    key = (id(tx.conn), space_id)
    version = _version(tx)
    with _cache_lock:
        cached = _CACHE.get(key)
        if cached is not None and cached.version == version:
            _CACHE.move_to_end(key)
            return cached
    loaded = _load(tx, np, space_id, version)
    with _cache_lock:
        _CACHE[key] = loaded
        while len(_CACHE) > _CACHE_SPACES:
            _CACHE.popitem(last=False)
    return loaded


def ranked(tx: Tx, space_id: str, query: list[float], wanted: int | None) -> Iterator[tuple[float, str]]:
    """`(cosine, _id)` of the space's memories with a vector, best first, ties in creation order;
    vectors of another length and negative or NaN similarities are left out. `wanted` is how many
    the caller expects to take (it may take more: the order stays exact)."""
    np = _numpy()
    if np is None:
        yield from _ranked_python(tx, space_id, query)
        return
    space = _space(tx, np, space_id)
    group = space.groups.get(len(query))
    if group is None:
        return
    positions, matrix, norms = group
    q = np.asarray(query, dtype=np.float64)
    q_norm = float(np.linalg.norm(q))
    with np.errstate(all="ignore"):
        dots = (matrix @ q.astype(np.float32)).astype(np.float64)
        scores = np.where((norms == 0) | (q_norm == 0), 0.0, dots / (norms * q_norm))
    keep = scores >= 0  # NaN compares false
    scores, positions = scores[keep], positions[keep]
    if wanted is not None and 0 < wanted * 4 < len(scores):
        # Exact order of the best few without sorting everything: all rows at or above the
        # k-th best score (ties included) first, the rest only if the caller reads that far.
        kth = np.partition(scores, len(scores) - wanted * 4)[len(scores) - wanted * 4]
        parts = [scores >= kth, scores < kth]
    else:
        parts = [np.ones(len(scores), dtype=bool)]
    for part in parts:
        s, p = scores[part], positions[part]
        for i in np.lexsort((p, -s)):
            yield float(s[i]), space.ids[int(p[i])]


def _ranked_python(tx: Tx, space_id: str, query: list[float]) -> Iterator[tuple[float, str]]:
    query_norm = math.sqrt(sum(x * x for x in query))
    scored: list[tuple[float, str]] = []
    for doc_id, blob in tx.conn.execute(
        f'SELECT _id, v_embedding FROM "{TABLE}" WHERE f_memorySpaceId = ? AND v_embedding IS NOT NULL ORDER BY rowid',
        (space_id,),
    ):
        vector = unpack_vector(blob)
        if len(vector) != len(query):
            continue
        norm = math.sqrt(sum(x * x for x in vector))
        score = 0.0 if query_norm == 0 or norm == 0 else sum(map(mul, query, vector)) / (query_norm * norm)
        if not math.isnan(score) and score >= 0:
            scored.append((score, doc_id))
    scored.sort(key=lambda pair: pair[0], reverse=True)  # stable: ties stay in creation order
    yield from scored
