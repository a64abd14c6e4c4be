"""stdio with an answer for every request, even one the SDK cannot parse.

The MCP SDK (2.3) parses each stdin line with pydantic; a line it rejects as JSON (arguments nested
deeper than its recursion limit, a lone surrogate such as `\\ud800`) is dropped, so the client waits
forever for a reply. Here such a line gets a JSON-RPC error naming the problem, sent to the same id
(recovered with Python's own parser). Reported upstream as a gap in the SDK's stdio transport
(docs/parity.md, "MCP SDK").
"""

from __future__ import annotations

import json
import re
from typing import Any

import anyio
from mcp import types
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from cortex_mcp.limits import MAX_JSON_DEPTH

_ID = re.compile(r'"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.){0,200}")')


def _request_id(line: str) -> str | int | None:
    try:
        message = json.loads(line)
        found = message.get("id") if isinstance(message, dict) else None
    except (ValueError, RecursionError):
        match = _ID.search(line)
        found = json.loads(match.group(1)) if match else None
    return found if isinstance(found, (str, int)) and not isinstance(found, bool) else None


def rejection(item: Any) -> SessionMessage | None:
    """The error reply for a line the SDK could not parse as JSON; None for anything else."""
    if not isinstance(item, ValidationError):
        return None
    errors = item.errors()
    if not errors or errors[0].get("type") != "json_invalid" or not isinstance(errors[0].get("input"), str):
        return None
    request_id = _request_id(errors[0]["input"])
    if request_id is None:
        return None  # a notification or no id at all: there is no one to answer
    reason = str(errors[0].get("msg", "invalid JSON"))[:200]
    message = (
        f"{reason}: arguments must be JSON nested at most {MAX_JSON_DEPTH} levels deep, "
        "with strings of valid Unicode (no lone surrogates)"
    )
    error = types.JSONRPCError(
        jsonrpc="2.0", id=request_id, error=types.ErrorData(code=types.INVALID_PARAMS, message=message)
    )
    return SessionMessage(error)


async def run_stdio(server: MCPServer) -> None:
    """`server.run()` for stdio, with unparsable requests answered instead of dropped."""
    lowlevel = server._lowlevel_server  # what MCPServer.run_stdio_async runs; no public handle for it
    async with stdio_server() as (read_stream, write_stream):
        send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)

        async def pump() -> None:
            async with send:
                async for item in read_stream:
                    reply = rejection(item)
                    if reply is not None:
                        await write_stream.send(reply)
                    else:
                        await send.send(item)

        async with anyio.create_task_group() as tg:
            tg.start_soon(pump)
            await lowlevel.run(receive, write_stream, lowlevel.create_initialization_options())
            tg.cancel_scope.cancel()
