"""ConvexBackend: the Backend protocol over the Convex HTTP API (spec/convex-http-api.md).

Every call is checked against the catalog first (unknown function, wrong kind, argument
validator), so a bad call fails locally with the same error kind the embedded backend raises
and never costs a request. The reply envelope is mapped onto the error family:

- `status: success` -> the value, with integral floats turned back into ints (Convex returns
  every number as a float64: `50.0`), so tools see the same shapes on both backends;
- `status: error` + `errorData` -> `FunctionError` whose code comes from `errorData` only;
- `status: error` without `errorData` -> `ArgumentValidationError` / `FunctionNotFoundError` /
  `WrongKindError` when the message says so, else a plain `FunctionError` whose message is
  the thrown error's own text (the `[Request ID: ..] Server Error` / `Uncaught Error:` wrapping
  and stack frames are stripped; a production-redacted message is kept whole).

HTTP 200 and 560 carry function outcomes; other 4xx are request problems (`CortexError` with the
body's code), 5xx, refused connections and timeouts are `BackendUnavailableError`, and so is any
reply that is not a Convex envelope (HTML, malformed JSON, a missing value, a redirect: never an
empty result). One deadline (`timeout`) bounds the whole call: connect, send, receive and retries,
however slowly a server trickles its reply; a reply over `max_reply_bytes` is refused while it
streams in. Only queries are retried (with backoff, inside the deadline); a mutation or action is
sent once.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import time
import urllib.request
from typing import Any, NamedTuple

import anyio
import httpcore
import httpx

from cortex_mcp.backends.base import KindDispatch, check_call
from cortex_mcp.contract import convex_json, error_text
from cortex_mcp.errors import (
    ArgumentValidationError,
    BackendUnavailableError,
    CortexError,
    FunctionError,
    FunctionNotFoundError,
    WrongKindError,
)
from cortex_mcp.limits import echo

log = logging.getLogger("cortex_mcp.backends.convex")

# httpcore asks `import sniffio` (an optional package) four times per request; where it is not
# installed each failed import searches all of sys.path again (~0.1 ms a request). Recording the
# absence once makes the same ImportError immediate.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

_ENDPOINTS = {"query": "/api/query", "mutation": "/api/mutation", "action": "/api/action"}
_OUTCOME_STATUSES = {200, 560}
_BACKOFF_S = 0.1
MAX_REPLY_BYTES = 64 * 1024 * 1024  # a reply larger than this is refused while it streams in



# --------------------------------------------------------------------------- error mapping


def _thrown(message: str) -> tuple[str | None, str]:
    """(error name, text) a function threw; a production-redacted message is kept whole."""
    body = error_text.strip_server_error(message)
    if not body.strip():
        return None, message  # the request id helps support
    return error_text.thrown(body)


def error_from_envelope(path: str, body: dict[str, Any]) -> CortexError:
    """Map a `status: error` envelope onto the error family."""
    message = body.get("errorMessage")
    if not isinstance(message, str):
        message = "Server Error"
    if "errorData" in body:
        data = convex_json.decode(body["errorData"])
        if error_text.strip_server_error(message).strip():
            text = _thrown(message)[1]
        else:  # redacted: the data is the contract
            text = data if isinstance(data, str) else json.dumps(data)
        return FunctionError(text, data=data, has_data=True)
    body_text = error_text.strip_server_error(message)
    validation = error_text.argument_validation_text(body_text)
    if validation is not None:
        return ArgumentValidationError(validation, path=error_text.validation_path(validation))
    if error_text.is_function_not_found(body_text):
        return FunctionNotFoundError(path)
    if body_text.startswith("Trying to execute ") and error_text.wrong_kind_parts(body_text):
        return WrongKindError(body_text.strip().split("\n", 1)[0])
    name, text = _thrown(message)
    return FunctionError(text, js_name=name or "Error")


class _Reply(NamedTuple):
    """An HTTP reply read whole (its body decoded)."""

    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


def _request_error(reply: _Reply) -> CortexError:
    """A non-outcome 4xx: the body is `{"code", "message"}` when it comes from Convex."""
    code, message = f"HTTP_{reply.status}", echo(reply.text.strip()) or httpx.codes.get_reason_phrase(reply.status)
    try:
        body = json.loads(reply.content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        if isinstance(body_code := body.get("code"), str):
            code = body_code
        if isinstance(body_message := body.get("message"), str):
            message = body_message
    hint = None
    if reply.status in (401, 403):
        hint = "Check the deploy key / auth token given for the Convex deployment."
    return CortexError(f"{message} (HTTP {reply.status})", code=code, hint=hint)


# --------------------------------------------------------------------------- backend

_SSL_CONTEXT: Any = None


def _ssl_context() -> Any:
    """One verifying TLS context per process: building it costs ~60 ms per client otherwise."""
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = httpx.create_ssl_context()
    return _SSL_CONTEXT



class _OneSendStream(httpcore.AsyncNetworkStream):
    """A connection whose writes are held until the next read, so a request's head and body leave in
    one send: one packet and one wake-up of the server instead of two (httpcore writes them apart;
    on loopback each send costs ~0.2 ms of CPU). A request is always written whole before its
    reply is read, so nothing waits in the buffer."""

    def __init__(self, stream: httpcore.AsyncNetworkStream):
        self._stream = stream
        self._pending: list[bytes] = []
        self._timeout: float | None = None

    async def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            await self._stream.write(data, self._timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._pending.append(buffer)
        self._timeout = timeout

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        await self._flush()
        return await self._stream.read(max_bytes, timeout)

    async def aclose(self) -> None:
        self._pending.clear()
        await self._stream.aclose()

    async def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        await self._flush()
        return _OneSendStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _OneSendBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        return _OneSendStream(await self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        return _OneSendStream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for `url`: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY unless NO_PROXY
    covers the host, as httpx's default transport reads them (a transport of our own must read them
    itself). A loopback host (`backend serve` on this machine) never goes through a proxy."""
    target = httpx.URL(url)
    if target.host in ("localhost", "127.0.0.1", "::1"):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(target.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(target.host):
        return None
    return proxy


def _transport(url: str) -> httpx.AsyncHTTPTransport:
    """httpx's transport (keep-alive pool, HTTP/1.1) whose connections send each request at once,
    through the environment's proxy when one applies."""
    transport = httpx.AsyncHTTPTransport(verify=_ssl_context(), proxy=_proxy_for(url))
    if type(getattr(transport, "_pool", None)) is httpcore.AsyncConnectionPool:  # httpx's own pool (a proxy's is kept)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)  # as httpx's
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_OneSendBackend(),
        )
    return transport


class ConvexBackend(KindDispatch):
    """A Convex deployment running the Cortex functions, over its HTTP API."""

    name = "convex"

    def __init__(
        self,
        url: str,
        *,
        deploy_key: str | None = None,
        auth_token: str | None = None,
        timeout: float = 10.0,
        query_retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ):
        self.url = url.rstrip("/")
        self.timeout = float(timeout)
        self.max_reply_bytes = int(max_reply_bytes)
        self.query_retries = max(0, int(query_retries))
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if deploy_key:
            headers["Authorization"] = f"Convex {deploy_key}"
        elif auth_token:
            headers["Authorization"] = f"Bearer {auth_token}"
        # Requests go straight to the transport: the client's per-request steps (auth and redirect
        # flows, event hooks, a cookie jar) are nothing these calls use, and cost ~0.1 ms a call. The
        # client gives the default headers, and closes the transport.
        self._transport = transport or _transport(self.url)
        self._client = httpx.AsyncClient(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(self.timeout),
            transport=self._transport,
            verify=_ssl_context(),
            follow_redirects=False,
        )
        self._urls = {endpoint: httpx.URL(self.url + endpoint) for endpoint in _ENDPOINTS.values()}

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- internals

    async def _call(self, kind: str, path: str, args: dict[str, Any]) -> Any:
        check_call(kind, path, args)  # a mismatch fails here, before any request
        return self._outcome(path, await self._exchange(kind, path, args))

    def _outcome(self, path: str, reply: _Reply) -> Any:
        """The function's value, or its error; a reply that is not a Convex envelope (a proxy's HTML
        page, malformed JSON, a missing value, a redirect) is BACKEND_UNAVAILABLE, never an empty result."""
        status = reply.status
        if status in _OUTCOME_STATUSES or 200 <= status < 300:
            try:  # integral floats become ints while parsing: no second walk over the reply
                body = convex_json.loads(reply.content)
            except (ValueError, RecursionError):
                body = None
            if isinstance(body, dict) and body.get("status") == "success" and "value" in body:
                return body["value"]
            if isinstance(body, dict) and body.get("status") == "error":
                raise error_from_envelope(path, body)
            raise BackendUnavailableError(
                f"{path}: {self.url} sent a reply that is not a Convex function result "
                f"(HTTP {status}): {echo(reply.text)!r}"
            )
        if 300 <= status < 400:
            raise BackendUnavailableError(
                f"{path}: {self.url} redirected (HTTP {status} to {echo(reply.headers.get('location', '?'))}); "
                "redirects are not followed: check the deployment URL"
            )
        if status >= 500:
            raise BackendUnavailableError(f"{self.url} answered HTTP {status}: {echo(reply.text)}")
        raise _request_error(reply)

    async def send(self, kind: str, path: str, args: Any) -> httpx.Response:
        """POST one call to the endpoint of `kind`, unchecked; queries retry transient failures.

        Returns the HTTP response of the last attempt (an outcome or a request error), read whole;
        raises BackendUnavailableError when the deployment could not be reached in time.
        The doctor uses this directly to send probes the catalog would refuse.
        """
        reply = await self._exchange(kind, path, args)
        # The body is already decoded: drop the headers that describe the encoded form.
        headers = [
            (k, v) for k, v in reply.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(reply.status, headers=headers, content=reply.content)

    async def _exchange(self, kind: str, path: str, args: Any) -> _Reply:
        """`send`, without building a second response object for the reply."""
        body = json.dumps(
            {"path": path, "args": convex_json.encode(args), "format": "json"}, ensure_ascii=False, allow_nan=False
        ).encode()
        endpoint = _ENDPOINTS[kind]
        attempts = 1 + (self.query_retries if kind == "query" else 0)
        deadline = time.monotonic() + self.timeout
        last: str = ""
        for attempt in range(attempts):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                with anyio.fail_after(remaining):  # connect + send + receive, not each socket read
                    reply = await self._post(endpoint, body, remaining)
            except (httpx.TransportError, TimeoutError) as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if isinstance(exc, TimeoutError):
                    last = f"no complete reply within {self.timeout:g} s"
                if kind != "query":
                    unknown = ""
                    if not isinstance(exc, httpx.ConnectError):
                        unknown = " The outcome is unknown; it was not retried."
                    raise BackendUnavailableError(
                        f"{kind} {path} failed: cannot reach {self.url} ({last}).{unknown}"
                    ) from exc
                log.debug("query %s attempt %d failed: %s", path, attempt + 1, last)
            else:
                if reply.status < 500 or reply.status == 560 or kind != "query":
                    return reply
                last = f"HTTP {reply.status}"
                if attempt + 1 == attempts:
                    return reply
                log.debug("query %s attempt %d got %s", path, attempt + 1, last)
            if attempt + 1 < attempts:
                pause = min(_BACKOFF_S * (2**attempt), deadline - time.monotonic())
                if pause <= 0:
                    break
                await anyio.sleep(pause)
        raise BackendUnavailableError(f"{kind} {path} failed: cannot reach {self.url} ({last or 'timed out'}).")

    async def _post(self, endpoint: str, body: bytes, remaining: float) -> _Reply:
        """One POST whose reply is read in full, refused as soon as it exceeds `max_reply_bytes`."""
        if self._client.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        # Built directly (not `build_request`: no per-call URL merging, cookie jar or params to apply)
        request = httpx.Request(
            "POST", self._urls[endpoint], headers=self._client.headers, content=body,
            extensions={"timeout": httpx.Timeout(remaining).as_dict()},
        )
        response = await self._transport.handle_async_request(request)
        try:
            declared = response.headers.get("content-length", "")
            too_large = BackendUnavailableError(
                f"{self.url} sent a reply larger than {self.max_reply_bytes} bytes; refused"
            )
            if declared.isdigit() and int(declared) > self.max_reply_bytes:
                raise too_large
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_reply_bytes:
                    raise too_large
                chunks.append(chunk)
        finally:
            await response.aclose()
        return _Reply(response.status_code, response.headers, b"".join(chunks))
