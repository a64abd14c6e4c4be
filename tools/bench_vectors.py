"""Vector search on the embedded store: `memories:search` with an embedding at N memories.

    python tools/bench_vectors.py --memories 100000 [--dimension 384] [--queries 50] [--json]

Stores N random unit vectors (through bulk:storeMemories) in a temporary database, then times the
semantic search in process: the first query (loads the space's matrix), then p50/p95 of warm
queries, with numpy (the [embeddings] extra) and, for at most 20k memories, the pure-Python path.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cortex_mcp.backends.embedded import EmbeddedBackend, vectors  # noqa: E402


def unit(rng: random.Random, dimension: int) -> list[float]:
    v = [rng.gauss(0, 1) for _ in range(dimension)]
    norm = sum(x * x for x in v) ** 0.5
    return [x / norm for x in v]


def timed(backend: EmbeddedBackend, query: list[float]) -> float:
    started = time.perf_counter()
    backend.call_sync("query", "memories:search", {"memorySpaceId": "s", "query": "", "embedding": query, "limit": 20})
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(1)
    report: dict = {"memories": args.memories, "dimension": args.dimension}
    with tempfile.TemporaryDirectory() as tmp:
        backend = EmbeddedBackend(Path(tmp) / "bench.db")
        batch = []
        for i in range(args.memories):
            batch.append({"memorySpaceId": "s", "content": f"memory {i}", "contentType": "raw", "sourceType": "tool",
                          "importance": 50, "tags": [], "embedding": unit(rng, args.dimension)})
            if len(batch) == 500 or i == args.memories - 1:
                backend.call_sync("mutation", "bulk:storeMemories", {"memories": batch})
                batch = []
        queries = [unit(rng, args.dimension) for _ in range(args.queries)]
        paths = [("numpy", vectors._numpy)] if vectors._numpy() else []
        if args.memories <= 20_000:
            paths.append(("python", lambda: None))
        for name, numpy_or_none in paths:
            vectors._numpy = numpy_or_none  # type: ignore[assignment]
            vectors._CACHE.clear()
            first = timed(backend, queries[0])
            warm = sorted(timed(backend, q) for q in queries)
            report[name] = {"first_ms": round(first, 2), "p50_ms": round(statistics.median(warm), 2),
                            "p95_ms": round(warm[int(len(warm) * 0.95) - 1], 2)}
        backend.store.close()
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
