"""Helpers the test modules share (fixtures stay in conftest.py files; see tests/README.md).

Imported as `from tests.helpers import ...`: pytest puts the repository root on sys.path
(`pythonpath` in pyproject.toml), so this works however and wherever pytest is called.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.lowlevel
from mcp import Client, StdioServerParameters
from mcp.server.mcpserver import MCPServer

from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.clock import SystemClock
from cortex_mcp.config import Config

ROOT = Path(__file__).resolve().parents[1]


def make_config(tmp_path, **overrides) -> Config:
    return Config(db_path=tmp_path / "cortex.db", **{"memory_space": "test-space", "user_id": "alex", **overrides})


def server_params(db: Path, *extra: str, agent: str = "stdio-agent") -> StdioServerParameters:
    """A `cortex-mcp` subprocess on `db`, as a host starts it (with the session's tool-schema cache)."""
    env = {"PYTHONPATH": str(ROOT), "CORTEX_LOG_LEVEL": "WARNING", "HOME": os.environ.get("HOME", "/tmp")}
    if "CORTEX_TOOL_CACHE" in os.environ:
        env["CORTEX_TOOL_CACHE"] = os.environ["CORTEX_TOOL_CACHE"]
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "cortex_mcp", "--db", str(db), "--user-id", "alex", "--agent-id", agent, *extra],
        env=env,
    )


async def ok(client, tool, args=None):
    """Call a tool that must succeed; return its structured content."""
    result = await client.call_tool(tool, args or {})
    assert not result.is_error, result.content[0].text if result.content else result
    return result.structured_content


async def fails(client, tool, args=None) -> str:
    """Call a tool that must fail; return its error text."""
    result = await client.call_tool(tool, args or {})
    assert result.is_error, f"{tool} unexpectedly succeeded: {result.structured_content}"
    return result.content[0].text


# -- time ------------------------------------------------------------------------------------------
class TestClock(SystemClock):
    """The system clock plus an offset that tests move forward: tests/conftest.py makes it the clock of
    `cortex_mcp.clock` (timestamps of the embedded store, and of the wire server in this process).
    With `instant` set (the `instant_waits` fixture), waits in the code take no time: the clock jumps."""

    def __init__(self) -> None:
        self.offset_ms = 0
        self.instant = False

    def time(self) -> float:
        return time.time() + self.offset_ms / 1000

    def monotonic(self) -> float:
        return time.monotonic() + self.offset_ms / 1000

    async def sleep(self, seconds: float) -> None:
        if not self.instant:
            return await super().sleep(seconds)
        self.offset_ms += max(0, round(seconds * 1000))
        await anyio.lowlevel.checkpoint()  # still let other tasks run

    def advance(self, ms: int = 2) -> None:
        self.offset_ms += ms
        if os.environ.get("CORTEX_TEST_CONVEX_URL"):  # a live deployment has its own clock: wait for it
            time.sleep(ms / 1000)


CLOCK = TestClock()


def tick(ms: int = 2) -> None:
    """Move the clock on, so the next call's `now` is later than the last one's (instead of sleeping)."""
    CLOCK.advance(ms)


# -- fresh databases ---------------------------------------------------------------------------
# Creating the schema costs ~30 ms; copying a file made once per session costs ~3 ms.
_TEMPLATE: dict[str, Path] = {}


def set_template_db(path: Path) -> None:
    """Called once per session by tests/conftest.py: `path` is an empty, current database."""
    _TEMPLATE["db"] = path


def fresh_db(path: Path) -> Path:
    """An empty, current database file at `path` (a copy of the session's template when there is one)."""
    template = _TEMPLATE.get("db")
    if template is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, path)
    return path


def fresh_backend(path: Path) -> EmbeddedBackend:
    """An EmbeddedBackend on an empty database at `path` (the caller closes it)."""
    return EmbeddedBackend(fresh_db(path))


# -- MCP servers shared across tests ------------------------------------------------------------
class BackendSlot:
    """The backend a shared server gives its next run: the current test's (see `connect`)."""

    def __init__(self) -> None:
        self.current: Any = None

    def __call__(self) -> Any:
        if self.current is None:
            raise RuntimeError("a shared test server was used outside `connect()`")
        return self.current


_SHARED: dict[Config, tuple[MCPServer, BackendSlot]] = {}
_SHARED_DB = Path("/nonexistent/cortex-mcp-tests/shared-server.db")  # never opened: a backend is passed in


def _shareable(config: Config) -> bool:
    """A server holds no state of its own between sessions unless it can enable toolsets at run time
    (the tool list changes) or embeds (the embedder and `reindex` use the configured database)."""
    return not config.dynamic_toolsets and config.embeddings == "none"


@asynccontextmanager
async def connect(backend, **overrides: Any) -> AsyncIterator[Client]:
    """An in-process `mcp.Client` on a server for `make_config(..., **overrides)` whose tools reach
    `backend`. Servers are built once per configuration and process and reused: each test stays
    isolated by its own backend (a fresh store from the `backend` fixture)."""
    from cortex_mcp.server import build_server

    config = Config(**{"db_path": _SHARED_DB, "memory_space": "test-space", "user_id": "alex", **overrides})
    if not _shareable(config) and config.db_path == _SHARED_DB:
        raise ValueError("this configuration uses its database file: pass db_path=")
    shared = _SHARED.get(config) if _shareable(config) else None
    if shared is None and _shareable(config):
        slot = BackendSlot()
        shared = _SHARED[config] = (build_server(config, backend=slot), slot)
    if shared is None or shared[1].current is not None:  # not shareable, or already serving in this test
        async with Client(build_server(config, backend=backend)) as client:
            yield client
        return
    server, slot = shared
    slot.current = backend
    try:
        async with Client(server) as client:
            yield client
    finally:
        slot.current = None
