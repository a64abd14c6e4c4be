"""The store's full-text indexes: stemmed, contentless FTS5 tables, and the conversation windows.

- A search index (`<table>__search_<name>`) holds one field's text per row, tokenised by porter over
  unicode61 (so "deploys" matches "deploy"). It is contentless: the text lives once, in the
  document; removing a row's entry therefore needs the text it was indexed with (FTS5's 'delete'
  command), which the store reads from the document before changing it.
- A window index (`<table>__window`, schema `Table.window`) holds, for recall only, each row's own
  text and the text of its neighbours in the same group (a conversation): the `radius` rows before
  and after it in creation (rowid) order. A row outside any group (a standalone note) has no neighbours.
  A write to one row changes the windows around it: `touched_windows` lists them before the write
  (and unindexes them with the texts they were built from), `index_windows` rebuilds them after.
  A search index on the window's own field (`WindowIndex.serves`) has no table of its own: it is
  searched in the window index's `own` column (`search_source`).
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
from collections.abc import Iterable
from typing import Any, NamedTuple

from cortex_mcp.backends.embedded.schema import Table, WindowIndex

log = logging.getLogger(__name__)

TOKENIZER = "porter unicode61 remove_diacritics 2"
_TERM = re.compile(r"\w+", re.UNICODE)


def column(field_path: str) -> str:
    """The generated column of an indexed field (store.py names them the same way)."""
    return "f_" + field_path.replace(".", "__")


def json_path(field_path: str) -> str:
    return "$." + ".".join(f'"{part}"' for part in field_path.split("."))


def search_table(table: str, index: str) -> str:
    return f"{table}__search_{index}"


def window_table(table: str) -> str:
    return f"{table}__window"


def served_by_window(table: Table, index: str) -> bool:
    """A search index whose text the window index holds already (its `own` column): no table of its own."""
    return table.window is not None and table.window.serves == index


def own_tables(table: Table) -> list[str]:
    """The search indexes that have a full-text table of their own."""
    return [name for name in table.search if not served_by_window(table, name)]


def search_source(table: Table, index: str, expression: str) -> tuple[str, str]:
    """(full-text table, MATCH expression) that searches a search index for `expression`."""
    if served_by_window(table, index):
        return window_table(table.name), f"{{own}} : ({expression})"
    return search_table(table.name, index), expression


def ddl(table: Table) -> list[str]:
    statements = [
        f'CREATE VIRTUAL TABLE IF NOT EXISTS "{search_table(table.name, name)}" '
        f"USING fts5(text, content = '', tokenize = '{TOKENIZER}')"
        for name in own_tables(table)
    ]
    if table.window is not None:
        statements.append(
            f'CREATE VIRTUAL TABLE IF NOT EXISTS "{window_table(table.name)}" '
            f"USING fts5(own, near, content = '', tokenize = '{TOKENIZER}')"
        )
    return statements


def search_terms(text: str) -> list[str]:
    """Case-insensitive word tokens, as Convex's full-text search splits a query (terms cut at 32 chars)."""
    return [term[:32] for term in _TERM.findall(text.lower())]


def any_term(terms: Iterable[str], prefix_last: bool = False) -> str:
    """An FTS5 expression matching a row that holds any of the terms (each quoted: no operators)."""
    quoted = [f'"{t}"' for t in terms]
    if prefix_last and quoted:
        quoted[-1] += "*"  # type-ahead: the last term also matches as a prefix
    return " OR ".join(quoted)


# -- search indexes ---------------------------------------------------------------------------


def unindex_search(conn: sqlite3.Connection, table: Table, rowid: int, doc_text: str) -> None:
    """Remove a row's search entries, given its stored JSON document (before it changes)."""
    for name in own_tables(table):
        spec = table.search[name]
        text = conn.execute("SELECT json_extract(?, ?)", (doc_text, json_path(spec.field))).fetchone()[0]
        if isinstance(text, str):
            fts = search_table(table.name, name)
            conn.execute(f'INSERT INTO "{fts}"("{fts}", rowid, text) VALUES (\'delete\', ?, ?)', (rowid, text))


def index_search(conn: sqlite3.Connection, table: Table, rows: Iterable[tuple[int, dict]]) -> None:
    """Add search entries for `(rowid, document)` pairs that have none."""
    rows = list(rows)
    for name in own_tables(table):
        spec = table.search[name]
        texts = [(rowid, doc[spec.field]) for rowid, doc in rows if isinstance(doc.get(spec.field), str)]
        conn.executemany(f'INSERT INTO "{search_table(table.name, name)}"(rowid, text) VALUES (?, ?)', texts)


def fill_search(conn: sqlite3.Connection, table: Table, name: str) -> None:
    """Index every existing row (a new or rebuilt search table)."""
    path = json_path(table.search[name].field)
    conn.execute(
        f'INSERT INTO "{search_table(table.name, name)}"(rowid, text) '
        f"SELECT rowid, json_extract(doc, '{path}') FROM \"{table.name}\" WHERE json_type(doc, '{path}') = 'text'"
    )


# -- window indexes ---------------------------------------------------------------------------


Key = tuple[Any, Any, float]  # (scope, group, rowid) of a position in a group


def _key(conn: sqlite3.Connection, table: Table, spec: WindowIndex, rowid: int) -> Key | None:
    row = conn.execute(
        f'SELECT "{column(spec.scope)}", "{column(spec.group)}" FROM "{table.name}" WHERE rowid = ?', (rowid,)
    ).fetchone()
    return None if row is None else (row[0], row[1], rowid)


def _neighbours(conn: sqlite3.Connection, table: Table, spec: WindowIndex, key: Key) -> list[int]:
    """Rowids of the rows within `radius` of a position (scope, group, rowid), in creation order."""
    scope, group, at = key
    if not isinstance(group, str):
        return []
    where = f'"{column(spec.scope)}" = ? AND "{column(spec.group)}" = ?'
    before = conn.execute(
        f'SELECT rowid FROM "{table.name}" WHERE {where} AND rowid < ? ORDER BY rowid DESC LIMIT ?',
        (scope, group, at, spec.radius),
    ).fetchall()
    after = conn.execute(
        f'SELECT rowid FROM "{table.name}" WHERE {where} AND rowid > ? ORDER BY rowid LIMIT ?',
        (scope, group, at, spec.radius),
    ).fetchall()
    return [r[0] for r in reversed(before)] + [r[0] for r in after]


def _text(conn: sqlite3.Connection, table: Table, spec: WindowIndex, rowid: int) -> Any:
    row = conn.execute(
        f"SELECT json_extract(doc, '{json_path(spec.field)}') FROM \"{table.name}\" WHERE rowid = ?", (rowid,)
    ).fetchone()
    return None if row is None else row[0]


def _window(conn: sqlite3.Connection, table: Table, spec: WindowIndex, rowid: int) -> tuple[str, str] | None:
    """(own text, neighbours' text) as the row's window is indexed now; None when it has no entry."""
    own = _text(conn, table, spec, rowid)
    if not isinstance(own, str):
        return None
    key = _key(conn, table, spec, rowid)
    assert key is not None
    near = [_text(conn, table, spec, r) for r in _neighbours(conn, table, spec, key)]
    return own, "\n".join(t for t in near if isinstance(t, str))


def touched_windows(conn: sqlite3.Connection, table: Table, rowid: int | None, new_doc: dict | None) -> set[int]:
    """Before writing row `rowid` (None: a new row, created after every other) as `new_doc` (None:
    deleted): the rows whose windows the write changes, unindexed now from their current texts.
    Pass them to `index_windows` after the write."""
    spec = table.window
    if spec is None:
        return set()
    rows: set[int] = set()
    old = _key(conn, table, spec, rowid) if rowid is not None else None
    if rowid is not None and old is not None:
        rows |= {rowid, *_neighbours(conn, table, spec, old)}
    if new_doc is not None:
        at = math.inf if rowid is None else rowid
        rows |= set(_neighbours(conn, table, spec, (_lookup(new_doc, spec.scope), _lookup(new_doc, spec.group), at)))
    for r in rows:
        _unindex_window(conn, table, r)
    return rows


def touched_by_appends(conn: sqlite3.Connection, table: Table, docs: list[dict]) -> set[int]:
    """Before appending new rows (bulk insert, all created after every existing row): the existing
    rows whose windows gain neighbours, unindexed now."""
    spec = table.window
    if spec is None:
        return set()
    rows: set[int] = set()
    groups = {(_lookup(d, spec.scope), _lookup(d, spec.group)) for d in docs}
    for scope, group in groups:
        if isinstance(group, str):
            rows |= set(_neighbours(conn, table, spec, (scope, group, math.inf)))
    for r in rows:
        _unindex_window(conn, table, r)
    return rows


def _unindex_window(conn: sqlite3.Connection, table: Table, rowid: int) -> None:
    assert table.window is not None
    window = _window(conn, table, table.window, rowid)
    if window is not None:
        fts = window_table(table.name)
        conn.execute(f'INSERT INTO "{fts}"("{fts}", rowid, own, near) VALUES (\'delete\', ?, ?, ?)', (rowid, *window))


def index_windows(conn: sqlite3.Connection, table: Table, rowids: Iterable[int]) -> None:
    """After a write: index the current window of every given row that still exists."""
    spec = table.window
    if spec is None:
        return
    fts = window_table(table.name)
    for rowid in rowids:
        window = _window(conn, table, spec, rowid)
        if window is not None:
            conn.execute(f'INSERT INTO "{fts}"(rowid, own, near) VALUES (?, ?, ?)', (rowid, *window))


def fill_windows(conn: sqlite3.Connection, table: Table) -> None:
    """Index the window of every existing row, in one pass over each group (a new or rebuilt index)."""
    spec = table.window
    if spec is None:
        return
    scope_column, group_column = column(spec.scope), column(spec.group)
    cursor = conn.execute(
        f"SELECT rowid, \"{scope_column}\", \"{group_column}\", json_extract(doc, '{json_path(spec.field)}') "
        f'FROM "{table.name}" ORDER BY "{scope_column}", "{group_column}", rowid'
    )
    entries: list[tuple[int, str, str]] = []

    def add(group: list[tuple[int, Any]]) -> None:
        for i, (rowid, text) in enumerate(group):
            if isinstance(text, str):
                lo, hi = max(0, i - spec.radius), i + spec.radius + 1
                near = [t for j, (_, t) in enumerate(group[lo:hi], lo) if j != i and isinstance(t, str)]
                entries.append((rowid, text, "\n".join(near)))

    group: list[tuple[int, Any]] = []
    current: tuple[Any, Any] | None = None
    for rowid, scope, grp, text in cursor:
        if not isinstance(grp, str):
            add([(rowid, text)])  # a standalone row: no neighbours
            continue
        if (scope, grp) != current:
            add(group)
            group, current = [], (scope, grp)
        group.append((rowid, text))
    add(group)
    conn.executemany(f'INSERT INTO "{window_table(table.name)}"(rowid, own, near) VALUES (?, ?, ?)', entries)


def _lookup(doc: dict, field_path: str) -> Any:
    value: Any = doc
    for part in field_path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# -- ranked search for recall: a bounded query plan ---------------------------------------------

# Recall reads at most about this many index matches per query: the terms of a query are taken
# rarest first while their matches fit (a term too common to discriminate is left out), so the
# work is bounded by this budget and the result size, not by how many rows share a common word.
MATCH_BUDGET = 2000
# A question whose every term is more common than the budget (common words only, or a very large
# store) ranks only this many of its rarest term's newest matches.
NEWEST_MATCHES = 500
_BM25_MIN_IDF = 1e-6  # FTS5's floor for a term in more than half the rows


def _varint(blob: bytes, at: int) -> tuple[int, int]:
    """An SQLite varint at `at`: (value, next offset)."""
    value = 0
    for i in range(8):
        byte = blob[at + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    return (value << 8) | blob[at + 8], at + 9


def row_count(conn: sqlite3.Connection, fts: str) -> int:
    """Rows in an FTS5 table, from its averages record (O(1); count(*) would scan)."""
    row = conn.execute(f'SELECT block FROM "{fts}_data" WHERE id = 1').fetchone()
    return _varint(row[0], 0)[0] if row and row[0] else 0


class Plan(NamedTuple):
    terms: list[str]  # the terms to match, rarest first
    ideal: float  # the sum of their IDFs: what a row holding each once at average length scores
    since: int | None  # rank only rows from this rowid on (the newest matches); None: every match


def plan(conn: sqlite3.Connection, fts: str, terms: list[str], budget: int | None = None) -> Plan:
    """The terms worth matching, rarest first while their matches fit the budget (always at least
    the rarest one that matches), and the sum of their IDFs as BM25 computes them: a row holding
    each once at average length scores about that much, so it normalises scores to ~[0, 1].

    When even the rarest term is in more rows than the budget (a question of common words only),
    only its `NEWEST_MATCHES` newest matches are ranked (`since`): the work stays bounded at any size."""
    budget = MATCH_BUDGET if budget is None else budget
    counted: list[tuple[int, str]] = []
    for term in dict.fromkeys(terms):
        found = conn.execute(
            f'SELECT count(*) FROM (SELECT 1 FROM "{fts}" WHERE "{fts}" MATCH ? LIMIT ?)', (f'"{term}"', budget + 1)
        ).fetchone()[0]
        if found:
            counted.append((found, term))
    counted.sort()
    chosen: list[tuple[int, str]] = []
    for found, term in counted:
        if chosen and sum(n for n, _ in chosen) + found > budget:
            break
        chosen.append((found, term))
    since = None
    if chosen and chosen[0][0] > budget:
        row = conn.execute(
            f'SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?',
            (f'"{chosen[0][1]}"', max(0, min(budget, NEWEST_MATCHES) - 1)),
        ).fetchone()
        since = row[0] if row else None
    total = row_count(conn, fts)
    ideal = sum(max(_BM25_MIN_IDF, math.log((total - n + 0.5) / (n + 0.5))) for n, _ in chosen)
    return Plan([term for _, term in chosen], ideal, since)
