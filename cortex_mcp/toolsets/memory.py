"""Toolset `memory` (default): remember, recall, forget and everyday memory CRUD."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from cortex_mcp.api import memory as api
from cortex_mcp.api.embeddings.vectors import vector_to_search
from cortex_mcp.contract.enums import FactType, MemorySourceType
from cortex_mcp.errors import CortexError
from cortex_mcp.toolsets.base import Registrar, SpaceArg, UserArg, bounded, clip
from cortex_mcp.toolsets.render import Paging

MemoryIdArg = Annotated[str, Field(description="Memory id (mem-...)")]
TagsArg = Annotated[list[str] | None, Field(description="Labels")]
ImportanceArg = Annotated[float | None, Field(ge=0, le=100, description="0-100")]


def _clip_messages(messages: list[dict] | None) -> list[dict] | None:
    """Conversation messages with their text bounded like every other returned text."""
    if messages is None:
        return None
    return [{**m, "content": clip(m["content"])} if isinstance(m.get("content"), str) else m for m in messages]




class FactInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fact: str = Field(min_length=1)
    subject: str | None = None
    predicate: str | None = None
    object: str | None = None
    fact_type: FactType | None = None
    confidence: float | None = Field(None, ge=0, le=100)
    tags: list[str] | None = None

    def as_args(self) -> dict[str, Any]:
        """With the defaults the schema leaves unsaid (a shorter schema costs fewer tokens per turn)."""
        confidence = 80 if self.confidence is None else self.confidence
        return {**self.model_dump(), "fact_type": self.fact_type or "custom", "confidence": confidence}


class Memory(BaseModel):
    text_omit: ClassVar = ("source_type", "version", "updated_at", "agent_id")
    memory_id: str
    content: str
    importance: float
    tags: list[str]
    source_type: str
    user_id: str | None = None
    agent_id: str | None = None
    message_role: str | None = None
    conversation_id: str | None = None
    version: int = 1
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, doc: dict) -> Memory:
        return cls(
            memory_id=doc["memoryId"],
            content=clip(doc["content"]),
            importance=doc["importance"],
            tags=bounded(doc.get("tags")),
            source_type=doc["sourceType"],
            user_id=doc.get("userId"),
            agent_id=doc.get("agentId"),
            message_role=doc.get("messageRole"),
            conversation_id=(doc.get("conversationRef") or {}).get("conversationId"),
            version=int(doc.get("version", 1)),
            created_at=int(doc["createdAt"]),
            updated_at=int(doc["updatedAt"]),
        )


class StoredFact(BaseModel):
    fact_id: str
    fact: str
    action: str = Field(description="ADD, UPDATE, SUPERSEDE or NONE (belief revision decision)")
    superseded_fact_id: str | None = None


class SkippedFact(BaseModel):
    fact: str
    error: str


class RememberResult(BaseModel):
    memories: list[Memory] = Field(
        description="Stored memories (an exchange: the user's message, and the agent's unless a mere acknowledgment)"
    )
    conversation_id: str | None = Field(None, description="Conversation the exchange was appended to")
    message_ids: list[str] = Field(default_factory=list)
    facts: list[StoredFact] = Field(default_factory=list, description="Facts stored through belief revision")
    skipped_facts: list[SkippedFact] = Field(
        default_factory=list, description="Facts the backend refused (the rest was stored)"
    )


class RecallItem(BaseModel):
    text_omit: ClassVar = ("type", "importance", "confidence", "user_id", "message_role", "conversation_id")
    type: Literal["memory", "fact"]
    id: str = Field(description="memory_id or fact_id: use it with forget, get_memory, update_memory")
    content: str
    score: float = Field(description="0–1 rank: relevance, importance/confidence, recency")
    importance: float | None = None
    confidence: float | None = None
    tags: list[str] | None = None
    user_id: str | None = None
    message_role: str | None = None
    created_at: int | None = None
    conversation_id: str | None = None
    source_messages: list[dict[str, Any]] | None = None


class RecallResult(BaseModel):
    text_omit: ClassVar = ("query_time_ms", "candidates")
    paging: ClassVar = Paging("items", "candidates", "call recall with a higher limit or other words")
    items: list[RecallItem]
    candidates: int = Field(
        description="Memories and facts ranked before the limit (each search stops at `limit`): more may match"
    )
    query_time_ms: float


class ForgetResult(BaseModel):
    memory_deleted: bool
    memory_id: str | None = None
    fact_retracted: str | None = Field(None, description="The fact id retracted, when a fact id was given")
    conversation_deleted: bool
    messages_deleted: int
    facts_deleted: int
    fact_ids: list[str]


class MemoryDetail(Memory):
    previous_versions: int = Field(0, description="How many earlier versions are kept")
    source_messages: list[dict[str, Any]] | None = None
    facts: list[dict[str, Any]] | None = None


class MemoryList(BaseModel):
    text_omit: ClassVar = ("count", "total")
    paging: ClassVar = Paging("memories", "total")
    memories: list[Memory]
    count: int = Field(description="Number returned")
    total: int = Field(description="Memories matching the filters in the space")


def register(reg: Registrar) -> None:
    rt = reg.runtime

    async def remember(
        content: Annotated[str | None, Field(description="e.g. 'Alex prefers tea'")] = None,
        user_message: Annotated[str | None, Field(description="Or user's message")] = None,
        agent_response: Annotated[str | None, Field(description="and your reply")] = None,
        conversation_id: Annotated[str | None, Field(description="Its conversation")] = None,
        facts: Annotated[
            list[FactInput] | None,
            Field(description="e.g. Alex (subject) lives in (predicate) Berlin (object)"),
        ] = None,
        importance: ImportanceArg = None,
        tags: TagsArg = None,
        user_id: UserArg = None,
        user_name: Annotated[str | None, Field(description="User name")] = None,
        agent_id: Annotated[str | None, Field(description="Agent")] = None,
        memory_space_id: SpaceArg = None,
    ) -> RememberResult:
        """Keep a note (content) or exchange (user_message + agent_response) to recall later."""
        common: dict[str, Any] = dict(
            memory_space_id=rt.space(memory_space_id),
            user_id=rt.user(user_id),
            user_name=user_name,
            agent_id=rt.agent(agent_id),
            importance=importance,
            tags=tags,
            facts=[f.as_args() for f in facts] if facts else None,
            embedder=rt.embedder,
        )
        if content is not None:
            if user_message is not None or agent_response is not None:
                raise CortexError(
                    "give either content, or user_message with agent_response, not both",
                    code="INVALID_FORMAT",
                    field="content",
                )
            if conversation_id is not None:
                raise CortexError(
                    "conversation_id belongs to an exchange: give user_message and agent_response with it",
                    code="INVALID_FORMAT",
                    field="conversation_id",
                )
            result = await api.remember_note(rt.backend, content=content, **common)
        elif user_message is not None or agent_response is not None:
            result = await api.remember_exchange(
                rt.backend,
                # a missing half is refused by the api's require_text, naming the field
                user_message=user_message,  # type: ignore[arg-type]
                agent_response=agent_response,  # type: ignore[arg-type]
                conversation_id=conversation_id,
                **common,
            )
        else:
            raise CortexError(
                "nothing to remember: give content, or user_message and agent_response",
                code="MISSING_REQUIRED_FIELD",
                field="content",
            )
        return RememberResult(
            memories=[Memory.of(m) for m in result.memories],
            conversation_id=result.conversation_id,
            message_ids=result.message_ids,
            facts=[
                StoredFact(
                    fact_id=r["fact"]["factId"],
                    fact=r["fact"]["fact"],
                    action=r["action"],
                    superseded_fact_id=(r.get("superseded") or {}).get("factId"),
                )
                for r in result.fact_revisions
                if r.get("fact")
            ],
            skipped_facts=[SkippedFact(**f) for f in result.skipped_facts],
        )

    async def recall(
        query: Annotated[str, Field(min_length=1, description="Search words")],
        limit: Annotated[int, Field(ge=1, le=50, description="Max items")] = 10,
        user_id: Annotated[str | None, Field(description="Only this user's")] = None,
        tags: Annotated[list[str] | None, Field(description="Only with any of these tags")] = None,
        min_importance: Annotated[float | None, Field(ge=0, le=100, description="Only at least this important")] = None,
        include_conversation: Annotated[bool, Field(description="Attach source messages")] = False,
        memory_space_id: SpaceArg = None,
    ) -> RecallResult:
        """Search memories and facts, best first. Use before answering when past context could help."""
        # With --embeddings, the query's vector too: recall fuses vector and full-text relevance.
        embedding = await vector_to_search(rt.backend, rt.embedder, query) if rt.embedder else None
        result = await api.recall(
            rt.backend,
            memory_space_id=rt.space(memory_space_id),
            query=query,
            embedding=embedding,
            user_id=user_id,
            tags=tags,
            min_importance=min_importance,
            limit=limit,
            include_conversation=include_conversation,
        )
        items = []
        for item in result["items"]:
            record = item["record"]
            items.append(
                RecallItem(
                    type=item["type"],
                    id=item["id"],
                    content=clip(item["content"]),
                    score=item["score"],
                    importance=record.get("importance"),
                    confidence=record.get("confidence"),
                    tags=record.get("tags") or None,  # no tags: left out, like every empty field
                    user_id=record.get("userId"),
                    message_role=record.get("messageRole"),
                    created_at=int(record["createdAt"]) if "createdAt" in record else None,
                    conversation_id=(record.get("conversationRef") or record.get("sourceRef") or {}).get(
                        "conversationId"
                    ),
                    source_messages=_clip_messages(item.get("source_messages")),
                )
            )
        # upstream's `total_results` counts the candidates ranked, not every match: named for what it is
        return RecallResult(items=items, candidates=result["total_results"], query_time_ms=result["query_time_ms"])

    async def forget(
        memory_id: Annotated[str, Field(min_length=1, description="Memory id (mem-...) or fact id (fact-...)")],
        delete_messages: Annotated[bool, Field(description="Also erase the messages it was made from")] = False,
        delete_conversation: Annotated[bool, Field(description="Also delete its whole conversation")] = False,
        memory_space_id: SpaceArg = None,
    ) -> ForgetResult:
        """Permanently delete a memory and the facts derived from it, or retract a fact (history kept)."""
        return ForgetResult(
            **await api.forget(
                rt.backend,
                memory_space_id=rt.space(memory_space_id),
                memory_id=memory_id,
                delete_conversation=delete_conversation,
                delete_messages=delete_messages,
            )
        )

    async def get_memory(
        memory_id: MemoryIdArg,
        include_conversation: Annotated[bool, Field(description="Attach source messages and facts")] = False,
        memory_space_id: SpaceArg = None,
    ) -> MemoryDetail:
        """Get one memory by id (or an a2a-msg-... id from a2a_inbox), in full."""
        memory = await api.get_memory(
            rt.backend,
            memory_space_id=rt.space(memory_space_id),
            memory_id=memory_id,
            include_conversation=include_conversation,
            agent_id=rt.config.agent_id,
        )
        if memory is None:
            raise CortexError(
                f"Memory {memory_id} not found in memory space {rt.space(memory_space_id)}",
                code="MEMORY_NOT_FOUND",
                field="memory_id",
                hint="Use recall or list_memories to find a valid id.",
            )
        return MemoryDetail(
            **Memory.of(memory).model_dump(),
            previous_versions=len(memory.get("previousVersions", [])),
            source_messages=_clip_messages(memory.get("sourceMessages")),
            facts=memory.get("facts"),
        )

    async def list_memories(
        limit: Annotated[int, Field(ge=1, le=100, description="Max memories")] = 20,
        offset: Annotated[int, Field(ge=0, description="Skip this many (paging)")] = 0,
        user_id: Annotated[str | None, Field(description="Only this user's")] = None,
        source_type: Annotated[
            MemorySourceType | None, Field(description="Only from")
        ] = None,
        memory_space_id: SpaceArg = None,
    ) -> MemoryList:
        """List the newest memories (recall searches)."""
        space = rt.space(memory_space_id)
        memories = await api.list_memories(
            rt.backend, memory_space_id=space, user_id=user_id, source_type=source_type, limit=limit + offset
        )
        memories = memories[offset:]
        total = await api.count_memories(rt.backend, memory_space_id=space, user_id=user_id, source_type=source_type)
        return MemoryList(memories=[Memory.of(m) for m in memories], count=len(memories), total=total)

    async def update_memory(
        memory_id: MemoryIdArg,
        content: Annotated[str | None, Field(description="New content")] = None,
        importance: ImportanceArg = None,
        tags: Annotated[list[str] | None, Field(description="Replaces its tags")] = None,
        memory_space_id: SpaceArg = None,
    ) -> Memory:
        """Correct a memory's content, importance or tags (earlier versions are kept)."""
        return Memory.of(
            await api.update_memory(
                rt.backend,
                memory_space_id=rt.space(memory_space_id),
                memory_id=memory_id,
                content=content,
                importance=importance,
                tags=tags,
                embedder=rt.embedder,
            )
        )

    reg.add(remember, title="Remember", read_only=False)
    reg.add(recall, title="Recall memories", read_only=True)
    reg.add(forget, title="Forget a memory", read_only=False, destructive=True, idempotent=False)
    reg.add(get_memory, title="Get a memory", read_only=True)
    reg.add(list_memories, title="List recent memories", read_only=True)
    reg.add(update_memory, title="Update a memory", read_only=False, destructive=True, idempotent=True)
