"""A conversation memory's vector is made from its own text and its text after the turns before it
(api/embeddings/context.py), the same way at remember, update and reindex time; a standalone note's
vector is its own text's. Runs on every `backend` target with the OpenAI-compatible provider
against the loopback server (tests/embeddings/openai_server.py)."""

from __future__ import annotations

import math

import pytest

from cortex_mcp.api import memory as api
from cortex_mcp.api.embeddings import make_embedder
from cortex_mcp.api.embeddings.context import assemble, texts_to_embed, with_context
from cortex_mcp.api.embeddings.reindex import reindex
from cortex_mcp.backends.base import call
from cortex_mcp.errors import FunctionError
from tests.embeddings.openai_server import fake_vector
from tests.embeddings.test_memory_vectors import SPACE, close_to, note, stored
from tests.embeddings.test_providers import needs_local
from tests.helpers import fresh_backend

pytestmark = pytest.mark.anyio


def in_context(before: list[str], text: str) -> list[float]:
    """What the stored vector must be: own and in-context vectors summed, unit length."""
    summed = [a + b for a, b in zip(fake_vector(text), fake_vector("\n".join([*before, text])), strict=True)]
    norm = math.sqrt(sum(x * x for x in summed))
    return [x / norm for x in summed]


def test_each_turn_sees_at_most_the_two_turns_before_it():
    assert with_context(["c", "d", "e"], before=["a", "b"]) == [(["a", "b"], "c"), (["b", "c"], "d"), (["c", "d"], "e")]
    assert with_context(["first", "second"]) == [([], "first"), (["first"], "second")]
    assert with_context([]) == []


def test_a_text_without_turns_before_it_is_embedded_once_and_keeps_its_vector():
    items = [([], "alone"), (["question?"], "answer")]
    assert texts_to_embed(items) == ["alone", "answer", "question?\nanswer"]
    alone, answer = assemble(items, [[3.0, 4.0], [1.0, 0.0], [0.0, 1.0]])
    assert alone == [3.0, 4.0]  # the provider's vector as it came
    assert close_to(answer, [math.sqrt(0.5), math.sqrt(0.5)])


async def exchange(backend, user, agent, embedder=None, conversation_id=None):
    result = await api.remember_exchange(
        backend, memory_space_id=SPACE, user_message=user, agent_response=agent, user_id="u-1", agent_id="agent-1",
        conversation_id=conversation_id, embedder=embedder,
    )
    return result


EXCHANGES = [("Do you still go climbing?", "Yes, every Friday since May."),
             ("Which gym do you go to?", "The one by the river, with my sister.")]
EXPECTED = [
    fake_vector(EXCHANGES[0][0]),  # the conversation's first turn: nothing before it
    in_context([EXCHANGES[0][0]], EXCHANGES[0][1]),
    in_context([*EXCHANGES[0]], EXCHANGES[1][0]),  # the earlier exchange, read back from the conversation
    in_context([EXCHANGES[0][1], EXCHANGES[1][0]], EXCHANGES[1][1]),
]


async def test_remember_embeds_each_turn_after_the_turns_before_it(backend, embedders):
    embedder = embedders()
    first = await exchange(backend, *EXCHANGES[0], embedder)
    second = await exchange(backend, *EXCHANGES[1], embedder, conversation_id=first.conversation_id)
    memories = [*first.memories, *second.memories]
    for memory, expected in zip(memories, EXPECTED, strict=True):
        assert close_to((await stored(backend, memory["memoryId"]))["embedding"], expected)


async def test_a_new_conversation_named_by_the_caller_starts_without_context(backend, embedders):
    result = await exchange(backend, *EXCHANGES[0], embedders(), conversation_id="conv-new-1")
    assert close_to((await stored(backend, result.memories[0]["memoryId"]))["embedding"], EXPECTED[0])
    assert close_to((await stored(backend, result.memories[1]["memoryId"]))["embedding"], EXPECTED[1])


async def test_a_note_has_no_context(backend, embedders):
    embedder = embedders()
    await exchange(backend, *EXCHANGES[0], embedder)
    memory = await note(backend, "the car is blue", embedder)
    assert close_to((await stored(backend, memory["memoryId"]))["embedding"], fake_vector("the car is blue"))


async def test_reindex_makes_the_vectors_remember_makes(backend, embedders):
    first = await exchange(backend, *EXCHANGES[0])  # no provider: no vectors
    second = await exchange(backend, *EXCHANGES[1], conversation_id=first.conversation_id)
    lone = await note(backend, "the car is blue")
    assert (await reindex(backend, embedders(), page=3)).embedded == 5  # pages cut through the conversation
    for memory, expected in zip([*first.memories, *second.memories], EXPECTED, strict=True):
        assert close_to((await stored(backend, memory["memoryId"]))["embedding"], expected)
    assert close_to((await stored(backend, lone["memoryId"]))["embedding"], fake_vector("the car is blue"))


async def test_new_content_is_embedded_after_the_same_turns(backend, embedders):
    embedder = embedders()
    first = await exchange(backend, *EXCHANGES[0], embedder)
    answer = first.memories[1]
    updated = await api.update_memory(
        backend, memory_space_id=SPACE, memory_id=answer["memoryId"], content="Yes, on Saturdays now.",
        embedder=embedder,
    )
    assert close_to(updated["embedding"], in_context([EXCHANGES[0][0]], "Yes, on Saturdays now."))


@pytest.mark.parametrize("turns", [-1, 1.5, 11])
async def test_pending_context_turns_is_checked(backend, turns):
    with pytest.raises(FunctionError, match="contextTurns"):
        await call(backend, "embeddings:pending", {"limit": 5, "contextTurns": turns})


@needs_local
async def test_an_answer_is_found_through_the_question_before_it(tmp_path):
    # "Yes, every Friday since May." says nothing of climbing; in the context of the question it
    # answers, its vector does, and it outranks notes closer to the query on their own.
    backend = fresh_backend(tmp_path / "cortex.db")
    embedder = make_embedder("local")
    try:
        await exchange(backend, "Do you still go climbing?", "Yes, every Friday since May.", embedder)
        for text in ("Her brother plays tennis on Sundays.", "We went hiking in the Alps last summer."):
            await note(backend, text, embedder)
        query = "How frequently is she bouldering?"
        [vector] = await embedder.embed([query])
        found = await api.recall(backend, memory_space_id=SPACE, query=query, embedding=vector, include_facts=False)
        contents = [item["content"] for item in found["items"]]
        answer = contents.index("Yes, every Friday since May.")
        assert answer < contents.index("We went hiking in the Alps last summer.")
        assert answer < contents.index("Her brother plays tennis on Sundays.")
    finally:
        await backend.aclose()
