"""Scopes hold on every surface, not only tool calls: resources, resource templates, prompts and
completions read through the request's scoped backend (toolsets/caller.py), so a --lock-scope server
(in process, and as a stdio subprocess) never shows another space's or user's memories, contexts or
profiles. Out-of-scope records named by id are PERMISSION_DENIED; a memory id is looked up in the
caller's space, so one in another space is simply not found there (as without scopes)."""

from __future__ import annotations

import pytest
from mcp import Client, MCPError
from mcp.types import PromptReference, ResourceTemplateReference

from cortex_mcp.server import build_server
from tests.helpers import connect, fails, make_config, ok, server_params

pytestmark = pytest.mark.anyio


async def seed(c) -> dict:
    """alex and sam in test-space, alex in other-space: a memory and a context each."""
    ids = {}
    for space, user in (("test-space", "alex"), ("test-space", "sam"), ("other-space", "alex")):
        args = {"memory_space_id": space, "user_id": user}
        stored = await ok(c, "remember", {"content": f"{user} in {space}: Lisbon trip", **args})
        ctx = await ok(c, "create_context", {"purpose": f"{user} plans in {space}", **args})
        ids[space, user] = stored["memories"][0]["memory_id"], ctx["context_id"]
    return ids


@pytest.fixture
async def seeded(backend, tmp_path):
    async with connect(backend, toolsets=("all",)) as c:
        return await seed(c)


@pytest.fixture
async def locked(backend, tmp_path, seeded):
    async with connect(backend, toolsets=("all",), lock_scope=True) as c:
        yield c, seeded


async def read(c, uri: str) -> str:
    return (await c.read_resource(uri)).contents[0].text


async def test_resource_templates_refuse_out_of_scope_records(locked):
    c, ids = locked
    with pytest.raises(MCPError, match=r"PERMISSION_DENIED: user 'sam' is outside"):
        await read(c, "cortex://users/sam/profile")
    with pytest.raises(MCPError, match="PERMISSION_DENIED"):
        await read(c, f"cortex://memories/{ids['test-space', 'sam'][0]}")  # same space, another user
    with pytest.raises(MCPError, match="MEMORY_NOT_FOUND"):
        await read(c, f"cortex://memories/{ids['other-space', 'alex'][0]}")  # looked up in the locked space
    for other in (ids["test-space", "sam"][1], ids["other-space", "alex"][1]):
        with pytest.raises(MCPError, match="PERMISSION_DENIED"):
            await read(c, f"cortex://contexts/{other}")


async def test_resources_in_scope_still_work(locked):
    c, ids = locked
    memory_id, context_id = ids["test-space", "alex"]
    assert "alex in test-space" in await read(c, f"cortex://memories/{memory_id}")
    assert "alex plans in test-space" in await read(c, f"cortex://contexts/{context_id}")
    profile = await read(c, "cortex://users/alex/profile")
    assert "alex in test-space" in profile and "sam" not in profile and "other-space" not in profile


async def test_recent_shows_only_the_scope_and_counts_only_what_it_shows(locked):
    c, _ = locked
    recent = await read(c, "cortex://recent")
    assert "alex in test-space" in recent
    assert "sam" not in recent and "other-space" not in recent
    assert "more" not in recent  # no paging hint pointing at hidden memories


async def test_prompts_refuse_a_user_outside_the_scope(locked):
    c, _ = locked
    for name in ("what-do-you-know", "remember-this"):
        with pytest.raises(MCPError, match=r"PERMISSION_DENIED.*\(field: user_id\)"):
            await c.get_prompt(name, {"user_id": "sam"})
        prompt = await c.get_prompt(name, {"user_id": "alex"})
        assert "alex" in prompt.messages[0].content.text


async def test_completions_offer_only_ids_in_scope(locked):
    c, ids = locked
    users = await c.complete(
        ResourceTemplateReference(uri="cortex://users/{user_id}/profile"), {"name": "user_id", "value": ""}
    )
    assert users.completion.values == ["alex"]
    memories = await c.complete(
        ResourceTemplateReference(uri="cortex://memories/{memory_id}"), {"name": "memory_id", "value": ""}
    )
    assert memories.completion.values == [ids["test-space", "alex"][0]]
    assert memories.completion.total == 1
    contexts = await c.complete(PromptReference(name="catch-up"), {"name": "context_id", "value": ""})
    assert contexts.completion.values == [ids["test-space", "alex"][1]]


async def test_lock_scope_over_stdio_holds_for_resources(tmp_path):
    db = tmp_path / "cortex.db"
    async with Client(build_server(make_config(tmp_path, toolsets=("all",)))) as c:
        ids = await seed(c)
    params = server_params(db, "--memory-space", "test-space", "--lock-scope", "--toolsets", "all")
    async with Client(params) as c:
        with pytest.raises(MCPError, match="PERMISSION_DENIED"):
            await read(c, f"cortex://contexts/{ids['test-space', 'sam'][1]}")
        with pytest.raises(MCPError, match="PERMISSION_DENIED"):
            await read(c, "cortex://users/sam/profile")
        recent = await read(c, "cortex://recent")
        assert "alex in test-space" in recent and "sam" not in recent


async def test_reads_by_context_id_check_the_context_first(locked):
    """A context's versions carry no owner: the context is read and checked before its history."""
    c, ids = locked
    history = await ok(c, "contexts_get_history", {"contextId": ids["test-space", "alex"][1]})
    assert history["result"] and history["result"][0]["version"] == 1
    for other in (ids["test-space", "sam"][1], ids["other-space", "alex"][1]):
        result = await c.call_tool("contexts_get_history", {"contextId": other})
        assert result.is_error and "PERMISSION_DENIED" in result.content[0].text
    result = await c.call_tool("contexts_delete_context", {"contextId": ids["test-space", "alex"][1]})
    assert result.is_error and "covers every memory space" in result.content[0].text  # its cascade may reach out


async def test_writes_to_one_context_or_conversation_check_it_first(locked, backend, tmp_path):
    """remember's exchange and update_context work under a lock; on another's record they are refused
    and change nothing."""
    c, ids = locked
    kept = await ok(c, "remember", {"user_message": "I moved to Porto", "agent_response": "Noted"})
    assert kept["memories"] and kept["conversation_id"]
    await ok(c, "update_context", {"context_id": ids["test-space", "alex"][1], "status": "completed"})
    text = await fails(c, "update_context", {"context_id": ids["test-space", "sam"][1], "status": "completed"})
    assert "PERMISSION_DENIED" in text
    async with connect(backend, toolsets=("all",)) as owner:
        sams = await ok(owner, "remember", {"user_message": "hi", "agent_response": "hello", "user_id": "sam"})
        context = await ok(owner, "contexts_get", {"contextId": ids["test-space", "sam"][1]})
        assert context["result"]["status"] == "active"
        sneaky = {"id": "m-x", "role": "user", "content": "sneaky"}
        message = {"conversationId": sams["conversation_id"], "message": sneaky}
        assert "PERMISSION_DENIED" in await fails(c, "conversations_add_message", message)
        history = await ok(owner, "conversations_get", {"conversationId": sams["conversation_id"]})
        assert "sneaky" not in str(history)
