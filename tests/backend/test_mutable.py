"""mutable:* against spec/backend/mutable.md (deviations noted inline and in docs/parity.md)."""


import anyio
import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.errors import ArgumentValidationError, FunctionError
from tests.helpers import tick

pytestmark = pytest.mark.anyio

DOC_KEYS = {"_id", "_creationTime", "namespace", "key", "value", "createdAt", "updatedAt"}


async def put(backend, key, value=None, namespace="ns", **extra):
    return await call(backend, "mutable:set", {"namespace": namespace, "key": key, "value": value, **extra})


async def get(backend, key, namespace="ns", **extra):
    return await call(backend, "mutable:get", {"namespace": namespace, "key": key, **extra})


async def count(backend, namespace="ns", **extra):
    return await call(backend, "mutable:count", {"namespace": namespace, **extra})


async def upd(backend, key, operation, namespace="ns", **extra):
    return await call(backend, "mutable:update", {"namespace": namespace, "key": key, "operation": operation, **extra})



# -- set -------------------------------------------------------------------------------------
async def test_set_inserts_minimal_document(backend):
    doc = await put(backend, "k", {"a": [1, 2]})
    assert set(doc) == DOC_KEYS
    assert doc["namespace"] == "ns" and doc["key"] == "k" and doc["value"] == {"a": [1, 2]}
    assert doc["createdAt"] == doc["updatedAt"]
    assert await get(backend, "k") == doc


async def test_set_null_value_and_optional_fields(backend):
    doc = await put(backend, "k", None, userId="u1", tenantId="t1", metadata=None)
    assert doc["value"] is None and doc["userId"] == "u1" and doc["tenantId"] == "t1" and doc["metadata"] is None
    assert set(doc) == DOC_KEYS | {"userId", "tenantId", "metadata"}


async def test_set_overwrites_in_place(backend):
    first = await put(backend, "k", 1, userId="u1", metadata={"m": 1})
    tick()
    second = await put(backend, "k", 2)
    assert second["_id"] == first["_id"] and second["value"] == 2
    assert second["userId"] == "u1" and second["metadata"] == {"m": 1}  # absent args keep stored fields
    assert second["createdAt"] == first["createdAt"] and second["updatedAt"] > first["updatedAt"]
    third = await put(backend, "k", 3, userId="u2", metadata=None)
    assert third["userId"] == "u2" and third["metadata"] is None  # present null replaces
    assert await count(backend) == 1


async def test_set_tenant_rows_are_separate(backend):
    glob = await put(backend, "k", "global")
    ten = await put(backend, "k", "tenant", tenantId="t1")
    assert ten["_id"] != glob["_id"]
    assert (await get(backend, "k"))["value"] == "global"
    assert (await get(backend, "k", tenantId="t1"))["value"] == "tenant"
    assert await get(backend, "k", tenantId="t2") is None
    again = await put(backend, "k", "tenant2", tenantId="t1", userId="u")
    assert again["_id"] == ten["_id"] and again["tenantId"] == "t1"
    assert await count(backend) == 2  # namespace-wide without tenant: every tenant
    assert await count(backend, tenantId="t1") == 1


async def test_global_key_written_after_tenant_key_stays_readable(backend):
    # Deviation: upstream resolve checked only the oldest row of (namespace, key); when that row
    # belonged to a tenant, every untenanted set inserted another global row that get never saw.
    await put(backend, "k", "tenant", tenantId="t1")
    await put(backend, "k", "g1")
    second = await put(backend, "k", "g2")
    assert (await get(backend, "k"))["value"] == "g2"
    assert "tenantId" not in second
    assert await count(backend) == 2
    assert await call(backend, "mutable:exists", {"namespace": "ns", "key": "k"}) is True
    assert (await upd(backend, "k", "custom", operand="g3"))["value"] == "g3"
    assert await call(backend, "mutable:deleteKey", {"namespace": "ns", "key": "k"}) == {
        "deleted": True,
        "namespace": "ns",
        "key": "k",
    }
    assert (await get(backend, "k", tenantId="t1"))["value"] == "tenant"


async def test_empty_tenant_id_means_global(backend):
    doc = await put(backend, "k", 1, tenantId="")
    assert doc["tenantId"] == ""  # present, so stored as given
    assert (await get(backend, "k"))["_id"] == doc["_id"]
    assert (await put(backend, "k", 2))["_id"] == doc["_id"]


@pytest.mark.parametrize(
    "args, field",
    [
        ({"namespace": "ns", "key": "k"}, "value"),
        ({"namespace": "ns", "key": "k", "value": 1, "tenantId": None}, "tenantId"),
        ({"namespace": "ns", "key": "k", "value": 1, "userId": None}, "userId"),
        ({"namespace": "ns", "key": "k", "value": 1, "ttl": 5}, "ttl"),
        ({"namespace": "ns", "key": 5, "value": 1}, "key"),
        ({"namespace": None, "key": "k", "value": 1}, "namespace"),
    ],
)
async def test_set_validation_names_field_and_writes_nothing(backend, args, field):
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "mutable:set", args)
    assert err.value.field == field
    assert await count(backend) == 0


# -- update ----------------------------------------------------------------------------------
async def test_increment_and_decrement(backend):
    before = await put(backend, "c", 10, userId="u", metadata={"m": 1})
    tick()
    doc = await upd(backend, "c", "increment")
    assert doc["value"] == 11 and doc["userId"] == "u" and doc["metadata"] == {"m": 1}
    assert doc["_id"] == before["_id"] and doc["updatedAt"] > before["updatedAt"]
    assert doc["createdAt"] == before["createdAt"]
    assert (await upd(backend, "c", "increment", operand=5))["value"] == 16
    assert (await upd(backend, "c", "decrement"))["value"] == 15
    assert (await upd(backend, "c", "decrement", operand=2.5))["value"] == 12.5
    assert (await upd(backend, "c", "decrement", operand=-2.5))["value"] == 15
    assert (await upd(backend, "c", "increment", operand=None))["value"] == 16  # null step = 1


async def test_increment_by_zero_changes_nothing(backend):
    # Deviation: upstream `operand || 1` turned a step of 0 into 1.
    await put(backend, "c", 7)
    assert (await upd(backend, "c", "increment", operand=0))["value"] == 7
    assert (await upd(backend, "c", "decrement", operand=0))["value"] == 7


@pytest.mark.parametrize("current", [None, 0, False, ""])
async def test_increment_falsy_current_counts_as_zero(backend, current):
    await put(backend, "c", current)
    assert (await upd(backend, "c", "increment", operand=3))["value"] == 3
    await put(backend, "d", current)
    assert (await upd(backend, "d", "decrement"))["value"] == -1


@pytest.mark.parametrize("current, operand", [("abc", 1), ([1], 1), (True, 1), ({"a": 1}, 1), (1, "2"), (1, True)])
async def test_increment_non_numeric_is_refused(backend, current, operand):
    await put(backend, "c", current)
    with pytest.raises(FunctionError) as err:
        await upd(backend, "c", "increment", operand=operand)
    assert "MUTABLE_VALUE_NOT_NUMBER" in err.value.message
    assert (await get(backend, "c"))["value"] == current


async def test_increment_overflow_is_refused(backend):
    await put(backend, "c", 1.7e308)
    with pytest.raises(FunctionError) as err:
        await upd(backend, "c", "increment", operand=1.7e308)
    assert "MUTABLE_VALUE_NOT_NUMBER" in err.value.message
    assert (await get(backend, "c"))["value"] == 1.7e308


async def test_append(backend):
    await put(backend, "l", [1])
    assert (await upd(backend, "l", "append", operand=2))["value"] == [1, 2]
    assert (await upd(backend, "l", "append", operand=[3, 4]))["value"] == [1, 2, [3, 4]]
    assert (await upd(backend, "l", "append", operand=None))["value"] == [1, 2, [3, 4], None]


@pytest.mark.parametrize("current", [None, "abc", {"0": 1}, 5])
async def test_append_to_non_array_is_plain_error(backend, current):
    await put(backend, "l", current)
    with pytest.raises(FunctionError) as err:
        await upd(backend, "l", "append", operand=1)
    assert "MUTABLE_VALUE_NOT_ARRAY" in err.value.message
    assert err.value.code != "MUTABLE_VALUE_NOT_ARRAY"  # plain Error: no ConvexError data
    assert (await get(backend, "l"))["value"] == current


async def test_append_without_operand_fails_and_writes_nothing(backend):
    doc = await put(backend, "l", [1])
    with pytest.raises(FunctionError) as err:
        await upd(backend, "l", "append")
    assert "not a valid Convex value" in err.value.message
    assert await get(backend, "l") == doc


async def test_custom_replaces_value(backend):
    await put(backend, "x", 1, userId="u")
    doc = await upd(backend, "x", "custom", operand={"any": ["thing"]})
    assert doc["value"] == {"any": ["thing"]} and doc["userId"] == "u"
    assert (await upd(backend, "x", "custom", operand=None))["value"] is None


async def test_custom_without_operand_fails_schema_and_writes_nothing(backend):
    doc = await put(backend, "x", 1)
    with pytest.raises(FunctionError) as err:
        await upd(backend, "x", "custom")
    assert "does not match the schema" in err.value.message
    assert await get(backend, "x") == doc


async def test_update_missing_key_does_not_create(backend):
    await put(backend, "k", 1, tenantId="t1")
    for args in ({}, {"tenantId": "t2"}):
        with pytest.raises(FunctionError) as err:
            await upd(backend, "ghost", "increment", **args)
        assert err.value.code == "MUTABLE_KEY_NOT_FOUND" and err.value.message == "MUTABLE_KEY_NOT_FOUND"
    with pytest.raises(FunctionError) as err:
        await upd(backend, "k", "increment")  # only a tenant row exists
    assert err.value.code == "MUTABLE_KEY_NOT_FOUND"
    assert (await upd(backend, "k", "increment", tenantId="t1"))["value"] == 2
    assert await count(backend) == 1


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"operation": "Increment"}, "operation"),
        ({"operation": "multiply"}, "operation"),
        ({"operation": "increment", "amount": 2}, "amount"),
        ({"operation": "increment", "tenantId": None}, "tenantId"),
        ({}, "operation"),
    ],
)
async def test_update_validation(backend, extra, field):
    doc = await put(backend, "c", 1)
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "mutable:update", {"namespace": "ns", "key": "c", **extra})
    assert err.value.field == field
    assert await get(backend, "c") == doc


async def test_concurrent_increments_lose_nothing(tmp_path):
    path = tmp_path / "shared.db"
    backends = [EmbeddedBackend(path), EmbeddedBackend(path)]
    try:
        await put(backends[0], "c", 0)

        async def bump(b, n):
            for _ in range(n):
                await upd(b, "c", "increment")

        async with anyio.create_task_group() as tg:
            for b in backends:
                tg.start_soon(bump, b, 25)
        assert (await get(backends[1], "c"))["value"] == 50
    finally:
        for b in backends:
            await b.aclose()


# -- deleteKey -------------------------------------------------------------------------------
async def test_delete_key(backend):
    await put(backend, "k", 1)
    await put(backend, "k", 2, tenantId="t1")
    result = await call(backend, "mutable:deleteKey", {"namespace": "ns", "key": "k", "tenantId": "t1"})
    assert result == {"deleted": True, "namespace": "ns", "key": "k"}
    assert (await get(backend, "k"))["value"] == 1
    with pytest.raises(FunctionError) as err:
        await call(backend, "mutable:deleteKey", {"namespace": "ns", "key": "k", "tenantId": "t1"})
    assert err.value.code == "MUTABLE_KEY_NOT_FOUND"
    await call(backend, "mutable:deleteKey", {"namespace": "ns", "key": "k"})
    assert await count(backend) == 0
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "mutable:deleteKey", {"namespace": "ns"})
    assert err.value.field == "key"


# -- purgeNamespace ----------------------------------------------------------------------------
async def seed_namespace(backend):
    await put(backend, "b", 1)
    await put(backend, "a", 2, tenantId="t1")
    await put(backend, "c", 3, tenantId="t2")
    await put(backend, "z", 4, namespace="other")


async def test_purge_namespace_dry_run_then_real(backend):
    await seed_namespace(backend)
    dry = await call(backend, "mutable:purgeNamespace", {"namespace": "ns", "dryRun": True})
    assert dry == {"deleted": 3, "namespace": "ns", "keys": ["b", "a", "c"], "dryRun": True}
    assert await count(backend) == 3
    real = await call(backend, "mutable:purgeNamespace", {"namespace": "ns", "dryRun": False})
    assert real == {"deleted": 3, "namespace": "ns", "dryRun": False}
    assert await count(backend) == 0 and await count(backend, namespace="other") == 1
    again = await call(backend, "mutable:purgeNamespace", {"namespace": "ns"})
    assert again == {"deleted": 0, "namespace": "ns", "dryRun": False}


async def test_purge_namespace_tenant_scope(backend):
    await seed_namespace(backend)
    dry = await call(backend, "mutable:purgeNamespace", {"namespace": "ns", "tenantId": "t1", "dryRun": True})
    assert dry["keys"] == ["a"]
    result = await call(backend, "mutable:purgeNamespace", {"namespace": "ns", "tenantId": "t1"})
    assert result == {"deleted": 1, "namespace": "ns", "dryRun": False}
    assert await count(backend) == 2
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "mutable:purgeNamespace", {"namespace": "ns", "dryRun": 1})
    assert err.value.field == "dryRun"
    assert await count(backend) == 2


# -- transaction -------------------------------------------------------------------------------
async def test_transaction_runs_all_operations(backend):
    await put(backend, "existing", 5, userId="u", metadata={"m": 1})
    await put(backend, "gone", 1)
    result = await call(
        backend,
        "mutable:transaction",
        {
            "operations": [
                {"op": "set", "namespace": "ns", "key": "new", "value": 1},
                {"op": "increment", "namespace": "ns", "key": "new", "amount": 4},
                {"op": "set", "namespace": "ns", "key": "existing", "value": 6},
                {"op": "decrement", "namespace": "ns", "key": "existing"},
                {"op": "update", "namespace": "ns", "key": "existing", "value": "text"},
                {"op": "delete", "namespace": "ns", "key": "gone"},
            ]
        },
    )
    assert result["success"] is True and result["operationsExecuted"] == 6
    r = result["results"]
    assert [x.get("value") for x in r[:5]] == [1, 5, 6, 5, "text"]
    assert set(r[0]) == DOC_KEYS  # set-insert stores no userId / metadata
    assert r[2]["userId"] == "u" and r[2]["metadata"] == {"m": 1}
    assert r[5] == {"deleted": True, "namespace": "ns", "key": "gone"}
    assert len({x["updatedAt"] for x in r[:5]}) == 1  # one frozen `now` per call
    assert (await get(backend, "new"))["value"] == 5
    assert await get(backend, "gone") is None


async def test_transaction_empty_and_amount_zero(backend):
    assert await call(backend, "mutable:transaction", {"operations": []}) == {
        "success": True,
        "operationsExecuted": 0,
        "results": [],
    }
    await put(backend, "c", 2)
    result = await call(
        backend,
        "mutable:transaction",
        {"operations": [{"op": "increment", "namespace": "ns", "key": "c", "amount": 0}]},
    )
    assert result["results"][0]["value"] == 2  # deviation: upstream `amount || 1` added 1


@pytest.mark.parametrize("op", ["update", "increment", "decrement", "delete"])
async def test_transaction_missing_key_rolls_back_everything(backend, op):
    await put(backend, "k", 1)
    with pytest.raises(FunctionError) as err:
        await call(
            backend,
            "mutable:transaction",
            {
                "operations": [
                    {"op": "set", "namespace": "ns", "key": "k", "value": 100},
                    {"op": "set", "namespace": "ns", "key": "fresh", "value": 1},
                    {"op": op, "namespace": "ns", "key": "ghost", "value": 1},
                ]
            },
        )
    assert err.value.code == "MUTABLE_KEY_NOT_FOUND: ns/ghost"
    assert (await get(backend, "k"))["value"] == 1
    assert await get(backend, "fresh") is None


async def test_transaction_tenant_scope_and_missing_value(backend):
    await put(backend, "k", "global")
    result = await call(
        backend,
        "mutable:transaction",
        {"tenantId": "t1", "operations": [{"op": "set", "namespace": "ns", "key": "k", "value": "t"}]},
    )
    assert result["results"][0]["tenantId"] == "t1"
    assert (await get(backend, "k"))["value"] == "global"
    with pytest.raises(FunctionError) as err:  # set without value fails the schema
        await call(
            backend,
            "mutable:transaction",
            {
                "operations": [
                    {"op": "delete", "namespace": "ns", "key": "k"},
                    {"op": "set", "namespace": "ns", "key": "n"},
                ]
            },
        )
    assert "does not match the schema" in err.value.message
    assert (await get(backend, "k"))["value"] == "global"


@pytest.mark.parametrize(
    "op, field",
    [
        ({"op": "set", "namespace": "ns", "key": "k", "value": 1, "extra": 1}, "operations[0].extra"),
        ({"op": "Set", "namespace": "ns", "key": "k", "value": 1}, "operations[0].op"),
        ({"op": "increment", "namespace": "ns", "key": "k", "amount": True}, "operations[0].amount"),
        ({"op": "increment", "namespace": "ns", "key": "k", "amount": None}, "operations[0].amount"),
        ({"op": "delete", "namespace": "ns"}, "operations[0].key"),
    ],
)
async def test_transaction_validation(backend, op, field):
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "mutable:transaction", {"operations": [op]})
    assert err.value.field == field
    assert await count(backend) == 0


# -- purgeMany -------------------------------------------------------------------------------
async def test_purge_many_filters(backend):
    await put(backend, "user:1", 1, userId="u1")
    await put(backend, "user:2", 1, userId="u2")
    tick()
    mid = await put(backend, "user:3", 1, userId="u1")
    tick()
    await put(backend, "other", 1, userId="u1")
    await put(backend, "user:4", 1, userId="u1", tenantId="t1")
    filters = {"keyPrefix": "user:", "userId": "u1", "updatedBefore": mid["updatedAt"]}
    result = await call(backend, "mutable:purgeMany", {"namespace": "ns", **filters})
    assert result == {"deleted": 1, "namespace": "ns", "keys": ["user:1"]}
    result = await call(backend, "mutable:purgeMany", {"namespace": "ns", "keyPrefix": "user:", "tenantId": "t1"})
    assert result == {"deleted": 1, "namespace": "ns", "keys": ["user:4"]}
    result = await call(backend, "mutable:purgeMany", {"namespace": "ns", "keyPrefix": "", "userId": ""})
    assert result == {"deleted": 3, "namespace": "ns", "keys": ["user:2", "user:3", "other"]}
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "mutable:purgeMany", {"namespace": "ns", "updatedAfter": 1})
    assert err.value.field == "updatedAfter"


# -- get / exists ----------------------------------------------------------------------------
async def test_get_and_exists(backend):
    assert await get(backend, "k") is None
    assert await call(backend, "mutable:exists", {"namespace": "ns", "key": "k"}) is False
    doc = await put(backend, "k", 0)
    assert await get(backend, "k") == doc
    assert await call(backend, "mutable:exists", {"namespace": "ns", "key": "k"}) is True
    assert await call(backend, "mutable:exists", {"namespace": "other", "key": "k"}) is False
    assert await call(backend, "mutable:exists", {"namespace": "ns", "key": "k", "tenantId": "t"}) is False
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "mutable:get", {"namespace": "ns", "key": "k", "value": 1})
    assert err.value.field == "value"


# -- list / count ----------------------------------------------------------------------------
async def keys(backend, **args):
    return [d["key"] for d in await call(backend, "mutable:list", {"namespace": "ns", **args})]


async def test_list_sorts_by_key_locale_aware(backend):
    for k in ["cherry", "Banana", "apple", "_x", "10", "9", "Apple", "éclair", "zebra"]:
        await put(backend, k, 1)
    assert await keys(backend) == ["_x", "10", "9", "apple", "Apple", "Banana", "cherry", "éclair", "zebra"]
    descending = ["zebra", "éclair", "cherry", "Banana", "Apple", "apple", "9", "10", "_x"]
    assert await keys(backend, sortOrder="desc") == descending
    assert await keys(backend, sortBy="key", sortOrder="ASC") == await keys(backend)


async def test_list_sort_by_updated_and_insertion_order(backend):
    await put(backend, "b", 1)
    tick()
    await put(backend, "a", 1)
    tick()
    await put(backend, "c", 1)
    tick()
    await put(backend, "b", 2)  # now the most recently updated
    assert await keys(backend, sortBy="updatedAt") == ["a", "c", "b"]
    assert await keys(backend, sortBy="updatedAt", sortOrder="desc") == ["b", "c", "a"]
    assert await keys(backend, sortBy="createdAt") == ["b", "a", "c"]  # unknown: no reordering
    assert await keys(backend, sortBy="none", sortOrder="desc") == ["b", "a", "c"]


async def test_list_filters_limit_offset_and_tenants(backend):
    first = await put(backend, "p:1", 1, userId="u1")
    tick()
    await put(backend, "p:2", 1, userId="u2")
    tick()
    last = await put(backend, "q:1", 1, userId="u1", tenantId="t1")
    await put(backend, "p:9", 1, namespace="other")
    assert await keys(backend) == ["p:1", "p:2", "q:1"]  # no tenantId: every tenant
    assert await keys(backend, tenantId="t1") == ["q:1"]
    assert await keys(backend, keyPrefix="p:") == ["p:1", "p:2"]
    assert await keys(backend, keyPrefix="", userId="") == ["p:1", "p:2", "q:1"]  # falsy: no filter
    assert await keys(backend, userId="u1") == ["p:1", "q:1"]
    assert await keys(backend, updatedAfter=first["updatedAt"]) == ["p:2", "q:1"]
    assert await keys(backend, updatedBefore=last["updatedAt"]) == ["p:1", "p:2"]
    assert await keys(backend, updatedAfter=0) == ["p:1", "p:2", "q:1"]
    assert await keys(backend, limit=2) == ["p:1", "p:2"]
    assert await keys(backend, limit=2, offset=1) == ["p:2", "q:1"]
    assert await keys(backend, limit=0, offset=0) == ["p:1", "p:2", "q:1"]  # 0 means default 100
    assert await keys(backend, offset=5) == []
    assert await count(backend) == 3
    assert await count(backend, tenantId="t1") == 1
    assert await count(backend, keyPrefix="p:", userId="u1") == 1
    assert await count(backend, updatedAfter=first["updatedAt"], updatedBefore=last["updatedAt"]) == 1
    assert await count(backend, namespace="nothing") == 0


async def test_list_default_limit_is_100(backend):
    await call(
        backend,
        "mutable:transaction",
        {"operations": [{"op": "set", "namespace": "ns", "key": f"k{i:03d}", "value": i} for i in range(105)]},
    )
    assert len(await keys(backend)) == 100
    assert len(await keys(backend, limit=200)) == 105
    assert await count(backend) == 105


@pytest.mark.parametrize(
    "path, args, field",
    [
        ("mutable:list", {"namespace": "ns", "limit": True}, "limit"),
        ("mutable:list", {"namespace": "ns", "limit": None}, "limit"),
        ("mutable:list", {"namespace": "ns", "sortBy": 1}, "sortBy"),
        ("mutable:list", {"namespace": "ns", "cursor": "x"}, "cursor"),
        ("mutable:list", {}, "namespace"),
        ("mutable:count", {"namespace": "ns", "limit": 5}, "limit"),
        ("mutable:count", {"namespace": "ns", "updatedAfter": "1"}, "updatedAfter"),
    ],
)
async def test_list_count_validation(backend, path, args, field):
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, path, args)
    assert err.value.field == field


# -- purgeAll --------------------------------------------------------------------------------
async def test_purge_all(backend):
    await seed_namespace(backend)
    await put(backend, "x", 1, namespace="other", tenantId="t1")
    assert await call(backend, "mutable:purgeAll", {"tenantId": "t1"}) == {"deleted": 2}
    assert await count(backend) == 2 and await count(backend, namespace="other") == 1
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "mutable:purgeAll", {"namespace": "ns"})
    assert err.value.field == "namespace"
    assert await call(backend, "mutable:purgeAll", {}) == {"deleted": 3}
    assert await count(backend) == 0 and await count(backend, namespace="other") == 0
