"""memorySpaces:* against spec/backend/memorySpaces.md."""


import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.clock import now_ms
from cortex_mcp.errors import ArgumentValidationError, FunctionError

pytestmark = pytest.mark.anyio

DAY = 86_400_000


async def register(backend, space_id, type_="team", **extra):
    return await call(backend, "memorySpaces:register", {"memorySpaceId": space_id, "type": type_, **extra})


def participant(pid, type_="ai-agent", joined=1):
    return {"id": pid, "type": type_, "joinedAt": joined}


async def get(backend, space_id, **extra):
    return await call(backend, "memorySpaces:get", {"memorySpaceId": space_id, **extra})


async def add_p(backend, space_id, person):
    return await call(backend, "memorySpaces:addParticipant", {"memorySpaceId": space_id, "participant": person})


async def delete(backend, args):
    return await call(backend, "memorySpaces:deleteSpace", args)


async def count(backend, **extra):
    return await call(backend, "memorySpaces:count", extra)


async def ids_of_list(backend, **args):
    return [s["memorySpaceId"] for s in (await call(backend, "memorySpaces:list", args))["spaces"]]


# -- seeding other tables (their own modules are tested elsewhere) ---------------------------------


def seed(backend, table, docs):
    """Insert raw documents into another module's table through the embedded store."""
    store = getattr(backend, "store", None)
    if store is None:
        pytest.skip("needs direct store access to seed other tables")
    return store.run(True, lambda tx: [tx.insert(table, d) for d in docs])


def memory(space, n, *, importance=50, tags=(), participant_id=None, created=None, updated=None, tenant=None):
    now = now_ms()
    doc = {
        "memoryId": f"mem-{space}-{n}",
        "memorySpaceId": space,
        "content": f"content {n}",
        "contentType": "raw",
        "sourceType": "system",
        "sourceTimestamp": now,
        "importance": importance,
        "tags": list(tags),
        "version": 1,
        "previousVersions": [],
        "createdAt": created if created is not None else now,
        "updatedAt": updated if updated is not None else (created if created is not None else now),
        "accessCount": 0,
    }
    if participant_id is not None:
        doc["participantId"] = participant_id
    if tenant is not None:
        doc["tenantId"] = tenant
    return doc


def conversation(space, n, *, messages=0, participant_id=None, created=None, tenant=None):
    now = now_ms()
    doc = {
        "conversationId": f"conv-{space}-{n}",
        "memorySpaceId": space,
        "type": "user-agent",
        "participants": {},
        "messages": [],
        "messageCount": messages,
        "createdAt": created if created is not None else now,
        "updatedAt": created if created is not None else now,
    }
    if participant_id is not None:
        doc["participantId"] = participant_id
    if tenant is not None:
        doc["tenantId"] = tenant
    return doc


def fact(space, n, *, participant_id=None, superseded=False, tenant=None):
    now = now_ms()
    doc = {
        "factId": f"fact-{space}-{n}",
        "memorySpaceId": space,
        "fact": f"fact {n}",
        "factType": "knowledge",
        "confidence": 90,
        "sourceType": "manual",
        "tags": [],
        "version": 1,
        "createdAt": now,
        "updatedAt": now,
    }
    if participant_id is not None:
        doc["participantId"] = participant_id
    if superseded:
        doc["supersededBy"] = "fact-newer"
    if tenant is not None:
        doc["tenantId"] = tenant
    return doc


def table_size(backend, table):
    return backend.store.run(False, lambda tx: tx.query(table).count())


# -- register ------------------------------------------------------------------------------------


async def test_register_returns_document_with_defaults(backend):
    doc = await register(backend, "s1", "personal")
    assert doc["memorySpaceId"] == "s1" and doc["type"] == "personal"
    assert doc["participants"] == [] and doc["metadata"] == {} and doc["status"] == "active"
    assert doc["createdAt"] == doc["updatedAt"] and isinstance(doc["createdAt"], int)
    assert isinstance(doc["_id"], str) and isinstance(doc["_creationTime"], (int, float))
    assert "name" not in doc and "tenantId" not in doc


async def test_register_stores_given_fields_as_given(backend):
    people = [participant("a"), participant("a", "human", 5)]  # no de-duplication
    doc = await register(backend, "s1", "custom", name="Space", tenantId="", participants=people, metadata={"k": 1})
    assert doc["name"] == "Space" and doc["tenantId"] == "" and doc["participants"] == people
    assert doc["metadata"] == {"k": 1}
    assert await get(backend, "s1") == doc  # "" tenant is the global scope


async def test_register_falsy_metadata_stores_empty_object(backend):
    for i, falsy in enumerate([None, 0, "", False]):
        assert (await register(backend, f"s{i}", metadata=falsy))["metadata"] == {}
    assert (await register(backend, "kept", metadata=[]))["metadata"] == []  # truthy: stored as given


async def test_register_duplicate_is_refused_per_scope(backend):
    await register(backend, "s1")
    with pytest.raises(FunctionError) as err:
        await register(backend, "s1")
    assert err.value.code == "MEMORYSPACE_ALREADY_EXISTS"
    with pytest.raises(FunctionError) as err:
        await register(backend, "s1", tenantId="")  # "" is global too
    assert err.value.code == "MEMORYSPACE_ALREADY_EXISTS"
    await register(backend, "s1", tenantId="t1")  # same id, other tenant: allowed
    with pytest.raises(FunctionError) as err:
        await register(backend, "s1", tenantId="t1")
    assert err.value.code == "MEMORYSPACE_ALREADY_EXISTS"
    await register(backend, "s1", tenantId="t2")
    assert await count(backend) == 3


async def test_register_global_after_tenant_row_then_no_second_global(backend):
    """Deviation: a global row registered after a tenant row is found (upstream hides it)."""
    await register(backend, "s1", tenantId="t1")
    glob = await register(backend, "s1", name="global")
    assert (await get(backend, "s1"))["_id"] == glob["_id"]
    with pytest.raises(FunctionError) as err:
        await register(backend, "s1")
    assert err.value.code == "MEMORYSPACE_ALREADY_EXISTS"
    assert await count(backend) == 2


REGISTER_INVALID = [
    ({"memorySpaceId": "s", "type": "team", "name": None}, "name"),
    ({"memorySpaceId": "s", "type": "team", "tenantId": None}, "tenantId"),
    ({"memorySpaceId": "s", "type": "team", "participants": None}, "participants"),
    ({"memorySpaceId": "s"}, "type"),
    ({"memorySpaceId": "s", "type": "Team"}, "type"),
    ({"memorySpaceId": "s", "type": "team", "status": "active"}, "status"),
    ({"memorySpaceId": 1, "type": "team"}, "memorySpaceId"),
    ({"memorySpaceId": "s", "type": "team", "participants": [{"id": "a", "type": "x"}]}, "participants[0].joinedAt"),
    (
        {"memorySpaceId": "s", "type": "team", "participants": [{"id": "a", "type": "x", "joinedAt": True}]},
        "participants[0].joinedAt",
    ),
    (
        {"memorySpaceId": "s", "type": "team", "participants": [{**participant("a"), "role": "x"}]},
        "participants[0].role",
    ),
]


async def test_register_validation_names_field_and_writes_nothing(backend):
    for args, field in REGISTER_INVALID:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "memorySpaces:register", args)
        assert err.value.field == field, args
    assert await count(backend) == 0


# -- get -----------------------------------------------------------------------------------------


async def test_get_is_tenant_scoped(backend):
    assert await get(backend, "s1") is None
    tenant_row = await register(backend, "s1", tenantId="t1")
    assert await get(backend, "s1") is None  # a tenant's space is not visible globally
    assert await get(backend, "s1", tenantId="") is None
    assert (await get(backend, "s1", tenantId="t1"))["_id"] == tenant_row["_id"]
    assert await get(backend, "s1", tenantId="t2") is None
    with pytest.raises(ArgumentValidationError) as err:
        await get(backend, "s1", tenantId=None)
    assert err.value.field == "tenantId"


# -- update --------------------------------------------------------------------------------------


async def test_update_replaces_given_fields_only(backend):
    before = await register(backend, "s1", name="old", metadata={"a": 1, "b": 2})
    after = await call(backend, "memorySpaces:update", {"memorySpaceId": "s1", "metadata": {"c": 3}})
    assert after["metadata"] == {"c": 3}  # replaced, not merged
    assert after["name"] == "old" and after["status"] == "active" and after["type"] == "team"
    assert after["createdAt"] == before["createdAt"] and after["updatedAt"] >= before["updatedAt"]
    after = await call(backend, "memorySpaces:update", {"memorySpaceId": "s1", "metadata": None, "status": "archived"})
    assert after["metadata"] is None and after["status"] == "archived"
    assert await get(backend, "s1") == after


async def test_update_keeps_absent_name_absent(backend):
    await register(backend, "s1")
    after = await call(backend, "memorySpaces:update", {"memorySpaceId": "s1", "status": "archived"})
    assert "name" not in after and after["metadata"] == {}


async def test_update_acts_on_oldest_row_whatever_tenant(backend):
    tenant_row = await register(backend, "s1", tenantId="t1")
    await register(backend, "s1")
    after = await call(backend, "memorySpaces:update", {"memorySpaceId": "s1", "name": "n"})
    assert after["_id"] == tenant_row["_id"] and after["tenantId"] == "t1"
    assert "name" not in await get(backend, "s1")


async def test_update_errors_and_validation(backend):
    with pytest.raises(FunctionError) as err:
        await call(backend, "memorySpaces:update", {"memorySpaceId": "ghost", "name": "x"})
    assert err.value.code == "MEMORYSPACE_NOT_FOUND"
    await register(backend, "s1")
    for args, field in [
        ({"memorySpaceId": "s1", "type": "team"}, "type"),
        ({"memorySpaceId": "s1", "participants": []}, "participants"),
        ({"memorySpaceId": "s1", "tenantId": "t"}, "tenantId"),
        ({"memorySpaceId": "s1", "status": "deleted"}, "status"),
        ({"memorySpaceId": "s1", "name": None}, "name"),
    ]:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "memorySpaces:update", args)
        assert err.value.field == field


# -- participants ----------------------------------------------------------------------------------


async def test_add_participant_appends_and_refuses_duplicate(backend):
    await register(backend, "s1", participants=[participant("a")])
    doc = await add_p(backend, "s1", participant("b", "human", 7))
    assert doc["participants"] == [participant("a"), participant("b", "human", 7)]
    with pytest.raises(FunctionError) as err:
        await add_p(backend, "s1", participant("a", "other", 9))
    assert err.value.code == "PARTICIPANT_ALREADY_EXISTS"
    assert (await get(backend, "s1"))["participants"] == doc["participants"]
    with pytest.raises(FunctionError) as err:
        await add_p(backend, "ghost", participant("a"))
    assert err.value.code == "MEMORYSPACE_NOT_FOUND"
    with pytest.raises(ArgumentValidationError) as err:
        await add_p(backend, "s1", {**participant("c"), "x": 1})
    assert err.value.field == "participant.x"
    with pytest.raises(ArgumentValidationError) as err:
        await add_p(backend, "s1", {"id": "c", "type": "t"})
    assert err.value.field == "participant.joinedAt"
    assert len((await get(backend, "s1"))["participants"]) == 2


async def test_remove_participant_removes_all_matches_and_tolerates_missing(backend):
    people = [participant("a"), participant("b"), participant("a", "human"), participant("c")]
    before = await register(backend, "s1", participants=people)
    doc = await call(backend, "memorySpaces:removeParticipant", {"memorySpaceId": "s1", "participantId": "a"})
    assert [p["id"] for p in doc["participants"]] == ["b", "c"]
    doc = await call(backend, "memorySpaces:removeParticipant", {"memorySpaceId": "s1", "participantId": "zz"})
    assert [p["id"] for p in doc["participants"]] == ["b", "c"] and doc["updatedAt"] >= before["updatedAt"]
    with pytest.raises(FunctionError) as err:
        await call(backend, "memorySpaces:removeParticipant", {"memorySpaceId": "ghost", "participantId": "a"})
    assert err.value.code == "MEMORYSPACE_NOT_FOUND"


async def test_update_participants_remove_then_add(backend):
    await register(backend, "s1", participants=[participant("a"), participant("b"), participant("c")])
    doc = await call(
        backend,
        "memorySpaces:updateParticipants",
        {
            "memorySpaceId": "s1",
            "remove": ["a", "ghost"],
            "add": [participant("c", "dup"), participant("d"), participant("d", "dup"), participant("a", "human", 9)],
        },
    )
    assert doc["participants"] == [participant("b"), participant("c"), participant("d"), participant("a", "human", 9)]
    same = await call(backend, "memorySpaces:updateParticipants", {"memorySpaceId": "s1"})
    assert same["participants"] == doc["participants"]
    with pytest.raises(FunctionError) as err:
        await call(backend, "memorySpaces:updateParticipants", {"memorySpaceId": "ghost", "remove": ["a"]})
    assert err.value.code == "MEMORYSPACE_NOT_FOUND"
    for args, field in [
        ({"memorySpaceId": "s1", "add": None}, "add"),
        ({"memorySpaceId": "s1", "remove": [1]}, "remove[0]"),
        ({"memorySpaceId": "s1", "add": [{"id": "z", "type": "t", "joinedAt": 1, "extra": 1}]}, "add[0].extra"),
    ]:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "memorySpaces:updateParticipants", args)
        assert err.value.field == field
    assert (await get(backend, "s1"))["participants"] == doc["participants"]


# -- archive / reactivate ------------------------------------------------------------------------


async def test_archive_merges_metadata_and_stamps(backend):
    await register(backend, "s1", metadata={"keep": 1, "over": "old"})
    doc = await call(
        backend, "memorySpaces:archive", {"memorySpaceId": "s1", "reason": "done", "metadata": {"over": "new", "x": 2}}
    )
    assert doc["status"] == "archived" and doc["updatedAt"] == doc["metadata"]["archivedAt"]
    stamp = doc["updatedAt"]
    assert doc["metadata"] == {"keep": 1, "over": "new", "x": 2, "archivedAt": stamp, "archiveReason": "done"}
    # again without reason: allowed, re-stamps, and the old archiveReason disappears
    again = await call(backend, "memorySpaces:archive", {"memorySpaceId": "s1"})
    assert again["status"] == "archived" and "archiveReason" not in again["metadata"]
    assert again["metadata"]["archivedAt"] == again["updatedAt"] and again["metadata"]["keep"] == 1


async def test_archive_null_metadata_and_reactivate(backend):
    await register(backend, "s1")
    await call(backend, "memorySpaces:update", {"memorySpaceId": "s1", "metadata": None})
    doc = await call(backend, "memorySpaces:archive", {"memorySpaceId": "s1", "reason": "", "metadata": None})
    assert doc["metadata"] == {"archivedAt": doc["updatedAt"], "archiveReason": ""}
    active = await call(backend, "memorySpaces:reactivate", {"memorySpaceId": "s1"})
    assert active["status"] == "active" and active["metadata"] == doc["metadata"]  # metadata untouched
    assert (await call(backend, "memorySpaces:reactivate", {"memorySpaceId": "s1"}))["status"] == "active"


async def test_archive_reactivate_errors(backend):
    for path in ("memorySpaces:archive", "memorySpaces:reactivate"):
        with pytest.raises(FunctionError) as err:
            await call(backend, path, {"memorySpaceId": "ghost"})
        assert err.value.code == "MEMORYSPACE_NOT_FOUND"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "memorySpaces:archive", {"memorySpaceId": "s", "reason": None})
    assert err.value.field == "reason"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "memorySpaces:reactivate", {"memorySpaceId": "s", "status": "active"})
    assert err.value.field == "status"


# -- deleteSpace ---------------------------------------------------------------------------------


async def test_delete_space_without_cascade_keeps_data(backend):
    await register(backend, "s1")
    seed(backend, "memories", [memory("s1", 1)])
    result = await delete(backend, {"memorySpaceId": "s1", "cascade": False, "reason": "r"})
    assert result["deletedAt"] >= 0 and isinstance(result["deletedAt"], int)
    assert result == {
        "memorySpaceId": "s1",
        "deleted": True,
        "cascade": {"conversationsDeleted": 0, "memoriesDeleted": 0, "factsDeleted": 0, "totalBytes": 0},
        "reason": "r",
        "deletedAt": result["deletedAt"],
    }
    assert await get(backend, "s1") is None
    assert table_size(backend, "memories") == 1


async def test_delete_space_cascade_deletes_space_data_only(backend):
    await register(backend, "s1")
    await register(backend, "s2")
    seed(backend, "memories", [memory("s1", 1), memory("s1", 2), memory("s2", 1)])
    seed(backend, "conversations", [conversation("s1", 1), conversation("s2", 1)])
    seed(backend, "facts", [fact("s1", 1), fact("s1", 2, superseded=True), fact("s1", 3), fact("s2", 1)])
    result = await delete(backend, {"memorySpaceId": "s1", "cascade": True, "reason": "gdpr", "confirmId": "s1"})
    assert result["cascade"] == {"conversationsDeleted": 1, "memoriesDeleted": 2, "factsDeleted": 3, "totalBytes": 0}
    assert [table_size(backend, t) for t in ("memories", "conversations", "facts")] == [1, 1, 1]
    assert await get(backend, "s1") is None and await get(backend, "s2") is not None


async def test_delete_space_confirm_mismatch_checked_first_and_writes_nothing(backend):
    await register(backend, "s1")
    seed(backend, "memories", [memory("s1", 1)])
    for confirm in ("other", ""):
        with pytest.raises(FunctionError) as err:
            await call(
                backend,
                "memorySpaces:deleteSpace",
                {"memorySpaceId": "s1", "cascade": True, "reason": "r", "confirmId": confirm},
            )
        assert err.value.code == "CONFIRM_ID_MISMATCH"
    with pytest.raises(FunctionError) as err:  # mismatch wins over not-found
        await delete(backend, {"memorySpaceId": "ghost", "cascade": True, "reason": "r", "confirmId": "x"})
    assert err.value.code == "CONFIRM_ID_MISMATCH"
    assert await get(backend, "s1") is not None and table_size(backend, "memories") == 1


async def test_delete_space_is_tenant_scoped(backend):
    await register(backend, "s1", tenantId="t1")
    with pytest.raises(FunctionError) as err:
        await delete(backend, {"memorySpaceId": "s1", "cascade": False, "reason": "r"})
    assert err.value.code == "MEMORYSPACE_NOT_FOUND"
    with pytest.raises(FunctionError) as err:
        await delete(backend, {"memorySpaceId": "s1", "tenantId": "t2", "cascade": False, "reason": "r"})
    assert err.value.code == "MEMORYSPACE_NOT_FOUND"
    await delete(backend, {"memorySpaceId": "s1", "tenantId": "t1", "cascade": False, "reason": "r"})
    assert await count(backend) == 0


async def test_delete_space_cascade_spares_other_registered_tenant(backend):
    """Deviation: upstream's cascade would also delete t2's and the global space's data."""
    await register(backend, "s1", tenantId="t1")
    await register(backend, "s1", tenantId="t2")
    await register(backend, "s1")
    seed(
        backend,
        "memories",
        [memory("s1", 1, tenant="t1"), memory("s1", 2, tenant="t2"), memory("s1", 3), memory("s1", 4, tenant="t3")],
    )
    seed(backend, "facts", [fact("s1", 1, tenant="t1"), fact("s1", 2, tenant="t2")])
    result = await delete(backend, {"memorySpaceId": "s1", "tenantId": "t1", "cascade": True, "reason": "r"})
    assert result["cascade"]["memoriesDeleted"] == 2  # t1's and the unowned t3 row
    assert result["cascade"]["factsDeleted"] == 1
    left = backend.store.run(False, lambda tx: sorted(m["memoryId"] for m in tx.query("memories").collect()))
    assert left == ["mem-s1-2", "mem-s1-3"]
    assert await count(backend) == 2 and await get(backend, "s1", tenantId="t2") is not None


async def test_delete_space_validation(backend):
    await register(backend, "s1")
    for args, field in [
        ({"memorySpaceId": "s1", "reason": "r"}, "cascade"),
        ({"memorySpaceId": "s1", "cascade": True}, "reason"),
        ({"memorySpaceId": "s1", "cascade": 1, "reason": "r"}, "cascade"),
        ({"memorySpaceId": "s1", "cascade": True, "reason": "r", "confirmId": None}, "confirmId"),
        ({"memorySpaceId": "s1", "cascade": True, "reason": "r", "tenantId": None}, "tenantId"),
    ]:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "memorySpaces:deleteSpace", args)
        assert err.value.field == field
    assert await count(backend) == 1


# -- list / count --------------------------------------------------------------------------------


async def make_listing(backend):
    await register(backend, "a", "team", name="beta", participants=[participant("p1")])
    await register(backend, "b", "personal", name="Alpha", tenantId="t1")
    await register(backend, "c", "team", participants=[participant("p2"), participant("p1")], tenantId="t1")
    await register(backend, "d", "project", name="alpha")
    await call(backend, "memorySpaces:archive", {"memorySpaceId": "c"})


async def test_list_default_order_and_shape(backend):
    await make_listing(backend)
    result = await call(backend, "memorySpaces:list", {})
    assert result["total"] == 4 and result["hasMore"] is False and result["offset"] == 0
    ids = [s["memorySpaceId"] for s in result["spaces"]]
    created = [s["createdAt"] for s in result["spaces"]]
    assert created == sorted(created, reverse=True) and sorted(ids) == ["a", "b", "c", "d"]
    # ties on createdAt keep creation order even when descending
    ties = {}
    for s in result["spaces"]:
        ties.setdefault(s["createdAt"], []).append(s["memorySpaceId"])
    assert all(group == sorted(group) for group in ties.values())
    assert set(result["spaces"][0]) >= {"_id", "_creationTime", "memorySpaceId", "participants", "metadata"}


async def test_list_filters(backend):
    await make_listing(backend)
    assert sorted(await ids_of_list(backend, tenantId="t1")) == ["b", "c"]
    assert sorted(await ids_of_list(backend, tenantId="")) == ["a", "b", "c", "d"]  # "" ⇒ no tenant filter
    assert sorted(await ids_of_list(backend, type="team")) == ["a", "c"]
    assert await ids_of_list(backend, status="archived") == ["c"]
    assert await ids_of_list(backend, tenantId="t1", type="team", status="archived") == ["c"]
    assert await ids_of_list(backend, tenantId="t1", status="active") == ["b"]
    assert sorted(await ids_of_list(backend, participant="p1")) == ["a", "c"]
    assert len(await ids_of_list(backend, participant="")) == 4
    result = await call(backend, "memorySpaces:list", {"type": "team", "status": "active"})
    assert result["total"] == 1 and [s["memorySpaceId"] for s in result["spaces"]] == ["a"]


async def test_list_sorting(backend):
    await make_listing(backend)
    # name: absent as "", case-sensitive UTF-16 order ("A" < "a" < "b")
    assert await ids_of_list(backend, sortBy="name", sortOrder="asc") == ["c", "b", "d", "a"]
    assert await ids_of_list(backend, sortBy="name") == ["a", "d", "b", "c"]
    spaces = (await call(backend, "memorySpaces:list", {"sortBy": "updatedAt", "sortOrder": "asc"}))["spaces"]
    updated = [s["updatedAt"] for s in spaces]
    assert updated == sorted(updated) and len(updated) == 4
    assert max(updated) == next(s["updatedAt"] for s in spaces if s["memorySpaceId"] == "c")  # archived last


async def test_list_name_ties_keep_creation_order_both_ways(backend):
    for space_id in ("x1", "x2", "x3"):
        await register(backend, space_id, name="same")
    assert await ids_of_list(backend, sortBy="name", sortOrder="asc") == ["x1", "x2", "x3"]
    assert await ids_of_list(backend, sortBy="name", sortOrder="desc") == ["x1", "x2", "x3"]


async def test_list_paging(backend):
    for i in range(5):
        await register(backend, f"s{i}", name=f"n{i}")
    page = await call(backend, "memorySpaces:list", {"sortBy": "name", "sortOrder": "asc", "limit": 2, "offset": 1})
    assert [s["memorySpaceId"] for s in page["spaces"]] == ["s1", "s2"]
    assert page["total"] == 5 and page["hasMore"] is True and page["offset"] == 1
    last = await call(backend, "memorySpaces:list", {"sortBy": "name", "sortOrder": "asc", "limit": 2, "offset": 3})
    assert [s["memorySpaceId"] for s in last["spaces"]] == ["s3", "s4"] and last["hasMore"] is False
    zero = await call(backend, "memorySpaces:list", {"limit": 0, "offset": 0})  # falsy ⇒ defaults
    assert len(zero["spaces"]) == 5 and zero["offset"] == 0 and zero["hasMore"] is False
    neg = await call(backend, "memorySpaces:list", {"sortBy": "name", "sortOrder": "asc", "offset": -1})
    assert [s["memorySpaceId"] for s in neg["spaces"]] == ["s4"] and neg["offset"] == -1


async def test_list_validation(backend):
    for args, field in [
        ({"limit": None}, "limit"),
        ({"limit": True}, "limit"),
        ({"sortBy": "created"}, "sortBy"),
        ({"sortOrder": "DESC"}, "sortOrder"),
        ({"status": "inactive"}, "status"),
        ({"tenantId": None}, "tenantId"),
        ({"participantId": "p"}, "participantId"),
    ]:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "memorySpaces:list", args)
        assert err.value.field == field


async def test_count_filters_all_tenants(backend):
    assert await count(backend) == 0
    await make_listing(backend)
    assert await count(backend) == 4
    assert await count(backend, type="team") == 2
    assert await count(backend, status="archived") == 1
    assert await count(backend, type="team", status="active") == 1
    assert await count(backend, type="custom") == 0
    with pytest.raises(ArgumentValidationError) as err:
        await count(backend, tenantId="t1")
    assert err.value.field == "tenantId"
    with pytest.raises(ArgumentValidationError) as err:
        await count(backend, type=None)
    assert err.value.field == "type"


# -- findByParticipant / search --------------------------------------------------------------------


async def test_find_by_participant(backend):
    await make_listing(backend)
    found = await call(backend, "memorySpaces:findByParticipant", {"participantId": "p1"})
    assert [s["memorySpaceId"] for s in found] == ["a", "c"]  # creation order, any tenant, any status
    assert await call(backend, "memorySpaces:findByParticipant", {"participantId": "nobody"}) == []
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "memorySpaces:findByParticipant", {})
    assert err.value.field == "participantId"


async def search(backend, query, **extra):
    return [s["memorySpaceId"] for s in await call(backend, "memorySpaces:search", {"query": query, **extra})]


async def test_search_name_id_and_filters(backend):
    await make_listing(backend)
    assert await search(backend, "ALPHA") == ["b", "d"]
    assert await search(backend, "alpha", type="project") == ["d"]
    assert await search(backend, "") == ["a", "b", "c", "d"]
    assert await search(backend, "", status="archived") == ["c"]
    assert await search(backend, "c") == ["c"]  # id match; "{}" metadata contains no "c"
    assert await search(backend, "", limit=2) == ["a", "b"]
    assert await search(backend, "", limit=0) == ["a", "b", "c", "d"]  # falsy ⇒ 50
    assert await search(backend, "zzz") == []


async def test_search_matches_compact_sorted_json_metadata(backend):
    nested = {"b": [1, 2.5], "a": None}
    await register(backend, "m1", metadata={"zeta": 1, "Alpha": "Ünïcode", "n": 70.0, "nested": nested})
    await register(backend, "m2", metadata={"10": "x", "2": "y", "k": True})
    await register(backend, "m3", metadata={"tiny": 1e-7, "big": 1e21})
    await register(backend, "m4")
    assert await search(backend, '"alpha":"ünïcode"') == ["m1"]  # keys searchable, no spaces, not escaped
    assert await search(backend, '"n":70,') == ["m1"]  # integral float printed without .0
    assert await search(backend, '"nested":{"a":null,"b":[1,2.5]}') == ["m1"]  # keys sorted at every level
    assert await search(backend, '{"2":"y","10":"x","k":true}') == ["m2"]  # index keys first, numerically
    assert await search(backend, '{"big":1e+21,"tiny":1e-7}') == ["m3"]
    assert await search(backend, "{}") == ["m4"]
    await call(backend, "memorySpaces:update", {"memorySpaceId": "m4", "metadata": None})
    assert await search(backend, "null") == ["m1"]  # null metadata is skipped, not "null"


async def test_search_validation(backend):
    for args, field in [
        ({}, "query"),
        ({"query": None}, "query"),
        ({"query": "x", "limit": "5"}, "limit"),
        ({"query": "x", "type": "Personal"}, "type"),
        ({"query": "x", "tenantId": "t"}, "tenantId"),
    ]:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "memorySpaces:search", args)
        assert err.value.field == field


# -- getStats ------------------------------------------------------------------------------------


async def test_get_stats_empty_space(backend):
    await register(backend, "s1")
    stats = await call(backend, "memorySpaces:getStats", {"memorySpaceId": "s1", "includeParticipants": False})
    assert stats == {
        "memorySpaceId": "s1",
        "totalMemories": 0,
        "totalConversations": 0,
        "totalFacts": 0,
        "totalMessages": 0,
        "memoriesThisWindow": 0,
        "conversationsThisWindow": 0,
        "storage": {"conversationsBytes": 0, "memoriesBytes": 0, "factsBytes": 0, "totalBytes": 0},
        "topTags": [],
        "importanceBreakdown": {"critical": 0, "high": 0, "medium": 0, "low": 0, "trivial": 0},
    }
    with pytest.raises(FunctionError) as err:
        await call(backend, "memorySpaces:getStats", {"memorySpaceId": "ghost"})
    assert err.value.code == "MEMORYSPACE_NOT_FOUND"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "memorySpaces:getStats", {"memorySpaceId": "s1", "timeWindow": "1y"})
    assert err.value.field == "timeWindow"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "memorySpaces:getStats", {"memorySpaceId": "s1", "includeParticipants": None})
    assert err.value.field == "includeParticipants"


async def seed_stats(backend):
    await register(backend, "s1", tenantId="t1")  # getStats has no tenant check
    now = now_ms()
    seed(
        backend,
        "memories",
        [
            memory("s1", 1, importance=95, tags=["b", "x"], participant_id="p1",
                   created=now - 10 * DAY, updated=now - DAY),
            memory("s1", 2, importance=90, tags=["a", "b", "17"], participant_id="p2", created=now - 2 * DAY),
            memory("s1", 3, importance=70, tags=["a", "3"], created=now - 3 * 3600_000),
            memory("s1", 4, importance=69.9, tags=["b", "a"], participant_id="p1", created=now - 60 * DAY),
            memory("s1", 5, importance=10, tags=["3", "17"], participant_id="p1", created=now - 100 * DAY),
            memory("s1", 6, importance=9.99, tags=[], participant_id="", created=now - 1000),
            memory("other", 1, importance=50, tags=["b"], participant_id="p1"),
        ],
    )
    seed(
        backend,
        "conversations",
        [
            conversation("s1", 1, messages=3, participant_id="p1", created=now - 40 * DAY),
            conversation("s1", 2, messages=4, created=now - 1000),
            conversation("s1", 3, messages=0, participant_id="p9", created=now - 5 * DAY),
            conversation("other", 1, messages=100, participant_id="p1"),
        ],
    )
    seed(
        backend,
        "facts",
        [
            fact("s1", 1, participant_id="p1"),
            fact("s1", 2, participant_id="p1", superseded=True),
            fact("s1", 3, participant_id="p2"),
            fact("s1", 4, participant_id="p9"),
        ],
    )
    return now


async def test_get_stats_totals_windows_tags_breakdown(backend):
    await seed_stats(backend)
    stats = await call(backend, "memorySpaces:getStats", {"memorySpaceId": "s1"})
    assert "participants" not in stats
    totals = [stats[k] for k in ("totalMemories", "totalConversations", "totalFacts", "totalMessages")]
    assert totals == [6, 3, 3, 7]
    assert stats["memoriesThisWindow"] == 6 and stats["conversationsThisWindow"] == 3
    # b:3, a:3, 17:2, 3:2, x:1 — index-like tags first numerically, then first-occurrence order
    assert stats["topTags"] == ["b", "a", "3", "17", "x"]
    assert stats["importanceBreakdown"] == {"critical": 2, "high": 1, "medium": 1, "low": 1, "trivial": 1}
    windows = {}
    for window in ("24h", "7d", "30d", "90d", "all"):
        s = await call(backend, "memorySpaces:getStats", {"memorySpaceId": "s1", "timeWindow": window})
        windows[window] = (s["memoriesThisWindow"], s["conversationsThisWindow"])
        assert s["topTags"] == stats["topTags"] and s["totalMemories"] == 6
    assert windows == {"24h": (2, 1), "7d": (3, 2), "30d": (4, 2), "90d": (5, 3), "all": (6, 3)}


async def test_get_stats_top_tags_limited_to_ten(backend):
    await register(backend, "s1")
    tags = [f"t{i:02d}" for i in range(12)]
    seed(backend, "memories", [memory("s1", 1, tags=tags), memory("s1", 2, tags=["t11", "t05"])])
    stats = await call(backend, "memorySpaces:getStats", {"memorySpaceId": "s1"})
    assert stats["topTags"] == ["t05", "t11", "t00", "t01", "t02", "t03", "t04", "t06", "t07", "t08"]


async def test_get_stats_participants(backend):
    now = await seed_stats(backend)
    stats = await call(backend, "memorySpaces:getStats", {"memorySpaceId": "s1", "includeParticipants": True})
    by_id = {p["participantId"]: p for p in stats["participants"]}
    assert [p["participantId"] for p in stats["participants"]] == ["p1", "p2", "unknown"]  # p9 has no memories
    assert by_id["p1"] == {
        "participantId": "p1",
        "memoriesStored": 3,
        "conversationsStored": 1,
        "factsExtracted": 1,
        "firstActive": now - 100 * DAY,
        "lastActive": now - DAY,
        "avgImportance": 58,  # (95 + 69.9 + 10) / 3 = 58.3
        "topTags": ["b", "3", "17", "x", "a"],
    }
    assert by_id["p2"]["conversationsStored"] == 0 and by_id["p2"]["factsExtracted"] == 1
    assert by_id["p2"]["avgImportance"] == 90 and by_id["p2"]["topTags"] == ["17", "a", "b"]
    unknown = by_id["unknown"]  # no participantId and "" both count as "unknown"
    assert unknown["memoriesStored"] == 2 and unknown["conversationsStored"] == 1 and unknown["factsExtracted"] == 0
    assert unknown["avgImportance"] == 40  # (70 + 9.99) / 2 = 39.995
    assert unknown["firstActive"] == now - 3 * 3600_000 and unknown["lastActive"] == now - 1000


async def test_get_stats_avg_importance_rounds_half_up(backend):
    await register(backend, "s1")
    seed(
        backend,
        "memories",
        [
            memory("s1", 1, importance=2, participant_id="up"),
            memory("s1", 2, importance=3, participant_id="up"),
            memory("s1", 3, importance=-2, participant_id="neg"),
            memory("s1", 4, importance=-3, participant_id="neg"),
            memory("s1", 5, importance=0, participant_id="even"),
            memory("s1", 6, importance=1, participant_id="even"),
        ],
    )
    stats = await call(backend, "memorySpaces:getStats", {"memorySpaceId": "s1", "includeParticipants": True})
    assert {p["participantId"]: p["avgImportance"] for p in stats["participants"]} == {"up": 3, "neg": -2, "even": 1}


# -- purgeAll ------------------------------------------------------------------------------------


async def test_purge_all_no_cascade(backend):
    await register(backend, "s1")
    await register(backend, "s1", tenantId="t1")
    seed(backend, "memories", [memory("s1", 1)])
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "memorySpaces:purgeAll", {"confirm": True})
    assert err.value.field == "confirm"
    assert await count(backend) == 2
    assert await call(backend, "memorySpaces:purgeAll", {}) == {"deleted": 2}
    assert await count(backend) == 0 and table_size(backend, "memories") == 1
    assert await call(backend, "memorySpaces:purgeAll", {}) == {"deleted": 0}


async def test_failed_mutation_writes_nothing(backend):
    """A handler error after reads leaves the space exactly as it was."""
    before = await register(backend, "s1", participants=[participant("a")])
    with pytest.raises(FunctionError):
        await add_p(backend, "s1", participant("a"))
    assert await get(backend, "s1") == before
