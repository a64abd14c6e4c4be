"""Toolset `agents` (default): register and look up agents in the registry."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Field

from cortex_mcp.api import agents as api
from cortex_mcp.contract.enums import AgentStatus
from cortex_mcp.errors import CortexError
from cortex_mcp.toolsets.base import Registrar, bounded_data, clip
from cortex_mcp.toolsets.render import Paging

AgentIdArg = Annotated[str, Field(min_length=1, max_length=256, description="e.g. 'research-bot'")]


class Agent(BaseModel):
    agent_id: str
    name: str
    description: str | None = None
    status: str
    metadata: Any = None
    config: Any = None
    registered_at: int
    updated_at: int

    @classmethod
    def of(cls, doc: dict) -> Agent:
        return cls(
            agent_id=doc["agentId"],
            name=clip(doc["name"]),
            description=clip(doc["description"]) if isinstance(doc.get("description"), str) else None,
            status=doc["status"],
            metadata=bounded_data(doc.get("metadata")),
            config=bounded_data(doc.get("config")),
            registered_at=int(doc["registeredAt"]),
            updated_at=int(doc["updatedAt"]),
        )


class AgentList(BaseModel):
    text_omit: ClassVar = ("count",)
    paging: ClassVar = Paging("agents")
    agents: list[Agent]
    count: int


def register(reg: Registrar) -> None:
    rt = reg.runtime

    async def register_agent(
        agent_id: AgentIdArg,
        name: Annotated[str, Field(min_length=1, max_length=200, description="Display name")],
        description: Annotated[str | None, Field(description="What it does")] = None,
        metadata: Annotated[dict[str, Any] | None, Field(description="Free-form, e.g. {'team': 'ops'}")] = None,
    ) -> Agent:
        """Register an agent so others can find it and its activity is attributed to it."""
        return Agent.of(
            await api.register(rt.backend, agent_id=agent_id, name=name, description=description, metadata=metadata)
        )

    async def get_agent(agent_id: AgentIdArg) -> Agent:
        """Get a registered agent by id."""
        agent = await api.get(rt.backend, agent_id=agent_id)
        if agent is None:
            raise CortexError(
                f"Agent {agent_id} is not registered",
                code="AGENT_NOT_REGISTERED",
                field="agent_id",
                hint="Use list_agents to see registered agents, or register_agent to add it.",
            )
        return Agent.of(agent)

    async def list_agents(
        status: Annotated[
            AgentStatus | None, Field(description="Only this status")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="Max agents")] = 50,
        offset: Annotated[int, Field(ge=0, description="Skip this many (paging)")] = 0,
    ) -> AgentList:
        """List registered agents, newest first."""
        agents = await api.list_agents(rt.backend, status=status, limit=limit, offset=offset)
        return AgentList(agents=[Agent.of(a) for a in agents], count=len(agents))

    reg.add(register_agent, title="Register an agent", read_only=False)
    reg.add(get_agent, title="Get an agent", read_only=True)
    reg.add(list_agents, title="List agents", read_only=True)
