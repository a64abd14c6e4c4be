"""sessions:* against spec/backend/sessions.md."""


import pytest

from cortex_mcp import clock
from cortex_mcp.backends.base import call
from cortex_mcp.errors import ArgumentValidationError, FunctionError
from tests.helpers import tick

pytestmark = pytest.mark.anyio

T0 = 1_700_000_000_000


async def create(backend, session_id, user="u1", **extra):
    args = {"sessionId": session_id, "userId": user, "startedAt": T0, **extra}
    return await call(backend, "sessions:create", args)


async def get(backend, session_id):
    return await call(backend, "sessions:get", {"sessionId": session_id})


async def ids(backend, **filters):
    return [s["sessionId"] for s in await call(backend, "sessions:list", filters)]


async def test_create_returns_inserted_values_without_creation_time(backend):
    doc = await create(backend, "s1", tenantId="t1", memorySpaceId="ms1", metadata={"k": 1}, expiresAt=T0 + 5)
    assert set(doc) == {
        "_id", "sessionId", "userId", "tenantId", "memorySpaceId", "status", "startedAt",
        "lastActiveAt", "expiresAt", "metadata", "messageCount", "memoryCount",
    }
    assert doc["status"] == "active" and doc["startedAt"] == doc["lastActiveAt"] == T0
    assert doc["messageCount"] == 0 and doc["memoryCount"] == 0 and doc["expiresAt"] == T0 + 5
    stored = await get(backend, "s1")
    assert stored["_id"] == doc["_id"] and isinstance(stored["_creationTime"], (int, float))
    assert "endedAt" not in stored and stored["metadata"] == {"k": 1}


async def test_create_minimal_omits_optional_keys_and_keeps_null_metadata(backend):
    doc = await create(backend, "s1")
    for key in ("tenantId", "memorySpaceId", "expiresAt", "metadata", "endedAt", "_creationTime"):
        assert key not in doc
    await create(backend, "s2", metadata=None)
    assert (await get(backend, "s2"))["metadata"] is None


async def test_create_allows_duplicate_session_ids_and_get_returns_oldest(backend):
    first = await create(backend, "dup", user="a")
    await create(backend, "dup", user="b")
    assert await call(backend, "sessions:count", {}) == 2
    assert (await get(backend, "dup"))["_id"] == first["_id"]
    assert await get(backend, "ghost") is None


@pytest.mark.parametrize(
    "args, field",
    [
        ({"sessionId": "s", "userId": "u"}, "startedAt"),
        ({"sessionId": "s", "userId": "u", "startedAt": True}, "startedAt"),
        ({"sessionId": "s", "userId": "u", "startedAt": 1, "tenantId": None}, "tenantId"),
        ({"sessionId": "s", "userId": "u", "startedAt": 1, "expiresAt": None}, "expiresAt"),
        ({"sessionId": "s", "userId": "u", "startedAt": 1, "status": "active"}, "status"),
        ({"sessionId": 1, "userId": "u", "startedAt": 1}, "sessionId"),
    ],
)
async def test_create_validation_writes_nothing(backend, args, field):
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "sessions:create", args)
    assert err.value.field == field
    assert await call(backend, "sessions:count", {}) == 0


async def test_touch_sets_last_active_and_reactivates_ended_session(backend):
    await create(backend, "s1")
    await call(backend, "sessions:end", {"sessionId": "s1"})
    ended = await get(backend, "s1")
    before = clock.now() * 1000 - 1
    assert await call(backend, "sessions:touch", {"sessionId": "s1"}) is None
    doc = await get(backend, "s1")
    assert doc["status"] == "active" and doc["lastActiveAt"] >= before
    assert doc["endedAt"] == ended["endedAt"]  # left in place


async def test_touch_and_end_unknown_session_are_plain_errors(backend):
    for fn in ("sessions:touch", "sessions:end"):
        with pytest.raises(FunctionError) as err:
            await call(backend, fn, {"sessionId": "ghost"})
        assert "Session not found: ghost" in err.value.message
        assert err.value.code == "FUNCTION_ERROR"


async def test_end_sets_status_and_overwrites_ended_at(backend):
    await create(backend, "s1")
    assert await call(backend, "sessions:end", {"sessionId": "s1"}) is None
    first = await get(backend, "s1")
    assert first["status"] == "ended" and first["endedAt"] >= T0
    tick()
    await call(backend, "sessions:end", {"sessionId": "s1"})
    assert (await get(backend, "s1"))["endedAt"] > first["endedAt"]


async def test_end_all_by_user_across_tenants_or_one_tenant(backend):
    await create(backend, "a", tenantId="t1")
    await create(backend, "b", tenantId="t2")
    await create(backend, "c")
    await create(backend, "d", tenantId="t1")
    await create(backend, "other", user="u2")
    await call(backend, "sessions:end", {"sessionId": "d"})
    assert await call(backend, "sessions:endAll", {"userId": "u1", "tenantId": "t1"}) == {
        "ended": 1,
        "sessionIds": ["a"],
    }
    assert await call(backend, "sessions:endAll", {"userId": "u1", "tenantId": ""}) == {
        "ended": 2,
        "sessionIds": ["b", "c"],
    }
    assert await call(backend, "sessions:endAll", {"userId": "u1"}) == {"ended": 0, "sessionIds": []}
    assert (await get(backend, "other"))["status"] == "active"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "sessions:endAll", {"userId": "u1", "status": "active"})
    assert err.value.field == "status"


async def test_list_and_count_filters_are_anded(backend):
    await create(backend, "s1", user="u1", tenantId="t1", memorySpaceId="m1")
    await create(backend, "s2", user="u2", tenantId="t1", memorySpaceId="m2")
    await create(backend, "s3", user="u1", tenantId="t2", memorySpaceId="m1")
    await create(backend, "s4", user="u1", memorySpaceId="m2")
    await call(backend, "sessions:end", {"sessionId": "s3"})
    cases = [
        ({}, ["s1", "s2", "s3", "s4"]),
        ({"userId": "u1"}, ["s1", "s3", "s4"]),
        ({"tenantId": "t1"}, ["s1", "s2"]),
        ({"tenantId": "t1", "userId": "u1"}, ["s1"]),
        ({"tenantId": "t2", "status": "ended"}, ["s3"]),
        ({"tenantId": "t1", "status": "ended"}, []),
        ({"memorySpaceId": "m1"}, ["s1", "s3"]),
        ({"memorySpaceId": "m2", "userId": "u1"}, ["s4"]),
        ({"memorySpaceId": "m1", "status": "active"}, ["s1"]),
        ({"tenantId": "t1", "userId": "u1", "memorySpaceId": "m2"}, []),
        ({"status": "ended"}, ["s3"]),
        ({"status": "idle"}, []),
        ({"userId": "", "tenantId": ""}, ["s1", "s2", "s3", "s4"]),  # falsy filters are ignored
    ]
    for filters, expected in cases:
        assert await ids(backend, **filters) == expected, filters
        assert await call(backend, "sessions:count", filters) == len(expected), filters


async def test_list_paging(backend):
    for i in range(6):
        await create(backend, f"s{i}")
    assert await ids(backend, limit=2) == ["s0", "s1"]
    assert await ids(backend, limit=2, offset=3) == ["s3", "s4"]
    assert await ids(backend, offset=4) == ["s4", "s5"]
    assert await ids(backend, limit=0) == []  # `??`: 0 is not replaced by the default
    assert await ids(backend, offset=-2) == ["s4", "s5"]
    assert await ids(backend, limit=1.9) == ["s0"]
    assert await ids(backend, limit=-1) == ["s0", "s1", "s2", "s3", "s4"]  # slice(0, -1)
    assert len(await ids(backend)) == 6


async def test_list_default_limit_is_50(backend):
    def seed(tx):
        for i in range(52):
            doc = {"sessionId": f"s{i}", "userId": "u1", "status": "active", "startedAt": T0, "lastActiveAt": T0}
            tx.insert("sessions", {**doc, "messageCount": 0, "memoryCount": 0})

    backend.store.run(True, seed)
    assert len(await ids(backend)) == 50
    assert await call(backend, "sessions:count", {}) == 52


@pytest.mark.parametrize(
    "args, field",
    [
        ({"status": "Active"}, "status"),
        ({"limit": True}, "limit"),
        ({"limit": None}, "limit"),
        ({"sortBy": "startedAt"}, "sortBy"),
    ],
)
async def test_list_validation(backend, args, field):
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "sessions:list", args)
    assert err.value.field == field


async def test_count_rejects_paging_args(backend):
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "sessions:count", {"limit": 1})
    assert err.value.field == "limit"


async def test_expire_idle_ends_only_stale_open_sessions(backend):
    now = clock.now() * 1000
    await create(backend, "stale", tenantId="t1")  # lastActiveAt = T0, long ago
    await create(backend, "stale2", tenantId="t2")
    await create(backend, "fresh", startedAt=now + 60_000)
    await create(backend, "done", tenantId="t1")
    await call(backend, "sessions:end", {"sessionId": "done"})
    done_before = await get(backend, "done")
    assert await call(backend, "sessions:expireIdle", {"tenantId": "t1", "idleTimeout": 1000}) == {"expired": 1}
    assert (await get(backend, "stale2"))["status"] == "active"
    assert await call(backend, "sessions:expireIdle", {"idleTimeout": 1000}) == {"expired": 1}
    stale = await get(backend, "stale")
    assert stale["status"] == "ended" and stale["endedAt"] >= now - 1
    assert (await get(backend, "fresh"))["status"] == "active"
    assert await get(backend, "done") == done_before  # ended sessions untouched
    assert await call(backend, "sessions:expireIdle", {"idleTimeout": 0}) == {"expired": 0}
    assert await call(backend, "sessions:expireIdle", {"idleTimeout": -120_000}) == {"expired": 1}  # cutoff in future


async def test_expire_idle_is_strict_and_ignores_expires_at(backend):
    await create(backend, "s1", startedAt=clock.now() * 1000 + 10_000_000, expiresAt=0)
    assert await call(backend, "sessions:expireIdle", {"idleTimeout": 0}) == {"expired": 0}
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "sessions:expireIdle", {})
    assert err.value.field == "idleTimeout"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "sessions:expireIdle", {"idleTimeout": "1h"})
    assert err.value.field == "idleTimeout"


async def test_increment_counters_keep_status_and_ignore_unknown(backend):
    await create(backend, "s1")
    await call(backend, "sessions:end", {"sessionId": "s1"})
    for _ in range(2):
        assert await call(backend, "sessions:incrementMessageCount", {"sessionId": "s1"}) is None
    assert await call(backend, "sessions:incrementMemoryCount", {"sessionId": "s1"}) is None
    doc = await get(backend, "s1")
    assert doc["messageCount"] == 2 and doc["memoryCount"] == 1
    assert doc["status"] == "ended" and doc["lastActiveAt"] > T0
    assert await call(backend, "sessions:incrementMessageCount", {"sessionId": "ghost"}) is None
    assert await call(backend, "sessions:incrementMemoryCount", {"sessionId": "ghost"}) is None
    assert await call(backend, "sessions:count", {}) == 1
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "sessions:incrementMessageCount", {"sessionId": "s1", "by": 2})
    assert err.value.field == "by"


async def test_get_rejects_tenant_id(backend):
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "sessions:get", {"sessionId": "s1", "tenantId": "t"})
    assert err.value.field == "tenantId"
