"""Memory vectors in the embedded store: the SQL the `embeddings:*` extension needs.

Vectors live in the `v_embedding` blob column beside each memory's JSON document (store.py), so
these statements read and clear them without decoding a document.
"""

from __future__ import annotations

from cortex_mcp.backends.embedded.store import Tx

TABLE = "memories"


def counts(tx: Tx) -> tuple[int, int]:
    """(memories, memories with a vector)."""
    total, embedded = tx.conn.execute(f'SELECT count(*), count(v_embedding) FROM "{TABLE}"').fetchone()
    return total, embedded


def pending(tx: Tx, limit: int, after: float | None) -> list[tuple[float, str, str]]:
    """`(creation time, memoryId, content)` of memories without a vector, oldest first, after a cursor."""
    rows = tx.conn.execute(
        f"SELECT _creationTime, json_extract(doc, '$.memoryId'), json_extract(doc, '$.content') "
        f'FROM "{TABLE}" WHERE v_embedding IS NULL AND _creationTime > ? ORDER BY _creationTime LIMIT ?',
        (-1.0 if after is None else after, limit),
    )
    return list(rows)


def clear(tx: Tx) -> int:
    """Drop every memory vector; returns how many were dropped (a mutation's transaction only)."""
    return tx.conn.execute(f'UPDATE "{TABLE}" SET v_embedding = NULL WHERE v_embedding IS NOT NULL').rowcount
