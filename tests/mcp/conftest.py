"""MCP-level fixtures: an in-process client on the `backend` fixture's store."""

from __future__ import annotations

import pytest
from mcp import Client

from cortex_mcp.server import build_server
from tests.helpers import make_config


@pytest.fixture
async def client(backend, tmp_path):
    server = build_server(make_config(tmp_path, toolsets=("all",)), backend=backend)
    async with Client(server) as c:
        yield c
