"""A small memory with something on every page of `cortex-mcp ui`, written through the api layer."""

from __future__ import annotations

from typing import Any

from cortex_mcp.api import a2a, contexts, facts, memory
from cortex_mcp.backends.base import Backend

SCRIPT = "<script>alert('x')</script>"


async def seed(backend: Backend) -> dict[str, Any]:
    """Ids of what was written: a conversation memory holding `SCRIPT`, a note with two versions,
    a belief (Paris) superseded by another (Berlin), a three-level task tree, and an agent thread."""
    exchange = await memory.remember_exchange(
        backend, memory_space_id="test-space", user_message=f"I moved to Paris {SCRIPT}",
        agent_response="Noted: you live in Paris now.", user_id="alex", agent_id="helper",
    )
    note = await memory.remember_note(
        backend, memory_space_id="test-space", content="Alex drinks tea", user_id="alex", agent_id="helper",
        importance=80, tags=["drinks"],
    )
    note_id = note.memories[0]["memoryId"]
    await memory.update_memory(backend, memory_space_id="test-space", memory_id=note_id,
                               content="Alex drinks green tea, never coffee")
    paris = await facts.revise(backend, memory_space_id="test-space", fact="Alex lives in Paris", subject="alex",
                               predicate="lives in", object="Paris", user_id="alex", confidence=90)
    berlin = await facts.revise(backend, memory_space_id="test-space", fact="Alex lives in Berlin", subject="alex",
                                predicate="lives in", object="Berlin", user_id="alex", confidence=95)
    root = await contexts.create(backend, memory_space_id="test-space", purpose="Plan the move", user_id="alex")
    child = await contexts.create(backend, memory_space_id="test-space", purpose="Find a flat",
                                  parent_id=root["contextId"], user_id="alex")
    grandchild = await contexts.create(backend, memory_space_id="test-space", purpose=f"Call the agent {SCRIPT}",
                                       parent_id=child["contextId"], user_id="alex")
    await a2a.send(backend, from_agent="planner", to_agent="mover", message="Book the van for Friday",
                   allow_unregistered=True)
    return {
        "exchange": exchange.memories[0]["memoryId"],
        "note": note_id,
        "paris": paris["fact"]["factId"],
        "berlin": berlin["fact"]["factId"],
        "root": root["contextId"],
        "child": child["contextId"],
        "grandchild": grandchild["contextId"],
    }
