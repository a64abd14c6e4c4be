"""Scopes: every tool call is held to the caller's scope (--lock-scope, or a token's), below the tools,
so curated and generated tools alike: PERMISSION_DENIED naming the field, and no out-of-scope records."""

from __future__ import annotations

import pytest
from mcp import Client

from cortex_mcp.auth import Access, PermissionDenied, Scope
from cortex_mcp.server import build_server
from tests.helpers import connect, fails, make_config, ok

pytestmark = pytest.mark.anyio


async def _seed(backend, tmp_path) -> None:
    """Memories in two spaces and for two users, written without any scope."""
    async with connect(backend, toolsets=("all",)) as c:
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
    async with connect(backend, toolsets=("all",), lock_scope=True) as c:
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
    assert "PERMISSION_DENIED" in text and "covers every memory space" in text


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
    async with connect(backend, toolsets=("all",)) as c:
        text = await fails(c, tool, args)
        assert "PERMISSION_DENIED" in text and expected in text, text
        if scope.spaces:  # a one-space token works in its space without naming it
            found = await ok(c, "recall", {"query": "Lisbon"})
            assert found["items"] and all("other-space" in i["content"] for i in found["items"])


async def _memory_ids(c, space: str, user: str) -> list[str]:
    found = await ok(c, "list_memories", {"memory_space_id": space, "user_id": user})
    return [m["memory_id"] for m in found["memories"]]


async def test_counts_totals_and_paging_see_only_visible_records(locked, backend, tmp_path):
    """Hidden records (sam's, other-space's) are present; nothing the caller gets counts them."""
    listed = await ok(locked, "list_memories", {"limit": 1})
    assert [m["user_id"] for m in listed["memories"]] == ["alex"] and listed["total"] == 1
    tools = {t.name for t in (await locked.list_tools()).tools}
    assert (await ok(locked, "memories_count", {"memorySpaceId": "test-space"}))["result"] == 1
    page = await ok(locked, "conversations_list", {})
    assert page["result"]["total"] == 0 and page["result"]["hasMore"] is False
    assert "memories_count" in tools
    assert (await ok(locked, "search_users", {"query": "sam"}))["count"] == 0


async def test_calls_by_id_cannot_reach_another_users_record(locked, backend, tmp_path):
    async with connect(backend, toolsets=("all",)) as owner:
        (sams,) = await _memory_ids(owner, "test-space", "sam")
        text = await fails(locked, "memories_get_history", {"memorySpaceId": "test-space", "memoryId": sams})
        assert "PERMISSION_DENIED" in text  # its versions carry no owner: the memory is read first
        text = await fails(locked, "facts_export_facts", {"memorySpaceId": "test-space", "format": "json"})
        assert "PERMISSION_DENIED" in text and "covers every user" in text
        text = await fails(locked, "memories_delete_memory", {"memorySpaceId": "test-space", "memoryId": sams})
        assert "PERMISSION_DENIED" in text
        text = await fails(locked, "memories_update", {"memorySpaceId": "test-space", "memoryId": sams, "content": "x"})
        assert "PERMISSION_DENIED" in text
        await ok(locked, "memories_delete_many", {"memorySpaceId": "test-space", "sourceType": "tool"})  # its user only
        assert await _memory_ids(owner, "test-space", "sam") == [sams]
        assert await _memory_ids(owner, "test-space", "alex") == []
        assert len(await _memory_ids(owner, "other-space", "alex")) == 1


async def test_a_scope_with_several_users_must_name_one(backend, tmp_path, monkeypatch):
    await _seed(backend, tmp_path)
    monkeypatch.setattr(Access, "scope", lambda self: Scope(users=frozenset({"alex", "sam"})))
    async with connect(backend, toolsets=("all",)) as c:
        text = await fails(c, "list_memories", {})
        assert "PERMISSION_DENIED" in text and "(field: userId)" in text and "name one" in text
        assert (await ok(c, "list_memories", {"user_id": "sam"}))["total"] == 1


async def test_plans_stay_one_transaction_under_a_scope(backend):
    """remember / forget / belief revision are plans: under a scope they stay atomic where the
    backend is (embedded), and a call of the plan outside the scope is refused inside it."""
    from cortex_mcp.backends.base import AtomicPlans, Call, call, run_plan
    from cortex_mcp.backends.scoped import ScopedBackend

    scoped = ScopedBackend(backend, Scope(spaces=frozenset({"s1"}), users=frozenset({"alex"})))
    store = {
        "memorySpaceId": "s1",
        "content": "kept?",
        "contentType": "raw",
        "sourceType": "system",
        "importance": 50,
        "tags": [],
    }

    def failing():
        stored = yield Call("memories:store", store)
        assert stored["userId"] == "alex"  # the scope's only user, pushed into the write
        try:
            yield Call("memories:list", {"memorySpaceId": "s2"})
        except PermissionDenied as exc:
            assert exc.field == "memorySpaceId"
        raise RuntimeError("the plan fails after writing")

    with pytest.raises(RuntimeError):
        await run_plan(scoped, failing())
    left = await call(backend, "memories:list", {"memorySpaceId": "s1"})
    assert left == [] if isinstance(backend, AtomicPlans) else len(left) == 1  # Convex: call by call


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_token_limited_to_toolsets_is_listed_only_their_tools(backend, tmp_path, monkeypatch, mode):
    monkeypatch.setattr(Access, "scope", lambda self: Scope(toolsets=frozenset({"facts"})))
    server = build_server(make_config(tmp_path, toolsets=("memory", "facts")), backend=backend)
    async with Client(server, mode=mode) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert names and "store_fact" in names and "remember" not in names and "recall" not in names
        assert "toolset memory" in await fails(c, "recall", {"query": "x"})  # unlisted is also refused
    monkeypatch.setattr(Access, "scope", lambda self: Scope())
    async with Client(server, mode=mode) as c:
        assert {"store_fact", "remember", "recall"} <= {t.name for t in (await c.list_tools()).tools}
