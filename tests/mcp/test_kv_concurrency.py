"""The mutable store (kv toolset) under concurrent increments from several clients and processes."""

import anyio
import pytest
from mcp import Client

from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.server import build_server
from tests.helpers import fails, make_config, ok, server_params

pytestmark = pytest.mark.anyio

CLIENTS = 4
INCREMENTS = 250


async def test_four_clients_two_processes_increment_one_key_to_exactly_1000(tmp_path):
    db = tmp_path / "kv.db"
    backend = EmbeddedBackend(db)
    try:
        await call(backend, "mutable:set", {"namespace": "counters", "key": "hits", "value": 0})
        in_process = build_server(make_config(tmp_path, toolsets=("kv",)), backend=backend)

        async def hammer(client) -> None:
            limiter = anyio.CapacityLimiter(8)

            async def one() -> None:
                async with limiter:
                    await ok(
                        client, "mutable_update", {"namespace": "counters", "key": "hits", "operation": "increment"}
                    )

            async with anyio.create_task_group() as tg:
                for _ in range(INCREMENTS):
                    tg.start_soon(one)

        async with (
            Client(in_process) as a,
            Client(in_process) as b,
            Client(server_params(db, "--toolsets", "kv")) as c,
            Client(server_params(db, "--toolsets", "kv")) as d,
        ):
            async with anyio.create_task_group() as tg:
                for client in (a, b, c, d):
                    tg.start_soon(hammer, client)
        value = (await call(backend, "mutable:get", {"namespace": "counters", "key": "hits"}))["value"]
        assert value == CLIENTS * INCREMENTS
    finally:
        await backend.aclose()


async def test_bulk_delete_tools_refuse_an_empty_filter(client, backend):
    await ok(client, "remember", {"content": "keep me"})
    text = await fails(client, "memories_delete_many", {"memorySpaceId": "test-space"})
    assert "EMPTY_FILTER" in text and "userId" in text and "memories_purge_all" in text
    assert "EMPTY_FILTER" in await fails(client, "conversations_delete_many", {})
    assert "EMPTY_FILTER" in await fails(client, "immutable_purge_many", {})
    assert await call(backend, "memories:count", {"memorySpaceId": "test-space"}) == 1
    deleted = await ok(client, "memories_delete_many", {"memorySpaceId": "test-space", "userId": "alex"})
    assert deleted["result"]["deleted"] == 1
