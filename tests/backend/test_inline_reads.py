"""Bounded reads and bounded plans (remember) run on the event loop's thread when the connection
(and, for a plan, the write lock) is free, else wait their turn on the worker like every other
call (one call at a time on the one connection), never blocking the loop."""

from __future__ import annotations

import sqlite3
import threading

import anyio
import pytest

from cortex_mcp.api import memory
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.backends.embedded.backend import INLINE_QUERIES
from tests.helpers import fresh_backend

pytestmark = pytest.mark.anyio

SPACE = {"memorySpaceId": "s1", "query": "tea", "limit": 5}


def recording(backend: EmbeddedBackend, path: str, threads: list[int], hold: threading.Event | None = None,
              entered: threading.Event | None = None) -> None:
    original = backend.handlers[path]

    def handler(tx, args):
        threads.append(threading.get_ident())
        if entered is not None:
            entered.set()
        if hold is not None:
            assert hold.wait(10)
        return original(tx, args)

    backend.handlers[path] = handler


async def test_a_bounded_read_runs_on_the_loop_thread_when_the_connection_is_free(tmp_path):
    backend = fresh_backend(tmp_path / "i.db")
    threads: list[int] = []
    recording(backend, "recall:search", threads)
    recording(backend, "memories:list", threads)
    assert "recall:search" in INLINE_QUERIES and "memories:list" not in INLINE_QUERIES
    assert await backend.query("recall:search", SPACE) == {"memories": [], "facts": []}
    await backend.query("memories:list", {"memorySpaceId": "s1"})  # not bounded: a worker thread
    assert threads[0] == threading.get_ident() != threads[1]
    await backend.aclose()


async def test_a_bounded_read_waits_for_a_call_that_holds_the_connection(tmp_path):
    backend = fresh_backend(tmp_path / "i.db")
    threads: list[int] = []
    release, entered = threading.Event(), threading.Event()
    recording(backend, "memories:list", threads, hold=release, entered=entered)
    recording(backend, "recall:search", threads)
    order: list[str] = []

    async def slow_list() -> None:
        await backend.query("memories:list", {"memorySpaceId": "s1"})
        order.append("list")

    async def search() -> None:
        await backend.query("recall:search", SPACE)
        order.append("search")

    async with anyio.create_task_group() as tg:
        tg.start_soon(slow_list)
        assert await anyio.to_thread.run_sync(entered.wait, 10)  # the list holds the connection on a worker
        tg.start_soon(search)
        await anyio.wait_all_tasks_blocked()
        assert order == [] and len(threads) == 1  # the search did not run beside the list
        release.set()
    assert order == ["list", "search"]
    assert threads[1] != threading.get_ident()  # it queued for the worker instead
    await backend.aclose()


async def _remember(backend: EmbeddedBackend, content: str) -> dict:
    result = await memory.remember_note(backend, memory_space_id="s1", content=content, user_id="u1", agent_id="a1")
    return result.memories[0]


async def test_a_bounded_plan_runs_on_the_loop_thread_when_the_write_lock_is_free(tmp_path):
    backend = fresh_backend(tmp_path / "w.db")
    threads: list[int] = []
    recording(backend, "memories:store", threads)
    await _remember(backend, "first note")
    assert threads == [threading.get_ident()]
    await backend.aclose()


async def test_a_bounded_plan_waits_on_the_worker_while_another_process_writes(tmp_path):
    path = tmp_path / "w.db"
    backend = fresh_backend(path)
    threads: list[int] = []
    recording(backend, "memories:store", threads)
    await _remember(backend, "first note")  # the space, user and agent exist now
    other = sqlite3.connect(path, isolation_level=None)  # another process's connection, mid-write
    other.execute("BEGIN IMMEDIATE")
    stored: list[dict] = []
    loop_free = anyio.Event()

    async def remember() -> None:
        stored.append(await _remember(backend, "second note"))

    async def meanwhile() -> None:
        loop_free.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(remember)
        tg.start_soon(meanwhile)  # runs while remember waits: the loop is not blocked
        await loop_free.wait()
        assert stored == []
        other.execute("COMMIT")  # the other writer finishes; remember goes on
    other.close()
    assert stored[0]["content"] == "second note"
    assert threads[1] != threading.get_ident()  # it waited on the worker thread
    assert len(await backend.query("memories:list", {"memorySpaceId": "s1"})) == 2
    await backend.aclose()
