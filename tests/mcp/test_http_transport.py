"""`cortex-mcp --transport http`: the same tools over streamable HTTP on 127.0.0.1."""

import os
import socket
import subprocess
import sys
import time

import pytest
from mcp import Client

from tests.helpers import ROOT, ok

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_server(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cortex_mcp",
            "--transport",
            "http",
            "--port",
            str(port),
            "--db",
            str(tmp_path / "h.db"),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/mcp"
    proc.terminate()
    proc.wait(10)


async def test_remember_and_recall_over_streamable_http(http_server):
    async with Client(http_server) as client:
        saved = await ok(client, "remember", {"content": "The VPN gateway moved to Amsterdam"})
        found = await ok(client, "recall", {"query": "Amsterdam"})
    assert found["items"][0]["id"] == saved["memories"][0]["memory_id"]
