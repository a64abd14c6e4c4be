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
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import PromptReference, ResourceTemplateReference

from tests.helpers import ROOT, fails, ok

pytestmark = pytest.mark.anyio

FULL = "full-access-token-0123456789"
READER = "reader-token-0123456789abcdef"
ALEX = "alex-only-token-0123456789abc"
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
                    {"name": "alex", "token": ALEX, "spaces": ["default"], "users": ["alex"]},
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
    assert FULL not in logs and READER not in logs and ALEX not in logs  # tokens are never logged
    assert "Traceback" not in logs  # nothing a client sent crashed a handler


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


def _hostile_bodies(envelope) -> list[tuple[str, bytes]]:
    """Requests the parser or the size limit must refuse: (what, body)."""
    deep = "[" * 100_000 + "]" * 100_000
    return [
        ("nested 100k deep", envelope('{"query": "x", "memory_space_id": ' + deep + "}").encode()),
        ("lone surrogate escaped", envelope('{"query": "\\ud800"}').encode()),
        ("lone surrogate as bytes", envelope('{"query": "').encode() + b'\xed\xa0\x80"}}}'),
        ("invalid UTF-8", envelope('{"query": "').encode() + b'\xff\xfe"}}}'),
        ("5 MB body", envelope('{"query": "' + "a" * (5 * 1024 * 1024) + '"}').encode()),
        ("truncated", envelope('{"query": "x"}').encode()[:60]),
    ]


def _answered_cleanly(what: str, r: httpx.Response) -> None:
    """A 400/413, or a JSON-RPC reply (tool error) — never a 500, a hang (timeout) or a traceback."""
    assert r.status_code in (200, 400, 413), (what, r.status_code, r.text[:300])
    assert "Traceback" not in r.text and len(r.text) < 5000, (what, r.text[:300])
    if r.status_code == 200:
        assert '"isError":true' in r.text, (what, r.text[:300])  # the tool refused the value
    elif r.status_code == 400:
        assert r.json()["error"]["code"] in (-32700, -32602), (what, r.text[:300])


def test_hostile_bodies_get_clean_errors_on_a_session(server):
    """Protocol 2025-11-25 (sessions): the SDK's streamable HTTP transport refuses what it cannot
    parse with a JSON-RPC parse error (400) and bodies over 4 MiB with 413; the server stays up."""
    url, _ = server
    auth = {**HEADERS, "Authorization": f"Bearer {FULL}"}
    r = httpx.post(url, json=INIT, headers=auth, timeout=10)
    session = {**auth, "mcp-session-id": r.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
    httpx.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session, timeout=10)

    def envelope(arguments: str) -> str:
        return '{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "recall", "arguments": ' + (
            arguments + "}}"
        )

    for what, body in _hostile_bodies(envelope):
        _answered_cleanly(what, httpx.post(url, content=body, headers=session, timeout=20))
    r = httpx.post(url, content=envelope('{"query": "x"}'), headers=session, timeout=10)
    assert r.status_code == 200 and '"isError":false' in r.text


def test_hostile_bodies_get_clean_errors_without_a_session(server):
    """Protocol 2026-07-28 (no session, each request carries its envelope): the same answers."""
    url, _ = server
    headers = {
        **HEADERS,
        "Authorization": f"Bearer {FULL}",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "recall",
    }
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    head = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"_meta": meta, "name": "recall"}}

    def envelope(arguments: str) -> str:
        return json.dumps(head)[:-2] + ', "arguments": ' + arguments + "}}"

    for what, body in _hostile_bodies(envelope):
        _answered_cleanly(what, httpx.post(url, content=body, headers=headers, timeout=20))
    r = httpx.post(url, content=envelope('{"query": "x"}'), headers=headers, timeout=10)
    assert r.status_code == 200 and '"isError":false' in r.text, r.text[:300]


async def test_resources_prompts_and_completions_are_held_to_the_token_over_http(server):
    """Not only tools: a token for alex in `default` reads no one else's memory, context or profile
    through any resource, prompt or completion, while its own work as before."""
    url, _ = server
    async with _client(url, FULL) as owner:
        sams = (await ok(owner, "remember", {"content": "Sam's salary review", "user_id": "sam"}))["memories"][0]
        mine = (await ok(owner, "remember", {"content": "Alex likes green tea"}))["memories"][0]
        shared = await ok(owner, "create_context", {"purpose": "Shared launch", "memory_space_id": "shared"})
        own = await ok(owner, "create_context", {"purpose": "Alex's plan"})
    async with _client(url, ALEX) as alex:
        for uri in ("cortex://users/sam/profile", f"cortex://memories/{sams['memory_id']}",
                    f"cortex://contexts/{shared['context_id']}"):
            with pytest.raises(MCPError, match="PERMISSION_DENIED"):
                await alex.read_resource(uri)
        recent = (await alex.read_resource("cortex://recent")).contents[0].text
        assert "green tea" in recent and "salary" not in recent and "more" not in recent
        assert "green tea" in (await alex.read_resource(f"cortex://memories/{mine['memory_id']}")).contents[0].text
        assert "Alex's plan" in (await alex.read_resource(f"cortex://contexts/{own['context_id']}")).contents[0].text
        assert "green tea" in (await alex.read_resource("cortex://users/alex/profile")).contents[0].text
        with pytest.raises(MCPError, match="PERMISSION_DENIED"):
            await alex.get_prompt("what-do-you-know", {"user_id": "sam"})
        memory_ids = await alex.complete(
            ResourceTemplateReference(uri="cortex://memories/{memory_id}"), {"name": "memory_id", "value": ""}
        )
        assert memory_ids.completion.values == [mine["memory_id"]]
        users = await alex.complete(PromptReference(name="what-do-you-know"), {"name": "user_id", "value": ""})
        assert users.completion.values == ["alex"]
