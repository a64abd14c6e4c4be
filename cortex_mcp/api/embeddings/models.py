"""Which model made a database's vectors: one record, kept through the contract on any backend.

The record is the mutable value `cortex-mcp/embeddings` = `{"model", "dimension"}` (on the embedded
backend the `embeddings:*` extension reads it too, inside its transactions). The first
embedding written claims the database for its model; another model is refused (its vectors could
not be compared with the stored ones) until `cortex-mcp reindex` has re-embedded every memory.
"""

from __future__ import annotations

from typing import Any

from cortex_mcp.api.embeddings import Embedder, EmbeddingError
from cortex_mcp.backends.base import Backend, call
from cortex_mcp.contract.embeddings import MODEL_RECORD

NAMESPACE, KEY = MODEL_RECORD


async def recorded_model(backend: Backend) -> dict[str, Any] | None:
    """`{"model", "dimension"}` of the stored vectors, or None when no model has claimed the database."""
    row = await call(backend, "mutable:get", {"namespace": NAMESPACE, "key": KEY})
    value = row.get("value") if isinstance(row, dict) else None
    return value if isinstance(value, dict) and isinstance(value.get("model"), str) else None


async def record_model(backend: Backend, name: str, dimension: int) -> None:
    await call(
        backend, "mutable:set", {"namespace": NAMESPACE, "key": KEY, "value": {"model": name, "dimension": dimension}}
    )


def mismatch(recorded: str, configured: str) -> EmbeddingError:
    return EmbeddingError(
        f"this database's vectors were made by {recorded}, and vectors of {configured} cannot be mixed with them",
        hint=(
            f"Run `cortex-mcp reindex` with the embeddings settings you want ({configured}) to re-embed every "
            f"memory, or start the server with the settings that made the stored vectors ({recorded})."
        ),
        code="EMBEDDING_MODEL_MISMATCH",
    )


async def ensure_model(backend: Backend, embedder: Embedder, dimension: int) -> None:
    """Before vectors of `embedder` are written: claim an unclaimed database, refuse a mismatch."""
    recorded = await recorded_model(backend)
    if recorded is None:
        await record_model(backend, embedder.name, dimension)
    elif recorded["model"] != embedder.name:
        raise mismatch(recorded["model"], embedder.name)


async def check_model(backend: Backend, embedder: Embedder) -> bool:
    """Before a search with `embedder`'s vectors: True when the stored vectors are of its model,
    False when none are recorded yet (nothing to compare with); raises on a mismatch."""
    recorded = await recorded_model(backend)
    if recorded is None:
        return False
    if recorded["model"] != embedder.name:
        raise mismatch(recorded["model"], embedder.name)
    return True
