"""Shared fixtures. Async test modules set `pytestmark = pytest.mark.anyio`; `backend` is a fresh store.

`backend` runs every test on each target:
- `embedded`: EmbeddedBackend in process;
- `convex`: ConvexBackend over loopback HTTP to a WireServer serving a fresh embedded database;
- `live`: ConvexBackend against CORTEX_TEST_CONVEX_URL (with CORTEX_TEST_CONVEX_DEPLOY_KEY if set);
  skipped unless that variable is set. The tests expect an empty deployment: set
  CORTEX_TEST_CONVEX_PURGE=1 to empty every table (`admin:clearTable`) before each test.

White-box tests may read `backend.store` (the embedded Store): on `convex` it is the Store behind
the wire server; on `live` touching it skips the test.
"""

from __future__ import annotations

import os

import pytest

from cortex_mcp.backends.embedded import EmbeddedBackend

LIVE_URL = os.environ.get("CORTEX_TEST_CONVEX_URL")


@pytest.fixture
def anyio_backend():
    return "asyncio"


class _NoStore:
    def __getattr__(self, name):
        pytest.skip("needs direct access to the embedded store; not available on a live deployment")


async def _purge_live(b) -> None:
    """Empty the test deployment: `admin:clearTable` on every table, else every `*:purgeAll`."""
    from cortex_mcp.backends.base import call
    from cortex_mcp.contract.catalog import CATALOG
    from cortex_mcp.contract.validators import enum_values
    from cortex_mcp.errors import CortexError

    clear = CATALOG.get("admin:clearTable")
    if clear is not None:
        for table in enum_values(clear.args.fields["table"]) or []:
            for _ in range(1000):
                if not (await call(b, clear.path, {"table": table})).get("hasMore"):
                    break
        return
    for fn in CATALOG.values():
        if fn.name == "purgeAll" and fn.kind == "mutation" and not fn.args.required():
            try:
                await call(b, fn.path, {})
            except CortexError:
                pass


@pytest.fixture(
    params=[
        "embedded",
        "convex",
        pytest.param("live", marks=pytest.mark.skipif(not LIVE_URL, reason="CORTEX_TEST_CONVEX_URL is not set")),
    ]
)
async def backend(request, tmp_path):
    """A Backend on a fresh database file (or, for `live`, the test deployment)."""
    if request.param == "embedded":
        b = EmbeddedBackend(tmp_path / "cortex.db")
        try:
            yield b
        finally:
            await b.aclose()
        return

    from cortex_mcp.backends.convex import ConvexBackend

    if request.param == "convex":
        from cortex_mcp.backends.embedded.wire import WireServer

        server = WireServer(tmp_path / "cortex.db").start()
        b = ConvexBackend(server.url, deploy_key=server.key, timeout=10.0)
        b.store = server.backend.store  # type: ignore[attr-defined]
        try:
            yield b
        finally:
            await b.aclose()
            server.close()
        return

    b = ConvexBackend(LIVE_URL, deploy_key=os.environ.get("CORTEX_TEST_CONVEX_DEPLOY_KEY") or None, timeout=30.0)
    b.store = _NoStore()  # type: ignore[attr-defined]
    try:
        if os.environ.get("CORTEX_TEST_CONVEX_PURGE") == "1":
            await _purge_live(b)
        yield b
    finally:
        await b.aclose()
