"""MCP-level fixtures: an in-process client on the `backend` fixture's store."""

from __future__ import annotations

import pytest
from mcp import Client

from cortex_mcp.config import Config
from cortex_mcp.server import build_server


def make_config(tmp_path, **overrides) -> Config:
    return Config(db_path=tmp_path / "cortex.db", **{"memory_space": "test-space", "user_id": "alex", **overrides})


@pytest.fixture
async def client(backend, tmp_path):
    server = build_server(make_config(tmp_path, toolsets=("all",)), backend=backend)
    async with Client(server) as c:
        yield c


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
