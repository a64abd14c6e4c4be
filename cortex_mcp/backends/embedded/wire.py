"""Serve an EmbeddedBackend over the Convex HTTP API (spec/convex-http-api.md).

This lets the Convex adapter, the parity doctor and any Convex HTTP client run against the
embedded SQLite backend: `POST /api/query|mutation|action` and `/api/run/<module>/<fn>`, the
same success/error envelopes, error texts and request-level failures as a local Convex
deployment. Numbers go out as float64, as Convex writes them (`50.0`). Standard library only:
`http.server.ThreadingHTTPServer`; the store serialises calls itself.
"""

from __future__ import annotations

import json
import logging
import secrets
import selectors
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cortex_mcp.backends.embedded.backend import EmbeddedBackend
from cortex_mcp.contract import convex_json, error_text
from cortex_mcp.contract.catalog import get_function
from cortex_mcp.errors import ArgumentValidationError, FunctionError, FunctionNotFoundError, WrongKindError

log = logging.getLogger("cortex_mcp.wire")

_KIND_BY_ROUTE = {"/api/query": "query", "/api/mutation": "mutation", "/api/action": "action"}
_FORMATS: dict[str, convex_json.Format] = {"json": "json", "convex_clean_json": "json", "convex_encoded_json": "encoded", "convex_json": "encoded"}
_MAX_BODY = 32 * 1024 * 1024


class RequestError(Exception):
    """A request-level problem: non-2xx with `{"code", "message"}`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _request_id() -> str:
    return secrets.token_hex(8)


def _server_error(text: str) -> str:
    return error_text.server_error(text, _request_id())


# --------------------------------------------------------------------------- dispatch


def _normalise_path(path: str) -> str:
    """`memories.js:store` is `memories:store`; another extension is a 400; no `:` = default export."""
    module, sep, export = path.partition(":")
    if not sep:
        export = "default"
    last = module.rsplit("/", 1)[-1]
    if "." in last:
        stem, ext = last.rsplit(".", 1)
        if ext != "js":
            raise RequestError(
                400,
                "BadConvexFunctionIdentifier",
                f"{path} is not a valid path to a Convex function. Module path ({module}) has an extension "
                f"that isn't 'js'.",
            )
        module = module[: -len(".js")]
    return f"{module}:{export}"


class WireApp:
    """The protocol logic, separate from the socket plumbing: (method, target, headers, body) -> reply."""

    def __init__(
        self, backend: EmbeddedBackend, *, hidden: frozenset[str] = frozenset(), deploy_key: str | None = None
    ):
        self.backend = backend
        self.hidden = frozenset(hidden)
        self.deploy_key = deploy_key

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            return 200, {}, convex_json.dumps(self._route(method, target, headers, body))
        except RequestError as err:
            return err.status, err.headers, convex_json.dumps({"code": err.code, "message": err.message})
        except Exception:  # the server must answer, whatever happened
            log.exception("internal error serving %s %s", method, target)
            reply = {"code": "InternalServerError", "message": "Your request couldn't be completed. Try again later."}
            return 500, {}, convex_json.dumps(reply)

    def _route(self, method: str, target: str, headers: Any, body: bytes) -> dict[str, Any]:
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
            parts = [unquote(p) for p in route[len("/api/run/"):].split("/") if p]
            if len(parts) < 2:
                raise RequestError(
                    400, "MissingIdentifier", "Missing function identifier: expected /api/run/<module>/<function>"
                )
            path, kind = "/".join(parts[:-1]) + ":" + parts[-1], None
            payload = self._json_body(headers, body) if body.strip() else {}
            if "args" not in payload:
                raise RequestError(400, "BadJsonBody", "Failed to deserialize request body: missing field `args`")
        else:
            raise RequestError(404, "NotFound", f"No route for {method} {url.path}")
        self._check_auth(headers)
        fmt = self._format(payload.get("format", "json"))
        return self._run(kind, path, payload["args"], fmt)

    def _get_query(self, query_string: str) -> dict[str, Any]:
        params = {k: v[-1] for k, v in parse_qs(query_string).items()}
        if "path" not in params:
            raise RequestError(400, "BadQueryArgs", "Missing query parameter `path`")
        try:
            args = json.loads(params.get("args", "{}"))
        except ValueError as exc:
            raise RequestError(400, "BadQueryArgs", f"Failed to parse `args`: {exc}") from None
        return self._run("query", params["path"], args, self._format(params.get("format", "json")))

    @staticmethod
    def _require_post(method: str) -> None:
        if method != "POST":
            raise RequestError(405, "MethodNotAllowed", f"Method {method} not allowed; use POST", {"Allow": "POST"})

    @staticmethod
    def _json_body(headers: Any, body: bytes) -> dict[str, Any]:
        content_type = (headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if content_type != "application/json":
            raise RequestError(400, "BadJsonBody", "Expected Content-Type: application/json")
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise RequestError(400, "BadJsonBody", f"Failed to parse JSON body: {exc}") from None
        if not isinstance(payload, dict):
            raise RequestError(400, "BadJsonBody", "Failed to deserialize request body: expected an object")
        return payload

    def _check_auth(self, headers: Any) -> None:
        auth = headers.get("Authorization") or ""
        if self.deploy_key is not None and auth.startswith("Convex ") and auth[len("Convex "):] != self.deploy_key:
            raise RequestError(401, "BadDeployKey", "The provided deploy key was invalid for deployment 'embedded'.")

    @staticmethod
    def _format(value: Any) -> convex_json.Format:
        if value is None:
            return "json"
        if not isinstance(value, str) or value not in _FORMATS:
            raise RequestError(400, "BadFormat", f"format param must be one of [`json`]. Got {value}")
        return _FORMATS[value]

    def _run(self, kind: str | None, raw_path: str, args: Any, fmt: convex_json.Format) -> dict[str, Any]:
        path = _normalise_path(raw_path)
        fn = get_function(path)
        if isinstance(args, list) and len(args) == 1:  # legacy positional form
            args = args[0]
        try:
            if fn is None or path in self.hidden:
                raise FunctionNotFoundError(path)
            args = convex_json.decode(args)
            value = self.backend.call_sync(kind or fn.kind, path, args)
            return {"status": "success", "value": convex_json.encode(value, fmt)}
        except FunctionNotFoundError:
            return self._error(error_text.function_not_found(raw_path))
        except WrongKindError as err:
            return self._error(err.message)
        except ArgumentValidationError as err:
            return self._error(error_text.argument_validation(err.message))
        except FunctionError as err:
            text = error_text.uncaught(err.js_name, err.message)
            if err.has_data:
                return self._error(text, data=convex_json.encode(err.data, fmt), has_data=True)
            return self._error(text)
        except Exception as err:  # a handler bug: Convex reports an uncaught JS error the same way
            log.exception("%s %s raised", kind or "run", path)
            return self._error(error_text.uncaught(type(err).__name__, str(err)))

    @staticmethod
    def _error(text: str, *, data: Any = None, has_data: bool = False) -> dict[str, Any]:
        envelope: dict[str, Any] = {"status": "error", "errorMessage": _server_error(text)}
        if data is not None or has_data:
            envelope["errorData"] = data
        return envelope


# --------------------------------------------------------------------------- HTTP plumbing


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "cortex-mcp-wire"
    server: "_HTTPServer"

    def _serve(self) -> None:
        length = self.headers.get("Content-Length")
        try:
            size = int(length) if length else 0
        except ValueError:
            size = -1
        if size < 0 or size > _MAX_BODY:
            self._reply(400, {}, convex_json.dumps({"code": "BadJsonBody", "message": "Bad Content-Length"}), close=True)
            return
        body = self.rfile.read(size) if size else b""
        status, headers, payload = self.server.app.handle(self.command, self.path, self.headers, body)
        self._reply(status, headers, payload)

    def _reply(self, status: int, headers: dict[str, str], payload: bytes, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def do_HEAD(self) -> None:  # noqa: N802 - http.server naming
        self._reply(405, {"Allow": "POST"}, b"")

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server naming
        log.debug("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        log.info("%s %s", self.address_string(), format % args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: WireApp):
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            (self._connections.add if alive else self._connections.discard)(conn)

    def drop_connections(self) -> None:
        """Close kept-alive connections too, so a stopped server really is unreachable."""
        with self._connections_lock:
            conns, self._connections = list(self._connections), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class WireServer:
    """An EmbeddedBackend behind the Convex HTTP API on `host:port` (port 0: an ephemeral port).

    `start()` serves from a background thread (tests); `serve_forever()` blocks. `hidden`
    paths answer "Could not find public function" as if the deployment lacked them.
    """

    def __init__(
        self,
        db_path: str | Path | EmbeddedBackend,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        hidden: frozenset[str] | set[str] | tuple[str, ...] = (),
        deploy_key: str | None = None,
    ):
        self._owns_backend = not isinstance(db_path, EmbeddedBackend)
        self.backend = EmbeddedBackend(db_path) if self._owns_backend else db_path  # type: ignore[arg-type]
        self.app = WireApp(self.backend, hidden=frozenset(hidden), deploy_key=deploy_key)
        try:
            self._httpd = _HTTPServer((host, port), self.app)
        except BaseException:
            if self._owns_backend:
                self.backend.store.close()
            raise
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def host(self) -> str:
        return self._httpd.server_address[0]

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        host = self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> "WireServer":
        """Serve from a daemon thread; `close()` wakes it at once (no polling interval)."""
        if self._thread is None:
            self._wake_r, self._wake_w = socket.socketpair()
            self._thread = threading.Thread(target=self._loop, name=f"wire-{self.port}", daemon=True)
            self._thread.start()
            log.info("Convex HTTP API for the embedded backend on %s", self.url)
        return self

    def _loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._httpd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r:
                        return
                    self._httpd._handle_request_noblock()  # accept + hand to a thread (socketserver API)

    def serve_forever(self) -> None:
        log.info("Convex HTTP API for the embedded backend on %s", self.url)
        self._httpd.serve_forever()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._wake_w.send(b"x")
            self._thread.join(timeout=5)
            self._wake_r.close()
            self._wake_w.close()
        self._httpd.server_close()
        self._httpd.drop_connections()
        if self._owns_backend:
            self.backend.store.close()

    def __enter__(self) -> "WireServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()


def serve_wire(db_path: str | Path, host: str = "127.0.0.1", port: int = 3210) -> None:
    """Serve the embedded database at `db_path` over the Convex HTTP API until interrupted.

    Logs go to stderr (a basic logging setup is made if the process has none).
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    server = WireServer(db_path, host, port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s: anyone who can reach it can read and change the database", host)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        server.close()
