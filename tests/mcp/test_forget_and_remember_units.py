"""forget removes exactly what was asked; remember is one unit and stays in its own memory space."""

import signal
import subprocess
import sys
import textwrap

import pytest

from cortex_mcp.api import memory as memory_api
from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded import EmbeddedBackend
from tests.helpers import ROOT, connect, fails, ok

pytestmark = pytest.mark.anyio

EXCHANGES = [
    ("I mostly write Python these days", "Python it is, I will show examples in Python from now on.",
     {"fact": "Alex prefers Python", "subject": "Alex", "predicate": "prefers", "object": "Python"}),
    ("Please use dark mode in the screenshots", "Dark mode screenshots from now on, that is easy to do.",
     {"fact": "Alex prefers dark mode", "subject": "Alex", "predicate": "prefers", "object": "dark mode"}),
    ("I am vegetarian, remember that", "Vegetarian recipes only then, no meat or fish in suggestions.",
     {"fact": "Alex is vegetarian", "subject": "Alex", "predicate": "diet is", "object": "vegetarian"}),
]


async def _conversation(client) -> list[dict]:
    saved = []
    conversation_id = None
    for user_message, agent_response, fact in EXCHANGES:
        args = {"user_message": user_message, "agent_response": agent_response, "facts": [fact]}
        if conversation_id:
            args["conversation_id"] = conversation_id
        result = await ok(client, "remember", args)
        conversation_id = result["conversation_id"]
        saved.append(result)
    return saved


async def _current_fact_texts(client) -> list[str]:
    return sorted(f["fact"] for f in (await ok(client, "search_facts", {"query": "Alex", "limit": 50}))["facts"])


async def test_forgetting_one_exchange_removes_only_its_facts(client):
    saved = await _conversation(client)
    vegetarian = saved[2]
    result = await ok(client, "forget", {"memory_id": vegetarian["memories"][0]["memory_id"]})
    assert result["fact_ids"] == [vegetarian["facts"][0]["fact_id"]]
    assert await _current_fact_texts(client) == ["Alex prefers Python", "Alex prefers dark mode"]
    # The exchange's other memory (the agent's reply) shares its facts: nothing more to remove.
    again = await ok(client, "forget", {"memory_id": vegetarian["memories"][1]["memory_id"]})
    assert again["facts_deleted"] == 0 and again["memory_deleted"]


async def test_forget_with_delete_messages_erases_the_words(client, backend):
    saved = await _conversation(client)
    vegetarian = saved[2]
    conversation_id = vegetarian["conversation_id"]
    kept = await ok(client, "forget", {"memory_id": vegetarian["memories"][1]["memory_id"]})
    assert kept["messages_deleted"] == 0  # default: the messages stay
    conversation = await call(backend, "conversations:get", {"conversationId": conversation_id})
    assert conversation["messageCount"] == 6
    result = await ok(client, "forget", {"memory_id": vegetarian["memories"][0]["memory_id"],
                                         "delete_messages": True})
    assert result["messages_deleted"] == 1
    conversation = await call(backend, "conversations:get", {"conversationId": conversation_id})
    assert conversation["messageCount"] == 5
    assert not any("vegetarian" in m["content"] for m in conversation["messages"] if m["role"] == "user")
    search = {"query": "remember that", "memorySpaceId": "test-space"}
    assert await call(backend, "conversations:search", search) == []
    assert len(await call(backend, "conversations:search", {**search, "query": "dark mode"})) == 1


async def test_forget_accepts_the_fact_ids_recall_returns(client):
    await _conversation(client)
    items = (await ok(client, "recall", {"query": "vegetarian"}))["items"]
    fact = next(i for i in items if i["type"] == "fact")
    result = await ok(client, "forget", {"memory_id": fact["id"]})
    assert result == {**result, "fact_retracted": fact["id"], "memory_deleted": False, "fact_ids": [fact["id"]]}
    assert "Alex is vegetarian" not in await _current_fact_texts(client)
    history = await ok(client, "get_fact_history", {"fact_id": fact["id"]})
    assert [e["action"] for e in history["events"]][-1] == "DELETE"
    assert history["versions"][0]["valid_until"] is not None
    assert [i for i in (await ok(client, "recall", {"query": "vegetarian"}))["items"] if i["type"] == "fact"] == []
    twice = await ok(client, "forget", {"memory_id": fact["id"]})
    assert twice["facts_deleted"] == 0
    assert "FACT_NOT_FOUND" in await fails(client, "forget", {"memory_id": "fact-0-nothing"})


async def test_memory_tools_given_a_fact_id_say_how_to_handle_facts(client):
    saved = await _conversation(client)
    fact_id = saved[0]["facts"][0]["fact_id"]
    for tool, args in (("get_memory", {}), ("update_memory", {"content": "x"})):
        text = await fails(client, tool, {"memory_id": fact_id, **args})
        assert "fact id" in text and "get_fact_history" in text and "memory_id" in text


async def test_remember_refuses_another_spaces_conversation_and_a2a_logs(client, backend):
    other = await ok(client, "remember", {"user_message": "hello there", "agent_response": "Hello! How can I help?",
                                          "memory_space_id": "other-space"})
    text = await fails(client, "remember", {"user_message": "x", "agent_response": "y",
                                            "conversation_id": other["conversation_id"]})
    assert "PERMISSION_DENIED" in text and "conversation_id" in text
    await call(backend, "a2a:send", {"from": "agent-a", "to": "agent-b", "message": "hi b"})
    text = await fails(client, "remember", {"user_message": "x", "agent_response": "y",
                                            "conversation_id": "a2a-conv-agent-a-agent-b",
                                            "memory_space_id": "agent-a"})
    assert "PERMISSION_DENIED" in text and "conversation_id" in text
    assert await call(backend, "memories:count", {"memorySpaceId": "test-space"}) == 0
    assert await call(backend, "conversations:count", {"memorySpaceId": "test-space"}) == 0
    assert (await call(backend, "conversations:get", {"conversationId": other["conversation_id"]}))[
        "messageCount"] == 2


def test_remember_killed_part_way_leaves_no_orphan_messages(tmp_path):
    """The process dies while storing the memories, after the messages were added: nothing stays."""
    db = tmp_path / "cortex.db"
    script = textwrap.dedent(
        f"""
        import os, signal
        import anyio
        from cortex_mcp.api import memory
        from cortex_mcp.backends.embedded import EmbeddedBackend

        backend = EmbeddedBackend({str(db)!r})
        backend.handlers["memories:store"] = lambda tx, args: os.kill(os.getpid(), signal.SIGKILL)

        async def main():
            await memory.remember_exchange(backend, memory_space_id="s", user_message="hi",
                                           agent_response="hello, what can I do for you today?",
                                           user_id="alex", agent_id="bot")

        anyio.run(main)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    backend = EmbeddedBackend(db)
    try:
        assert backend.call_sync("query", "conversations:count", {"memorySpaceId": "s"}) == 0
        assert backend.call_sync("query", "memorySpaces:get", {"memorySpaceId": "s"}) is None
    finally:
        backend.store.close()


async def test_a_fact_refused_part_way_through_its_revision_leaves_none_of_its_writes(tmp_path):
    from cortex_mcp.api import memory
    from cortex_mcp.errors import CortexError

    backend = EmbeddedBackend(tmp_path / "cortex.db")
    try:
        common = {"memory_space_id": "s", "user_id": "alex", "agent_id": "bot"}
        await memory.remember_note(backend, content="Alex lives in Oslo", **common,
                                   facts=[{"fact": "Alex lives in Oslo"}])

        def refuse(tx, args):
            raise CortexError("refused", code="REFUSED")

        backend.handlers["facts:supersede"] = refuse  # after facts:store and its history event
        result = await memory.remember_note(backend, content="Alex moved to Rome", **common,
                                            facts=[{"fact": "Alex lives in Rome"}])
        assert [f["fact"] for f in result.skipped_facts] == ["Alex lives in Rome"] and result.facts == []
        stored = await call(backend, "facts:list", {"memorySpaceId": "s", "includeSuperseded": True})
        assert [f["fact"] for f in stored] == ["Alex lives in Oslo"]
        assert await call(backend, "memories:count", {"memorySpaceId": "s"}) == 2
    finally:
        await backend.aclose()


async def test_parallel_remembers_from_two_processes_into_one_conversation_lose_nothing(tmp_path):
    import anyio
    from mcp import Client

    from cortex_mcp.server import build_server
    from tests.helpers import make_config, server_params

    db = tmp_path / "shared.db"
    backend = EmbeddedBackend(db)
    try:
        in_process = build_server(make_config(tmp_path), backend=backend)
        async with Client(in_process) as a, Client(server_params(db, "--memory-space", "test-space")) as b:
            first = await ok(a, "remember", {"user_message": "start", "agent_response": "Starting the log now."})
            conversation_id = first["conversation_id"]

            async def remember(client, n: int) -> None:
                await ok(client, "remember", {"conversation_id": conversation_id, "user_message": f"note {n}",
                                              "agent_response": f"Recorded note number {n} in the log."})

            async with anyio.create_task_group() as tg:
                for n in range(12):
                    tg.start_soon(remember, (a, b)[n % 2], n)
        conversation = await call(backend, "conversations:get", {"conversationId": conversation_id})
        assert conversation["messageCount"] == len(conversation["messages"]) == 26
        memories = await call(backend, "memories:list", {"memorySpaceId": "test-space", "limit": 100})
        referenced = {i for m in memories for i in m["conversationRef"]["messageIds"]}
        assert referenced == {m["id"] for m in conversation["messages"]}
    finally:
        await backend.aclose()


async def test_forget_finds_an_old_exchanges_facts_however_many_facts_the_space_holds(client, monkeypatch):
    """The derived facts are found through their source (an index), not in a scan of the space's
    facts, which stops at FACTS_SCAN_LIMIT (here 2)."""
    monkeypatch.setattr(memory_api, "FACTS_SCAN_LIMIT", 2)
    saved = await _conversation(client)
    for n in range(3):
        await ok(client, "store_fact", {"fact": f"Alex owns bike number {n}"})
    oldest = saved[0]
    result = await ok(client, "forget", {"memory_id": oldest["memories"][1]["memory_id"]})  # the agent's reply
    assert result["fact_ids"] == [oldest["facts"][0]["fact_id"]]
    assert "Alex prefers Python" not in await _current_fact_texts(client)


async def test_forget_on_a_deployment_without_the_extension_scans_the_spaces_facts(tmp_path):
    backend = EmbeddedBackend(tmp_path / "upstream.db")
    del backend.handlers["gdpr:factsBySource"]  # as an upstream Cortex deployment
    try:
        async with connect(backend) as client:
            saved = await _conversation(client)
            result = await ok(client, "forget", {"memory_id": saved[1]["memories"][0]["memory_id"]})
            assert result["fact_ids"] == [saved[1]["facts"][0]["fact_id"]]
            assert await _current_fact_texts(client) == ["Alex is vegetarian", "Alex prefers Python"]
    finally:
        await backend.aclose()
