"""ConvexBackend: local checks, request shape, envelope mapping, retries, availability."""

from __future__ import annotations

import json
import socket
import threading

import anyio
import httpx
import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.backends.convex import ConvexBackend, _OneSendStream
from cortex_mcp.backends.embedded.wire import WireServer
from cortex_mcp.errors import (
    ArgumentValidationError,
    BackendUnavailableError,
    CortexError,
    FunctionError,
    FunctionNotFoundError,
    WrongKindError,
)

pytestmark = pytest.mark.anyio

RID = "[Request ID: 0123456789abcdef] Server Error\n"


class Recorder:
    """An httpx MockTransport handler that records requests and replays scripted replies."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        status, body = reply
        if isinstance(body, (str, bytes)):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    def bodies(self):
        return [json.loads(r.content) for r in self.requests]


def make(recorder, **kw) -> ConvexBackend:
    return ConvexBackend("https://x.convex.cloud", transport=httpx.MockTransport(recorder), **kw)


def ok(value):
    return (200, {"status": "success", "value": value})


def fail(message, **extra):
    return (200, {"status": "error", "errorMessage": message, **extra})


# -- refused locally, nothing sent ------------------------------------------------------------


@pytest.mark.parametrize(
    "path, args, field",
    [
        ("agents:register", {"agentId": "a", "name": "n", "tenantId": "t"}, "tenantId"),
        ("agents:register", {"agentId": "a"}, "name"),
        ("agents:register", {"agentId": 5, "name": "n"}, "agentId"),
        ("agents:list", {"limit": True}, "limit"),
        ("agents:list", {"status": "Active"}, "status"),
    ],
)
async def test_contract_violation_is_refused_before_any_request(path, args, field):
    rec = Recorder(ok(None))
    b = make(rec)
    with pytest.raises(ArgumentValidationError) as err:
        await call(b, path, args)
    assert err.value.field == field
    assert rec.requests == []
    await b.aclose()


async def test_unknown_function_and_wrong_kind_are_refused_locally():
    rec = Recorder(ok(None))
    b = make(rec)
    with pytest.raises(FunctionNotFoundError) as err:
        await b.query("agents:nope", {})
    assert err.value.path == "agents:nope"
    with pytest.raises(WrongKindError) as kind:
        await b.query("agents:register", {"agentId": "a", "name": "n"})
    assert kind.value.message == "Trying to execute agents.js:register as Query, but it is defined as Mutation."
    assert rec.requests == []
    await b.aclose()


async def test_none_is_never_sent_for_an_absent_argument():
    rec = Recorder(ok({"ok": True}))
    b = make(rec)
    # An optional, non-any argument given as None is refused (Convex would refuse the null too) ...
    with pytest.raises(ArgumentValidationError) as err:
        await call(b, "agents:register", {"agentId": "a", "name": "n", "description": None})
    assert err.value.field == "description" and rec.requests == []
    # ... absent arguments stay absent, and null goes out only where the contract takes it (v.any()).
    await call(b, "agents:update", {"agentId": "a", "metadata": None})
    assert rec.bodies() == [{"path": "agents:update", "args": {"agentId": "a", "metadata": None}, "format": "json"}]
    await b.aclose()


# -- request shape ----------------------------------------------------------------------------


async def test_request_shape_and_deploy_key():
    rec = Recorder(ok(1.0))
    b = make(rec, deploy_key="prod:abc")
    assert await call(b, "agents:count", {"status": "active"}) == 1
    assert await call(b, "agents:purgeAll", {}) == 1
    first, second = rec.requests
    assert first.method == "POST" and first.url.path == "/api/query" and second.url.path == "/api/mutation"
    assert first.headers["content-type"] == "application/json"
    assert first.headers["authorization"] == "Convex prod:abc"
    assert json.loads(first.content) == {"path": "agents:count", "args": {"status": "active"}, "format": "json"}
    await b.aclose()


async def test_bearer_token_and_special_floats():
    rec = Recorder(ok(None))
    b = make(rec, auth_token="jwt")
    await call(b, "agents:list", {"limit": float("nan")})  # passes our validator; the wire encodes it
    assert rec.requests[0].headers["authorization"] == "Bearer jwt"
    assert json.loads(rec.requests[0].content)["args"] == {"limit": {"$float": "AAAAAAAA+H8="}}
    await b.aclose()


# -- envelope mapping -------------------------------------------------------------------------


async def test_error_data_gives_the_code_never_the_message():
    rec = Recorder(
        fail(RID + "Uncaught ConvexError: AGENT_ALREADY_REGISTERED\n    at handler (../convex-dev/agents.ts:1:2)\n",
             errorData="AGENT_ALREADY_REGISTERED"),
        fail(RID.rstrip("\n"), errorData={"code": "REDACTED_BUT_KEPT", "n": 2.0}),  # production redaction
        fail(RID + "Uncaught ConvexError: LOOKS_LIKE_A_CODE", errorData="REAL_CODE"),
        fail(RID + "Uncaught Error: AGENT_NOT_REGISTERED: plain error"),
    )
    b = make(rec)
    args = {"agentId": "a", "name": "n"}
    with pytest.raises(FunctionError) as e1:
        await call(b, "agents:register", args)
    assert e1.value.code == "AGENT_ALREADY_REGISTERED" and e1.value.has_data
    assert e1.value.message == "AGENT_ALREADY_REGISTERED" and e1.value.data == "AGENT_ALREADY_REGISTERED"
    with pytest.raises(FunctionError) as e2:
        await call(b, "agents:register", args)
    assert e2.value.code == "REDACTED_BUT_KEPT" and e2.value.data == {"code": "REDACTED_BUT_KEPT", "n": 2}
    with pytest.raises(FunctionError) as e3:
        await call(b, "agents:register", args)
    assert e3.value.code == "REAL_CODE"
    with pytest.raises(FunctionError) as e4:
        await call(b, "agents:register", args)
    assert e4.value.code == "FUNCTION_ERROR" and not e4.value.has_data
    assert e4.value.message == "AGENT_NOT_REGISTERED: plain error"
    await b.aclose()


async def test_plain_error_text_is_unwrapped_and_redacted_text_kept():
    frames = "\n    at list (../convex-dev/agents.ts:40:12)\n    at async handler (../convex-dev/agents.ts:3:1)\n"
    rec = Recorder(
        fail(RID + "Uncaught Error: Arg 1 `n` to `take` must be a non-negative integer" + frames),
        fail(RID.rstrip("\n")),
        fail(RID + "Uncaught TypeError: multi\nline message"),
    )
    b = make(rec)
    with pytest.raises(FunctionError) as e1:
        await call(b, "agents:list", {"limit": -1})
    assert e1.value.message == "Arg 1 `n` to `take` must be a non-negative integer"
    with pytest.raises(FunctionError) as e2:
        await call(b, "agents:list", {})
    assert e2.value.message == RID.rstrip("\n") and e2.value.code == "FUNCTION_ERROR"
    with pytest.raises(FunctionError) as e3:
        await call(b, "agents:list", {})
    assert e3.value.message == "multi\nline message"
    await b.aclose()


@pytest.mark.parametrize(
    "text, path",
    [
        (
            "Value does not match validator.\nPath: .participants\nValue: null\nValidator: v.array(v.string())",
            ".participants",
        ),
        ("Object is missing the required field `agentId`. Consider wrapping the field validator in "
         "`v.optional(...)` if this is expected.\nObject: {}\nValidator: v.object({agentId: v.string()})", ".agentId"),
        ("Object contains extra field `extra` that is not in the validator.\nPath: .participants[2]\n"
         "Object: {extra: 1.0}\nValidator: v.object({id: v.string()})", ".participants[2].extra"),
        ('`"x"` does not match literal validator `v.literal("y")`.\nPath: .status', ".status"),
        ("Expected to receive an object as the function's argument. Instead received: \"x\"", ""),
    ],
)
async def test_server_side_validation_error_maps_with_path(text, path):
    rec = Recorder(fail(RID + "ArgumentValidationError: " + text + "\n\n"))
    b = make(rec)
    with pytest.raises(ArgumentValidationError) as err:
        await call(b, "agents:list", {})
    assert err.value.path == path and err.value.field == (path.lstrip(".") or None)
    assert err.value.message == text
    await b.aclose()


async def test_dispatch_errors_from_the_server():
    rec = Recorder(
        fail(RID + "Could not find public function for 'agents:list'. Did you forget to run `npx convex dev`?"),
        fail("Trying to execute agents.js:list as Query, but it is defined as Mutation."),
    )
    b = make(rec)
    with pytest.raises(FunctionNotFoundError) as nf:
        await call(b, "agents:list", {})
    assert nf.value.path == "agents:list"
    with pytest.raises(WrongKindError) as wk:
        await call(b, "agents:list", {})
    assert "defined as Mutation" in wk.value.message
    await b.aclose()


async def test_560_is_a_function_outcome():
    rec = Recorder(
        (560, {"status": "error", "errorMessage": RID + "Uncaught ConvexError: X", "errorData": "X"}),
        (560, {"status": "success", "value": 3.0}),
    )
    b = make(rec)
    with pytest.raises(FunctionError) as err:
        await call(b, "agents:count", {})
    assert err.value.code == "X"
    assert await call(b, "agents:count", {}) == 3
    assert len(rec.requests) == 2  # a 560 is not retried
    await b.aclose()


async def test_integral_floats_become_ints_recursively():
    value = {"a": 50.0, "b": [1.0, 2.5, {"c": -3.0}], "_creationTime": 1795676531549.0}
    value.update({"d": True, "e": "1.0", "f": None})
    rec = Recorder(ok(value))
    b = make(rec)
    got = await call(b, "agents:get", {"agentId": "a"})
    assert got == {"a": 50, "b": [1, 2.5, {"c": -3}], "_creationTime": 1795676531549, "d": True, "e": "1.0", "f": None}
    assert type(got["a"]) is int and type(got["b"][1]) is float and got["d"] is True
    await b.aclose()


async def test_request_errors_map_to_cortex_errors():
    rec = Recorder(
        (401, {"code": "BadDeployKey", "message": "The provided deploy key was invalid."}),
        (400, "not json"),
        (200, "<html>proxy</html>"),
    )
    b = make(rec)
    with pytest.raises(CortexError) as e1:
        await call(b, "agents:count", {})
    assert e1.value.code == "BadDeployKey" and "deploy key" in e1.value.message and e1.value.hint
    assert not isinstance(e1.value, BackendUnavailableError)
    with pytest.raises(CortexError) as e2:
        await call(b, "agents:count", {})
    assert e2.value.code == "HTTP_400"
    with pytest.raises(BackendUnavailableError) as e3:  # a proxy's page is not "nothing found"
        await call(b, "agents:count", {})
    assert "not a Convex function result" in e3.value.message
    assert len(rec.requests) == 3
    await b.aclose()


# -- retries ----------------------------------------------------------------------------------


async def test_query_is_retried_on_5xx_and_connect_errors():
    rec = Recorder((503, "busy"), httpx.ConnectError("refused"), ok(7.0))
    b = make(rec, query_retries=2)
    assert await call(b, "agents:count", {}) == 7
    assert len(rec.requests) == 3
    await b.aclose()


async def test_query_gives_up_after_its_retries():
    rec = Recorder((502, "bad gateway"))
    b = make(rec, query_retries=2)
    with pytest.raises(BackendUnavailableError):
        await call(b, "agents:count", {})
    assert len(rec.requests) == 3
    await b.aclose()


@pytest.mark.parametrize("failure", [(503, "busy"), httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])
async def test_mutation_is_never_sent_twice(failure):
    rec = Recorder(failure, ok({"deleted": 0.0}))
    b = make(rec, query_retries=5)
    with pytest.raises(BackendUnavailableError) as err:
        await call(b, "agents:purgeAll", {})
    assert len(rec.requests) == 1
    if isinstance(failure, httpx.ReadTimeout):
        assert "outcome is unknown" in err.value.message
    await b.aclose()


# -- against a real socket --------------------------------------------------------------------


async def test_round_trip_then_stopped_server_is_unavailable_within_timeout(tmp_path):
    server = WireServer(tmp_path / "c.db").start()
    b = ConvexBackend(server.url, deploy_key=server.key, timeout=2.0)
    try:
        doc = await call(b, "agents:register", {"agentId": "a1", "name": "A"})
        assert doc["agentId"] == "a1" and doc["metadata"] == {}
        assert await call(b, "agents:count", {}) == 1
        with pytest.raises(FunctionError) as err:  # a plain error's text survives the wire exactly
            await call(b, "agents:list", {"limit": -1})
        assert err.value.message == "Arg 1 `n` to `take` must be a non-negative integer" and not err.value.has_data
        server.close()
        for path, args in [("agents:count", {}), ("agents:purgeAll", {})]:
            with anyio.fail_after(30), pytest.raises(BackendUnavailableError) as err:  # a hang fails here
                await call(b, path, args)
            # Refused at once, not waited for: retried only as a query, never reported as an unknown outcome.
            assert f"cannot reach {server.url} (ConnectError" in err.value.message, err.value.message
            assert "outcome is unknown" not in err.value.message
    finally:
        await b.aclose()
        server.close()


async def test_silent_server_times_out_within_the_configured_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])  # accept, never answer
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    b = ConvexBackend(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5, query_retries=2)
    try:
        with anyio.fail_after(30), pytest.raises(BackendUnavailableError) as err:  # a hang fails here
            await call(b, "agents:count", {})
        assert "no complete reply within 0.5 s" in err.value.message
        stop.set()
        thread.join()
        listener.setblocking(False)
        while True:  # connections the thread had not accepted yet count too
            try:
                accepted.append(listener.accept()[0])
            except BlockingIOError:
                break
        # One deadline for the whole call: the first attempt used it all up, so no retry was sent.
        assert len(accepted) == 1
    finally:
        await b.aclose()
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


CONVEX_ID = "jd7f8a9c0b1e2d3f4a5b6c7d8e9f0a1b"  # a deployment's id: base32, table number and checksum inside


@pytest.mark.parametrize(
    "path, args",
    [
        ("graphSync:markSynced", {"id": CONVEX_ID}),
        ("graphSync:markFailed", {"id": CONVEX_ID, "error": "graph down"}),
        ("graphSync:deleteSyncItem", {"id": CONVEX_ID}),
        ("admin:deleteRecord", {"table": "graphSyncQueue", "id": CONVEX_ID}),
    ],
)
async def test_ids_are_opaque_and_left_to_the_deployment(path, args):
    rec = Recorder(ok(None))
    b = make(rec)
    try:
        assert await call(b, path, args) is None
        assert [body["args"] for body in rec.bodies()] == [args]  # sent as given, not refused locally
        with pytest.raises(ArgumentValidationError) as err:  # an id is still a non-empty string
            await call(b, path, {**args, "id": ""})
        assert err.value.field == "id" and len(rec.requests) == 1
    finally:
        await b.aclose()


async def test_an_id_the_deployment_returned_is_accepted_back():
    rec = Recorder(ok(CONVEX_ID), ok(None))
    b = make(rec)
    try:
        queued = await call(b, "graphSync:queueForSync", {"table": "memories", "entityId": "m1", "operation": "insert"})
        await call(b, "graphSync:markSynced", {"id": queued})
        assert rec.bodies()[1] == {"path": "graphSync:markSynced", "args": {"id": CONVEX_ID}, "format": "json"}
    finally:
        await b.aclose()


async def test_a_thrown_type_error_keeps_its_name():
    frames = "\n    at f (x.ts:1:2)\n"
    rec = Recorder(fail(RID + "Uncaught TypeError: Arg 1 `n` to `take` must be a non-negative integer" + frames))
    b = make(rec)
    try:
        with pytest.raises(FunctionError) as err:
            await call(b, "agents:list", {"limit": -1})
        assert err.value.message == "Arg 1 `n` to `take` must be a non-negative integer"
        assert err.value.js_name == "TypeError" and not err.value.has_data
    finally:
        await b.aclose()


class _RecordingStream:
    def __init__(self):
        self.sent: list[bytes] = []

    async def write(self, buffer, timeout=None):
        self.sent.append(buffer)

    async def read(self, max_bytes, timeout=None):
        return b"reply"

    async def aclose(self):
        pass

    def get_extra_info(self, info):
        return None


async def test_a_request_leaves_in_one_send():
    raw = _RecordingStream()
    stream = _OneSendStream(raw)
    await stream.write(b"POST /api/query HTTP/1.1\r\n\r\n")
    await stream.write(b'{"path": "x"}')
    assert raw.sent == []  # held until the reply is read
    assert await stream.read(100) == b"reply"
    assert raw.sent == [b'POST /api/query HTTP/1.1\r\n\r\n{"path": "x"}']
    assert await stream.read(100) == b"reply" and len(raw.sent) == 1  # nothing more to send


async def test_the_default_transport_talks_to_a_real_server(tmp_path):
    server = WireServer(tmp_path / "w.db").start()
    backend = ConvexBackend(server.url, deploy_key=server.key)
    try:
        for _ in range(3):  # one kept-alive connection, request after request
            assert await backend.query("memorySpaces:get", {"memorySpaceId": "none"}) is None
    finally:
        await backend.aclose()
        server.close()


async def test_a_closed_backend_sends_nothing():
    recorder = Recorder(ok(1))
    backend = make(recorder)
    await backend.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await backend.query("agents:count", {})
    assert recorder.requests == []


class _FakeProxy:
    """An HTTP proxy on loopback that answers every request itself with one Convex reply."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.request_lines: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(body) < length:
                    body += conn.recv(65536)
                self.request_lines.append(head.split(b"\r\n")[0].decode())
                reply = json.dumps({"status": "success", "value": 7, "logLines": []}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(reply), reply))

    def close(self):
        self.sock.close()


async def test_the_environments_proxy_is_used_except_for_no_proxy_and_loopback(tmp_path, monkeypatch):
    proxy = _FakeProxy()
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("http_proxy", proxy.url)
    try:
        backend = ConvexBackend("http://cortex.example.test", timeout=2)
        try:
            assert await backend.query("agents:count", {}) == 7
        finally:
            await backend.aclose()
        assert proxy.request_lines == ["POST http://cortex.example.test/api/query HTTP/1.1"]

        server = WireServer(tmp_path / "w.db").start()  # loopback: straight to the server, not the proxy
        backend = ConvexBackend(server.url, deploy_key=server.key)
        try:
            assert await backend.query("agents:count", {}) == 0
        finally:
            await backend.aclose()
            server.close()

        monkeypatch.setenv("NO_PROXY", "example.test")
        monkeypatch.setenv("no_proxy", "example.test")
        backend = ConvexBackend("http://cortex.example.test", timeout=2, query_retries=0)
        try:
            with pytest.raises(BackendUnavailableError):
                await backend.query("agents:count", {})
        finally:
            await backend.aclose()
        assert len(proxy.request_lines) == 1
    finally:
        proxy.close()
