"""The page's door: the HTTP transport's Host/Origin rules and tokens, sign-in, headers, methods,
and the `cortex-mcp ui` command (exposure refused, missing database, --help)."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from click.testing import CliRunner

from cortex_mcp.auth import Scope, Token
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.cli import cli
from cortex_mcp.config import Config
from cortex_mcp.rebinding import HostPolicy
from cortex_mcp.ui.app import COOKIE, ui_asgi_app
from cortex_mcp.ui.serve import check_exposure, open_read_only
from tests.helpers import ROOT
from tests.ui.seed import seed

pytestmark = pytest.mark.anyio

FULL_TOKEN = Token("laptop", "s" * 32, Scope())
SPACE_TOKEN = Token("project", "p" * 32, Scope(spaces=frozenset({"test-space"}), users=frozenset({"alex"})))


@pytest.fixture
async def store(tmp_path):
    backend = EmbeddedBackend(tmp_path / "cortex.db")
    await seed(backend)
    try:
        yield backend
    finally:
        await backend.aclose()


def client(backend, tokens=None, **policy) -> httpx.AsyncClient:
    app = ui_asgi_app(backend, policy=HostPolicy.for_bind("127.0.0.1", **policy), tokens=tokens,
                      memory_space="default")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8765")


async def test_host_and_origin_rules_are_the_http_transports(store):
    async with client(store) as http:
        assert (await http.get("/")).status_code == 200
        assert (await http.get("/", headers={"Host": "localhost:8765"})).status_code == 200
        rebound = await http.get("/", headers={"Host": "evil.example:8765"})
        assert rebound.status_code == 421 and "evil.example" in rebound.text and "--allowed-hosts" in rebound.text
        cross = await http.get("/search", params={"q": "x"}, headers={"Origin": "http://evil.example"})
        assert cross.status_code == 403 and "--allowed-origins" in cross.text
        same = await http.get("/search", headers={"Origin": "http://127.0.0.1:8765"})
        assert same.status_code == 200
        # The door comes before everything, unknown paths and sign-in included.
        assert (await http.get("/nothing-here", headers={"Host": "evil.example"})).status_code == 421
        assert (await http.post("/login", headers={"Origin": "http://evil.example"})).status_code == 403
    async with client(store, hosts=["memory.internal:*"]) as http:
        assert (await http.get("/", headers={"Host": "memory.internal:9000"})).status_code == 200
        assert (await http.get("/")).status_code == 421  # only what was listed


async def test_without_tokens_no_sign_in_is_asked(store):
    async with client(store) as http:
        assert (await http.get("/login")).status_code == 200
        assert (await http.post("/login", data={"token": "anything"})).status_code == 303


async def test_with_tokens_every_page_needs_one(store):
    async with client(store, tokens=[FULL_TOKEN]) as http:
        for path in ("/", "/search?q=Paris", "/user/alex", "/threads", "/user?id=alex"):
            response = await http.get(path)
            assert response.status_code == 401, path
            assert "Sign in" in response.text and "Paris" not in response.text
            assert response.headers["www-authenticate"] == "Bearer"
        wrong = await http.get("/", headers={"Authorization": "Bearer " + "x" * 32})
        assert wrong.status_code == 401
        right = await http.get("/", headers={"Authorization": f"Bearer {FULL_TOKEN.secret}"})
        assert right.status_code == 200 and "Memory spaces" in right.text


async def test_sign_in_sets_a_strict_http_only_session_cookie(store):
    async with client(store, tokens=[FULL_TOKEN]) as http:
        refused = await http.post("/login", data={"token": "not-the-token-at-all"})
        assert refused.status_code == 401 and "is not one of this server" in refused.text
        assert COOKIE not in http.cookies
        signed = await http.post("/login", data={"token": FULL_TOKEN.secret})
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and FULL_TOKEN.secret not in cookie
        assert (await http.get("/search", params={"q": "Paris", "space": "test-space"})).status_code == 200
        out = await http.post("/logout")
        assert out.status_code == 303
        http.cookies.clear()
        http.cookies.set(COOKIE, signed.cookies[COOKIE])  # the old session id no longer opens anything
        assert (await http.get("/")).status_code == 401


async def test_a_tokens_scope_holds_on_the_page(store):
    auth = {"Authorization": f"Bearer {SPACE_TOKEN.secret}"}
    async with client(store, tokens=[FULL_TOKEN, SPACE_TOKEN]) as http:
        home = await http.get("/", headers=auth)  # no ?space=: the token's only space, not the configured one
        assert home.status_code == 200 and "test-space" in home.text
        assert "Whole-database counts are not shown" in home.text and "<td>factHistory</td>" not in home.text
        other = await http.get("/search", params={"q": "Paris", "space": "default"}, headers=auth)
        assert other.status_code == 403 and "outside this token" in other.text
        stranger = await http.get("/user/bob", params={"space": "test-space"}, headers=auth)
        assert stranger.status_code == 403
        mine = await http.get("/user/alex", params={"space": "test-space"}, headers=auth)
        assert mine.status_code == 200 and "Alex lives in Berlin" in mine.text


async def test_headers_methods_and_unknown_pages(store):
    async with client(store) as http:
        page = await http.get("/")
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff" and page.headers["cache-control"] == "no-store"
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            response = await http.request(method, "/search")
            assert response.status_code == 405 and "changes nothing" in response.text, method
            assert response.headers["allow"] == "GET, HEAD"
        long_space = await http.get("/", params={"space": "s" * 300})
        assert long_space.status_code == 400 and "memory_space_id" in long_space.text and "256" in long_space.text
        missing = await http.get("/admin/<b>x</b>")
        assert missing.status_code == 404 and "<b>x</b>" not in missing.text


def test_exposure_without_tokens_is_refused():
    with pytest.raises(ValueError, match="without authentication"):
        check_exposure("0.0.0.0", [])
    with pytest.raises(ValueError, match="without authentication"):
        check_exposure("192.168.1.20", [])
    check_exposure("192.168.1.20", [FULL_TOKEN])
    check_exposure("127.0.0.1", [])
    check_exposure("::1", [])


async def test_the_embedded_database_is_opened_read_only(store, tmp_path):
    backend, db_path = open_read_only(Config(db_path=tmp_path / "cortex.db"))
    try:
        assert db_path == tmp_path / "cortex.db" and backend.store.read_only  # type: ignore[attr-defined]
        with pytest.raises(Exception, match="read-only"):
            await backend.mutation("memorySpaces:register", {"memorySpaceId": "new", "type": "custom"})
        assert (await backend.query("memories:count", {"memorySpaceId": "test-space"})) == 2
    finally:
        await backend.aclose()


def test_cli_refuses_exposure_and_a_missing_database(tmp_path):
    runner = CliRunner()
    exposed = runner.invoke(cli, ["ui", "--db", str(tmp_path / "x.db"), "--host", "192.168.1.20"], env={})
    assert exposed.exit_code == 2 and "without authentication" in exposed.output
    missing = runner.invoke(cli, ["ui", "--db", str(tmp_path / "none.db")], env={})
    assert missing.exit_code == 2 and "no database at" in missing.output
    assert not (tmp_path / "none.db").exists()  # read-only: nothing created
    misplaced = runner.invoke(cli, ["--read-only", "ui"], env={})
    assert misplaced.exit_code == 2 and "does not apply" in misplaced.output


def test_cli_refuses_a_database_that_needs_an_upgrade_without_touching_it(tmp_path):
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old)
    conn.executescript((ROOT / "tests" / "backend" / "data" / "schema2.sql").read_text())
    conn.close()
    before = old.read_bytes()
    result = CliRunner().invoke(cli, ["ui", "--db", str(old)], env={})
    assert result.exit_code == 1 and "needs an upgrade" in result.output and "read-only" in result.output
    assert old.read_bytes() == before


def test_cli_help_describes_the_page():
    result = CliRunner().invoke(cli, ["ui", "--help"])
    assert result.exit_code == 0
    for words in ("read-only web page", "--port", "--host", "--allowed-hosts", "--db", "--auth-tokens"):
        assert words in result.output, words
    assert "ui" in CliRunner().invoke(cli, ["--help"]).output


async def test_a_huge_sign_in_body_is_refused_while_reading(store):
    """The sign-in form is read at most 4096 bytes far: a body streamed without end is not buffered."""
    sent = 0

    async def endless():
        nonlocal sent
        for _ in range(10_000):  # 640 MB if it were all read
            sent += 65536
            yield b"token=" + b"a" * 65530

    async with client(store, tokens=[FULL_TOKEN]) as http:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        refused = await http.post("/login", content=endless(), headers=form)
        assert refused.status_code == 400 and "4096" in refused.text
    assert sent < 10_000 * 65536
