"""The Convex adapter against a misbehaving HTTP server on loopback: every fault ends the call within
its deadline as BACKEND_UNAVAILABLE (never an empty result), and mutations are never sent twice."""

from __future__ import annotations

import socket
import struct
import threading

import anyio
import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.backends.convex import ConvexBackend
from cortex_mcp.errors import BackendUnavailableError

pytestmark = pytest.mark.anyio

# Faults that go on much longer than the deadline a test gives the call: a call that ends at all ended
# because of its deadline (the test's own bound, far above the deadline, only stops a broken build hanging).
DRIP_SECONDS = 30


def _reply(status: str, body: bytes, content_type: str = "application/json", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


class BadServer:
    """Answers every request according to `mode`; counts requests."""

    def __init__(self, mode: str):
        self.mode = mode
        self.requests = 0
        self.stopping = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
        )
        while len(body) < length:
            body += conn.recv(65536)

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._read_request(conn)
            self.requests += 1
            self._act(conn)
        except OSError:
            pass
        finally:
            if self.mode != "silent":
                conn.close()

    def _act(self, conn: socket.socket) -> None:
        mode = self.mode
        if mode == "silent":
            self.stopping.wait(DRIP_SECONDS)
        elif mode == "drip":  # a valid reply, one byte at a time, slower than any deadline here
            body = b'{"status":"success","value":1.0}'
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body) * 1000}\r\n\r\n".encode())
            for _ in range(DRIP_SECONDS * 10):
                if self.stopping.wait(0.1):
                    return
                conn.sendall(b" ")
        elif mode == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "500":
            conn.sendall(_reply("500 Internal Server Error", b'{"code":"InternalServerError","message":"x"}'))
        elif mode == "html":
            conn.sendall(_reply("200 OK", b"<html><body>Sign in to the proxy</body></html>", "text/html"))
        elif mode == "malformed":
            conn.sendall(_reply("200 OK", b'{"status":"success","value":[1,2'))
        elif mode == "no value":
            conn.sendall(_reply("200 OK", b'{"status":"success"}'))
        elif mode == "not an envelope":
            conn.sendall(_reply("200 OK", b"[]"))
        elif mode == "redirect":
            conn.sendall(_reply("302 Found", b"", extra="Location: http://127.0.0.1:1/elsewhere\r\n"))
        elif mode == "huge declared":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n")
            conn.sendall(b'{"status":"success","value":"' + b"a" * 100_000)
        elif mode == "huge chunked":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"a" * 65536
            for _ in range(100):  # 6.5 MB offered; the client stops reading at its limit
                conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")

    def close(self) -> None:
        self.stopping.set()
        self.sock.close()


@pytest.fixture
def bad_server(request):
    server = BadServer(request.param)
    yield server
    server.close()


FAULTS = [
    "drip",
    "silent",
    "reset",
    "500",
    "html",
    "malformed",
    "no value",
    "not an envelope",
    "redirect",
    "huge declared",
    "huge chunked",
]


@pytest.mark.parametrize("bad_server", FAULTS, indirect=True)
@pytest.mark.parametrize(
    "path, args", [("memories:search", {"memorySpaceId": "s", "query": "q"}), ("agents:purgeAll", {})]
)
async def test_every_fault_is_backend_unavailable_within_the_deadline(bad_server, path, args):
    b = ConvexBackend(bad_server.url, deploy_key="k", timeout=0.5, query_retries=1, max_reply_bytes=1_000_000)
    try:
        with anyio.fail_after(DRIP_SECONDS / 2):  # only a call that ignores its deadline gets here
            with pytest.raises(BackendUnavailableError) as err:
                await call(b, path, args)
    finally:
        await b.aclose()
    assert len(err.value.message) < 600  # the server's text is echoed at most 200 characters
    kind = "mutation" if path.endswith("purgeAll") else "query"
    if kind == "mutation":
        assert bad_server.requests == 1  # never retried, whatever went wrong
    deterministic = {"html", "malformed", "no value", "not an envelope", "redirect", "huge declared", "huge chunked"}
    if bad_server.mode in deterministic:
        assert bad_server.requests == 1  # a wrong reply is not retried either: it would come again
    if bad_server.mode == "redirect":
        assert "redirect" in err.value.message
    if bad_server.mode.startswith("huge"):
        assert "larger than 1000000 bytes" in err.value.message
    if bad_server.mode in {"drip", "silent"} and kind == "mutation":
        assert "outcome is unknown" in err.value.message


@pytest.mark.parametrize("bad_server", ["500", "reset"], indirect=True)
async def test_queries_retry_transient_faults_within_one_deadline(bad_server):
    b = ConvexBackend(bad_server.url, timeout=5, query_retries=2)
    try:
        with pytest.raises(BackendUnavailableError):
            await call(b, "agents:count", {})
    finally:
        await b.aclose()
    assert bad_server.requests == 3
