"""Shared fixtures (how they are shared and how to isolate a test: tests/README.md).

Async test modules set `pytestmark = pytest.mark.anyio`. `backend` is a fresh, empty store, on each target:
- `embedded`: EmbeddedBackend in process;
- `convex`: ConvexBackend over loopback HTTP to the session's WireServer, which serves this test's own
  fresh embedded database (the server is shared: starting and stopping one costs ~0.15 s);
- `live`: ConvexBackend against CORTEX_TEST_CONVEX_URL (with CORTEX_TEST_CONVEX_DEPLOY_KEY if set);
  skipped unless that variable is set. The tests expect an empty deployment: set
  CORTEX_TEST_CONVEX_PURGE=1 to empty every table (`admin:clearTable`) before each test.

White-box tests may read `backend.store` (the embedded Store): on `convex` it is the Store behind
the wire server; on `live` touching it skips the test.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from cortex_mcp.backends.embedded import EmbeddedBackend
from tests.helpers import CLOCK, fresh_backend, set_template_db

LIVE_URL = os.environ.get("CORTEX_TEST_CONVEX_URL")

_saved_tool_cache: list[str | None] = []


def pytest_configure(config: pytest.Config) -> None:
    """Tool schemas are cached in a folder of this session's, never the user's (toolsets/lazy.py):
    a test run neither reads a stale cache nor leaves one behind. Time comes from `CLOCK`, which
    `tick()` moves on."""
    from cortex_mcp import clock
    from cortex_mcp.toolsets import lazy

    clock.use(CLOCK)
    _saved_tool_cache.append(os.environ.get("CORTEX_TOOL_CACHE"))
    os.environ["CORTEX_TOOL_CACHE"] = tempfile.mkdtemp(prefix="cortex-tool-cache-")
    lazy.cache_file.cache_clear()


def pytest_unconfigure(config: pytest.Config) -> None:
    from cortex_mcp import clock
    from cortex_mcp.toolsets import lazy

    clock.use(None)
    if not _saved_tool_cache:
        return
    shutil.rmtree(os.environ.pop("CORTEX_TOOL_CACHE", ""), ignore_errors=True)
    saved = _saved_tool_cache.pop()
    if saved is not None:
        os.environ["CORTEX_TOOL_CACHE"] = saved
    lazy.cache_file.cache_clear()


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def _clock_on_time() -> None:
    """Each test starts with the clock on time: ticks of earlier tests would otherwise put this process
    ahead of the server processes a test starts (and of code that reads the system clock itself)."""
    CLOCK.offset_ms = 0
    CLOCK.instant = False


@pytest.fixture
def instant_waits():
    """Waits in the code (`cortex_mcp.clock.sleep`: polls until a deadline) take no time; the clock jumps
    instead. Only for tests where nothing else in this process needs real time to pass meanwhile."""
    CLOCK.instant = True
    yield
    CLOCK.instant = False


@pytest.fixture(scope="session", autouse=True)
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One empty, current database per session; `fresh_db` copies it."""
    path = tmp_path_factory.mktemp("template") / "cortex.db"
    EmbeddedBackend(path).store.close()  # the last connection closed: the WAL is folded into the file
    set_template_db(path)
    return path


@pytest.fixture(scope="session")
def wire_server(tmp_path_factory: pytest.TempPathFactory):
    """The session's WireServer. Between tests it serves an empty database of its own; the `backend`
    fixture points it at each test's fresh database (`server.app.backend`)."""
    from cortex_mcp.backends.embedded.wire import WireServer

    idle = fresh_backend(tmp_path_factory.mktemp("wire") / "idle.db")
    server = WireServer(idle).start()
    yield server
    server.close()
    idle.store.close()


class _NoStore:
    def __getattr__(self, name):
        pytest.skip("needs direct access to the embedded store; not available on a live deployment")


async def _purge_live(b) -> None:
    """Empty the test deployment: `admin:clearTable` on every table, else every `*:purgeAll`."""
    from cortex_mcp.backends.base import call
    from cortex_mcp.contract.catalog import CATALOG
    from cortex_mcp.contract.validators import enum_values
    from cortex_mcp.errors import CortexError

    clear = CATALOG.get("admin:clearTable")
    if clear is not None:
        for table in enum_values(clear.args.fields["table"]) or []:
            for _ in range(1000):
                if not (await call(b, clear.path, {"table": table})).get("hasMore"):
                    break
        return
    for fn in CATALOG.values():
        if fn.name == "purgeAll" and fn.kind == "mutation" and not fn.args.required():
            try:
                await call(b, fn.path, {})
            except CortexError:
                pass


@pytest.fixture(
    params=[
        "embedded",
        "convex",
        pytest.param("live", marks=pytest.mark.skipif(not LIVE_URL, reason="CORTEX_TEST_CONVEX_URL is not set")),
    ]
)
async def backend(request, tmp_path):
    """A Backend on a fresh, empty database file (or, for `live`, the test deployment)."""
    if request.param == "embedded":
        b = fresh_backend(tmp_path / "cortex.db")
        try:
            yield b
        finally:
            await b.aclose()
        return

    from cortex_mcp.backends.convex import ConvexBackend

    if request.param == "convex":
        server = request.getfixturevalue("wire_server")
        store = fresh_backend(tmp_path / "cortex.db")
        idle, server.app.backend = server.app.backend, store
        b = ConvexBackend(server.url, deploy_key=server.key, timeout=10.0)
        b.store = store.store  # type: ignore[attr-defined]
        try:
            yield b
        finally:
            await b.aclose()
            server.app.backend = idle
            await store.aclose()
        return

    b = ConvexBackend(LIVE_URL, deploy_key=os.environ.get("CORTEX_TEST_CONVEX_DEPLOY_KEY") or None, timeout=30.0)
    b.store = _NoStore()  # type: ignore[attr-defined]
    try:
        if os.environ.get("CORTEX_TEST_CONVEX_PURGE") == "1":
            await _purge_live(b)
        yield b
    finally:
        await b.aclose()
