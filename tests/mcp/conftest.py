"""MCP-level fixtures: an in-process client on the `backend` fixture's store."""

from __future__ import annotations

import pytest

from tests.helpers import connect


@pytest.fixture
async def client(backend):
    """A real `mcp.Client` on a server with every toolset, shared across tests (tests/README.md)."""
    async with connect(backend, toolsets=("all",)) as c:
        yield c
