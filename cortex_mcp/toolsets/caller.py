"""The caller of a request and the backend it may use: the one place a handler gets a backend.

`CallerScope` is a ServerMiddleware: the SDK runs it around every inbound request and notification
(tool calls, resource reads, prompts, completions, subscriptions...) before any handler. It resolves
the caller's scope once (auth.py: the bearer token's, or `--lock-scope`) and hands the rest of the
chain a request context whose lifespan context, the server run's backend, is that backend held to
the scope (backends/scoped.py). No handler ever sees the unscoped backend, so none can reach data
outside the scope by accident; `backend_of(ctx)`, `current_backend()` and `Runtime.backend` all
return the same scoped backend, and `current_scope()` the scope (for defaults: a one-space token
works in its space without naming it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_REQUEST

from cortex_mcp.auth import FULL, Access, PermissionDenied, Scope
from cortex_mcp.backends.base import Backend
from cortex_mcp.backends.scoped import ScopedBackend

_backend: ContextVar[Backend] = ContextVar("cortex_request_backend")
_scope: ContextVar[Scope] = ContextVar("cortex_request_scope", default=FULL)


def current_backend() -> Backend:
    """The current request's backend, already held to the caller's scope."""
    backend = _backend.get(None)
    if backend is None:
        raise RuntimeError("no backend outside a request: the server's CallerScope middleware sets it per request")
    return backend


def current_scope() -> Scope:
    return _scope.get()


def scoped(backend: Backend, scope: Scope) -> Backend:
    return backend if scope is FULL else ScopedBackend(backend, scope)


@contextmanager
def serving(backend: Backend, scope: Scope) -> Iterator[Backend]:
    """Make `backend` (held to `scope`) the current request's backend for the duration."""
    held = scoped(backend, scope)
    tokens = _backend.set(held), _scope.set(scope)
    try:
        yield held
    finally:
        _scope.reset(tokens[1])
        _backend.reset(tokens[0])


class CallerScope:
    """ServerMiddleware: every request runs with its caller's scope applied to the backend; a token
    limited to some toolsets is listed only their tools (`toolset_of`: tool name -> toolset)."""

    def __init__(self, access: Access, toolset_of: dict[str, str | None] | None = None):
        self.access = access
        self.toolset_of = toolset_of if toolset_of is not None else {}

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        run = ctx.lifespan_context
        if not isinstance(run, Backend):  # no backend to guard (a server built without our lifespan)
            return await call_next(ctx)
        try:
            scope = self.access.scope()
        except PermissionDenied as exc:
            raise MCPError(code=INVALID_REQUEST, message=f"PERMISSION_DENIED: {exc.message}") from None
        with serving(run, scope) as backend:
            result = await call_next(replace(ctx, lifespan_context=backend))
        if ctx.method == "tools/list" and scope.toolsets is not None and isinstance(result, dict):
            allowed = scope.toolsets
            tools = [t for t in result.get("tools", []) if self.toolset_of.get(t.get("name")) in allowed]
            result = {**result, "tools": tools}
        return result
