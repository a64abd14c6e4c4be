"""The default `memory` toolset through a real MCP client."""

import pytest

from cortex_mcp.backends.base import call
from tests.helpers import connect, fails, ok

pytestmark = pytest.mark.anyio


async def test_remember_note_then_recall_it_first_with_id(client):
    await ok(client, "remember", {"content": "The deploy pipeline runs on Fridays"})
    saved = await ok(client, "remember", {"content": "Alex prefers green tea over coffee", "tags": ["preference"]})
    memory = saved["memories"][0]
    assert memory["memory_id"].startswith("mem-") and memory["user_id"] == "alex"
    assert memory["tags"] == ["preference"] and memory["importance"] == 50
    found = await ok(client, "recall", {"query": "tea"})
    assert found["items"][0]["id"] == memory["memory_id"]
    assert found["items"][0]["content"] == "Alex prefers green tea over coffee"
    assert 0 < found["items"][0]["score"] <= 1


async def test_remember_exchange_stores_conversation_and_skips_acknowledgment(client, backend):
    saved = await ok(
        client,
        "remember",
        {"user_message": "My sister Maria lives in Lisbon", "agent_response": "Got it, noted!", "importance": 70},
    )
    assert saved["conversation_id"].startswith("conv-") and len(saved["message_ids"]) == 2
    assert [m["message_role"] for m in saved["memories"]] == ["user"]  # the acknowledgment is not a memory
    conversation = await call(backend, "conversations:get", {"conversationId": saved["conversation_id"]})
    assert [m["content"] for m in conversation["messages"]] == ["My sister Maria lives in Lisbon", "Got it, noted!"]
    # remember registered the space, the user and the agent on first use
    assert await call(backend, "memorySpaces:get", {"memorySpaceId": "test-space"}) is not None
    assert await call(backend, "immutable:get", {"type": "user", "id": "alex"}) is not None
    assert await call(backend, "agents:exists", {"agentId": "cortex-agent"}) is True

    again = await ok(
        client,
        "remember",
        {
            "user_message": "She works as an architect",
            "agent_response": "Interesting, an architect in Lisbon then; I will keep that in mind for later.",
            "conversation_id": saved["conversation_id"],
        },
    )
    assert [m["message_role"] for m in again["memories"]] == ["user", "agent"]
    conversation = await call(backend, "conversations:get", {"conversationId": saved["conversation_id"]})
    assert conversation["messageCount"] == 4
    recalled = await ok(client, "recall", {"query": "Lisbon", "include_conversation": True})
    first = recalled["items"][0]
    assert "Lisbon" in first["content"] and first["source_messages"]


@pytest.mark.parametrize(
    "args, needle",
    [
        ({}, "content"),
        ({"content": "x", "user_message": "y"}, "content"),
        ({"content": "   "}, "content"),
        ({"content": "x", "importance": 101}, "importance"),
        ({"content": "x", "importance": "high"}, "importance"),
        ({"content": "x", "tags": ["ok", ""]}, "tags"),
        ({"user_message": "hi"}, "agent_response"),
        ({"content": "x", "bogus": 1}, "bogus"),
    ],
)
async def test_remember_bad_input_names_field_and_writes_nothing(client, backend, args, needle):
    text = await fails(client, "remember", args)
    assert needle in text
    assert await call(backend, "memories:count", {"memorySpaceId": "test-space"}) == 0


async def test_recall_bounds_filters_and_validates(client):
    for i in range(15):
        await ok(client, "remember", {"content": f"note {i} about kubernetes", "importance": i * 5})
    found = await ok(client, "recall", {"query": "kubernetes", "limit": 5})
    assert len(found["items"]) == 5 and found["candidates"] >= 5 and "total_results" not in found
    assert all("tags" not in item for item in found["items"])  # empty fields are left out of the result
    await ok(client, "remember", {"content": "tagged kubernetes note", "tags": ["infra"]})
    tagged = await ok(client, "recall", {"query": "tagged kubernetes"})
    assert tagged["items"][0]["tags"] == ["infra"]
    assert [i["score"] for i in found["items"]] == sorted((i["score"] for i in found["items"]), reverse=True)
    important = await ok(client, "recall", {"query": "kubernetes", "min_importance": 60})
    assert important["items"] and all(i["importance"] >= 60 for i in important["items"])
    assert (await ok(client, "recall", {"query": "nothing-matches-this"}))["items"] == []
    assert "limit" in await fails(client, "recall", {"query": "x", "limit": 0})
    assert "query" in await fails(client, "recall", {"query": ""})


async def test_recall_is_scoped_to_the_memory_space(client):
    await ok(client, "remember", {"content": "secret plan alpha", "memory_space_id": "other"})
    assert (await ok(client, "recall", {"query": "alpha"}))["items"] == []
    assert len((await ok(client, "recall", {"query": "alpha", "memory_space_id": "other"}))["items"]) == 1


async def test_forget_deletes_and_unknown_id_is_clear(client):
    saved = await ok(client, "remember", {"content": "temporary wifi password hunter2"})
    memory_id = saved["memories"][0]["memory_id"]
    result = await ok(client, "forget", {"memory_id": memory_id})
    assert result["memory_deleted"] is True and result["memory_id"] == memory_id
    assert (await ok(client, "recall", {"query": "wifi"}))["items"] == []
    text = await fails(client, "forget", {"memory_id": memory_id})
    assert "MEMORY_NOT_FOUND" in text and "memory_id" in text


async def test_forget_with_conversation_deletes_it(client, backend):
    saved = await ok(
        client,
        "remember",
        {
            "user_message": "remember my locker is 42",
            "agent_response": "Locker 42 it is, I will keep that safe for you.",
        },
    )
    result = await ok(client, "forget", {"memory_id": saved["memories"][0]["memory_id"], "delete_conversation": True})
    assert result["conversation_deleted"] is True and result["messages_deleted"] == 2
    assert await call(backend, "conversations:get", {"conversationId": saved["conversation_id"]}) is None


async def test_get_list_update_memory(client):
    first = (await ok(client, "remember", {"content": "first"}))["memories"][0]
    second = (await ok(client, "remember", {"content": "second", "tags": ["b"]}))["memories"][0]
    listed = await ok(client, "list_memories", {})
    assert [m["memory_id"] for m in listed["memories"]] == [second["memory_id"], first["memory_id"]]
    assert listed["total"] == 2
    assert (await ok(client, "list_memories", {"limit": 1}))["count"] == 1
    updated = await ok(
        client, "update_memory", {"memory_id": first["memory_id"], "content": "first, corrected", "importance": 90}
    )
    assert updated["content"] == "first, corrected" and updated["importance"] == 90 and updated["version"] == 2
    detail = await ok(client, "get_memory", {"memory_id": first["memory_id"]})
    assert detail["previous_versions"] == 1 and detail["content"] == "first, corrected"
    assert "INVALID_FORMAT" in await fails(client, "update_memory", {"memory_id": first["memory_id"]})
    assert "MEMORY_NOT_FOUND" in await fails(client, "get_memory", {"memory_id": "mem-0-nope"})
    assert "MEMORY_NOT_FOUND" in await fails(client, "update_memory", {"memory_id": "mem-0-nope", "content": "x"})
    assert "limit" in await fails(client, "list_memories", {"limit": 0})


def test_recall_searches_content_words_only():
    from cortex_mcp.api.memory import keyword_query

    assert keyword_query("What is the name of the dog Alex adopted?") == "name dog Alex adopted"
    assert keyword_query("when was it?") == "when was it"  # nothing but function words: keep them
    assert keyword_query("") == ""


async def test_recall_puts_the_best_match_first_even_when_less_important(client):
    await ok(client, "remember", {"content": "the quarterly report is due", "importance": 95})
    best = await ok(
        client, "remember", {"content": "quarterly tax report for the Lisbon office is due Friday", "importance": 10}
    )
    found = await ok(client, "recall", {"query": "Lisbon office tax report"})
    assert found["items"][0]["id"] == best["memories"][0]["memory_id"]


async def test_get_memory_with_its_conversation_and_facts(client):
    saved = await ok(
        client,
        "remember",
        {
            "user_message": "My bike is a green Brompton",
            "agent_response": "A green Brompton, folding and fast; noted for later rides.",
            "facts": [{"fact": "Alex rides a green Brompton", "subject": "Alex", "predicate": "rides"}],
        },
    )
    detail = await ok(
        client, "get_memory", {"memory_id": saved["memories"][0]["memory_id"], "include_conversation": True}
    )
    assert [m["content"] for m in detail["source_messages"]] == ["My bike is a green Brompton"]
    assert [f["fact"] for f in detail["facts"]] == ["Alex rides a green Brompton"]
    assert "conversation_id" in await fails(client, "remember", {"content": "x", "conversation_id": "conv-1-x"})


async def test_exchange_without_any_user_is_kept_as_memories(backend, tmp_path):


    async with connect(backend, user_id=None) as c:
        saved = await ok(
            c,
            "remember",
            {
                "user_message": "deploy on friday",
                "agent_response": "Friday deploys are risky; I will draft the rollout checklist.",
            },
        )
        assert "conversation_id" not in saved and saved["message_ids"] == []  # nulls are left out
        assert [m["message_role"] for m in saved["memories"]] == ["user", "agent"]
        found = await ok(c, "recall", {"query": "friday deploy"})
        assert {i["id"] for i in found["items"]} == {m["memory_id"] for m in saved["memories"]}
