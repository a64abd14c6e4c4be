"""Agent-to-agent messages (spec/orchestration.md §9) and request/response built on `a2a:send`.

Upstream `a2a:request` needs a pub/sub service and always fails, so a request here is an
ordinary message whose metadata says it expects a reply (`messageType: "request"`, a
`requestId`); the reply is a message with `inReplyTo: <requestId>`. The requester polls its
own memory space for that reply until the timeout. This works on every backend and across
server processes that share a database (see docs/parity.md).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable
from typing import Any

from cortex_mcp import clock
from cortex_mcp.api import checks
from cortex_mcp.backends.base import Backend, call, compact
from cortex_mcp.clock import now_ms
from cortex_mcp.errors import CortexError, InputError
from cortex_mcp.ids import public_id

MAX_MESSAGE_BYTES = 102_400
INBOX_SCAN = 500  # newest a2a memories read per inbox/reply look-up
_AGENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
AGENT_SCAN = 1000  # registered agents compared for the "did you mean" hint
# Metadata keys the backend and this module set themselves; the rest is what the sender attached.
_OWN_KEYS = {"direction", "fromAgent", "toAgent", "messageId", "contextId", "broadcast", "broadcastId", "timeout",
             "messageType", "requestId", "inReplyTo", "requiresResponse", "timeoutMs"}
_PREFIX = re.compile(r"^(Sent to |Received from |Broadcast to |Broadcast from |Request to |Request from )[^:]+: ", re.S)


class A2ATimeoutError(CortexError):
    code = "A2A_TIMEOUT"


def check_agent_id(agent_id: Any, field: str) -> str:
    if not isinstance(agent_id, str) or not _AGENT_ID.match(agent_id):
        raise InputError("INVALID_AGENT_ID", f"{field} must be 1-100 letters, digits, '_' or '-'", field)
    return agent_id


def check_message(message: Any) -> str:
    if not isinstance(message, str) or not message.strip():
        raise InputError("EMPTY_MESSAGE", "message cannot be empty", "message")
    if len(message.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise InputError("MESSAGE_TOO_LARGE", "message must be at most 100 KB (UTF-8)", "message")
    return message


def _check_send(from_agent: str, to_agent: str, message: str, importance: Any) -> None:
    check_agent_id(from_agent, "from_agent")
    check_agent_id(to_agent, "to_agent")
    check_message(message)
    if from_agent == to_agent:
        raise InputError("SAME_AGENT_COMMUNICATION", "an agent cannot send a message to itself", "to_agent")
    if importance is not None and (
        not isinstance(importance, int) or isinstance(importance, bool) or not 0 <= importance <= 100
    ):
        raise InputError("INVALID_IMPORTANCE", "importance must be a whole number between 0 and 100", "importance")


async def send(
    backend: Backend,
    *,
    from_agent: str,
    to_agent: str,
    message: str,
    importance: int | None = None,
    user_id: str | None = None,
    context_id: str | None = None,
    metadata: dict | None = None,
    allow_unregistered: bool = False,
) -> dict:
    """§9.2: one `a2a:send` — stored in both agents' memory spaces and their conversation.

    The recipient must be a registered agent unless `allow_unregistered` (a typo would otherwise
    create a memory space nobody reads)."""
    _check_send(from_agent, to_agent, message, importance)
    if not allow_unregistered:
        await check_registered(backend, to_agent)
    return await call(
        backend,
        "a2a:send",
        compact(
            **{"from": from_agent, "to": to_agent},
            message=message,
            userId=user_id,
            contextId=context_id,
            importance=importance,
            metadata=metadata,
        ),
    )


async def check_registered(backend: Backend, agent_id: str, field: str = "to_agent") -> None:
    """AGENT_NOT_REGISTERED, with the closest registered ids in the hint, for an unknown agent."""
    if await call(backend, "agents:exists", {"agentId": agent_id}):
        return
    known = [a["agentId"] for a in await call(backend, "agents:list", {"limit": AGENT_SCAN})]
    closest = difflib.get_close_matches(agent_id, known, n=3, cutoff=0.5)
    if not closest:  # short ids: case-insensitive prefix or substring matches
        closest = [k for k in known if agent_id.lower() in k.lower() or k.lower() in agent_id.lower()][:3]
    hint = f"Did you mean {', '.join(closest)}? " if closest else ("No agent is registered yet. " if not known else "")
    raise CortexError(
        f"Agent {agent_id} is not registered",
        code="AGENT_NOT_REGISTERED",
        field=field,
        hint=hint + "Use list_agents to see registered agents, or pass allow_unregistered to send anyway.",
    )


def _as_message(memory: dict) -> dict:
    meta = memory.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    return {
        "message_id": meta.get("messageId") or memory["memoryId"],
        "from_agent": meta.get("fromAgent"),
        "to_agent": meta.get("toAgent"),
        "direction": meta.get("direction"),
        "message": _PREFIX.sub("", memory["content"], count=1),
        "message_type": meta.get("messageType", "message"),
        "request_id": meta.get("requestId"),
        "in_reply_to": meta.get("inReplyTo"),
        "importance": memory["importance"],
        "sent_at": int(memory["createdAt"]),
        "memory_id": memory["memoryId"],
        "context_id": meta.get("contextId"),
        "metadata": {k: val for k, val in meta.items() if k not in _OWN_KEYS} or None,
    }


async def _a2a_messages(backend: Backend, agent_id: str) -> list[dict]:
    """The agent's A2A messages (both directions), newest first."""
    memories = await call(
        backend, "memories:list", {"memorySpaceId": agent_id, "sourceType": "a2a", "limit": INBOX_SCAN}
    )
    return [_as_message(m) for m in memories]


async def inbox(
    backend: Backend,
    *,
    agent_id: str,
    limit: int = 20,
    from_agent: str | None = None,
    awaiting_reply_only: bool = False,
) -> dict:
    """Messages received by `agent_id`, newest first; requests not yet answered are flagged."""
    check_agent_id(agent_id, "agent_id")
    if from_agent is not None:
        check_agent_id(from_agent, "from_agent")
    checks.check_limit(limit, maximum=200)
    messages = await _a2a_messages(backend, agent_id)
    answered = {m["in_reply_to"] for m in messages if m["direction"] == "outbound" and m["in_reply_to"]}
    received = []
    for m in messages:
        if m["direction"] != "inbound" or (from_agent and m["from_agent"] != from_agent):
            continue
        m["awaiting_reply"] = m["message_type"] == "request" and m["request_id"] not in answered
        if awaiting_reply_only and not m["awaiting_reply"]:
            continue
        received.append(m)
    return {
        "agent_id": agent_id,
        "messages": received[:limit],
        "awaiting_reply": sum(1 for m in received if m["awaiting_reply"]),
    }


async def request(
    backend: Backend,
    *,
    from_agent: str,
    to_agent: str,
    message: str,
    timeout_ms: int = 30_000,
    importance: int | None = None,
    poll_interval_s: float = 0.2,
    allow_unregistered: bool = False,
    on_wait: Callable[[float, float], Awaitable[None]] | None = None,
) -> dict:
    """Send a request and wait for the reply (or raise A2ATimeoutError after `timeout_ms`).

    `on_wait(waited_ms, timeout_ms)` is awaited while waiting (about once a second), e.g. to send
    MCP progress so a host's idle timeout does not abort the call. Cancelling the caller stops the
    wait; nothing is written after the request itself."""
    if not isinstance(timeout_ms, int) or isinstance(timeout_ms, bool) or not 1000 <= timeout_ms <= 300_000:
        raise InputError("INVALID_TIMEOUT", "timeout_ms must be between 1000 and 300000", "timeout_ms")
    request_id = public_id("a2a-req", now_ms())
    sent = await send(
        backend,
        from_agent=from_agent,
        to_agent=to_agent,
        message=message,
        importance=70 if importance is None else importance,
        metadata={"messageType": "request", "requestId": request_id, "requiresResponse": True, "timeoutMs": timeout_ms},
        allow_unregistered=allow_unregistered,
    )
    started = clock.monotonic()
    deadline = started + timeout_ms / 1000
    reported = started
    while True:
        for m in await _a2a_messages(backend, from_agent):
            if m["direction"] == "inbound" and m["in_reply_to"] == request_id:
                return {"request_id": request_id, "request_message_id": sent["messageId"], "reply": m}
        if clock.monotonic() >= deadline:
            raise A2ATimeoutError(
                f"No reply from {to_agent} within {timeout_ms} ms to request {request_id}",
                field="timeout_ms",
                hint=f"The request stays in {to_agent}'s inbox; check later with a2a_inbox, or raise timeout_ms.",
            )
        if on_wait is not None and (clock.monotonic() - reported >= 1 or reported == started):
            reported = clock.monotonic()
            await on_wait(round((reported - started) * 1000), timeout_ms)
        await clock.sleep(min(poll_interval_s, max(0.0, deadline - clock.monotonic())))


async def reply(
    backend: Backend, *, agent_id: str, request_id: str, message: str, importance: int | None = None
) -> dict:
    """Answer a request in `agent_id`'s inbox: the reply goes back to the requester, tied to it."""
    check_agent_id(agent_id, "agent_id")
    checks.require_text(request_id, "request_id")
    messages = await _a2a_messages(backend, agent_id)
    original = next(
        (
            m
            for m in messages
            if m["direction"] == "inbound" and m["request_id"] == request_id and m["message_type"] == "request"
        ),
        None,
    )
    if original is None:
        raise CortexError(
            f"No request {request_id} in the inbox of {agent_id}",
            code="REQUEST_NOT_FOUND",
            field="request_id",
            hint="Use a2a_inbox to see pending requests and their request_id.",
        )
    sent = await send(
        backend,
        from_agent=agent_id,
        to_agent=original["from_agent"],
        message=message,
        importance=importance,
        metadata={"messageType": "response", "inReplyTo": request_id},
        allow_unregistered=True,  # the requester reached us: its reply must not be refused
    )
    return {"request_id": request_id, "to_agent": original["from_agent"], **sent}


async def find_message(backend: Backend, *, memory_space_id: str, message_id: str) -> dict | None:
    """The memory in a space (an agent's own) holding A2A message `message_id` (a2a-msg-...), if any."""
    memories = await call(backend, "memories:list", {"memorySpaceId": memory_space_id, "sourceType": "a2a",
                                                     "limit": INBOX_SCAN})
    return next((m for m in memories if (m.get("metadata") or {}).get("messageId") == message_id), None)
