"""The MCP `logging` capability: log messages about tool calls reach the client at the level it set.

On 2025-11-25 connections the client sets a level with `logging/setLevel` (per connection; until
it does, warnings and worse are sent); on 2026-07-28 each request carries its own opt-in and the SDK
drops what the client did not ask for. Server-side logging still goes to stderr as before.
"""

from __future__ import annotations

import warnings
from typing import Any
from weakref import WeakKeyDictionary

from mcp.server.mcpserver import MCPServer
from mcp.types import EmptyResult, LoggingLevel, SetLevelRequestParams
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

LEVELS: list[str] = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
DEFAULT_LEVEL = "warning"
_levels: WeakKeyDictionary[Any, str] = WeakKeyDictionary()  # connection -> the level its client set


def register_logging(server: MCPServer) -> None:
    """Serve `logging/setLevel` (which also advertises the logging capability)."""

    async def set_level(ctx: Any, params: SetLevelRequestParams) -> EmptyResult:
        _levels[_connection(ctx)] = params.level
        return EmptyResult()

    server._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)


async def client_log(ctx: Any, level: LoggingLevel, message: str) -> None:
    """Send `message` to the client of this request if its level lets it through; never fails the call."""
    request = getattr(ctx, "request_context", ctx)
    try:
        if request.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            threshold = _levels.get(_connection(request), DEFAULT_LEVEL)
            if LEVELS.index(level) < LEVELS.index(threshold):
                return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated in 2026-07-28, still how 2025-11-25 clients get logs
            await request.session.send_log_message(
                level=level, data=message, logger="cortex-mcp", related_request_id=request.request_id
            )
    except Exception:  # a client that went away must not turn a result into an error
        return


def _connection(request: Any) -> Any:
    return request.session._connection  # per connection (the session object is per request)
