"""Bounded inputs: every limit is checked before anything is written, and the error names the field
and the limit; error texts stay short whatever the input; unparsable stdio requests get a reply."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys

import pytest

from cortex_mcp import limits
from tests.helpers import ROOT, fails, ok

pytestmark = pytest.mark.anyio

DEEP: list = []
for _ in range(limits.MAX_ARGUMENT_DEPTH):
    DEEP = [DEEP]


async def _count(client) -> int:
    return len((await ok(client, "recall", {"query": "limit", "limit": 50}))["items"])


@pytest.mark.parametrize(
    "args, field, limit",
    [
        ({"content": "limit " + "x" * limits.MAX_CONTENT_CHARS}, "content", limits.MAX_CONTENT_CHARS),
        ({"content": "limit", "tags": [f"t{i}" for i in range(limits.MAX_TAGS + 1)]}, "tags", limits.MAX_TAGS),
        ({"content": "limit", "tags": ["t" * (limits.MAX_TAG_CHARS + 1)]}, "tags[0]", limits.MAX_TAG_CHARS),
        ({"content": "limit", "user_id": "u" * (limits.MAX_ID_CHARS + 1)}, "user_id", limits.MAX_ID_CHARS),
    ],
)
async def test_over_a_limit_is_refused_naming_field_and_limit_and_writes_nothing(client, args, field, limit):
    before = await _count(client)
    text = await fails(client, "remember", args)
    assert "INPUT_TOO_LARGE" in text and f"(field: {field})" in text and str(limit) in text, text
    assert len(text) < 1000
    assert await _count(client) == before


async def test_deep_metadata_is_refused_before_writing(client):
    text = await fails(client, "register_agent", {"agent_id": "deep", "name": "D", "metadata": {"a": DEEP}})
    assert "INPUT_TOO_LARGE" in text and "(field: metadata)" in text and str(limits.MAX_ARGUMENT_DEPTH) in text
    assert "AGENT_NOT_REGISTERED" in await fails(client, "get_agent", {"agent_id": "deep"})


async def test_long_query_and_lone_surrogate(client):
    text = await fails(client, "recall", {"query": "q" * (limits.MAX_QUERY_CHARS + 1)})
    assert "(field: query)" in text and str(limits.MAX_QUERY_CHARS) in text
    text = await fails(client, "remember", {"content": "bad \ud800 text"})
    assert "lone surrogate" in text and "(field: content)" in text


async def test_at_the_limit_is_accepted(client):
    await ok(client, "remember", {"content": "limit " + "x" * (limits.MAX_CONTENT_CHARS - 6)})


async def test_error_texts_echo_little_of_a_huge_input(client):
    text = await fails(client, "get_memory", {"memory_id": "m" * 2_000_000})
    assert len(text) < 1000 and "m" * 201 not in text


def test_stdio_answers_requests_the_sdk_cannot_parse(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "cortex_mcp", "--db", str(tmp_path / "s.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )

    def exchange(line: str) -> dict:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(line.encode() + b"\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 30)  # bounded: a dropped request fails here
        assert ready, f"no reply to {line[:80]}"
        return json.loads(proc.stdout.readline())

    try:
        init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
        assert "result" in exchange(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init}))
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        deep = "[" * 300 + "]" * 300
        call = '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"remember","arguments":%s}}'
        reply = exchange(call % (2, '{"content":"x","metadata":{"a":' + deep + "}}"))
        assert reply["id"] == 2 and reply["error"]["code"] == -32602 and "nested" in reply["error"]["message"]
        reply = exchange(call % ('"three"', '{"content":"a\\ud800b"}'))
        assert reply["id"] == "three" and "surrogate" in reply["error"]["message"]
        reply = exchange(call % (4, '{"content":"still serving"}'))
        assert reply["id"] == 4 and reply["result"]["isError"] is False
    finally:
        proc.kill()
        proc.wait(10)
