"""Helpers the test modules share (fixtures stay in conftest.py files).

Imported as `from tests.helpers import ...`: pytest puts the repository root on sys.path
(`pythonpath` in pyproject.toml), so this works however and wherever pytest is called.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mcp import StdioServerParameters

from cortex_mcp.config import Config

ROOT = Path(__file__).resolve().parents[1]


def make_config(tmp_path, **overrides) -> Config:
    return Config(db_path=tmp_path / "cortex.db", **{"memory_space": "test-space", "user_id": "alex", **overrides})


def server_params(db: Path, *extra: str, agent: str = "stdio-agent") -> StdioServerParameters:
    """A `cortex-mcp` subprocess on `db`, as a host starts it."""
    env = {"PYTHONPATH": str(ROOT), "CORTEX_LOG_LEVEL": "WARNING", "HOME": os.environ.get("HOME", "/tmp")}
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
