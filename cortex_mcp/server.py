"""Build the MCP server: a backend, the chosen toolsets, and a lifespan that closes the backend."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from pydantic import AnyHttpUrl

from cortex_mcp import __version__, toolsets
from cortex_mcp.api.embeddings import embedder_for
from cortex_mcp.auth import Access, StaticTokenVerifier, Token, lock_scope
from cortex_mcp.backends.base import Backend
from cortex_mcp.config import Config
from cortex_mcp.toolsets.base import Registrar, Runtime
from cortex_mcp.toolsets.caller import CallerScope
from cortex_mcp.toolsets.client_log import register_logging
from cortex_mcp.toolsets.dynamic import DynamicToolsets
from cortex_mcp.toolsets.prompts import register_prompts
from cortex_mcp.toolsets.resources import register_resources

log = logging.getLogger(__name__)

INSTRUCTIONS = """\
Persistent memory for agents (Cortex). Call `recall` before answering when earlier context could
help; call `remember` to keep preferences, decisions and facts for later sessions; `forget` removes
a memory. Ids returned by one tool are accepted by the others. Memory space, user and agent
default to the server's configuration."""


def open_backend(config: Config) -> Backend:
    if config.backend == "convex":
        from cortex_mcp.backends.convex import ConvexBackend

        if not config.convex_url:
            raise ValueError("the convex backend needs --convex-url (or CONVEX_URL)")
        return ConvexBackend(config.convex_url, deploy_key=config.convex_deploy_key, timeout=config.timeout)
    from cortex_mcp.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(config.db_path)


def build_server(
    config: Config,
    backend: Backend | Callable[[], Backend] | None = None,
    *,
    tokens: list[Token] | None = None,
    url: str | None = None,
) -> MCPServer:
    """The server for `config`. Without `backend`, each run of the server (each stdio process, each
    in-process client session) opens its own backend and closes it at the end. A backend passed in
    serves every run and stays open; so does the one a function passed in gives each run (the tests
    share one server across many stores this way).

    With `tokens` (HTTP), every request needs `Authorization: Bearer <token>` and is held to that
    token's scope; `url` is the server's base URL (advertised in the 401's resource metadata)."""
    # Refuse a bad configuration now, not when the first client connects.
    selected = toolsets.select(config.toolsets)
    if backend is None and config.backend == "convex" and not config.convex_url:
        raise ValueError("the convex backend needs --convex-url (or CONVEX_URL)")
    runtime = Runtime(config, embedder_for(config))  # a missing [embeddings] extra fails here
    lock = lock_scope(config.memory_space, config.user_id, config.read_only) if config.lock_scope else None
    runtime.access = Access(tokens=list(tokens or []), lock=lock)

    @asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[Backend]:
        """The server run's backend: caller.py's middleware hands each request this backend held to
        the caller's scope (toolsets/base.py `backend_of`, `Runtime.backend`)."""
        try:
            if backend is not None:
                yield backend() if callable(backend) else backend
                return
            opened = open_backend(config)
            try:
                yield opened
            finally:
                await opened.aclose()
        finally:
            if runtime.embedder is not None:
                await runtime.embedder.aclose()  # reopened by the next run that embeds

    registrar = Registrar(runtime)
    for toolset in selected:
        registrar.toolset = toolset.name
        toolset.register(registrar)
    registrar.toolset = None
    dynamic = DynamicToolsets(registrar, [t.name for t in selected]) if config.dynamic_toolsets else None
    registrar.schemas.save()  # the next start lists these tools without building them
    log.info("cortex-mcp %s: %d tools on the %s backend", __version__, len(registrar.tools), config.backend)
    auth: dict[str, object] = {}
    if tokens:
        base = (url or "http://127.0.0.1:8000").rstrip("/")
        auth = {
            "token_verifier": StaticTokenVerifier(tokens),
            # Tokens are issued out of band (the token file): there is no authorization server to name
            # but this server itself.
            "auth": AuthSettings(
                issuer_url=AnyHttpUrl(base),
                resource_server_url=AnyHttpUrl(f"{base}/mcp"),
                validate_token_resource=False,
            ),
        }
    server = MCPServer(
        "cortex-mcp",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        tools=registrar.tools,
        # every request (tool, resource, prompt...) gets the backend held to its caller's scope
        middleware=[CallerScope(runtime.access, runtime.toolset_of)],
        **auth,  # type: ignore[arg-type]
    )
    if dynamic is not None:
        dynamic.attach(server)
    register_logging(server)
    register_resources(server, runtime)
    register_prompts(server, runtime)
    return server
