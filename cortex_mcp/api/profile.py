"""One answer to "what do you know about me?": a user's current facts, notable and recent
memories, open contexts and unread agent messages, each bounded, from a handful of reads."""

from __future__ import annotations

from typing import Any

from cortex_mcp.api import a2a
from cortex_mcp.api.checks import require_text
from cortex_mcp.backends.base import Backend, call
from cortex_mcp.clock import now_ms

FACTS_READ = 200  # current facts read per profile (newest kept when there are more)
MEMORIES_READ = 200  # newest memories read to pick the most important from


def slot_of(fact: dict[str, Any]) -> str:
    """The slot a fact fills: `subject predicate` when it has them (e.g. 'alex lives in'), else its type."""
    subject, predicate = fact.get("subject"), fact.get("predicate")
    if subject and predicate:
        return f"{subject} {predicate}".lower()
    return str(fact.get("factType") or "custom")


async def profile(
    backend: Backend,
    *,
    memory_space_id: str,
    user_id: str | None,
    agent_id: str | None,
    limit: int = 5,
) -> dict[str, Any]:
    """Everything bounded by `limit` per section (facts: per slot, newest first)."""
    require_text(memory_space_id, "memory_space_id")
    who = {"userId": user_id} if user_id else {}
    # validAt: a forgotten (retracted) fact keeps its row, with validUntil, but is no longer believed.
    facts = await call(backend, "facts:list", {"memorySpaceId": memory_space_id, **who, "limit": FACTS_READ,
                                               "validAt": now_ms()})
    slots: dict[str, list[dict]] = {}
    for fact in sorted(facts, key=lambda f: f.get("createdAt", 0), reverse=True):
        slots.setdefault(slot_of(fact), []).append(fact)
    memories = await call(backend, "memories:list", {"memorySpaceId": memory_space_id, **who, "limit": MEMORIES_READ})
    important = sorted(memories, key=lambda m: (m.get("importance", 0), m.get("createdAt", 0)), reverse=True)
    contexts = await call(
        backend, "contexts:list", {"memorySpaceId": memory_space_id, **who, "status": "active", "limit": limit}
    )
    inbox = await a2a.inbox(backend, agent_id=agent_id, limit=limit) if agent_id else None
    profile_doc = await call(backend, "users:get", {"userId": user_id}) if user_id else None
    return {
        "user_id": user_id,
        "memory_space_id": memory_space_id,
        "profile": (profile_doc or {}).get("data"),
        "facts": {slot: found[:limit] for slot, found in list(slots.items())[: limit * 4]},
        "fact_count": len(facts),
        "important_memories": important[:limit],
        "recent_memories": memories[:limit],
        "memory_count": len(memories),
        "open_contexts": contexts[:limit],
        "inbox": (inbox or {}).get("messages", []),
        "awaiting_reply": (inbox or {}).get("awaiting_reply", 0),
    }
