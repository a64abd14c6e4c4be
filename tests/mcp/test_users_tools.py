"""Users toolset: profiles, bulk operations, export, and the GDPR cascade across every layer."""

import csv
import io
import json

import anyio
import pytest
from mcp import Client

from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.server import build_server
from tests.helpers import fails, make_config, ok, server_params

pytestmark = pytest.mark.anyio


async def seed_user(client, backend, user: str, spaces: tuple[str, ...]) -> None:
    """A user with memories, facts, a conversation, mutable and immutable records in each space."""
    for space in spaces:
        await ok(
            client,
            "remember",
            {
                "user_message": f"I am {user} and I like sailing",
                "agent_response": f"Sailing is a great hobby, {user}, I will remember that for our next talk.",
                "user_id": user,
                "user_name": user.title(),
                "memory_space_id": space,
            },
        )
        await ok(
            client,
            "store_fact",
            {
                "fact": f"{user} likes sailing",
                "subject": user,
                "predicate": "likes",
                "user_id": user,
                "memory_space_id": space,
            },
        )
        await call(
            backend,
            "mutable:set",
            {"namespace": f"prefs-{space}", "key": f"{user}-theme", "value": "dark", "userId": user},
        )
        await call(
            backend,
            "immutable:store",
            {"type": "note", "id": f"{user}-{space}", "data": {"text": "private"}, "userId": user},
        )
        await call(
            backend,
            "sessions:create",
            {"sessionId": f"s-{user}-{space}", "userId": user, "memorySpaceId": space, "startedAt": 1},
        )


async def test_gdpr_cascade_dry_run_then_delete_everything_of_one_user_only(client, backend):
    await seed_user(client, backend, "ana", ("space-a", "space-b"))
    await seed_user(client, backend, "ben", ("space-a",))

    dry = await ok(client, "delete_user", {"user_id": "ana", "cascade": True, "dry_run": True})
    assert dry["dry_run"] is True and dry["deleted"] is False
    assert dry["memory_space_ids"] == ["space-a", "space-b"]
    counts = dry["counts"]
    assert counts["conversations"] == 2 and counts["memories"] == 4 and counts["facts"] == 2
    assert counts["mutable"] == 2 and counts["immutable"] == 2 and counts["sessions"] == 2
    assert (
        counts["factHistory"] >= 2
        and dry["total"] == sum(v for k, v in counts.items() if k != "conversationMessages") + 1
    )
    assert {m["memorySpaceId"] for m in dry["items"]["memories"]} == {"space-a", "space-b"}
    # the dry run changed nothing
    assert (await ok(client, "recall", {"query": "sailing", "memory_space_id": "space-b"}))["items"]

    done = await ok(client, "delete_user", {"user_id": "ana", "cascade": True})
    assert (
        done["deleted"] is True
        and done["total"] == dry["total"]
        and done["verification"] == {"complete": True, "issues": []}
    )

    for space in ("space-a", "space-b"):
        found = await ok(client, "recall", {"query": "sailing", "memory_space_id": space})
        assert all("ana" not in i["content"] for i in found["items"])
        listed = await ok(client, "list_memories", {"memory_space_id": space, "user_id": "ana"})
        assert listed["memories"] == [] and listed["total"] == 0
    assert "USER_NOT_FOUND" in await fails(client, "get_user", {"user_id": "ana"})
    assert (await ok(client, "gdpr_find_user_data", {"userId": "ana"}))["result"]["total"] == 0
    assert await call(backend, "sessions:count", {"userId": "ana"}) == 0

    # ben is untouched
    ben = (await ok(client, "gdpr_find_user_data", {"userId": "ben"}))["result"]
    assert ben["counts"]["memories"] == 2 and ben["counts"]["facts"] == 1 and ben["profile"] is True
    assert (await ok(client, "get_user", {"user_id": "ben"}))["data"]["displayName"] == "Ben"


async def test_profiles_update_merge_search_bulk_export(client):
    created = await ok(client, "update_user", {"user_id": "u1", "data": {"name": "Ada", "prefs": {"theme": "dark"}}})
    assert created["version"] == 1
    merged = await ok(client, "update_user", {"user_id": "u1", "data": {"prefs": {"lang": "en"}}})
    assert merged["version"] == 2 and merged["data"] == {"name": "Ada", "prefs": {"theme": "dark", "lang": "en"}}
    replaced = await ok(client, "update_user", {"user_id": "u1", "data": {"name": "Ada L."}, "merge": False})
    assert replaced["data"] == {"name": "Ada L."}
    await ok(client, "update_user", {"user_id": "u2", "data": {"name": "Grace"}})
    assert [u["user_id"] for u in (await ok(client, "search_users", {"query": "grace"}))["users"]] == ["u2"]
    bulk = await ok(client, "update_users", {"user_ids": ["u1", "u2"], "data": {"team": "core"}})
    assert bulk["count"] == 2 and all(u["data"]["team"] == "core" for u in bulk["users"])
    assert "USER_NOT_FOUND" in await fails(client, "update_users", {"user_ids": ["u1", "ghost"], "data": {"x": 1}})
    assert (await ok(client, "get_user", {"user_id": "u1"}))["data"].get(
        "x"
    ) is None  # refused up front: nothing written

    exported = await ok(client, "export_users", {"format": "json"})
    assert {p["id"] for p in json.loads(exported["content"])} == {"u1", "u2"}
    rows = list(csv.DictReader(io.StringIO((await ok(client, "export_users", {"format": "csv"}))["content"])))
    assert {r["id"] for r in rows} == {"u1", "u2"} and json.loads(rows[0]["data"])["team"] == "core"

    assert "USER_NOT_FOUND" in await fails(client, "get_user", {"user_id": "u3"})


async def test_bulk_delete_refuses_empty_or_duplicate_lists(client):
    assert "user_ids" in await fails(client, "delete_users", {"user_ids": []})
    assert "DUPLICATE_VALUES" in await fails(client, "delete_users", {"user_ids": ["a", "a"]})
    await ok(client, "update_user", {"user_id": "a", "data": {}})
    await ok(client, "update_user", {"user_id": "b", "data": {}})
    dry = await ok(client, "delete_users", {"user_ids": ["a", "b"], "dry_run": True})
    assert dry["deleted_users"] == 0 and [r["total"] for r in dry["results"]] == [1, 1]
    done = await ok(client, "delete_users", {"user_ids": ["a", "b"]})
    assert done["deleted_users"] == 2
    assert (await ok(client, "users_count", {}))["result"] == 0


async def test_destructive_user_tools_are_annotated(client):
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in (
        "delete_user",
        "delete_users",
        "gdpr_delete_user_data",
        "mutable_purge_namespace",
        "memories_delete_many",
    ):
        assert tools[name].annotations.destructive_hint is True, name
    assert tools["export_users"].annotations.read_only_hint is True


async def test_parallel_profile_updates_from_two_processes_keep_every_key(tmp_path):
    """Each update reads, merges and writes in one transaction: none overwrites another's key."""
    db = tmp_path / "users.db"
    backend = EmbeddedBackend(db)
    try:
        in_process = build_server(make_config(tmp_path, toolsets=("users",)), backend=backend)
        async with Client(in_process) as a, Client(server_params(db, "--toolsets", "users")) as b:

            async def update(client, key: str) -> None:
                await ok(client, "update_user", {"user_id": "u", "data": {"prefs": {key: True}}})

            async with anyio.create_task_group() as tg:
                for i in range(40):
                    tg.start_soon(update, a if i % 2 else b, f"k{i}")
        profile = await call(backend, "users:get", {"userId": "u"})
        assert profile["data"]["prefs"] == {f"k{i}": True for i in range(40)}
        assert profile["version"] == 40
    finally:
        await backend.aclose()

