"""Benchmark: `recall` at N memories next to an MCP `ping`, both over stdio, in one run.

    .venv/bin/python tools/bench_recall.py [--memories 10000] [--calls 200] [--vocabulary 2000]

Fills a fresh database with N memories of 12 words drawn from a vocabulary of V words (the
default 2000 makes a two-word query match a few hundred memories; `--vocabulary 48` is a worst
case where it matches ~40% of them),
starts the server as a subprocess, and times ping round trips and recall calls alternately,
so both see the same machine conditions. Prints medians, p90 and the ratio.
"""

from __future__ import annotations

import argparse
import warnings
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parents[1]
warnings.filterwarnings("ignore", message="ping is removed")
sys.path.insert(0, str(ROOT))

from cortex_mcp.backends.embedded import EmbeddedBackend  # noqa: E402

BASE_WORDS = (
    "tea coffee berlin paris project deadline budget meeting design review python rust deploy server "
    "database memory agent user travel flight hotel birthday gift allergy doctor music guitar piano "
    "running cycling book movie recipe garden plant cat dog invoice contract vacation team manager"
).split()


def vocabulary(size: int) -> list[str]:
    words = list(BASE_WORDS)
    rng = random.Random(11)
    while len(words) < size:
        words.append("".join(rng.choice("bcdfghjklmnprstvwz") + rng.choice("aeiou") for _ in range(3)))
    return words[:size]


def fill(db: Path, n: int, words: list[str]) -> None:
    backend = EmbeddedBackend(db)
    rng = random.Random(7)

    def insert_all(tx):
        for i in range(n):
            content = " ".join(rng.choice(words) for _ in range(12)) + f" item{i}"
            backend.handlers["memories:store"](
                tx,
                {
                    "memorySpaceId": "default",
                    "content": content,
                    "contentType": "raw",
                    "sourceType": "tool",
                    "userId": "bench",
                    "agentId": "bench-agent",
                    "importance": rng.randint(0, 100),
                    "tags": [rng.choice(words)],
                },
            )

    backend.store.run(True, insert_all)  # one transaction: set-up, not the thing measured
    backend.store.close()


def summary(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


async def measure(db: Path, calls: int, words: list[str]) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "cortex_mcp", "--db", str(db)], env={"PYTHONPATH": str(ROOT)}
    )
    rng = random.Random(3)
    queries = [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(50)]
    # `ping` exists in the 2025-11-25 protocol (the era the inspector and most hosts speak).
    async with Client(params, mode="legacy") as client:
        for _ in range(20):  # warm-up
            await client.send_ping()
            await client.call_tool("recall", {"query": queries[0]})
        ping, recall = [], []
        hits = 0
        for i in range(calls):
            t0 = time.perf_counter()
            await client.send_ping()
            ping.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            result = await client.call_tool("recall", {"query": queries[i % len(queries)], "limit": 10})
            recall.append((time.perf_counter() - t0) * 1000)
            assert not result.is_error, result.content
            hits += len(result.structured_content["items"])
    p_med, p_90 = summary(ping)
    r_med, r_90 = summary(recall)
    print(f"stdio, {calls} calls each, alternating; recall limit 10 returned {hits / calls:.1f} items on average")
    print(f"ping   median {p_med:7.3f} ms   p90 {p_90:7.3f} ms")
    print(f"recall median {r_med:7.3f} ms   p90 {r_90:7.3f} ms")
    print(f"ratio recall/ping (median): {r_med / p_med:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--vocabulary", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        words = vocabulary(args.vocabulary)
        fill(db, args.memories, words)
        print(f"filled {args.memories} memories ({args.vocabulary}-word vocabulary) in {time.perf_counter() - t0:.1f} s")
        anyio.run(measure, db, args.calls, words)


if __name__ == "__main__":
    main()
