"""`backend serve` answers bounded reads on its event loop while the connection is free, and queues
them behind a call that holds it (a writer mid-transaction included): never beside it, never
blocking the loop meanwhile."""

from __future__ import annotations

import threading

import anyio
import httpx
import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.backends.convex import ConvexBackend
from cortex_mcp.backends.embedded.wire import WireServer
from tests.helpers import fresh_backend

pytestmark = pytest.mark.anyio

SEARCH = {"memorySpaceId": "s1", "query": "tea", "limit": 5}
NOTE = {"memorySpaceId": "s1", "content": "green tea at noon", "contentType": "raw",
        "sourceType": "system", "importance": 50, "tags": []}


def recording(backend, path: str, threads: list[str], after: threading.Event | None = None,
              entered: threading.Event | None = None) -> None:
    """Record the thread each call of `path` runs on; with `after`, hold the call (its writes made,
    its transaction open) until the event is set."""
    original = backend.handlers[path]

    def handler(tx, args):
        threads.append(threading.current_thread().name)
        result = original(tx, args)
        if entered is not None:
            entered.set()
        if after is not None:
            assert after.wait(10)
        return result

    backend.handlers[path] = handler


@pytest.fixture
def served(tmp_path):
    backend = fresh_backend(tmp_path / "inline.db")
    with WireServer(backend, key="k") as server:
        yield server, backend
    backend.store.close()


async def test_a_bounded_read_is_answered_on_the_server_loop_and_a_list_on_the_worker(served):
    server, backend = served
    threads: list[str] = []
    recording(backend, "recall:search", threads)
    recording(backend, "memories:list", threads)
    client = ConvexBackend(server.url, deploy_key="k")
    try:
        assert await client.query("recall:search", SEARCH) == {"memories": [], "facts": []}
        assert await client.query("memories:list", {"memorySpaceId": "s1"}) == []
    finally:
        await client.aclose()
    loop_thread = f"wire-{server.port}"
    assert threads[0] == loop_thread and threads[1] != loop_thread


async def test_a_bounded_read_waits_for_a_writer_mid_transaction_and_then_sees_its_write(served):
    server, backend = served
    threads: list[str] = []
    release, entered = threading.Event(), threading.Event()
    recording(backend, "memories:store", threads, after=release, entered=entered)
    recording(backend, "recall:search", threads)
    client = ConvexBackend(server.url, deploy_key="k")
    found: list[dict] = []
    order: list[str] = []

    async def store() -> None:
        await call(client, "memories:store", NOTE)
        order.append("store")

    async def search() -> None:
        found.append(await client.query("recall:search", SEARCH))
        order.append("search")

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(store)
            assert await anyio.to_thread.run_sync(entered.wait, 10)  # written, not committed, on the worker
            tg.start_soon(search)
            # the server's loop is free meanwhile: it answers a request that needs no database
            async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": "Convex k"}) as raw:
                assert (await raw.post("/api/nope", json={})).status_code == 404
            assert order == [] and len(threads) == 1  # the search did not run beside the open write
            release.set()
    finally:
        await client.aclose()
    assert order == ["store", "search"]
    assert [m["content"] for m in found[0]["memories"]] == ["green tea at noon"]  # the committed write
    assert threads[1] != f"wire-{server.port}"  # it queued on the worker instead


async def test_a_large_request_over_the_inline_size_is_answered_the_same(served):
    """A body over 64 KiB takes the worker path (parsed there, not on the loop): same answer."""
    server, backend = served
    client = ConvexBackend(server.url, deploy_key="k")
    try:
        stored = await call(client, "memories:store", {**NOTE, "content": "tea " * 40_000})  # a 160 KB body
        got = await client.query("memories:get", {"memorySpaceId": "s1", "memoryId": stored["memoryId"]})
    finally:
        await client.aclose()
    assert got["content"] == "tea " * 40_000
