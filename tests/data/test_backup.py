"""`cortex-mcp backup` under concurrent writers (threads and a process) and `restore`'s refusals."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import anyio
import pytest
from click.testing import CliRunner

from cortex_mcp import cli
from cortex_mcp.backends.base import Call, call, run_plan
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.data.backup import BackupError, backup, restore
from tests.helpers import ROOT


def remember_plan(writer: str, i: int):
    """A memory and the writer's counter, in one transaction: a consistent copy has them equal."""
    yield Call("memories:store", {
        "memorySpaceId": writer, "content": f"{writer} note {i}", "contentType": "raw", "sourceType": "system",
        "importance": 50, "tags": [],
    })
    yield Call("mutable:set", {"namespace": "count", "key": writer, "value": i})


def write_until(db, writer: str, stop: threading.Event, started: threading.Event) -> None:
    async def main():
        backend = EmbeddedBackend(db)
        try:
            i = 0
            while not stop.is_set():
                i += 1
                await run_plan(backend, remember_plan(writer, i))
                if i == 5:
                    started.set()
        finally:
            await backend.aclose()

    anyio.run(main)


CHILD = """
import sys, threading, anyio
from cortex_mcp.backends.base import run_plan
from cortex_mcp.backends.embedded import EmbeddedBackend
from tests.data.test_backup import remember_plan
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
async def main():
    backend = EmbeddedBackend(sys.argv[1])
    i = 0
    while not stop.is_set():
        i += 1
        await run_plan(backend, remember_plan("process", i))
        if i == 5:
            print("ready", flush=True)
    await backend.aclose()
anyio.run(main)
"""


def consistent(db, *, copy: bool = True) -> dict[str, int]:
    """Each writer's memories in the file, checked against its counter from the same transaction."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        if copy:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    finally:
        conn.close()

    async def counts():
        backend = EmbeddedBackend(db)
        try:
            found = {}
            for writer in ("thread-1", "thread-2", "process"):
                stored = await call(backend, "memories:count", {"memorySpaceId": writer})
                counter = await call(backend, "mutable:get", {"namespace": "count", "key": writer})
                assert stored == (counter["value"] if counter else 0), writer
                found[writer] = stored
            return found
        finally:
            await backend.aclose()

    return anyio.run(counts)


def test_backup_while_threads_and_a_process_write(tmp_path):
    db, copy = tmp_path / "cortex.db", tmp_path / "backup.db"
    EmbeddedBackend(db).store.close()  # create it before the writers race to
    stop = threading.Event()
    starts = [threading.Event(), threading.Event()]
    threads = [
        threading.Thread(target=write_until, args=(db, f"thread-{n + 1}", stop, started))
        for n, started in enumerate(starts)
    ]
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        for thread in threads:
            thread.start()
        assert child.stdout.readline().strip() == "ready"
        for started in starts:
            assert started.wait(30)
        first = backup(db, copy)
        assert first.size > 0
    finally:
        stop.set()
        child.stdin.close()
        child.wait(60)
        for thread in threads:
            thread.join(60)
    copied = consistent(copy)
    assert all(n >= 5 for n in copied.values()), copied  # every writer had written when it was taken
    final = consistent(db, copy=False)
    assert all(final[w] >= copied[w] for w in final)


def test_backup_refuses_a_missing_database_and_its_own_file(tmp_path):
    with pytest.raises(BackupError, match="there is no database"):
        backup(tmp_path / "none.db", tmp_path / "out.db")
    db = tmp_path / "cortex.db"
    EmbeddedBackend(db).store.close()
    with pytest.raises(BackupError, match="another file"):
        backup(db, db)


def make_db(path, *texts: str):
    async def main():
        backend = EmbeddedBackend(path)
        try:
            for text in texts:
                await call(backend, "mutable:set", {"namespace": "n", "key": "k", "value": text})
        finally:
            await backend.aclose()

    anyio.run(main)


def value_in(path):
    async def main():
        backend = EmbeddedBackend(path)
        try:
            return (await call(backend, "mutable:get", {"namespace": "n", "key": "k"}))["value"]
        finally:
            await backend.aclose()

    return anyio.run(main)


def test_restore_replaces_the_database_and_keeps_the_old_one(tmp_path):
    db, saved = tmp_path / "cortex.db", tmp_path / "saved.db"
    make_db(db, "then")
    backup(db, saved)
    make_db(db, "now")
    restored = restore(saved, db)
    assert restored.path == db and value_in(db) == "then"
    assert value_in(tmp_path / "cortex.db.before-restore") == "now"
    fresh = tmp_path / "new" / "cortex.db"  # no database yet: restore creates it
    restore(saved, fresh)
    assert value_in(fresh) == "then"


def test_restore_refuses_a_database_in_use_by_this_or_another_process(tmp_path):
    db, saved = tmp_path / "cortex.db", tmp_path / "saved.db"
    make_db(db, "then")
    backup(db, saved)
    make_db(db, "now")
    before = db.read_bytes()
    server = EmbeddedBackend(db)  # an idle server holding the file open
    with pytest.raises(BackupError, match="is in use"):
        restore(saved, db)
    server.store.close()
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, sqlite3; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('select 1 from _meta').fetchone(); print('open', flush=True); sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "open"
        with pytest.raises(BackupError, match="is in use"):
            restore(saved, db)
    finally:
        child.stdin.close()
        child.wait(30)
    assert db.read_bytes() == before and value_in(db) == "now"
    restore(saved, db)
    assert value_in(db) == "then"


def damaged(path, tmp_path):
    bad = tmp_path / "damaged.db"
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 2, len(data), page):  # wreck every page after the schema's
        data[offset : offset + 64] = b"\xff" * 64
    bad.write_bytes(bytes(data))
    return bad


def newer(path, tmp_path):
    new = tmp_path / "newer.db"
    new.write_bytes(path.read_bytes())
    conn = sqlite3.connect(new)
    conn.execute("UPDATE _meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    return new


def foreign(_path, tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes(x)")
    conn.commit()
    conn.close()
    return other


def text_file(_path, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not a database at all, just some words " * 200)
    return other


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (damaged, r"damaged|not a usable SQLite database"),
        (newer, r"newer cortex-mcp \(schema 99\)"),
        (foreign, r"not a cortex-mcp database"),
        (text_file, r"not a usable SQLite database"),
    ],
)
def test_restore_checks_the_backup_first_and_changes_nothing(tmp_path, make, message):
    db, saved = tmp_path / "cortex.db", tmp_path / "saved.db"
    make_db(saved, *(f"value {i} " * 400 for i in range(20)))  # pages of data (old versions) for damage to hit
    make_db(db, "now")
    before = db.read_bytes()
    with pytest.raises(BackupError, match=message):
        restore(make(saved, tmp_path), db)
    assert db.read_bytes() == before and not (tmp_path / "cortex.db.before-restore").exists()


def run(*args: str):
    return CliRunner().invoke(cli.cli, list(args), prog_name="cortex-mcp")


def test_backup_and_restore_commands(tmp_path, monkeypatch):
    monkeypatch.delenv("CORTEX_DB_PATH", raising=False)
    db, saved = tmp_path / "cortex.db", tmp_path / "saved.db"
    make_db(db, "then")
    result = run("--db", str(db), "backup", "-o", str(saved))
    assert result.exit_code == 0 and "backed up to" in result.output, result.output
    make_db(db, "now")
    result = run("restore", str(saved), "--db", str(db))
    assert result.exit_code == 0 and "kept as cortex.db.before-restore" in result.output, result.output
    assert value_in(db) == "then"
    server = EmbeddedBackend(db)
    try:
        result = run("restore", str(saved), "--db", str(db))
        assert result.exit_code == 1 and "is in use" in result.output and "nothing changed" in result.output
    finally:
        server.store.close()
    assert run("backup", "--db", str(tmp_path / "none.db"), "-o", str(saved)).exit_code == 1
    assert "--output" in run("backup", "--help").output and "before-restore" in run("restore", "--help").output
