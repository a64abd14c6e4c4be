"""Vector storage and search on the embedded store: float32 blobs (and the migration of float64
ones), the numpy matrix search giving exactly the pure-Python order, and its cache never stale,
also when another process changes the vectors."""

from __future__ import annotations

import random
import sqlite3
from array import array

import pytest

from cortex_mcp.backends.embedded import EmbeddedBackend, vectors

needs_numpy = pytest.mark.skipif(
    vectors._numpy() is None, reason="numpy comes with the [embeddings] extra; without it the Python path runs"
)


def memory(content, space="s", **extra):
    return {
        "memorySpaceId": space,
        "content": content,
        "contentType": "raw",
        "sourceType": "tool",
        "importance": 50,
        "tags": [],
        **extra,
    }


def search(b, vector, limit=10, space="s", **extra):
    found = b.call_sync(
        "query", "memories:search", {"memorySpaceId": space, "query": "", "embedding": vector, "limit": limit, **extra}
    )
    return [(m["content"], round(m["_score"], 6)) for m in found]


def test_vectors_are_float32_blobs(tmp_path):
    b = EmbeddedBackend(tmp_path / "f.db")
    try:
        stored = b.call_sync("mutation", "memories:store", memory("x", embedding=[0.1, 1, -2.5]))
        blob = b.store.conn.execute("SELECT v_embedding FROM memories").fetchone()[0]
        assert len(blob) == 3 * 4
        assert stored["embedding"] == pytest.approx([0.1, 1, -2.5], rel=1e-7) and stored["embedding"][1:] == [1, -2.5]
    finally:
        b.store.close()


def test_float64_vectors_of_older_files_become_float32(tmp_path):
    path = tmp_path / "old.db"
    b = EmbeddedBackend(path)
    b.call_sync("mutation", "memories:store", memory("x", embedding=[0.5, -1.25, 3.0]))
    b.store.close()
    conn = sqlite3.connect(path)  # what an older build wrote: float64, step 0005 not applied
    conn.execute("UPDATE memories SET v_embedding = ?", (array("d", [0.5, -1.25, 3.0]).tobytes(),))
    conn.execute("DELETE FROM _migrations WHERE name = '0005-vectors-float32'")
    conn.commit()
    conn.close()
    b = EmbeddedBackend(path)
    try:
        assert len(b.store.conn.execute("SELECT v_embedding FROM memories").fetchone()[0]) == 12
        assert search(b, [0.5, -1.25, 3.0]) == [("x", 1.0)]
    finally:
        b.store.close()


@needs_numpy
def test_matrix_search_orders_exactly_as_python(tmp_path, monkeypatch):
    rng = random.Random(7)
    b = EmbeddedBackend(tmp_path / "m.db")
    try:
        base = [[rng.uniform(-1, 1) for _ in range(16)] for _ in range(60)]
        for i in range(300):  # duplicates make exact ties, which must keep creation order
            b.call_sync("mutation", "memories:store", memory(f"m{i}", embedding=base[i % 60]))
        b.call_sync("mutation", "memories:store", memory("zero", embedding=[0.0] * 16))
        b.call_sync("mutation", "memories:store", memory("short", embedding=[1.0, 2.0]))
        b.call_sync("mutation", "memories:store", memory("other space", space="t", embedding=base[0]))
        queries = [[rng.uniform(-1, 1) for _ in range(16)] for _ in range(5)] + [[0.0] * 16]

        def order(query, wanted):
            return b.store.run(False, lambda tx: list(vectors.ranked(tx, "s", query, wanted)))

        fast = [order(q, w) for q in queries for w in (3, None)]
        monkeypatch.setattr(vectors, "_numpy", lambda: None)
        slow = [order(q, w) for q in queries for w in (3, None)]
        for f, s in zip(fast, slow, strict=True):
            assert [doc for _, doc in f] == [doc for _, doc in s]
            assert [score for score, _ in f] == pytest.approx([score for score, _ in s], abs=1e-6)
        assert len(slow[-1]) == 301  # a zero query scores 0 everywhere (kept, as the contract says)
    finally:
        b.store.close()


def test_cached_matrix_follows_every_change_from_any_process(tmp_path):
    path = tmp_path / "shared.db"
    reader, writer = EmbeddedBackend(path), EmbeddedBackend(path)
    try:
        first = writer.call_sync("mutation", "memories:store", memory("east", embedding=[1.0, 0.0]))
        assert search(reader, [1.0, 0.1]) == [("east", 0.995037)]  # now cached
        writer.call_sync("mutation", "memories:store", memory("north-east", embedding=[1.0, 0.1]))
        assert [c for c, _ in search(reader, [1.0, 0.1])] == ["north-east", "east"]
        writer.call_sync(
            "mutation",
            "memories:update",
            {"memorySpaceId": "s", "memoryId": first["memoryId"], "embedding": [0.0, 1.0]},
        )
        assert search(reader, [1.0, 0.1]) == [("north-east", 1.0), ("east", 0.099504)]
        writer.call_sync("mutation", "memories:deleteMemory", {"memorySpaceId": "s", "memoryId": first["memoryId"]})
        assert search(reader, [1.0, 0.1]) == [("north-east", 1.0)]
        # a change without a vector change leaves the version alone (no reload needed)
        version = reader.store.run(False, vectors._version)
        writer.call_sync("mutation", "memories:store", memory("no vector"))
        assert reader.store.run(False, vectors._version) == version
    finally:
        reader.store.close()
        writer.store.close()
