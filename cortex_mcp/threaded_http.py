"""What `backend serve` (backends/embedded/wire.py) and `ui` (ui/serve.py) share to serve an ASGI app
with uvicorn from a background thread: the listening socket, a uvicorn that stops at once, and the
foreground wait that turns SIGTERM and Ctrl-C into a clean stop."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from typing import Any, Protocol, Self

import uvicorn

log = logging.getLogger(__name__)


class Uvicorn(uvicorn.Server):
    """uvicorn that stops when told, at once (its own loop polls `should_exit` every 0.1 s)."""

    def __init__(self, config: uvicorn.Config):
        super().__init__(config)
        self.ready = threading.Event()
        self._loop: Any = None
        self._stop: Any = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        await super().startup(sockets=sockets)
        self.ready.set()

    async def main_loop(self) -> None:
        await self._stop.wait()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)


def quiet_uvicorn(app: Any) -> Uvicorn:
    """A server for `app` that logs nothing of its own (no access log, no server header), takes no
    proxy's word for the client's address (no proxy stands in front) and speaks no WebSocket."""
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", server_header=False,
                            proxy_headers=False, ws="none", timeout_graceful_shutdown=2)
    return Uvicorn(config)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port` (port 0: an ephemeral one), bound before the server starts
    so that the caller knows its address and a taken port fails at once."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


class Served(Protocol):
    def start(self) -> Self: ...
    def wait(self) -> None: ...
    def close(self) -> None: ...


def run_until_stopped(server: Served) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM, then stop cleanly."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop cleanly, as on Ctrl-C
    try:
        server.start().wait()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        server.close()
