"""graphSync:* against spec/backend/graphSync.md (deviations: cortex_mcp/backends/embedded/handlers/graph_sync.py)."""


import pytest

from cortex_mcp import clock
from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded.store import REMOVE
from cortex_mcp.errors import ArgumentValidationError, FunctionError
from tests.helpers import tick

pytestmark = pytest.mark.anyio

DAY = 86_400_000


def now_ms():
    return clock.now() * 1000


async def queue(backend, entity_id="e1", table="memories", operation="insert", **extra):
    return await call(
        backend, "graphSync:queueForSync", {"table": table, "entityId": entity_id, "operation": operation, **extra}
    )


def rows(backend):
    """Every queue row, oldest first (white-box read of the store)."""
    return backend.store.run(False, lambda tx: tx.query("graphSyncQueue").collect())


def row(backend, doc_id):
    return backend.store.run(False, lambda tx: tx.get(doc_id))


def seed(backend, *docs):
    """Insert raw queue rows (explicit createdAt/syncedAt) in order; returns their ids."""
    base = {
        "table": "memories",
        "operation": "insert",
        "synced": False,
        "failedAttempts": 0,
        "priority": "normal",
        "createdAt": now_ms(),
    }
    return backend.store.run(
        True, lambda tx: [tx.insert("graphSyncQueue", {**base, "entityId": f"s{i}", **d}) for i, d in enumerate(docs)]
    )


async def gone_id(backend):
    """A well-formed graphSyncQueue id whose row no longer exists."""
    doc_id = await queue(backend, "ghost")
    await call(backend, "graphSync:deleteSyncItem", {"id": doc_id})
    return doc_id


async def stats(backend):
    return await call(backend, "graphSync:getSyncStats", {})


# -- queueForSync ---------------------------------------------------------------------------


async def test_queue_inserts_item_with_defaults(backend):
    before = now_ms()
    doc_id = await queue(backend, "m1", entity={"content": "hello", "n": [1, 2]})
    after = now_ms()
    assert isinstance(doc_id, str)
    doc = row(backend, doc_id)
    fields = ("table", "entityId", "operation", "entity", "synced", "failedAttempts", "priority")
    assert {k: doc[k] for k in fields} == {
        "table": "memories",
        "entityId": "m1",
        "operation": "insert",
        "entity": {"content": "hello", "n": [1, 2]},
        "synced": False,
        "failedAttempts": 0,
        "priority": "normal",
    }
    assert before - 1 <= doc["createdAt"] <= after + 1
    assert "syncedAt" not in doc and "lastError" not in doc


async def test_queue_entity_absent_null_and_priority(backend):
    a = await queue(backend, "a", operation="delete")
    b = await queue(backend, "b", operation="delete", entity=None, priority="")
    c = await queue(backend, "c", priority="low")
    d = await queue(backend, "d", priority="high")
    assert "entity" not in row(backend, a)
    assert "entity" in row(backend, b) and row(backend, b)["entity"] is None
    assert row(backend, b)["priority"] == "normal"  # `priority || "normal"`
    assert row(backend, c)["priority"] == "low" and row(backend, d)["priority"] == "high"
    assert len({a, b, c, d}) == 4


async def test_queue_deduplicates_pending_item(backend):
    first = await queue(backend, "m1", entity={"v": 1}, priority="high")
    await call(backend, "graphSync:markFailed", {"id": first, "error": "graph down"})
    created = row(backend, first)["createdAt"]
    tick()
    again = await queue(backend, "m1", operation="update")
    assert again == first
    doc = row(backend, first)
    assert doc["operation"] == "update" and doc["priority"] == "normal"
    assert "entity" not in doc  # absent argument removes the old snapshot
    assert doc["createdAt"] > created
    assert doc["failedAttempts"] == 1 and doc["lastError"] == "graph down"  # kept
    assert len(rows(backend)) == 1
    # another table, or the same entity after it was synced, gets a new row
    other = await queue(backend, "m1", table="facts")
    assert other != first
    await call(backend, "graphSync:markSynced", {"id": first})
    fresh = await queue(backend, "m1", entity=None)
    assert fresh not in (first, other)
    assert row(backend, fresh)["failedAttempts"] == 0 and row(backend, fresh)["entity"] is None
    assert len(rows(backend)) == 3


async def test_queue_dedup_picks_oldest_pending_row(backend):
    old, new = seed(backend, {"entityId": "x"}, {"entityId": "x"})
    assert await queue(backend, "x", operation="delete") == old
    assert row(backend, old)["operation"] == "delete" and row(backend, new)["operation"] == "insert"


@pytest.mark.parametrize(
    "args, field",
    [
        ({"table": "memories", "entityId": "e", "operation": "upsert"}, "operation"),
        ({"table": "memories", "entityId": "e", "operation": "Insert"}, "operation"),
        ({"table": "memories", "entityId": "e"}, "operation"),
        ({"entityId": "e", "operation": "insert"}, "table"),
        ({"table": "memories", "entityId": 5, "operation": "insert"}, "entityId"),
        ({"table": "memories", "entityId": "e", "operation": "insert", "priority": None}, "priority"),
        ({"table": "memories", "entityId": "e", "operation": "insert", "priority": 1}, "priority"),
        ({"table": "memories", "entityId": "e", "operation": "insert", "synced": True}, "synced"),
    ],
)
async def test_queue_validation_names_field_and_writes_nothing(backend, args, field):
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "graphSync:queueForSync", args)
    assert err.value.field == field
    assert (await stats(backend))["total"] == 0


# -- markSynced / markFailed / deleteSyncItem ------------------------------------------------


async def test_mark_synced_sets_time_and_clears_error(backend):
    doc_id = await queue(backend, "m1")
    await call(backend, "graphSync:markFailed", {"id": doc_id, "error": "boom"})
    before = now_ms()
    assert await call(backend, "graphSync:markSynced", {"id": doc_id}) is None
    doc = row(backend, doc_id)
    assert doc["synced"] is True and before - 1 <= doc["syncedAt"] <= now_ms() + 1
    assert "lastError" not in doc and doc["failedAttempts"] == 1


async def test_mark_synced_missing_and_bad_ids(backend):
    missing = await gone_id(backend)
    with pytest.raises(FunctionError) as err:
        await call(backend, "graphSync:markSynced", {"id": missing})
    assert f"Update on nonexistent document ID {missing}" in err.value.message
    agent = await call(backend, "agents:register", {"agentId": "a1", "name": "A"})
    for bad in (agent["_id"], "not-an-id", 12):
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "graphSync:markSynced", {"id": bad})
        assert err.value.field == "id"
    assert rows(backend) == []


async def test_an_id_in_another_deployments_format_is_refused_by_this_one(backend):
    # The adapter sends it (ids are opaque to a client); the embedded backend checks its own format.
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "graphSync:markSynced", {"id": "jd7f8a9c0b1e2d3f4a5b6c7d8e9f0a1b"})
    assert err.value.field == "id" and 'Validator: v.id("graphSyncQueue")' in err.value.message


async def test_mark_failed_counts_and_gives_up_after_three(backend):
    doc_id = await queue(backend, "m1")
    for attempt in (1, 2):
        assert await call(backend, "graphSync:markFailed", {"id": doc_id, "error": f"e{attempt}"}) is None
        doc = row(backend, doc_id)
        assert doc["failedAttempts"] == attempt and doc["lastError"] == f"e{attempt}"
        assert doc["synced"] is False and "syncedAt" not in doc
    await call(backend, "graphSync:markFailed", {"id": doc_id, "error": "e3"})
    doc = row(backend, doc_id)
    assert doc["failedAttempts"] == 3 and doc["synced"] is True and isinstance(doc["syncedAt"], (int, float))
    assert await call(backend, "graphSync:getUnsyncedItems", {"limit": 10}) == []
    await call(backend, "graphSync:markFailed", {"id": doc_id, "error": "e4"})
    assert row(backend, doc_id)["failedAttempts"] == 4 and row(backend, doc_id)["synced"] is True


async def test_mark_failed_on_synced_item_flips_it_back(backend):
    doc_id = await queue(backend, "m1")
    await call(backend, "graphSync:markSynced", {"id": doc_id})
    await call(backend, "graphSync:markFailed", {"id": doc_id, "error": "late failure"})
    doc = row(backend, doc_id)
    assert doc["synced"] is False and "syncedAt" not in doc and doc["failedAttempts"] == 1


async def test_mark_failed_counts_from_absent_attempts(backend):
    (doc_id,) = seed(backend, {"failedAttempts": REMOVE})
    assert "failedAttempts" not in row(backend, doc_id)
    await call(backend, "graphSync:markFailed", {"id": doc_id, "error": "x"})
    assert row(backend, doc_id)["failedAttempts"] == 1


async def test_mark_failed_errors_write_nothing(backend):
    doc_id = await queue(backend, "m1")
    snapshot = rows(backend)
    missing = await gone_id(backend)
    with pytest.raises(FunctionError) as err:
        await call(backend, "graphSync:markFailed", {"id": missing, "error": "x"})
    assert "SYNC_ITEM_NOT_FOUND" in err.value.message
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "graphSync:markFailed", {"id": doc_id, "error": None})
    assert err.value.field == "error"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "graphSync:markFailed", {"id": doc_id})
    assert err.value.field == "error"
    assert rows(backend) == snapshot


async def test_delete_sync_item(backend):
    keep = await queue(backend, "keep")
    doc_id = await queue(backend, "m1")
    assert await call(backend, "graphSync:deleteSyncItem", {"id": doc_id}) is None
    assert [r["_id"] for r in rows(backend)] == [keep]
    with pytest.raises(FunctionError) as err:
        await call(backend, "graphSync:deleteSyncItem", {"id": doc_id})
    assert f"Delete on nonexistent document ID {doc_id}" in err.value.message
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "graphSync:deleteSyncItem", {"id": doc_id, "force": True})
    assert err.value.field == "force"
    assert [r["_id"] for r in rows(backend)] == [keep]


# -- list queries -----------------------------------------------------------------------------


async def test_get_unsynced_newest_first_by_creation(backend):
    a = await queue(backend, "a")
    b = await queue(backend, "b")
    c = await queue(backend, "c")
    d = await queue(backend, "d")
    await call(backend, "graphSync:markSynced", {"id": c})
    await queue(backend, "a", operation="update")  # bumps createdAt, not _creationTime
    items = await call(backend, "graphSync:getUnsyncedItems", {"limit": 10})
    assert [i["_id"] for i in items] == [d, b, a]
    assert all("_creationTime" in i and i["synced"] is False for i in items)
    assert [i["_id"] for i in await call(backend, "graphSync:getUnsyncedItems", {"limit": 2})] == [d, b]
    assert [i["_id"] for i in await call(backend, "graphSync:getUnsyncedItems", {"limit": 2.0})] == [d, b]
    assert await call(backend, "graphSync:getUnsyncedItems", {"limit": 0}) == []


@pytest.mark.parametrize("path", ["graphSync:getUnsyncedItems", "graphSync:getHighPriorityItems"])
async def test_take_limits_are_checked(backend, path):
    await queue(backend, "a", priority="high")
    for bad in (-1, 1.5):
        with pytest.raises(FunctionError) as err:
            await call(backend, path, {"limit": bad})
        assert "Arg 1 `n` to `take` must be a non-negative integer" in err.value.message
    bad_args = (({}, "limit"), ({"limit": True}, "limit"), ({"limit": "5"}, "limit"), ({"limit": 1, "x": 1}, "x"))
    for args, field in bad_args:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, path, args)
        assert err.value.field == field


async def test_get_high_priority_only_pending_high(backend):
    h1 = await queue(backend, "h1", priority="high")
    await queue(backend, "n1")
    await queue(backend, "l1", priority="low")
    h2 = await queue(backend, "h2", priority="high")
    h3 = await queue(backend, "h3", priority="high")
    await queue(backend, "x", priority="HIGH")
    await call(backend, "graphSync:markSynced", {"id": h2})
    items = await call(backend, "graphSync:getHighPriorityItems", {"limit": 10})
    assert [i["_id"] for i in items] == [h3, h1]
    assert [i["_id"] for i in await call(backend, "graphSync:getHighPriorityItems", {"limit": 1})] == [h3]
    # re-queueing with another priority moves the item out
    await queue(backend, "h1", priority="normal")
    assert [i["_id"] for i in await call(backend, "graphSync:getHighPriorityItems", {"limit": 10})] == [h3]


async def test_get_failed_items_sorted_by_created_at(backend):
    t = now_ms() - DAY
    a, b, c, d, e = seed(
        backend,
        {"createdAt": t + 10, "failedAttempts": 1},
        {"createdAt": t + 30, "failedAttempts": 3, "synced": True, "syncedAt": t + 40},  # given up: included
        {"createdAt": t + 20, "failedAttempts": 0},
        {"createdAt": t + 10, "failedAttempts": 2},  # same createdAt as a: stays after it (stable sort)
        {"createdAt": t + 50},  # no failedAttempts
    )
    items = await call(backend, "graphSync:getFailedItems", {"limit": 10})
    assert [i["_id"] for i in items] == [b, a, d]
    assert [i["_id"] for i in await call(backend, "graphSync:getFailedItems", {"limit": 2})] == [b, a]
    assert [i["_id"] for i in await call(backend, "graphSync:getFailedItems", {"limit": 1.9})] == [b]  # slice truncates
    assert await call(backend, "graphSync:getFailedItems", {"limit": 0}) == []
    assert [i["_id"] for i in await call(backend, "graphSync:getFailedItems", {"limit": -1})] == [b, a]  # slice(0, -1)
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "graphSync:getFailedItems", {})
    assert err.value.field == "limit"


async def test_failed_items_through_the_api(backend):
    x = await queue(backend, "x")
    y = await queue(backend, "y")
    await call(backend, "graphSync:markFailed", {"id": x, "error": "e"})
    tick()
    await call(backend, "graphSync:markFailed", {"id": y, "error": "e"})
    await queue(backend, "x", operation="update")  # re-queue bumps x's createdAt above y's
    assert [i["_id"] for i in await call(backend, "graphSync:getFailedItems", {"limit": 5})] == [x, y]


# -- getSyncStats -----------------------------------------------------------------------------


async def test_stats_empty(backend):
    assert await stats(backend) == {
        "total": 0,
        "unsynced": 0,
        "synced": 0,
        "failed": 0,
        "avgSyncTimeMs": 0,
        "syncLagMs": 0,
        "byTable": {},
    }
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "graphSync:getSyncStats", {"table": "memories"})
    assert err.value.field == "table"


async def test_stats_counts_average_lag_and_tables(backend):
    t = now_ms() - DAY
    seed(
        backend,
        {"createdAt": t + 100, "synced": True, "syncedAt": t + 102},  # 2 ms
        {"createdAt": t + 100, "synced": True, "syncedAt": t + 103, "table": "facts"},  # 3 ms -> mean 2.5 -> 3
        {"createdAt": t + 500, "synced": True, "syncedAt": t + 600, "failedAttempts": 3, "table": "facts"},  # given up
        {"createdAt": t + 50, "failedAttempts": 2, "table": "contexts"},  # oldest pending
        {"createdAt": t + 400},
    )
    before = now_ms()
    s = await stats(backend)
    after = now_ms()
    assert {k: s[k] for k in ("total", "unsynced", "synced", "failed")} == {
        "total": 5,
        "unsynced": 2,
        "synced": 3,
        "failed": 2,
    }
    assert s["avgSyncTimeMs"] == round((2 + 3 + 100) / 3)  # 35
    assert s["byTable"] == {"memories": 2, "facts": 2, "contexts": 1}
    assert before - (t + 50) - 1 <= s["syncLagMs"] <= after - (t + 50) + 1


async def test_stats_average_rounds_half_up_like_math_round(backend):
    t = now_ms() - DAY
    seed(
        backend,
        {"createdAt": t, "synced": True, "syncedAt": t + 2},
        {"createdAt": t, "synced": True, "syncedAt": t + 3},
        {"createdAt": 0, "synced": True, "syncedAt": t},  # createdAt falsy: left out of the mean
        {"createdAt": t, "synced": True},  # no syncedAt: left out
    )
    s = await stats(backend)
    assert s["avgSyncTimeMs"] == 3  # Math.round(2.5); Python's round would give 2
    assert s["syncLagMs"] == 0 and s["unsynced"] == 0 and s["synced"] == 4


async def test_stats_negative_half_rounds_toward_positive(backend):
    t = now_ms() - DAY
    seed(
        backend,
        {"createdAt": t + 3, "synced": True, "syncedAt": t},
        {"createdAt": t + 2, "synced": True, "syncedAt": t},
    )
    assert (await stats(backend))["avgSyncTimeMs"] == -2  # Math.round(-2.5)


# -- clearSyncedItems / purgeAll ----------------------------------------------------------------


def clear_fixture(backend):
    t = now_ms()
    return seed(
        backend,
        {"createdAt": t - 3 * DAY, "synced": True, "syncedAt": t - 2 * DAY},  # old
        {"createdAt": t - 3 * DAY, "synced": True, "syncedAt": t - 3_600_000},  # one hour ago
        {"createdAt": t - 3 * DAY, "synced": True},  # synced without syncedAt
        {"createdAt": t - 3 * DAY},  # old but pending
    )


async def test_clear_synced_default_24h(backend):
    old, recent, no_time, pending = clear_fixture(backend)
    assert await call(backend, "graphSync:clearSyncedItems", {}) == {"deleted": 2}
    assert [r["_id"] for r in rows(backend)] == [recent, pending]
    assert await call(backend, "graphSync:clearSyncedItems", {}) == {"deleted": 0}
    assert await call(backend, "graphSync:clearSyncedItems", {"olderThanMs": 60_000}) == {"deleted": 1}
    assert [r["_id"] for r in rows(backend)] == [pending]


async def test_clear_synced_zero_means_everything_synced(backend):
    old, recent, no_time, pending = clear_fixture(backend)
    # deviation: upstream `olderThanMs || 24h` would keep `recent`
    assert await call(backend, "graphSync:clearSyncedItems", {"olderThanMs": 0}) == {"deleted": 3}
    assert [r["_id"] for r in rows(backend)] == [pending]


async def test_clear_synced_validation_writes_nothing(backend):
    clear_fixture(backend)
    bad_args = (({"olderThanMs": "1"}, "olderThanMs"), ({"olderThanMs": None}, "olderThanMs"), ({"all": True}, "all"))
    for args, field in bad_args:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "graphSync:clearSyncedItems", args)
        assert err.value.field == field
    assert len(rows(backend)) == 4


async def test_purge_all(backend):
    await queue(backend, "a")
    await queue(backend, "b", table="facts")
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "graphSync:purgeAll", {"confirm": True})
    assert err.value.field == "confirm"
    assert len(rows(backend)) == 2
    assert await call(backend, "graphSync:purgeAll", {}) == {"deleted": 2}
    assert rows(backend) == [] and (await stats(backend))["total"] == 0
    assert await call(backend, "graphSync:purgeAll", {}) == {"deleted": 0}
