"""How long each page of `cortex-mcp ui` takes to build at N memories (embedded, in process).

    .venv/bin/python tools/bench_ui.py --memories 100000 [--facts 2000] [--repeat 7] [--json]

A fresh database gets N generated memories (~85 characters, bulk path) in one space for one user,
`--facts` beliefs about that user in chains of supersession (each slot revised several times),
a context tree and an agent thread. The page is served from that file opened read-only, as
`cortex-mcp ui` does, and each page is requested `--repeat` times through the ASGI app (no
network): reported are the median and the slowest, in milliseconds, and the page's size.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cortex_mcp.api import a2a, bulk, contexts, facts  # noqa: E402
from cortex_mcp.backends.embedded import EmbeddedBackend  # noqa: E402
from cortex_mcp.config import Config  # noqa: E402
from cortex_mcp.rebinding import HostPolicy  # noqa: E402
from cortex_mcp.ui.app import ui_asgi_app  # noqa: E402
from cortex_mcp.ui.serve import open_read_only  # noqa: E402

SPACE, USER = "bench-space", "bench-user"
WORDS = ("tea coffee paris berlin bicycle meeting project deadline garden piano flight hotel doctor "
         "birthday report budget recipe train museum concert football invoice laptop holiday").split()
CITIES = ("Paris", "Berlin", "Lisbon", "Oslo", "Rome", "Vienna")


def memories(n: int, now_ms: int) -> Any:
    rng = random.Random(7)
    for i in range(n):
        created = now_ms - rng.randrange(365 * 86_400_000)
        content = " ".join(rng.choice(WORDS) for _ in range(12))[:85]
        yield {"memorySpaceId": SPACE, "content": f"{i} {content}", "contentType": "raw", "sourceType": "conversation",
               "userId": USER, "agentId": "bench-agent", "importance": rng.randrange(30, 90), "tags": [],
               "createdAt": created, "updatedAt": created, "sourceTimestamp": created}


async def build(db: Path, n: int, n_facts: int) -> dict[str, str]:
    backend = EmbeddedBackend(db)
    try:
        source = memories(n, int(time.time() * 1000))
        first = None
        while chunk := list(itertools.islice(source, bulk.MAX_RECORDS)):
            stored = await bulk.store_memories(backend, chunk)
            first = first or stored.memory_ids[0]
        fact_id = ""
        for i in range(n_facts):
            slot = f"thing{i // len(CITIES)}"  # each slot revised len(CITIES) times: chains of supersession
            city = CITIES[i % len(CITIES)]
            result = await facts.revise(backend, memory_space_id=SPACE, fact=f"{USER} keeps {slot} in {city}",
                                        subject=USER, predicate=f"keeps {slot} in", object=city, user_id=USER)
            fact_id = result["fact"]["factId"]
        root = await contexts.create(backend, memory_space_id=SPACE, purpose="Quarterly plan", user_id=USER)
        parent = root["contextId"]
        for depth in range(5):
            parent = (await contexts.create(backend, memory_space_id=SPACE, purpose=f"step {depth}",
                                            parent_id=parent, user_id=USER))["contextId"]
        for i in range(50):
            await a2a.send(backend, from_agent="planner", to_agent="worker", message=f"task {i}",
                           allow_unregistered=True)
        return {"memory": first or "", "fact": fact_id, "context": parent}
    finally:
        await backend.aclose()


async def measure(db: Path, ids: dict[str, str], repeat: int) -> dict[str, dict[str, float]]:
    backend, db_path = open_read_only(Config(db_path=db))
    app = ui_asgi_app(backend, policy=HostPolicy.for_bind("127.0.0.1"), memory_space=SPACE, db_path=db_path)
    pages = {
        "overview": "/",
        "search": "/search?q=paris+bicycle+deadline",
        "newest memories": "/search",
        "memory": f"/memory/{ids['memory']}",
        "profile (timeline)": f"/user/{USER}",
        "fact chain": f"/fact/{ids['fact']}",
        "users": "/users",
        "contexts": "/contexts",
        "context tree": f"/context/{ids['context']}",
        "threads": "/threads",
        "thread": "/thread?a=planner&b=worker",
    }
    report: dict[str, dict[str, float]] = {}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http:
            for name, path in pages.items():
                samples, size = [], 0
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    response = await http.get(path)
                    samples.append((time.perf_counter() - t0) * 1000)
                    if response.status_code != 200:
                        raise SystemExit(f"{path}: {response.status_code}")
                    size = len(response.content)
                report[name] = {"p50_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1),
                                "kib": round(size / 1024, 1)}
    finally:
        await backend.aclose()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--facts", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench-ui.db"
        t0 = time.perf_counter()
        ids = anyio.run(build, db, opts.memories, opts.facts)
        built = time.perf_counter() - t0
        report = anyio.run(measure, db, ids, opts.repeat)
        size = db.stat().st_size
    if opts.json:
        print(json.dumps({"memories": opts.memories, "facts": opts.facts, "pages": report}))
        return
    print(f"{opts.memories:,} memories, {opts.facts:,} facts ({size / 2**20:.0f} MiB, built in {built:.0f} s); "
          f"{opts.repeat} requests per page")
    print(f"{'page':20} {'p50 ms':>8} {'max ms':>8} {'KiB':>7}")
    for name, row in report.items():
        print(f"{name:20} {row['p50_ms']:8.1f} {row['max_ms']:8.1f} {row['kib']:7.1f}")


if __name__ == "__main__":
    main()
