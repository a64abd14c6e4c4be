"""Retrieval quality on LoCoMo: evidence recall@k of `recall`, without an LLM.

    .venv/bin/python tools/bench_locomo.py ../shared/data/locomo-dev.json [--k 5 10 20] [--json]
    .venv/bin/python tools/bench_locomo.py FILE --ingest undated    # every turn at once, no dates
    .venv/bin/python tools/bench_locomo.py FILE --embeddings local --pad 10000   # latency at 10k per space

Scored as LoCoMo scores it (../shared/data/README.md): each conversation goes into its own memory
space, every turn is one memory mapped back to its dia_id; each question of categories 1-4 is asked
through the api layer's `recall` (the code the `recall` tool runs), and its recall@k is the SHARE of
its evidence turns among the top k memories. Reported: the mean over questions, overall and per
category (1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop), and recall latency p50/p95.

Ingest modes: `dated` (default) stores the turns of each session in order with the session's
date-time as the memory's time, and asks the questions as of the end of the conversation, as an
agent's real history looks (recency matters); `undated` stores every turn at once at the current
time (the ingest the first figures were measured with).
The data set is CC BY-NC 4.0 and is not part of this repository: pass its path.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cortex_mcp.api import memory
from cortex_mcp.api.embeddings import make_embedder
from cortex_mcp.api.embeddings.context import assemble, texts_to_embed, with_context
from cortex_mcp.api.embeddings.models import record_model
from cortex_mcp.api.embeddings.vectors import vector_to_search
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.backends.embedded.store import Tx

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
_SESSION = re.compile(r"session_(\d+)")
_EVIDENCE_ID = re.compile(r"D:?(\d+):(\d+)")
_DAY_MS = 86_400_000


def sessions(conversation: dict) -> list[tuple[int, list[dict], int | None]]:
    """(number, turns, date-time in ms or None) for every session, in session order."""
    found = []
    for key, turns in conversation.items():
        match = _SESSION.fullmatch(key)
        if match and isinstance(turns, list):
            found.append((int(match[1]), turns, parse_date(conversation.get(f"{key}_date_time"))))
    return sorted(found, key=lambda s: s[0])


def parse_date(text: Any) -> int | None:
    """LoCoMo's "1:56 pm on 8 May, 2023" as epoch ms (UTC); None when absent or unreadable."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(when.timestamp() * 1000)


def normalise_evidence(evidence: Any, turn_ids: set[str]) -> set[str]:
    """Evidence ids as the data README says: split lists in one string, read D:8:6 / D8:06 as D8:6,
    and drop ids that are not turns of the conversation."""
    ids: set[str] = set()
    for entry in evidence if isinstance(evidence, list) else [evidence]:
        if not isinstance(entry, str):
            continue
        for part in re.split(r"[;,\s]+", entry):
            match = _EVIDENCE_ID.fullmatch(part.strip())
            if match:
                ids.add(f"D{int(match[1])}:{int(match[2])}")
    return ids & turn_ids


def normalise_turn_id(dia_id: str) -> str:
    match = _EVIDENCE_ID.fullmatch(dia_id.strip())
    return f"D{int(match[1])}:{int(match[2])}" if match else dia_id


def ingest(
    backend: EmbeddedBackend, samples: list[dict], dated: bool, embedder: Any = None, pad: int = 0
) -> tuple[dict[str, str], list[int | None]]:
    """Every turn as a memory (one transaction); returns memoryId -> dia_id and, per conversation,
    the time questions are asked at (end of its last session when dated, else None: real time).
    With an embedder, each memory is stored with its vector (as remember does). With `pad`, each
    conversation's space is filled up to `pad` memories with the sessions of the other
    conversations (distractors: never evidence), to measure recall at that size."""
    dia_of: dict[str, str] = {}
    asked_at: list[int | None] = []
    store = backend.handlers["memories:store"]
    # Vectors as remember makes them: each turn in the context of the turns before it in its session.
    turns_of = {(n, number): turns for n, sample in enumerate(samples)
                for number, turns, _ in sessions(sample["conversation"])}
    items = {key: with_context([f"{t['speaker']}: {t['text']}" for t in turns]) for key, turns in turns_of.items()}
    flat = [item for session in items.values() for item in session]
    vectors = iter(assemble(flat, embedder.embed_sync(texts_to_embed(flat))) if embedder else [])
    vectors_of = {key: [next(vectors) for _ in session] for key, session in items.items()} if embedder else {}

    def store_session(tx: Tx, space: str, conversation: str, source: tuple[int, int], turns: list[dict],
                      date: int | None) -> list[dict]:
        docs = []
        for i, turn in enumerate(turns):
            content = f"{turn['speaker']}: {turn['text']}"
            doc = store(tx, {
                "memorySpaceId": space,
                "content": content,
                "contentType": "raw",
                "sourceType": "conversation",
                "userId": turn["speaker"],
                "importance": 50,
                "tags": [turn["dia_id"]],
                # each session is one conversation of the agent's history (turns in order)
                "conversationRef": {"conversationId": conversation, "messageIds": [turn["dia_id"]]},
                **({"embedding": vectors_of[source][i]} if embedder else {}),
            })
            if dated and date is not None:
                at = date + i * 1000  # turns of a session a second apart, in order
                tx.patch(doc["_id"], {"createdAt": at, "updatedAt": at, "sourceTimestamp": at})
            docs.append(doc)
        return docs

    def write(tx: Tx) -> None:
        for n, sample in enumerate(samples):
            space, last, stored = f"locomo-{n}", None, 0
            for number, turns, date in sessions(sample["conversation"]):
                docs = store_session(tx, space, f"conv-locomo-{n}-{number}", (n, number), turns, date)
                for doc, turn in zip(docs, turns, strict=True):
                    dia_of[doc["memoryId"]] = normalise_turn_id(turn["dia_id"])
                if dated and date is not None and turns:
                    last = date + (len(turns) - 1) * 1000
                stored += len(docs)
            others = [(m, number, turns, date) for m, other in enumerate(samples) if m != n
                      for number, turns, date in sessions(other["conversation"])]
            for copy in itertools.count():
                if stored >= pad or not others:
                    break
                for m, number, turns, date in others:
                    turns = turns[: pad - stored]
                    conversation = f"conv-pad-{n}-{copy}-{m}-{number}"
                    stored += len(store_session(tx, space, conversation, (m, number), turns, date))
                    if stored >= pad:
                        break
            asked_at.append(last + _DAY_MS if dated and last is not None else None)

    backend.store.run(True, write)
    return dia_of, asked_at


async def evaluate(
    backend: EmbeddedBackend,
    samples: list[dict],
    dia_of: dict[str, str],
    asked_at: list[int | None],
    ks: list[int],
    embedder: Any = None,
) -> dict:
    shares: dict[int, dict[int, list[float]]] = {k: {c: [] for c in CATEGORIES} for k in ks}
    latencies: list[float] = []
    top = max(ks)
    for n, sample in enumerate(samples):
        turn_ids = {normalise_turn_id(t["dia_id"]) for _, turns, _ in sessions(sample["conversation"]) for t in turns}
        for qa in sample["qa"]:
            category = qa.get("category")
            if category not in CATEGORIES:
                continue
            evidence = normalise_evidence(qa.get("evidence"), turn_ids)
            if not evidence:
                continue
            t0 = time.perf_counter()  # the query's embedding counts in the recall latency
            question = qa["question"]
            result = await memory.recall(
                backend,
                memory_space_id=f"locomo-{n}",
                query=question,
                # as the recall tool does: the model checked, then the query embedded
                embedding=await vector_to_search(backend, embedder, question) if embedder else None,
                limit=top,
                include_facts=False,
                now=asked_at[n],
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            ranked = [dia_of.get(item["id"]) for item in result["items"]]
            for k in ks:
                shares[k][category].append(len(evidence & set(ranked[:k])) / len(evidence))
    return summarise(shares, latencies, ks)


def summarise(shares: dict[int, dict[int, list[float]]], latencies: list[float], ks: list[int]) -> dict:
    def pct(values: list[float]) -> float:
        return round(100 * sum(values) / len(values), 2) if values else 0.0

    report: dict[str, Any] = {}
    for k in ks:
        report[f"r@{k}"] = pct([s for c in CATEGORIES for s in shares[k][c]])
    report["by_category"] = {
        CATEGORIES[c]: {f"r@{k}": pct(shares[k][c]) for k in ks} | {"questions": len(shares[ks[0]][c])}
        for c in CATEGORIES
    }
    report["questions"] = sum(len(shares[ks[0]][c]) for c in CATEGORIES)
    ordered = sorted(latencies)
    report["p50_ms"] = round(statistics.median(ordered), 3) if ordered else None
    report["p95_ms"] = round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3) if ordered else None
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="a LoCoMo-format JSON file (e.g. locomo-dev.json)")
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--ingest", choices=("dated", "undated"), default="dated")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--pad", type=int, default=0, metavar="N",
        help="fill each conversation's space up to N memories with the other conversations' sessions (latency at N)",
    )
    parser.add_argument(
        "--embeddings", choices=("none", "local"), default="none", help="local: MiniLM vectors fused into recall"
    )
    args = parser.parse_args()
    samples = json.loads(args.data.read_text())
    ks = sorted(set(args.k))
    with tempfile.TemporaryDirectory() as tmp:
        backend = EmbeddedBackend(Path(tmp) / "locomo.db")
        embedder = make_embedder(args.embeddings)
        dia_of, asked_at = ingest(backend, samples, dated=args.ingest == "dated", embedder=embedder, pad=args.pad)
        if embedder:  # as the first remember with vectors does
            anyio.run(record_model, backend, embedder.name, embedder.dimension)
        report = anyio.run(evaluate, backend, samples, dia_of, asked_at, ks, embedder)
        backend.store.close()
    report = {"ingest": args.ingest, "embeddings": args.embeddings, "memories": len(dia_of), "pad": args.pad, **report}
    if args.json:
        print(json.dumps(report))
        return
    print(
        f"{len(samples)} conversations, {len(dia_of)} memories, {report['questions']} questions "
        f"(categories 1-4), ingest {args.ingest}, embeddings {args.embeddings}"
        + (f", each space padded to {args.pad} memories" if args.pad else "")
    )
    for k in ks:
        per = ", ".join(f"{name} {report['by_category'][name][f'r@{k}']:.1f}" for name in CATEGORIES.values())
        print(f"evidence R@{k}: {report[f'r@{k}']:.1f}  ({per})")
    print(f"recall latency (in process, top {max(ks)}): p50 {report['p50_ms']:.2f} ms, p95 {report['p95_ms']:.2f} ms")


if __name__ == "__main__":
    main()
