"""Agent registry operations (spec/orchestration.md §10) over any Backend."""

from __future__ import annotations

from typing import Any

from cortex_mcp.api import checks
from cortex_mcp.backends.base import Backend, call, compact
from cortex_mcp.contract.enums import AGENT_STATUSES
from cortex_mcp.errors import InputError


def _check_agent_id(agent_id: Any) -> str:
    if agent_id is None:
        raise InputError("MISSING_AGENT_ID", "agent_id is required", "agent_id")
    if not isinstance(agent_id, str):
        raise InputError("INVALID_AGENT_ID_FORMAT", "agent_id must be a string", "agent_id")
    if not agent_id.strip():
        raise InputError("EMPTY_AGENT_ID", "agent_id cannot be empty", "agent_id")
    if len(agent_id) > 256:
        raise InputError("AGENT_ID_TOO_LONG", "agent_id must be at most 256 characters", "agent_id")
    return agent_id


async def register(
    backend: Backend,
    *,
    agent_id: str,
    name: str,
    description: str | None = None,
    metadata: dict | None = None,
    config: dict | None = None,
) -> dict:
    """§10.1: validate, then `agents:register` (refuses duplicates with AGENT_ALREADY_REGISTERED)."""
    _check_agent_id(agent_id)
    if name is None:
        raise InputError("MISSING_AGENT_NAME", "name is required", "name")
    if not isinstance(name, str):
        raise InputError("INVALID_NAME_FORMAT", "name must be a string", "name")
    if not name.strip():
        raise InputError("EMPTY_AGENT_NAME", "name cannot be empty", "name")
    if len(name) > 200:
        raise InputError("AGENT_NAME_TOO_LONG", "name must be at most 200 characters", "name")
    if metadata is not None and not isinstance(metadata, dict):
        raise InputError("INVALID_METADATA_FORMAT", "metadata must be an object", "metadata")
    if config is not None and not isinstance(config, dict):
        raise InputError("INVALID_CONFIG_FORMAT", "config must be an object", "config")
    return await call(
        backend,
        "agents:register",
        compact(agentId=agent_id, name=name, description=description, metadata=metadata or {}, config=config or {}),
    )


async def get(backend: Backend, *, agent_id: str) -> dict | None:
    _check_agent_id(agent_id)
    return await call(backend, "agents:get", {"agentId": agent_id})


async def list_agents(
    backend: Backend, *, status: str | None = None, limit: int | None = None, offset: int | None = None
) -> list[dict]:
    checks.check_choice(status, "status", AGENT_STATUSES)
    checks.check_limit(limit)
    if offset is not None and (not isinstance(offset, int) or isinstance(offset, bool) or offset < 0):
        raise InputError("INVALID_FORMAT", "offset must be a whole number of at least 0", "offset")
    return await call(backend, "agents:list", compact(status=status, limit=limit, offset=offset or None))
