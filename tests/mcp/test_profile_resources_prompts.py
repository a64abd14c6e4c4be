"""One-call profile, resources, prompts and completions, through a real MCP client (both protocol eras)."""

import pytest
from mcp import Client, MCPError
from mcp.types import PromptReference, ResourceTemplateReference

from cortex_mcp.server import build_server
from tests.helpers import connect, make_config, ok

pytestmark = pytest.mark.anyio


async def seed(c) -> dict:
    await ok(
        c,
        "remember",
        {
            "content": "Alex likes green tea",
            "importance": 90,
            "facts": [{"fact": "Alex lives in Rome", "subject": "Alex", "predicate": "lives in", "object": "Rome"}],
        },
    )
    await ok(c, "store_fact", {"fact": "Alex lives in Berlin", "subject": "Alex", "predicate": "lives in"})
    await ok(c, "remember", {"content": "Alex has a cat called Miso", "importance": 20})
    await ok(c, "remember", {"content": "Sam prefers email", "user_id": "sam"})
    ctx = await ok(c, "create_context", {"purpose": "Plan the Lisbon trip"})
    done = await ok(c, "create_context", {"purpose": "Old task"})
    await ok(c, "update_context", {"context_id": done["context_id"], "status": "completed"})
    return ctx


async def test_get_profile_answers_in_one_call(backend, tmp_path):
    async with connect(backend) as c:
        ctx = await seed(c)
        result = await c.call_tool("get_profile", {})
        assert not result.is_error, result.content[0].text
        profile, text = result.structured_content, result.content[0].text
    slots = {s["slot"]: [f["fact"] for f in s["facts"]] for s in profile["facts"]}
    assert slots == {"alex lives in": ["Alex lives in Berlin"]}  # current beliefs only, superseded Rome gone
    assert [m["content"] for m in profile["important_memories"]][0] == "Alex likes green tea"
    assert profile["recent_memories"][0]["content"] == "Alex has a cat called Miso"
    assert all(m["user_id"] == "alex" for m in profile["recent_memories"])  # Sam's memory is not Alex's
    assert [c["context_id"] for c in profile["open_contexts"]] == [ctx["context_id"]]
    assert "Alex lives in Berlin" in text and "Rome" not in text and len(text) < 3000


async def test_get_profile_is_bounded_and_read_only(client):
    for i in range(12):
        await ok(client, "remember", {"content": f"note {i}"})
    profile = await ok(client, "get_profile", {"limit": 3})
    assert len(profile["recent_memories"]) == 3 and len(profile["important_memories"]) == 3
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["get_profile"].annotations.read_only_hint is True
    assert "limit must be ≤ 20" in (await client.call_tool("get_profile", {"limit": 21})).content[0].text


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_resources_templates_and_reads(backend, tmp_path, mode):
    async with Client(build_server(make_config(tmp_path), backend=backend), mode=mode) as c:
        ctx = await seed(c)
        memory_id = (await ok(c, "list_memories", {"limit": 1}))["memories"][0]["memory_id"]
        assert [r.uri for r in (await c.list_resources()).resources] == ["cortex://recent"]
        templates = {t.uri_template for t in (await c.list_resource_templates()).resource_templates}
        assert templates == {
            "cortex://users/{user_id}/profile",
            "cortex://memories/{memory_id}",
            "cortex://contexts/{context_id}",
        }
        recent = (await c.read_resource("cortex://recent")).contents[0].text
        assert recent.splitlines()[1].strip().startswith(memory_id)
        profile = (await c.read_resource("cortex://users/alex/profile")).contents[0].text
        assert "Alex lives in Berlin" in profile
        assert "Sam prefers email" in (await c.read_resource(f"cortex://memories/{memory_id}")).contents[0].text
        assert "Lisbon" in (await c.read_resource(f"cortex://contexts/{ctx['context_id']}")).contents[0].text
        with pytest.raises(MCPError, match="MEMORY_NOT_FOUND"):
            await c.read_resource("cortex://memories/mem-0-nothing")
        with pytest.raises(MCPError, match="CONTEXT_NOT_FOUND"):
            await c.read_resource("cortex://contexts/ctx-0-nothing")


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_prompts_with_completions(backend, tmp_path, mode):
    async with Client(build_server(make_config(tmp_path), backend=backend), mode=mode) as c:
        ctx = await seed(c)
        prompts = {p.name: p for p in (await c.list_prompts()).prompts}
        assert set(prompts) == {"remember-this", "what-do-you-know", "catch-up"}
        assert {a.name for a in prompts["catch-up"].arguments} == {"context_id"}
        got = await c.get_prompt("what-do-you-know", {"user_id": "sam"})
        assert "get_profile" in got.messages[0].content.text and '"sam"' in got.messages[0].content.text
        got = await c.get_prompt("remember-this", {})
        assert "remember" in got.messages[0].content.text and "facts" in got.messages[0].content.text
        done = await c.complete(
            PromptReference(type="ref/prompt", name="catch-up"), {"name": "context_id", "value": "ctx-"}
        )
        assert ctx["context_id"] in done.completion.values
        users = await c.complete(
            ResourceTemplateReference(type="ref/resource", uri="cortex://users/{user_id}/profile"),
            {"name": "user_id", "value": "s"},
        )
        assert users.completion.values == ["sam"]
        none = await c.complete(
            PromptReference(type="ref/prompt", name="catch-up"), {"name": "context_id", "value": "zz"}
        )
        assert none.completion.values == []


async def test_subscribers_of_recent_hear_when_memories_change(backend, tmp_path):
    import anyio

    async with connect(backend) as c:  # 2026-07-28: listen
        async with c.listen(resource_subscriptions=["cortex://recent"]) as events:
            await ok(c, "remember", {"content": "Alex switched to oat milk"})
            with anyio.fail_after(5):
                event = await events.__anext__()
        assert type(event).__name__ == "ResourceUpdated" and event.uri == "cortex://recent"
        assert "oat milk" in (await c.read_resource("cortex://recent")).contents[0].text


async def test_get_profile_leaves_out_a_forgotten_fact(backend, tmp_path):
    async with connect(backend) as c:
        stored = await ok(c, "store_fact", {"fact": "Alex lives in Oslo", "subject": "Alex", "predicate": "lives in"})
        before = await ok(c, "get_profile", {})
        assert [f["fact"] for s in before["facts"] for f in s["facts"]] == ["Alex lives in Oslo"]
        await ok(c, "forget", {"memory_id": stored["fact"]["fact_id"]})
        after = await ok(c, "get_profile", {})
    assert after["facts"] == []
