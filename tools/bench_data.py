"""Export and import at scale: peak memory of `cortex-mcp export` and memories/s of `import`.

    .venv/bin/python tools/bench_data.py --memories 100000 [--dir /tmp/bench-data]

Builds a database of N memories (bulk:storeMemories; ~120-character texts, tags, a user, one
conversation reference each), then runs the real commands as subprocesses: `export` (its peak RSS,
from wait4, is what "constant memory" means: compare two sizes) and `import` into an empty
database (wall time, memories/s, peak RSS). Prints one line per step; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cortex_mcp.backends.base import call  # noqa: E402
from cortex_mcp.backends.embedded import EmbeddedBackend  # noqa: E402
from cortex_mcp.contract.bulk import MAX_RECORDS  # noqa: E402
from cortex_mcp.data.importer import import_file  # noqa: E402

WORDS = "alex lisbon porto coffee meeting standup project deadline garden bicycle music piano tea".split()


async def build(db: Path, n: int) -> None:
    rng = random.Random(7)
    backend = EmbeddedBackend(db)
    try:
        for start in range(0, n, MAX_RECORDS):
            batch = [
                {
                    "memorySpaceId": f"space-{i % 4}",
                    "memoryId": f"mem-{i:09d}",
                    "content": " ".join(rng.choice(WORDS) for _ in range(18)),
                    "contentType": "raw",
                    "sourceType": "conversation",
                    "importance": rng.randrange(100),
                    "tags": [rng.choice(WORDS)],
                    "userId": "alex",
                    "conversationRef": {"conversationId": f"conv-{i // 20}", "messageIds": [f"m{i}"]},
                    "createdAt": 1_700_000_000_000 + i,
                }
                for i in range(start, min(n, start + MAX_RECORDS))
            ]
            await call(backend, "bulk:storeMemories", {"memories": batch})
    finally:
        await backend.aclose()


def run(*args: str) -> tuple[float, int]:
    """Run `cortex-mcp ARGS`; (wall seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "cortex_mcp", *args], cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status:
        raise SystemExit(f"cortex-mcp {' '.join(args)} failed ({status})")
    return elapsed, usage.ru_maxrss // 1024


async def timed_import(db: Path, file: Path) -> tuple[float, float]:
    """Import in this process: (wall seconds, CPU seconds of the process, worker thread included)."""
    backend = EmbeddedBackend(db)
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        await import_file(backend, file)
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await backend.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--export-only", action="store_true", help="skip the imports (a quick memory check at 1M)")
    options = parser.parse_args()
    work = options.dir or Path(tempfile.mkdtemp(prefix="bench-data-"))
    work.mkdir(parents=True, exist_ok=True)
    source, target, file = work / "source.db", work / "target.db", work / "export.jsonl"
    for path in (source, target, file):
        path.unlink(missing_ok=True)
    n = options.memories
    started = time.perf_counter()
    anyio.run(build, source, n)
    print(f"built {n} memories in {time.perf_counter() - started:.1f} s ({source.stat().st_size / 2**20:.0f} MiB)")
    baseline = run("--version")[1]
    print(f"python + cortex-mcp --version: peak RSS {baseline} MiB")
    seconds, rss = run("--db", str(source), "export", "-o", str(file))
    print(f"export: {seconds:.1f} s, {n / seconds:,.0f} memories/s, peak RSS {rss} MiB, "
          f"file {file.stat().st_size / 2**20:.0f} MiB")  # fmt: skip
    if options.export_only:
        return
    seconds, rss = run("--db", str(target), "import", str(file))
    print(f"import command (check + write, one transaction): {seconds:.1f} s, peak RSS {rss} MiB")
    for label, db in (("import", work / "timed.db"), ("import again (all skipped)", work / "timed.db")):
        if label == "import":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        wall, cpu = anyio.run(timed_import, db, file)
        print(f"{label}, in process: wall {wall:.2f} s ({n / wall:,.0f} memories/s), "
              f"CPU {cpu:.2f} s ({n / cpu:,.0f} memories/s per core)")  # fmt: skip


if __name__ == "__main__":
    main()
