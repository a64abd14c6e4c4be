"""Shared by the data tests: a store with a record in every layer, and a second empty store."""

from __future__ import annotations

from contextlib import asynccontextmanager

from cortex_mcp.api.facts import revise
from cortex_mcp.backends.base import Backend, call
from cortex_mcp.backends.embedded import EmbeddedBackend


async def populate(backend: Backend, space: str = "home", user: str = "alex") -> None:
    await call(backend, "memorySpaces:register", {"memorySpaceId": space, "type": "personal", "name": "Home"})
    await call(backend, "agents:register", {"agentId": "helper", "name": "Helper", "metadata": {"n": 1}})
    await call(backend, "immutable:store", {"type": "user", "id": user, "data": {"displayName": "Alex"}})
    await call(backend, "immutable:store", {"type": "note", "id": "n1", "data": {"text": "v1"}, "userId": user})
    await call(backend, "immutable:store", {"type": "note", "id": "n1", "data": {"text": "v2"}, "userId": user})
    await call(backend, "mutable:set", {"namespace": "prefs", "key": "theme", "value": "dark", "userId": user})
    await call(backend, "conversations:create", {
        "conversationId": "conv-1", "memorySpaceId": space, "type": "user-agent",
        "participants": {"userId": user, "agentId": "helper"},
    })
    await call(backend, "conversations:addMessage", {
        "conversationId": "conv-1", "message": {"id": "m1", "role": "user", "content": "I live in Lisbon"},
    })
    stored = await call(backend, "memories:store", {
        "memorySpaceId": space, "content": "Alex lives in Lisbon", "contentType": "raw", "sourceType": "conversation",
        "importance": 70, "tags": ["home"], "userId": user, "embedding": [0.25, 0.5, -1.0],
        "conversationRef": {"conversationId": "conv-1", "messageIds": ["m1"]},
    })
    await call(backend, "memories:update", {
        "memorySpaceId": space, "memoryId": stored["memoryId"], "content": "Alex lives in Porto",
    })
    await call(backend, "memories:store", {
        "memorySpaceId": "work", "content": "Standup at nine", "contentType": "raw", "sourceType": "system",
        "importance": 40, "tags": [],
    })
    await revise(backend, memory_space_id=space, fact="Alex lives in Lisbon", subject=user, predicate="lives in",
                 object="Lisbon", fact_type="identity", user_id=user)
    await revise(backend, memory_space_id=space, fact="Alex lives in Porto", subject=user, predicate="lives in",
                 object="Porto", fact_type="identity", user_id=user)
    context = await call(backend, "contexts:create", {"memorySpaceId": space, "purpose": "Move house", "userId": user})
    await call(backend, "contexts:update", {"contextId": context["contextId"], "status": "completed"})
    await call(backend, "sessions:create", {"sessionId": "s-1", "userId": user, "startedAt": 1_700_000_000_000,
                                            "memorySpaceId": space})
    await call(backend, "a2a:send", {"from": "helper", "to": "planner", "message": "Alex moved to Porto"})


@asynccontextmanager
async def empty_like(backend, tmp_path, name="other"):
    """A second, empty store of the same kind as `backend` (embedded, or Convex over the wire)."""
    if backend.name == "embedded":
        other = EmbeddedBackend(tmp_path / f"{name}.db")
        try:
            yield other
        finally:
            await other.aclose()
        return
    from cortex_mcp.backends.convex import ConvexBackend
    from cortex_mcp.backends.embedded.wire import WireServer

    server = WireServer(tmp_path / f"{name}.db").start()
    other = ConvexBackend(server.url, deploy_key=server.key, timeout=10.0)
    try:
        yield other
    finally:
        await other.aclose()
        server.close()
