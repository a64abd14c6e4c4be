"""Embedded handlers of the `embeddings` extension (contract/embeddings.py): reindex support."""

from __future__ import annotations

import math
from typing import Any

from cortex_mcp.backends.embedded import vectors
from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.handlers.mutable import _resolve, set_
from cortex_mcp.backends.embedded.store import Tx
from cortex_mcp.contract.embeddings import MODEL_RECORD
from cortex_mcp.errors import convex_error, plain_error

MAX_PAGE = 1000
MAX_CONTEXT_TURNS = 10


def _recorded(tx: Tx) -> dict:
    row = _resolve(tx, *MODEL_RECORD, None)
    value = row.get("value") if row else None
    return value if isinstance(value, dict) else {}


@handler("embeddings:status")
def status(tx: Tx, args: dict) -> Any:
    total, embedded = vectors.counts(tx)
    recorded = _recorded(tx)
    return {
        "memories": total,
        "embedded": embedded,
        "model": recorded.get("model"),
        "dimension": recorded.get("dimension"),
    }


@handler("embeddings:pending")
def pending(tx: Tx, args: dict) -> Any:
    limit = args["limit"]
    if not (isinstance(limit, (int, float)) and 1 <= limit <= MAX_PAGE and float(limit).is_integer()):
        raise plain_error(f"limit must be a whole number from 1 to {MAX_PAGE}")
    turns = args.get("contextTurns", 0)
    if not (isinstance(turns, (int, float)) and 0 <= turns <= MAX_CONTEXT_TURNS and float(turns).is_integer()):
        raise plain_error(f"contextTurns must be a whole number from 0 to {MAX_CONTEXT_TURNS}")
    rows = vectors.pending(tx, int(limit), args.get("after"), int(turns))
    return {
        "items": [{"memoryId": memory_id, "content": content, "context": context}
                  for _, memory_id, content, context in rows],
        "cursor": rows[-1][0] if rows else args.get("after"),
    }


@handler("embeddings:set")
def set_vectors(tx: Tx, args: dict) -> Any:
    recorded = _recorded(tx).get("model")
    if recorded != args["model"]:
        # Checked inside the write transaction: a concurrent model switch cannot slip in between.
        raise convex_error("EMBEDDING_MODEL_MISMATCH")
    updated = 0
    for item in args["items"]:
        memory = tx.query("memories").index("by_memoryId", item["memoryId"]).first()
        if memory is None:
            continue
        tx.patch(memory["_id"], {"embedding": item["embedding"]})
        updated += 1
    return {"updated": updated}


@handler("embeddings:switchModel")
def switch_model(tx: Tx, args: dict) -> Any:
    dimension = args["dimension"]
    if not (isinstance(dimension, (int, float)) and math.isfinite(dimension) and dimension >= 1):
        raise plain_error("dimension must be a positive whole number")
    cleared = vectors.clear(tx)
    value = {"model": args["model"], "dimension": int(dimension)}
    set_(tx, {"namespace": MODEL_RECORD[0], "key": MODEL_RECORD[1], "value": value})
    return {"cleared": cleared, **value}
