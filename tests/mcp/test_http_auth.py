"""`--transport http` beyond loopback: bearer tokens (401 + WWW-Authenticate), Host/Origin checks
(421/403) and token scopes, against a real server process on 127.0.0.2 (the non-loopback path)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.helpers import ROOT, fails, ok

pytestmark = pytest.mark.anyio

FULL = "full-access-token-0123456789"
READER = "reader-token-0123456789abcdef"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def server(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        port = s.getsockname()[1]
    tokens = tmp_path / "tokens.json"
    tokens.write_text(
        json.dumps(
            {
                "tokens": [
                    {"name": "owner", "token": FULL},
                    {"name": "reader", "token": READER, "spaces": ["shared"], "access": "read"},
                ]
            }
        )
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cortex_mcp",
            "--transport",
            "http",
            "--host",
            "127.0.0.2",
            "--port",
            str(port),
            "--db",
            str(tmp_path / "h.db"),
            "--auth-tokens",
            str(tokens),
            "--user-id",
            "alex",
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT), "CORTEX_LOG_LEVEL": "DEBUG"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.2", port), timeout=0.5).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
    yield f"http://127.0.0.2:{port}/mcp", proc
    proc.terminate()
    _, err = proc.communicate(timeout=10)
    logs = err.decode()
    assert FULL not in logs and READER not in logs  # tokens are never logged


def _client(url: str, token: str) -> Client:
    return Client(
        streamable_http_client(url, http_client=httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}))
    )


def test_missing_or_wrong_token_is_401_with_www_authenticate(server):
    url, _ = server
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": f"Basic {FULL}"}):
        r = httpx.post(url, json=INIT, headers={**HEADERS, **headers}, timeout=10)
        assert r.status_code == 401, r.text
        assert (
            r.headers["www-authenticate"].startswith("Bearer") and "resource_metadata=" in r.headers["www-authenticate"]
        )


def test_foreign_host_or_origin_is_refused(server):
    url, _ = server
    auth = {"Authorization": f"Bearer {FULL}"}
    r = httpx.post(url, json=INIT, headers={**HEADERS, **auth, "Host": "evil.example"}, timeout=10)
    assert r.status_code == 421
    r = httpx.post(url, json=INIT, headers={**HEADERS, **auth, "Origin": "http://evil.example"}, timeout=10)
    assert r.status_code == 403
    r = httpx.post(url, json=INIT, headers={**HEADERS, **auth}, timeout=10)
    assert r.status_code == 200


async def test_token_scopes_over_http(server):
    url, _ = server
    async with _client(url, FULL) as owner:
        await ok(owner, "remember", {"content": "Deploys happen on Tuesdays", "memory_space_id": "shared"})
        await ok(owner, "remember", {"content": "Private: salary review on Tuesdays"})
    async with _client(url, READER) as reader:
        found = await ok(reader, "recall", {"query": "Tuesdays"})  # its one space, without naming it
        assert [i["content"] for i in found["items"]] == ["Deploys happen on Tuesdays"]
        text = await fails(reader, "recall", {"query": "Tuesdays", "memory_space_id": "default"})
        assert "PERMISSION_DENIED" in text and "(field: memory_space_id)" in text
        text = await fails(reader, "remember", {"content": "sneaky"})
        assert "PERMISSION_DENIED" in text and "read-only" in text
