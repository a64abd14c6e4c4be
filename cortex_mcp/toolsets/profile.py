"""Toolset `profile` (default): get_profile, one call for "what do you know about me?"."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from cortex_mcp.api import profile as api
from cortex_mcp.toolsets.a2a import Message
from cortex_mcp.toolsets.base import Registrar, Runtime, SpaceArg, UserArg, bounded_data
from cortex_mcp.toolsets.caller import current_scope
from cortex_mcp.toolsets.contexts import Context
from cortex_mcp.toolsets.facts import Fact
from cortex_mcp.toolsets.memory import Memory


class Slot(BaseModel):
    slot: str = Field(description="What the facts are about, e.g. 'alex lives in'")
    facts: list[Fact] = Field(description="Current facts in this slot, newest first")


class Profile(BaseModel):
    user_id: str | None = None
    memory_space_id: str
    profile: Any = Field(None, description="The user's stored profile data")
    facts: list[Slot]
    fact_count: int
    important_memories: list[Memory]
    recent_memories: list[Memory]
    open_contexts: list[Context]
    inbox: list[Message] = Field(description="Newest messages other agents sent this agent")
    awaiting_reply: int = Field(0, description="Requests in the inbox with no reply yet")

    @classmethod
    def of(cls, found: dict[str, Any]) -> Profile:
        return cls(
            user_id=found["user_id"],
            memory_space_id=found["memory_space_id"],
            profile=bounded_data(found["profile"]),
            facts=[Slot(slot=slot, facts=[Fact.of(f) for f in facts]) for slot, facts in found["facts"].items()],
            fact_count=found["fact_count"],
            important_memories=[Memory.of(m) for m in found["important_memories"]],
            recent_memories=[Memory.of(m) for m in found["recent_memories"]],
            open_contexts=[Context.of(c) for c in found["open_contexts"]],
            inbox=[Message(**{k: v for k, v in m.items() if k in Message.model_fields}) for m in found["inbox"]],
            awaiting_reply=found["awaiting_reply"],
        )


async def read_profile(rt: Runtime, user_id: str | None, memory_space_id: str | None, limit: int = 5) -> Profile:
    """The profile as get_profile and the profile resource show it (the same content). The agent's
    inbox lives in the agent's own memory space: shown only when the caller's scope covers it."""
    agent = rt.config.agent_id
    found = await api.profile(
        rt.backend,
        memory_space_id=rt.space(memory_space_id),
        user_id=rt.user(user_id),
        agent_id=agent if agent and current_scope().has_space(agent) else None,
        limit=limit,
    )
    return Profile.of(found)


def register(reg: Registrar) -> None:
    rt = reg.runtime

    async def get_profile(
        user_id: UserArg = None,
        limit: Annotated[int, Field(ge=1, le=20, description="Max items per section")] = 5,
        memory_space_id: SpaceArg = None,
    ) -> Profile:
        """What is known about a user in one call: current facts by slot, important and recent
        memories, open contexts, unread agent messages."""
        return await read_profile(rt, user_id, memory_space_id, limit)

    reg.add(get_profile, title="What I know about a user", read_only=True)
