"""Every tool's surface: descriptions, typed inputs, output schemas, annotations, toolsets."""

import pytest
from mcp import Client

from cortex_mcp import toolsets
from cortex_mcp.contract.catalog import CATALOG
from cortex_mcp.server import build_server
from cortex_mcp.toolsets.base import Runtime
from cortex_mcp.toolsets.generated import tool_name
from tests.helpers import connect, fails, make_config, ok

pytestmark = pytest.mark.anyio


async def test_every_tool_is_documented_typed_and_annotated(client):
    tools = (await client.list_tools()).tools
    assert len(tools) >= len(CATALOG)
    for tool in tools:
        assert tool.description and len(tool.description) > 20, tool.name
        assert tool.output_schema and tool.output_schema.get("type") == "object", tool.name
        a = tool.annotations
        assert a is not None and a.read_only_hint is not None and a.destructive_hint is not None, tool.name
        assert a.idempotent_hint is not None, tool.name
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"


async def test_every_catalog_function_has_a_generated_tool(client):
    names = {t.name for t in (await client.list_tools()).tools}
    missing = [path for path, fn in CATALOG.items() if tool_name(fn) not in names]
    assert missing == []


async def test_annotations_follow_the_contract(client):
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["recall"].annotations.read_only_hint is True
    assert tools["forget"].annotations.destructive_hint is True
    assert tools["agents_unregister"].annotations.destructive_hint is True
    assert tools["agents_get"].annotations.read_only_hint is True
    assert tools["remember"].annotations.read_only_hint is False


async def test_default_toolsets_are_small(backend, tmp_path):
    async with connect(backend) as c:
        names = {t.name for t in (await c.list_tools()).tools}
    assert {"remember", "recall", "forget", "get_memory", "list_memories", "update_memory"} <= names
    assert {"store_fact", "search_facts", "create_context"} <= names
    assert "agents_purge_all" not in names and "a2a_send" not in names and len(names) < 20


async def test_read_only_exposes_only_tools_that_change_nothing(backend, tmp_path):
    async with connect(backend, toolsets=("all",), read_only=True) as c:
        tools = (await c.list_tools()).tools
        assert tools and all(t.annotations.read_only_hint for t in tools)
        names = {t.name for t in tools}
        assert "recall" in names and "remember" not in names and "agents_purge_all" not in names
        assert "Unknown tool" in await fails(c, "remember", {"content": "x"})


def test_unknown_toolset_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown toolset 'nope'.*memory"):
        toolsets.select(["nope"])


async def test_generated_tool_validates_and_uses_config_defaults(client, backend):
    space = await ok(client, "memory_spaces_register", {"type": "team", "name": "Team"})
    assert space["result"]["memorySpaceId"] == "test-space"  # default from --memory-space
    text = await fails(client, "memory_spaces_register", {"type": "nope"})
    assert "type" in text
    text = await fails(client, "agents_list", {"limit": True})
    assert "limit" in text
    text = await fails(client, "agents_purge_all", {"dryRun": True})
    assert "dryRun" in text


async def test_destructive_tools_never_default_their_target(client):
    """A delete must name what it deletes: config defaults fill only non-destructive calls."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for name, target in [
        ("gdpr_delete_user_data", "userId"),
        ("agents_unregister", "agentId"),
        ("memories_delete_many", "memorySpaceId"),
        ("memory_spaces_delete_space", "memorySpaceId"),
        ("fact_history_delete_by_user_id", "userId"),
        ("users_delete_user_profile", "userId"),
    ]:
        assert target in tools[name].input_schema.get("required", []), name
    assert "memorySpaceId" not in tools["memories_search"].input_schema.get("required", [])  # a read may default
    assert "userId" in await fails(client, "gdpr_delete_user_data", {})


async def test_a_server_without_a_backend_opens_one_per_session(tmp_path):
    server = build_server(make_config(tmp_path))
    for _ in range(2):  # e.g. two in-process sessions, one after the other
        async with Client(server) as c:
            await ok(c, "remember", {"content": "session note"})
    async with Client(server) as c:
        assert (await ok(c, "list_memories", {}))["total"] == 2


async def test_overlapping_sessions_each_keep_their_own_backend(tmp_path):
    server = build_server(make_config(tmp_path))
    async with Client(server) as first:
        async with Client(server) as second:
            await ok(first, "remember", {"content": "from the first session"})
            await ok(second, "remember", {"content": "from the second session"})
        # the second session closed its backend; the first still has its own
        await ok(first, "remember", {"content": "after the second session ended"})
        assert (await ok(first, "list_memories", {}))["total"] == 3


def test_runtime_backend_outside_a_request_is_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match="outside a request"):
        _ = Runtime(make_config(tmp_path)).backend
