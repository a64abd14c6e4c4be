"""EmbeddedBackend: validate against the catalog, then run the handler in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from cortex_mcp.backends.base import Call, KindDispatch, Nested, Plan, T, check_call, drive
from cortex_mcp.backends.embedded.handlers import load_handlers
from cortex_mcp.backends.embedded.store import Busy, Store, Tx
from cortex_mcp.contract.catalog import get_function
from cortex_mcp.errors import FunctionNotFoundError
from cortex_mcp.ids import table_of_id


def _copy(value: Any) -> Any:
    """A deep copy of validated arguments: JSON values, whose leaves are immutable (a bulk import's
    thousands of records copy several times faster than with `copy.deepcopy`)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


# Reads whose work is bounded (a lookup by id; recall's planned search) run on the event loop's own
# thread when no other call holds the connection: a hand-off to a worker thread and back costs more
# than they do (two thread wake-ups: 0.3 ms quiet, several ms on a loaded machine).
INLINE_QUERIES = frozenset(
    {"recall:search", "memories:get", "facts:get", "memorySpaces:get", "agents:get", "agents:exists", "users:get",
     "contexts:get"}
)


class EmbeddedBackend(KindDispatch):
    name = "embedded"

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.store = Store(path, read_only=read_only)
        self.handlers = dict(load_handlers())  # per backend: one may swap a handler (tests) without the others
        # One SQLite connection per process: calls queue here instead of piling up threads.
        self._limiter = anyio.CapacityLimiter(1)

    def call_sync(self, kind: str, path: str, args: Any) -> Any:
        """Dispatch one call on the current thread (the wire server and tests use this too)."""
        handler = self.handlers.get(path)
        if handler is None:
            raise FunctionNotFoundError(path)
        check_call(kind, path, args, table_of_id)  # ids here are ours: their table is checked
        args = _copy(args)  # handlers may keep or mutate what they are given
        return self.store.run(kind != "query", lambda tx: handler(tx, args))

    def run_plan_sync(self, plan: Plan[T], wait: bool = True) -> T:
        """Run a whole plan in ONE write transaction (one BEGIN IMMEDIATE, one `now`); each mutation
        in its own savepoint, so an error the plan catches undoes only that call's writes, and an
        error it does not catch (or a crash) undoes the whole plan. `wait=False`: `Busy` (before
        the plan starts) rather than wait for the write lock."""
        return self.store.run(True, lambda tx: drive(plan, lambda request: self._nested(tx, request)), wait)

    def _nested(self, tx: Tx, request: Call | Nested) -> Any:
        if isinstance(request, Nested):
            return self._in_savepoint(tx, lambda: drive(request.plan, lambda inner: self._nested(tx, inner)))
        fn = get_function(request.path)
        handler = self.handlers.get(request.path)
        if fn is None or handler is None:
            raise FunctionNotFoundError(request.path)
        check_call(fn.kind, request.path, request.args)
        args = _copy(request.args)
        step = Tx(tx.conn, tx.now, writable=fn.kind != "query")
        if fn.kind == "query":
            return handler(step, args)  # it cannot write: nothing to undo, no savepoint
        result = self._in_savepoint(tx, lambda: handler(step, args))
        tx.scrub_after_commit |= step.scrub_after_commit
        return result

    @staticmethod
    def _in_savepoint(tx: Tx, work: Callable[[], T]) -> T:
        """Run `work`; if it raises, undo what it wrote (savepoints nest under one name)."""
        tx.conn.execute("SAVEPOINT plan_step")
        try:
            result = work()
        except BaseException:
            tx.conn.execute("ROLLBACK TO plan_step")
            tx.conn.execute("RELEASE plan_step")
            raise
        tx.conn.execute("RELEASE plan_step")
        return result

    async def run_plan(self, plan: Plan[T], bounded: bool = False) -> T:
        """`bounded`: a plan of a few small calls (remember); it runs on the event loop's thread when
        the connection and the write lock are free at once (a thread hand-off costs more than it)."""
        if bounded and not self._limiter.borrowed_tokens:
            try:
                return self.run_plan_sync(plan, wait=False)
            except Busy:
                pass  # another process is writing: wait for it on the worker, not on the loop
        return await self.in_worker(self.run_plan_sync, plan)

    def runs_inline(self, kind: str, path: str) -> bool:
        """Whether a call may run on the event loop's thread now: a bounded read while no worker holds
        the connection. The caller must not await between this check and the end of the call (then
        no worker can start meanwhile)."""
        return kind == "query" and path in INLINE_QUERIES and not self._limiter.borrowed_tokens

    async def in_worker(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on the worker thread, in turn: one call at a time on the one connection."""
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    async def _call(self, kind: str, path: str, args: Any) -> Any:
        if self.runs_inline(kind, path):
            return self.call_sync(kind, path, args)
        return await self.in_worker(self.call_sync, kind, path, args)

    async def aclose(self) -> None:
        self.store.close()
