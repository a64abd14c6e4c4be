"""`cortex-mcp backend serve` as a process: the generated key is printed once, and it is required."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import httpx

from tests.helpers import ROOT


class Served:
    """A `backend serve` process; a thread collects its stderr lines (bounded waits, no hangs)."""

    def __init__(self, *args: str, env: dict[str, str] | None = None):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cortex_mcp", "backend", "serve", "--port", "0", *args],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env={"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", ""), **(env or {})},
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: str, seconds: float = 30) -> re.Match:
        deadline = time.monotonic() + seconds
        while not (found := re.search(pattern, self.seen)):
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError(f"no {pattern!r} in stderr:\n{self.seen}")
            self.seen += line
        return found

    def stop(self, terminate: bool = True) -> int:
        if terminate and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self._reader.join(timeout=30)
        while (line := self.lines.get_nowait() if not self.lines.empty() else None) is not None:
            self.seen += line
        return code


def test_generated_key_printed_once_and_required(tmp_path):
    served = Served("--db", str(tmp_path / "w.db"))
    try:
        key = served.wait_for(r"generated key \(shown once\): (\S+)").group(1)
        url = served.wait_for(r"on (http://127\.0\.0\.1:\d+)").group(1)
        body = {"path": "agents:count", "args": {}}
        with httpx.Client(base_url=url, timeout=10) as http:
            assert http.post("/api/query", json=body).status_code == 401
            r = http.post("/api/query", json=body, headers={"Authorization": f"Convex {key}"})
            assert r.json() == {"status": "success", "value": 0.0}
    finally:
        code = served.stop()
    assert code == 0, served.seen
    assert served.seen.count(key) == 1 and "Traceback" not in served.seen  # printed once, never logged


def test_given_key_from_the_environment_is_not_printed(tmp_path):
    served = Served("--db", str(tmp_path / "w.db"), env={"CORTEX_WIRE_KEY": "embedded|from-env"})
    try:
        url = served.wait_for(r"on (http://127\.0\.0\.1:\d+)").group(1)
        with httpx.Client(base_url=url, timeout=10) as http:
            auth = {"Authorization": "Convex embedded|from-env"}
            assert http.post("/api/query", json={"path": "agents:count", "args": {}}, headers=auth).status_code == 200
    finally:
        served.stop()
    assert "from-env" not in served.seen and "generated key" not in served.seen


def test_refusals_are_one_line_errors_not_tracebacks(tmp_path):
    for args, expected in [
        (["--db", str(tmp_path / "none.db"), "--read-only"], "no database at"),
        (["--db", str(tmp_path / "w.db"), "--host", "0.0.0.0"], "needs --allowed-hosts"),
    ]:
        served = Served(*args)
        assert served.stop(terminate=False) == 1
        assert expected in served.seen and "Traceback" not in served.seen, served.seen
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "w.db").exists()
