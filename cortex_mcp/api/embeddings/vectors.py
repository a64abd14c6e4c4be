"""What the memory operations ask of an embedder: vectors to store, a vector to search with."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cortex_mcp.api.embeddings import Embedder, EmbeddingError
from cortex_mcp.api.embeddings.models import check_model, ensure_model
from cortex_mcp.backends.base import Backend

log = logging.getLogger(__name__)


async def vectors_to_store(backend: Backend, embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
    """One vector per text, of the database's model (claimed now if unclaimed). Called before
    anything is written, so a provider failure or a model mismatch leaves nothing behind."""
    vectors = await embedder.embed(texts)
    await ensure_model(backend, embedder, len(vectors[0]) if vectors else embedder.dimension)
    return vectors


async def vector_to_search(backend: Backend, embedder: Embedder, query: str) -> list[float] | None:
    """The query's vector, or None when no vector is stored yet or the provider is down (recall
    then runs on full text alone, with a warning in the log). A model mismatch raises."""
    if not await check_model(backend, embedder):
        return None
    try:
        return (await embedder.embed([query]))[0]
    except EmbeddingError as exc:
        log.warning("recall without vectors: %s", exc)
        return None
