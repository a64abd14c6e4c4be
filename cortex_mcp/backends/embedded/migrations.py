"""Schema migrations for the embedded store: an ordered list of named steps, each applied once.

A file moves to the current layout in three kinds of work, recorded in its `_migrations` table
(name, time applied, checksum):

- a new file is created at the current layout in one transaction and records every step as done
  (steps only transform what older versions wrote);
- an existing file runs each step it has not recorded, in list order, each in its own transaction
  with its record (a step that fails leaves the file exactly as it was, and the open fails);
- then the repeatable `layout` step (create missing tables, columns, indexes and search tables)
  runs whenever the layout derived from `schema.py` changed, so an index added there reaches
  existing files without a step of its own.

A file that records a step this build does not know was written by a newer build: it is refused,
as is a file whose `_meta.schema_version` is above `SCHEMA_VERSION`. Builds from before named steps
refuse every file this module has touched, because it sets that version to 3.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

# The last `_meta.schema_version`: 1 and 2 were versions before named steps; 3 means "see _migrations".
SCHEMA_VERSION = 3
LAYOUT = "layout"  # the name of the repeatable step's record


@dataclass(frozen=True)
class Step:
    """One migration: `apply(conn)` runs inside the step's transaction and must not commit.

    A step must not depend on code that later steps may change (freeze what it needs in it)."""

    name: str
    apply: Callable[[sqlite3.Connection], None]


class NewerDatabaseError(RuntimeError):
    """The file was written by a newer cortex-mcp."""


class MigrationError(RuntimeError):
    """A step failed; its transaction was rolled back."""


class Transactions(Protocol):
    path: str

    def transaction(self, writable: bool) -> AbstractContextManager[sqlite3.Connection]: ...


def migrate(
    store: Transactions, steps: Sequence[Step], sync: Callable[[sqlite3.Connection], None], layout: str
) -> None:
    """Bring the store's file to the current layout: `sync(conn)` creates what is missing from the
    layout whose checksum is `layout`; `steps` transform what older versions wrote."""
    names = [step.name for step in steps]
    if len(set(names)) != len(names) or LAYOUT in names:
        raise ValueError(f"migration step names must be unique and not {LAYOUT!r}: {names}")
    with store.transaction(writable=False) as conn:
        _refuse_newer(conn, names, store.path)
        if _is_current(conn, names, layout):
            return  # the common case: no write lock taken
    with store.transaction(writable=True) as conn:
        _refuse_newer(conn, names, store.path)
        if _is_new(conn):
            _bookkeeping(conn)
            sync(conn)
            for name in names:
                _record(conn, name)
            _record(conn, LAYOUT, layout)
            return
    # Each transaction below sets up the bookkeeping itself, so a failed first step on an older
    # file leaves it byte for byte as it was (still openable by the build that wrote it).
    for step in steps:
        with store.transaction(writable=True) as conn:
            _refuse_newer(conn, names, store.path)  # another process may have moved on meanwhile
            _bookkeeping(conn)
            if step.name in _applied(conn):
                continue
            try:
                step.apply(conn)
            except Exception as exc:
                raise MigrationError(
                    f"migration {step.name} failed on {store.path} (file left unchanged): {exc}"
                ) from exc
            _record(conn, step.name)
    with store.transaction(writable=True) as conn:
        _bookkeeping(conn)
        if _applied(conn).get(LAYOUT) != layout:
            sync(conn)
            _record(conn, LAYOUT, layout)


def require_current(store: Transactions, steps: Sequence[Step], layout: str) -> None:
    """For a read-only open: refuse a file that is newer, or one that would need a step (a write)."""
    names = [step.name for step in steps]
    with store.transaction(writable=False) as conn:
        _refuse_newer(conn, names, store.path)
        if not _is_current(conn, names, layout):
            raise MigrationError(
                f"{store.path} needs an upgrade this build would write: open it once without --read-only first"
            )


def refuse_newer(conn: sqlite3.Connection, names: list[str], path: str) -> None:
    """NewerDatabaseError when the file was written by a newer build (restore checks a backup so)."""
    _refuse_newer(conn, names, path)


def _bookkeeping(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL, checksum TEXT)"
    )
    conn.execute("INSERT OR REPLACE INTO _meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


def _applied(conn: sqlite3.Connection) -> dict[str, str | None]:
    """Recorded step names and checksums; none for a new or a pre-migrations file."""
    if not _has_table(conn, "_migrations"):
        return {}
    return dict(conn.execute("SELECT name, checksum FROM _migrations"))


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _is_current(conn: sqlite3.Connection, names: list[str], layout: str) -> bool:
    applied = _applied(conn)
    return applied.get(LAYOUT) == layout and set(applied) == {*names, LAYOUT}


def _refuse_newer(conn: sqlite3.Connection, names: list[str], path: str) -> None:
    row = None
    if _has_table(conn, "_meta"):
        row = conn.execute("SELECT value FROM _meta WHERE key = 'schema_version'").fetchone()
    if row is not None and int(row[0]) > SCHEMA_VERSION:
        raise NewerDatabaseError(f"{path} was written by a newer cortex-mcp (schema {row[0]}); upgrade cortex-mcp")
    unknown = sorted(set(_applied(conn)) - {*names, LAYOUT})
    if unknown:
        raise NewerDatabaseError(
            f"{path} was written by a newer cortex-mcp (migration {unknown[0]!r} is unknown here); upgrade cortex-mcp"
        )


def _is_new(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name NOT IN ('_meta', '_migrations') AND name NOT LIKE 'sqlite_%' LIMIT 1"
    ).fetchone()
    return row is None


def _record(conn: sqlite3.Connection, name: str, checksum: str | None = None) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO _migrations(name, applied_at, checksum) VALUES (?, ?, ?)",
        (name, int(time.time() * 1000), checksum),
    )
