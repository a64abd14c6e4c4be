"""Headless Chromium (Debian's package) driven over the DevTools protocol on a pipe: no Python
dependency, no websocket. `--remote-debugging-pipe` reads commands from fd 3 and writes replies
and events to fd 4, each a JSON text ended by a NUL byte.

    with Browser.start(tmp_path) as browser:
        browser.goto("http://127.0.0.1:8765/")
        browser.evaluate("document.title")
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Self

# The flags the machine notes give for a root user on a closed network.
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--remote-debugging-pipe", "--window-size=1200,900",
]
TIMEOUT = 20.0  # seconds for any one reply or page load (a deadline, not a wait)


def executable() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _above_nine(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class BrowserError(Exception):
    pass


class Browser:
    def __init__(self, process: subprocess.Popen, to_browser: int, from_browser: int):
        self.process, self._out, self._in = process, to_browser, from_browser
        self._buffer, self._events, self._next_id = b"", [], 0
        self.session: str | None = None

    @classmethod
    def start(cls, profile: Path) -> Self:
        exe = executable()
        if exe is None:
            raise BrowserError("no chromium executable")
        commands_r, commands_w = os.pipe()
        replies_r, replies_w = os.pipe()
        # Chromium's ends move above 9 first, so the shell's `3<&N 4>&M` cannot close or clobber them;
        # bash (dash takes single-digit fds only) maps them to fd 3 (commands in) and fd 4 (replies out).
        commands_r, replies_w = (_above_nine(fd) for fd in (commands_r, replies_w))
        script = f'exec "$0" "$@" 3<&{commands_r} 4>&{replies_w} {commands_r}<&- {replies_w}>&-'
        process = subprocess.Popen(
            [shutil.which("bash") or "/bin/bash", "-c", script, exe, *FLAGS, f"--user-data-dir={profile}",
             "about:blank"],
            pass_fds=(commands_r, replies_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(commands_r)
        os.close(replies_w)
        browser = cls(process, commands_w, replies_r)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            browser.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            browser.send("Page.enable")
        except BaseException:
            browser.close()
            raise
        return browser

    # -- the protocol -----------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._in], [], [], remaining)[0]:
                raise BrowserError("Chromium did not answer in time")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith(("Target.", "Browser.")):  # page-level commands
            command["sessionId"] = self.session
        os.write(self._out, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def wait_for(self, event: str) -> dict[str, Any]:
        """The next `event` of the page (events that came in earlier count)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i, message in enumerate(self._events):
                if message.get("method") == event:
                    del self._events[: i + 1]
                    return message.get("params", {})
            self._events.append(self._read_message(deadline))

    # -- what a test does -------------------------------------------------------------------------

    def goto(self, url: str) -> None:
        self._events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """A JavaScript expression's value (DevTools runs it whatever the page's CSP allows)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """Click an element that navigates, and wait for the new page."""
        self._events.clear()
        found = self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                              "if (!e) return false; e.click(); return true; })()")
        if not found:
            raise BrowserError(f"nothing matches {selector}")
        self.wait_for("Page.loadEventFired")

    def type_into(self, selector: str, text: str) -> None:
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", {"text": text})

    @property
    def url(self) -> str:
        return str(self.evaluate("location.href"))

    def text(self, selector: str = "main") -> str:
        return str(self.evaluate(f"document.querySelector({json.dumps(selector)}).innerText"))

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                try:
                    self.send("Browser.close")
                except (BrowserError, OSError):
                    pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        finally:
            os.close(self._out)
            os.close(self._in)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
