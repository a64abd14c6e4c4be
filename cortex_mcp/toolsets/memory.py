"""Toolset `memory` (default): remember, recall, forget and everyday memory CRUD."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from cortex_mcp.api import memory as api
from cortex_mcp.api.embeddings.vectors import vector_to_search
from cortex_mcp.contract.enums import FactType, MemorySourceType
from cortex_mcp.errors import CortexError
from cortex_mcp.toolsets.base import Registrar, clip

SpaceArg = Annotated[
    str | None, Field(description="Memory space to use (an isolated memory bank). Default: the server's memory space")
]
UserArg = Annotated[str | None, Field(description="User the memory is about or from. Default: the server's user id")]
AgentArg = Annotated[str | None, Field(description="Agent storing the memory. Default: the server's agent id")]
MemoryIdArg = Annotated[str, Field(description="Memory id (mem-...), as returned by remember, recall or list_memories")]
TagsArg = Annotated[list[str] | None, Field(description="Labels for filtering, e.g. ['preference', 'project-x']")]
ImportanceArg = Annotated[float | None, Field(ge=0, le=100, description="0–100, how much this matters (default 50)")]


def _clip_messages(messages: list[dict] | None) -> list[dict] | None:
    """Conversation messages with their text bounded like every other returned text."""
    if messages is None:
        return None
    return [{**m, "content": clip(m["content"])} if isinstance(m.get("content"), str) else m for m in messages]


class FactInput(BaseModel):
    """A fact you extracted from what you are remembering (stored with belief revision)."""

    fact: str = Field(min_length=1, description="The fact as one sentence, e.g. 'Alex lives in Berlin'")
    subject: str | None = Field(None, description="Who or what it is about, e.g. 'Alex' (default: the user)")
    predicate: str | None = Field(None, description="The relation, e.g. 'lives in'")
    object: str | None = Field(None, description="The value, e.g. 'Berlin'")
    fact_type: FactType = Field(
        "custom", description="Kind of fact"
    )
    confidence: float = Field(80, ge=0, le=100, description="0–100 (a value ≤ 1 is read as a fraction)")
    tags: list[str] | None = Field(None, description="Labels for the fact")


class Memory(BaseModel):
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
    def of(cls, doc: dict) -> "Memory":
        return cls(
            memory_id=doc["memoryId"],
            content=clip(doc["content"]),
            importance=doc["importance"],
            tags=doc.get("tags", []),
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
    memories: list[Memory] = Field(description="Stored memories (an exchange stores the user's message, and the agent's unless it was a mere acknowledgment)")
    conversation_id: str | None = Field(None, description="Conversation the exchange was appended to")
    message_ids: list[str] = Field(default_factory=list)
    facts: list[StoredFact] = Field(default_factory=list, description="Facts stored through belief revision")
    skipped_facts: list[SkippedFact] = Field(default_factory=list, description="Facts the backend refused (the rest was stored)")


class RecallItem(BaseModel):
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
    items: list[RecallItem]
    total_results: int = Field(
        description="Candidates ranked before the limit (at most `limit` memories plus `limit` facts; not a count of "
        "every match)"
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
    memories: list[Memory]
    count: int = Field(description="Number returned")
    total: int = Field(description="Memories matching the filters in the space")


def register(reg: Registrar) -> None:
    rt = reg.runtime

    async def remember(
        content: Annotated[
            str | None,
            Field(description="A standalone thing to remember, e.g. 'Alex prefers tea over coffee'. Use this OR user_message+agent_response"),
        ] = None,
        user_message: Annotated[str | None, Field(description="The user's message of an exchange to remember")] = None,
        agent_response: Annotated[str | None, Field(description="Your reply in that exchange")] = None,
        conversation_id: Annotated[
            str | None, Field(description="Conversation to append the exchange to (created if new; default: a new one)")
        ] = None,
        facts: Annotated[
            list[FactInput] | None,
            Field(description="Facts you extracted; each is stored with belief revision (newer supersedes older)"),
        ] = None,
        importance: ImportanceArg = None,
        tags: TagsArg = None,
        user_id: UserArg = None,
        user_name: Annotated[str | None, Field(description="The user's display name (default: the user id)")] = None,
        agent_id: AgentArg = None,
        memory_space_id: SpaceArg = None,
    ) -> RememberResult:
        """Store something in long-term memory so it can be recalled in later sessions.

        Use for preferences, decisions, facts about the user or project, and exchanges worth
        keeping. Give `content` for a standalone note, or `user_message` + `agent_response` for
        an exchange (kept as conversation messages plus searchable memories; without a user id,
        as memories only). Returns the ids.
        """
        common = dict(
            memory_space_id=rt.space(memory_space_id),
            user_id=rt.user(user_id),
            user_name=user_name,
            agent_id=rt.agent(agent_id),
            importance=importance,
            tags=tags,
            facts=[f.model_dump() for f in facts] if facts else None,
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
                user_message=user_message,
                agent_response=agent_response,
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
        query: Annotated[str, Field(min_length=1, description="What you want to remember, in words likely to appear in it")],
        limit: Annotated[int, Field(ge=1, le=50, description="Max items (default 10)")] = 10,
        user_id: Annotated[str | None, Field(description="Only memories from or about this user")] = None,
        tags: Annotated[list[str] | None, Field(description="Only memories having any of these tags")] = None,
        min_importance: Annotated[float | None, Field(ge=0, le=100, description="Only memories at least this important")] = None,
        include_conversation: Annotated[
            bool, Field(description="Attach the original conversation messages of each memory")
        ] = False,
        memory_space_id: SpaceArg = None,
    ) -> RecallResult:
        """Search long-term memory (memories and facts) and get the best matches, ranked.

        Use before answering whenever past context could help: user preferences, earlier
        decisions, facts about people or projects. Each item has an id for forget/update_memory.
        """
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
                    tags=record.get("tags"),
                    user_id=record.get("userId"),
                    message_role=record.get("messageRole"),
                    created_at=int(record["createdAt"]) if "createdAt" in record else None,
                    conversation_id=(record.get("conversationRef") or record.get("sourceRef") or {}).get(
                        "conversationId"
                    ),
                    source_messages=_clip_messages(item.get("source_messages")),
                )
            )
        return RecallResult(items=items, total_results=result["total_results"], query_time_ms=result["query_time_ms"])

    async def forget(
        memory_id: Annotated[
            str, Field(min_length=1, description="A memory id (mem-...) or a fact id (fact-...), as recall returns")
        ],
        delete_messages: Annotated[
            bool,
            Field(description="Also erase the conversation messages the memory was made from, so their words are "
                              "no longer searchable (default false: the messages stay)"),
        ] = False,
        delete_conversation: Annotated[
            bool, Field(description="Also delete the whole conversation the memory came from")
        ] = False,
        memory_space_id: SpaceArg = None,
    ) -> ForgetResult:
        """Permanently delete a memory and the facts derived from it, or retract a fact.

        Use when the user asks you to forget something or a memory is wrong. Find the id
        with recall or list_memories first. A fact id retracts that fact (no longer current;
        its history is kept). By default the conversation messages stay: pass delete_messages
        to erase the exchange's messages as well.
        """
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
        include_conversation: Annotated[bool, Field(description="Attach source messages and derived facts")] = False,
        memory_space_id: SpaceArg = None,
    ) -> MemoryDetail:
        """Get one memory by id, optionally with the conversation messages and facts it came from.
        Also takes the message ids a2a_inbox shows (a2a-msg-...)."""
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
        limit: Annotated[int, Field(ge=1, le=100, description="Max memories (default 20)")] = 20,
        user_id: Annotated[str | None, Field(description="Only memories owned by this user")] = None,
        source_type: Annotated[
            MemorySourceType | None,
            Field(description="Only memories from this source"),
        ] = None,
        memory_space_id: SpaceArg = None,
    ) -> MemoryList:
        """List the most recent memories of a memory space, newest first. Use recall to search."""
        space = rt.space(memory_space_id)
        memories = await api.list_memories(
            rt.backend, memory_space_id=space, user_id=user_id, source_type=source_type, limit=limit
        )
        total = await api.count_memories(rt.backend, memory_space_id=space, user_id=user_id, source_type=source_type)
        return MemoryList(memories=[Memory.of(m) for m in memories], count=len(memories), total=total)

    async def update_memory(
        memory_id: MemoryIdArg,
        content: Annotated[str | None, Field(description="New content (the old one is kept as a previous version)")] = None,
        importance: ImportanceArg = None,
        tags: Annotated[list[str] | None, Field(description="Replaces the memory's tags")] = None,
        memory_space_id: SpaceArg = None,
    ) -> Memory:
        """Correct or re-weight a memory: new content, importance or tags. Earlier versions are kept."""
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
