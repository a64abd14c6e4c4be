"""The project's benchmark: recall, remember and ping over stdio at N memories, against an MCP floor.

    .venv/bin/python tools/bench_recall.py --memories 10000 [--calls 300] [--json]
    .venv/bin/python tools/bench_recall.py --memories 100000 --backend convex   # adapter's added cost

Corpus: every turn of the LoCoMo dev file (`--locomo`, default ../shared/data/locomo-dev.json; the
file is CC BY-NC 4.0 and not part of this repository) plus generated memories up to N, whose words
are drawn with LoCoMo's own word frequencies (so terms are as common or rare as in real chat),
~85 characters each, created over the past year. They are loaded through the bulk path
(`api/bulk.py`, which the import rate measures) into a database cached on disk between runs
(`--cache`, keyed by N and the store's schema); each run works on a copy.

Questions: the LoCoMo dev questions (categories 1-4) and as many generated natural-language
questions about generated memories, asked through the `recall` tool at its default limit.

Measured in one run, so every figure sees the same machine load: a bare `MCPServer` with one
no-op tool (the floor) and the cortex-mcp server, both stdio subprocesses, called in alternating
blocks of `--block` calls: floor no-op, recall, remember (a standalone note), ping. Beside the
floor, `constant_recall`: the same bare server returning a fixed 10-item result of recall's shape
(its output schema, structured content and text) with no work, i.e. what the result alone costs
the SDK's server and client. Reported:
p50/p95/p99 per kind and ratios to the floor's p50; the server's peak RSS; start -> tools/list
(default toolsets and `--toolsets all`, median of 5, a bare server's beside them); database
bytes per memory; bulk import rate (a fresh 20,000-memory database, in process). With
`--backend convex` the same calls also go through the Convex adapter to `cortex-mcp backend
serve` on the same database, and the adapter's added p50 per tool call is reported.

`--json` prints one object with every figure; otherwise a table.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message="ping is removed")

from cortex_mcp.api import bulk  # noqa: E402
from cortex_mcp.backends.embedded import EmbeddedBackend  # noqa: E402

CORPUS_VERSION = 1  # bump when the generated corpus changes: cached databases are rebuilt
DEFAULT_LOCOMO = ROOT.parent / "shared" / "data" / "locomo-dev.json"
SPACE = "bench"
DAY_MS = 86_400_000
_WORD = re.compile(r"[a-z']+")

BARE_SERVER = """
from mcp.server.mcpserver import MCPServer

server = MCPServer("floor")

@server.tool()
async def noop() -> str:
    return "ok"
"""

# The floor server: the bare server plus a fixed 10-item result of recall's shape (output schema,
# structured content, rendered text), built and returned as cortex-mcp's tools return theirs: what
# such a result costs the SDK and its client with no work behind it.
FLOOR_SERVER = BARE_SERVER + """
from cortex_mcp.toolsets.base import rendered_result
from cortex_mcp.toolsets.memory import RecallItem, RecallResult

TEXT = "Remind inspiring few connections festival help hours group going side anything our tea"
RESULT = RecallResult(candidates=20, query_time_ms=1.0, items=[
    RecallItem(type="memory", id=f"mem-1796483635579-alqxxb2m{i}", content=TEXT, score=1 - i / 20,
               importance=78.0, user_id="bench-user", message_role="user", created_at=1793430876833 - i)
    for i in range(10)])

@server.tool()
async def constant_recall() -> RecallResult:
    return rendered_result(RESULT, "recall", {})

server.run()
"""

QUESTION_TEMPLATES = (
    "What did they say about {a}?",
    "When did we talk about the {a} and the {b}?",
    "Do you remember anything about {a} {b}?",
    "What was the plan for {a}?",
    "Who mentioned {a} or {b} last time?",
    "Why was {a} important?",
)


# --------------------------------------------------------------------------- corpus


def locomo_turns_and_questions(path: Path | None) -> tuple[list[str], list[str]]:
    if path is None or not path.exists():
        return [], []
    samples = json.loads(path.read_text())
    turns, questions = [], []
    for sample in samples:
        for key, value in sample["conversation"].items():
            if key.startswith("session_") and isinstance(value, list):
                turns.extend(f"{t['speaker']}: {t['text']}" for t in value if t.get("text"))
        questions.extend(q["question"] for q in sample["qa"] if q.get("category") in (1, 2, 3, 4))
    return turns, questions


class Generator:
    """Memories and questions whose words follow a word-frequency table (LoCoMo's, when given)."""

    def __init__(self, texts: list[str], seed: int = 7):
        counts = Counter(w for text in texts for w in _WORD.findall(text.lower()))
        if len(counts) < 200:  # no LoCoMo file: a Zipf table over made-up words
            rng = random.Random(11)
            made_up = {
                "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(5000)
            }
            counts = Counter({w: 10_000 // (rank + 1) + 1 for rank, w in enumerate(sorted(made_up))})
        self.words = [w for w, _ in counts.most_common()]
        weights = [c for _, c in counts.most_common()]
        self.cum = list(_accumulate(weights))
        self.rare = [w for w, c in counts.items() if 2 <= c <= 50 and len(w) > 3]  # question words
        self.rng = random.Random(seed)

    def sentence(self, chars: int = 85) -> str:
        """About `chars` characters of whole words."""
        words = self.rng.choices(self.words, cum_weights=self.cum, k=chars // 3)
        text = " ".join(words).capitalize()
        cut = text.find(" ", chars - 5)
        return text if cut < 0 else text[:cut]

    def question(self) -> str:
        a, b = self.rng.sample(self.rare, 2)
        return self.rng.choice(QUESTION_TEMPLATES).format(a=a, b=b)


def _accumulate(values: list[int]) -> Iterator[int]:
    total = 0
    for value in values:
        total += value
        yield total


def records(n: int, turns: list[str], gen: Generator, now_ms: int) -> Iterator[dict]:
    rng = random.Random(5)
    for i in range(n):
        content = turns[i] if i < len(turns) else gen.sentence()
        created = now_ms - rng.randrange(365 * DAY_MS)
        yield {
            "memorySpaceId": SPACE,
            "content": content,
            "contentType": "raw",
            "sourceType": "conversation",
            "userId": "bench-user",
            "agentId": "bench-agent",
            "messageRole": "user" if i % 2 == 0 else "agent",
            "importance": rng.randrange(30, 90),
            "tags": [],
            "createdAt": created,
            "updatedAt": created,
            "sourceTimestamp": created,
        }


# --------------------------------------------------------------------------- database


def schema_key() -> str:
    """A hash of the store's layout and storage code: a cached database is rebuilt when either changes."""
    with tempfile.TemporaryDirectory() as tmp:
        backend = EmbeddedBackend(Path(tmp) / "empty.db")
        sql = [row[0] or "" for row in backend.store.conn.execute("SELECT sql FROM sqlite_master ORDER BY name")]
        backend.store.close()
    storage = sorted((ROOT / "cortex_mcp" / "backends" / "embedded").glob("*.py"))
    return hashlib.sha256("\n".join(sql + [p.read_text() for p in storage]).encode()).hexdigest()[:12]


async def load(db: Path, source: Iterator[dict], n: int) -> float:
    """Bulk-load `n` records; returns memories per second (storing only, not generating them)."""
    backend = EmbeddedBackend(db)
    elapsed = 0.0
    try:
        while chunk := list(itertools.islice(source, bulk.MAX_RECORDS)):
            t0 = time.perf_counter()
            await bulk.store_memories(backend, chunk)
            elapsed += time.perf_counter() - t0
    finally:
        await backend.aclose()
    return n / elapsed


def cached_database(cache: Path, n: int, turns: list[str], gen: Generator, log: Any) -> tuple[Path, dict]:
    cache.mkdir(parents=True, exist_ok=True)
    name = f"bench-{n}-c{CORPUS_VERSION}-{'locomo' if turns else 'gen'}-{schema_key()}"
    db, meta_file = cache / f"{name}.db", cache / f"{name}.json"
    if db.exists() and meta_file.exists():
        return db, json.loads(meta_file.read_text())
    for stale in cache.glob(f"bench-{n}-*"):
        stale.unlink()
    log(f"loading {n} memories into {db} (cached for later runs)...")
    partial = db.with_suffix(".loading")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    rate = anyio.run(load, partial, records(n, turns, gen, int(time.time() * 1000)), n)
    with sqlite3.connect(partial) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        chars = conn.execute("SELECT avg(length(json_extract(doc, '$.content'))) FROM memories").fetchone()[0]
    partial.rename(db)
    meta = {"load_per_s": round(rate), "avg_content_chars": round(chars, 1), "bytes": db.stat().st_size}
    meta_file.write_text(json.dumps(meta))
    return db, meta


def bulk_rate(gen: Generator, n: int = 20_000) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        return anyio.run(load, Path(tmp) / "rate.db", records(n, [], gen, int(time.time() * 1000)), n)


# --------------------------------------------------------------------------- processes


TOOL_CACHE = Path(tempfile.gettempdir()) / "cortex-mcp-bench-tools"  # the bench's own tool-schema cache


def server_params(db: Path | None, *extra: str) -> StdioServerParameters:
    env = {"PYTHONPATH": str(ROOT), "CORTEX_LOG_LEVEL": "WARNING", "HOME": os.environ.get("HOME", "/tmp")}
    env["CORTEX_TOOL_CACHE"] = str(TOOL_CACHE)  # as a user's own cache: no other checkout replaces it
    args = ["-m", "cortex_mcp", *(["--db", str(db)] if db else []), "--agent-id", "bench-agent"]
    args += ["--memory-space", SPACE, *extra]
    return StdioServerParameters(command=sys.executable, args=args, env=env)


def floor_params(bare: bool = False) -> StdioServerParameters:
    script = BARE_SERVER + "server.run()" if bare else FLOOR_SERVER
    return StdioServerParameters(command=sys.executable, args=["-c", script], env={"PYTHONPATH": str(ROOT)})


def child_pid(marker: str) -> int | None:
    """The pid of our child process whose command line holds `marker` (for its peak RSS)."""
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[1] == me and marker in cmdline:
            return int(entry.name)
    return None


def peak_rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WIRE_KEY = secrets.token_hex(16)  # `backend serve` refuses requests without its key


def start_wire(db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cortex_mcp", "backend", "serve", "--db", str(db), "--port", str(port)]
        + ["--key", WIRE_KEY],
        env={**os.environ, "PYTHONPATH": str(ROOT), "CORTEX_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("backend serve did not start")


async def start_seconds(params: StdioServerParameters, runs: int = 5) -> float:
    """Median time from spawning a server to its tools/list answer."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        async with Client(params, mode="legacy") as client:
            await client.list_tools()
            times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 3)


# --------------------------------------------------------------------------- measuring


def stats(samples: list[float], floor: float | None = None) -> dict:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))], 3)

    out: dict[str, Any] = {"n": len(ordered), "p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99)}
    if floor:
        for key in ("p50", "p95", "p99"):
            out[f"{key}_ratio"] = round(out[f"{key}_ms"] / floor, 2)
    return out


async def timed(samples: list[float], call: Any) -> Any:
    t0 = time.perf_counter()
    result = await call
    samples.append((time.perf_counter() - t0) * 1000)
    return result


async def measure(db: Path, questions: list[str], gen: Generator, opts: argparse.Namespace) -> dict:
    wire = None
    try:
        async with AsyncExitStack() as stack:
            floor = await stack.enter_async_context(Client(floor_params(), mode="legacy"))
            servers = {"embedded": await stack.enter_async_context(Client(server_params(db), mode="legacy"))}
            server_pid = child_pid(str(db))
            if opts.backend == "convex":
                wire, url = start_wire(db)
                params = server_params(None, "--backend", "convex", "--convex-url", url)
                params.env = {**(params.env or {}), "CONVEX_DEPLOY_KEY": WIRE_KEY}
                servers["convex"] = await stack.enter_async_context(Client(params, mode="legacy"))
            samples: dict[str, list[float]] = {"floor": [], "constant_recall": []}
            for name in servers:
                for kind in ("recall", "remember", "ping"):
                    samples[f"{name}.{kind}"] = []
            rng = random.Random(3)
            hits = 0

            async def block(size: int, record: bool) -> None:
                nonlocal hits
                sink = (lambda key: samples[key]) if record else (lambda key: [])
                for _ in range(size):
                    await timed(sink("floor"), floor.call_tool("noop", {}))
                for _ in range(size):
                    await timed(sink("constant_recall"), floor.call_tool("constant_recall", {}))
                for name, client in servers.items():
                    for _ in range(size):
                        query = rng.choice(questions)
                        result = await timed(sink(f"{name}.recall"), client.call_tool("recall", {"query": query}))
                        assert not result.is_error, result.content
                        hits += len(result.structured_content.get("items", [])) if record else 0
                    for _ in range(size):
                        note = {"content": gen.sentence(), "tags": ["bench"]}
                        result = await timed(sink(f"{name}.remember"), client.call_tool("remember", note))
                        assert not result.is_error, result.content
                    for _ in range(size):
                        await timed(sink(f"{name}.ping"), client.send_ping())

            await block(opts.block, record=False)  # warm-up: first calls build caches and tools
            for _ in range(max(1, opts.calls // opts.block)):
                await block(opts.block, record=True)
            rss = peak_rss_mib(server_pid)
    finally:
        if wire is not None:
            wire.terminate()
            wire.wait(timeout=10)
    floor_p50 = statistics.median(samples["floor"])
    out: dict[str, Any] = {"floor": stats(samples["floor"])}
    out["constant_recall"] = stats(samples["constant_recall"], floor_p50)
    for kind in ("recall", "remember", "ping"):
        out[kind] = stats(samples[f"embedded.{kind}"], floor_p50)
    out["recall"]["avg_items"] = round(hits / len(samples["embedded.recall"]) / len(servers), 1)
    out["rss_peak_mib"] = rss
    if "convex" in servers:
        convex = {kind: stats(samples[f"convex.{kind}"], floor_p50) for kind in ("recall", "remember", "ping")}
        convex["added_p50_ms"] = {
            kind: round(convex[kind]["p50_ms"] - out[kind]["p50_ms"], 3) for kind in ("recall", "remember")
        }
        out["convex"] = convex
    return out


# --------------------------------------------------------------------------- report


def table(report: dict) -> str:
    lines = [
        (
            f"{report['memories']} memories ({report['avg_content_chars']} chars on average), "
            f"{report['floor']['n']} calls per kind in blocks of {report['block']}, load average {report['load_avg']}"
        ),
        f"{'':10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p50 x':>8}{'p95 x':>8}{'p99 x':>8}",
    ]
    rows = [("floor", report["floor"]), ("constant", report["constant_recall"])]
    rows += [(k, report[k]) for k in ("recall", "remember", "ping")]
    rows += [(f"cvx {k}", report["convex"][k]) for k in ("recall", "remember", "ping")] if "convex" in report else []
    for name, s in rows:
        ratios = "".join(f"{s.get(k + '_ratio', ''):>8}" for k in ("p50", "p95", "p99"))
        lines.append(f"{name:10}{s['p50_ms']:>9}{s['p95_ms']:>9}{s['p99_ms']:>9}{ratios}")
    if "convex" in report:
        lines.append(f"Convex adapter added p50: {report['convex']['added_p50_ms']} ms")
    lines.append(
        f"recall returned {report['recall']['avg_items']} items on average; RSS peak {report['rss_peak_mib']} MiB; "
        f"start -> tools/list {report['start_s']} s (--toolsets all {report['start_all_s']} s, bare server "
        f"{report['start_floor_s']} s); {report['bytes_per_memory']} bytes per memory; bulk import "
        f"{report['bulk_per_s']}/s"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=300, help="timed calls per kind (default 300)")
    parser.add_argument("--block", type=int, default=20, help="calls of one kind in a row (default 20)")
    parser.add_argument("--backend", choices=["embedded", "convex"], default="embedded")
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO, help="LoCoMo dev file (questions, turns)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "cortex-mcp" / "bench")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    opts = parser.parse_args()

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    load_before = round(os.getloadavg()[0], 2)
    turns, locomo_questions = locomo_turns_and_questions(opts.locomo)
    gen = Generator(turns)
    questions = locomo_questions + [gen.question() for _ in range(max(200, len(locomo_questions)))]
    cached, meta = cached_database(opts.cache, opts.memories, turns[: opts.memories], gen, log)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        shutil.copyfile(cached, db)
        log("measuring start-up...")
        start = {
            "start_s": anyio.run(start_seconds, server_params(db)),
            "start_all_s": anyio.run(start_seconds, server_params(db, "--toolsets", "all")),
            "start_floor_s": anyio.run(start_seconds, floor_params(bare=True)),
        }
        log(f"measuring calls ({opts.backend})...")
        figures = anyio.run(measure, db, questions, gen, opts)
    log("measuring bulk import...")
    report = {
        "memories": opts.memories,
        "backend": opts.backend,
        "block": opts.block,
        "questions": {"locomo": len(locomo_questions), "generated": len(questions) - len(locomo_questions)},
        **figures,
        **start,
        "bytes_per_memory": round(meta["bytes"] / opts.memories),
        "avg_content_chars": meta["avg_content_chars"],
        "bulk_per_s": round(bulk_rate(gen)),
        "load_per_s": meta["load_per_s"],
        "load_avg": [load_before, round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report) if opts.json else table(report))


if __name__ == "__main__":
    main()
