"""Retrieval quality on LoCoMo: evidence recall@k of `recall`, without an LLM.

    .venv/bin/python tools/bench_locomo.py ../shared/data/locomo-dev.json [--k 5 10 20]

Each conversation goes into its own memory space; every turn is one memory (tagged with its
dia_id). Each question of categories 1-4 is asked through the api layer's `recall` (the same code
the `recall` tool runs); a question counts as a hit at k when any of its evidence turns is among
the top k memories. Prints recall@k overall and per category, and the median recall latency.
The data set is CC BY-NC 4.0 and is not part of this repository: pass its path.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cortex_mcp.api import memory  # noqa: E402
from cortex_mcp.backends.embedded import EmbeddedBackend  # noqa: E402

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}


def ingest(backend: EmbeddedBackend, samples: list[dict]) -> dict[str, str]:
    """All turns as memories (one transaction); returns memoryId -> dia_id."""
    dia_of: dict[str, str] = {}
    store = backend.handlers["memories:store"]

    def write(tx):
        for n, sample in enumerate(samples):
            conversation = sample["conversation"]
            for key, turns in conversation.items():
                if not key.startswith("session_") or key.endswith("date_time"):
                    continue
                for turn in turns:
                    doc = store(tx, {
                        "memorySpaceId": f"locomo-{n}",
                        "content": f"{turn['speaker']}: {turn['text']}",
                        "contentType": "raw",
                        "sourceType": "conversation",
                        "userId": turn["speaker"],
                        "importance": 50,
                        "tags": [turn["dia_id"]],
                    })
                    dia_of[doc["memoryId"]] = turn["dia_id"]

    backend.store.run(True, write)
    return dia_of


async def evaluate(backend: EmbeddedBackend, samples: list[dict], dia_of: dict[str, str], ks: list[int]) -> None:
    hits = {k: {c: 0 for c in CATEGORIES} for k in ks}
    totals = {c: 0 for c in CATEGORIES}
    latencies = []
    top = max(ks)
    for n, sample in enumerate(samples):
        for qa in sample["qa"]:
            category = qa.get("category")
            if category not in CATEGORIES or not qa.get("evidence"):
                continue
            totals[category] += 1
            t0 = time.perf_counter()
            result = await memory.recall(backend, memory_space_id=f"locomo-{n}", query=qa["question"], limit=top,
                                         include_facts=False)
            latencies.append((time.perf_counter() - t0) * 1000)
            ranked = [dia_of.get(item["id"]) for item in result["items"]]
            evidence = set(qa["evidence"])
            for k in ks:
                if evidence & set(ranked[:k]):
                    hits[k][category] += 1
    questions = sum(totals.values())
    print(f"{len(samples)} conversations, {len(dia_of)} memories, {questions} questions (categories 1-4)")
    for k in ks:
        overall = sum(hits[k].values()) / questions
        per = ", ".join(f"{CATEGORIES[c]} {hits[k][c] / totals[c]:.1%}" for c in CATEGORIES if totals[c])
        print(f"evidence recall@{k}: {overall:.1%}  ({per})")
    print(f"recall latency (in process, top {top}): median {statistics.median(latencies):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="path to locomo-dev.json")
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10, 20])
    args = parser.parse_args()
    samples = json.loads(args.data.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        backend = EmbeddedBackend(Path(tmp) / "locomo.db")
        dia_of = ingest(backend, samples)
        anyio.run(evaluate, backend, samples, dia_of, sorted(args.k))
        backend.store.close()


if __name__ == "__main__":
    main()
