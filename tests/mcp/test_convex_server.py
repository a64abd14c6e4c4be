"""`cortex-mcp --backend convex` against the embedded backend served over the Convex HTTP API."""

import sys

import anyio
import pytest
from mcp import Client, StdioServerParameters

from cortex_mcp.backends.embedded.wire import WireServer
from tests.helpers import ROOT, fails, ok

pytestmark = pytest.mark.anyio


KEY = "embedded|test-key"


def convex_params(url: str, *extra: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "cortex_mcp", "--backend", "convex", "--convex-url", url, "--user-id", "alex", *extra],
        env={"PYTHONPATH": str(ROOT), "CONVEX_DEPLOY_KEY": KEY},
    )


async def test_same_tools_and_results_over_convex(tmp_path):
    with WireServer(tmp_path / "wire.db", key=KEY).start() as wire:
        async with Client(convex_params(wire.url, "--toolsets", "default,agents,a2a")) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"remember", "recall", "forget", "register_agent", "store_fact", "a2a_send"} <= names
            saved = await ok(client, "remember", {"content": "The staging database lives in Frankfurt"})
            memory_id = saved["memories"][0]["memory_id"]
            found = await ok(client, "recall", {"query": "Frankfurt"})
            assert found["items"][0]["id"] == memory_id and isinstance(found["items"][0]["created_at"], int)
            agent = await ok(client, "register_agent", {"agent_id": "ops", "name": "Ops"})
            assert agent["agent_id"] == "ops" and isinstance(agent["registered_at"], int)
            assert (await ok(client, "forget", {"memory_id": memory_id}))["memory_deleted"] is True
            assert (await ok(client, "recall", {"query": "Frankfurt"}))["items"] == []


async def test_stopped_backend_is_a_clear_error_within_the_timeout_and_the_server_keeps_serving(tmp_path):
    wire = WireServer(tmp_path / "wire.db", key=KEY).start()
    url, port = wire.url, wire.port
    async with Client(convex_params(url, "--timeout", "2")) as client:
        await ok(client, "remember", {"content": "before the outage"})
        wire.close()
        with anyio.fail_after(30):  # a server that hangs instead of answering fails here
            text = await fails(client, "recall", {"query": "outage"})
        assert "BACKEND_UNAVAILABLE" in text and f"cannot reach {url}" in text, text
        with WireServer(tmp_path / "wire.db", port=port, key=KEY).start():  # the deployment comes back
            found = await ok(client, "recall", {"query": "outage"})
            assert found["items"][0]["content"] == "before the outage"
