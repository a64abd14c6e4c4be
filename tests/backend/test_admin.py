"""admin:* against spec/backend/admin.md."""

import json

import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded.schema import TABLES
from cortex_mcp.contract.admin import TABLE_NAMES
from cortex_mcp.errors import ArgumentValidationError, FunctionError
from cortex_mcp.ids import TABLE_TAGS

pytestmark = pytest.mark.anyio


def queue_item(i):
    return {"table": "memories", "entityId": f"e{i}", "operation": "insert", "synced": False, "createdAt": i}


def seed_queue(backend, n):
    def run(tx):
        for i in range(n):
            tx.insert("graphSyncQueue", queue_item(i))

    backend.store.run(True, run)


def bulk_seed_queue(backend, n):
    """Many rows fast: straight SQL into the store's table (random ids are slow to generate)."""

    def run(tx):
        rows = [
            (f"j{i:029d}{TABLE_TAGS['graphSyncQueue']}", 1_000_000.0 + i, json.dumps(queue_item(i)))
            for i in range(n)
        ]
        tx.conn.executemany('INSERT INTO "graphSyncQueue"(_id, _creationTime, doc) VALUES (?, ?, ?)', rows)

    backend.store.run(True, run)


async def new_session(backend, session_id):
    doc = await call(backend, "sessions:create", {"sessionId": session_id, "userId": "u", "startedAt": 1})
    return doc["_id"]


async def count(backend, table):
    return (await call(backend, "admin:countTable", {"table": table}))["count"]


def test_table_names_are_every_schema_table():
    assert sorted(TABLE_NAMES) == sorted(TABLES) and list(TABLE_NAMES) == sorted(TABLE_NAMES)


async def test_list_table_returns_raw_documents_oldest_first(backend):
    for name in ("s1", "s2", "s3"):
        await new_session(backend, name)
    rows = await call(backend, "admin:listTable", {"table": "sessions"})
    assert [r["sessionId"] for r in rows] == ["s1", "s2", "s3"]
    assert all(isinstance(r["_id"], str) and "_creationTime" in r for r in rows)
    assert [r["sessionId"] for r in await call(backend, "admin:listTable", {"table": "sessions", "limit": 2})] == [
        "s1",
        "s2",
    ]
    assert await call(backend, "admin:listTable", {"table": "sessions", "limit": 0}) == []
    assert await call(backend, "admin:listTable", {"table": "agents"}) == []


async def test_list_table_caps_limit_at_1000(backend):
    seed_queue(backend, 1005)
    assert len(await call(backend, "admin:listTable", {"table": "graphSyncQueue"})) == 1000
    rows = await call(backend, "admin:listTable", {"table": "graphSyncQueue", "limit": 5000})
    assert len(rows) == 1000 and rows[0]["entityId"] == "e0"


@pytest.mark.parametrize("limit", [-1, 1.5])
async def test_list_and_clear_reject_bad_take_limit(backend, limit):
    await new_session(backend, "s1")
    for fn in ("admin:listTable", "admin:clearTable"):
        with pytest.raises(FunctionError) as err:
            await call(backend, fn, {"table": "sessions", "limit": limit})
        assert "must be a non-negative integer" in err.value.message
    assert await count(backend, "sessions") == 1


@pytest.mark.parametrize(
    "fn, args, field",
    [
        ("admin:listTable", {"table": "Sessions"}, "table"),
        ("admin:listTable", {"table": "users"}, "table"),
        ("admin:listTable", {"table": "sessions", "limit": None}, "limit"),
        ("admin:listTable", {"table": "sessions", "limit": True}, "limit"),
        ("admin:listTable", {"table": "sessions", "offset": 1}, "offset"),
        ("admin:countTable", {}, "table"),
        ("admin:getAllCounts", {"table": "sessions"}, "table"),
        ("admin:clearTable", {"table": "sessions", "limit": "10"}, "limit"),
        ("admin:deleteRecord", {"table": "sessions", "id": "not-an-id"}, "id"),
        ("admin:deleteRecord", {"table": "sessions"}, "id"),
    ],
)
async def test_validation(backend, fn, args, field):
    await new_session(backend, "s1")
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, fn, args)
    assert err.value.field == field
    assert await count(backend, "sessions") == 1


async def test_delete_record(backend):
    keep = await new_session(backend, "keep")
    gone = await new_session(backend, "gone")
    assert await call(backend, "admin:deleteRecord", {"table": "sessions", "id": gone}) == {"deleted": True}
    assert [r["_id"] for r in await call(backend, "admin:listTable", {"table": "sessions"})] == [keep]
    with pytest.raises(FunctionError) as err:
        await call(backend, "admin:deleteRecord", {"table": "sessions", "id": gone})
    assert f"Delete on nonexistent document ID {gone}" in err.value.message


async def test_delete_record_refuses_id_of_another_table(backend):
    # Deviation: upstream ignores `table` and deletes the session from its own table.
    session = await new_session(backend, "s1")
    with pytest.raises(FunctionError) as err:
        await call(backend, "admin:deleteRecord", {"table": "agents", "id": session})
    assert 'belongs to table "sessions"' in err.value.message
    assert await count(backend, "sessions") == 1


async def test_clear_table_deletes_oldest_first_and_reports_more(backend):
    for name in ("s1", "s2", "s3"):
        await new_session(backend, name)
    await call(backend, "agents:register", {"agentId": "a1", "name": "A"})
    assert await call(backend, "admin:clearTable", {"table": "sessions", "limit": 2}) == {"deleted": 2, "hasMore": True}
    assert [r["sessionId"] for r in await call(backend, "admin:listTable", {"table": "sessions"})] == ["s3"]
    # Deviation: upstream says hasMore: true whenever `limit` rows went, even if none remain.
    result = await call(backend, "admin:clearTable", {"table": "sessions", "limit": 1})
    assert result == {"deleted": 1, "hasMore": False}
    assert await call(backend, "admin:clearTable", {"table": "sessions"}) == {"deleted": 0, "hasMore": False}
    assert await count(backend, "agents") == 1  # other tables untouched


async def test_clear_table_default_limit_is_1000(backend):
    seed_queue(backend, 1003)
    assert await call(backend, "admin:clearTable", {"table": "graphSyncQueue", "limit": 1e6}) == {
        "deleted": 1000,
        "hasMore": True,
    }
    assert await call(backend, "admin:clearTable", {"table": "graphSyncQueue"}) == {"deleted": 3, "hasMore": False}
    assert await count(backend, "graphSyncQueue") == 0


async def test_count_table_and_get_all_counts(backend):
    await new_session(backend, "s1")
    await new_session(backend, "s2")
    await call(backend, "agents:register", {"agentId": "a1", "name": "A"})
    assert await count(backend, "sessions") == 2
    counts = await call(backend, "admin:getAllCounts", {})
    assert list(counts) == list(TABLE_NAMES)
    assert counts == {name: {"sessions": 2, "agents": 1}.get(name, 0) for name in TABLE_NAMES}


async def test_counts_are_capped_at_10000(backend):
    bulk_seed_queue(backend, 10_001)
    assert await count(backend, "graphSyncQueue") == 10_000
    assert (await call(backend, "admin:getAllCounts", {}))["graphSyncQueue"] == 10_000
