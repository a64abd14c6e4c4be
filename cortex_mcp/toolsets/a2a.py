"""Toolset `a2a` (default): messages between agents, an inbox, and request/reply."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from cortex_mcp.api import a2a as api
from cortex_mcp.toolsets.base import Registrar, clip
from cortex_mcp.toolsets.client_log import client_log
from cortex_mcp.toolsets.render import Paging

AgentArg = Annotated[str, Field(min_length=1, max_length=100, description="The other agent's id")]
MessageArg = Annotated[str, Field(min_length=1, description="Text (max 100 KB)")]
ImportanceArg = Annotated[int | None, Field(ge=0, le=100, description="0-100")]
UnregisteredArg = Annotated[bool, Field(description="Send even to an unregistered agent id")]


class Sent(BaseModel):
    message_id: str
    sent_at: int
    conversation_id: str | None = None
    sender_memory_id: str
    receiver_memory_id: str

    @classmethod
    def of(cls, result: dict) -> Sent:
        return cls(
            message_id=result["messageId"],
            sent_at=int(result["sentAt"]),
            conversation_id=result.get("conversationId"),
            sender_memory_id=result["senderMemoryId"],
            receiver_memory_id=result["receiverMemoryId"],
        )


class Message(BaseModel):
    text_omit: ClassVar = ("to_agent", "message_type")
    message_id: str
    from_agent: str | None
    to_agent: str | None
    message: str
    message_type: str = Field(description="message, request or response")
    request_id: str | None = Field(None, description="For a request: pass it to a2a_reply")
    in_reply_to: str | None = None
    importance: float
    sent_at: int
    awaiting_reply: bool = False
    memory_id: str | None = Field(None, description="This message in your memory (for get_memory or forget)")
    context_id: str | None = Field(None, description="Context (ctx-...) the sender attached")
    metadata: dict[str, Any] | None = Field(None, description="Extra data the sender attached")


class Inbox(BaseModel):
    paging: ClassVar = Paging("messages")
    agent_id: str
    messages: list[Message]
    awaiting_reply: int = Field(description="Requests received that have no reply yet")


class RequestResult(BaseModel):
    request_id: str
    reply: Message


class ReplyResult(Sent):
    request_id: str
    to_agent: str


def register(reg: Registrar) -> None:
    rt = reg.runtime

    def me() -> str:
        return rt.config.agent_id or "cortex-agent"

    async def a2a_send(
        to_agent: AgentArg,
        message: MessageArg,
        importance: ImportanceArg = None,
        context_id: Annotated[str | None, Field(description="Context it belongs to (ctx-...)")] = None,
        metadata: Annotated[dict[str, Any] | None, Field(description="Extra data")] = None,
        allow_unregistered: UnregisteredArg = False,
    ) -> Sent:
        """Send a message to another agent (hand over work, share findings). a2a_request waits for an answer."""
        return Sent.of(
            await api.send(
                rt.backend,
                from_agent=me(),
                to_agent=to_agent,
                message=message,
                importance=importance,
                context_id=context_id,
                metadata=metadata,
                allow_unregistered=allow_unregistered,
            )
        )

    async def a2a_inbox(
        limit: Annotated[int, Field(ge=1, le=200, description="Max messages")] = 20,
        from_agent: Annotated[str | None, Field(description="Only from this agent")] = None,
        awaiting_reply_only: Annotated[bool, Field(description="Only unanswered requests")] = False,
    ) -> Inbox:
        """Messages other agents sent you, newest first; answer flagged requests with a2a_reply."""
        inbox = await api.inbox(
            rt.backend, agent_id=me(), limit=limit, from_agent=from_agent, awaiting_reply_only=awaiting_reply_only
        )
        for m in inbox["messages"]:
            m["message"] = clip(m["message"])
        return Inbox(**inbox)

    async def a2a_request(
        to_agent: AgentArg,
        message: MessageArg,
        timeout_ms: Annotated[int, Field(ge=1000, le=300_000, description="How long to wait (ms)")] = 30_000,
        importance: ImportanceArg = None,
        allow_unregistered: UnregisteredArg = False,
        *,
        ctx: Context[Any, Any],
    ) -> RequestResult:
        """Ask another agent and wait for its a2a_reply (A2A_TIMEOUT if none comes in time)."""

        async def waiting(waited_ms: float, total_ms: float) -> None:
            # Progress (when the client sent a token) keeps hosts' idle timeouts from aborting the wait.
            await ctx.report_progress(waited_ms, total_ms, f"waiting for {to_agent} to reply")
            if waited_ms == 0:
                await client_log(ctx, "info", f"a2a_request: waiting up to {total_ms} ms for {to_agent}")

        result = await api.request(
            rt.backend,
            from_agent=me(),
            to_agent=to_agent,
            message=message,
            timeout_ms=timeout_ms,
            importance=importance,
            allow_unregistered=allow_unregistered,
            on_wait=waiting,
        )
        return RequestResult(
            request_id=result["request_id"],
            reply=Message(**{k: v for k, v in result["reply"].items() if k in Message.model_fields}),
        )

    async def a2a_reply(
        request_id: Annotated[str, Field(min_length=1, description="From your a2a_inbox (a2a-req-...)")],
        message: MessageArg,
        importance: ImportanceArg = None,
    ) -> ReplyResult:
        """Answer a request another agent sent you."""
        result = await api.reply(
            rt.backend, agent_id=me(), request_id=request_id, message=message, importance=importance
        )
        return ReplyResult(**Sent.of(result).model_dump(), request_id=result["request_id"], to_agent=result["to_agent"])

    reg.add(a2a_send, title="Send to an agent", read_only=False)
    reg.add(a2a_inbox, title="Agent inbox", read_only=True)
    reg.add(a2a_request, title="Ask an agent and wait", read_only=False)
    reg.add(a2a_reply, title="Reply to a request", read_only=False)
