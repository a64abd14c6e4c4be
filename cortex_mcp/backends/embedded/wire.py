"""Serve an EmbeddedBackend over the Convex HTTP API (spec/convex-http-api.md).

This lets the Convex adapter, the parity doctor and any Convex HTTP client run against the
embedded SQLite backend: `POST /api/query|mutation|action` and `/api/run/<module>/<fn>`, the
same success/error envelopes, error texts and request-level failures as a local Convex
deployment. Numbers go out as float64, as Convex writes them (`50.0`).

It serves a whole database, admin functions included, so every request must pass the door first
(`_Door`): an allowed Host and Origin (DNS rebinding), `Authorization: Convex <key>`, and a body
within `WIRE_MAX_BODY`; JSON nested deeper than `MAX_JSON_DEPTH` is a 400. No CORS headers are
ever sent, so browsers on other origins cannot read replies. uvicorn serves it as a plain ASGI app;
the protocol logic (`WireApp`) is synchronous code: a bounded read runs on the event loop while the
connection is free (as in `EmbeddedBackend`), everything else on the backend's worker thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

from cortex_mcp.backends.embedded.backend import EmbeddedBackend
from cortex_mcp.contract import convex_json, error_text
from cortex_mcp.contract.catalog import get_function
from cortex_mcp.errors import ArgumentValidationError, FunctionError, FunctionNotFoundError, WrongKindError
from cortex_mcp.limits import MAX_JSON_DEPTH, WIRE_MAX_BODY, echo, json_depth_exceeds
from cortex_mcp.rebinding import HostPolicy, is_loopback
from cortex_mcp.threaded_http import listen, quiet_uvicorn, run_until_stopped

log = logging.getLogger("cortex_mcp.wire")

_KIND_BY_ROUTE = {"/api/query": "query", "/api/mutation": "mutation", "/api/action": "action"}
_FORMATS: dict[str, convex_json.Format] = {
    "json": "json",
    "convex_clean_json": "json",
    "convex_encoded_json": "encoded",
    "convex_json": "encoded",
}


class RequestError(Exception):
    """A request-level problem: non-2xx with `{"code", "message"}`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _request_id() -> str:
    return secrets.token_hex(8)


def _server_error(text: str) -> str:
    return error_text.server_error(text, _request_id())


def _parse_json(text: str) -> Any:
    """JSON text -> value, refusing values nested deeper than MAX_JSON_DEPTH (ValueError)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    if json_depth_exceeds(value):
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return value


# --------------------------------------------------------------------------- dispatch


def _normalise_path(path: str) -> str:
    """`memories.js:store` is `memories:store`; another extension is a 400; no `:` = default export."""
    module, sep, export = path.partition(":")
    if not sep:
        export = "default"
    last = module.rsplit("/", 1)[-1]
    if "." in last:
        _stem, ext = last.rsplit(".", 1)
        if ext != "js":
            raise RequestError(
                400,
                "BadConvexFunctionIdentifier",
                f"{path} is not a valid path to a Convex function. Module path ({module}) has an extension "
                f"that isn't 'js'.",
            )
        module = module[: -len(".js")]
    return f"{module}:{export}"


Reply = tuple[int, dict[str, str], bytes]  # status, extra headers, JSON body

_INTERNAL_ERROR: Reply = (
    500, {}, convex_json.dumps({"code": "InternalServerError", "message": "Your request couldn't be completed. Try "
                                "again later."}),
)
_INLINE_BODY_MAX = 64 * 1024  # a request body up to this is parsed on the event loop (bounded work)


def _request_reply(err: RequestError) -> Reply:
    return err.status, err.headers, convex_json.dumps({"code": err.code, "message": err.message})


@dataclass(frozen=True, slots=True)
class _Call:
    """A function call a request asks for, parsed: `kind` from the endpoint (None on /api/run: the
    function's own), `path` normalised, `raw_path` as the client wrote it (error texts echo it)."""

    kind: str | None
    path: str
    raw_path: str
    args: Any
    fmt: convex_json.Format


class WireApp:
    """The protocol logic, separate from the socket plumbing: (method, target, headers, body) -> reply.
    `headers` maps lower-case names to values."""

    def __init__(self, backend: EmbeddedBackend, *, hidden: frozenset[str] = frozenset(), read_only: bool = False):
        self.backend = backend
        self.hidden = frozenset(hidden)
        self.read_only = read_only

    async def respond(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer from the event loop: a small request is parsed here, and a bounded read runs here too
        while the connection is free (a hand-off to a worker thread and back costs more than it does);
        everything else runs on the backend's worker thread, in turn with its other calls."""
        backend = self.backend  # read once: tests point the server at another database between requests
        if len(body) > _INLINE_BODY_MAX:
            return await backend.in_worker(self.handle, method, target, headers, body)
        parsed = self.parse(method, target, headers, body)
        if not isinstance(parsed, _Call):
            return parsed
        fn = get_function(parsed.path)
        kind = parsed.kind or (fn.kind if fn is not None else "")
        if backend.runs_inline(kind, parsed.path):  # nothing awaits from here to the reply
            return self.answer(parsed, backend)
        return await backend.in_worker(self.answer, parsed, backend)

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one request on the current thread."""
        parsed = self.parse(method, target, headers, body)
        return self.answer(parsed, self.backend) if isinstance(parsed, _Call) else parsed

    def parse(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> _Call | Reply:
        """The call a request asks for, or the reply that refuses the request."""
        try:
            return self._route(method, target, headers, body)
        except RequestError as err:
            return _request_reply(err)
        except Exception:  # the server must answer, whatever happened
            log.exception("internal error serving %s %s", method, target)
            return _INTERNAL_ERROR

    def answer(self, call: _Call, backend: EmbeddedBackend) -> Reply:
        """Run a parsed call: 200 and its outcome envelope."""
        try:
            return 200, {}, self._run(backend, call)
        except Exception:  # the server must answer, whatever happened
            log.exception("internal error running %s", call.raw_path)
            return _INTERNAL_ERROR

    def _route(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> _Call:
        url = urlsplit(target)
        route = url.path.rstrip("/") if url.path != "/" else url.path
        if route in _KIND_BY_ROUTE:
            kind: str | None = _KIND_BY_ROUTE[route]
            if method == "GET" and kind == "query":
                return self._get_query(url.query)
            self._require_post(method)
            payload = self._json_body(headers, body)
            path = payload.get("path")
            if not isinstance(path, str) or "args" not in payload:
                raise RequestError(
                    400, "BadJsonBody", "Failed to deserialize request body: missing field `path` or `args`"
                )
        elif route.startswith("/api/run/") or route == "/api/run":
            self._require_post(method)
            parts = [unquote(p) for p in route[len("/api/run/") :].split("/") if p]
            if len(parts) < 2:
                raise RequestError(
                    400, "MissingIdentifier", "Missing function identifier: expected /api/run/<module>/<function>"
                )
            path, kind = "/".join(parts[:-1]) + ":" + parts[-1], None
            payload = self._json_body(headers, body) if body.strip() else {}
            if "args" not in payload:
                raise RequestError(400, "BadJsonBody", "Failed to deserialize request body: missing field `args`")
        else:
            raise RequestError(404, "NotFound", f"No route for {echo(method)} {echo(url.path)}")
        fmt = self._format(payload.get("format", "json"))
        return _Call(kind, _normalise_path(path), path, payload["args"], fmt)

    def _get_query(self, query_string: str) -> _Call:
        params = {k: v[-1] for k, v in parse_qs(query_string).items()}
        if "path" not in params:
            raise RequestError(400, "BadQueryArgs", "Missing query parameter `path`")
        try:
            args = _parse_json(params.get("args", "{}"))
        except ValueError as exc:
            raise RequestError(400, "BadQueryArgs", f"Failed to parse `args`: {echo(str(exc))}") from None
        fmt = self._format(params.get("format", "json"))
        return _Call("query", _normalise_path(params["path"]), params["path"], args, fmt)

    @staticmethod
    def _require_post(method: str) -> None:
        if method != "POST":
            raise RequestError(405, "MethodNotAllowed", f"Method {method} not allowed; use POST", {"Allow": "POST"})

    @staticmethod
    def _json_body(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        content_type = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        if content_type != "application/json":
            raise RequestError(400, "BadJsonBody", "Expected Content-Type: application/json")
        try:
            payload = _parse_json(body.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError is a ValueError too
            raise RequestError(400, "BadJsonBody", f"Failed to parse JSON body: {echo(str(exc))}") from None
        if not isinstance(payload, dict):
            raise RequestError(400, "BadJsonBody", "Failed to deserialize request body: expected an object")
        return payload

    @staticmethod
    def _format(value: Any) -> convex_json.Format:
        if value is None:
            return "json"
        if not isinstance(value, str) or value not in _FORMATS:
            raise RequestError(400, "BadFormat", f"format param must be one of [`json`]. Got {echo(str(value))}")
        return _FORMATS[value]

    def _run(self, backend: EmbeddedBackend, call: _Call) -> bytes:
        """The outcome envelope of `call`, as JSON."""
        path, kind, fmt, args = call.path, call.kind, call.fmt, call.args
        fn = get_function(path)
        if isinstance(args, list) and len(args) == 1:  # legacy positional form
            args = args[0]
        try:
            if fn is None or path in self.hidden:
                raise FunctionNotFoundError(path)
            if self.read_only and (kind or fn.kind) != "query":
                return self._error("Uncaught Error: this backend is served read-only (--read-only): only queries run")
            args = convex_json.decode(args)
            value = backend.call_sync(kind or fn.kind, path, args)
            return convex_json.dumps_encoded({"status": "success", "value": value}, fmt)
        except FunctionNotFoundError:
            return self._error(error_text.function_not_found(echo(call.raw_path)))
        except WrongKindError as err:
            return self._error(err.message)
        except ArgumentValidationError as err:
            return self._error(error_text.argument_validation(err.message))
        except FunctionError as err:
            text = error_text.uncaught(err.js_name, err.message)
            if err.has_data:
                return self._error(text, data=err.data, has_data=True, fmt=fmt)
            return self._error(text)
        except Exception as err:  # a handler bug: Convex reports an uncaught JS error the same way
            log.exception("%s %s raised", kind or "run", path)
            return self._error(error_text.uncaught(type(err).__name__, echo(str(err))))

    @staticmethod
    def _error(text: str, *, data: Any = None, has_data: bool = False, fmt: convex_json.Format = "json") -> bytes:
        envelope: dict[str, Any] = {"status": "error", "errorMessage": _server_error(text)}
        if data is not None or has_data:
            envelope["errorData"] = data
        return convex_json.dumps_encoded(envelope, fmt)


# --------------------------------------------------------------------------- HTTP plumbing


def generate_key() -> str:
    """A fresh key for `backend serve` (shaped like a Convex deploy key: `name|secret`)."""
    return "embedded|" + secrets.token_urlsafe(32)


class _Disconnected(Exception):
    """The client went away before its request was read whole."""


class _Door:
    """The ASGI app: refuse what must not reach `WireApp` (wrong Host/Origin, no key, a body over the
    limit), then let it answer. Every reply is JSON; none carries CORS headers. Plain ASGI: a framework's
    routing and request/response objects would cost more per call than the work of a bounded read."""

    def __init__(self, app: WireApp, policy: HostPolicy, key: str, max_body: int):
        self.app, self.policy, self.max_body = app, policy, max_body
        self._expected = f"Convex {key}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1000})
            return
        try:
            status, headers, payload = await self._respond(scope, receive)
        except _Disconnected:
            return
        except Exception:  # the server must answer, whatever happened
            log.exception("internal error serving %s %s", scope.get("method"), scope.get("path"))
            status, headers, payload = _INTERNAL_ERROR
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        raw += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": payload})

    async def _respond(self, scope: dict[str, Any], receive: Any) -> Reply:
        headers: dict[str, str] = {}
        authorization = b""
        for name, value in scope["headers"]:  # the first of repeated headers counts
            if name == b"authorization" and "authorization" not in headers:
                authorization = value
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        refusal = self.policy.refusal(headers.get("host"), headers.get("origin"))
        if refusal is not None:
            status, reason = refusal
            code = "Misdirected" if status == 421 else "Forbidden"
            return status, {}, convex_json.dumps({"code": code, "message": reason})
        if not secrets.compare_digest(authorization, self._expected):
            code = "BadDeployKey" if authorization.startswith(b"Convex ") else "MissingDeployKey"
            message = (
                "The provided deploy key was invalid for deployment 'embedded'."
                if code == "BadDeployKey"
                else "Send the key `backend serve` was started with as `Authorization: Convex <key>`."
            )
            return 401, {"WWW-Authenticate": "Convex"}, convex_json.dumps({"code": code, "message": message})
        method = scope["method"]
        if method == "HEAD":
            return 405, {"Allow": "POST"}, b""
        try:
            body = await self._read_body(headers.get("content-length"), receive)
        except RequestError as err:
            return err.status, {"Connection": "close"}, convex_json.dumps({"code": err.code, "message": err.message})
        target = scope["raw_path"].decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        return await self.app.respond(method, target, headers, body)

    async def _read_body(self, declared: str | None, receive: Any) -> bytes:
        """The body, refused (413) as soon as it is known to exceed the limit: by its declared length, or
        while it streams in (chunked uploads declare none)."""
        too_large = RequestError(413, "PayloadTooLarge", f"Request body larger than {self.max_body} bytes")
        if declared is not None:
            if not declared.isdigit():
                raise RequestError(400, "BadJsonBody", "Bad Content-Length")
            if int(declared) > self.max_body:
                raise too_large
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise too_large
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def wire_asgi_app(app: WireApp, policy: HostPolicy, key: str, max_body: int = WIRE_MAX_BODY) -> _Door:
    return _Door(app, policy, key, max_body)


class WireServer:
    """An EmbeddedBackend behind the Convex HTTP API on `host:port` (port 0: an ephemeral port).

    `key` is what clients must send as `Authorization: Convex <key>` (generated when not given;
    read it from `.key`). `allowed_hosts` / `allowed_origins` default to the bound address.
    `read_only` opens the database read-only and refuses mutations and actions. `hidden` paths
    answer "Could not find public function" as if the deployment lacked them.
    `start()` serves from a background thread; `close()` stops it and drops every connection.
    """

    def __init__(
        self,
        db_path: str | Path | EmbeddedBackend,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        key: str | None = None,
        allowed_hosts: list[str] | None = None,
        allowed_origins: list[str] | None = None,
        read_only: bool = False,
        hidden: frozenset[str] | set[str] | tuple[str, ...] = (),
        max_body: int = WIRE_MAX_BODY,
    ):
        policy = HostPolicy.for_bind(host, allowed_hosts, allowed_origins)  # a bad bind fails before any I/O
        self.key = key or generate_key()
        self._owns_backend = not isinstance(db_path, EmbeddedBackend)
        if isinstance(db_path, EmbeddedBackend):
            self.backend = db_path
        else:
            self.backend = EmbeddedBackend(db_path, read_only=read_only)
        self.app = WireApp(self.backend, hidden=frozenset(hidden), read_only=read_only)
        try:
            self._sock = listen(host, port)
            self._address = self._sock.getsockname()
        except BaseException:
            if self._owns_backend:
                self.backend.store.close()
            raise
        self._server = quiet_uvicorn(wire_asgi_app(self.app, policy, self.key, max_body))
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def host(self) -> str:
        return str(self._address[0])

    @property
    def port(self) -> int:
        return int(self._address[1])

    @property
    def url(self) -> str:
        host = self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"wire-{self.port}", daemon=True)
            self._thread.start()
            self._server.ready.wait(10)
            log.info("Convex HTTP API for the embedded backend on %s", self.url)
        return self

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C reaches the caller as KeyboardInterrupt)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._server.stop()  # uvicorn closes the listening socket as it shuts down
            self._thread.join(timeout=30)
        else:
            self._sock.close()
        if self._owns_backend:
            self.backend.store.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_wire(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 3210,
    *,
    key: str | None = None,
    allowed_hosts: list[str] | None = None,
    allowed_origins: list[str] | None = None,
    read_only: bool = False,
) -> None:
    """Serve the embedded database at `db_path` over the Convex HTTP API until interrupted.

    Without `key`, one is generated and printed once to stderr (never logged). Logs go to stderr.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    server = WireServer(
        db_path, host, port, key=key, allowed_hosts=allowed_hosts, allowed_origins=allowed_origins, read_only=read_only
    )
    if key is None:
        sys.stderr.write(
            f"backend serve: generated key (shown once): {server.key}\n"
            "  clients send 'Authorization: Convex <key>'; "
            "cortex-mcp --backend convex reads it from CONVEX_DEPLOY_KEY\n"
        )
        sys.stderr.flush()
    if not is_loopback(host):
        log.warning("serving on %s: anyone who can reach it and holds the key can read and change the database", host)
    run_until_stopped(server)
