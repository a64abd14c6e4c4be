"""Recall's retrieval: stemmed full-text, conversation windows, ranking that keeps match strength,
the bounded query plan, and the full-text migration."""

from __future__ import annotations

import sqlite3

import anyio
import pytest

from cortex_mcp.api import memory
from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded import EmbeddedBackend, fulltext
from cortex_mcp.backends.embedded.schema import TABLES
from cortex_mcp.errors import BackendUnavailableError, FunctionNotFoundError
from tests.helpers import fresh_backend

pytestmark = pytest.mark.anyio

FILLER = [
    "The quarterly report is due next week",
    "Lunch with the design team on Tuesday",
    "The printer on floor three is broken again",
    "Remember to water the office plants",
    "Parking permits renew in March",
    "The wifi password changed yesterday",
]
DAY = 86_400_000


async def note(backend, content: str, *, space: str = "s1", importance: int = 50, conversation: str | None = None,
               tags: list[str] | None = None) -> dict:
    args = {"memorySpaceId": space, "content": content, "contentType": "raw", "sourceType": "tool",
            "importance": importance, "tags": tags or [], "userId": "u1"}
    if conversation:
        args["conversationRef"] = {"conversationId": conversation, "messageIds": []}
    return await call(backend, "memories:store", args)


async def recalled(backend, query: str, **kw) -> list[str]:
    result = await memory.recall(backend, memory_space_id="s1", query=query, include_facts=False, **kw)
    return [item["content"] for item in result["items"]]


async def test_matching_is_stemmed(backend):
    for text in FILLER:
        await note(backend, text)
    await note(backend, "Deploys happen on Fridays")
    await note(backend, "She has a peanut allergy")
    assert (await recalled(backend, "When do we deploy?"))[0] == "Deploys happen on Fridays"
    assert (await recalled(backend, "any allergies?"))[0] == "She has a peanut allergy"
    # memories:search (the contract's search) is stemmed too
    found = await call(backend, "memories:search", {"memorySpaceId": "s1", "query": "allergies"})
    assert [m["content"] for m in found] == ["She has a peanut allergy"]


async def test_a_turn_is_found_by_the_words_of_the_turn_before_it(tmp_path):
    backend = EmbeddedBackend(tmp_path / "w.db")
    for text in FILLER:
        await note(backend, text)
    await note(backend, "What is your favourite dessert?", conversation="c1")
    await note(backend, "Lemon tart, without a doubt.", conversation="c1")
    await note(backend, "Lemon tart recipe from the bakery")  # a standalone note: no neighbours
    await note(backend, "What time is the train?", conversation="c2")
    got = await recalled(backend, "favourite dessert")
    assert got[:2] == ["What is your favourite dessert?", "Lemon tart, without a doubt."]
    assert "Lemon tart recipe from the bakery" not in got  # a note does not borrow a conversation's words
    assert "What time is the train?" not in got  # another conversation is not a neighbour
    # memories:search stays the contract's: own text only
    found = await call(backend, "memories:search", {"memorySpaceId": "s1", "query": "favourite dessert"})
    assert [m["content"] for m in found] == ["What is your favourite dessert?"]


def window_postings(conn: sqlite3.Connection, fts: str) -> list[tuple]:
    conn.execute(f'CREATE VIRTUAL TABLE IF NOT EXISTS temp."{fts}_v" USING fts5vocab(main, "{fts}", instance)')
    rows = conn.execute(f'SELECT term, doc, col, "offset" FROM temp."{fts}_v" ORDER BY 1, 2, 3, 4').fetchall()
    conn.execute(f'DROP TABLE temp."{fts}_v"')
    return rows


def rebuilt_postings(conn: sqlite3.Connection) -> list[tuple]:
    """The window index as a fresh build from the documents would hold it."""
    conn.execute("SAVEPOINT rebuild")
    try:
        conn.execute('DROP TABLE "memories__window"')
        for statement in fulltext.ddl(TABLES["memories"]):
            conn.execute(statement)
        fulltext.fill_windows(conn, TABLES["memories"])
        return window_postings(conn, "memories__window")
    finally:
        conn.execute("ROLLBACK TO rebuild")
        conn.execute("RELEASE rebuild")


async def test_windows_stay_exact_through_updates_deletes_and_growth(tmp_path):
    backend = EmbeddedBackend(tmp_path / "w.db")
    turns = [await note(backend, f"turn {i} word{i}", conversation="c1") for i in range(6)]
    await note(backend, "unrelated note alpha")
    other = [await note(backend, f"other {i} beta{i}", conversation="c2") for i in range(3)]
    await call(backend, "memories:update", {"memorySpaceId": "s1", "memoryId": turns[2]["memoryId"],
                                            "content": "turn two rewritten gamma"})
    await call(backend, "memories:deleteMemory", {"memorySpaceId": "s1", "memoryId": turns[3]["memoryId"]})
    await call(backend, "memories:deleteMemory", {"memorySpaceId": "s1", "memoryId": other[2]["memoryId"]})
    await note(backend, "turn 6 after a delete delta", conversation="c1")  # the conversation grows
    await note(backend, "same conversation id, other space", space="s2", conversation="c1")
    conn = backend.store.conn
    assert window_postings(conn, "memories__window") == rebuilt_postings(conn)
    got = await recalled(backend, "gamma")
    assert set(got[:5]) == {"turn two rewritten gamma", "turn 0 word0", "turn 1 word1", "turn 4 word4",
                            "turn 5 word5"}  # its neighbours now, across the deleted turn 3
    assert "turn 3 word3" not in await recalled(backend, "word3")


async def test_importance_reorders_equal_matches(backend):
    for text in FILLER:
        await note(backend, text)
    low = await note(backend, "The cat is called Miso", importance=10)
    high = await note(backend, "The cat is called Miso", importance=100)
    result = await memory.recall(backend, memory_space_id="s1", query="cat name Miso", include_facts=False)
    assert [item["id"] for item in result["items"][:2]] == [high["memoryId"], low["memoryId"]]
    assert result["items"][0]["score"] == 1.0


async def test_recency_does_not_bury_a_better_match(tmp_path):
    backend = EmbeddedBackend(tmp_path / "r.db")
    for text in FILLER:
        await note(backend, text)
    old = await note(backend, "Alice moved to Lisbon to work on solar panels", importance=50)
    new = await note(backend, "Alice likes tea", importance=100)
    backend.store.run(True, lambda tx: tx.patch(old["_id"], {"createdAt": old["createdAt"] - 400 * DAY}))
    got = await recalled(backend, "Where did Alice move for solar panels work?", now=new["createdAt"])
    assert got[:2] == [old["content"], new["content"]]


async def test_facts_come_back_with_memories_on_one_scale(backend):
    for text in FILLER:
        await note(backend, text)
    await note(backend, "We talked about the hiking trip")
    fact = await call(backend, "facts:store", {"memorySpaceId": "s1", "fact": "User prefers hiking boots from Zed",
                                               "factType": "preference", "confidence": 90, "sourceType": "manual",
                                               "tags": []})
    result = await memory.recall(backend, memory_space_id="s1", query="hiking boots")
    kinds = [(item["type"], item["id"]) for item in result["items"]]
    assert kinds[0] == ("fact", fact["factId"])  # it matches both words; the memory only one
    assert any(kind == "memory" for kind, _ in kinds)
    assert all(0 < item["score"] <= 1 for item in result["items"])


def exhaustive(conn: sqlite3.Connection, terms: list[str], space: str) -> list[int]:
    rows = conn.execute(
        'SELECT s.rowid FROM memories__window s JOIN memories t ON t.rowid = s.rowid '
        'WHERE memories__window MATCH ? AND t."f_memorySpaceId" = ? ORDER BY bm25(memories__window, 1.0, 0.4), '
        "t.rowid DESC",
        (fulltext.any_term(terms), space),
    )
    return [r[0] for r in rows]


async def test_the_plan_gives_the_exhaustive_ranking_within_its_budget(tmp_path):
    backend = EmbeddedBackend(tmp_path / "p.db")
    words = ["apple", "banana", "cherry", "damson", "elder", "fig"]
    for i in range(60):
        text = " ".join(words[j] for j in range(len(words)) if (i + 1) % (j + 2) == 0) or "plain"
        await note(backend, f"{text} {i}", conversation=f"c{i % 4}", space="s1" if i % 5 else "s2")
    conn = backend.store.conn
    query = "apple cherry fig"

    def planned(first: int) -> list[int]:
        return [m["_rowid"] for m in backend.store.run(False, lambda tx: [
            {**doc, "_rowid": conn.execute("SELECT rowid FROM memories WHERE _id = ?", (doc["_id"],)).fetchone()[0]}
            for doc, _ in tx.ranked("memories", "memories__window", query, {"memorySpaceId": "s1"}, (1.0, 0.4),
                                    first=first)])]

    expected = exhaustive(conn, ["apple", "cherry", "fig"], "s1")
    assert len(expected) > 20
    # ranked in the index alone, then the rest by the join: the same order wherever the split falls,
    # including first pages that hold rows of another space (s2)
    for first in (1, 3, 7, 32, 1000):
        assert planned(first) == expected, first
    # over budget: the rarest terms are kept, the most common left out
    df = {t: conn.execute("SELECT count(*) FROM memories__window WHERE memories__window MATCH ?", (t,)).fetchone()[0]
          for t in ("apple", "cherry", "fig")}
    rarest = sorted(df, key=df.get)
    assert df[rarest[0]] < df[rarest[1]] < df[rarest[2]]
    budget = df[rarest[0]] + df[rarest[1]]
    planned_terms = fulltext.plan(conn, "memories__window", ["apple", "cherry", "fig"], budget=budget)
    assert planned_terms.terms == rarest[:2] and planned_terms.ideal > 0 and planned_terms.since is None
    assert fulltext.plan(conn, "memories__window", ["apple", "zzz"], budget=1).terms == ["apple"]  # always one
    assert fulltext.plan(conn, "memories__window", ["zzz"]).terms == []


async def test_a_question_of_common_words_ranks_only_their_newest_matches(tmp_path, monkeypatch):
    backend = fresh_backend(tmp_path / "c.db")
    for i in range(30):
        await note(backend, f"common word {'common ' * (i % 3)}{i}", space="s1" if i % 4 else "s2")
    conn = backend.store.conn
    everything = exhaustive(conn, ["common"], "s1")
    newest = sorted(conn.execute("SELECT rowid FROM memories__window WHERE memories__window MATCH 'common'"))[-12:]
    monkeypatch.setattr(fulltext, "MATCH_BUDGET", 12)
    assert fulltext.plan(conn, "memories__window", ["common", "word"]).since == newest[0][0]

    def ranked(first: int) -> list[str]:
        return backend.store.run(False, lambda tx: [
            doc["_id"] for doc, _ in tx.ranked("memories", "memories__window", "common word", {"memorySpaceId": "s1"},
                                               (1.0, 0.4), first=first)])

    rowid_of = dict(conn.execute("SELECT _id, rowid FROM memories"))
    expected = [r for r in everything if r >= newest[0][0]]  # the exhaustive order, newest 12 matches only
    assert 0 < len(expected) < len(everything)
    for first in (2, 5, 32):
        assert [rowid_of[i] for i in ranked(first)] == expected, first


async def test_an_unstemmed_database_is_migrated_once(tmp_path, caplog):
    db = tmp_path / "old.db"
    backend = EmbeddedBackend(db)
    await note(backend, "Deploys happen on Fridays", conversation="c1")
    await note(backend, "What about rollbacks?", conversation="c1")
    backend.store.close()
    conn = sqlite3.connect(db)  # the layout before stemming: plain unicode61 tables, no windows
    conn.execute('DROP TABLE "memories__window"')
    for name in ("memories__search_by_content", "facts__search_by_content"):
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        conn.execute(f"CREATE VIRTUAL TABLE \"{name}\" USING fts5(text, tokenize = 'unicode61 remove_diacritics 2')")
    conn.execute("INSERT INTO memories__search_by_content(rowid, text) SELECT rowid, json_extract(doc, '$.content') "
                 "FROM memories")
    conn.execute("DELETE FROM _migrations WHERE name IN ('0004-stemmed-contentless-fulltext', "
                 "'0006-search-served-by-windows', 'layout')")
    conn.commit()
    conn.close()
    with caplog.at_level("INFO"):
        backend = EmbeddedBackend(db)
    assert "rebuilding the full-text indexes with stemming" in caplog.text
    sql = backend.store.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'facts__search_by_content'")
    assert "porter" in sql.fetchone()[0]
    found = await call(backend, "memories:search", {"memorySpaceId": "s1", "query": "deploy"})
    assert [m["content"] for m in found] == ["Deploys happen on Fridays"]
    assert (await recalled(backend, "rollbacks"))[:2] == ["What about rollbacks?", "Deploys happen on Fridays"]
    backend.store.close()
    caplog.clear()
    with caplog.at_level("INFO"):
        EmbeddedBackend(db).store.close()
    assert "rebuilding" not in caplog.text  # once


async def test_recall_without_the_extension_uses_the_contract_searches(tmp_path, monkeypatch):
    backend = EmbeddedBackend(tmp_path / "f.db")
    for text in FILLER:
        await note(backend, text)
    await note(backend, "The cat is called Miso", importance=10)
    await note(backend, "The cat is called Miso", importance=100)
    monkeypatch.delitem(backend.handlers, "recall:search")
    result = await memory.recall(backend, memory_space_id="s1", query="cat Miso", include_facts=False)
    assert [item["importance"] for item in result["items"]] == [100, 10]


class _TwoSearches:
    """A deployment without `recall:search` whose searches each wait until the other has started:
    recall finishes only if it sends both at once."""

    name = "slow"

    def __init__(self, fail: str | None = None):
        self.started: dict[str, anyio.Event] = {"memories:search": anyio.Event(), "facts:search": anyio.Event()}
        self.fail = fail

    async def query(self, path, args):
        if path == "recall:search":
            raise FunctionNotFoundError(path)
        self.started[path].set()
        other = next(p for p in self.started if p != path)
        with anyio.fail_after(5):
            await self.started[other].wait()
        if path == self.fail:
            raise BackendUnavailableError("cannot reach the deployment")
        return [{"memoryId": "m1", "content": "tea", "importance": 50}] if path == "memories:search" else []

    async def aclose(self):
        pass


async def test_without_the_extension_both_searches_go_at_once():
    result = await memory.recall(_TwoSearches(), memory_space_id="s1", query="tea")
    assert [item["id"] for item in result["items"]] == ["m1"]
    with pytest.raises(BackendUnavailableError):  # an outage of either is raised, not "nothing found"
        await memory.recall(_TwoSearches(fail="facts:search"), memory_space_id="s1", query="tea")



async def test_fact_search_pages_are_the_same_when_it_stops_reading_early(backend):
    for i in range(12):
        text = f"user likes tea number {i} " + "tea " * (i % 4)
        await call(backend, "facts:store", {"memorySpaceId": "s1", "fact": text,
                                            "factType": "preference", "confidence": 50 + i, "sourceType": "manual",
                                            "tags": []})
    search = {"memorySpaceId": "s1", "query": "tea"}
    everything = [f["factId"] for f in await call(backend, "facts:search", search)]
    assert len(everything) == 12
    page = await call(backend, "facts:search", {**search, "offset": 2, "limit": 3})
    assert [f["factId"] for f in page] == everything[2:5]
    confident = [f["factId"] for f in await call(backend, "facts:search", {**search, "minConfidence": 55})]
    page = await call(backend, "facts:search", {**search, "limit": 4, "minConfidence": 55})
    assert [f["factId"] for f in page] == confident[:4] and len(confident) == 7
