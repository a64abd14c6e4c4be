"""Embedded handlers of the `conversations` module (spec/backend/conversations.md).

Also home of `highlight`, the search snippet that `conversations:search` and `immutable:search` share.
"""

from __future__ import annotations

from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import (
    convex_key_order,
    csv_field,
    js_iso,
    js_number,
    js_slice,
    js_stringify,
    or_default,
    truthy,
    utf16_index_of,
    utf16_key,
    utf16_len,
    utf16_substring,
)
from cortex_mcp.backends.embedded.store import Query, Tx
from cortex_mcp.errors import convex_error
from cortex_mcp.ids import public_id

# -- search snippets -------------------------------------------------------------------------


def highlight(original: str, query_lower: str) -> str | None:
    """Up to 30 code units of context either side of the first match; None when there is no match."""
    i = utf16_index_of(original.lower(), query_lower)
    if i < 0:
        return None
    return utf16_substring(original, max(0, i - 30), min(utf16_len(original), i + utf16_len(query_lower) + 30))


# -- lookups ---------------------------------------------------------------------------------

THRESHOLD_DEFAULT = 10


def _find(tx: Tx, conversation_id: str) -> dict | None:
    return tx.query("conversations").index("by_conversationId", conversation_id).first()


def _require(tx: Tx, conversation_id: str) -> dict:
    conversation = _find(tx, conversation_id)
    if conversation is None:
        raise convex_error("CONVERSATION_NOT_FOUND")
    return conversation


def _candidates(tx: Tx, args: dict) -> Query:
    """Conversations matching the (truthy) userId / memorySpaceId / type filters, in insertion order."""
    user_id, space_id, conv_type = args.get("userId"), args.get("memorySpaceId"), args.get("type")
    q = tx.query("conversations")
    if truthy(space_id) and truthy(user_id):
        q = q.index("by_memorySpace_user", space_id, user_id)
    elif truthy(space_id):
        q = q.index("by_memorySpace", space_id)
    elif truthy(user_id):
        q = q.index("by_user", user_id)
    elif truthy(conv_type):
        q = q.index("by_type", conv_type)
    if truthy(conv_type) and (truthy(space_id) or truthy(user_id)):
        q = q.filter(lambda c: c["type"] == conv_type)
    return q


def _check_participants(conv_type: str, participants: dict) -> None:
    if conv_type == "user-agent":
        if not truthy(participants.get("userId")):
            raise convex_error("user-agent conversations require userId")
        if not truthy(participants.get("agentId")):
            raise convex_error(
                "agentId is required when userId is provided. "
                "User-agent conversations require both a user and an agent participant."
            )
    elif len(participants.get("memorySpaceIds") or []) < 2:
        raise convex_error("agent-agent conversations require at least 2 memorySpaceIds")


def _sorted_ids(ids: list[str]) -> list[str]:
    return sorted(ids, key=utf16_key)


def _find_agent_agent(tx: Tx, memory_space_ids: list[str]) -> dict | None:
    wanted = _sorted_ids(memory_space_ids)
    return (
        tx.query("conversations")
        .index("by_type", "agent-agent")
        .filter(
            lambda c: "memorySpaceIds" in c["participants"]
            and _sorted_ids(c["participants"]["memorySpaceIds"]) == wanted
        )
        .first()
    )


def _find_user_agent(tx: Tx, memory_space_id: str, user_id: str, agent_id: Any = None, check_agent=False):
    q = tx.query("conversations").index("by_memorySpace_user", memory_space_id, user_id)
    q = q.filter(lambda c: c["type"] == "user-agent")
    if check_agent:
        q = q.filter(lambda c: c["participants"].get("agentId") == agent_id)
    return q.first()


def _new_conversation(tx: Tx, conversation_id: str, args: dict, tenant: bool) -> dict:
    doc: dict[str, Any] = {"conversationId": conversation_id, "memorySpaceId": args["memorySpaceId"]}
    if "participantId" in args:
        doc["participantId"] = args["participantId"]
    if tenant and "tenantId" in args:
        doc["tenantId"] = args["tenantId"]
    doc.update(
        {
            "type": args["type"],
            "participants": args["participants"],
            "messages": [],
            "messageCount": 0,
            "metadata": or_default(args.get("metadata"), {}),
            "createdAt": tx.now,
            "updatedAt": tx.now,
        }
    )
    return tx.fetch(tx.insert("conversations", doc))


def _message_total(rows: list[dict]) -> int:
    return sum(r["messageCount"] for r in rows)


# -- mutations -------------------------------------------------------------------------------


@handler("conversations:create")
def create(tx: Tx, args: dict) -> Any:
    _check_participants(args["type"], args["participants"])
    if _find(tx, args["conversationId"]) is not None:
        raise convex_error("CONVERSATION_ALREADY_EXISTS")
    return _new_conversation(tx, args["conversationId"], args, tenant=True)


@handler("conversations:addMessage")
def add_message(tx: Tx, args: dict) -> Any:
    conversation = _require(tx, args["conversationId"])
    message = {**args["message"], "timestamp": tx.now}
    tx.patch(
        conversation["_id"],
        {
            "messages": [*conversation["messages"], message],
            "messageCount": conversation["messageCount"] + 1,
            "updatedAt": tx.now,
        },
    )
    return tx.fetch(conversation["_id"])


@handler("conversations:deleteConversation")
def delete_conversation(tx: Tx, args: dict) -> Any:
    conversation = _require(tx, args["conversationId"])
    tx.delete(conversation["_id"])
    return {
        "deleted": True,
        "conversationId": args["conversationId"],
        "messagesDeleted": conversation["messageCount"],
        "deletedAt": tx.now,
        "restorable": False,
    }


@handler("conversations:deleteMany")
def delete_many(tx: Tx, args: dict) -> Any:
    rows = _candidates(tx, args).collect()
    messages = _message_total(rows)
    if truthy(args.get("dryRun")):
        return {
            "deleted": 0,
            "totalMessagesDeleted": 0,
            "conversationIds": [],
            "wouldDelete": len(rows),
            "wouldDeleteMessages": messages,
            "dryRun": True,
        }
    threshold = args.get("confirmationThreshold", THRESHOLD_DEFAULT)
    if len(rows) > threshold:
        raise convex_error(
            f"DELETE_MANY_THRESHOLD_EXCEEDED: Would delete {len(rows)} conversations "
            f"(threshold: {js_number(threshold)}). Use dryRun first or increase confirmationThreshold."
        )
    tx.delete_all(rows)
    return {
        "deleted": len(rows),
        "totalMessagesDeleted": messages,
        "conversationIds": [r["conversationId"] for r in rows],
        "dryRun": False,
    }


@handler("conversations:deleteByIds")
def delete_by_ids(tx: Tx, args: dict) -> Any:
    deleted: list[str] = []
    messages = 0
    for conversation_id in args["conversationIds"]:
        conversation = _find(tx, conversation_id)
        if conversation is not None:
            tx.delete(conversation["_id"])
            deleted.append(conversation_id)
            messages += conversation["messageCount"]
    return {"deleted": len(deleted), "conversationIds": deleted, "totalMessagesDeleted": messages}


@handler("conversations:purgeAll")
def purge_all(tx: Tx, args: dict) -> Any:
    rows = tx.query("conversations").collect()
    tx.delete_all(rows)
    return {"deleted": len(rows), "totalMessagesDeleted": _message_total(rows)}


@handler("conversations:getOrCreate")
def get_or_create(tx: Tx, args: dict) -> Any:
    participants = args["participants"]
    _check_participants(args["type"], participants)
    if args["type"] == "user-agent":
        existing = _find_user_agent(
            tx, args["memorySpaceId"], participants["userId"], participants["agentId"], check_agent=True
        )
    else:
        existing = _find_agent_agent(tx, participants["memorySpaceIds"])
    if existing is not None:
        return existing
    return _new_conversation(tx, public_id("conv", tx.now), args, tenant=False)


# -- queries ---------------------------------------------------------------------------------


@handler("conversations:getMessage")
def get_message(tx: Tx, args: dict) -> Any:
    conversation = _find(tx, args["conversationId"])
    if conversation is None:
        return None
    return next((m for m in conversation["messages"] if m["id"] == args["messageId"]), None)


@handler("conversations:getMessagesByIds")
def get_messages_by_ids(tx: Tx, args: dict) -> Any:
    conversation = _find(tx, args["conversationId"])
    if conversation is None:
        return []
    wanted = set(args["messageIds"])
    return [m for m in conversation["messages"] if m["id"] in wanted]


@handler("conversations:findConversation")
def find_conversation(tx: Tx, args: dict) -> Any:
    if args["type"] == "user-agent":
        if not truthy(args.get("userId")):
            return None
        return _find_user_agent(tx, args["memorySpaceId"], args["userId"])
    ids = args.get("memorySpaceIds")
    if ids is None or len(ids) < 2:
        return None
    return _find_agent_agent(tx, ids)


@handler("conversations:get")
def get(tx: Tx, args: dict) -> Any:
    conversation = _find(tx, args["conversationId"])
    if conversation is None:
        return None
    tenant = args.get("tenantId")
    if truthy(tenant) and conversation.get("tenantId") != tenant:
        return None
    if args.get("includeMessages") is False:
        return {**conversation, "messages": []}
    limit = args.get("messageLimit")
    if limit is not None and limit > 0:
        return {**conversation, "messages": js_slice(conversation["messages"], -limit)}
    return conversation


def _last_message_at(c: dict) -> Any:
    return c["messages"][-1]["timestamp"] if c["messages"] else c["createdAt"]


@handler("conversations:list")
def list_(tx: Tx, args: dict) -> Any:
    a = {k: val for k, val in args.items() if k not in ("limit", "offset")}
    tenant, space, user = a.get("tenantId"), a.get("memorySpaceId"), a.get("userId")
    q = tx.query("conversations")
    if truthy(tenant) and truthy(space):
        q = q.index("by_tenant_space", tenant, space)
    elif truthy(tenant):
        q = q.index("by_tenantId", tenant)
    elif truthy(space) and truthy(user):
        q = q.index("by_memorySpace_user", space, user)
    elif truthy(space):
        q = q.index("by_memorySpace", space)
    elif truthy(user):
        q = q.index("by_user", user)
    elif truthy(a.get("type")):
        q = q.index("by_type", a["type"])

    def keep(c: dict) -> bool:
        if truthy(a.get("type")) and c["type"] != a["type"]:
            return False
        if truthy(user) and c["participants"].get("userId") != user:
            return False
        if truthy(space) and c["memorySpaceId"] != space:
            return False
        if truthy(tenant) and c.get("tenantId") != tenant:
            return False
        if truthy(a.get("participantId")) and c.get("participantId") != a["participantId"]:
            return False
        bounds = (
            ("createdBefore", "createdAt", lambda x, b: x < b),
            ("createdAfter", "createdAt", lambda x, b: x > b),
            ("updatedBefore", "updatedAt", lambda x, b: x < b),
            ("updatedAfter", "updatedAt", lambda x, b: x > b),
            ("messageCountMin", "messageCount", lambda x, b: x >= b),
            ("messageCountMax", "messageCount", lambda x, b: x <= b),
        )
        for arg, field, ok in bounds:
            if arg in a and not ok(c[field], a[arg]):
                return False
        if "lastMessageBefore" in a and not _last_message_at(c) < a["lastMessageBefore"]:
            return False
        if "lastMessageAfter" in a and not _last_message_at(c) > a["lastMessageAfter"]:
            return False
        return True

    rows = q.filter(keep).collect()
    sort_by = args.get("sortBy", "createdAt")
    key = _last_message_at if sort_by == "lastMessageAt" else (lambda c: c[sort_by])
    rows.sort(key=key, reverse=args.get("sortOrder", "desc") == "desc")
    limit, offset = or_default(args.get("limit"), 50), or_default(args.get("offset"), 0)
    page = js_slice(rows, offset, offset + limit)
    if args.get("includeMessages") is False:
        page = [{**c, "messages": []} for c in page]
    total = len(rows)
    return {"conversations": page, "total": total, "limit": limit, "offset": offset, "hasMore": offset + limit < total}


@handler("conversations:count")
def count(tx: Tx, args: dict) -> Any:
    return _candidates(tx, args).count()


@handler("conversations:getHistory")
def get_history(tx: Tx, args: dict) -> Any:
    conversation = _require(tx, args["conversationId"])
    messages = conversation["messages"]
    if "since" in args:
        messages = [m for m in messages if m["timestamp"] >= args["since"]]
    if "until" in args:
        messages = [m for m in messages if m["timestamp"] <= args["until"]]
    if args.get("roles"):
        roles = set(args["roles"])
        messages = [m for m in messages if m["role"] in roles]
    total = len(messages)
    if args.get("sortOrder") == "desc":
        messages = messages[::-1]
    limit, offset = or_default(args.get("limit"), 50), or_default(args.get("offset"), 0)
    return {
        "messages": js_slice(messages, offset, offset + limit),
        "total": total,
        "hasMore": offset + limit < total,
        "conversationId": args["conversationId"],
    }


def _matcher(query_lower: str, mode: str):
    if mode == "exact":
        return lambda text: text.lower() == query_lower
    if mode == "fuzzy":
        words = query_lower.split()
        return lambda text: all(w in text.lower() for w in words)
    return lambda text: query_lower in text.lower()


@handler("conversations:search")
def search(tx: Tx, args: dict) -> Any:
    query_lower = args["query"].lower()
    matches = _matcher(query_lower, args.get("matchMode", "contains"))
    search_in = args.get("searchIn", "content")
    start, end = args.get("dateStart"), args.get("dateEnd")
    results: list[dict[str, Any]] = []
    for c in _candidates(tx, args):
        if truthy(start) and c["createdAt"] < start:
            continue
        if truthy(end) and c["createdAt"] > end:
            continue
        matched = [m for m in c["messages"] if matches(m["content"])] if search_in != "metadata" else []
        metadata = or_default(c.get("metadata"), {})
        meta_match = search_in != "content" and matches(js_stringify(convex_key_order(metadata)))
        if not matched and not meta_match:
            continue
        score = len(matched) / c["messageCount"] if matched and c["messageCount"] else 0
        if meta_match:
            score += 0.5
        highlights = []
        for m in matched[:3]:
            found = highlight(m["content"], query_lower)
            if found is None:
                content = m["content"]
                found = utf16_substring(content, 0, 60) + ("..." if utf16_len(content) > 60 else "")
            highlights.append(found)
        results.append({"conversation": c, "matchedMessages": matched, "highlights": highlights, "score": score})
    results.sort(key=lambda r: r["score"], reverse=True)
    return js_slice(results, 0, or_default(args.get("limit"), 10))


@handler("conversations:exportConversations")
def export_conversations(tx: Tx, args: dict) -> Any:
    ids = set(args.get("conversationIds") or [])
    start, end = args.get("dateStart"), args.get("dateEnd")
    rows = [
        c
        for c in _candidates(tx, args)
        if (not ids or c["conversationId"] in ids)
        and (not truthy(start) or c["createdAt"] >= start)
        and (not truthy(end) or c["createdAt"] <= end)
    ]
    with_meta = truthy(args.get("includeMetadata"))
    stored = [convex_key_order(c) for c in rows]  # stored objects list their keys as Convex returns them
    if args["format"] == "json":
        items = []
        for c in stored:
            item = {  # an object literal: its own keys stay in the order written here
                "conversationId": c["conversationId"],
                "type": c["type"],
                "participants": c["participants"],
                "messages": c["messages"],
                "messageCount": c["messageCount"],
                "createdAt": c["createdAt"],
                "updatedAt": c["updatedAt"],
            }
            if with_meta and truthy(c.get("metadata")):
                item["metadata"] = c["metadata"]
            items.append(item)
        data = js_stringify(items, 2)
    else:
        header = "conversationId,type,participants,messageCount,createdAt,updatedAt"
        header += ",metadata" if with_meta else ""
        lines = [header]
        for c in stored:
            cells = [
                c["conversationId"],
                c["type"],
                js_stringify(c["participants"]),
                js_number(c["messageCount"]),
                js_iso(c["createdAt"]),
                js_iso(c["updatedAt"]),
            ]
            if with_meta:
                cells.append(js_stringify(or_default(c.get("metadata"), {})))
            lines.append(",".join(csv_field(cell) for cell in cells))
        data = "\n".join(lines)
    return {"format": args["format"], "data": data, "count": len(rows), "exportedAt": tx.now}
