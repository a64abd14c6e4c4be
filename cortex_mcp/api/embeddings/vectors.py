"""What the memory operations ask of an embedder: vectors to store, a vector to search with."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cortex_mcp.api.embeddings import Embedder, EmbeddingError
from cortex_mcp.api.embeddings.context import CONTEXT_TURNS, vectors_in_context, with_context
from cortex_mcp.api.embeddings.models import check_model, ensure_model
from cortex_mcp.backends.base import Backend, call
from cortex_mcp.errors import BackendUnavailableError, CortexError

log = logging.getLogger(__name__)


async def vectors_to_store(
    backend: Backend, embedder: Embedder, texts: Sequence[str], before: Sequence[str] = ()
) -> list[list[float]]:
    """One vector per text, of the database's model (claimed now if unclaimed). `texts` are
    consecutive turns of one conversation said after `before` (context.py), or one standalone
    text. Called before anything is written, so a provider failure or a model mismatch leaves
    nothing behind."""
    vectors = await vectors_in_context(embedder, with_context(texts, before))
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


async def turns_before(backend: Backend, conversation_id: str | None, message_id: str | None = None) -> list[str]:
    """The contents of the (up to) CONTEXT_TURNS messages of a conversation before `message_id`
    (before its end without one: one short page of its history), oldest first: the context of a
    memory's vector. Nothing when there is no such conversation or message."""
    if not conversation_id:
        return []
    try:
        if message_id is None:
            page = await call(backend, "conversations:getHistory",
                              {"conversationId": conversation_id, "limit": CONTEXT_TURNS, "sortOrder": "desc"})
            messages = page["messages"][::-1]
        else:
            conversation = await call(backend, "conversations:get", {"conversationId": conversation_id})
            messages = (conversation or {}).get("messages") or []
            ids = [m.get("id") for m in messages]
            messages = messages[: ids.index(message_id)] if message_id in ids else []
    except BackendUnavailableError:
        raise
    except CortexError:
        return []  # no such conversation (yet): the write that follows says what else is wrong
    return [m["content"] for m in messages[-CONTEXT_TURNS:] if isinstance(m.get("content"), str)]
