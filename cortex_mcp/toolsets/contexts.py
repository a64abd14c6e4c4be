"""Toolset `contexts` (default): context chains — units of work with parents and children."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Field

from cortex_mcp.api import contexts as api
from cortex_mcp.contract.enums import ContextStatus
from cortex_mcp.toolsets.base import Registrar, SpaceArg, UserArg, bounded, bounded_data, clip

ContextIdArg = Annotated[str, Field(min_length=1, description="ctx-...")]


class Context(BaseModel):
    text_omit: ClassVar = ("memory_space_id", "root_id", "version", "updated_at")
    context_id: str
    memory_space_id: str
    purpose: str
    description: str | None = None
    status: str
    parent_id: str | None = None
    root_id: str | None = None
    depth: int
    child_ids: list[str]
    participants: list[str]
    data: Any = None
    version: int
    user_id: str | None = None
    created_at: int
    updated_at: int
    completed_at: int | None = None

    @classmethod
    def of(cls, doc: dict) -> Context:
        return cls(
            context_id=doc["contextId"],
            memory_space_id=doc["memorySpaceId"],
            purpose=clip(doc["purpose"]),
            description=clip(doc["description"]) if isinstance(doc.get("description"), str) else None,
            status=doc["status"],
            parent_id=doc.get("parentId"),
            root_id=doc.get("rootId"),
            depth=int(doc["depth"]),
            child_ids=bounded(doc.get("childIds")),
            participants=bounded(doc.get("participants")),
            data=bounded_data(doc.get("data")),
            version=int(doc["version"]),
            user_id=doc.get("userId"),
            created_at=int(doc["createdAt"]),
            updated_at=int(doc["updatedAt"]),
            completed_at=int(doc["completedAt"]) if "completedAt" in doc else None,
        )


class ContextWithChain(BaseModel):
    text_omit: ClassVar = ("depth",)
    context: Context
    parent: Context | None = None
    root: Context | None = None
    children: list[Context] = Field(default_factory=list)
    ancestors: list[Context] = Field(default_factory=list, description="Root first")
    descendants: list[Context] = Field(default_factory=list)
    depth: int
    total_nodes: int | None = None


def register(reg: Registrar) -> None:
    rt = reg.runtime

    async def create_context(
        purpose: Annotated[str, Field(min_length=1, description="What it is for, e.g. 'Plan Q3 launch'")],
        parent_id: Annotated[str | None, Field(description="Parent context (makes a sub-task)")] = None,
        description: Annotated[str | None, Field(description="Details")] = None,
        data: Annotated[dict[str, Any] | None, Field(description="Free-form state")] = None,
        status: Annotated[ContextStatus | None, Field(description="Default active")] = None,
        user_id: UserArg = None,
        memory_space_id: SpaceArg = None,
    ) -> Context:
        """Start a context (task or goal) to track multi-step work; parent_id makes a sub-task."""
        return Context.of(
            await api.create(
                rt.backend,
                memory_space_id=rt.space(memory_space_id),
                purpose=purpose,
                parent_id=parent_id,
                description=description,
                user_id=rt.user(user_id),
                data=data,
                status=status,
            )
        )

    async def get_context(
        context_id: ContextIdArg,
        include_chain: Annotated[bool, Field(description="With parent, root, children, ancestors, descendants")] = True,
    ) -> ContextWithChain:
        """Get a context and where it sits in its task tree."""
        found = await api.get(rt.backend, context_id=context_id, include_chain=include_chain)
        if not include_chain:
            return ContextWithChain(context=Context.of(found), depth=int(found["depth"]))

        def many(key: str) -> list[Context]:
            return [Context.of(c) for c in bounded(found.get(key))]  # a huge tree stays readable

        return ContextWithChain(
            context=Context.of(found["current"]),
            parent=Context.of(found["parent"]) if found.get("parent") else None,
            root=Context.of(found["root"]) if found.get("root") else None,
            children=many("children"),
            ancestors=many("ancestors"),
            descendants=many("descendants"),
            depth=int(found["depth"]),
            total_nodes=found.get("totalNodes"),
        )

    async def update_context(
        context_id: ContextIdArg,
        status: Annotated[ContextStatus | None, Field(description="New status")] = None,
        description: Annotated[str | None, Field(description="New details")] = None,
        data: Annotated[dict[str, Any] | None, Field(description="Merged into its data")] = None,
    ) -> Context:
        """Record progress on a context (status, details, data); the previous state is kept."""
        return Context.of(
            await api.update(rt.backend, context_id=context_id, status=status, description=description, data=data)
        )

    reg.add(create_context, title="Create a context", read_only=False)
    reg.add(get_context, title="Get a context chain", read_only=True)
    reg.add(update_context, title="Update a context", read_only=False)
