"""users:* against spec/backend/users.md.

Profiles are `immutable` rows with type "user". Most tests seed rows with exact timestamps
straight into the store (the users module has no create function); one test goes through
`immutable:store` end to end when that module is present.
"""


import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.contract.catalog import get_function
from cortex_mcp.errors import ArgumentValidationError, FunctionError, FunctionNotFoundError
from tests.helpers import tick

pytestmark = pytest.mark.anyio

PROFILE_KEYS = {"id", "data", "version", "createdAt", "updatedAt"}


def seed(backend, *rows):
    """Insert immutable rows as given (defaults filled in); returns their _ids."""
    store = getattr(backend, "store", None)
    if store is None:
        pytest.skip("needs direct access to the embedded store")
    docs = []
    for row in rows:
        doc = {"type": "user", "data": {}, "version": 1, "previousVersions": [], "createdAt": 100, "updatedAt": 100}
        doc.update(row)
        docs.append(doc)
    return store.run(True, lambda tx: [tx.insert("immutable", d) for d in docs])


def user(user_id, **extra):
    return {"id": user_id, **extra}


def versioned(user_id, **extra):
    """u with three versions: v1 @100, v2 @200, current v3 @300."""
    return {
        "id": user_id,
        "data": {"name": "v3"},
        "version": 3,
        "previousVersions": [
            {"version": 1, "data": {"name": "v1"}, "timestamp": 100, "metadata": {"m": 1}},
            {"version": 2, "data": {"name": "v2"}, "timestamp": 200},
        ],
        "createdAt": 100,
        "updatedAt": 300,
        **extra,
    }


async def test_get_returns_exact_profile_view(backend):
    seed(backend, versioned("u1", userId="u1", tenantId="t", metadata={"x": 1}))
    assert await call(backend, "users:get", {"userId": "u1"}) == {
        "id": "u1",
        "data": {"name": "v3"},
        "version": 3,
        "createdAt": 100,
        "updatedAt": 300,
    }
    assert await call(backend, "users:get", {"userId": "nobody"}) is None


async def test_get_null_data_kept_and_other_types_ignored(backend):
    seed(backend, {"type": "kb-article", "id": "u1", "data": "not a user"}, user("u2", data=None))
    assert await call(backend, "users:get", {"userId": "u1"}) is None
    got = await call(backend, "users:get", {"userId": "u2"})
    assert set(got) == PROFILE_KEYS and got["data"] is None


async def test_lookup_ignores_tenant_and_takes_oldest(backend):
    seed(backend, user("u1", tenantId="t1", data="first"), user("u1", data="second"))
    assert (await call(backend, "users:get", {"userId": "u1"}))["data"] == "first"
    assert await call(backend, "users:exists", {"userId": "u1"}) is True
    assert await call(backend, "users:count", {}) == 2


async def test_list_oldest_first_limit_and_no_limit(backend):
    seed(backend, *(user(f"u{i}", tenantId=f"t{i}") for i in range(4)), {"type": "policy", "id": "p"})
    views = await call(backend, "users:list", {})
    assert [p["id"] for p in views] == ["u0", "u1", "u2", "u3"]
    assert all(set(p) == PROFILE_KEYS for p in views)
    assert [p["id"] for p in await call(backend, "users:list", {"limit": 2})] == ["u0", "u1"]
    assert len(await call(backend, "users:list", {"limit": 0})) == 4  # 0 is falsy: no limit
    assert len(await call(backend, "users:list", {"limit": 10})) == 4


async def test_list_bad_limits(backend):
    seed(backend, user("u0"))
    for bad in (-1, 1.5):
        with pytest.raises(FunctionError) as err:
            await call(backend, "users:list", {"limit": bad})
        assert "must be a non-negative integer" in err.value.message
    for bad in (None, True, "2"):
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "users:list", {"limit": bad})
        assert err.value.field == "limit"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "users:list", {"offset": 1})
    assert err.value.field == "offset"


async def test_count_only_users_and_rejects_args(backend):
    assert await call(backend, "users:count", {}) == 0
    seed(backend, user("a"), user("b", tenantId="t"), {"type": "userx", "id": "c"})
    assert await call(backend, "users:count", {}) == 2
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "users:count", {"tenantId": "t"})
    assert err.value.field == "tenantId"


async def test_get_version_current_previous_and_missing(backend):
    seed(backend, versioned("u1"))
    assert await call(backend, "users:getVersion", {"userId": "u1", "version": 3}) == {
        "version": 3,
        "data": {"name": "v3"},
        "timestamp": 300,
    }
    assert await call(backend, "users:getVersion", {"userId": "u1", "version": 1}) == {
        "version": 1,
        "data": {"name": "v1"},
        "timestamp": 100,
    }
    assert await call(backend, "users:getVersion", {"userId": "u1", "version": 2.0}) == {
        "version": 2,
        "data": {"name": "v2"},
        "timestamp": 200,
    }
    assert await call(backend, "users:getVersion", {"userId": "u1", "version": 4}) is None
    assert await call(backend, "users:getVersion", {"userId": "u1", "version": 0}) is None
    assert await call(backend, "users:getVersion", {"userId": "ghost", "version": 1}) is None


async def test_get_version_first_matching_entry_wins(backend):
    seed(
        backend,
        user(
            "u1",
            version=3,
            previousVersions=[
                {"version": 1, "data": "a", "timestamp": 1},
                {"version": 1, "data": "b", "timestamp": 2},
            ],
        ),
    )
    assert (await call(backend, "users:getVersion", {"userId": "u1", "version": 1}))["data"] == "a"


async def test_get_history_newest_first(backend):
    seed(backend, versioned("u1"))
    assert await call(backend, "users:getHistory", {"userId": "u1"}) == [
        {"version": 3, "data": {"name": "v3"}, "timestamp": 300},
        {"version": 2, "data": {"name": "v2"}, "timestamp": 200},
        {"version": 1, "data": {"name": "v1"}, "timestamp": 100},  # entry metadata not included
    ]
    assert await call(backend, "users:getHistory", {"userId": "ghost"}) == []
    seed(backend, user("solo", data="only"))
    assert await call(backend, "users:getHistory", {"userId": "solo"}) == [
        {"version": 1, "data": "only", "timestamp": 100}
    ]


@pytest.mark.parametrize(
    "ts, expected",
    [
        (99, None),  # before createdAt
        (100, 1),  # equal to createdAt is allowed
        (150, 1),
        (200, 2),  # entry timestamp <= ts
        (299, 2),
        (300, 3),  # updatedAt <= ts: current
        (10**13, 3),
    ],
)
async def test_get_at_timestamp(backend, ts, expected):
    seed(backend, versioned("u1"))
    got = await call(backend, "users:getAtTimestamp", {"userId": "u1", "timestamp": ts})
    if expected is None:
        assert got is None
    else:
        assert got["version"] == expected and set(got) == {"version", "data", "timestamp"}
        assert got["data"] == {"name": f"v{expected}"}


async def test_get_at_timestamp_max_timestamp_ties_and_no_entry(backend):
    seed(
        backend,
        user(
            "u1",
            version=4,
            data="cur",
            createdAt=10,
            updatedAt=500,
            previousVersions=[
                {"version": 2, "data": "late", "timestamp": 300},  # not ordered by position
                {"version": 1, "data": "tie-first", "timestamp": 200},
                {"version": 3, "data": "tie-second", "timestamp": 200},
            ],
        ),
    )
    at = await call(backend, "users:getAtTimestamp", {"userId": "u1", "timestamp": 350})
    assert at == {"version": 2, "data": "late", "timestamp": 300}
    at = await call(backend, "users:getAtTimestamp", {"userId": "u1", "timestamp": 250})
    assert at == {"version": 1, "data": "tie-first", "timestamp": 200}
    assert await call(backend, "users:getAtTimestamp", {"userId": "u1", "timestamp": 50}) is None
    assert await call(backend, "users:getAtTimestamp", {"userId": "ghost", "timestamp": 50}) is None


async def test_delete_user_profile_oldest_only_no_cascade(backend):
    seed(
        backend,
        user("u1", tenantId="t1", data="old"),
        user("u1", data="new"),
        {"type": "note", "id": "n", "userId": "u1"},
    )
    assert await call(backend, "users:deleteUserProfile", {"userId": "u1"}) == {"deleted": True}
    assert (await call(backend, "users:get", {"userId": "u1"}))["data"] == "new"
    assert await call(backend, "users:deleteUserProfile", {"userId": "u1"}) == {"deleted": True}
    assert await call(backend, "users:deleteUserProfile", {"userId": "u1"}) == {"deleted": False}
    assert await call(backend, "users:exists", {"userId": "u1"}) is False
    store = backend.store
    left = store.run(False, lambda tx: tx.query("immutable").collect())
    assert [(r["type"], r["id"]) for r in left] == [("note", "n")]


async def test_exists(backend):
    assert await call(backend, "users:exists", {"userId": "u1"}) is False
    seed(backend, user("u1"))
    assert await call(backend, "users:exists", {"userId": "u1"}) is True
    assert await call(backend, "users:exists", {"userId": "U1"}) is False


@pytest.mark.parametrize(
    "path, args, field",
    [
        ("users:get", {}, "userId"),
        ("users:get", {"userId": None}, "userId"),
        ("users:get", {"userId": 1}, "userId"),
        ("users:get", {"userId": "u", "tenantId": "t"}, "tenantId"),
        ("users:exists", {"userId": True}, "userId"),
        ("users:getHistory", {"userId": "u", "limit": 1}, "limit"),
        ("users:getVersion", {"userId": "u"}, "version"),
        ("users:getVersion", {"userId": "u", "version": True}, "version"),
        ("users:getVersion", {"userId": "u", "version": "1"}, "version"),
        ("users:getAtTimestamp", {"userId": "u", "timestamp": None}, "timestamp"),
        ("users:getAtTimestamp", {"userId": "u", "timestamp": False}, "timestamp"),
        ("users:deleteUserProfile", {"userId": "u1", "cascade": True}, "cascade"),
        ("users:deleteUserProfile", {"userId": None}, "userId"),
    ],
)
async def test_validation_names_field_and_writes_nothing(backend, path, args, field):
    seed(backend, user("u1"), user("u"))
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, path, args)
    assert err.value.field == field
    assert await call(backend, "users:count", {}) == 2


async def test_profile_written_through_immutable_store(backend):
    if get_function("immutable:store") is None:
        pytest.skip("immutable module not in the catalog")
    try:
        first = await call(backend, "immutable:store", {"type": "user", "id": "u9", "data": {"n": 1}})
    except FunctionNotFoundError:
        pytest.skip("immutable:store has no embedded handler yet")
    tick()
    second = await call(backend, "immutable:store", {"type": "user", "id": "u9", "data": {"n": 2}})
    assert await call(backend, "users:get", {"userId": "u9"}) == {
        "id": "u9",
        "data": {"n": 2},
        "version": 2,
        "createdAt": first["createdAt"],
        "updatedAt": second["updatedAt"],
    }
    history = await call(backend, "users:getHistory", {"userId": "u9"})
    assert [h["version"] for h in history] == [2, 1]
    assert history[1]["timestamp"] == first["updatedAt"]
    at = await call(backend, "users:getAtTimestamp", {"userId": "u9", "timestamp": first["createdAt"]})
    assert at["data"] == {"n": 1}
    assert await call(backend, "users:deleteUserProfile", {"userId": "u9"}) == {"deleted": True}
    assert await call(backend, "users:count", {}) == 0
