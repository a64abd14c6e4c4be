"""Schema migrations of the embedded store: named steps recorded in `_migrations`, applied in order,
each in one transaction; files from older builds are upgraded and files from newer builds refused."""

import json
import sqlite3
from pathlib import Path

import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.backends.embedded import store as store_module
from cortex_mcp.backends.embedded.migrations import LAYOUT, MigrationError, NewerDatabaseError, Step

SCHEMA_2 = Path(__file__).parent / "data" / "schema2.sql"  # written by the build before named steps
STEP_NAMES = [step.name for step in store_module.MIGRATIONS]


def legacy_file(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_2.read_text())
    conn.close()
    return path


def records(path: Path) -> dict[str, tuple[int, str | None]]:
    conn = sqlite3.connect(path)
    try:
        return {name: (at, checksum) for name, at, checksum in conn.execute("SELECT * FROM _migrations")}
    finally:
        conn.close()


def layout(path: Path) -> dict[str, set[str]]:
    """Every table and index by name, with each table's column names (STORED or VIRTUAL alike)."""
    conn = sqlite3.connect(path)
    try:
        objects = conn.execute("SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
        return {
            name: {row[1] for row in conn.execute(f'PRAGMA table_xinfo("{name}")')} if kind == "table" else {kind}
            for name, kind in objects
        }
    finally:
        conn.close()


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def open_backend(path: Path) -> EmbeddedBackend:
    return EmbeddedBackend(path)


def test_a_new_file_records_every_step_and_the_layout(tmp_path):
    db = tmp_path / "new.db"
    open_backend(db).store.close()
    recorded = records(db)
    assert set(recorded) == {*STEP_NAMES, LAYOUT}
    assert recorded[LAYOUT][1] == store_module._layout_checksum()
    assert all(checksum is None for name, (_, checksum) in recorded.items() if name != LAYOUT)
    conn = sqlite3.connect(db)
    # builds from before named steps refuse a file above version 2
    assert conn.execute("SELECT value FROM _meta WHERE key = 'schema_version'").fetchone() == ("3",)
    conn.close()

    open_backend(db).store.close()  # reopening an up-to-date file changes nothing
    assert records(db) == recorded


def test_a_schema_2_file_is_upgraded_to_the_layout_of_a_new_file(tmp_path):
    db = legacy_file(tmp_path / "old.db")
    b = open_backend(db)
    try:
        assert b.call_sync("query", "memories:count", {"memorySpaceId": "s"}) == 3
        hits = b.call_sync("query", "memories:search", {"memorySpaceId": "s", "query": "tortoise"})
        assert [h["content"] for h in hits] == ["the tortoise is named Sheldon"]
        near = b.call_sync("query", "memories:search", {"memorySpaceId": "s", "query": "x", "embedding": [0.0, 1.0]})
        assert near[0]["content"] == "ana likes green tea" and near[0]["_score"] == pytest.approx(1.0)
        written = {"memorySpaceId": "s", "content": "written after the upgrade", "contentType": "raw",
                   "sourceType": "tool", "importance": 1, "tags": []}
        b.call_sync("mutation", "memories:store", written)
    finally:
        b.store.close()
    assert set(records(db)) == {*STEP_NAMES, LAYOUT}
    fresh = tmp_path / "fresh.db"
    open_backend(fresh).store.close()
    assert layout(db) == layout(fresh)


def test_a_schema_1_file_gets_its_vectors_moved_out_of_the_documents(tmp_path):
    db = legacy_file(tmp_path / "v1.db")
    conn = sqlite3.connect(db)  # what schema 1 wrote: vectors inside the JSON document, no blob column
    for rowid, text, blob in conn.execute("SELECT rowid, doc, v_embedding FROM memories").fetchall():
        if blob is not None:
            doc = json.loads(text)
            doc["embedding"] = list(memoryview(blob).cast("d"))
            conn.execute("UPDATE memories SET doc = ? WHERE rowid = ?", (json.dumps(doc), rowid))
    conn.execute("ALTER TABLE memories DROP COLUMN v_embedding")
    conn.execute("UPDATE _meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()

    b = open_backend(db)
    try:
        rows = b.store.conn.execute("SELECT doc, v_embedding FROM memories ORDER BY rowid").fetchall()
        assert all("embedding" not in json.loads(text) for text, _ in rows)
        assert [blob is not None for _, blob in rows] == [True, True, False]
        near = b.call_sync("query", "memories:search", {"memorySpaceId": "s", "query": "x", "embedding": [1.0, 0.0]})
        assert near[0]["content"] == "the tortoise is named Sheldon" and near[0]["embedding"] == [1.0, 0.0]
    finally:
        b.store.close()


def test_steps_run_in_order_once_each(tmp_path, monkeypatch):
    db = tmp_path / "order.db"
    open_backend(db).store.close()
    ran: list[str] = []
    later = [Step("9001-first", lambda conn: ran.append("first")),
             Step("9002-second", lambda conn: ran.append("second"))]
    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, *later])
    open_backend(db).store.close()
    open_backend(db).store.close()
    assert ran == ["first", "second"]
    assert set(records(db)) == {*STEP_NAMES, "9001-first", "9002-second", LAYOUT}


def test_a_failing_step_leaves_the_file_as_it_was_and_the_open_fails(tmp_path, monkeypatch):
    db = legacy_file(tmp_path / "fail.db")
    open_backend(db).store.close()
    before = dump(db)

    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM memories")
        conn.execute("ALTER TABLE memories ADD COLUMN scratch TEXT")
        raise ValueError("disk says no")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, Step("9001-broken", half_done)])
    with pytest.raises(MigrationError, match="9001-broken.*disk says no"):
        open_backend(db)
    assert dump(db) == before

    fixed = [*store_module.MIGRATIONS[:-1], Step("9001-broken", lambda conn: None)]
    monkeypatch.setattr(store_module, "MIGRATIONS", fixed)
    b = open_backend(db)
    try:
        assert b.call_sync("query", "memories:count", {"memorySpaceId": "s"}) == 3
    finally:
        b.store.close()
    assert "9001-broken" in records(db)


def test_a_failing_first_step_on_an_old_file_leaves_it_openable_by_the_old_build(tmp_path, monkeypatch):
    db = legacy_file(tmp_path / "old-fail.db")

    def broken(conn: sqlite3.Connection) -> None:
        raise RuntimeError("boom")

    before = dump(db)
    monkeypatch.setattr(store_module, "MIGRATIONS", [Step("0001-broken", broken)])
    with pytest.raises(MigrationError):
        open_backend(db)
    assert dump(db) == before  # no _migrations table, schema_version still 2


@pytest.mark.parametrize("tamper", [
    "INSERT INTO _migrations VALUES ('9999-from-the-future', 0, NULL)",
    "UPDATE _meta SET value = '4' WHERE key = 'schema_version'",
])
def test_a_file_from_a_newer_build_is_refused_untouched(tmp_path, tamper):
    db = tmp_path / "newer.db"
    open_backend(db).store.close()
    conn = sqlite3.connect(db)
    conn.execute(tamper)
    conn.commit()
    conn.close()
    before = dump(db)
    with pytest.raises(NewerDatabaseError, match="newer cortex-mcp"):
        open_backend(db)
    assert dump(db) == before


def test_a_schema_3_file_is_refused_by_the_check_builds_before_named_steps_made(tmp_path):
    db = tmp_path / "three.db"
    open_backend(db).store.close()
    conn = sqlite3.connect(db)
    try:
        version = int(conn.execute("SELECT value FROM _meta WHERE key = 'schema_version'").fetchone()[0])
    finally:
        conn.close()
    assert version > 2  # the schema-2 build refuses any file whose version is above 2


def sql_of(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE '_m%'"))
    finally:
        conn.close()


def test_an_old_file_gets_virtual_columns_partial_indexes_and_no_unused_indexes(tmp_path):
    db = legacy_file(tmp_path / "stored.db")
    before = sqlite3.connect(db)
    rows_before = before.execute("SELECT rowid, _id, _creationTime, doc FROM memories ORDER BY rowid").fetchall()
    before.close()
    open_backend(db).store.close()
    fresh = tmp_path / "fresh.db"
    open_backend(fresh).store.close()
    # the same tables, columns and index definitions as a new file (a column added since to the
    # schema comes last in an older file: compared by name, not by its place in the CREATE TABLE)
    assert layout(db) == layout(fresh)
    tables = {name for name, kind in ((n, k) for n, k in layout(fresh).items()) if kind != {"index"}}
    assert {k: v for k, v in sql_of(db).items() if k not in tables} == {
        k: v for k, v in sql_of(fresh).items() if k not in tables
    }
    upgraded = sql_of(db)
    assert "STORED" not in upgraded["memories"] and "VIRTUAL" in upgraded["memories"]
    assert upgraded["memories__by_userId"].endswith('WHERE "f_userId" IS NOT NULL')
    assert "memories__by_agentId" not in upgraded and "memories__by_tenantId" not in upgraded
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT rowid, _id, _creationTime, doc FROM memories ORDER BY rowid").fetchall() == rows_before
    conn.close()
    b = open_backend(db)
    try:  # rowids kept: the search table still finds its documents
        hits = b.call_sync("query", "memories:search", {"memorySpaceId": "s", "query": "tortoise"})
        assert [h["content"] for h in hits] == ["the tortoise is named Sheldon"]
    finally:
        b.store.close()


def test_indexes_that_ended_in_creation_time_are_made_again(tmp_path):
    db = tmp_path / "suffix.db"
    b = open_backend(db)
    for i in range(3):
        b.call_sync("mutation", "memories:store", {"memorySpaceId": "s", "content": f"m{i}", "contentType": "raw",
                                                   "sourceType": "tool", "importance": 1, "tags": []})
    b.store.close()
    conn = sqlite3.connect(db)  # as the build before step 0003 left it
    conn.execute('DROP INDEX "memories__by_memorySpace"')
    conn.execute('CREATE INDEX "memories__by_memorySpace" ON "memories"("f_memorySpaceId", _creationTime)')
    conn.execute('CREATE INDEX "memories__by_creation" ON "memories"(_creationTime)')
    conn.execute("DELETE FROM _migrations WHERE name = '0003-indexes-without-creation-time'")
    conn.commit()
    conn.close()
    b = open_backend(db)
    try:
        listed = b.call_sync("query", "memories:list", {"memorySpaceId": "s"})
        assert [m["content"] for m in listed] == ["m2", "m1", "m0"]  # newest first, as before
    finally:
        b.store.close()
    fresh = tmp_path / "fresh.db"
    open_backend(fresh).store.close()
    assert sql_of(db) == sql_of(fresh)
    assert "_creationTime" not in sql_of(db)["memories__by_memorySpace"]


@pytest.mark.anyio
async def test_a_memory_search_table_the_window_index_serves_is_dropped(tmp_path):
    path = tmp_path / "served.db"
    backend = open_backend(path)
    for text in ("Deploys happen on Fridays", "Rollbacks need a ticket", "Lunch on Fridays is pizza"):
        await call(backend, "memories:store", {"memorySpaceId": "s1", "content": text, "contentType": "raw",
                                               "sourceType": "tool", "importance": 50, "tags": []})
    backend.store.close()
    conn = sqlite3.connect(path)  # as the build before 0006 left it: the own-text index in a table of its own
    conn.execute("CREATE VIRTUAL TABLE memories__search_by_content USING fts5(text, content = '', "
                 "tokenize = 'porter unicode61 remove_diacritics 2')")
    conn.execute("INSERT INTO memories__search_by_content(rowid, text) SELECT rowid, json_extract(doc, '$.content') "
                 "FROM memories")
    conn.execute("DELETE FROM _migrations WHERE name = '0006-search-served-by-windows'")
    conn.commit()
    conn.close()
    backend = open_backend(path)
    assert "memories__search_by_content" not in layout(path) and "facts__search_by_content" in layout(path)
    assert "0006-search-served-by-windows" in records(path)
    found = await call(backend, "memories:search", {"memorySpaceId": "s1", "query": "friday"})
    assert sorted(m["content"] for m in found) == ["Deploys happen on Fridays", "Lunch on Fridays is pizza"]
    found = await call(backend, "memories:search", {"memorySpaceId": "s1", "query": "ticket rollb"})  # prefix
    assert [m["content"] for m in found] == ["Rollbacks need a ticket"]
    # the served index keeps up with writes: an update is found by its new words only
    memory = found[0]
    await call(backend, "memories:update", {"memorySpaceId": "s1", "memoryId": memory["memoryId"],
                                            "content": "Rollbacks need two approvals"})
    assert await call(backend, "memories:search", {"memorySpaceId": "s1", "query": "ticket"}) == []
    assert len(await call(backend, "memories:search", {"memorySpaceId": "s1", "query": "approvals"})) == 1
    backend.store.close()
