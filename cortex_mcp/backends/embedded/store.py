"""A Convex-like document store on one SQLite file.

Each Cortex table is a SQLite table of JSON documents plus one stored generated column per indexed
field, with a real SQL index for every Convex index. Convex indexes end in `_creationTime`; here
rows are numbered in creation order (`rowid`, which every SQLite index ends in already), so index
order and ties follow creation order without storing the time in each index.
Search indexes are FTS5 tables kept in step on every write. A call runs in one transaction:
mutations take the write lock up front (`BEGIN IMMEDIATE`), so several processes sharing the
file (WAL mode) queue instead of failing; queries read one snapshot and never write.

Handlers see a `Tx` with Convex's vocabulary: insert / get / patch / replace / delete,
`query(table).index(name, ...).order(...).take(n)` and `search(...)`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import sqlite3
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cortex_mcp import clock
from cortex_mcp.backends.embedded import fulltext
from cortex_mcp.backends.embedded.fulltext import search_terms
from cortex_mcp.backends.embedded.js import UNDEFINED, js_equal
from cortex_mcp.backends.embedded.migrations import LAYOUT, Step, migrate, require_current
from cortex_mcp.backends.embedded.schema import TABLES, SameAs, Table
from cortex_mcp.contract.validators import is_number
from cortex_mcp.errors import ArgumentValidationError, plain_error, type_error
from cortex_mcp.ids import new_document_id, table_of_id

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


class _Remove:
    """Patch value that deletes a field (Convex: patching a key to `undefined`)."""

    def __repr__(self) -> str:
        return "REMOVE"


REMOVE = _Remove()


def _column(field_path: str) -> str:
    return "f_" + field_path.replace(".", "__")


def _json_path(field_path: str) -> str:
    return "$." + ".".join(f'"{part}"' for part in field_path.split("."))


def _sql_value(value: Any) -> Any:
    """How json_extract presents a value, so equality against generated columns works."""
    if isinstance(value, bool):
        return int(value)
    return value


def _lookup(doc: dict, field_path: str) -> Any:
    """`doc?.a?.b`: UNDEFINED where a part is absent."""
    value: Any = doc
    for part in field_path.split("."):
        value = value.get(part, UNDEFINED) if isinstance(value, dict) else UNDEFINED
    return value


def _indexed_fields(table: Table) -> list[str]:
    seen: dict[str, None] = {}
    for fields in table.indexes.values():
        for name in fields:
            seen[name] = None
    for search in table.search.values():
        for name in search.filter_fields:
            seen[name] = None
    return list(seen)


def _vector_column(field_path: str) -> str:
    return "v_" + field_path


def _select(table: Table, alias: str = "") -> str:
    """The columns a document is decoded from: id, creation time, JSON, then its vector blobs."""
    return ", ".join(f"{alias}{c}" for c in ("_id", "_creationTime", "doc", *map(_vector_column, table.vectors)))


# Vectors are stored as float32, as vector indexes store them: half the bytes of float64, and the
# precision (7 digits) is far beyond what similarity needs (docs/parity.md).
VECTOR_TYPECODE = "f"
FLOAT32_MAX = 3.4028234663852886e38


def _pack(vector: list) -> bytes:
    try:
        floats = [float(x) for x in vector]  # an int too large for a float raises OverflowError
    except OverflowError:
        floats = [math.inf]
    if not all(map(math.isfinite, floats)):
        raise plain_error("NaN and Infinity cannot be stored in a document")
    if any(abs(x) > FLOAT32_MAX for x in floats):
        raise plain_error("Vector values must lie within ±3.4e38 (stored as float32; larger ones would be Infinity)")
    return array(VECTOR_TYPECODE, floats).tobytes()


def unpack_vector(blob: bytes) -> list[float]:
    values: list[float] = array(VECTOR_TYPECODE, blob).tolist()  # type: ignore[assignment]
    return values


def _ddl(table: Table) -> list[str]:
    # Generated columns are VIRTUAL: an SQL index keeps its own copy of the value, so storing it
    # in the row as well would only duplicate it (filters on unindexed columns read the JSON).
    columns = ",\n  ".join(
        [
            f'"{_column(f)}" GENERATED ALWAYS AS (json_extract(doc, \'{_json_path(f)}\')) VIRTUAL'
            for f in _indexed_fields(table)
        ]
        + [f'"{_vector_column(f)}" BLOB' for f in table.vectors]
    )
    statements = [
        f'CREATE TABLE IF NOT EXISTS "{table.name}" (\n  rowid INTEGER PRIMARY KEY,\n  _id TEXT NOT NULL UNIQUE,\n'
        f"  _creationTime REAL NOT NULL,\n  doc TEXT NOT NULL{',' if columns else ''}\n  {columns}\n)",
    ]
    for name, fields in table.indexes.items():
        if name in table.unindexed:
            continue
        cols = ", ".join(f'"{_column(f)}"' for f in fields)
        sparse = [f'"{_column(f)}" IS NOT NULL' for f in fields if f in table.sparse]
        where = f" WHERE {' AND '.join(sparse)}" if sparse else ""
        statements.append(
            f'CREATE INDEX IF NOT EXISTS "{table.name}__{name}" ON "{table.name}"({cols}){where}'
        )
    statements += fulltext.ddl(table)
    for field_path in table.vectors:
        statements.extend(_vector_triggers(table.name, _vector_column(field_path)))
    return statements


VECTORS_VERSION = "vectors_version"  # the `_meta` counter that vectors.py's cache is valid for


def _vector_triggers(table: str, column: str) -> list[str]:
    """Count every change of a stored vector (in any process), so a cached vector matrix can tell
    in one lookup whether it is still current; rows without vectors cost nothing."""
    bump = (
        f"INSERT INTO _meta(key, value) VALUES ('{VECTORS_VERSION}', 1) "
        "ON CONFLICT(key) DO UPDATE SET value = value + 1"
    )
    events = {
        "insert": f"AFTER INSERT ON \"{table}\" WHEN NEW.{column} IS NOT NULL",
        "delete": f"AFTER DELETE ON \"{table}\" WHEN OLD.{column} IS NOT NULL",
        "update": f"AFTER UPDATE OF {column} ON \"{table}\" WHEN OLD.{column} IS NOT NEW.{column}",
    }
    return [
        f'CREATE TRIGGER IF NOT EXISTS "{table}__{column}_{event}" {when} BEGIN {bump}; END'
        for event, when in events.items()
    ]


def _sql_limit(n: int) -> int:
    """SQLite's LIMIT is a signed 64-bit integer; a larger `take(n)` means "all"."""
    return min(int(n), 2**62)


def take_limit(n: Any) -> int:
    """`n` as `.take(n)` accepts it; otherwise the TypeError Convex's query API throws."""
    if not is_number(n) or n < 0 or float(n) != int(n):
        raise type_error("Arg 1 `n` to `take` must be a non-negative integer")
    return int(n)


class Query:
    """A lazily run index scan, like `ctx.db.query(table).withIndex(...)`."""

    def __init__(self, tx: Tx, table: str):
        self._tx = tx
        self._table = TABLES[table]
        self._where: list[str] = []
        self._params: list[Any] = []
        self._order_fields: list[str] = []
        self._desc = False
        self._filters: list[Callable[[dict], bool]] = []

    def index(self, name: str, *equals: Any, gt: Any = None, gte: Any = None, lt: Any = None, lte: Any = None) -> Query:
        """Constrain the leading index fields by equality, then optionally range on the next one."""
        fields = self._table.indexes[name]
        if len(equals) > len(fields):
            raise ValueError(f"index {name} has {len(fields)} fields")
        for field_name, value in zip(fields, equals, strict=False):  # a prefix of the fields
            # `=` for a value (it lets SQLite use a partial index), `IS NULL` for an absent field.
            if value is None:
                self._where.append(f'"{_column(field_name)}" IS NULL')
            else:
                self._where.append(f'"{_column(field_name)}" = ?')
                self._params.append(_sql_value(value))
        rest = list(fields[len(equals) :])
        bounds = [(">", gt), (">=", gte), ("<", lt), ("<=", lte)]
        if any(b is not None for _, b in bounds):
            if not rest:
                raise ValueError(f"no field left in index {name} for a range")
            for op, bound in bounds:
                if bound is not None:
                    self._where.append(f'"{_column(rest[0])}" {op} ?')
                    self._params.append(_sql_value(bound))
        self._order_fields = [_column(f) for f in rest]
        return self

    def after(self, doc_id: str, creation_time: float) -> Query:
        """Only documents created after `doc_id` (a page cursor): a seek on rowid, the creation
        order. When that document was deleted meanwhile, its creation time finds the place."""
        table = self._table.name
        self._where.append(
            f'rowid > COALESCE((SELECT rowid FROM "{table}" WHERE _id = ?), '
            f'(SELECT max(rowid) FROM "{table}" WHERE _creationTime <= ?), 0)'
        )
        self._params.extend([doc_id, creation_time])
        return self

    def order(self, direction: str) -> Query:
        self._desc = direction == "desc"
        return self

    def filter(self, predicate: Callable[[dict], bool]) -> Query:
        self._filters.append(predicate)
        return self

    def where(self, field_path: str, value: Any) -> Query:
        """Keep documents whose field equals `value` (JS `===` on a primitive). Done in SQL when
        the field has a column (it is indexed somewhere), so no document is parsed to reject it."""
        if isinstance(value, str) and field_path in _indexed_fields(self._table):
            # json_extract yields TEXT only for JSON strings, so this is exact for a string value.
            self._where.append(f'"{_column(field_path)}" = ?')
            self._params.append(value)
            return self
        return self.filter(lambda doc: js_equal(_lookup(doc, field_path), value))

    def _sql(self, select: str, limit: int | None = None) -> tuple[str, list[Any]]:
        direction = " DESC" if self._desc else ""
        # rowid is creation order (see the module doc), and the tail of every SQL index.
        order = ", ".join([f'"{c}"{direction}' for c in self._order_fields] + [f"rowid{direction}"])
        where = f" WHERE {' AND '.join(self._where)}" if self._where else ""
        sql = f'SELECT {select} FROM "{self._table.name}"{where} ORDER BY {order}'
        if limit is not None:
            sql += f" LIMIT {_sql_limit(limit)}"
        return sql, list(self._params)

    def __iter__(self) -> Iterator[dict]:
        unfiltered = not self._filters
        sql, params = self._sql(_select(self._table))
        cursor = self._tx.conn.execute(sql, params)
        while rows := cursor.fetchmany(256):
            for row in rows:
                doc = _decode(row, self._table)
                if unfiltered or all(f(doc) for f in self._filters):
                    yield doc

    def collect(self) -> list[dict]:
        return list(self)

    def take(self, n: Any) -> list[dict]:
        limit = take_limit(n)
        if limit == 0:
            return []
        if not self._filters:
            sql, params = self._sql(_select(self._table), limit)
            return [_decode(r, self._table) for r in self._tx.conn.execute(sql, params)]
        out = []
        for doc in self:
            out.append(doc)
            if len(out) >= limit:
                break
        return out

    def vectors(self, field_path: str) -> Iterator[tuple[str, list[float] | None]]:
        """`(_id, vector)` in index order without decoding documents: for brute-force scans.
        Python filters do not apply here (they need the document)."""
        sql, params = self._sql(f"_id, {_vector_column(field_path)}")
        for doc_id, blob in self._tx.conn.execute(sql, params):
            yield doc_id, None if blob is None else unpack_vector(blob)

    def first(self) -> dict | None:
        found = self.take(1)
        return found[0] if found else None

    def count(self) -> int:
        if self._filters:
            return sum(1 for _ in self)
        sql, params = self._sql("COUNT(*)")
        return self._tx.conn.execute(sql.split(" ORDER BY")[0], params).fetchone()[0]


def _fresh(value: Any) -> Any:
    """A default value as a document may own it: scalars as they are, containers copied."""
    if isinstance(value, str | int | float | None):
        return value
    return type(value)() if isinstance(value, list | dict) and not value else copy.deepcopy(value)


def _decode(row: tuple, table: Table) -> dict:
    doc = json.loads(row[2])
    for key, value in table.implied.items():  # put back what `_stored_body` left out
        if key not in doc:
            doc[key] = doc[value.field] if isinstance(value, SameAs) else _fresh(value)
    for field_path, blob in zip(table.vectors, row[3:], strict=False):
        if blob is not None:
            doc[field_path] = unpack_vector(blob)
    doc["_id"] = row[0]
    doc["_creationTime"] = row[1]
    return doc


_RANKED_CHUNK = 16  # documents read at a time for ranked matches


class Tx:
    """One transaction: the handler's whole view of the database."""

    def __init__(self, conn: sqlite3.Connection, now: int, writable: bool):
        self.conn = conn
        self.now = now  # frozen for the whole call, as Convex freezes Date.now()
        self.writable = writable
        self.scrub_after_commit = False  # set by `scrub()`

    def scrub(self) -> None:
        """Leave no trace of what this transaction deleted in the file's bytes (erasure): every
        full-text index is merged now (a deleted row's terms otherwise stay in old segments), and
        after the commit the file is rebuilt (VACUUM: freed pages go) and the WAL checkpointed
        and truncated."""
        self._require_writable()
        fts = self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'"
        ).fetchall()
        for (name,) in fts:
            self.conn.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'optimize\')')
        self.scrub_after_commit = True

    # -- reads ---------------------------------------------------------------------------
    def query(self, table: str) -> Query:
        return Query(self, table)

    def get(self, doc_id: str) -> dict | None:
        table = table_of_id(doc_id) if isinstance(doc_id, str) else None
        if table is None:
            return None
        row = self.conn.execute(f'SELECT {_select(TABLES[table])} FROM "{table}" WHERE _id = ?', (doc_id,)).fetchone()
        return _decode(row, TABLES[table]) if row else None

    def fetch(self, doc_id: str) -> dict:
        """A document that must exist (this transaction just wrote it or holds its row)."""
        doc = self.get(doc_id)
        if doc is None:
            raise LookupError(f"document {doc_id} vanished inside its own transaction")
        return doc

    def search(
        self, table: str, index: str, text: str, filters: dict[str, Any] | None = None, limit: int = 1024
    ) -> list[dict]:
        """Full-text search ranked by BM25; a document matches if it holds any query term."""
        return list(self.search_iter(table, index, text, filters, limit))

    def search_iter(
        self,
        table: str,
        index: str,
        text: str,
        filters: dict[str, Any] | None = None,
        limit: int = 1024,
        sort: tuple[str, bool] | None = None,
    ) -> Iterator[dict]:
        """`search`, read lazily: a caller that stops early decodes no further documents. `sort`
        (field, descending) orders the matches by a field first, best match first among equals (what
        a stable sort of the ranked matches gives), sorted by SQLite: no document is decoded to sort."""
        terms = search_terms(text)
        if not terms:
            return
        spec = TABLES[table].search[index]
        fts, expression = fulltext.search_source(TABLES[table], index, fulltext.any_term(terms, prefix_last=True))
        where = [f'"{fts}" MATCH ?']
        params: list[Any] = [expression]
        for name, value in (filters or {}).items():
            if name not in spec.filter_fields:
                raise ValueError(f"{name} is not a filter field of {table}.{index}")
            where.append(f't."{_column(name)}" IS ?')
            params.append(_sql_value(value))
        by_field = ""
        if sort is not None:
            by_field = f"json_extract(t.doc, '{fulltext.json_path(sort[0])}') {'DESC' if sort[1] else 'ASC'}, "
        sql = (
            f'SELECT {_select(TABLES[table], "t.")} FROM "{fts}" s '
            f'JOIN "{table}" t ON t.rowid = s.rowid WHERE {" AND ".join(where)} '
            f'ORDER BY {by_field}bm25("{fts}"), t._creationTime DESC LIMIT {_sql_limit(limit)}'
        )
        cursor = self.conn.execute(sql, params)
        while rows := cursor.fetchmany(64):
            for row in rows:
                yield _decode(row, TABLES[table])

    def ranked(
        self,
        table: str,
        fts: str,
        text: str,
        scope: dict[str, Any],
        weights: tuple[float, ...] = (),
        first: int = 32,
    ) -> Iterator[tuple[dict, float]]:
        """Rows of `table` matching any planned term of `text` in the full-text table `fts` (a search
        or window index, `weights` its BM25 column weights), within `scope` (field equalities), best
        match first, as (document, relevance ~[0, 1]). Lazy: a caller that stops early reads no more
        documents; the match work is bounded by the plan (fulltext.plan).

        The `first` best matches are ranked in the full-text index alone and only their documents
        read (about 3x cheaper than joining every match to its document); a caller that wants more
        (its scope or filters passed over many of them) gets the rest from the join, in the same order."""
        terms, ideal, since = fulltext.plan(self.conn, fts, search_terms(text))
        if not terms:
            return
        spec = TABLES[table]
        expr = fulltext.any_term(terms)
        bm25 = ", ".join([f'"{fts}"', *map(str, weights)])
        newest = "" if since is None else f" AND s.rowid >= {int(since)}"
        # `+`: the documents are read by rowid; the scope is checked on them, not looked up in an index
        in_scope = "".join(f' AND +"{_column(name)}" IS ?' for name in scope)
        joined_in_scope = "".join(f' AND t."{_column(name)}" IS ?' for name in scope)
        scope_values = [_sql_value(value) for value in scope.values()]
        top = self.conn.execute(
            f'SELECT s.rowid, -bm25({bm25}) AS score FROM "{fts}" s WHERE "{fts}" MATCH ?{newest} '
            f"ORDER BY score DESC, s.rowid DESC LIMIT ?",
            (expr, first),
        ).fetchall()
        for at in range(0, len(top), _RANKED_CHUNK):
            chunk = top[at : at + _RANKED_CHUNK]
            docs = {
                row[0]: row[1:]
                for row in self.conn.execute(
                    f'SELECT rowid, {_select(spec)} FROM "{table}" '
                    f'WHERE rowid IN ({", ".join("?" * len(chunk))}){in_scope}',
                    [rowid for rowid, _ in chunk] + scope_values,
                )
            }
            for rowid, score in chunk:
                if rowid in docs:
                    yield _decode(docs[rowid], spec), score / ideal
        if len(top) < first:
            return  # every match was ranked
        seen = {rowid for rowid, _ in top}
        cursor = self.conn.execute(
            f'SELECT t.rowid, {_select(spec, "t.")}, -bm25({bm25}) AS score FROM "{fts}" s '
            f'JOIN "{table}" t ON t.rowid = s.rowid WHERE "{fts}" MATCH ?{newest}{joined_in_scope} '
            f"ORDER BY score DESC, t.rowid DESC",
            [expr, *scope_values],
        )
        while rows := cursor.fetchmany(64):
            for row in rows:
                if row[0] not in seen:
                    yield _decode(row[1:-1], spec), row[-1] / ideal

    # -- writes --------------------------------------------------------------------------
    def _require_writable(self) -> None:
        if not self.writable:
            raise plain_error("A query cannot write to the database; use a mutation.")

    def _validate(self, table: str, doc: dict) -> None:
        for key in doc:
            if key.startswith("_"):
                raise plain_error(f"Field name {key} starts with a reserved character '_'")
        try:
            TABLES[table].fields.check(doc, "", table_of_id)
        except ArgumentValidationError as exc:
            detail = exc.message.replace("Value does not match validator.", "").strip()
            raise plain_error(
                f'Failed to insert or update a document in table "{table}" because it does not match the schema: '
                f"{detail}"
            ) from None

    def _write(self, table: str, rowid: int | None, doc: dict | None, write: Callable[[], int]) -> int:
        """Run `write()` (one SQL write of row `rowid`, None for a new row; returns the rowid) with the
        upkeep of the contentless full-text indexes: entries come out with the texts they were
        indexed from (read before the write), then go back in from the new document."""
        spec = TABLES[table]
        if rowid is not None and spec.search:
            old = self.conn.execute(f'SELECT doc FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()
            fulltext.unindex_search(self.conn, spec, rowid, old[0])
        touched = fulltext.touched_windows(self.conn, spec, rowid, doc)
        rowid = write()
        if doc is not None:
            fulltext.index_search(self.conn, spec, [(rowid, doc)])
            touched.add(rowid)
        fulltext.index_windows(self.conn, spec, touched)
        return rowid

    def _creation_time(self, table: str) -> float:
        row = self.conn.execute(f'SELECT _creationTime FROM "{table}" ORDER BY rowid DESC LIMIT 1').fetchone()
        last = row[0] if row else None
        now = clock.now() * 1000
        return now if last is None or now > last else last + 0.001

    def insert(self, table: str, doc: dict) -> str:
        self._require_writable()
        doc = {k: val for k, val in doc.items() if val is not REMOVE}
        self._validate(table, doc)
        doc_id = new_document_id(table)
        names, values = _split_vectors(TABLES[table], doc)
        columns = ", ".join(["_id", "_creationTime", "doc", *names])

        def write() -> int:
            cur = self.conn.execute(
                f'INSERT INTO "{table}"({columns}) VALUES ({", ".join("?" * (3 + len(names)))})',
                (doc_id, self._creation_time(table), *values),
            )
            return int(cur.lastrowid or 0)

        self._write(table, None, doc, write)
        return doc_id

    def insert_many(self, table: str, docs: list[dict]) -> list[str]:
        """Insert documents in one statement (bulk import): the checks and search upkeep of
        `insert`, without a round of SQL per document for ids and creation times."""
        self._require_writable()
        if not docs:
            return []
        spec = TABLES[table]
        for doc in docs:
            self._validate(table, doc)
        first = self._creation_time(table)
        next_rowid = (self.conn.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0] or 0) + 1
        ids = [new_document_id(table) for _ in docs]
        rows = [
            (next_rowid + i, doc_id, first + i * 0.001, *_split_vectors(spec, doc)[1])
            for i, (doc_id, doc) in enumerate(zip(ids, docs, strict=True))
        ]
        names = ["rowid", "_id", "_creationTime", "doc", *(f'"{_vector_column(f)}"' for f in spec.vectors)]
        touched = fulltext.touched_by_appends(self.conn, spec, docs)
        self.conn.executemany(f'INSERT INTO "{table}"({", ".join(names)}) VALUES ({", ".join("?" * len(names))})', rows)
        fulltext.index_search(self.conn, spec, [(row[0], doc) for row, doc in zip(rows, docs, strict=True)])
        fulltext.index_windows(self.conn, spec, [*touched, *(row[0] for row in rows)])
        return ids

    def replace(self, doc_id: str, doc: dict) -> None:
        self._require_writable()
        table = self._table_for(doc_id)
        doc = {k: val for k, val in doc.items() if not k.startswith("_") and val is not REMOVE}
        self._validate(table, doc)
        rowid = self._rowid(table, doc_id)
        names, values = _split_vectors(TABLES[table], doc)
        assignments = ", ".join(f"{c} = ?" for c in ("doc", *names))

        def write() -> int:
            self.conn.execute(f'UPDATE "{table}" SET {assignments} WHERE rowid = ?', (*values, rowid))
            return rowid

        self._write(table, rowid, doc, write)

    def patch(self, doc_id: str, fields: dict) -> None:
        current = self.get(doc_id)
        if current is None:
            raise plain_error(f"Update on nonexistent document ID {doc_id}")
        for key, value in fields.items():
            if value is REMOVE:
                current.pop(key, None)
            else:
                current[key] = value
        self.replace(doc_id, current)

    def delete(self, doc_id: str) -> None:
        self._require_writable()
        table = self._table_for(doc_id)
        rowid = self._rowid(table, doc_id)

        def write() -> int:
            self.conn.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,))
            return rowid

        self._write(table, rowid, None, write)

    def delete_all(self, docs: list[dict]) -> int:
        """Delete every given document; returns how many were deleted."""
        for doc in docs:
            self.delete(doc["_id"])
        return len(docs)

    def _table_for(self, doc_id: str) -> str:
        table = table_of_id(doc_id) if isinstance(doc_id, str) else None
        if table is None:
            raise plain_error(f"Invalid document ID {doc_id!r}")
        return table

    def _rowid(self, table: str, doc_id: str) -> int:
        row = self.conn.execute(f'SELECT rowid FROM "{table}" WHERE _id = ?', (doc_id,)).fetchone()
        if row is None:
            raise plain_error(f"Delete on nonexistent document ID {doc_id}")
        return row[0]


def _split_vectors(table: Table, doc: dict) -> tuple[list[str], list[Any]]:
    """Column names and values for a write: the JSON document without its vector fields, then
    each vector field as a blob (None when absent)."""
    names = [f'"{_vector_column(f)}"' for f in table.vectors]
    blobs = [_pack(doc[f]) if f in doc else None for f in table.vectors]
    body = {k: val for k, val in doc.items() if k not in table.vectors and not _implied(table, doc, k, val)}
    return names, [_encode(body), *blobs]


def _implied(table: Table, doc: dict, key: str, value: Any) -> bool:
    """Whether `doc[key]` holds the value its table implies, so the stored JSON can leave it out
    (the same JSON value: 1 and 1.0 or true differ, as they would once read back)."""
    if key not in table.implied:
        return False
    usual = table.implied[key]
    if isinstance(usual, SameAs):
        usual = doc.get(usual.field)
    return type(value) is type(usual) and value == usual


def _encode(doc: dict) -> str:
    try:
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        text.encode("utf-8")  # a lone surrogate cannot be stored
    except UnicodeEncodeError:  # before ValueError, its base class
        raise plain_error("Strings must be valid Unicode text (found a lone surrogate)") from None
    except ValueError:
        raise plain_error("NaN and Infinity cannot be stored in a document") from None
    return text


# -- layout and migrations (see migrations.py) -----------------------------------------------


def _layout_checksum() -> str:
    """Identifies the layout `schema.py` asks for: when it changes, `_create_missing` runs again."""
    ddl = "\n".join(statement for table in TABLES.values() for statement in _ddl(table))
    return hashlib.sha256(ddl.encode()).hexdigest()[:16]


def _create_missing(conn: sqlite3.Connection) -> None:
    """Create every table, or bring an existing one up to the schema: a column for every indexed
    field (SQLite cannot add a STORED column later, so added ones are VIRTUAL), its SQL indexes and
    a filled search table for every search index. Only ever adds."""
    for table in TABLES.values():
        existed = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table.name,)
        ).fetchone()
        if existed:
            have = {row[1] for row in conn.execute(f'PRAGMA table_xinfo("{table.name}")')}
            for field_path in table.vectors:
                if _vector_column(field_path) not in have:
                    conn.execute(f'ALTER TABLE "{table.name}" ADD COLUMN "{_vector_column(field_path)}" BLOB')
            for field_path in _indexed_fields(table):
                if _column(field_path) not in have:
                    conn.execute(
                        f'ALTER TABLE "{table.name}" ADD COLUMN "{_column(field_path)}" '
                        f"GENERATED ALWAYS AS (json_extract(doc, '{_json_path(field_path)}')) VIRTUAL"
                    )

        def missing(name: str) -> bool:
            return not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()

        new_search = [name for name in fulltext.own_tables(table) if missing(fulltext.search_table(table.name, name))]
        new_window = table.window is not None and missing(fulltext.window_table(table.name))
        for statement in _ddl(table):
            conn.execute(statement)
        if existed:
            for name in new_search:
                log.info("indexing %s.%s for full-text search (once)", table.name, table.search[name].field)
                fulltext.fill_search(conn, table, name)
            if new_window:
                log.info("indexing the conversation windows of %s for recall (once)", table.name)
                fulltext.fill_windows(conn, table)


def _vectors_out_of_documents(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2: `memories.embedding` arrays inside JSON documents move to a float64 blob column."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memories'").fetchone():
        return
    if "v_embedding" not in {row[1] for row in conn.execute('PRAGMA table_xinfo("memories")')}:
        conn.execute('ALTER TABLE "memories" ADD COLUMN "v_embedding" BLOB')
    rows = conn.execute("SELECT rowid, doc FROM memories WHERE json_type(doc, '$.embedding') = 'array'").fetchall()
    for rowid, text in rows:
        doc = json.loads(text)
        vector = doc.pop("embedding")
        blob = array("d", [float(x) for x in vector]).tobytes()  # float64, as schema 2 stored them
        conn.execute("UPDATE memories SET doc = ?, v_embedding = ? WHERE rowid = ?", (_encode(doc), blob, rowid))


def _virtual_generated_columns(conn: sqlite3.Connection) -> None:
    """Rebuild every table that keeps STORED generated columns with VIRTUAL ones (the SQL indexes
    hold the values already). Rows keep their rowids, so search tables stay valid; the table's SQL
    indexes go with the old table and the layout step creates the current ones (partial indexes
    for sparse fields, none for unindexed ones)."""
    tables = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%GENERATED ALWAYS AS%) STORED%'"
    ).fetchall()
    for name, sql in tables:
        rebuilt = f"{name}__rebuild"
        ddl = sql.replace(f'CREATE TABLE "{name}"', f'CREATE TABLE "{rebuilt}"', 1).replace(") STORED", ") VIRTUAL")
        columns = ", ".join(f'"{row[1]}"' for row in conn.execute(f'PRAGMA table_xinfo("{name}")') if row[6] == 0)
        conn.execute(ddl)
        conn.execute(f'INSERT INTO "{rebuilt}"({columns}) SELECT {columns} FROM "{name}"')
        conn.execute(f'DROP TABLE "{name}"')
        conn.execute(f'ALTER TABLE "{rebuilt}" RENAME TO "{name}"')


def _indexes_without_creation_time(conn: sqlite3.Connection) -> None:
    """Drop the SQL indexes of the tables (they ended in `_creationTime`, and one indexed it alone);
    the layout step creates them again in the current form (ordered by rowid, creation order)."""
    names = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND name LIKE '%\\_\\_%' ESCAPE '\\'"
    ).fetchall()
    for (name,) in names:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("DELETE FROM _migrations WHERE name = ?", (LAYOUT,))  # so the layout step runs again


# Applied in this order to files written by older versions; a new file records them all as done.
# To change the stored layout: change schema.py (new files), and when `_create_missing` cannot get
# an existing file there (a changed tokenizer, a moved or converted value), append one step here.
def _vectors_float32(conn: sqlite3.Connection) -> None:
    """float64 vector blobs (schema 2 and steps 0001-0003) become float32 (`VECTOR_TYPECODE`)."""
    if "v_embedding" not in {row[1] for row in conn.execute('PRAGMA table_xinfo("memories")')}:
        return
    rows = conn.execute("SELECT rowid, v_embedding FROM memories WHERE v_embedding IS NOT NULL").fetchall()
    for rowid, blob in rows:
        values = [max(-FLOAT32_MAX, min(FLOAT32_MAX, x)) for x in array("d", blob)]
        conn.execute("UPDATE memories SET v_embedding = ? WHERE rowid = ?", (array("f", values).tobytes(), rowid))


def _drop_unstemmed_search_tables(conn: sqlite3.Connection) -> None:
    """Full-text tables made stemmed (porter) and contentless: FTS5 fixes both at creation, so the old
    tables go; the layout step then creates and fills the new ones (and the window index)."""
    names = [
        name
        for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        if "__search_" in name and (sql or "").upper().startswith("CREATE VIRTUAL TABLE")
    ]
    if names:
        log.info("rebuilding the full-text indexes with stemming (once): %s", ", ".join(names))
    for name in names:
        conn.execute(f'DROP TABLE "{name}"')


def _drop_search_tables_served_by_windows(conn: sqlite3.Connection) -> None:
    """A search index the window index serves (`WindowIndex.serves`) loses its own full-text table:
    the same text was indexed twice. The layout step creates and fills the window index if missing."""
    for table in TABLES.values():
        for name in table.search:
            if fulltext.served_by_window(table, name):
                conn.execute(f'DROP TABLE IF EXISTS "{fulltext.search_table(table.name, name)}"')


MIGRATIONS: list[Step] = [
    Step("0001-vectors-out-of-documents", _vectors_out_of_documents),
    Step("0002-virtual-generated-columns", _virtual_generated_columns),
    Step("0003-indexes-without-creation-time", _indexes_without_creation_time),
    Step("0004-stemmed-contentless-fulltext", _drop_unstemmed_search_tables),
    Step("0005-vectors-float32", _vectors_float32),
    Step("0006-search-served-by-windows", _drop_search_tables_served_by_windows),
]


class Busy(Exception):
    """The connection or the database's write lock is taken: a caller that may not wait goes another way."""


class Store:
    """Owns the SQLite connection; runs each call in its own transaction."""

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = str(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        if read_only:
            self.conn = self._open_read_only()
            return
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Several processes opening a new file at once: all but one get "database is locked" here at
        # once, busy_timeout or not (the switch to WAL needs the file to itself).
        self._when_free("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        try:
            migrate(self, MIGRATIONS, _create_missing, _layout_checksum())
        except BaseException:
            self.conn.close()
            raise

    def _open_read_only(self) -> sqlite3.Connection:
        """Open an existing, current database without writing anything (no migration, no pragma
        that writes). On a read-only filesystem, where SQLite cannot create the WAL index, the file
        is opened immutable (nobody can be writing it there)."""
        if not Path(self.path).is_file():
            raise ValueError(f"read-only: there is no database at {self.path}")
        uri = "file:" + quote(str(Path(self.path).resolve())) + "?mode=ro"
        for suffix in ("", "&immutable=1"):
            self.conn = sqlite3.connect(
                uri + suffix, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            try:
                require_current(self, MIGRATIONS, _layout_checksum())
                return self.conn
            except sqlite3.OperationalError as exc:
                self.conn.close()
                if suffix or "unable to open" not in str(exc):
                    raise ValueError(f"read-only: cannot read {self.path}: {exc}") from None
            except BaseException:
                self.conn.close()
                raise
        raise AssertionError("unreachable")

    def _begin(self, immediate: bool) -> None:
        self._when_free("BEGIN IMMEDIATE" if immediate else "BEGIN")

    def _when_free(self, statement: str) -> None:
        """Execute `statement`, retrying for up to the busy timeout while another connection holds the
        lock it needs: busy_timeout covers most waits; this covers the SQLITE_BUSY it does not."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self.conn.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    def _begin_now(self, immediate: bool) -> None:
        """Begin without waiting: `Busy` when another connection holds the write lock."""
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            self.conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise Busy from None
            raise
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    @contextmanager
    def transaction(self, writable: bool, wait: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction on the connection: committed at the end, rolled back on any exception.
        `wait=False`: raise `Busy` at once (nothing run) instead of waiting for the connection or
        for another process's write lock."""
        if writable and self.read_only:
            raise plain_error("The database is open read-only (--read-only): nothing can be changed.")
        if not self._lock.acquire(blocking=wait):
            raise Busy
        try:
            if wait:
                self._begin(immediate=writable)
            else:
                self._begin_now(immediate=writable)
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        finally:
            self._lock.release()

    def run(self, writable: bool, fn: Callable[[Tx], Any], wait: bool = True) -> Any:
        """Run `fn(tx)` in one transaction; any exception rolls back every write. `wait=False`: see
        `transaction` (`Busy` is raised before `fn` runs)."""
        tx = None
        with self.transaction(writable, wait) as conn:
            tx = Tx(conn, clock.now_ms(), writable)
            result = fn(tx)
        if tx.scrub_after_commit:
            self._scrub()
        return result

    def _scrub(self) -> None:
        with self._lock:
            try:
                self.conn.execute("VACUUM")
                busy = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                if busy:  # readers of other processes kept old frames alive past the busy timeout
                    raise sqlite3.OperationalError("the write-ahead log is still in use")
            except sqlite3.OperationalError as exc:  # e.g. another process held the file for 30 s
                raise plain_error(
                    f"The data was erased, but the database file could not be compacted ({exc}): "
                    "run the erase again to remove its traces from the file"
                ) from None

    def close(self) -> None:
        with self._lock:
            self.conn.close()
