"""Resources beside the tools: what a host can attach to a conversation without a tool call.

`cortex://users/{user_id}/profile` (what get_profile returns), `cortex://memories/{memory_id}`,
`cortex://contexts/{context_id}` and `cortex://recent` (the newest memories), each as the same
compact text the tools render. Completions offer user, memory and context ids for the templates
and for the prompts' arguments (prompts.py). Every handler reads through `rt.backend`, the request's
backend held to the caller's scope (caller.py): a restricted caller reads only what its tools could.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import Completion, PromptReference, ResourceTemplateReference

from cortex_mcp.api import contexts as contexts_api
from cortex_mcp.api import memory as memory_api
from cortex_mcp.backends.base import Backend, call
from cortex_mcp.errors import CortexError
from cortex_mcp.toolsets.base import RECENT_URI, Runtime, describe_error
from cortex_mcp.toolsets.caller import current_scope
from cortex_mcp.toolsets.contexts import Context
from cortex_mcp.toolsets.memory import Memory, MemoryList
from cortex_mcp.toolsets.profile import read_profile
from cortex_mcp.toolsets.render import render

RECENT = 20  # memories in cortex://recent
COMPLETIONS = 20  # ids offered per completion request
TEXT = "text/plain"


def register_resources(server: MCPServer, rt: Runtime) -> None:
    @server.resource(
        "cortex://users/{user_id}/profile",
        name="profile",
        title="What is known about a user",
        description="Current facts by slot, important and recent memories, open contexts, unread messages",
        mime_type=TEXT,
    )
    async def profile(user_id: str) -> str:
        with _errors():
            current_scope().check_user(user_id, "user_id")
            return render(await read_profile(rt, user_id, None), tool="get_profile")

    @server.resource("cortex://memories/{memory_id}", name="memory", title="A memory", mime_type=TEXT)
    async def memory(memory_id: str) -> str:
        with _errors():
            found = await memory_api.get_memory(
                rt.backend, memory_space_id=rt.space(None), memory_id=memory_id, agent_id=rt.config.agent_id
            )
        if found is None:
            raise ResourceError(f"MEMORY_NOT_FOUND: no memory {memory_id} in memory space {rt.space(None)}")
        return render(Memory.of(found), tool="get_memory")

    @server.resource("cortex://contexts/{context_id}", name="context", title="A context", mime_type=TEXT)
    async def context(context_id: str) -> str:
        with _errors():
            found = await contexts_api.get(rt.backend, context_id=context_id)
        return render(Context.of(found), tool="get_context")

    @server.resource(
        RECENT_URI, name="recent", title="Newest memories", description=f"The {RECENT} newest", mime_type=TEXT
    )
    async def recent() -> str:
        backend = rt.backend
        with _errors():
            found = await memory_api.list_memories(backend, memory_space_id=rt.space(None), limit=RECENT)
            total = await memory_api.count_memories(backend, memory_space_id=rt.space(None))
        listed = MemoryList(memories=[Memory.of(m) for m in found], count=len(found), total=total)
        return render(listed, tool="list_memories", args={"limit": RECENT})

    @server.completion()
    async def complete(ref: Any, argument: Any, _context: Any) -> Completion | None:
        if not isinstance(ref, PromptReference | ResourceTemplateReference):
            return None
        try:
            values = await _ids(rt.backend, rt, argument.name, argument.value or "")
        except CortexError:  # suggestions are best effort: none rather than an error (e.g. out of scope)
            values = []
        return Completion(values=values[:COMPLETIONS], total=len(values), has_more=len(values) > COMPLETIONS)


async def _ids(backend: Backend, rt: Runtime, argument: str, prefix: str) -> list[str]:
    """Ids for a user_id, context_id or memory_id argument that start with what was typed."""
    space = rt.space(None)
    if argument == "user_id":
        found = [u["id"] for u in await call(backend, "users:list", {"limit": 500})]
        found += [rt.config.user_id] if rt.config.user_id else []
        allowed = current_scope().users
        found = [u for u in found if allowed is None or u in allowed]
    elif argument == "context_id":
        contexts = await call(backend, "contexts:list", {"memorySpaceId": space, "limit": 500})
        found = [c["contextId"] for c in sorted(contexts, key=lambda c: -c.get("updatedAt", 0))]
    elif argument == "memory_id":
        found = [m["memoryId"] for m in await call(backend, "memories:list", {"memorySpaceId": space, "limit": 200})]
    else:
        return []
    return [v for v in dict.fromkeys(found) if v.startswith(prefix)]


class _errors:
    """Backend and input errors as resource errors in the one error format."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, CortexError):
            raise ResourceError(describe_error(exc)) from exc
