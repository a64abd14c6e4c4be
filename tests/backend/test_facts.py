"""facts:* against spec/backend/facts.md."""

import json
import re

import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.errors import ArgumentValidationError, FunctionError
from tests.helpers import tick

pytestmark = pytest.mark.anyio

FACT_ID = re.compile(r"^fact-\d+-[0-9a-z]{1,9}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def store(backend, fact="User likes tea", space="s1", **extra):
    args = {
        "memorySpaceId": space,
        "fact": fact,
        "factType": "preference",
        "confidence": 80,
        "sourceType": "manual",
        "tags": [],
        **extra,
    }
    return await call(backend, "facts:store", args)


async def all_facts(backend, space="s1"):
    return await call(backend, "facts:list", {"memorySpaceId": space, "includeSuperseded": True})


async def ids(backend, path, args):
    return [f["fact"] for f in await call(backend, path, args)]



# -- store ------------------------------------------------------------------------------------


async def test_store_returns_full_document_with_defaults(backend):
    doc = await store(backend)
    assert FACT_ID.match(doc["factId"])
    assert doc["memorySpaceId"] == "s1" and doc["fact"] == "User likes tea"
    assert doc["factType"] == "preference" and doc["confidence"] == 80 and doc["sourceType"] == "manual"
    assert doc["tags"] == [] and doc["version"] == 1
    assert doc["validFrom"] == doc["createdAt"] == doc["updatedAt"]
    assert doc["factId"].split("-")[1] == str(doc["createdAt"])
    assert isinstance(doc["_id"], str) and isinstance(doc["_creationTime"], (int, float))
    for absent in ("supersededBy", "supersedes", "validUntil", "tenantId", "metadata", "subject", "sourceRef"):
        assert absent not in doc


async def test_store_keeps_every_given_field(backend):
    extra = {
        "participantId": "p1",
        "userId": "u1",
        "tenantId": "",
        "subject": "user",
        "predicate": "likes",
        "object": "tea",
        "sourceRef": {"conversationId": "c1", "messageIds": ["m1"], "memoryId": "mem-1"},
        "metadata": None,
        "validFrom": 1000,
        "validUntil": 5000,
        "category": "drinks",
        "searchAliases": ["tea lover"],
        "semanticContext": "morning",
        "entities": [{"name": "tea", "type": "drink"}, {"name": "x", "type": "y", "fullValue": "z"}],
        "relations": [{"subject": "user", "predicate": "likes", "object": "tea"}],
    }
    doc = await store(backend, tags=["a", "b"], confidence=150.5, **extra)
    for key, value in extra.items():
        assert doc[key] == value, key
    assert doc["tags"] == ["a", "b"] and doc["confidence"] == 150.5  # no range check
    assert doc["tenantId"] == "" and doc["metadata"] is None


async def test_store_zero_valid_from_means_now_and_no_dedup(backend):
    a = await store(backend, validFrom=0)
    b = await store(backend, validFrom=0)
    assert a["validFrom"] == a["createdAt"]
    assert a["factId"] != b["factId"]
    assert len(await all_facts(backend)) == 2


@pytest.mark.parametrize(
    "override, field",
    [
        ({"subject": None}, "subject"),
        ({"tenantId": None}, "tenantId"),
        ({"extra": 1}, "extra"),
        ({"confidence": True}, "confidence"),
        ({"confidence": "80"}, "confidence"),
        ({"factType": "Preference"}, "factType"),
        ({"sourceType": "memory"}, "sourceType"),
        ({"tags": [1]}, "tags[0]"),
        ({"tags": None}, "tags"),
        ({"sourceRef": {"conversationId": "c", "extra": 1}}, "sourceRef.extra"),
        ({"sourceRef": {"memoryId": None}}, "sourceRef.memoryId"),
        ({"entities": [{"name": "n"}]}, "entities[0].type"),
        ({"relations": [{"subject": "s", "predicate": "p", "object": "o", "x": 1}]}, "relations[0].x"),
        ({"validFrom": False}, "validFrom"),
    ],
)
async def test_store_validation_names_field_and_writes_nothing(backend, override, field):
    with pytest.raises(ArgumentValidationError) as err:
        await store(backend, **override)
    assert err.value.field == field
    assert await all_facts(backend) == []


async def test_store_requires_fields(backend):
    with pytest.raises(ArgumentValidationError) as err:
        await call(
            backend,
            "facts:store",
            {"memorySpaceId": "s1", "fact": "x", "factType": "custom", "confidence": 1, "sourceType": "tool"},
        )
    assert err.value.field == "tags"


# -- update (versioned) -------------------------------------------------------------------------


async def test_update_creates_new_version_and_supersedes_old(backend):
    old = await store(
        backend, subject="user", metadata={"k": 1}, tags=["t"], category="c", validFrom=500, tenantId="t1"
    )
    tick()
    new = await call(
        backend,
        "facts:update",
        {"memorySpaceId": "s1", "factId": old["factId"], "fact": "User loves tea", "confidence": 0},
    )
    assert FACT_ID.match(new["factId"]) and new["factId"] != old["factId"] and new["_id"] != old["_id"]
    assert new["fact"] == "User loves tea" and new["confidence"] == 0
    assert new["version"] == 2 and new["supersedes"] == old["factId"] and "supersededBy" not in new
    assert new["createdAt"] == old["createdAt"] and new["updatedAt"] > old["updatedAt"]
    for kept in ("subject", "metadata", "tags", "category", "validFrom", "tenantId", "factType", "sourceType"):
        assert new[kept] == old[kept], kept
    assert "validUntil" not in new
    stored_old = await call(backend, "facts:get", {"memorySpaceId": "s1", "factId": old["factId"]})
    assert stored_old["supersededBy"] == new["factId"] and stored_old["validUntil"] == new["updatedAt"]
    assert stored_old["updatedAt"] == old["updatedAt"] and stored_old["version"] == 1
    current = await call(backend, "facts:list", {"memorySpaceId": "s1"})
    assert [f["factId"] for f in current] == [new["factId"]]


async def test_update_truthiness_rules(backend):
    old = await store(backend, metadata={"k": 1}, tags=["t"], validUntil=9000)
    new = await call(
        backend,
        "facts:update",
        {"memorySpaceId": "s1", "factId": old["factId"], "fact": "", "metadata": None, "tags": []},
    )
    assert new["fact"] == old["fact"]  # "" falls back
    assert new["metadata"] == {"k": 1}  # null falls back
    assert new["tags"] == []  # [] replaces
    assert new["validUntil"] == 9000  # kept when not given
    newer = await call(
        backend, "facts:update", {"memorySpaceId": "s1", "factId": new["factId"], "metadata": {}, "validUntil": 1}
    )
    assert newer["metadata"] == {} and newer["validUntil"] == 1 and newer["version"] == 3


async def test_update_errors_write_nothing(backend):
    old = await store(backend)
    with pytest.raises(FunctionError) as err:
        await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": "fact-1-missing", "fact": "x"})
    assert err.value.code == "FACT_NOT_FOUND"
    with pytest.raises(FunctionError) as err:
        await call(backend, "facts:update", {"memorySpaceId": "other", "factId": old["factId"], "fact": "x"})
    assert err.value.code == "PERMISSION_DENIED"
    assert [f["factId"] for f in await all_facts(backend)] == [old["factId"]]
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": old["factId"], "subject": "x"})
    assert err.value.field == "subject"


async def test_update_of_superseded_fact_branches(backend):
    old = await store(backend)
    first = await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": old["factId"], "fact": "one"})
    second = await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": old["factId"], "fact": "two"})
    assert first["supersedes"] == second["supersedes"] == old["factId"]
    stored_old = await call(backend, "facts:get", {"memorySpaceId": "s1", "factId": old["factId"]})
    assert stored_old["supersededBy"] == second["factId"]
    assert sorted(await ids(backend, "facts:list", {"memorySpaceId": "s1"})) == ["one", "two"]


# -- deleteFact (soft) ------------------------------------------------------------------------


async def test_delete_fact_is_soft(backend):
    fact = await store(backend)
    tick()
    result = await call(backend, "facts:deleteFact", {"memorySpaceId": "s1", "factId": fact["factId"]})
    assert result == {"deleted": True, "factId": fact["factId"]}
    stored = await call(backend, "facts:get", {"memorySpaceId": "s1", "factId": fact["factId"]})
    assert stored["validUntil"] == stored["updatedAt"] > fact["updatedAt"] and "supersededBy" not in stored
    assert await call(backend, "facts:count", {"memorySpaceId": "s1"}) == 1
    assert await call(backend, "facts:count", {"memorySpaceId": "s1", "validAt": stored["validUntil"]}) == 0
    assert await call(backend, "facts:count", {"memorySpaceId": "s1", "validAt": stored["validUntil"] - 1}) == 1


async def test_delete_fact_errors(backend):
    fact = await store(backend)
    with pytest.raises(FunctionError) as err:
        await call(backend, "facts:deleteFact", {"memorySpaceId": "s1", "factId": "nope"})
    assert err.value.code == "FACT_NOT_FOUND"
    with pytest.raises(FunctionError) as err:
        await call(backend, "facts:deleteFact", {"memorySpaceId": "s2", "factId": fact["factId"]})
    assert err.value.code == "PERMISSION_DENIED"
    assert "validUntil" not in (await all_facts(backend))[0]


# -- supersede ----------------------------------------------------------------------------------


async def test_supersede_links_both_facts_without_new_version(backend):
    old = await store(backend, fact="User lives in Paris")
    new = await store(backend, fact="User lives in Berlin")
    tick()
    result = await call(
        backend,
        "facts:supersede",
        {"memorySpaceId": "s1", "oldFactId": old["factId"], "newFactId": new["factId"], "reason": "moved"},
    )
    assert result == {"superseded": True, "oldFactId": old["factId"], "newFactId": new["factId"], "reason": "moved"}
    o, n = await all_facts(backend)
    assert o["supersededBy"] == new["factId"] and o["validUntil"] == o["updatedAt"] > old["updatedAt"]
    assert n["supersedes"] == old["factId"] and n["updatedAt"] == o["updatedAt"] and "validUntil" not in n
    assert o["version"] == 1 and n["version"] == 1
    assert await ids(backend, "facts:list", {"memorySpaceId": "s1"}) == ["User lives in Berlin"]
    again = await call(
        backend, "facts:supersede", {"memorySpaceId": "s1", "oldFactId": old["factId"], "newFactId": new["factId"]}
    )
    assert again == {"superseded": True, "oldFactId": old["factId"], "newFactId": new["factId"]}


@pytest.mark.parametrize(
    "old_key, new_key, space, code",
    [
        ("missing", "missing", "s1", "OLD_FACT_NOT_FOUND"),
        ("a", "missing", "s2", "PERMISSION_DENIED"),
        ("a", "missing", "s1", "NEW_FACT_NOT_FOUND"),
        ("a", "foreign", "s1", "FACTS_MUST_BE_IN_SAME_SPACE"),
    ],
)
async def test_supersede_error_order_and_no_writes(backend, old_key, new_key, space, code):
    facts = {
        "a": (await store(backend))["factId"],
        "foreign": (await store(backend, space="s2"))["factId"],
        "missing": "fact-0-x",
    }
    with pytest.raises(FunctionError) as err:
        await call(
            backend,
            "facts:supersede",
            {"memorySpaceId": space, "oldFactId": facts[old_key], "newFactId": facts[new_key]},
        )
    assert err.value.code == code
    for s in ("s1", "s2"):
        for f in await all_facts(backend, s):
            assert "supersededBy" not in f and "supersedes" not in f and "validUntil" not in f


# -- updateInPlace --------------------------------------------------------------------------------


async def test_update_in_place_presence_semantics(backend):
    fact = await store(backend, metadata={"k": 1}, tags=["t"])
    tick()
    patched = await call(
        backend,
        "facts:updateInPlace",
        {
            "memorySpaceId": "s1",
            "factId": fact["factId"],
            "fact": "",
            "metadata": None,
            "tags": [],
            "confidence": 0,
            "entities": [],
        },
    )
    assert patched["_id"] == fact["_id"] and patched["factId"] == fact["factId"] and patched["version"] == 1
    assert (
        patched["fact"] == "" and patched["metadata"] is None and patched["tags"] == [] and patched["confidence"] == 0
    )
    assert (
        patched["entities"] == []
        and patched["updatedAt"] > fact["updatedAt"]
        and patched["createdAt"] == fact["createdAt"]
    )
    assert len(await all_facts(backend)) == 1
    only_time = await call(backend, "facts:updateInPlace", {"memorySpaceId": "s1", "factId": fact["factId"]})
    assert only_time["fact"] == "" and only_time["metadata"] is None


async def test_update_in_place_errors_and_superseded(backend):
    old = await store(backend)
    new = await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": old["factId"], "fact": "v2"})
    edited = await call(
        backend, "facts:updateInPlace", {"memorySpaceId": "s1", "factId": old["factId"], "fact": "v1 fixed"}
    )
    assert edited["supersededBy"] == new["factId"] and edited["fact"] == "v1 fixed"
    with pytest.raises(FunctionError) as err:
        await call(backend, "facts:updateInPlace", {"memorySpaceId": "s1", "factId": "fact-0-x", "fact": "x"})
    assert err.value.code == "FACT_NOT_FOUND"
    with pytest.raises(FunctionError) as err:
        await call(backend, "facts:updateInPlace", {"memorySpaceId": "s9", "factId": old["factId"], "fact": "x"})
    assert err.value.code == "PERMISSION_DENIED"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "facts:updateInPlace", {"memorySpaceId": "s1", "factId": old["factId"], "fact": None})
    assert err.value.field == "fact"
    assert (await call(backend, "facts:get", {"memorySpaceId": "s1", "factId": old["factId"]}))["fact"] == "v1 fixed"


# -- deleteMany / deleteByIds / purgeAll --------------------------------------------------------


async def test_delete_many_hard_deletes_with_filters(backend):
    a = await store(backend, fact="a", userId="u1")
    await store(backend, fact="b", userId="u2", factType="identity")
    await store(backend, fact="c")
    await store(backend, fact="other space", space="s2", userId="u1")
    await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": a["factId"], "fact": "a2"})
    assert await call(backend, "facts:deleteMany", {"memorySpaceId": "s1", "userId": "u1"}) == {
        "deleted": 2,
        "memorySpaceId": "s1",
    }
    assert await call(backend, "facts:deleteMany", {"memorySpaceId": "s1", "factType": "identity", "userId": ""}) == {
        "deleted": 1,
        "memorySpaceId": "s1",
    }
    assert await ids(backend, "facts:list", {"memorySpaceId": "s1", "includeSuperseded": True}) == ["c"]
    assert await call(backend, "facts:deleteMany", {"memorySpaceId": "s1"}) == {"deleted": 1, "memorySpaceId": "s1"}
    assert await all_facts(backend) == [] and len(await all_facts(backend, "s2")) == 1
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "facts:deleteMany", {"memorySpaceId": "s1", "factType": "fact"})
    assert err.value.field == "factType"


async def test_delete_by_ids_soft_deletes_across_spaces(backend):
    a = await store(backend)
    b = await store(backend, space="s2")
    result = await call(backend, "facts:deleteByIds", {"factIds": [b["factId"], "fact-0-x", a["factId"], b["factId"]]})
    assert result == {"deleted": 3, "factIds": [b["factId"], a["factId"], b["factId"]]}
    for space in ("s1", "s2"):
        (fact,) = await all_facts(backend, space)
        assert fact["validUntil"] == fact["updatedAt"] and "supersededBy" not in fact
    assert await call(backend, "facts:deleteByIds", {"factIds": []}) == {"deleted": 0, "factIds": []}


async def test_purge_all(backend):
    await store(backend)
    await store(backend, space="s2")
    with pytest.raises(ArgumentValidationError):
        await call(backend, "facts:purgeAll", {"memorySpaceId": "s1"})
    assert await call(backend, "facts:purgeAll", {}) == {"deleted": 2}
    assert await all_facts(backend) == [] and await all_facts(backend, "s2") == []


# -- consolidate --------------------------------------------------------------------------------


async def test_consolidate_merges_into_kept_fact(backend):
    keep = await store(backend, fact="keep", confidence=80)
    dup = await store(backend, fact="dup", confidence=65)
    foreign = await store(backend, fact="foreign", space="s2", confidence=0)
    tick()
    result = await call(
        backend,
        "facts:consolidate",
        {
            "memorySpaceId": "s1",
            "factIds": [keep["factId"], dup["factId"], dup["factId"], foreign["factId"], "fact-0-x"],
            "keepFactId": keep["factId"],
        },
    )
    # DEVIATION (parity.md): upstream reports mergedCount 4 (input length - 1) and averages 80,65,65,0.
    assert result == {"consolidated": True, "keptFactId": keep["factId"], "mergedCount": 1}
    kept, merged = await all_facts(backend)
    assert kept["confidence"] == 73  # Math.round(72.5)
    assert kept["updatedAt"] > keep["updatedAt"] and "supersedes" not in kept and kept["version"] == 1
    assert merged["supersededBy"] == keep["factId"] and merged["validUntil"] == kept["updatedAt"]
    assert merged["updatedAt"] == dup["updatedAt"]
    (untouched,) = await all_facts(backend, "s2")
    assert "supersededBy" not in untouched and untouched["confidence"] == 0


async def test_consolidate_keep_not_in_list_and_missing_keep(backend):
    a = await store(backend)
    with pytest.raises(FunctionError) as err:
        await call(
            backend, "facts:consolidate", {"memorySpaceId": "s1", "factIds": [a["factId"]], "keepFactId": "fact-0-x"}
        )
    assert "KEEP_FACT_NOT_IN_LIST" in err.value.message and err.value.code == "FUNCTION_ERROR"
    result = await call(
        backend,
        "facts:consolidate",
        {"memorySpaceId": "s1", "factIds": [a["factId"], "fact-0-x"], "keepFactId": "fact-0-x"},
    )
    assert result == {"consolidated": True, "keptFactId": "fact-0-x", "mergedCount": 1}
    (merged,) = await all_facts(backend)
    assert merged["supersededBy"] == "fact-0-x"


# -- get ------------------------------------------------------------------------------------------


async def test_get_scoping(backend):
    plain = await store(backend)
    tenant = await store(backend, tenantId="t1")
    def get(fid, **kw):
        return call(backend, "facts:get", {"memorySpaceId": "s1", "factId": fid, **kw})
    assert (await get(plain["factId"]))["_id"] == plain["_id"]
    assert await get("fact-0-x") is None
    assert await call(backend, "facts:get", {"memorySpaceId": "s2", "factId": plain["factId"]}) is None
    assert await get(plain["factId"], tenantId="t1") is None  # tenant-less fact hidden from tenant get
    assert (await get(plain["factId"], tenantId=""))["factId"] == plain["factId"]
    assert (await get(tenant["factId"], tenantId="t1"))["factId"] == tenant["factId"]
    assert await get(tenant["factId"], tenantId="t2") is None
    with pytest.raises(ArgumentValidationError) as err:
        await get(plain["factId"], tenantId=None)
    assert err.value.field == "tenantId"


# -- list / count filters ------------------------------------------------------------------------


async def test_list_filters(backend):
    await store(
        backend,
        fact="f1",
        subject="user",
        predicate="likes",
        object="tea",
        userId="u1",
        participantId="p1",
        tags=["a", "b"],
        confidence=90,
        tenantId="t1",
    )
    await store(
        backend, fact="f2", subject="", factType="identity", tags=["b"], confidence=50, sourceType="tool", tenantId="t2"
    )
    await store(backend, fact="f3", tags=["c"], confidence=70, metadata={"k": 1, "n": {"x": 1}})
    def q(**kw):
        return ids(backend, "facts:list", {"memorySpaceId": "s1", **kw})
    assert await q() == ["f1", "f2", "f3"]
    assert await q(tenantId="t1") == ["f1"] and await q(tenantId="") == ["f1", "f2", "f3"]
    assert await q(factType="identity") == ["f2"]
    assert await q(subject="") == ["f2"] and await q(subject="user") == ["f1"]
    assert await q(predicate="likes", object="tea", userId="u1", participantId="p1") == ["f1"]
    assert await q(userId="") == []
    assert await q(minConfidence=70) == ["f1", "f3"] and await q(confidence=70.0) == ["f3"]
    assert await q(sourceType="tool") == ["f2"]
    assert await q(tags=["b", "c"]) == ["f1", "f2", "f3"] and await q(tags=["a", "b"], tagMatch="all") == ["f1"]
    assert await q(tags=[], tagMatch="all") == ["f1", "f2", "f3"] and await q(tagMatch="all") == ["f1", "f2", "f3"]
    assert await q(version=1) == ["f1", "f2", "f3"] and await q(version=2) == []
    assert await q(metadata={"k": 1}) == ["f3"] and await q(metadata={"k": True}) == []
    assert await q(metadata={}) == ["f3"] and await q(metadata={"n": {"x": 1}}) == []  # nested never equal
    assert await q(metadata=None) == ["f3"]  # DEVIATION: upstream throws a TypeError here
    with pytest.raises(ArgumentValidationError) as err:
        await q(tagMatch="ALL")
    assert err.value.field == "tagMatch"
    with pytest.raises(ArgumentValidationError) as err:
        await q(includeSuperseded=1)
    assert err.value.field == "includeSuperseded"


async def test_list_time_and_validity_filters(backend):
    a = await store(backend, fact="a", validFrom=1000, validUntil=2000)
    tick()
    b = await store(backend, fact="b")
    def q(**kw):
        return ids(backend, "facts:list", {"memorySpaceId": "s1", **kw})
    assert await q(createdAfter=b["createdAt"]) == ["b"] and await q(createdBefore=a["createdAt"]) == ["a"]
    assert await q(updatedAfter=b["updatedAt"]) == ["b"] and await q(updatedBefore=a["updatedAt"]) == ["a"]
    assert await q(validAt=1000) == ["a"] and await q(validAt=999) == [] and await q(validAt=2000) == []
    assert await q(validAt=b["validFrom"]) == ["b"]
    await call(backend, "facts:updateInPlace", {"memorySpaceId": "s1", "factId": a["factId"], "validUntil": 0})
    assert await q(validAt=10**15) == ["a", "b"]  # validUntil 0 counts as unbounded


async def test_list_excludes_superseded_unless_asked(backend):
    old = await store(backend, fact="old")
    await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": old["factId"], "fact": "new"})
    assert await ids(backend, "facts:list", {"memorySpaceId": "s1"}) == ["new"]
    assert await ids(backend, "facts:list", {"memorySpaceId": "s1", "includeSuperseded": True}) == ["old", "new"]
    assert await ids(backend, "facts:list", {"memorySpaceId": "s1", "includeSuperseded": False}) == ["new"]
    assert await call(backend, "facts:count", {"memorySpaceId": "s1"}) == 1
    assert await call(backend, "facts:count", {"memorySpaceId": "s1", "includeSuperseded": True}) == 2


async def test_list_sorting_and_paging(backend):
    for name, conf in (("a", 50), ("b", 90), ("c", 50), ("d", 70)):
        await store(backend, fact=name, confidence=conf)
    def q(**kw):
        return ids(backend, "facts:list", {"memorySpaceId": "s1", **kw})
    assert await q(sortBy="confidence") == ["b", "d", "a", "c"]  # desc by default, stable ties
    assert await q(sortBy="confidence", sortOrder="asc") == ["a", "c", "d", "b"]
    assert await q(sortBy="fact") == ["a", "b", "c", "d"]  # unknown field: natural order
    assert await q(limit=2) == ["a", "b"] and await q(offset=1, limit=2) == ["b", "c"]
    assert await q(offset=3) == ["d"] and await q(limit=0) == [] and await q(offset=-1) == ["d"]
    assert await q(offset=1.7, limit=1.2) == ["b"]
    assert await q(sortBy="confidence", offset=1, limit=1) == ["d"]
    with pytest.raises(ArgumentValidationError) as err:
        await q(limit=None)
    assert err.value.field == "limit"
    with pytest.raises(ArgumentValidationError) as err:
        await q(sortOrder="DESC")
    assert err.value.field == "sortOrder"


async def test_count_filters_and_rejects_paging(backend):
    await store(backend, fact="a", tags=["x"])
    await store(backend, fact="b", factType="event")
    await store(backend, fact="c", space="s2")
    assert await call(backend, "facts:count", {"memorySpaceId": "s1"}) == 2
    assert await call(backend, "facts:count", {"memorySpaceId": "s1", "tags": ["x"]}) == 1
    assert await call(backend, "facts:count", {"memorySpaceId": "s1", "factType": "event"}) == 1
    for key in ("limit", "offset", "sortBy", "sortOrder"):
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "facts:count", {"memorySpaceId": "s1", key: "asc" if key == "sortOrder" else 1})
        assert err.value.field == key


# -- search ---------------------------------------------------------------------------------------


async def test_search_full_text(backend):
    await store(backend, fact="User prefers dark mode", subject="theme")
    await store(backend, fact="User drinks coffee every morning", confidence=40)
    await store(backend, fact="Dark chocolate is the favourite", tags=["food"])
    await store(backend, fact="dark side", space="s2")
    def s(query, **kw):
        return ids(backend, "facts:search", {"memorySpaceId": "s1", "query": query, **kw})
    assert sorted(await s("DARK")) == ["Dark chocolate is the favourite", "User prefers dark mode"]
    assert await s("pref") == ["User prefers dark mode"]  # last term as prefix
    assert await s("theme") == []  # subject is not searched
    assert sorted(await s("coffee mode")) == ["User drinks coffee every morning", "User prefers dark mode"]
    assert await s("coffee mode", minConfidence=50) == ["User prefers dark mode"]
    assert await s("dark", tags=["food"]) == ["Dark chocolate is the favourite"]
    assert await s("user", sortBy="confidence", sortOrder="asc") == [
        "User drinks coffee every morning",
        "User prefers dark mode",
    ]
    assert len(await s("user", limit=1)) == 1
    assert await s("") == [] and await s("?!") == []
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "facts:search", {"memorySpaceId": "s1"})
    assert err.value.field == "query"


async def test_search_excludes_superseded_and_sees_updates(backend):
    old = await store(backend, fact="User lives in Paris")
    await call(
        backend, "facts:updateInPlace", {"memorySpaceId": "s1", "factId": old["factId"], "fact": "User lives in Lyon"}
    )
    assert await ids(backend, "facts:search", {"memorySpaceId": "s1", "query": "paris"}) == []
    assert await ids(backend, "facts:search", {"memorySpaceId": "s1", "query": "lyon"}) == ["User lives in Lyon"]
    await call(
        backend, "facts:update", {"memorySpaceId": "s1", "factId": old["factId"], "fact": "User lives in Berlin"}
    )
    assert await ids(backend, "facts:search", {"memorySpaceId": "s1", "query": "lives"}) == ["User lives in Berlin"]
    got = await ids(backend, "facts:search", {"memorySpaceId": "s1", "query": "lives", "includeSuperseded": True})
    assert sorted(got) == ["User lives in Berlin", "User lives in Lyon"]


# -- getHistory -------------------------------------------------------------------------------


async def test_get_history_follows_chain_from_any_member(backend):
    v1 = await store(backend, fact="v1")
    v2 = await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": v1["factId"], "fact": "v2"})
    v3 = await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": v2["factId"], "fact": "v3"})
    for member in (v1, v2, v3):
        chain = await call(backend, "facts:getHistory", {"memorySpaceId": "s1", "factId": member["factId"]})
        assert [f["fact"] for f in chain] == ["v1", "v2", "v3"]
        assert [f["version"] for f in chain] == [1, 2, 3]
    assert await call(backend, "facts:getHistory", {"memorySpaceId": "s2", "factId": v2["factId"]}) == []
    assert await call(backend, "facts:getHistory", {"memorySpaceId": "s1", "factId": "fact-0-x"}) == []
    single = await store(backend, fact="alone")
    assert [
        f["fact"] for f in await call(backend, "facts:getHistory", {"memorySpaceId": "s1", "factId": single["factId"]})
    ] == ["alone"]


async def test_get_history_after_supersede_and_cycles_terminate(backend):
    a = await store(backend, fact="a")
    b = await store(backend, fact="b")
    await call(backend, "facts:supersede", {"memorySpaceId": "s1", "oldFactId": a["factId"], "newFactId": b["factId"]})
    assert await ids(backend, "facts:getHistory", {"memorySpaceId": "s1", "factId": b["factId"]}) == ["a", "b"]
    await call(backend, "facts:supersede", {"memorySpaceId": "s1", "oldFactId": b["factId"], "newFactId": a["factId"]})
    assert sorted(await ids(backend, "facts:getHistory", {"memorySpaceId": "s1", "factId": a["factId"]})) == ["a", "b"]
    c = await store(backend, fact="c")
    await call(backend, "facts:supersede", {"memorySpaceId": "s1", "oldFactId": c["factId"], "newFactId": c["factId"]})
    assert await ids(backend, "facts:getHistory", {"memorySpaceId": "s1", "factId": c["factId"]}) == ["c"]


# -- queryBySubject / queryByRelationship ------------------------------------------------------


async def test_query_by_subject(backend):
    await store(backend, fact="u1", subject="user", predicate="likes", tags=["x"])
    await store(backend, fact="u2", subject="user", predicate="works at", confidence=95)
    await store(backend, fact="U3", subject="User")
    await store(backend, fact="other", subject="user", space="s2")
    def q(**kw):
        return ids(backend, "facts:queryBySubject", {"memorySpaceId": "s1", "subject": "user", **kw})
    assert await q() == ["u1", "u2"]
    assert await q(predicate="works at") == ["u2"] and await q(tags=["x"]) == ["u1"]
    assert await q(sortBy="confidence") == ["u2", "u1"] and await q(limit=1, offset=1) == ["u2"]
    with pytest.raises(ArgumentValidationError) as err:
        await q(tenantId="t1")
    assert err.value.field == "tenantId"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "facts:queryBySubject", {"memorySpaceId": "s1"})
    assert err.value.field == "subject"


async def test_query_by_relationship(backend):
    old = await store(backend, fact="works at Acme", subject="user", predicate="works_at", object="Acme")
    await store(
        backend, fact="works at Beta", subject="user", predicate="works_at", object="Beta", factType="relationship"
    )
    await store(backend, fact="likes tea", subject="user", predicate="likes")
    def q(**kw):
        return ids(
            backend,
            "facts:queryByRelationship",
            {"memorySpaceId": "s1", "subject": "user", "predicate": "works_at", **kw},
        )

    assert await q() == ["works at Acme", "works at Beta"]
    assert await q(object="Beta") == ["works at Beta"] and await q(factType="relationship") == ["works at Beta"]
    await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": old["factId"], "fact": "works at Acme Inc"})
    assert await q() == ["works at Beta", "works at Acme Inc"]
    assert await q(includeSuperseded=True, sortBy="version", sortOrder="asc") == [
        "works at Acme",
        "works at Beta",
        "works at Acme Inc",
    ]
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "facts:queryByRelationship", {"memorySpaceId": "s1", "subject": "user"})
    assert err.value.field == "predicate"
    with pytest.raises(ArgumentValidationError) as err:
        await q(tenantId="")
    assert err.value.field == "tenantId"


# -- exportFacts --------------------------------------------------------------------------------


async def test_export_json(backend):
    a = await store(backend, fact="naïve café", confidence=85, metadata={"n": 1.5})
    old = await store(backend, fact="old")
    await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": old["factId"], "fact": "newer"})
    await call(backend, "facts:deleteFact", {"memorySpaceId": "s1", "factId": a["factId"]})
    result = await call(backend, "facts:exportFacts", {"memorySpaceId": "s1", "format": "json"})
    assert result["format"] == "json" and result["count"] == 2 and isinstance(result["exportedAt"], int)
    assert json.loads(result["data"]) == await call(backend, "facts:list", {"memorySpaceId": "s1"})
    assert '"confidence": 85,' in result["data"] and "naïve café" in result["data"]
    assert result["data"].startswith("[\n  {\n    ")
    only = await call(backend, "facts:exportFacts", {"memorySpaceId": "s1", "format": "json", "factType": "event"})
    assert only["count"] == 0 and only["data"] == "[]"


async def test_export_jsonld(backend):
    await store(
        backend,
        fact="f",
        subject="user",
        predicate="likes",
        object="tea",
        confidence=72.5,
        validFrom=86_400_000,
        validUntil=86_400_001,
    )
    await store(backend, fact="g", validFrom=0)
    result = await call(backend, "facts:exportFacts", {"memorySpaceId": "s1", "format": "jsonld"})
    doc = json.loads(result["data"])
    assert doc["@context"] == "https://schema.org/" and result["count"] == 2
    first, second = doc["@graph"]
    assert first["@type"] == "Fact" and FACT_ID.match(first["@id"])
    assert first["subject"] == "user" and first["predicate"] == "likes" and first["object"] == "tea"
    assert first["factStatement"] == "f" and first["confidence"] == 72.5 and first["factType"] == "preference"
    assert first["validFrom"] == "1970-01-02T00:00:00.000Z" and first["validThrough"] == "1970-01-02T00:00:00.001Z"
    assert ISO.match(first["dateCreated"])
    assert "subject" not in second and "validThrough" not in second and ISO.match(second["validFrom"])


async def test_export_csv(backend):
    assert (await call(backend, "facts:exportFacts", {"memorySpaceId": "s1", "format": "csv"}))["data"] == (
        "factId,fact,factType,subject,predicate,object,confidence,sourceType,tags,createdAt"
    )
    a = await store(backend, fact='He said "hi", then left', subject="user", confidence=85.0, tags=["a", "b"])
    await store(backend, fact="plain", predicate="a,b", confidence=72.5)
    result = await call(backend, "facts:exportFacts", {"memorySpaceId": "s1", "format": "csv"})
    _header, line1, line2 = result["data"].split("\n")
    assert not result["data"].endswith("\n") and result["count"] == 2
    assert line1.startswith(f'{a["factId"]},"He said ""hi"", then left",preference,user,,,85,manual,a;b,')
    assert ISO.match(line1.rsplit(",", 1)[1])
    assert ',"plain",preference,,"a,b",,72.5,manual,,' in line2  # DEVIATION: upstream leaves a,b unquoted
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "facts:exportFacts", {"memorySpaceId": "s1", "format": "CSV"})
    assert err.value.field == "format"


# -- findByStructure ------------------------------------------------------------------------


async def test_find_by_structure(backend):
    for i in range(12):
        await store(backend, fact=f"f{i}", subject="user", predicate="likes", object="tea" if i % 2 else "")
    old = await store(backend, fact="old", subject="user", predicate="lives in", userId="u1")
    await call(backend, "facts:update", {"memorySpaceId": "s1", "factId": old["factId"], "fact": "new"})

    def q(**kw):
        return ids(backend, "facts:findByStructure", {"memorySpaceId": "s1", **kw})

    assert len(await q(subject="user")) == 10
    assert await q(subject="user", predicate="lives in") == ["new"]  # superseded excluded
    assert await q(object="", limit=2) == ["f0", "f2"]
    assert await q(userId="u1", factType="preference") == ["new"]
    assert await q(subject="user", limit=0) == [] and len(await q(limit=100)) == 13
    assert await q(subject="nobody") == []
    with pytest.raises(ArgumentValidationError) as err:
        await q(includeSuperseded=True)
    assert err.value.field == "includeSuperseded"


async def test_search_sorted_by_a_field_reads_only_the_page(tmp_path, monkeypatch):
    from cortex_mcp.backends.embedded import store as store_module
    from tests.helpers import fresh_backend

    backend = fresh_backend(tmp_path / "f.db")
    for i in range(40):  # confidences with many ties; relevance differs by how often "tea" occurs
        await store(backend, fact=f"tea {'tea ' * (i % 3)}note {i}", confidence=10 * (i % 4))
    await store(backend, fact="coffee only", confidence=99)
    everything = await call(backend, "facts:search", {"memorySpaceId": "s1", "query": "tea", "limit": 1000})
    decoded = []
    original = store_module._decode
    monkeypatch.setattr(store_module, "_decode", lambda row, table: decoded.append(1) or original(row, table))
    for order in ("desc", "asc"):
        stable = sorted(everything, key=lambda f: f["confidence"], reverse=order == "desc")  # JS: a stable sort
        decoded.clear()
        page = await call(backend, "facts:search", {"memorySpaceId": "s1", "query": "tea", "sortBy": "confidence",
                                                    "sortOrder": order, "offset": 3, "limit": 5})
        assert [f["factId"] for f in page] == [f["factId"] for f in stable[3:8]]
        assert len(decoded) == 8  # offset + limit documents decoded, not all 40 matches
    await backend.aclose()


# -- gdpr:factsBySource (extension: forget's cascade through an index) -------------------------


async def test_facts_by_source_finds_a_memorys_and_a_conversations_facts_in_one_space(backend):
    by_memory = await store(backend, "Alex likes tea", sourceRef={"memoryId": "mem-1"})
    by_conversation = await store(backend, "Alex likes jazz", sourceRef={"conversationId": "conv-1",
                                                                          "messageIds": ["msg-1"]})
    both = await store(backend, "Alex lives in Oslo", sourceRef={"conversationId": "conv-1", "memoryId": "mem-1"})
    await store(backend, "Alex likes cats", sourceRef={"memoryId": "mem-2", "conversationId": "conv-2"})
    await store(backend, "Alex likes tea", space="s2", sourceRef={"memoryId": "mem-1", "conversationId": "conv-1"})
    await store(backend, "no source")

    async def found(**source):
        rows = await call(backend, "gdpr:factsBySource", {"memorySpaceId": "s1", **source})
        return [f["factId"] for f in rows]

    assert await found(sourceMemoryId="mem-1") == [by_memory["factId"], both["factId"]]
    assert await found(sourceConversationId="conv-1") == [by_conversation["factId"], both["factId"]]
    assert await found(sourceMemoryId="mem-1", sourceConversationId="conv-1") == [
        by_memory["factId"], by_conversation["factId"], both["factId"]]  # oldest first, each once
    assert await found() == [] and await found(sourceMemoryId="mem-9") == []


async def test_facts_by_source_leaves_out_superseded_and_filters_by_validity(backend):
    old = await store(backend, "Alex lives in Oslo", sourceRef={"memoryId": "mem-1"})
    new = await store(backend, "Alex lives in Bergen", sourceRef={"memoryId": "mem-1"})
    await call(backend, "facts:supersede", {"memorySpaceId": "s1", "oldFactId": old["factId"],
                                            "newFactId": new["factId"]})
    args = {"memorySpaceId": "s1", "sourceMemoryId": "mem-1"}
    assert [f["factId"] for f in await call(backend, "gdpr:factsBySource", args)] == [new["factId"]]
    tick()
    await call(backend, "facts:deleteFact", {"memorySpaceId": "s1", "factId": new["factId"]})
    tick()
    assert len(await call(backend, "gdpr:factsBySource", args)) == 1  # no validAt: any
    later = (await call(backend, "facts:get", {"memorySpaceId": "s1", "factId": new["factId"]}))["validUntil"] + 1
    assert await call(backend, "gdpr:factsBySource", {**args, "validAt": later}) == []


@pytest.mark.parametrize(
    ("args", "field"),
    [({"sourceMemoryId": 1}, "sourceMemoryId"), ({"sourceConversationId": None}, "sourceConversationId"),
     ({"validAt": "now"}, "validAt"), ({"memoryId": "mem-1"}, "memoryId")],
)
async def test_facts_by_source_refuses_bad_arguments(backend, args, field):
    with pytest.raises(ArgumentValidationError) as caught:
        await call(backend, "gdpr:factsBySource", {"memorySpaceId": "s1", **args})
    assert field in str(caught.value)
