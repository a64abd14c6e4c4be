"""The Starlette app behind `cortex-mcp ui`: a door, then read-only views.

Every request passes the door first, with the HTTP transport's rules: an allowed Host and Origin
(rebinding.py: 421 / 403), and, when the server has tokens (auth.py), one of them, either as
`Authorization: Bearer <token>` or as the session cookie a sign-in with the token sets (browsers
cannot send a header on a plain link). A request is then held to its token's scope, made
read-only: the views get a `ScopedBackend` with `write=False`, which refuses every mutation and
action, whatever a view asks for (the embedded database is also opened read-only).

Pages are server-rendered (ui/templates.py); the Content-Security-Policy allows no script at all.
"""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from cortex_mcp import __version__
from cortex_mcp.api.embeddings import Embedder
from cortex_mcp.auth import FULL, PermissionDenied, Scope, StaticTokenVerifier, Token
from cortex_mcp.backends.base import Backend
from cortex_mcp.backends.scoped import ScopedBackend
from cortex_mcp.errors import BackendUnavailableError, CortexError
from cortex_mcp.limits import check_arguments, echo
from cortex_mcp.rebinding import HostPolicy
from cortex_mcp.ui import templates, views
from cortex_mcp.ui.html import Markup, escape, render, url
from cortex_mcp.ui.views import NotFound, Page, View

log = logging.getLogger("cortex_mcp.ui")

COOKIE = "cortex_ui"
MAX_SESSIONS = 1000  # signed-in browsers remembered (the oldest is forgotten first)
HEADERS = {
    # No script, no remote anything; forms post only here; never framed (clickjacking).
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

ViewFn = Callable[..., Awaitable[Page]]


def read_only(backend: Backend, scope: Scope = FULL) -> ScopedBackend:
    """`backend` held to `scope` and to queries only: mutations and actions are refused."""
    return ScopedBackend(backend, replace(scope, write=False))


class UiApp:
    """The page over one open backend. `tokens` empty: no sign-in (loopback only, the CLI checks)."""

    def __init__(
        self,
        backend: Backend,
        *,
        policy: HostPolicy,
        tokens: list[Token] | None = None,
        memory_space: str = "default",
        db_path: Path | None = None,
        embedder: Embedder | None = None,
    ):
        self.backend, self.policy, self.memory_space, self.db_path = backend, policy, memory_space, db_path
        self.embedder = embedder
        self.tokens = {t.name: t for t in tokens or []}
        self._verifier = StaticTokenVerifier(list(self.tokens.values()))
        self._sessions: OrderedDict[str, str] = OrderedDict()  # session id -> token name

    # -- the door ---------------------------------------------------------------------------------

    async def _token(self, request: Request) -> Token | None:
        """The caller's token (header or session cookie); None when there is none or it is wrong."""
        header = request.headers.get("authorization") or ""
        if header[:7].lower() == "bearer ":
            found = await self._verifier.verify_token(header[7:].strip())
            return self.tokens.get(found.client_id or "") if found else None
        session = request.cookies.get(COOKIE)
        name = self._sessions.get(session) if session else None
        return self.tokens.get(name) if name else None

    def _page(self, page: Page, space: str = "", query: str = "") -> HTMLResponse:
        links = {name: escape(url(*path, space=space or None)) for name, path in
                 (("home", ()), ("users", ("users",)), ("contexts", ("contexts",)), ("threads", ("threads",)))}
        html = templates.PAGE.substitute(title=escape(page.title), body=page.body, style=templates.STYLE,
                                         space=escape(space), query=escape(query), backend=escape(self.backend.name),
                                         version=escape(__version__), **links)
        return HTMLResponse(html, page.status, headers=HEADERS)

    def _error(self, status: int, message: str, space: str = "", headers: dict[str, str] | None = None) -> Response:
        title = {400: "Bad request", 401: "Sign in", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
                 421: "Misdirected request", 502: "Backend unavailable"}.get(status, "Error")
        body = templates.ERROR.substitute(message=escape(message), home=escape(url(space=space or None)))
        response = self._page(Page(title, Markup(body), status), space)
        response.headers.update(headers or {})
        return response

    async def _admit(self, request: Request) -> Response | Scope:
        """The door: a refusal page, or the scope the request is held to."""
        refusal = self.policy.refusal(request.headers.get("host"), request.headers.get("origin"))
        if refusal is not None:
            return self._error(*refusal)
        if not self.tokens:
            return FULL
        token = await self._token(request)
        return self._login(401) if token is None else token.scope

    def route(self, fn: ViewFn, *names: str) -> Callable[[Request], Awaitable[Response]]:
        """An endpoint: the door, then `fn(view, *path_params)`, its errors shown as pages."""

        async def endpoint(request: Request) -> Response:
            scope = await self._admit(request)
            if isinstance(scope, Response):
                return scope
            space = request.query_params.get("space", "").strip() or scope.default_space(self.memory_space)
            view = View(read_only(self.backend, scope), space, dict(request.query_params), scope, self.db_path,
                        self.embedder)
            try:
                check_arguments({"memory_space_id": space})
                scope.check_space(space, "space")  # recall would only find nothing; say why instead
                page = await fn(view, *(request.path_params[n] for n in names))
            except NotFound as exc:
                return self._error(404, exc.message, space)
            except PermissionDenied as exc:
                return self._error(403, exc.message, space)
            except BackendUnavailableError as exc:
                return self._error(502, exc.message, space)
            except CortexError as exc:  # bad input, or a backend's refusal of what was asked (a malformed id)
                return self._error(400, exc.message, space)
            return self._page(page, space, view.param("q"))

        return endpoint

    # -- sign-in (only when the server has tokens) -----------------------------------------------

    def _login(self, status: int = 200, message: str = "") -> Response:
        note = render('<p class="error">$m</p>', m=message) if message else Markup("")
        page = Page("Sign in", Markup(note + templates.LOGIN.substitute()), status)
        response = self._page(page)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"  # as the HTTP transport answers
        return response

    async def login_form(self, request: Request) -> Response:
        refusal = self.policy.refusal(request.headers.get("host"), request.headers.get("origin"))
        return self._error(*refusal) if refusal else self._login()

    async def login(self, request: Request) -> Response:
        """POST token=...: a valid token gets a session cookie (HttpOnly, SameSite=Strict)."""
        refusal = self.policy.refusal(request.headers.get("host"), request.headers.get("origin"))
        if refusal is not None:
            return self._error(*refusal)
        if not self.tokens:
            return RedirectResponse("/", 303)
        body = b""
        async for chunk in request.stream():  # bounded while reading: a huge body is never buffered
            body += chunk
            if len(body) > 4096:
                return self._error(400, "the sign-in form is larger than 4096 bytes")
        given = next(iter(parse_qs(body.decode("utf-8", "replace")).get("token", [])), None)
        found = await self._verifier.verify_token(given) if isinstance(given, str) and given else None
        if found is None:
            return self._login(401, "That token is not one of this server's tokens.")
        session = secrets.token_urlsafe(32)
        self._sessions[session] = found.client_id or ""
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        log.info("ui: signed in with token %s", found.client_id)
        response = RedirectResponse("/", 303)
        response.set_cookie(COOKIE, session, httponly=True, samesite="strict", path="/")
        return response

    async def logout(self, request: Request) -> Response:
        refusal = self.policy.refusal(request.headers.get("host"), request.headers.get("origin"))
        if refusal is not None:
            return self._error(*refusal)
        self._sessions.pop(request.cookies.get(COOKIE, ""), None)
        response = RedirectResponse("/login", 303)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def user_form(self, request: Request) -> Response:
        """The users page's form (GET /user?id=...) goes to /user/<id>."""
        scope = await self._admit(request)
        if isinstance(scope, Response):
            return scope
        user_id = request.query_params.get("id", "").strip()
        if not user_id:
            return self._error(400, "give a user id")
        return RedirectResponse(url("user", user_id, space=request.query_params.get("space") or None), 303)

    def starlette(self) -> Starlette:
        def get(path: str, fn: ViewFn, *names: str) -> Route:
            return Route(path, self.route(fn, *names), methods=["GET", "HEAD"])

        routes = [
            get("/", views.overview),
            get("/search", views.search),
            get("/memory/{memory_id}", views.memory, "memory_id"),
            get("/fact/{fact_id}", views.fact, "fact_id"),
            get("/users", views.users),
            Route("/user", self.user_form, methods=["GET", "HEAD"]),
            get("/user/{user_id}", views.user, "user_id"),
            get("/contexts", views.contexts),
            get("/context/{context_id}", views.context, "context_id"),
            get("/threads", views.threads),
            get("/thread", views.thread),
            Route("/login", self.login_form, methods=["GET", "HEAD"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
        ]

        async def not_found(request: Request, exc: Exception) -> Response:
            status = getattr(exc, "status_code", 404)
            refusal = self.policy.refusal(request.headers.get("host"), request.headers.get("origin"))
            if refusal is not None:
                return self._error(*refusal)
            message = "only GET is served here: this page changes nothing" if status == 405 else \
                f"there is no page at {echo(request.url.path)}"
            return self._error(405 if status == 405 else 404, message,
                               headers={"Allow": "GET, HEAD"} if status == 405 else None)

        return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})


def ui_asgi_app(backend: Backend, **kwargs: Any) -> Starlette:
    return UiApp(backend, **kwargs).starlette()
