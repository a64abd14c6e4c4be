"""`cortex-mcp ui` views over the `backend` fixture (embedded, and the Convex adapter over the wire):
what each page shows, that everything user-supplied is escaped, and that the page only ever reads."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from cortex_mcp.api import facts, memory
from cortex_mcp.auth import PermissionDenied, Scope
from cortex_mcp.backends.base import call
from cortex_mcp.rebinding import HostPolicy
from cortex_mcp.ui.app import read_only, ui_asgi_app
from tests.ui.seed import SCRIPT, seed

pytestmark = pytest.mark.anyio


class Recording:
    """A backend that records the kind of every call it passes on."""

    def __init__(self, inner: Any):
        self.inner, self.name, self.kinds = inner, inner.name, []

    async def query(self, path: str, args: dict) -> Any:
        self.kinds.append(("query", path))
        return await self.inner.query(path, args)

    async def mutation(self, path: str, args: dict) -> Any:
        self.kinds.append(("mutation", path))
        return await self.inner.mutation(path, args)

    async def action(self, path: str, args: dict) -> Any:
        self.kinds.append(("action", path))
        return await self.inner.action(path, args)

    async def aclose(self) -> None:
        return None


@pytest.fixture
async def site(backend, tmp_path):
    """(get(path) -> response, ids, recording backend) over a seeded store."""
    ids = await seed(backend)
    recording = Recording(backend)
    db_path = tmp_path / "cortex.db" if backend.name == "embedded" else None
    app = ui_asgi_app(recording, policy=HostPolicy.for_bind("127.0.0.1"), memory_space="test-space", db_path=db_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8765") as http:

        async def get(path: str, **params: str) -> httpx.Response:
            return await http.get(path, params=params or None)

        yield get, ids, recording


def main_of(response: httpx.Response) -> str:
    return response.text.split("<main>", 1)[1].split("</main>", 1)[0]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_overview_counts_per_space_and_layer_and_storage(site, backend):
    get, _, _ = site
    page = main_of(await get("/"))
    row = re.search(r"<tr><td><a href=\"/search\?space=test-space\">test-space</a></td>(.*?)</tr>", page)
    assert row, page
    assert re.findall(r"<td>([^<]*)</td>", row.group(1)) == ["2", "1", "1", "3"]  # memories, facts, convs, contexts
    assert "<td>factHistory</td>" in page and "<td>memories</td>" in page
    agent = main_of(await get("/", space="mover"))  # a space nobody registered (an agent's inbox)
    assert re.search(r'<a href="/search\?space=mover">mover</a></td><td>1</td>', agent), agent
    storage = text_of(page.split("<h2>Storage</h2>", 1)[1])
    if backend.name == "embedded":
        assert re.search(r"\d[\d.,]* (bytes|KiB|MiB)", storage) and "cortex.db" in storage
    else:
        assert "not reported" in storage


async def test_search_shows_recall_results_with_scores(site):
    get, ids, _ = site
    response = await get("/search", q="Paris", space="test-space")
    assert response.status_code == 200
    page = main_of(response)
    rows = re.findall(r"<tr><td>([\d.]+)</td><td>([\d.]+)</td><td>(memory|fact)</td><td>(.*?)</td>", page)
    assert rows, page
    assert float(rows[0][0]) == 1.0 and all(0 < float(score) <= 1 for score, *_ in rows)
    found = " ".join(content for *_, content in rows)
    assert f"/memory/{ids['exchange']}?space=test-space" in found
    assert "Berlin" not in found  # only what matches; the superseded Paris fact is not a current belief
    assert f"/fact/{ids['paris']}" not in found


class Concepts:
    """A toy embedder: one dimension per concept, so 'kitten' is near 'cat' with no word in common."""

    name, dimension = "toy-concepts", 3
    CONCEPTS = ({"cat", "kitten", "cats"}, {"sofa", "couch"}, {"van", "truck"})

    async def embed(self, texts):
        vectors = []
        for text in texts:
            words = set(re.findall(r"[a-z]+", text.lower()))
            vector = [1.0 if words & concept else 0.0 for concept in self.CONCEPTS]
            norm = sum(v * v for v in vector) ** 0.5 or 1.0
            vectors.append([v / norm for v in vector] if any(vector) else [1 / 3**0.5] * 3)
        return vectors

    async def aclose(self) -> None:
        return None


async def test_search_fuses_vectors_when_the_page_has_the_embedder(site, backend):
    get, _, _ = site
    embedder = Concepts()
    await memory.remember_note(backend, memory_space_id="test-space", content="The cat sleeps all afternoon",
                               user_id="alex", agent_id="helper", embedder=embedder)
    plain = main_of(await get("/search", q="kitten", space="test-space"))
    assert "The cat sleeps" not in plain and "by full text" in plain
    app = ui_asgi_app(backend, policy=HostPolicy.for_bind("127.0.0.1"), memory_space="test-space", embedder=embedder)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8765") as http:
        fused = main_of(await http.get("/search", params={"q": "kitten"}))
    assert "The cat sleeps all afternoon" in fused and "full text and vectors (toy-concepts)" in fused


async def test_search_without_words_lists_the_newest_memories(site):
    get, ids, _ = site
    page = main_of(await get("/search", space="test-space"))
    assert "Newest memories" in page and ids["note"] in page and ids["exchange"] in page


async def test_search_refuses_a_query_over_the_limit_naming_the_field(site):
    get, _, _ = site
    response = await get("/search", q="x" * 2001)
    assert response.status_code == 400
    assert "query" in main_of(response) and "2000" in main_of(response)


async def test_memory_detail_shows_versions_and_source_messages(site):
    get, ids, _ = site
    note = main_of(await get(f"/memory/{ids['note']}", space="test-space"))
    versions = note.split("<h2>Versions</h2>", 1)[1].split("<h2>", 1)[0]
    assert "Alex drinks tea" in versions and "Alex drinks green tea, never coffee" in versions
    assert versions.index("Alex drinks tea") < versions.index("green tea")  # oldest first
    exchange = main_of(await get(f"/memory/{ids['exchange']}", space="test-space"))
    sources = exchange.split("<h2>Source messages</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<td>user</td>" in sources and "I moved to Paris" in sources
    assert '<a href="/user/alex?space=test-space">alex</a>' in exchange


async def test_missing_memory_is_404_and_a_fact_id_is_a_clear_400(site):
    get, ids, _ = site
    missing = await get("/memory/mem-0-nothing", space="test-space")
    assert missing.status_code == 404 and "mem-0-nothing" in main_of(missing)
    wrong = await get(f"/memory/{ids['paris']}", space="test-space")
    assert wrong.status_code == 400 and "fact" in main_of(wrong).lower()


async def test_profile_shows_current_facts_by_slot_and_a_timeline_of_supersession(site):
    get, ids, _ = site
    page = main_of(await get("/user/alex", space="test-space"))
    slots = page.split("<h2>Current facts by slot</h2>", 1)[1].split("<h2>", 1)[0]
    assert "alex lives in" in slots and "Alex lives in Berlin" in slots and "Paris" not in slots
    timeline = page.split("<h2>Timeline of beliefs", 1)[1].split("<h2>", 1)[0]
    rows = timeline.split("<tr>")
    paris_row = next(r for r in rows if f'<td><a href="/fact/{ids["paris"]}?space=test-space">Alex lives in Paris' in r)
    assert "superseded" in paris_row
    assert f'href="/fact/{ids["berlin"]}?space=test-space">Alex lives in Berlin</a>' in paris_row
    berlin_row = next(r for r in rows if f'<td><a href="/fact/{ids["berlin"]}?space=test-space">Alex lives' in r)
    assert "current" in berlin_row and f'href="/fact/{ids["paris"]}?space=test-space"' in berlin_row
    assert timeline.index("Alex lives in Berlin") < timeline.index("Alex lives in Paris")  # newest first


async def test_a_forgotten_fact_shows_as_retracted_not_believed(site, backend):
    get, _, _ = site
    piano = await facts.revise(backend, memory_space_id="test-space", fact="Alex owns a piano", subject="alex",
                               predicate="owns", object="piano", user_id="alex")
    await memory.forget(backend, memory_space_id="test-space", memory_id=piano["fact"]["factId"])
    page = main_of(await get("/user/alex", space="test-space"))
    slots = page.split("<h2>Current facts by slot</h2>", 1)[1].split("<h2>", 1)[0]
    timeline = page.split("<h2>Timeline of beliefs", 1)[1].split("<h2>", 1)[0]
    assert "piano" not in slots
    assert re.search(r"Alex owns a piano</a></td><td>retracted</td>", timeline), timeline


async def test_following_a_supersession_link_shows_the_chain(site):
    get, ids, _ = site
    profile = main_of(await get("/user/alex", space="test-space"))
    link = re.search(r'superseded by <a class="superseded-by" href="([^"]+)"', profile).group(1)
    response = await get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    chain = main_of(response).split("<h2>What it replaced", 1)[1].split("<h2>", 1)[0]
    assert chain.index(ids["paris"]) < chain.index(ids["berlin"])
    assert "<strong>Alex lives in Berlin</strong>" in chain  # the fact the link led to
    events = main_of(response).split("<h2>Change events</h2>", 1)[1]
    assert "CREATE" in events and "SUPERSEDE" in events


async def test_missing_fact_is_404(site):
    get, _, _ = site
    response = await get("/fact/fact-0-nothing", space="test-space")
    assert response.status_code == 404


async def test_context_tree_of_a_task(site):
    get, ids, _ = site
    listed = main_of(await get("/contexts", space="test-space"))
    assert "Plan the move" in listed and "Find a flat" not in listed  # roots only
    page = main_of(await get(f"/context/{ids['child']}", space="test-space"))
    tree = page.split('<ul class="tree">', 1)[1].split("<h2>", 1)[0]
    # root > child > grandchild, nested, with the asked-for context in bold
    assert re.search(r"Plan the move.*?<ul><li><strong>.*?Find a flat.*?</strong><ul><li>.*?Call the agent", tree), tree
    assert page.count("<li>") == 3
    missing = await get("/context/ctx-0-nothing")
    assert missing.status_code == 404


async def test_agent_threads(site):
    get, _, _ = site
    listed = main_of(await get("/threads"))
    link = re.search(r'<a href="(/thread\?[^"]+)">', listed)
    assert link and "planner" in listed and "mover" in listed
    thread = main_of(await get(link.group(1).replace("&amp;", "&")))
    assert "Book the van for Friday" in thread and "<td>planner</td><td>mover</td>" in thread
    kept = re.search(r'<a href="(/memory/[^"]+)">Book the van for Friday</a>', thread)
    assert kept, thread  # the message as a memory of the agent's own space
    assert "Book the van for Friday" in main_of(await get(kept.group(1).replace("&amp;", "&")))


async def test_a_list_at_its_bound_says_so(site, backend):
    get, _, _ = site
    assert "The first" not in main_of(await get("/search", space="test-space"))
    for i in range(50):
        await memory.remember_note(backend, memory_space_id="test-space", content=f"note {i}", user_id="alex",
                                   agent_id="helper")
    page = main_of(await get("/search", space="test-space"))
    assert page.count("<tr>") == 51 and "The first 50 are shown." in page  # header row + 50


async def test_profile_data_times_read_as_times(site):
    get, _, _ = site
    profile = main_of(await get("/user/alex", space="test-space"))
    assert re.search(r"<dt>createdAt</dt><dd>\d{4}-\d\d-\d\dT", profile), profile


async def test_users_page_and_form(site):
    get, _, _ = site
    page = main_of(await get("/users"))
    assert '<a href="/user/alex?space=test-space">alex</a>' in page
    opened = await get("/user", id="alex", space="test-space")
    assert opened.status_code == 303 and opened.headers["location"] == "/user/alex?space=test-space"
    assert (await get("/user")).status_code == 400


async def test_every_user_supplied_text_is_escaped(site):
    get, ids, _ = site
    pages = [
        await get("/search", q="Paris", space="test-space"),
        await get("/search", space="test-space"),
        await get(f"/memory/{ids['exchange']}", space="test-space"),
        await get(f"/context/{ids['grandchild']}", space="test-space"),
        await get("/search", q=SCRIPT, space=SCRIPT),  # reflected query and space
        await get(f"/fact/{SCRIPT}", space=f'"><b>{SCRIPT}'),
        await get("/thread", a=SCRIPT, b="x"),
        await get(f"/user/{SCRIPT}"),
    ]
    for response in pages:
        assert "<script" not in response.text.lower(), response.url
        assert '"><b>' not in response.text
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert escaped in pages[0].text and escaped in pages[2].text and escaped in pages[3].text
    assert f'value="{escaped}"' in pages[4].text  # the search box shows the query back, as text


async def test_the_page_only_reads(site, backend):
    """Every page, every call it made: queries only. A write reaching the wrapper is refused."""
    get, ids, recording = site
    paths = ["/", "/search?q=Paris", "/search", f"/memory/{ids['note']}", f"/memory/{ids['exchange']}",
             f"/fact/{ids['paris']}", "/users", "/user/alex", "/contexts", f"/context/{ids['root']}", "/threads",
             "/thread?a=planner&b=mover"]
    for path in paths:
        sep = "&" if "?" in path else "?"
        assert (await get(f"{path}{sep}space=test-space")).status_code == 200, path
    assert recording.kinds and {kind for kind, _ in recording.kinds} == {"query"}
    before = await call(backend, "memories:count", {"memorySpaceId": "test-space"})
    guarded = read_only(backend)
    with pytest.raises(PermissionDenied, match="read-only"):
        await call(guarded, "memories:deleteMemory", {"memorySpaceId": "test-space", "memoryId": ids["note"]})
    with pytest.raises(PermissionDenied, match="read-only"):
        await guarded.action("memories:storeWithEmbedding", {})
    assert await call(backend, "memories:count", {"memorySpaceId": "test-space"}) == before
    # A token's limits still hold, on top of read-only.
    held = read_only(backend, Scope(spaces=frozenset({"other"})))
    with pytest.raises(PermissionDenied, match="outside this token's scope"):
        await call(held, "memories:list", {"memorySpaceId": "test-space"})
