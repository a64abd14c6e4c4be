"""Long calls report progress while they wait, and a cancelled call stops waiting."""

import anyio
import pytest
from mcp import Client

from cortex_mcp.backends.base import call
from cortex_mcp.server import build_server
from tests.helpers import make_config, ok

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pair(backend, tmp_path):
    toolsets = ("default", "agents", "a2a")
    alice = build_server(make_config(tmp_path, agent_id="alice", toolsets=toolsets), backend=backend)
    bob = build_server(make_config(tmp_path, agent_id="bob", toolsets=toolsets), backend=backend)
    async with Client(alice) as a, Client(bob) as b:
        for name in ("alice", "bob"):
            await ok(a, "register_agent", {"agent_id": name, "name": name.title()})
        yield a, b


async def test_a2a_request_reports_progress_while_waiting(pair):
    alice, bob = pair
    progress: list[tuple[float, float | None, str | None]] = []
    waiting = anyio.Event()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))
        waiting.set()

    async def bob_answers() -> None:
        await waiting.wait()  # alice is waiting (and said so): now answer
        request = (await ok(bob, "a2a_inbox", {"awaiting_reply_only": True}))["messages"][0]
        await ok(bob, "a2a_reply", {"request_id": request["request_id"], "message": "Yes"})

    async with anyio.create_task_group() as tg:
        tg.start_soon(bob_answers)
        result = await alice.call_tool(
            "a2a_request", {"to_agent": "bob", "message": "Ready?", "timeout_ms": 60000}, progress_callback=on_progress
        )
    assert not result.is_error and result.structured_content["reply"]["message"] == "Yes"
    value, total, message = progress[0]
    assert 0 <= value < 60000 and total == 60000 and message == "waiting for bob to reply"


async def test_cancelled_request_stops_waiting_and_writes_nothing_more(pair, backend):
    alice, bob = pair
    waiting = anyio.Event()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        waiting.set()

    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tg:
            tg.start_soon(
                lambda: alice.call_tool(
                    "a2a_request",
                    {"to_agent": "bob", "message": "Ready?", "timeout_ms": 300000},
                    progress_callback=on_progress,
                )
            )
            await waiting.wait()
            counts = await call(backend, "admin:getAllCounts", {})
            scope.cancel()
    assert scope.cancelled_caught  # the call did not run to its 300 s timeout
    inbox = await ok(bob, "a2a_inbox", {"awaiting_reply_only": True})
    assert [m["message"] for m in inbox["messages"]] == ["Ready?"]  # the request itself stays
    await ok(alice, "list_memories", {})  # the session still serves
    assert await call(backend, "admin:getAllCounts", {}) == counts


async def test_log_messages_reach_the_client_at_the_level_it_set(backend, tmp_path):
    received: list[tuple[str, object]] = []

    async def on_log(params) -> None:
        received.append((params.level, params.data))

    server = build_server(make_config(tmp_path), backend=backend)
    async with Client(server, mode="legacy", logging_callback=on_log) as c:
        assert c.server_capabilities.logging is not None
        await c.call_tool("get_memory", {"memory_id": "mem-0-none"})  # fails: a warning
        assert received and received[-1][0] == "warning" and "MEMORY_NOT_FOUND" in str(received[-1][1])
        await c.set_logging_level("error")
        received.clear()
        await c.call_tool("get_memory", {"memory_id": "mem-0-none"})
        assert received == []  # below the level the client set
        await c.set_logging_level("debug")
        await c.call_tool("get_memory", {"memory_id": "mem-0-none"})
        assert [level for level, _ in received] == ["warning"]
