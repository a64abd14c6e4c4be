"""Memories get vectors at remember time; a database keeps one model; reindex fills what is missing
and switches models, and resumes after an interruption. Runs on every `backend` target with the
OpenAI-compatible provider against the loopback server (tests/embeddings/openai_server.py)."""

from __future__ import annotations

import math

import pytest

from cortex_mcp.api import memory as api
from cortex_mcp.api.embeddings import EmbeddingError
from cortex_mcp.api.embeddings.reindex import reindex
from cortex_mcp.backends.base import call
from cortex_mcp.errors import FunctionError
from tests.embeddings.openai_server import fake_vector

pytestmark = pytest.mark.anyio
SPACE = "s1"


def close_to(stored, expected) -> bool:
    return len(stored) == len(expected) and all(
        math.isclose(a, b, abs_tol=1e-6) for a, b in zip(stored, expected, strict=False)
    )


async def note(backend, content, embedder=None, **extra):
    result = await api.remember_note(
        backend, memory_space_id=SPACE, content=content, agent_id="agent-1", embedder=embedder, **extra
    )
    return result.memories[0]


async def stored(backend, memory_id):
    return await call(backend, "memories:get", {"memorySpaceId": SPACE, "memoryId": memory_id})


async def status(backend):
    return await call(backend, "embeddings:status", {})


async def test_remember_stores_the_vector_and_claims_the_database(backend, embedders):
    embedder = embedders()
    memory = await note(backend, "allergic to peanuts", embedder)
    assert close_to((await stored(backend, memory["memoryId"]))["embedding"], fake_vector("allergic to peanuts"))
    assert await status(backend) == {"memories": 1, "embedded": 1, "model": "openai:model-a", "dimension": 64}
    # an explicit embedding wins over the provider
    explicit = await note(backend, "other", embedder, embedding=[1.0] + [0.0] * 63)
    assert (await stored(backend, explicit["memoryId"]))["embedding"][:2] == [1.0, 0.0]


async def test_remember_exchange_embeds_each_stored_message(backend, embedders):
    result = await api.remember_exchange(
        backend,
        memory_space_id=SPACE,
        user_message="my sister lives in Lisbon",
        agent_response="Got it",  # an acknowledgement: not stored as a memory, not embedded
        agent_id="agent-1",
        embedder=embedders(),
    )
    [memory] = result.memories
    assert close_to((await stored(backend, memory["memoryId"]))["embedding"], fake_vector("my sister lives in Lisbon"))


async def test_another_model_is_refused_and_writes_nothing(backend, embedders, server):
    await note(backend, "first", embedders("model-a"))
    with pytest.raises(EmbeddingError) as info:
        await note(backend, "second", embedders("model-b"))
    assert info.value.code == "EMBEDDING_MODEL_MISMATCH"
    assert "openai:model-a" in info.value.message and "reindex" in info.value.hint
    assert await call(backend, "memories:count", {"memorySpaceId": SPACE}) == 1


async def test_provider_failure_writes_nothing(backend, embedders):
    with pytest.raises(EmbeddingError, match="model crashed"):
        await note(backend, "lost?", embedders("broken"))
    with pytest.raises(EmbeddingError):
        await api.remember_exchange(
            backend,
            memory_space_id=SPACE,
            user_message="u",
            agent_response="a",
            agent_id="x",
            embedder=embedders("broken"),
        )
    assert await call(backend, "memories:count", {"memorySpaceId": SPACE}) == 0
    assert (await status(backend))["model"] is None


async def test_new_content_gets_a_new_vector(backend, embedders):
    embedder = embedders()
    memory = await note(backend, "likes tea", embedder)
    updated = await api.update_memory(
        backend, memory_space_id=SPACE, memory_id=memory["memoryId"], content="likes coffee", embedder=embedder
    )
    assert close_to(updated["embedding"], fake_vector("likes coffee"))
    kept = await api.update_memory(
        backend, memory_space_id=SPACE, memory_id=memory["memoryId"], importance=90, embedder=embedder
    )
    assert close_to(kept["embedding"], fake_vector("likes coffee"))


async def test_reindex_is_resumable(backend, embedders, server):
    texts = [f"memory number {i} about topic {i % 3}" for i in range(10)]
    ids = [(await note(backend, text))["memoryId"] for text in texts]  # no provider: no vectors
    embedder = embedders()
    seen: list[tuple[int, int]] = []
    first = await reindex(backend, embedder, page=4, stop_after=1, progress=lambda d, t: seen.append((d, t)))
    assert (first.embedded, first.memories) == (4, 10)
    assert seen == [(0, 10), (4, 10)]
    assert (await status(backend))["embedded"] == 4
    # interrupted: the next run embeds only what is still missing
    server.batches.clear()
    second = await reindex(backend, embedder, page=4)
    assert second.embedded == 6 and second.cleared == 0
    assert sum(len(b) for b in server.batches) == 6
    assert (await reindex(backend, embedder)).embedded == 0
    for memory_id, text in zip(ids, texts, strict=True):
        memory = await stored(backend, memory_id)
        assert close_to(memory["embedding"], fake_vector(text)) and memory["version"] == 1  # no new version


async def test_reindex_switches_model_even_when_interrupted(backend, embedders):
    old = embedders("model-a")
    for i in range(6):
        await note(backend, f"note {i}", old)
    new = embedders("model-b")
    partial = await reindex(backend, new, page=2, stop_after=1)
    assert (partial.cleared, partial.embedded) == (6, 2)
    # from the switch on, the old model is refused and the new one accepted
    with pytest.raises(EmbeddingError, match="model-b"):
        await note(backend, "late", old)
    await note(backend, "new one", new)
    rest = await reindex(backend, new, page=2)
    assert (rest.cleared, rest.embedded) == (0, 4)
    assert await status(backend) == {"memories": 7, "embedded": 7, "model": "openai:model-b", "dimension": 64}


async def test_set_refuses_vectors_of_another_model(backend, embedders):
    memory = await note(backend, "x", embedders("model-a"))
    with pytest.raises(FunctionError) as info:
        await call(
            backend,
            "embeddings:set",
            {"model": "openai:other", "items": [{"memoryId": memory["memoryId"], "embedding": [1]}]},
        )
    assert info.value.code == "EMBEDDING_MODEL_MISMATCH"


@pytest.mark.parametrize("limit", [0, -1, 1.5, 1001])
async def test_pending_limit_is_checked(backend, limit):
    with pytest.raises(FunctionError, match="limit must be a whole number"):
        await call(backend, "embeddings:pending", {"limit": limit})
