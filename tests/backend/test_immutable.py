"""immutable:* against spec/backend/immutable.md."""

import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.errors import ArgumentValidationError, FunctionError
from tests.helpers import tick

pytestmark = pytest.mark.anyio


async def store(backend, type_, id_, data, **extra):
    return await call(backend, "immutable:store", {"type": type_, "id": id_, "data": data, **extra})


async def get(backend, type_, id_, **extra):
    return await call(backend, "immutable:get", {"type": type_, "id": id_, **extra})


async def count(backend, **args):
    return await call(backend, "immutable:count", args)



# -- store -----------------------------------------------------------------------------------


async def test_store_creates_version_one(backend):
    doc = await store(backend, "kb", "a1", {"title": "T"}, userId="u1", tenantId="t1", metadata=None)
    assert doc["type"] == "kb" and doc["id"] == "a1" and doc["data"] == {"title": "T"}
    assert doc["userId"] == "u1" and doc["tenantId"] == "t1" and doc["metadata"] is None
    assert doc["version"] == 1 and doc["previousVersions"] == [] and doc["createdAt"] == doc["updatedAt"]
    assert isinstance(doc["_id"], str) and isinstance(doc["_creationTime"], (int, float))
    bare = await store(backend, "kb", "a2", None)
    assert bare["data"] is None
    assert "userId" not in bare and "tenantId" not in bare and "metadata" not in bare


async def test_store_versions_and_metadata_rules(backend):
    v1 = await store(backend, "kb", "a", {"n": 1}, userId="u1", metadata={"m": 1})
    tick()
    v2 = await store(backend, "kb", "a", {"n": 2}, userId="other")
    assert v2["_id"] == v1["_id"] and v2["version"] == 2 and v2["data"] == {"n": 2}
    entry = {"version": 1, "data": {"n": 1}, "timestamp": v1["updatedAt"], "metadata": {"m": 1}}
    assert v2["previousVersions"] == [entry]
    assert v2["metadata"] == {"m": 1}  # omitted metadata keeps the old value
    assert v2["userId"] == "u1" and v2["createdAt"] == v1["createdAt"] and v2["updatedAt"] > v1["updatedAt"]
    v3 = await store(backend, "kb", "a", {"n": 2}, metadata=0)  # identical data still versions; falsy keeps old
    assert v3["version"] == 3 and v3["metadata"] == {"m": 1}
    v4 = await store(backend, "kb", "a", "text", metadata={"m": 4})
    assert v4["metadata"] == {"m": 4} and [p["version"] for p in v4["previousVersions"]] == [1, 2, 3]
    assert v4["previousVersions"][2]["timestamp"] == v3["updatedAt"]
    # no metadata ever: stays absent, previous entries carry no metadata key
    await store(backend, "kb", "b", 1)
    b2 = await store(backend, "kb", "b", 2, metadata=None)
    assert "metadata" not in b2 and b2["previousVersions"] == [{"version": 1, "data": 1, "timestamp": b2["createdAt"]}]
    assert await count(backend) == 2


async def test_store_tenant_scoping(backend):
    g = await store(backend, "kb", "a", "global")
    t = await store(backend, "kb", "a", "tenant", tenantId="t1")
    assert t["_id"] != g["_id"] and t["version"] == 1
    t2 = await store(backend, "kb", "a", "tenant v2", tenantId="t1")
    assert t2["_id"] == t["_id"] and t2["version"] == 2
    assert (await get(backend, "kb", "a"))["data"] == "global"
    assert (await get(backend, "kb", "a", tenantId="t1"))["data"] == "tenant v2"
    assert (await get(backend, "kb", "a", tenantId=""))["data"] == "global"
    assert await get(backend, "kb", "a", tenantId="t2") is None


async def test_store_global_after_tenant_row_versions_correctly(backend):
    """Deviation: upstream re-inserts v1 forever here and `get` returns null (docs/parity.md)."""
    await store(backend, "kb", "a", "tenant", tenantId="t1")
    g1 = await store(backend, "kb", "a", "global 1")
    g2 = await store(backend, "kb", "a", "global 2")
    assert g2["_id"] == g1["_id"] and g2["version"] == 2
    assert (await get(backend, "kb", "a"))["data"] == "global 2"
    assert await count(backend) == 2
    purged = await call(backend, "immutable:purge", {"type": "kb", "id": "a"})
    assert purged["versionsDeleted"] == 2
    assert (await get(backend, "kb", "a", tenantId="t1"))["data"] == "tenant"


async def test_store_validation_writes_nothing(backend):
    cases = [
        ({"type": "kb", "id": "a"}, "data"),
        ({"type": "kb", "id": "a", "data": 1, "userId": None}, "userId"),
        ({"type": "kb", "id": "a", "data": 1, "tenantId": None}, "tenantId"),
        ({"type": "kb", "id": 1, "data": 1}, "id"),
        ({"type": "kb", "id": "a", "data": 1, "version": 3}, "version"),
        ({"type": None, "id": "a", "data": 1}, "type"),
    ]
    for args, field in cases:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "immutable:store", args)
        assert err.value.field == field
    assert await count(backend) == 0


# -- get / getVersion / getHistory / getAtTimestamp ------------------------------------------


async def versioned(backend, n=3, **extra):
    docs = []
    for i in range(1, n + 1):
        docs.append(await store(backend, "policy", "p", {"v": i}, metadata={"rev": i}, userId="u1", **extra))
        tick()
    return docs


async def test_get_and_get_version(backend):
    docs = await versioned(backend)
    assert (await get(backend, "policy", "p")) == docs[-1]
    assert await get(backend, "policy", "missing") is None
    gv = lambda version, **a: call(  # noqa: E731
        backend, "immutable:getVersion", {"type": "policy", "id": "p", "version": version, **a}
    )
    current = await gv(3)
    assert current == {"type": "policy", "id": "p", "version": 3, "data": {"v": 3}, "userId": "u1",
                       "metadata": {"rev": 3}, "timestamp": docs[2]["updatedAt"], "createdAt": docs[0]["createdAt"]}
    old = await gv(1)
    assert old == {"type": "policy", "id": "p", "version": 1, "data": {"v": 1}, "userId": "u1",
                   "metadata": {"rev": 1}, "timestamp": docs[0]["updatedAt"], "createdAt": docs[0]["createdAt"]}
    assert await gv(4) is None and await gv(0) is None
    assert await gv(1, tenantId="t1") is None
    assert await call(backend, "immutable:getVersion", {"type": "x", "id": "y", "version": 1}) is None
    with pytest.raises(ArgumentValidationError) as err:
        await gv(True)
    assert err.value.field == "version"


async def test_get_history(backend):
    docs = await versioned(backend)
    history = await call(backend, "immutable:getHistory", {"type": "policy", "id": "p"})
    assert [h["version"] for h in history] == [1, 2, 3]
    assert [h["timestamp"] for h in history] == [d["updatedAt"] for d in docs]
    assert all(h["createdAt"] == docs[0]["createdAt"] and h["userId"] == "u1" for h in history)
    assert history[1]["metadata"] == {"rev": 2} and history[1]["data"] == {"v": 2}
    assert await call(backend, "immutable:getHistory", {"type": "policy", "id": "none"}) == []
    # resolveAny: a tenant's row is found without any tenant argument
    await store(backend, "t-only", "x", 1, tenantId="t1")
    assert len(await call(backend, "immutable:getHistory", {"type": "t-only", "id": "x"})) == 1
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "immutable:getHistory", {"type": "policy", "id": "p", "tenantId": "t1"})
    assert err.value.field == "tenantId"


async def test_get_at_timestamp(backend):
    docs = await versioned(backend)
    def at(ts):
        return call(backend, "immutable:getAtTimestamp", {"type": "policy", "id": "p", "timestamp": ts})

    assert (await at(docs[2]["updatedAt"]))["version"] == 3
    assert (await at(docs[2]["updatedAt"] + 10_000))["version"] == 3
    assert (await at(docs[2]["updatedAt"] - 1))["version"] == 2
    assert (await at(docs[1]["updatedAt"]))["version"] == 2
    assert (await at(docs[0]["updatedAt"]))["version"] == 1
    view = await at(docs[1]["updatedAt"] - 1)
    assert view["version"] == 1 and view["metadata"] == {"rev": 1} and view["timestamp"] == docs[0]["updatedAt"]
    assert await at(docs[0]["createdAt"] - 1) is None
    assert await call(backend, "immutable:getAtTimestamp", {"type": "x", "id": "y", "timestamp": 0}) is None
    # after purging early versions, a time before the oldest kept version returns the oldest kept one
    await call(backend, "immutable:purgeVersions", {"type": "policy", "id": "p", "keepLatest": 2})
    assert (await at(docs[0]["updatedAt"]))["version"] == 2
    await call(backend, "immutable:purgeVersions", {"type": "policy", "id": "p", "keepLatest": 1})
    assert await at(docs[0]["updatedAt"]) is None


# -- list / count / search -------------------------------------------------------------------


async def seed(backend):
    a = await store(backend, "kb", "a", {"title": "Alpha"}, userId="u1")
    tick()
    b = await store(backend, "kb", "b", {"title": "Beta"}, userId="u2", tenantId="t1")
    tick()
    c = await store(backend, "policy", "c", {"title": "Gamma"}, userId="u1")
    tick()
    a2 = await store(backend, "kb", "a", {"title": "Alpha 2"})  # a is now the most recently updated
    return a, b, c, a2


async def test_list_filters_sort_and_paging(backend):
    a, b, c, _ = await seed(backend)
    lst = lambda **args: call(backend, "immutable:list", args)  # noqa: E731
    ids = lambda r: [e["id"] for e in r["entries"]]  # noqa: E731
    everything = await lst()
    assert ids(everything) == ["c", "b", "a"] and everything["total"] == 3
    assert everything["limit"] == 50 and everything["offset"] == 0 and everything["hasMore"] is False
    assert ids(await lst(sortOrder="asc")) == ["a", "b", "c"]
    assert ids(await lst(sortOrder="DESC")) == ["a", "b", "c"]  # only exact "desc" is descending
    assert ids(await lst(sortOrder="")) == ["c", "b", "a"]
    assert ids(await lst(sortBy="updatedAt")) == ["a", "c", "b"]
    assert ids(await lst(sortBy="name")) == ["c", "b", "a"]
    assert ids(await lst(type="kb")) == ["b", "a"]
    assert ids(await lst(userId="u1")) == ["c", "a"]
    assert ids(await lst(tenantId="t1")) == ["b"]
    assert ids(await lst(tenantId="t1", type="policy")) == []
    assert ids(await lst(type="", userId="", tenantId="")) == ["c", "b", "a"]
    assert ids(await lst(createdAfter=a["createdAt"], createdBefore=c["createdAt"])) == ["b"]
    assert ids(await lst(updatedAfter=c["updatedAt"])) == ["a"]
    assert ids(await lst(updatedBefore=b["updatedAt"])) == []
    assert ids(await lst(createdAfter=0)) == ["c", "b", "a"]
    page = await lst(limit=1, offset=1)
    assert ids(page) == ["b"] and page["total"] == 3 and page["hasMore"] is True
    assert page["limit"] == 1 and page["offset"] == 1
    page = await lst(limit=2, offset=1)
    assert ids(page) == ["b", "a"] and page["hasMore"] is False
    page = await lst(limit=0, offset=0)
    assert page["limit"] == 50 and len(page["entries"]) == 3
    for bad, field in [({"limit": True}, "limit"), ({"sortBy": None}, "sortBy"), ({"id": "a"}, "id")]:
        with pytest.raises(ArgumentValidationError) as err:
            await lst(**bad)
        assert err.value.field == field


async def test_count(backend):
    a, b, c, _ = await seed(backend)
    assert await count(backend) == 3
    assert await count(backend, type="kb") == 2
    assert await count(backend, userId="u1") == 2
    assert await count(backend, type="kb", userId="u1") == 1
    assert await count(backend, userId="u2") == 1  # tenant rows included
    assert await count(backend, createdAfter=a["createdAt"]) == 2
    assert await count(backend, createdBefore=b["createdAt"], type="") == 1
    assert await count(backend, updatedAfter=c["updatedAt"]) == 1
    assert await count(backend, updatedBefore=c["updatedAt"]) == 1
    with pytest.raises(ArgumentValidationError) as err:
        await count(backend, tenantId="t1")
    assert err.value.field == "tenantId"


async def test_search(backend):
    await seed(backend)
    await store(backend, "note", "s", "Plain ALPHA string")
    await store(backend, "note", "arr", ["xx alpha yy", 5, "no", "alpha again", "alpha 3", "alpha 4"])
    search = lambda q, **a: call(backend, "immutable:search", {"query": q, **a})  # noqa: E731
    hits = await search("ALPHA")
    assert [h["entry"]["id"] for h in hits] == ["a", "s", "arr"]
    assert all(h["score"] == 1 for h in hits)
    assert hits[0]["entry"]["data"] == {"title": "Alpha 2"} and hits[0]["highlights"] == ["Alpha 2"]
    assert hits[1]["highlights"] == []  # string data: no highlights
    assert hits[2]["highlights"] == ["xx alpha yy", "alpha again", "alpha 3"]
    assert [h["entry"]["id"] for h in await search("title")] == ["a", "b", "c"]  # keys are searchable
    assert [h["entry"]["id"] for h in await search('"plain')] == ["s"]  # quotes of a string data
    assert [h["entry"]["id"] for h in await search('{"title":"beta"}')] == ["b"]
    assert [h["entry"]["id"] for h in await search("alpha", type="note")] == ["s", "arr"]
    assert [h["entry"]["id"] for h in await search("a", userId="u1")] == ["a", "c"]
    assert [h["entry"]["id"] for h in await search("alpha", limit=1)] == ["a"]
    assert await search("alpha 1") == []  # only the current version is searched
    long_value = "z" * 40 + "needle" + "y" * 40
    await store(backend, "doc", "long", {"body": long_value})
    assert (await search("NEEDLE"))[0]["highlights"] == ["z" * 30 + "needle" + "y" * 30]
    with pytest.raises(ArgumentValidationError) as err:
        await search("x", tenantId="t1")
    assert err.value.field == "tenantId"


# -- purges ----------------------------------------------------------------------------------


async def test_purge(backend):
    await versioned(backend)
    await store(backend, "policy", "p", "tenant copy", tenantId="t1")
    with pytest.raises(FunctionError) as err:
        await call(backend, "immutable:purge", {"type": "policy", "id": "p", "tenantId": "t2"})
    assert err.value.code == "IMMUTABLE_ENTRY_NOT_FOUND"
    result = await call(backend, "immutable:purge", {"type": "policy", "id": "p"})
    assert result == {"deleted": True, "type": "policy", "id": "p", "versionsDeleted": 3}
    assert await get(backend, "policy", "p") is None
    assert (await get(backend, "policy", "p", tenantId="t1"))["data"] == "tenant copy"
    with pytest.raises(FunctionError) as err:
        await call(backend, "immutable:purge", {"type": "policy", "id": "p"})
    assert err.value.code == "IMMUTABLE_ENTRY_NOT_FOUND"
    assert await count(backend) == 1


async def test_purge_many(backend):
    await seed(backend)
    result = await call(backend, "immutable:purgeMany", {"userId": "u1", "type": "kb"})
    assert result == {"deleted": 1, "totalVersionsDeleted": 2, "entries": [{"type": "kb", "id": "a"}]}
    await store(backend, "kb", "d", 1, userId="u1")
    result = await call(backend, "immutable:purgeMany", {"userId": "u1", "type": ""})
    assert result == {"deleted": 2, "totalVersionsDeleted": 2,
                      "entries": [{"type": "policy", "id": "c"}, {"type": "kb", "id": "d"}]}
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "immutable:purgeMany", {"tenantId": "t1"})
    assert err.value.field == "tenantId"
    assert await call(backend, "immutable:purgeMany", {}) == {
        "deleted": 1, "totalVersionsDeleted": 1, "entries": [{"type": "kb", "id": "b"}]}
    assert await count(backend) == 0


async def test_purge_versions(backend):
    docs = await versioned(backend, n=5)
    def pv(keep):
        return call(backend, "immutable:purgeVersions", {"type": "policy", "id": "p", "keepLatest": keep})

    assert await pv(5) == {"versionsPurged": 0, "versionsRemaining": 5}
    assert await pv(9) == {"versionsPurged": 0, "versionsRemaining": 5}
    assert await pv(3) == {"versionsPurged": 2, "versionsRemaining": 3}
    doc = await get(backend, "policy", "p")
    assert [p["version"] for p in doc["previousVersions"]] == [3, 4]
    assert doc["version"] == 5 and doc["updatedAt"] == docs[-1]["updatedAt"]
    history = await call(backend, "immutable:getHistory", {"type": "policy", "id": "p"})
    assert [h["version"] for h in history] == [3, 4, 5]
    # Deviation: keepLatest 0 reports what really happened (the current version always stays)
    assert await pv(0) == {"versionsPurged": 2, "versionsRemaining": 1}
    doc = await get(backend, "policy", "p")
    assert doc["previousVersions"] == [] and doc["version"] == 5
    assert await call(backend, "immutable:getVersion", {"type": "policy", "id": "p", "version": 3}) is None
    result = await call(backend, "immutable:purge", {"type": "policy", "id": "p"})
    assert result["versionsDeleted"] == 5
    with pytest.raises(FunctionError) as err:
        await pv(1)
    assert err.value.code == "IMMUTABLE_ENTRY_NOT_FOUND"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "immutable:purgeVersions", {"type": "policy", "id": "p"})
    assert err.value.field == "keepLatest"


async def test_purge_all(backend):
    await seed(backend)
    await store(backend, "user", "u1", {"name": "Ada"})
    with pytest.raises(ArgumentValidationError):
        await call(backend, "immutable:purgeAll", {"type": "kb"})
    assert await count(backend) == 4
    assert await call(backend, "immutable:purgeAll", {}) == {"deleted": 4}
    assert await count(backend) == 0
    assert await call(backend, "immutable:purgeAll", {}) == {"deleted": 0}
