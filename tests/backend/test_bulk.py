"""bulk:storeMemories (a cortex-mcp extension) and api/bulk.py over it."""

import pytest

from cortex_mcp.api import bulk
from cortex_mcp.backends.base import KindDispatch, call
from cortex_mcp.contract.bulk import MAX_RECORDS
from cortex_mcp.errors import ArgumentValidationError, FunctionError, FunctionNotFoundError

pytestmark = pytest.mark.anyio


def record(content="hello world", space="s1", **extra):
    return {
        "memorySpaceId": space,
        "content": content,
        "contentType": "raw",
        "sourceType": "tool",
        "importance": 50,
        "tags": [],
        **extra,
    }


async def count(backend, space="s1"):
    return await call(backend, "memories:count", {"memorySpaceId": space})


async def get(backend, memory_id, space="s1"):
    return await call(backend, "memories:get", {"memorySpaceId": space, "memoryId": memory_id})


async def test_stores_every_record_searchable_in_order(backend):
    records = [record(f"note {i} about zebra{i}", userId="u1", tags=[f"t{i}"]) for i in range(5)]
    reply = await call(backend, "bulk:storeMemories", {"memories": records})
    assert reply["stored"] == 5 and reply["skipped"] == 0 and len(set(reply["memoryIds"])) == 5
    for i, memory_id in enumerate(reply["memoryIds"]):
        doc = await get(backend, memory_id)
        assert doc["content"] == f"note {i} about zebra{i}"
        assert doc["userId"] == "u1" and doc["tags"] == [f"t{i}"] and doc["version"] == 1
        assert doc["previousVersions"] == [] and doc["accessCount"] == 0
    found = await call(backend, "memories:search", {"memorySpaceId": "s1", "query": "zebra3"})
    assert [d["memoryId"] for d in found] == [reply["memoryIds"][3]]
    listed = await call(backend, "memories:list", {"memorySpaceId": "s1"})
    assert {d["memoryId"] for d in listed} == set(reply["memoryIds"])


async def test_later_single_store_sorts_after_the_batch(backend):
    reply = await call(backend, "bulk:storeMemories", {"memories": [record("a"), record("b")]})
    single = await call(backend, "memories:store", record("c"))
    docs = await call(backend, "memories:list", {"memorySpaceId": "s1"})
    by_id = {d["memoryId"]: d["_creationTime"] for d in docs}
    first, second = reply["memoryIds"]
    assert by_id[first] < by_id[second] < by_id[single["memoryId"]]


async def test_stored_state_of_an_export_is_kept(backend):
    previous = [{"version": 1, "content": "old text", "timestamp": 1_000}]
    rec = record(
        "new text",
        memoryId="mem-1-abc",
        createdAt=1_000,
        updatedAt=2_000,
        sourceTimestamp=900,
        version=2,
        previousVersions=previous,
        accessCount=3,
        lastAccessed=2_500,
        metadata={"origin": "export"},
        embedding=[0.5, 0.25],
    )
    reply = await call(backend, "bulk:storeMemories", {"memories": [rec]})
    assert reply["memoryIds"] == ["mem-1-abc"]
    doc = await get(backend, "mem-1-abc")
    assert (doc["createdAt"], doc["updatedAt"], doc["sourceTimestamp"]) == (1_000, 2_000, 900)
    assert (doc["version"], doc["accessCount"], doc["lastAccessed"]) == (2, 3, 2_500)
    assert doc["previousVersions"] == previous and doc["metadata"] == {"origin": "export"}
    assert doc["embedding"] == [0.5, 0.25]


async def test_created_at_alone_sets_updated_at(backend):
    await call(backend, "bulk:storeMemories", {"memories": [record(memoryId="mem-x", createdAt=5_000)]})
    doc = await get(backend, "mem-x")
    assert doc["createdAt"] == doc["updatedAt"] == 5_000


async def test_importing_again_with_ids_adds_nothing(backend):
    records = [record(f"m{i}", memoryId=f"mem-{i}") for i in range(3)]
    first = await call(backend, "bulk:storeMemories", {"memories": records})
    assert (first["stored"], first["skipped"]) == (3, 0)
    again = await call(backend, "bulk:storeMemories", {"memories": records + [record("m9", memoryId="mem-9")]})
    assert (again["stored"], again["skipped"]) == (1, 3)
    assert again["memoryIds"] == ["mem-0", "mem-1", "mem-2", "mem-9"]
    assert await count(backend) == 4
    assert (await get(backend, "mem-0"))["content"] == "m0"


async def test_a_repeated_id_in_one_call_is_stored_once(backend):
    reply = await call(
        backend,
        "bulk:storeMemories",
        {"memories": [record("first", memoryId="mem-d"), record("second", memoryId="mem-d")]},
    )
    assert (reply["stored"], reply["skipped"]) == (1, 1)
    assert (await get(backend, "mem-d"))["content"] == "first"


async def test_an_id_of_another_space_fails_the_whole_call(backend):
    await call(backend, "bulk:storeMemories", {"memories": [record(memoryId="mem-taken", space="other")]})
    batch = [record("fine"), record("clash", memoryId="mem-taken"), record("also fine")]
    with pytest.raises(FunctionError, match=r"memories\[1\]\.memoryId"):
        await call(backend, "bulk:storeMemories", {"memories": batch})
    assert await count(backend) == 0


@pytest.mark.parametrize(
    "bad, path",
    [
        ({"content": 5}, ".memories[2].content"),
        ({"contentType": "poem"}, ".memories[2].contentType"),
        ({"extra": 1}, ".memories[2].extra"),
        ({"previousVersions": [{"version": 1}]}, ".memories[2].previousVersions[0].content"),
        ({"createdAt": "yesterday"}, ".memories[2].createdAt"),
    ],
)
async def test_a_bad_record_writes_nothing_and_is_named(backend, bad, path):
    batch = [record("a"), record("b"), {**record("c"), **bad}, record("d")]
    with pytest.raises(ArgumentValidationError) as caught:
        await call(backend, "bulk:storeMemories", {"memories": batch})
    assert caught.value.path == path
    assert await count(backend) == 0


async def test_a_record_missing_a_required_field_is_named(backend):
    bad = record()
    del bad["importance"]
    with pytest.raises(ArgumentValidationError) as caught:
        await call(backend, "bulk:storeMemories", {"memories": [record(), bad]})
    assert caught.value.path == ".memories[1].importance"
    assert await count(backend) == 0


async def test_empty_batch_stores_nothing(backend):
    empty = {"stored": 0, "skipped": 0, "replaced": 0, "conflicts": 0, "memoryIds": []}
    assert await call(backend, "bulk:storeMemories", {"memories": []}) == empty


async def test_more_than_the_batch_limit_is_refused(backend):
    batch = [record(f"m{i}") for i in range(MAX_RECORDS + 1)]
    with pytest.raises(FunctionError, match=f"at most {MAX_RECORDS}"):
        await call(backend, "bulk:storeMemories", {"memories": batch})
    assert await count(backend) == 0


# -- api/bulk.py ------------------------------------------------------------------------------
async def test_api_sends_batches_and_collects_ids(backend):
    records = [record(f"m{i}", memoryId=f"mem-{i}") for i in range(7)]
    result = await bulk.store_memories(backend, records, batch_size=3)
    assert (result.stored, result.skipped, result.extension) == (7, 0, True)
    assert result.memory_ids == [f"mem-{i}" for i in range(7)]
    again = await bulk.store_memories(backend, records, batch_size=3)
    assert (again.stored, again.skipped) == (0, 7)
    assert await count(backend) == 7


@pytest.mark.parametrize("batch_size", [2, None])  # several batches, and one
async def test_api_bad_record_in_a_later_batch_writes_nothing(backend, batch_size):
    records = [record(f"m{i}") for i in range(5)] + [record(importance="high")]
    with pytest.raises(ArgumentValidationError) as caught:
        await bulk.store_memories(backend, records, batch_size=batch_size)
    assert caught.value.path == ".memories[5].importance"
    assert await count(backend) == 0


async def test_api_refuses_a_batch_size_out_of_range(backend):
    with pytest.raises(ValueError, match="batch_size"):
        await bulk.store_memories(backend, [record()], batch_size=MAX_RECORDS + 1)


class _WithoutExtension(KindDispatch):
    """A deployment that lacks the bulk extension (an upstream Cortex one)."""

    def __init__(self, inner):
        self.inner, self.name, self.paths = inner, "convex", []

    async def _call(self, kind, path, args):
        self.paths.append(path)
        if path.startswith("bulk:"):
            raise FunctionNotFoundError(path)
        return await getattr(self.inner, kind)(path, args)


async def test_api_falls_back_to_one_store_per_record(backend):
    upstream = _WithoutExtension(backend)
    records = [record(f"fallback {i}", memoryId=f"mem-{i}", createdAt=1) for i in range(20)]
    result = await bulk.store_memories(upstream, records)
    assert (result.stored, result.extension) == (20, False)
    assert upstream.paths.count("memories:store") == 20 and upstream.paths.count("bulk:storeMemories") == 1
    docs = [await get(backend, memory_id) for memory_id in result.memory_ids]
    assert [d["content"] for d in docs] == [f"fallback {i}" for i in range(20)]
    assert await count(backend) == 20


async def test_on_conflict_skip_replace_fail_and_dry_run(backend):
    kept = record("first text", memoryId="mem-1", embedding=[1.0, 0.0], createdAt=1_000)
    await call(backend, "bulk:storeMemories", {"memories": [kept]})
    await call(backend, "memories:get", {"memorySpaceId": "s1", "memoryId": "mem-1"})
    changed = record("first text", memoryId="mem-1", importance=90, createdAt=1_000)  # no vector: the stored one stays
    reply = await call(backend, "bulk:storeMemories", {"memories": [changed]})
    assert (reply["stored"], reply["skipped"], reply["conflicts"], reply["replaced"]) == (0, 1, 1, 0)
    with pytest.raises(FunctionError, match=r"memories\[1\]: .*mem-1.*already exists with other content"):
        await call(backend, "bulk:storeMemories", {"memories": [record("new"), changed], "onConflict": "fail"})
    assert await count(backend) == 1  # the failed call wrote nothing, not even its new record
    dry = await call(backend, "bulk:storeMemories", {"memories": [changed], "onConflict": "replace", "dryRun": True})
    assert (dry["replaced"], (await get(backend, "mem-1"))["importance"]) == (1, 50)
    await call(backend, "bulk:storeMemories", {"memories": [changed], "onConflict": "replace"})
    doc = await get(backend, "mem-1")
    assert doc["importance"] == 90 and doc["embedding"] == [1.0, 0.0]  # same text: its vector still fits
    # access statistics are not content: a record differing only there is no conflict
    again = await call(backend, "bulk:storeMemories", {"memories": [{**changed, "accessCount": 7}]})
    assert (again["skipped"], again["conflicts"]) == (1, 0)
