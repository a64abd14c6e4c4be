"""Shared fixtures. Async test modules set `pytestmark = pytest.mark.anyio`; `backend` is a fresh store."""

from __future__ import annotations

import pytest

from cortex_mcp.backends.embedded import EmbeddedBackend


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
async def backend(tmp_path):
    """A Backend on a fresh database file."""
    b = EmbeddedBackend(tmp_path / "cortex.db")
    try:
        yield b
    finally:
        await b.aclose()
