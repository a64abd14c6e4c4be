"""The page's views: each reads through the api layer or catalog queries and returns a `Page`.

A view gets a `View` (the request's read-only backend, memory space and query parameters) and
never writes: the backend it is given refuses every mutation and action (ui/app.py). Every list
asks the backend for a bounded page (`LIST` rows, `SEARCH_LIMIT` results, `TIMELINE` facts), and
counts come from the backend's count functions; tools/bench_ui.py times each page at N memories.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cortex_mcp import clock
from cortex_mcp.api import facts as facts_api
from cortex_mcp.api.contexts import get as get_context
from cortex_mcp.api.embeddings import Embedder
from cortex_mcp.api.embeddings.vectors import vector_to_search
from cortex_mcp.api.memory import get_memory
from cortex_mcp.api.profile import slot_of
from cortex_mcp.api.recall import recall
from cortex_mcp.auth import Scope
from cortex_mcp.backends.base import Backend, call, compact
from cortex_mcp.errors import CortexError
from cortex_mcp.limits import check_arguments
from cortex_mcp.ui.html import Markup, escape, join, link, render, table, url, when

LIST = 50  # rows a list shows
SEARCH_LIMIT = 20  # recall results
TIMELINE = 200  # facts (all versions) read for a user's timeline
SPACES = 25  # memory spaces counted on the overview
COUNT_CAP = 10_000  # admin:getAllCounts stops counting here
TEXT = 300  # characters of a text in a list


@dataclass
class Page:
    title: str
    body: Markup
    status: int = 200


class NotFound(CortexError):
    code = "NOT_FOUND"


@dataclass
class View:
    backend: Backend  # read-only, held to the caller's scope
    space: str  # the memory space the request looks at (?space=, else the configured one)
    params: dict[str, str]
    scope: Scope
    db_path: Path | None = None  # the embedded database (storage size); None on Convex
    embedder: Embedder | None = None  # --embeddings: search fuses vectors, as the recall tool does

    def param(self, name: str) -> str:
        return self.params.get(name, "").strip()


def _clip(text: Any, limit: int = TEXT) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _memory_link(view: View, memory_id: str, text: Any) -> Markup:
    return link(url("memory", memory_id, space=view.space), text)


def _fact_link(view: View, fact_id: str, text: Any) -> Markup:
    return link(url("fact", fact_id, space=view.space), text)


def _user_link(view: View, user_id: str) -> Markup:
    return link(url("user", user_id, space=view.space), user_id)


def _tags(tags: Any) -> Markup:
    return join(render('<span class="tag">$t</span>', t=t) for t in (tags or []))


def _first(shown: int, limit: int, html: Markup) -> Markup:
    """`html`, with a note when the list stopped at its bound (there may be more)."""
    if shown < limit:
        return html
    return render('$h<p class="note">The first $n are shown.</p>', h=html, n=limit)


def _value(key: str, value: Any) -> Any:
    """A free-form profile value for a definition list: times (`...At` in epoch ms) as ISO, the rest as text."""
    if key.endswith("At") and isinstance(value, int | float) and not isinstance(value, bool):
        return when(value)
    return _clip(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))


def _dl(pairs: list[tuple[str, Any]]) -> Markup:
    """A definition list of the pairs whose value is not empty."""
    rows = [render("<dt>$k</dt><dd>$v</dd>", k=k, v=v) for k, v in pairs if v not in (None, "", [], Markup(""))]
    return render("<dl>$rows</dl>", rows=join(rows))


# -- overview ------------------------------------------------------------------------------------


def _count_text(value: Any, capped: bool = False) -> str:
    """A count with thousands separators; a `capped` one (admin:getAllCounts) at COUNT_CAP as `10,000+`."""
    if not isinstance(value, int):
        return str(value)
    return f"{value:,}+" if capped and value >= COUNT_CAP else f"{value:,}"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} bytes"  # pragma: no cover - the loop always returns


def storage_size(db_path: Path | None) -> str:
    """The database's bytes on disk (file, WAL and shared-memory index); Convex does not report one."""
    if db_path is None:
        return "not reported by a Convex deployment"
    total = sum(p.stat().st_size for p in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")) if p.exists())
    return f"{_size(total)} ({db_path})"


async def overview(view: View) -> Page:
    listed: dict[str, Any]
    if view.scope.spaces is not None:  # its own spaces: the registry's list (and total) would count the others
        mine = sorted(view.scope.spaces)
        listed = {"spaces": [{"memorySpaceId": s} for s in mine[:SPACES]], "total": len(mine)}
    else:
        args = {"limit": SPACES, "sortBy": "createdAt", "sortOrder": "asc"}
        listed = await call(view.backend, "memorySpaces:list", args)
    spaces = [s["memorySpaceId"] for s in listed["spaces"]]
    if view.space not in spaces and (view.scope.spaces is None or view.space in view.scope.spaces):
        spaces.insert(0, view.space)  # memories can live in a space nobody registered
    rows = []
    for space in spaces:
        memories = await call(view.backend, "memories:count", {"memorySpaceId": space})
        facts = await call(view.backend, "facts:count", {"memorySpaceId": space, "validAt": clock.now_ms()})
        conversations = await call(view.backend, "conversations:count", {"memorySpaceId": space})
        contexts = await call(view.backend, "contexts:count", {"memorySpaceId": space})
        name = link(url("search", space=space), space)
        rows.append([name, _count_text(memories), _count_text(facts), _count_text(conversations),
                     _count_text(contexts)])
    more = listed["total"] - len(listed["spaces"])
    spaces_html = table(["memory space", "memories", "current facts", "conversations", "contexts"], rows)
    if more > 0:
        spaces_html = render('$t<p class="note">and $n more memory spaces</p>', t=spaces_html, n=f"{more:,}")
    if view.scope.restricted:
        layers = render('<p class="note">Whole-database counts are not shown to a token limited to some spaces '
                        "or users.</p>")
    else:
        counts = await call(view.backend, "admin:getAllCounts", {})
        rows = [[name, _count_text(n, capped=True)] for name, n in counts.items()]
        layers = table(["layer (table)", "documents"], rows)
    switch = render('<form method="get" action="/"><input name="space" aria-label="memory space" '
                    'placeholder="memory space id"> <button type="submit">Open space</button> '
                    '<span class="note">(an agent\'s messages live in a space named after it)</span></form>')
    body = render(
        "<h2>Memory spaces</h2>$spaces$switch<h2>Layers</h2>$layers<h2>Storage</h2><p>$storage</p>",
        spaces=spaces_html, switch=switch, layers=layers, storage=storage_size(view.db_path),
    )
    return Page("Overview", body)


# -- search --------------------------------------------------------------------------------------


async def search(view: View) -> Page:
    query, user = view.param("q"), view.param("user") or None
    check_arguments(compact(query=query, user_id=user))
    view.scope.check_user(user, "user")
    if not query:
        newest = await call(view.backend, "memories:list", {"memorySpaceId": view.space, "limit": LIST})
        rows = [[_memory_link(view, m["memoryId"], _clip(m["content"])), when(m.get("createdAt")), m["importance"]]
                for m in newest]
        body = render("<h2>Newest memories</h2>$t", t=_first(len(rows), LIST, table(
            ["memory", "created", "importance"], rows, "no memories in this space yet")))
        return Page(f"Search {view.space}", body)
    embedding = await vector_to_search(view.backend, view.embedder, query) if view.embedder else None
    found = await recall(view.backend, memory_space_id=view.space, query=query, user_id=user, limit=SEARCH_LIMIT,
                         embedding=embedding)
    how = f"full text and vectors ({view.embedder.name})" if embedding is not None and view.embedder else "full text"
    rows = []
    for item in found["items"]:
        if item["type"] == "memory":
            what = _memory_link(view, item["id"], _clip(item["content"]))
            weight = f"importance {item['importance']}"
        else:
            what = _fact_link(view, item["id"], _clip(item["content"]))
            weight = f"confidence {item['confidence']}"
        rows.append([f"{item['score']:.3f}", f"{item['relevance']:.3f}", item["type"], what, weight,
                     when(item.get("created_at"))])
    body = render(
        '<p class="note">$n results for <q>$q</q> in $space by $how ($ms ms). Score: rank relative to the best '
        "(1 = best); relevance: how well it matches.</p>$t",
        n=len(rows), q=query, space=view.space, how=how, ms=found["query_time_ms"],
        t=table(["score", "relevance", "type", "content", "weight", "created"], rows, "nothing matches"),
    )
    return Page(f"Search: {query}", body)


# -- memory --------------------------------------------------------------------------------------


async def memory(view: View, memory_id: str) -> Page:
    check_arguments({"memory_id": memory_id})
    found = await get_memory(view.backend, memory_space_id=view.space, memory_id=memory_id, include_conversation=True)
    if found is None:
        raise NotFound(f"no memory {memory_id!r} in memory space {view.space!r}")
    space = found["memorySpaceId"]
    versions = await call(view.backend, "memories:getHistory", {"memorySpaceId": space, "memoryId": memory_id})
    version_rows = [[v.get("version"), when(v.get("timestamp")), v.get("content")] for v in versions]
    messages = [[m.get("role"), when(m.get("timestamp")), m.get("content")] for m in found.get("sourceMessages", [])]
    facts = [[_fact_link(view, f["factId"], f["fact"]), f.get("confidence")] for f in found.get("facts", [])]
    user = found.get("userId")
    details = _dl([
        ("id", found["memoryId"]),
        ("memory space", space),
        ("user", _user_link(view, user) if user else None),
        ("agent", found.get("agentId")),
        ("source", found.get("sourceType")),
        ("importance", found.get("importance")),
        ("tags", _tags(found.get("tags"))),
        ("created", when(found.get("createdAt"))),
        ("updated", when(found.get("updatedAt"))),
        ("conversation", (found.get("conversationRef") or {}).get("conversationId")),
    ])
    body = render(
        '<blockquote class="content">$content</blockquote>$details<h2>Versions</h2>$versions'
        "<h2>Source messages</h2>$messages<h2>Facts drawn from it</h2>$facts",
        content=found["content"], details=details,
        versions=table(["version", "at", "content"], version_rows),
        messages=table(["role", "at", "message"], messages, "not from a conversation"),
        facts=table(["fact", "confidence"], facts, "none"),
    )
    return Page(f"Memory {memory_id}", body)


# -- facts and profiles --------------------------------------------------------------------------


def _fact_state(fact: dict, now: int) -> str:
    if fact.get("supersededBy"):
        return "superseded"
    until = fact.get("validUntil")
    if isinstance(until, int | float) and until <= now:
        return "retracted"
    return "current"


def _supersession(view: View, fact: dict, statements: dict[str, str] | None = None) -> Markup:
    """Links to what replaced this fact and what it replaced, by statement where known, else by id."""
    statements = statements or {}
    parts = []
    links = (("supersededBy", "superseded by", "superseded-by"), ("supersedes", "replaced", "supersedes"))
    for key, words, css in links:
        if fact.get(key):
            target = fact[key]
            parts.append(render('$w <a class="$c" href="$h">$t</a>', w=words, c=css,
                                h=url("fact", target, space=view.space), t=statements.get(target, target)))
    return join(parts, "; ")


async def fact(view: View, fact_id: str) -> Page:
    check_arguments({"fact_id": fact_id})
    try:
        found = await facts_api.history(view.backend, memory_space_id=view.space, fact_id=fact_id)
    except CortexError as exc:
        if exc.code == "FACT_NOT_FOUND":
            raise NotFound(f"no fact {fact_id!r} in memory space {view.space!r}") from None
        raise
    now = clock.now_ms()
    chain_rows = []
    for f in found["chain"]:
        text = render("<strong>$t</strong>", t=f["fact"]) if f["factId"] == fact_id else escape(f["fact"])
        chain_rows.append([_fact_link(view, f["factId"], f["factId"]), text, _fact_state(f, now), f.get("confidence"),
                           when(f.get("createdAt")), _supersession(view, f)])
    events = [[when(e.get("timestamp")), e.get("action"), e.get("oldValue"), e.get("newValue"), e.get("reason")]
              for e in found["events"]]
    this = next(f for f in found["chain"] if f["factId"] == fact_id)
    user = this.get("userId")
    details = _dl([
        ("subject", this.get("subject")), ("predicate", this.get("predicate")), ("object", this.get("object")),
        ("type", this.get("factType")), ("user", _user_link(view, user) if user else None),
        ("source memory", _memory_link(view, ref, ref) if (ref := (this.get("sourceRef") or {}).get("memoryId"))
         else None),
        ("valid from", when(this.get("validFrom"))), ("valid until", when(this.get("validUntil"))),
    ])
    body = render(
        '<blockquote class="content">$content</blockquote>$details'
        "<h2>What it replaced and what replaced it (oldest first)</h2>$chain<h2>Change events</h2>$events",
        content=this["fact"], details=details,
        chain=table(["fact", "statement", "state", "confidence", "created", "supersession"], chain_rows),
        events=table(["at", "action", "old", "new", "reason"], events, "no events recorded"),
    )
    return Page(f"Fact {fact_id}", body)


async def users(view: View) -> Page:
    listed = await call(view.backend, "users:list", {"limit": LIST})
    rows = [[_user_link(view, u["id"]), when(u.get("createdAt")), when(u.get("updatedAt"))] for u in listed]
    form = render('<form method="get" action="/user"><input type="hidden" name="space" value="$space">'
                  '<input name="id" placeholder="user id" aria-label="user id"> <button>Open profile</button></form>',
                  space=view.space)
    users_html = _first(len(rows), LIST, table(["user", "created", "updated"], rows, "no user profiles yet"))
    body = render("$form$t", form=form, t=users_html)
    return Page("Users", body)


async def user(view: View, user_id: str) -> Page:
    check_arguments({"user_id": user_id})
    now = clock.now_ms()
    who = {"memorySpaceId": view.space, "userId": user_id}
    current = await call(view.backend, "facts:list", {**who, "validAt": now, "limit": TIMELINE,
                                                      "sortBy": "createdAt", "sortOrder": "desc"})
    slots: dict[str, list[dict]] = {}
    for f in current:
        slots.setdefault(slot_of(f), []).append(f)
    slot_rows = [[slot, join((_fact_link(view, f["factId"], f["fact"]) for f in found), Markup("<br>")),
                  join((escape(f.get("confidence")) for f in found), Markup("<br>"))]
                 for slot, found in sorted(slots.items())]
    every = await call(view.backend, "facts:list", {**who, "includeSuperseded": True, "limit": TIMELINE,
                                                    "sortBy": "createdAt", "sortOrder": "desc"})
    every.sort(key=lambda f: (f.get("createdAt", 0), f.get("_creationTime", 0)), reverse=True)  # same-ms writes
    statements = {f["factId"]: f["fact"] for f in every}
    timeline = [[when(f.get("createdAt")), _fact_link(view, f["factId"], f["fact"]), _fact_state(f, now),
                 _supersession(view, f, statements)] for f in every]
    profile = await call(view.backend, "users:get", {"userId": user_id})
    memories = await call(view.backend, "memories:list", {**who, "limit": 10})
    memory_rows = [[_memory_link(view, m["memoryId"], _clip(m["content"])), when(m.get("createdAt"))] for m in memories]
    data = (profile or {}).get("data")
    profile_html = _dl([(str(k), _value(str(k), v)) for k, v in list(data.items())[:LIST]]) \
        if isinstance(data, dict) and data else render('<p class="empty">no profile data</p>')
    body = render(
        "<h2>Profile</h2>$profile<h2>Current facts by slot</h2>$slots"
        "<h2>Timeline of beliefs (newest first)</h2>$timeline<h2>Recent memories</h2>$memories",
        profile=profile_html,
        slots=table(["slot", "believed now", "confidence"], slot_rows, "no current facts"),
        timeline=_first(len(timeline), TIMELINE, table(["created", "fact", "state", "supersession"], timeline,
                                                        "no facts")),
        memories=table(["memory", "created"], memory_rows, "none"),
    )
    return Page(f"User {user_id}", body)


# -- contexts and agent threads ------------------------------------------------------------------


async def contexts(view: View) -> Page:
    roots = await call(view.backend, "contexts:list", {"memorySpaceId": view.space, "depth": 0, "limit": LIST})
    rows = [[link(url("context", c["contextId"], space=view.space), c["purpose"]), c["status"], len(c["childIds"]),
             when(c.get("createdAt"))] for c in roots]
    body = _first(len(rows), LIST, table(["task (root context)", "status", "children", "created"], rows,
                                          "no contexts in this space"))
    return Page(f"Contexts in {view.space}", body)


def _tree(view: View, node: dict, children: dict[str, list[dict]], selected: str, depth: int = 0) -> Markup:
    label = render("$l <span class=\"status\">$s</span>", l=link(url("context", node["contextId"], space=view.space),
                                                                node["purpose"]), s=node["status"])
    if node["contextId"] == selected:
        label = render("<strong>$l</strong>", l=label)
    below = children.get(node["contextId"], [])
    if depth >= 32 or not below:
        return render("<li>$l</li>", l=label)
    inner = join(_tree(view, c, children, selected, depth + 1) for c in below)
    return render("<li>$l<ul>$i</ul></li>", l=label, i=inner)


async def context(view: View, context_id: str) -> Page:
    check_arguments({"context_id": context_id})
    try:
        chain = await get_context(view.backend, context_id=context_id, include_chain=True)
    except CortexError as exc:
        if exc.code == "CONTEXT_NOT_FOUND":
            raise NotFound(f"no context {context_id!r}") from None
        raise
    this, root = chain["current"], chain.get("root") or chain["current"]
    below = await call(view.backend, "contexts:getChildren", {"contextId": root["contextId"], "recursive": True})
    children: dict[str, list[dict]] = {}
    for c in below[: LIST * 4]:
        children.setdefault(c.get("parentId") or "", []).append(c)
    history = await call(view.backend, "contexts:getHistory", {"contextId": context_id})
    history_rows = [[h.get("version"), h.get("status"), when(h.get("timestamp")), _clip(h.get("data"))]
                    for h in history]
    details = _dl([
        ("id", this["contextId"]), ("status", this["status"]), ("description", this.get("description")),
        ("memory space", this["memorySpaceId"]),
        ("user", _user_link(view, this["userId"]) if this.get("userId") else None),
        ("created", when(this.get("createdAt"))), ("completed", when(this.get("completedAt"))),
        ("data", _clip(this.get("data")) if this.get("data") else None),
    ])
    body = render("$details<h2>Task tree</h2><ul class=\"tree\">$tree</ul><h2>Versions</h2>$history",
                  details=details, tree=_tree(view, root, children, context_id),
                  history=table(["version", "status", "at", "data"], history_rows))
    return Page(f"Context: {this['purpose']}", body)


async def threads(view: View) -> Page:
    listed = await call(view.backend, "conversations:list", {"type": "agent-agent", "limit": LIST,
                                                             "includeMessages": False, "sortBy": "updatedAt"})
    rows = []
    for c in listed["conversations"]:
        pair = (c.get("participants") or {}).get("memorySpaceIds") or []
        if len(pair) != 2:
            continue
        a, b = pair
        rows.append([link(url("thread", a=a, b=b), f"{a} ↔ {b}"), c.get("messageCount"), when(c.get("updatedAt"))])
    body = _first(len(listed["conversations"]), LIST, table(["agents", "messages", "last message"], rows,
                                                             "no agent-to-agent messages yet"))
    return Page("Agent-to-agent threads", body)


async def thread(view: View) -> Page:
    a, b = view.param("a"), view.param("b")
    check_arguments({"agent_id": a, "other_agent_id": b})
    if not a or not b:
        raise NotFound("a thread needs two agents: ?a=AGENT&b=AGENT")
    found = await call(view.backend, "a2a:getConversation", {"agent1": a, "agent2": b, "limit": 200})
    rows = [[when(m.get("timestamp")), m.get("from"), m.get("to"),
             link(url("memory", m["memoryId"], space=a), m.get("message")) if m.get("memoryId") else m.get("message"),
             m.get("direction")] for m in found["messages"]]
    body = render('<p class="note">$n messages, as kept in $a\'s memory</p>$t', n=found["messageCount"], a=a,
                  t=table(["at", "from", "to", "message", "kind"], rows, "no messages between them"))
    return Page(f"Thread {a} ↔ {b}", body)
