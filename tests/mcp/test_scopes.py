"""Scopes: every tool call is held to the caller's scope (--lock-scope, or a token's), below the tools,
so curated and generated tools alike: PERMISSION_DENIED naming the field, and no out-of-scope records."""

from __future__ import annotations

import pytest
from mcp import Client

from cortex_mcp.auth import Access, Scope
from cortex_mcp.server import build_server
from tests.helpers import fails, make_config, ok

pytestmark = pytest.mark.anyio


async def _seed(backend, tmp_path) -> None:
    """Memories in two spaces and for two users, written without any scope."""
    async with Client(build_server(make_config(tmp_path, toolsets=("all",)), backend=backend)) as c:
        for space in ("test-space", "other-space"):
            for user in ("alex", "sam"):
                await ok(
                    c,
                    "remember",
                    {"content": f"{user} notes in {space} about Lisbon", "memory_space_id": space, "user_id": user},
                )


@pytest.fixture
async def locked(backend, tmp_path):
    await _seed(backend, tmp_path)
    server = build_server(make_config(tmp_path, toolsets=("all",), lock_scope=True), backend=backend)
    async with Client(server) as c:
        yield c


async def test_lock_scope_refuses_other_spaces_and_users_naming_the_field(locked):
    text = await fails(locked, "recall", {"query": "Lisbon", "memory_space_id": "other-space"})
    assert "PERMISSION_DENIED" in text and "(field: memory_space_id)" in text and "other-space" in text
    text = await fails(locked, "remember", {"content": "x", "user_id": "sam"})
    assert "PERMISSION_DENIED" in text and "(field: user_id)" in text


async def test_lock_scope_reads_and_writes_its_own_space(locked):
    found = await ok(locked, "recall", {"query": "Lisbon"})
    assert found["items"] and all("alex notes in test-space" in i["content"] for i in found["items"])
    await ok(locked, "remember", {"content": "Porto is next"})


async def test_generated_tools_are_held_to_the_scope_too(locked):
    tools = {t.name for t in (await locked.list_tools()).tools}
    listing = next(n for n in tools if n.endswith("memories_list") or n == "memories_list")
    text = await fails(locked, listing, {"memorySpaceId": "other-space"})
    assert "PERMISSION_DENIED" in text and "memorySpaceId" in text
    rows = await ok(locked, listing, {"memorySpaceId": "test-space"})
    assert all(r.get("userId") in (None, "alex") for r in rows["result"])  # sam's records are filtered out
    purge = next(n for n in tools if n.endswith("purgeAll") or n.endswith("purge_all"))
    text = await fails(locked, purge, {})
    assert "PERMISSION_DENIED" in text and "unrestricted token" in text


@pytest.mark.parametrize(
    "scope, tool, args, expected",
    [
        (Scope(write=False), "remember", {"content": "x"}, "read-only"),
        (Scope(toolsets=frozenset({"facts"})), "recall", {"query": "Lisbon"}, "toolset memory"),
        (
            Scope(spaces=frozenset({"other-space"})),
            "recall",
            {"query": "Lisbon", "memory_space_id": "test-space"},
            "memory_space_id",
        ),
    ],
)
async def test_token_scopes(backend, tmp_path, monkeypatch, scope, tool, args, expected):
    await _seed(backend, tmp_path)
    monkeypatch.setattr(Access, "scope", lambda self: scope)
    async with Client(build_server(make_config(tmp_path, toolsets=("all",)), backend=backend)) as c:
        text = await fails(c, tool, args)
        assert "PERMISSION_DENIED" in text and expected in text, text
        if scope.spaces:  # a one-space token works in its space without naming it
            found = await ok(c, "recall", {"query": "Lisbon"})
            assert found["items"] and all("other-space" in i["content"] for i in found["items"])
