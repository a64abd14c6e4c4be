"""Serve the page: open the backend read-only, check the bind, run uvicorn until interrupted."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from pathlib import Path
from typing import Self

import anyio

from cortex_mcp.api.embeddings import Embedder, embedder_for
from cortex_mcp.auth import Token
from cortex_mcp.backends.base import Backend
from cortex_mcp.config import Config
from cortex_mcp.rebinding import HostPolicy, is_loopback
from cortex_mcp.threaded_http import listen, quiet_uvicorn, run_until_stopped
from cortex_mcp.ui.app import ui_asgi_app

log = logging.getLogger("cortex_mcp.ui")


def open_read_only(config: Config) -> tuple[Backend, Path | None]:
    """The configured backend, opened for reading: the embedded file read-only (it must exist), or the
    Convex deployment (read-only through the page's wrapper only). Also the file, for its size."""
    if config.backend == "convex":
        from cortex_mcp.backends.convex import ConvexBackend

        if not config.convex_url:
            raise ValueError("the convex backend needs --convex-url (or CONVEX_URL)")
        return ConvexBackend(config.convex_url, deploy_key=config.convex_deploy_key, timeout=config.timeout), None
    from cortex_mcp.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(config.db_path, read_only=True), Path(config.db_path)


def check_exposure(host: str, tokens: list[Token]) -> None:
    """The HTTP transport's rule: off loopback, only with tokens."""
    if not tokens and not is_loopback(host):
        raise ValueError(
            f"refusing to serve the page on {host} without authentication: anyone who can reach it could read "
            "every memory. Give --auth-tokens FILE (or CORTEX_AUTH_TOKEN), or bind 127.0.0.1"
        )


class UiServer:
    """The page on `host:port` (port 0: an ephemeral port), served from a background thread.

    `close()` stops the server; with `owns_backend` it also closes the backend and the embedder, on
    the loop that used them (an HTTP client's connections belong to their loop)."""

    def __init__(
        self,
        backend: Backend,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tokens: list[Token] | None = None,
        allowed_hosts: list[str] | None = None,
        allowed_origins: list[str] | None = None,
        memory_space: str = "default",
        db_path: Path | None = None,
        embedder: Embedder | None = None,
        owns_backend: bool = False,
    ):
        check_exposure(host, tokens or [])
        policy = HostPolicy.for_bind(host, allowed_hosts, allowed_origins)  # a bad bind fails before any I/O
        app = ui_asgi_app(backend, policy=policy, tokens=tokens, memory_space=memory_space, db_path=db_path,
                          embedder=embedder)
        self._sock = listen(host, port)
        self._address = self._sock.getsockname()
        self._server = quiet_uvicorn(app)
        self._thread: threading.Thread | None = None
        self._backend, self._embedder, self._owns_backend = backend, embedder, owns_backend

    @property
    def url(self) -> str:
        host, port = self._address[0], self._address[1]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), name="cortex-ui", daemon=True)
        self._thread.start()
        self._server.ready.wait(10)
        return self

    async def _serve(self) -> None:
        try:
            await self._server.serve(sockets=[self._sock])
        finally:
            if self._owns_backend:
                await self._close_owned()

    async def _close_owned(self) -> None:
        await self._backend.aclose()
        if self._embedder is not None:
            await self._embedder.aclose()

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C reaches the caller as KeyboardInterrupt)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def close(self) -> None:
        if self._thread is not None:
            self._server.stop()
            self._thread.join(timeout=30)
            self._thread = None
        else:
            self._sock.close()
            if self._owns_backend:
                anyio.run(self._close_owned)
        self._owns_backend = False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_ui(
    config: Config,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    tokens: list[Token] | None = None,
    allowed_hosts: list[str] | None = None,
    allowed_origins: list[str] | None = None,
) -> None:
    """Serve the page over the configured backend until interrupted. Logs go to stderr."""
    check_exposure(host, tokens or [])
    HostPolicy.for_bind(host, allowed_hosts, allowed_origins)
    embedder = embedder_for(config)  # a missing [embeddings] extra fails here
    backend, db_path = open_read_only(config)
    try:
        server = UiServer(backend, host, port, tokens=tokens, allowed_hosts=allowed_hosts,
                          allowed_origins=allowed_origins, memory_space=config.memory_space, db_path=db_path,
                          embedder=embedder, owns_backend=True)
    except BaseException:
        anyio.run(backend.aclose)
        raise
    sys.stderr.write(f"cortex-mcp ui: {server.url} (read-only; Ctrl-C stops it)\n")
    sys.stderr.flush()
    run_until_stopped(server)
