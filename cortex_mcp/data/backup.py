"""`cortex-mcp backup` and `restore`: the embedded database file, copied safely.

Backup uses SQLite's online backup API in one step, which reads the database inside one read
transaction: in WAL mode (the store's mode) writers go on meanwhile and the copy is the database
as of one instant. The copy is made beside the output, switched to a self-contained file
(journal mode DELETE, no -wal beside it), checked with `PRAGMA integrity_check`, and renamed
into place.

Restore checks the backup first (integrity, a cortex-mcp database this build can open), then
refuses when the target is in use: a connection to a WAL database holds a shared lock on the file
for as long as it is open (idle or not), so switching the target out of WAL mode, which needs
every other connection gone, fails exactly when a server (or anything else) has it open. That
switch also checkpoints the target's WAL into it, so the file stands alone. The backup is then
copied beside the target and renamed over it (atomic on one filesystem); the previous database
is kept as `<name>.before-restore`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cortex_mcp.backends.embedded.migrations import NewerDatabaseError, refuse_newer
from cortex_mcp.backends.embedded.store import MIGRATIONS

KEPT_SUFFIX = ".before-restore"


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was changed."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int  # bytes


def _connect(path: Path, *, read_only: bool = False, timeout: float = 30.0) -> sqlite3.Connection:
    if read_only:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    return sqlite3.connect(path, timeout=timeout, isolation_level=None)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """`source` into a new standalone file at `target` (replaced if there), checked."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    dest = _connect(target)
    try:
        source.backup(dest)  # pages=-1: all in one step, one read transaction: a consistent copy
        dest.execute("PRAGMA journal_mode = DELETE")  # one file, nothing beside it
        result = dest.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"the copy failed its integrity check: {result}")
    finally:
        dest.close()
    _fsync(target)


def check_database(path: Path) -> None:
    """A file this build can open as its database: intact, cortex-mcp's, not from a newer build."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        conn = _connect(path, read_only=True, timeout=0)
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot open it as SQLite: {exc}") from None
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"{path} is damaged (integrity_check: {result.splitlines()[0]})")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"_meta", "memories"} <= tables:
            raise BackupError(f"{path} is not a cortex-mcp database (no _meta and memories tables)")
        refuse_newer(conn, [step.name for step in MIGRATIONS], str(path))
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a usable SQLite database: {exc}") from None
    except NewerDatabaseError as exc:
        raise BackupError(str(exc)) from None
    finally:
        conn.close()


def backup(database: Path, output: Path) -> Copied:
    """Copy `database` to `output` while servers may be writing it."""
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    if output.resolve() == database.resolve():
        raise BackupError("the backup must go to another file than the database")
    partial = output.with_name(f".{output.name}.partial")
    source = _connect(database, read_only=True)
    try:
        _copy(source, partial)
        os.replace(partial, output)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {database} failed: {exc}") from None
    finally:
        source.close()
        partial.unlink(missing_ok=True)
    return Copied(output, output.stat().st_size)


def _take_over(database: Path) -> sqlite3.Connection:
    """An exclusive hold on `database`, or BackupError when anything else has it open."""
    conn = _connect(database, timeout=0)
    try:
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        if mode != "delete":
            raise sqlite3.OperationalError("database is locked")
        conn.execute("BEGIN EXCLUSIVE")  # and nobody opens it until the file is replaced
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise BackupError(
                f"{database} is in use (a cortex-mcp server or another program has it open): stop it and restore again"
            ) from None
        raise BackupError(f"{database}: {exc}") from None
    return conn


def _keep(database: Path) -> None:
    """The database as it was, beside it (a second name for the same file where possible)."""
    kept = database.with_name(database.name + KEPT_SUFFIX)
    kept.unlink(missing_ok=True)
    try:
        os.link(database, kept)
    except OSError:
        shutil.copyfile(database, kept)


def restore(backup_file: Path, database: Path) -> Copied:
    """Replace `database` with `backup_file` (checked first); the old file is kept beside it."""
    check_database(backup_file)
    if database.exists() and backup_file.resolve() == database.resolve():
        raise BackupError("the backup and the database are the same file")
    database.parent.mkdir(parents=True, exist_ok=True)
    hold = _take_over(database) if database.exists() else None
    partial = database.with_name(f".{database.name}.restoring")
    source = _connect(backup_file, read_only=True)
    try:
        _copy(source, partial)
        if database.exists():
            _keep(database)
        os.replace(partial, database)  # atomic: the old file or the new one, never neither
    finally:
        source.close()
        if hold is not None:
            hold.close()
        partial.unlink(missing_ok=True)
    return Copied(database, database.stat().st_size)
