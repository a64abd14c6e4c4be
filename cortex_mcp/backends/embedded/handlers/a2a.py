"""Embedded handlers of the `a2a` module (spec/backend/a2a.md).

Deviations from upstream (see docs/parity.md):
- `metadata.tags` given as a string adds that string as one tag (upstream spread it into single
  characters, one tag per character).
- `a2a:request` keeps upstream's outcome on purpose: it validates, then throws
  ConvexError("PUBSUB_NOT_CONFIGURED: ...") and nothing persists (the transaction rolls back).
  Request/response is built client-side on `a2a:send` + metadata.
"""

from __future__ import annotations

import re
from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import js_slice, js_spread, js_trim, truthy, utf16_key
from cortex_mcp.backends.embedded.store import Tx
from cortex_mcp.errors import convex_error, plain_error, type_error
from cortex_mcp.ids import rand

MAX_MESSAGE_BYTES = 102_400
MAX_RECIPIENTS = 100

_PREFIX = re.compile(r"^(Sent to |Received from |Broadcast to |Broadcast from |Request to |Request from )[^:]+: ")
_SYSTEM_TAGS = ("a2a", "sent", "received", "broadcast", "request", "pending")


def _blank(text: str) -> bool:
    return js_trim(text) == ""


def _check_message(message: str) -> None:
    if _blank(message):
        raise plain_error("EMPTY_MESSAGE: Message cannot be empty")
    size = len(message.encode("utf-8", errors="surrogatepass"))
    if size > MAX_MESSAGE_BYTES:
        raise plain_error(f"MESSAGE_TOO_LARGE: Message exceeds 100KB limit (current size: {size // 1024}KB)")


def _check_importance(importance: Any) -> None:
    if importance < 0 or importance > 100:
        raise plain_error("INVALID_IMPORTANCE: Importance must be between 0 and 100")


def _extra_tags(metadata: Any) -> list:
    """`...(metadata?.tags || [])`; a non-string element fails schema validation on insert."""
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    if not truthy(tags):
        return []
    if isinstance(tags, str):
        return [tags]  # deviation: upstream spreads a string into one tag per character
    if isinstance(tags, list):
        return list(tags)
    raise type_error("metadata.tags is not iterable")


def conversation_id(a: str, b: str) -> str:
    first, second = sorted([a, b], key=utf16_key)
    return f"a2a-conv-{first}-{second}"


def _append_to_conversation(tx: Tx, sender: str, recipient: str, acid_id: str, text: str, metadata: dict) -> str:
    """Append the agent message to the pair's A2A conversation (created on first use); its id."""
    message = {
        "id": acid_id,
        "role": "agent",
        "content": text,
        "participantId": sender,
        "metadata": metadata,
        "timestamp": tx.now,
    }
    conv_id = conversation_id(sender, recipient)
    conv = tx.query("conversations").index("by_conversationId", conv_id).first()
    if conv is None:
        new_id = tx.insert(
            "conversations",
            {
                "conversationId": conv_id,
                "memorySpaceId": sender,
                "type": "agent-agent",
                "participants": {"memorySpaceIds": [sender, recipient]},
                "messages": [],
                "messageCount": 0,
                "metadata": {"a2a": True, "agents": [sender, recipient]},
                "createdAt": tx.now,
                "updatedAt": tx.now,
            },
        )
        conv = tx.fetch(new_id)
    tx.patch(
        conv["_id"],
        {"messages": [*conv["messages"], message], "messageCount": conv["messageCount"] + 1, "updatedAt": tx.now},
    )
    return conv_id


def _insert_memory(
    tx: Tx,
    *,
    memory_id: str,
    space: str,
    content: str,
    importance: Any,
    tags: list,
    metadata: dict,
    user_id: Any,
    conversation_ref: dict | None,
) -> str:
    doc: dict[str, Any] = {
        "memoryId": memory_id,
        "memorySpaceId": space,
        "content": content,
        "contentType": "raw",
        "sourceType": "a2a",
        "sourceTimestamp": tx.now,
    }
    if user_id is not None:
        doc["userId"] = user_id
    if conversation_ref is not None:
        doc["conversationRef"] = conversation_ref
    doc.update(
        importance=importance,
        tags=tags,
        metadata=metadata,
        version=1,
        previousVersions=[],
        createdAt=tx.now,
        updatedAt=tx.now,
        accessCount=0,
    )
    tx.insert("memories", doc)
    return memory_id


def _check_pair(sender: str, recipient: str, message: str, noun: str) -> None:
    """The validation `send` and `request` share, in the spec's order."""
    if _blank(sender):
        raise plain_error("INVALID_AGENT_ID: 'from' agent ID is required")
    if _blank(recipient):
        raise plain_error("INVALID_AGENT_ID: 'to' agent ID is required")
    _check_message(message)
    if sender == recipient:
        raise plain_error(f"SAME_AGENT_COMMUNICATION: Cannot send {noun} to self")


def _with_context(base: dict, args: dict) -> dict:
    if "contextId" in args:
        base["contextId"] = args["contextId"]
    return base


@handler("a2a:send")
def send(tx: Tx, args: dict) -> Any:
    sender, recipient, message = args["from"], args["to"], args["message"]
    _check_pair(sender, recipient, message, "message")
    importance = args.get("importance", 60)
    _check_importance(importance)
    metadata = args.get("metadata")
    now = tx.now
    message_id = f"a2a-msg-{now}-{rand(9)}"
    conv_id = acid_id = None
    ref = None
    if args.get("trackConversation") is not False:
        acid_id = f"a2a-acid-{now}-{rand(9)}"
        conv_meta = {
            "fromAgent": sender,
            "toAgent": recipient,
            "messageId": message_id,
            "timestamp": now,
            **js_spread(metadata),
        }
        conv_id = _append_to_conversation(tx, sender, recipient, acid_id, message, conv_meta)
        ref = {"conversationId": conv_id, "messageIds": [acid_id]}
    extra = _extra_tags(metadata)

    def meta(direction: str) -> dict:
        base = _with_context(
            {"direction": direction, "fromAgent": sender, "toAgent": recipient, "messageId": message_id}, args
        )
        return {**base, **js_spread(metadata)}

    common = {"importance": importance, "user_id": args.get("userId"), "conversation_ref": ref}
    sender_memory = _insert_memory(
        tx,
        memory_id=f"mem-a2a-{now}-{rand(9)}",
        space=sender,
        content=f"Sent to {recipient}: {message}",
        tags=["a2a", "sent", recipient, *extra],
        metadata=meta("outbound"),
        **common,
    )
    receiver_memory = _insert_memory(
        tx,
        memory_id=f"mem-a2a-{now + 1}-{rand(9)}",
        space=recipient,
        content=f"Received from {sender}: {message}",
        tags=["a2a", "received", sender, *extra],
        metadata=meta("inbound"),
        **common,
    )
    result: dict[str, Any] = {"messageId": message_id, "sentAt": now}
    if conv_id is not None:
        result.update(conversationId=conv_id, acidMessageId=acid_id)
    result.update(senderMemoryId=sender_memory, receiverMemoryId=receiver_memory)
    return result


@handler("a2a:request")
def request(tx: Tx, args: dict) -> Any:
    sender, recipient, message = args["from"], args["to"], args["message"]
    _check_pair(sender, recipient, message, "request")
    timeout = args.get("timeout", 30000)
    if timeout < 1000 or timeout > 300000:
        raise plain_error("INVALID_TIMEOUT: Timeout must be between 1000ms and 300000ms")
    importance = args.get("importance", 70)
    _check_importance(importance)
    now = tx.now
    message_id = f"a2a-req-{now}-{rand(9)}"

    def meta(direction: str) -> dict:
        base = {
            "direction": direction,
            "fromAgent": sender,
            "toAgent": recipient,
            "messageId": message_id,
            "messageType": "request",
            "requiresResponse": True,
            "responded": False,
        }
        return _with_context(base, args)

    # Written as upstream does; the error below rolls both back, so nothing persists.
    common = {"importance": importance, "user_id": args.get("userId"), "conversation_ref": None}
    _insert_memory(
        tx,
        memory_id=f"mem-a2a-req-{now}-{rand(9)}",
        space=sender,
        content=f"Request to {recipient}: {message}",
        tags=["a2a", "request", "sent", "pending", recipient],
        metadata={**meta("outbound"), "timeout": timeout},
        **common,
    )
    _insert_memory(
        tx,
        memory_id=f"mem-a2a-req-{now + 1}-{rand(9)}",
        space=recipient,
        content=f"Request from {sender}: {message}",
        tags=["a2a", "request", "received", "pending", sender],
        metadata=meta("inbound"),
        **common,
    )
    raise convex_error(
        "PUBSUB_NOT_CONFIGURED: request() requires pub/sub infrastructure for real-time responses. "
        "In Direct Mode, configure your own Redis/RabbitMQ/NATS adapter. "
        "In Cloud Mode, pub/sub is included automatically. "
        f"Request stored with messageId: {message_id}"
    )


@handler("a2a:broadcast")
def broadcast(tx: Tx, args: dict) -> Any:
    sender, recipients, message = args["from"], args["to"], args["message"]
    if _blank(sender):
        raise plain_error("INVALID_AGENT_ID: 'from' agent ID is required")
    _check_message(message)
    if not recipients:
        raise plain_error("EMPTY_RECIPIENTS: Recipients array cannot be empty")
    if len(recipients) > MAX_RECIPIENTS:
        raise plain_error("TOO_MANY_RECIPIENTS: Maximum 100 recipients allowed")
    if len(set(recipients)) != len(recipients):
        raise plain_error("DUPLICATE_RECIPIENTS: Recipients array contains duplicates")
    if sender in recipients:
        raise plain_error("INVALID_RECIPIENT: Sender cannot be in recipients list")
    if any(_blank(r) for r in recipients):
        raise plain_error("INVALID_AGENT_ID: All recipient IDs must be non-empty")
    importance = args.get("importance", 60)
    _check_importance(importance)
    metadata = args.get("metadata")
    track = args.get("trackConversation") is not False
    now = tx.now
    broadcast_id = f"a2a-broadcast-{now}-{rand(9)}"
    extra = _extra_tags(metadata)
    sender_ids: list[str] = []
    receiver_ids: list[str] = []
    conversation_ids: list[str] = []
    for i, recipient in enumerate(recipients):
        message_id = f"{broadcast_id}-{i}"
        ref = None
        if track:
            acid_id = f"a2a-acid-{now}-{i}-{rand(5)}"
            conv_meta = {
                "fromAgent": sender,
                "toAgent": recipient,
                "messageId": message_id,
                "broadcastId": broadcast_id,
                "broadcast": True,
                "timestamp": now,
                **js_spread(metadata),
            }
            conv_id = _append_to_conversation(tx, sender, recipient, acid_id, message, conv_meta)
            conversation_ids.append(conv_id)
            ref = {"conversationId": conv_id, "messageIds": [acid_id]}

        def meta(direction: str, recipient: str = recipient, message_id: str = message_id) -> dict:
            base = {
                "direction": direction,
                "fromAgent": sender,
                "toAgent": recipient,
                "messageId": message_id,
                "broadcastId": broadcast_id,
                "broadcast": True,
            }
            return {**_with_context(base, args), **js_spread(metadata)}

        common = {"importance": importance, "user_id": args.get("userId"), "conversation_ref": ref}
        sender_ids.append(
            _insert_memory(
                tx,
                memory_id=f"mem-a2a-bc-{now}-{i}-s-{rand(5)}",
                space=sender,
                content=f"Broadcast to {recipient}: {message}",
                tags=["a2a", "broadcast", "sent", recipient, *extra],
                metadata=meta("outbound"),
                **common,
            )
        )
        receiver_ids.append(
            _insert_memory(
                tx,
                memory_id=f"mem-a2a-bc-{now}-{i}-r-{rand(5)}",
                space=recipient,
                content=f"Broadcast from {sender}: {message}",
                tags=["a2a", "broadcast", "received", sender, *extra],
                metadata=meta("inbound"),
                **common,
            )
        )
    result: dict[str, Any] = {
        "messageId": broadcast_id,
        "sentAt": now,
        "recipients": recipients,
        "senderMemoryIds": sender_ids,
        "receiverMemoryIds": receiver_ids,
        "memoriesCreated": 2 * len(recipients),
    }
    if track:
        result["conversationIds"] = conversation_ids
    return result


@handler("a2a:getConversation")
def get_conversation(tx: Tx, args: dict) -> Any:
    agent1, agent2 = args["agent1"], args["agent2"]
    if _blank(agent1):
        raise plain_error("INVALID_AGENT_ID: 'agent1' is required")
    if _blank(agent2):
        raise plain_error("INVALID_AGENT_ID: 'agent2' is required")
    limit = args.get("limit", 100)
    offset = args.get("offset", 0)
    if limit <= 0 or limit > 1000:
        raise plain_error("INVALID_LIMIT: Limit must be between 1 and 1000")
    if offset < 0:
        raise plain_error("INVALID_OFFSET: Offset cannot be negative")
    since, until = args.get("since", 0), args.get("until", 0)  # absent reads as falsy, as in JS
    if truthy(since) and truthy(until) and since > until:
        raise plain_error("INVALID_DATE_RANGE: 'since' must be before 'until'")
    min_importance = args.get("minImportance")
    if min_importance is not None and (min_importance < 0 or min_importance > 100):
        raise plain_error("INVALID_IMPORTANCE: minImportance must be between 0 and 100")

    conv_id = conversation_id(agent1, agent2)
    conversation = tx.query("conversations").index("by_conversationId", conv_id).first()

    def between(m: dict) -> bool:
        meta = m.get("metadata")
        if m.get("sourceType") != "a2a" or not truthy(meta) or not isinstance(meta, dict):
            return False
        pair = (meta.get("fromAgent"), meta.get("toAgent"))
        return pair == (agent1, agent2) or pair == (agent2, agent1)

    q = tx.query("memories").index("by_memorySpace", agent1).filter(between)
    if truthy(since):
        q = q.filter(lambda m: m["createdAt"] >= since)
    if truthy(until):
        q = q.filter(lambda m: m["createdAt"] <= until)
    if min_importance is not None:
        q = q.filter(lambda m: m["importance"] >= min_importance)
    wanted_tags = args.get("tags") or []
    if wanted_tags:
        q = q.filter(lambda m: any(t in m["tags"] for t in wanted_tags))
    user_id = args.get("userId")
    if truthy(user_id):
        q = q.filter(lambda m: m.get("userId") == user_id)
    matched = sorted(q.collect(), key=lambda m: m["createdAt"])  # stable, like JS sort
    page = js_slice(matched, offset, offset + limit)

    hidden = set(_SYSTEM_TAGS) | {agent1, agent2}
    messages = []
    all_tags: dict[str, None] = {}
    for m in page:
        meta = m["metadata"]
        item: dict[str, Any] = {
            "from": meta.get("fromAgent") if truthy(meta.get("fromAgent")) else agent1,
            "to": meta.get("toAgent") if truthy(meta.get("toAgent")) else agent2,
            "message": _PREFIX.sub("", m["content"], count=1),
            "importance": m["importance"],
            "timestamp": m["createdAt"],
            "messageId": meta.get("messageId") if truthy(meta.get("messageId")) else m["memoryId"],
            "memoryId": m["memoryId"],
        }
        ref_ids = (m.get("conversationRef") or {}).get("messageIds") or []
        if ref_ids:
            item["acidMessageId"] = ref_ids[0]
        item["tags"] = [t for t in m["tags"] if t not in hidden]
        for t in item["tags"]:
            all_tags[t] = None
        for key in ("direction", "broadcast", "broadcastId"):
            if key in meta:
                item[key] = meta[key]
        messages.append(item)

    stamps = [msg["timestamp"] for msg in messages]
    result: dict[str, Any] = {"participants": [agent1, agent2]}
    if conversation is not None:
        result["conversationId"] = conv_id
    result.update(
        messageCount=len(matched),
        messages=messages,
        period={"start": min(stamps) if stamps else tx.now, "end": max(stamps) if stamps else tx.now},
    )
    if all_tags:
        result["tags"] = list(all_tags)
    result["canRetrieveFullHistory"] = conversation is not None
    return result
