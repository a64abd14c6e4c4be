"""`cortex-mcp ui` in a real browser: headless Chromium (Debian's package) loads each view of a served
page, types a search and submits it, follows a supersession link, and finds no script running.
A failing step leaves a screenshot in .ci/artifacts/ui/ (CI keeps it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest

from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.config import Config
from cortex_mcp.ui.serve import UiServer, open_read_only
from tests.helpers import ROOT
from tests.ui.chromium import Browser, executable
from tests.ui.seed import SCRIPT, seed

pytestmark = pytest.mark.skipif(
    executable() is None, reason="Chromium is not installed (apt-get install chromium; .ci/run installs it)"
)

ARTIFACTS = ROOT / ".ci" / "artifacts" / "ui"


async def _seeded(path: Path) -> dict:
    backend = EmbeddedBackend(path)
    try:
        return await seed(backend)
    finally:
        await backend.aclose()


@contextmanager
def step(browser: Browser, name: str) -> Iterator[None]:
    """Run one step; if it fails, save what the browser shows before the failure propagates."""
    try:
        yield
    except BaseException:
        try:
            browser.screenshot(ARTIFACTS / f"{name}.png")
        except Exception:  # noqa: BLE001 - the step's own failure is the one to report
            pass
        raise


def test_every_view_in_chromium(tmp_path):
    ids = anyio.run(_seeded, tmp_path / "cortex.db")
    backend, db_path = open_read_only(Config(db_path=tmp_path / "cortex.db"))
    try:
        with UiServer(backend, memory_space="test-space", db_path=db_path) as server, \
                Browser.start(tmp_path / "profile") as browser:
            base = server.url
            with step(browser, "overview"):
                browser.goto(base + "/")
                overview = browser.text()
                assert "Memory spaces" in overview and "test-space" in overview and "Storage" in overview
                assert re.search(r"test-space\s+2\s+1\s+1\s+3\b", overview)  # memories, facts, conversations, contexts

            with step(browser, "search"):
                browser.type_into("input[name=q]", "Paris")
                browser.click("header form button")
                assert "/search?" in browser.url and "q=Paris" in browser.url
                results = browser.text()
                assert f"I moved to Paris {SCRIPT}" in results  # the markup shows as text...
                assert browser.evaluate("document.scripts.length") == 0  # ...and nothing became a script
                assert re.search(r"^1\.000\s", browser.text("tbody tr"))  # the best result's score

            with step(browser, "memory"):
                browser.click(f'a[href^="/memory/{ids["exchange"]}"]')
                memory = browser.text()
                assert "Versions" in memory and "Source messages" in memory and "user" in memory

            with step(browser, "profile"):
                browser.goto(f"{base}/user/alex?space=test-space")
                profile = browser.text()
                assert "Current facts by slot" in profile and "Timeline of beliefs" in profile
                browser.click("a.superseded-by")
                assert f"/fact/{ids['berlin']}" in browser.url
                chain = browser.text("main table")  # the supersession chain, oldest first
                assert chain.index("Alex lives in Paris") < chain.index("Alex lives in Berlin")
                assert "superseded" in chain and "current" in chain

            with step(browser, "contexts"):
                browser.goto(f"{base}/contexts?space=test-space")
                browser.click(f'a[href^="/context/{ids["root"]}"]')
                tree = browser.text("ul.tree")
                assert "Plan the move" in tree and "Find a flat" in tree and f"Call the agent {SCRIPT}" in tree
                assert browser.evaluate("document.querySelectorAll('ul.tree ul ul li').length") == 1  # grandchild

            with step(browser, "threads"):
                browser.goto(f"{base}/threads")
                browser.click('a[href^="/thread?"]')
                assert "Book the van for Friday" in browser.text()

            with step(browser, "users"):
                browser.goto(f"{base}/users")
                browser.type_into("input[name=id]", "alex")
                browser.click("main form button")
                assert browser.url.endswith("/user/alex?space=test-space")
    finally:
        anyio.run(backend.aclose)
