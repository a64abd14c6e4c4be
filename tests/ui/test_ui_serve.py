"""`cortex-mcp ui` as a user runs it: a subprocess serving the page over an embedded file (while
another process writes to it) and over a Convex deployment (the wire server), stopped by SIGTERM."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import anyio
import httpx
import pytest

from cortex_mcp.api import memory
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.backends.embedded.wire import WireServer
from tests.helpers import ROOT
from tests.ui.seed import seed

START_DEADLINE = 30.0  # seconds for the process to say where it listens


async def _seeded(path) -> None:
    backend = EmbeddedBackend(path)
    try:
        await seed(backend)
    finally:
        await backend.aclose()


def _start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """The `cortex-mcp` process and the page's URL, read from the line it writes to stderr."""
    environment = {"PYTHONPATH": str(ROOT), "HOME": os.environ.get("HOME", "/tmp"), "PATH": os.environ["PATH"],
                   **(env or {})}
    process = subprocess.Popen([sys.executable, "-m", "cortex_mcp", *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
    deadline, seen = time.monotonic() + START_DEADLINE, b""
    assert process.stderr is not None
    while b"\n" not in seen.split(b"cortex-mcp ui: ", 1)[-1] or b"cortex-mcp ui: " not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([process.stderr], [], [], remaining)[0]:
            process.kill()
            pytest.fail(f"cortex-mcp ui did not start: {seen.decode(errors='replace')}")
        chunk = os.read(process.stderr.fileno(), 4096)
        if not chunk:
            pytest.fail(f"cortex-mcp ui exited: {seen.decode(errors='replace')}")
        seen += chunk
    line = seen.split(b"cortex-mcp ui: ", 1)[1].split(b"\n", 1)[0].decode()
    return process, line.split(" ", 1)[0]


def _stop(process: subprocess.Popen) -> str:
    """SIGTERM, as a service manager stops it; the process must end cleanly. Its remaining stderr."""
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode(errors="replace")
    return err.decode(errors="replace")


def test_serves_an_embedded_file_and_shows_what_another_process_writes(tmp_path):
    db = tmp_path / "cortex.db"
    anyio.run(_seeded, db)
    stamp = db.stat().st_mtime_ns
    process, url = _start("--memory-space", "test-space", "ui", "--db", str(db), "--port", "0")
    try:
        assert url.startswith("http://127.0.0.1:")
        overview = httpx.get(url + "/")
        assert overview.status_code == 200 and "test-space" in overview.text and "cortex.db" in overview.text
        assert "Alex drinks" in httpx.get(url + "/search", params={"q": "tea"}).text

        async def write() -> None:  # the MCP server of some host, writing while the page is open
            writer = EmbeddedBackend(db)
            try:
                await memory.remember_note(writer, memory_space_id="test-space", content="Alex bought a bicycle",
                                           user_id="alex", agent_id="helper")
            finally:
                await writer.aclose()

        anyio.run(write)
        assert "Alex bought a bicycle" in httpx.get(url + "/search", params={"q": "bicycle"}).text
    finally:
        err = _stop(process)
    assert "Traceback" not in err
    assert db.stat().st_mtime_ns >= stamp


def test_serves_a_convex_deployment_and_says_when_it_is_unreachable(tmp_path):
    anyio.run(_seeded, tmp_path / "cortex.db")
    wire = WireServer(tmp_path / "cortex.db").start()
    try:
        process, url = _start("--backend", "convex", "--convex-url", wire.url, "--timeout", "5",
                              "--memory-space", "test-space", "ui", "--port", "0", env={"CONVEX_DEPLOY_KEY": wire.key})
        try:
            overview = httpx.get(url + "/")
            assert overview.status_code == 200 and "not reported by a Convex deployment" in overview.text
            assert "convex backend" in overview.text
            found = httpx.get(url + "/search", params={"q": "Paris"})
            assert found.status_code == 200 and "I moved to Paris" in found.text
            wire.close()  # the deployment goes away: its port refuses connections
            gone = httpx.get(url + "/", timeout=30)
            assert gone.status_code == 502 and "Backend unavailable" in gone.text
        finally:
            err = _stop(process)
    finally:
        wire.close()
    assert "Traceback" not in err and "Event loop is closed" not in err
