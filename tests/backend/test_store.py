"""The SQLite document store itself: new index columns, search order, limits, values it cannot keep."""

import multiprocessing
import sqlite3

import pytest

from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.backends.embedded import store as store_module
from cortex_mcp.backends.embedded.schema import TABLES, Table
from cortex_mcp.errors import FunctionError


def memory(content: str, **extra) -> dict:
    return {"memorySpaceId": "s", "content": content, "contentType": "raw", "sourceType": "tool",
            "importance": 50, "tags": [], **extra}


def test_reopening_adds_new_index_columns_and_fills_new_search_tables(tmp_path, monkeypatch):
    db = tmp_path / "old.db"
    old_memories = TABLES["memories"]
    fewer_indexes = {k: v for k, v in old_memories.indexes.items() if k != "by_sourceUserId"}
    monkeypatch.setitem(TABLES, "memories", Table("memories", old_memories.fields, fewer_indexes, {}))
    b = EmbeddedBackend(db)
    b.call_sync("mutation", "memories:store", memory("tortoise named Sheldon", sourceUserId="ana"))
    b.store.close()
    columns = {r[1] for r in sqlite3.connect(db).execute('PRAGMA table_xinfo("memories")')}
    assert "f_sourceUserId" not in columns

    monkeypatch.setitem(TABLES, "memories", old_memories)  # a newer version of the schema
    b = EmbeddedBackend(db)
    try:
        found = b.store.run(False, lambda tx: tx.query("memories").index("by_sourceUserId", "ana").collect())
        assert [d["content"] for d in found] == ["tortoise named Sheldon"]
        hits = b.call_sync("query", "memories:search", {"memorySpaceId": "s", "query": "tortoise"})
        assert [h["content"] for h in hits] == ["tortoise named Sheldon"]
    finally:
        b.store.close()


def test_search_ties_come_newest_first_and_huge_limits_mean_all(tmp_path):
    b = EmbeddedBackend(tmp_path / "s.db")
    try:
        for i in range(3):
            b.call_sync("mutation", "memories:store", memory(f"same words here {i}x"))
        ranked = b.store.run(
            False, lambda tx: tx.search("memories", "by_content", "same words", {"memorySpaceId": "s"})
        )
        assert [d["content"] for d in ranked] == ["same words here 2x", "same words here 1x", "same words here 0x"]
        assert len(b.call_sync("query", "memories:list", {"memorySpaceId": "s", "limit": 1e20})) == 3
        assert len(b.call_sync("query", "agents:list", {"limit": 2.0**70})) == 0
    finally:
        b.store.close()


@pytest.mark.parametrize(
    "value, needle", [(float("nan"), "NaN"), (float("inf"), "NaN"), ("bad \ud800 text", "surrogate")]
)
def test_values_sqlite_cannot_keep_are_plain_errors_and_write_nothing(tmp_path, value, needle):
    b = EmbeddedBackend(tmp_path / "v.db")
    try:
        args = memory(value) if isinstance(value, str) else memory("x", importance=value)
        with pytest.raises(FunctionError) as err:
            b.call_sync("mutation", "memories:store", args)
        assert needle in err.value.message
        assert b.call_sync("query", "memories:count", {"memorySpaceId": "s"}) == 0
    finally:
        b.store.close()


def test_long_search_terms_are_cut_at_32_characters():
    assert store_module.search_terms("x" * 40 + " Ok") == ["x" * 32, "ok"]


def test_where_filters_in_sql_on_indexed_fields_and_in_python_otherwise(tmp_path):
    b = EmbeddedBackend(tmp_path / "w.db")
    try:
        b.call_sync("mutation", "memories:store", memory("a", sourceType="a2a"))
        b.call_sync("mutation", "memories:store", memory("b"))
        b.call_sync("mutation", "memories:store", memory("c", messageRole="user"))

        def run(q):
            return b.store.run(False, lambda tx: [d["content"] for d in q(tx).collect()])

        assert run(lambda tx: tx.query("memories").where("sourceType", "a2a")) == ["a"]
        assert b.store.run(False, lambda tx: tx.query("memories").where("sourceType", "tool").count()) == 2
        assert run(lambda tx: tx.query("memories").where("messageRole", "user")) == ["c"]  # no column: Python
        assert run(lambda tx: tx.query("memories").where("importance", True)) == []  # 50 is not true
        assert run(lambda tx: tx.query("memories").where("importance", 50)) == ["a", "b", "c"]
    finally:
        b.store.close()


def test_vectors_live_beside_the_document_and_read_back_unchanged(tmp_path):
    b = EmbeddedBackend(tmp_path / "vec.db")
    try:
        stored = b.call_sync("mutation", "memories:store", memory("v", embedding=[0.25, -1.5, 3.0]))
        assert stored["embedding"] == [0.25, -1.5, 3.0]
        raw = b.store.conn.execute("SELECT doc, v_embedding FROM memories").fetchone()
        assert "embedding" not in raw[0] and raw[1] is not None  # not parsed with the JSON document
        b.call_sync(
            "mutation",
            "memories:finalizePartialMemory",
            {"memoryId": stored["memoryId"], "content": "v2", "metadata": None},
        )
        assert "embedding" not in b.call_sync(
            "query", "memories:get", {"memorySpaceId": "s", "memoryId": stored["memoryId"]}
        )
        with pytest.raises(FunctionError) as err:
            b.call_sync("mutation", "memories:store", memory("bad", embedding=[float("nan")]))
        assert "NaN" in err.value.message
    finally:
        b.store.close()


def test_odd_vectors_and_limits(tmp_path):
    b = EmbeddedBackend(tmp_path / "odd.db")
    try:
        with pytest.raises(FunctionError) as err:
            b.call_sync("mutation", "memories:store", memory("huge", embedding=[10**400]))
        assert "Infinity" in err.value.message
        b.call_sync("mutation", "memories:store", memory("ok", embedding=[1, 2]))
        hits = b.call_sync(
            "query",
            "memories:search",
            {"memorySpaceId": "s", "query": "x", "embedding": [1.0, 2.0], "limit": float("inf")},
        )
        assert [h["content"] for h in hits] == ["ok"]
    finally:
        b.store.close()


def plan(b: EmbeddedBackend, query) -> str:
    sql, params = query._sql("_id")
    return " ".join(row[3] for row in b.store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def test_sparse_fields_have_partial_indexes_that_queries_with_a_value_use(tmp_path):
    b = EmbeddedBackend(tmp_path / "p.db")
    try:
        b.call_sync("mutation", "memories:store", memory("mine", userId="u1", participantId="p1"))
        b.call_sync("mutation", "memories:store", memory("nobody's"))
        by_user = b.store.run(False, lambda tx: tx.query("memories").index("by_userId", "u1"))
        assert "memories__by_userId" in plan(b, by_user)
        assert [d["content"] for d in b.store.run(False, lambda tx: by_user.collect())] == ["mine"]
        # An absent field is not in the partial index: the query still answers (by scanning).
        no_user = b.store.run(False, lambda tx: tx.query("memories").index("by_userId", None))
        assert "memories__by_userId" not in plan(b, no_user)
        assert [d["content"] for d in b.store.run(False, lambda tx: no_user.collect())] == ["nobody's"]
        indexed = {r[0] for r in b.store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "memories__by_participantId" in indexed and "memories__by_agentId" not in indexed
        # An unindexed (declared-only) index still answers, by a scan.
        by_agent = b.store.run(False, lambda tx: tx.query("memories").index("by_agentId", None).collect())
        assert len(by_agent) == 2
    finally:
        b.store.close()


def stored_json(b: EmbeddedBackend, memory_id: str) -> dict:
    import json

    (text,) = b.store.conn.execute("SELECT doc FROM memories WHERE f_memoryId = ?", (memory_id,)).fetchone()
    return json.loads(text)


def test_usual_values_are_left_out_of_the_stored_json_and_read_back(tmp_path):
    b = EmbeddedBackend(tmp_path / "implied.db")
    try:
        plain = b.call_sync("mutation", "memories:store", memory("plain note"))
        raw = stored_json(b, plain["memoryId"])
        implied = ("contentType", "tags", "version", "previousVersions", "accessCount", "sourceTimestamp", "updatedAt")
        assert not set(implied) & set(raw)
        read = b.call_sync("query", "memories:get", {"memorySpaceId": "s", "memoryId": plain["memoryId"]})
        assert read == plain
        assert read["updatedAt"] == read["sourceTimestamp"] == read["createdAt"] and read["version"] == 1
        assert read["tags"] == [] and read["previousVersions"] == [] and read["accessCount"] == 0
        read["tags"].append("mutated")  # a decoded default is the caller's own copy
        again = b.call_sync("query", "memories:get", {"memorySpaceId": "s", "memoryId": plain["memoryId"]})
        assert again["tags"] == []

        # Other values are stored as they are, including numbers that only look alike.
        record = memory("unusual", contentType="fact", tags=["t"], memoryId="mem-odd", version=1.0,
                        createdAt=1_000, updatedAt=2_000, sourceTimestamp=1_000, accessCount=3)
        b.call_sync("mutation", "bulk:storeMemories", {"memories": [record]})
        raw = stored_json(b, "mem-odd")
        assert raw["contentType"] == "fact" and raw["tags"] == ["t"] and raw["updatedAt"] == 2_000
        assert raw["version"] == 1.0 and isinstance(raw["version"], float) and raw["accessCount"] == 3
        assert "sourceTimestamp" not in raw  # equal to createdAt
        odd = b.call_sync("query", "memories:get", {"memorySpaceId": "s", "memoryId": "mem-odd"})
        assert (odd["sourceTimestamp"], odd["updatedAt"], odd["version"]) == (1_000, 2_000, 1.0)

        # A patch reads the whole document and writes it back: values stay right either way.
        b.call_sync("mutation", "memories:update", {"memorySpaceId": "s", "memoryId": plain["memoryId"],
                                                    "content": "plain note, edited"})
        edited = b.call_sync("query", "memories:get", {"memorySpaceId": "s", "memoryId": plain["memoryId"]})
        assert edited["version"] == 2 and edited["previousVersions"][0]["content"] == "plain note"
        assert stored_json(b, plain["memoryId"])["version"] == 2
    finally:
        b.store.close()


def _open_each_when_the_others_do(paths: list[str], barrier, errors) -> None:
    for path in paths:
        barrier.wait()
        try:
            store_module.Store(path).close()
        except Exception as exc:  # reported to the test, which names it
            errors.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_one_new_file_at_once_all_succeed(tmp_path):
    """Hosts start several servers on a new database at once: each one opens it (switching a new file to
    WAL used to fail at once with "database is locked" in all but the first, whatever busy_timeout)."""
    paths = [str(tmp_path / f"new-{i}.db") for i in range(16)]
    spawn = multiprocessing.get_context("spawn")  # no fork of this threaded process
    barrier, errors = spawn.Barrier(4), spawn.Queue()
    workers = [spawn.Process(target=_open_each_when_the_others_do, args=(paths, barrier, errors)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
