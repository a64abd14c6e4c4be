"""Belief revision under contention: several processes revise one single-valued slot on one file.

    .venv/bin/python tools/stress_revision.py [--processes 4] [--seconds 20] [--call-by-call] [--json]

Each process opens its own embedded backend on the same database and, until the time is up,
stores "carol lives in town-<process>-<n>" with belief revision (`api.facts.revise`, a plan run as
one transaction), alternating with a remember whose exchange carries such a fact. Reported: the
revisions made, revisions per second, and the number of current "lives in" facts about carol
afterwards, which must be exactly 1 (issue 9 saw 1,204 after 60 s with 4 processes before
revision was atomic); the run exits non-zero otherwise. Also reports orphan conversation messages
(messages without a memory), which must be 0. `--call-by-call` runs the same plans one call at a
time, as on a Convex deployment (not atomic), to show what the unit of work prevents.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cortex_mcp.api import facts, memory  # noqa: E402
from cortex_mcp.backends.base import call  # noqa: E402
from cortex_mcp.backends.embedded import EmbeddedBackend  # noqa: E402

SPACE = "stress"


class CallByCall:
    """The embedded backend without its plan runner: plans run one call at a time."""

    name = "call-by-call"

    def __init__(self, backend: EmbeddedBackend):
        self.query, self.mutation, self.action = backend.query, backend.mutation, backend.action
        self.aclose = backend.aclose


def _worker(db: str, index: int, deadline: float, counts: multiprocessing.Queue, call_by_call: bool) -> None:
    async def run() -> int:
        backend: Any = EmbeddedBackend(db)
        if call_by_call:
            backend = CallByCall(backend)
        n = 0
        try:
            while time.time() < deadline:
                town = f"town-{index}-{n}"
                if n % 2:
                    await memory.remember_exchange(
                        backend, memory_space_id=SPACE, user_message=f"I moved to {town}",
                        agent_response=f"Noted that you live in {town} now, enjoy the new place!",
                        user_id="carol", agent_id="bot",
                        facts=[{"fact": f"carol lives in {town}", "subject": "carol", "predicate": "lives in",
                                "object": town}],
                    )
                else:
                    await facts.revise(backend, memory_space_id=SPACE, fact=f"carol lives in {town}",
                                       subject="carol", predicate="lives in", object=town, user_id="carol")
                n += 1
        finally:
            await backend.aclose()
        return n

    counts.put(anyio.run(run))


async def _check(db: str) -> dict:
    backend = EmbeddedBackend(db)
    try:
        now = int(time.time() * 1000) + 1
        current = await call(backend, "facts:queryBySubject",
                             {"memorySpaceId": SPACE, "subject": "carol", "validAt": now})
        conversations = await call(backend, "conversations:list", {"memorySpaceId": SPACE, "limit": 100_000})
        conversations = conversations if isinstance(conversations, list) else conversations["conversations"]
        memories = await call(backend, "memories:list", {"memorySpaceId": SPACE, "limit": 1_000_000})
        referenced = {i for m in memories for i in (m.get("conversationRef") or {}).get("messageIds", [])}
        messages = [msg["id"] for c in conversations for msg in c["messages"]]
        # An acknowledgement reply is not stored as a memory (§2.3): count only user messages' orphans.
        roles = {msg["id"]: msg["role"] for c in conversations for msg in c["messages"]}
        orphans = [i for i in messages if i not in referenced and roles[i] == "user"]
        return {"current_facts": len(current), "orphan_messages": len(orphans), "messages": len(messages)}
    finally:
        await backend.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--call-by-call", action="store_true", help="run plans call by call (not atomic)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "stress.db")
        EmbeddedBackend(db).store.close()  # create the schema once, before the race
        deadline = time.time() + args.seconds
        queue: multiprocessing.Queue = multiprocessing.Queue()
        workers = [multiprocessing.Process(target=_worker, args=(db, i, deadline, queue, args.call_by_call))
                   for i in range(args.processes)]
        for w in workers:
            w.start()
        revisions = sum(queue.get() for _ in workers)
        for w in workers:
            w.join()
        report = {"mode": "call-by-call" if args.call_by_call else "plan", "processes": args.processes,
                  "seconds": args.seconds, "revisions": revisions,
                  "revisions_per_second": round(revisions / args.seconds, 1), **anyio.run(_check, db)}
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>22}: {value}")
    return 0 if report["current_facts"] == 1 and report["orphan_messages"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
