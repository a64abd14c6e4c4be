"""The server as a host runs it: a subprocess speaking MCP over stdio."""

import os
import sys

import anyio
import pytest
from mcp import Client

from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded import EmbeddedBackend
from tests.helpers import ROOT, ok, server_params

pytestmark = pytest.mark.anyio


async def test_remember_restart_recall_first_with_id(tmp_path):
    db = tmp_path / "cortex.db"
    async with Client(server_params(db)) as client:
        await ok(client, "remember", {"content": "Office plants need water on Mondays"})
        saved = await ok(client, "remember", {"content": "Alex is allergic to peanuts", "importance": 90})
    memory_id = saved["memories"][0]["memory_id"]
    async with Client(server_params(db)) as client:  # a new process on the same file
        found = await ok(client, "recall", {"query": "peanuts"})
    assert found["items"][0]["id"] == memory_id
    assert found["items"][0]["content"] == "Alex is allergic to peanuts"


async def test_bad_input_over_the_wire_is_a_tool_error_and_server_survives(tmp_path):
    async with Client(server_params(tmp_path / "c.db")) as client:
        bad = await client.call_tool("recall", {"query": "x", "limit": "many"})
        assert bad.is_error and "limit" in bad.content[0].text
        assert (await ok(client, "recall", {"query": "anything"}))["items"] == []


async def test_two_processes_share_one_database_without_lost_writes(tmp_path):
    db = tmp_path / "shared.db"
    per_client = 40

    async def writer(name: str) -> None:
        async with Client(server_params(db, agent=name)) as client:
            async with anyio.create_task_group() as tg:
                for i in range(per_client):
                    tg.start_soon(ok, client, "remember", {"content": f"{name} note {i}"})

    async with anyio.create_task_group() as tg:
        tg.start_soon(writer, "desktop")
        tg.start_soon(writer, "cursor")

    backend = EmbeddedBackend(db)
    try:
        assert await call(backend, "memories:count", {"memorySpaceId": "default"}) == 2 * per_client
        assert await call(backend, "agents:count", {}) == 2
    finally:
        await backend.aclose()


async def test_cli_refuses_unknown_toolset(tmp_path):
    result = await anyio.run_process(
        [sys.executable, "-m", "cortex_mcp", "--db", str(tmp_path / "x.db"), "--toolsets", "nope"],
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 2 and b"unknown toolset 'nope'" in result.stderr and result.stdout == b""


async def test_request_reply_between_two_server_processes(tmp_path):
    """Agent A (one process) asks; agent B (another process, same database) sees it and replies."""
    db = tmp_path / "a2a.db"
    result: dict = {}
    a2a = ("--toolsets", "default,agents,a2a")
    async with (
        Client(server_params(db, *a2a, agent="agent-a")) as a,
        Client(server_params(db, *a2a, agent="agent-b")) as b,
    ):
        await ok(b, "register_agent", {"agent_id": "agent-b", "name": "Agent B"})

        async def ask() -> None:
            result.update(
                await ok(a, "a2a_request", {"to_agent": "agent-b", "message": "Status of job 7?", "timeout_ms": 20000})
            )

        async with anyio.create_task_group() as tg:
            tg.start_soon(ask)
            for _ in range(200):
                inbox = await ok(b, "a2a_inbox", {"awaiting_reply_only": True})
                if inbox["messages"]:
                    break
                await anyio.sleep(0.05)
            request = inbox["messages"][0]
            assert request["from_agent"] == "agent-a" and request["message"] == "Status of job 7?"
            await ok(b, "a2a_reply", {"request_id": request["request_id"], "message": "Job 7 finished"})
    assert result["reply"]["message"] == "Job 7 finished" and result["reply"]["from_agent"] == "agent-b"


async def test_cli_refuses_a_bad_log_level(tmp_path):
    result = await anyio.run_process(
        [sys.executable, "-m", "cortex_mcp", "--db", str(tmp_path / "x.db")],
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CORTEX_LOG_LEVEL": "verbose"},
    )
    assert result.returncode == 2 and b"CORTEX_LOG_LEVEL" in result.stderr and result.stdout == b""
