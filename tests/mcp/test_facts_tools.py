"""Facts with belief revision through MCP: the Paris -> Berlin scenario and friends."""

import pytest

from tests.helpers import fails, ok, tick

pytestmark = pytest.mark.anyio


async def test_new_location_supersedes_old_and_as_of_answers_the_past(client):
    paris = await ok(
        client,
        "store_fact",
        {
            "fact": "Alex lives in Paris",
            "subject": "Alex",
            "predicate": "lives in",
            "object": "Paris",
            "fact_type": "identity",
        },
    )
    assert paris["action"] == "ADD"
    before_change = paris["fact"]["created_at"] + 1
    tick()
    berlin = await ok(
        client,
        "store_fact",
        {
            "fact": "Alex lives in Berlin",
            "subject": "Alex",
            "predicate": "lives in",
            "object": "Berlin",
            "fact_type": "identity",
        },
    )
    assert berlin["action"] == "SUPERSEDE"
    assert berlin["superseded"]["fact_id"] == paris["fact"]["fact_id"]

    now = await ok(client, "search_facts", {"query": "Alex lives"})
    assert [f["fact"] for f in now["facts"]] == ["Alex lives in Berlin"]

    history = await ok(client, "get_fact_history", {"fact_id": berlin["fact"]["fact_id"]})
    assert [v["fact"] for v in history["versions"]] == ["Alex lives in Paris", "Alex lives in Berlin"]
    assert history["versions"][0]["superseded_by"] == berlin["fact"]["fact_id"]
    assert "SUPERSEDE" in [e["action"] for e in history["events"]]

    past = await ok(client, "search_facts", {"query": "Alex lives", "as_of": before_change})
    assert [f["fact"] for f in past["facts"]] == ["Alex lives in Paris"]


async def test_same_fact_twice_is_not_duplicated_and_unrelated_is_added(client):
    first = await ok(
        client,
        "store_fact",
        {"fact": "Alex likes jazz music", "subject": "Alex", "predicate": "likes", "confidence": 70},
    )
    again = await ok(
        client,
        "store_fact",
        {"fact": "Alex likes jazz music", "subject": "Alex", "predicate": "likes", "confidence": 60},
    )
    assert again["action"] == "NONE" and again["fact"]["fact_id"] == first["fact"]["fact_id"]
    surer = await ok(
        client,
        "store_fact",
        {"fact": "Alex likes jazz music", "subject": "Alex", "predicate": "likes", "confidence": 95},
    )
    assert surer["action"] == "UPDATE" and surer["fact"]["confidence"] == 95
    other = await ok(client, "store_fact", {"fact": "The office closes at 6pm", "fact_type": "knowledge"})
    assert other["action"] == "ADD"
    assert len((await ok(client, "search_facts", {"query": "jazz"}))["facts"]) == 1


async def test_remember_with_facts_runs_belief_revision_and_recall_merges_them(client):
    await ok(
        client,
        "remember",
        {
            "content": "Alex said they moved",
            "facts": [{"fact": "Alex lives in Lisbon", "subject": "Alex", "predicate": "lives in", "object": "Lisbon"}],
        },
    )
    saved = await ok(
        client,
        "remember",
        {
            "content": "Alex moved again",
            "facts": [
                {
                    "fact": "Alex lives in Porto",
                    "subject": "Alex",
                    "predicate": "lives in",
                    "object": "Porto",
                    "confidence": 0.9,
                }
            ],
        },
    )
    assert saved["facts"][0]["action"] == "SUPERSEDE" and saved["facts"][0]["superseded_fact_id"]
    recalled = await ok(client, "recall", {"query": "Alex lives"})
    facts = [i for i in recalled["items"] if i["type"] == "fact"]
    assert [f["content"] for f in facts] == ["Alex lives in Porto"] and facts[0]["confidence"] == 90


async def test_fact_tools_validate_input(client):
    assert "confidence" in await fails(client, "store_fact", {"fact": "x", "confidence": 101})
    assert "fact_type" in await fails(client, "store_fact", {"fact": "x", "fact_type": "opinion"})
    assert "fact" in await fails(client, "store_fact", {"fact": ""})
    assert "FACT_NOT_FOUND" in await fails(client, "get_fact_history", {"fact_id": "fact-0-none"})
    assert "as_of" in await fails(client, "search_facts", {"query": "x", "as_of": -5})
    assert (await ok(client, "search_facts", {"query": "x"}))["facts"] == []


async def test_revision_still_finds_the_current_belief_among_many_facts(client):
    for i in range(120):
        await ok(
            client,
            "store_fact",
            {"fact": f"alex read book number {i}", "subject": "alex", "predicate": f"read book {i}"},
        )
    await ok(client, "store_fact", {"fact": "alex lives in Berlin", "subject": "alex", "predicate": "lives in"})
    paris = await ok(client, "store_fact", {"fact": "alex lives in Paris", "subject": "alex", "predicate": "lives in"})
    assert paris["action"] == "SUPERSEDE" and paris["superseded"]["fact"] == "alex lives in Berlin"
    assert [f["fact"] for f in (await ok(client, "search_facts", {"query": "lives"}))["facts"]] == [
        "alex lives in Paris"
    ]


async def test_remember_checks_every_fact_before_writing_anything(client, backend):
    from cortex_mcp.backends.base import call

    text = await fails(
        client,
        "remember",
        {
            "user_message": "I moved to Rome",
            "agent_response": "Rome is lovely this time of the year, enjoy it!",
            "facts": [{"fact": "Alex lives in Rome"}, {"fact": "Alex is happy", "tags": [""]}],
        },
    )
    assert "facts[1].tags" in text
    assert await call(backend, "memories:count", {"memorySpaceId": "test-space"}) == 0
    assert await call(backend, "facts:count", {"memorySpaceId": "test-space"}) == 0
    assert await call(backend, "conversations:count", {"memorySpaceId": "test-space"}) == 0


async def test_forget_removes_the_facts_remember_derived(client):
    saved = await ok(
        client,
        "remember",
        {
            "content": "Alex switched to decaf",
            "facts": [{"fact": "Alex drinks decaf coffee", "subject": "Alex", "predicate": "drinks"}],
        },
    )
    assert (await ok(client, "search_facts", {"query": "decaf"}))["count"] == 1
    result = await ok(client, "forget", {"memory_id": saved["memories"][0]["memory_id"]})
    assert result["facts_deleted"] == 1 and result["fact_ids"] == [saved["facts"][0]["fact_id"]]
    assert (await ok(client, "search_facts", {"query": "decaf"}))["count"] == 0
    assert [i for i in (await ok(client, "recall", {"query": "decaf"}))["items"] if i["type"] == "fact"] == []
