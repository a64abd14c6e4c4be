"""Memory orchestration (spec/orchestration.md §1–6) over any Backend.

remember writes the layers in order (memory space, user, agent, conversation, vector memories,
facts); recall (in api/recall, re-exported here) finds and ranks memories and facts;
forget deletes a memory and cascades to the facts derived from it. Only `backends.base.call`
is used, so every function here works unchanged on the embedded and the Convex backend.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cortex_mcp.api import a2a as a2a_api
from cortex_mcp.api import checks
from cortex_mcp.api import facts as facts_api
from cortex_mcp.api.embeddings import Embedder
from cortex_mcp.api.embeddings.vectors import turns_before, vectors_to_store
from cortex_mcp.api.owners import OwnerChecks
from cortex_mcp.api.recall import attach_sources
from cortex_mcp.api.recall import keyword_query as keyword_query  # re-exported: part of this module's API
from cortex_mcp.api.recall import recall as recall
from cortex_mcp.backends.base import Backend, Call, Nested, Plan, call, compact, run_calls, run_plan
from cortex_mcp.clock import now_ms
from cortex_mcp.contract.enums import MEMORY_SOURCE_TYPES
from cortex_mcp.errors import BackendUnavailableError, CortexError, FunctionNotFoundError, InputError
from cortex_mcp.ids import public_id

log = logging.getLogger(__name__)

SKIPPABLE_LAYERS = ("users", "agents", "conversations", "vector", "facts", "graph")
ACK_PHRASES = ("got it", "i've noted", "i'll remember", "noted", "understood", "i'll set", "i'll call you",
               "will do", "sure thing", "okay,", "ok,")
FACTS_SCAN_LIMIT = 10_000


# -- shared helpers (§1) ------------------------------------------------------------------
#
# remember's steps are plans (backends.base.run_plan): on the embedded backend the whole of
# remember is one transaction, so a crash part-way leaves nothing half written.


def ensure_memory_space(memory_space_id: str) -> Plan[bool]:
    """§1.1: register the space on first use; failures never stop remember. True: it exists."""
    try:
        if (yield Call("memorySpaces:get", {"memorySpaceId": memory_space_id})) is None:
            try:
                yield Call("memorySpaces:register",
                           {"memorySpaceId": memory_space_id, "name": memory_space_id, "type": "custom"})
            except CortexError as exc:
                if "ALREADY_EXISTS" not in exc.code and "already exists" not in exc.message:
                    raise
        return True
    except BackendUnavailableError:
        raise
    except CortexError as exc:
        log.warning("ensure memory space %s failed: %s", memory_space_id, exc)
        return False


def ensure_user(user_id: str, user_name: str | None) -> Plan[bool]:
    """§1.2: create the user profile (an immutable record of type "user") if missing. True: it exists."""
    try:
        if (yield Call("immutable:get", {"type": "user", "id": user_id})) is None:
            data = {"displayName": user_name or user_id, "createdAt": now_ms()}
            yield Call("immutable:store", {"type": "user", "id": user_id, "data": data})
        return True
    except BackendUnavailableError:
        raise
    except CortexError as exc:
        log.warning("ensure user %s failed: %s", user_id, exc)
        return False


def ensure_agent(agent_id: str) -> Plan[bool]:
    """§1.3: auto-register the agent on first use. True: it exists."""
    try:
        if not (yield Call("agents:exists", {"agentId": agent_id})):
            try:
                description = "Auto-registered by memory.remember()"
                yield Call("agents:register", {"agentId": agent_id, "name": agent_id, "description": description})
            except CortexError as exc:
                if "AGENT_ALREADY_REGISTERED" not in exc.code:
                    raise
        return True
    except BackendUnavailableError:
        raise
    except CortexError as exc:
        log.warning("ensure agent %s failed: %s", agent_id, exc)
        return False


def derived_from(fact: dict, memory_id: str, message_ids: list[str]) -> bool:
    """A fact derives from a memory when its sourceRef names the memory, or a message the memory
    was made from (both memories of an exchange share its facts). Other exchanges of the same
    conversation are not its source (a deviation from §1.4, see docs/parity.md)."""
    ref = fact.get("sourceRef") or {}
    return ref.get("memoryId") == memory_id or bool(set(ref.get("messageIds") or []) & set(message_ids))


def facts_for_memory(memory_space_id: str, memory: dict) -> Plan[list[dict]]:
    """§1.5: current facts derived from the memory. The candidates are the facts of its source (its
    id, its conversation) through an index (`gdpr:factsBySource`); a deployment without that
    extension (upstream) has the space's current facts scanned, up to FACTS_SCAN_LIMIT."""
    ref = memory.get("conversationRef") or {}
    now = now_ms()
    try:
        facts = yield Call("gdpr:factsBySource", compact(memorySpaceId=memory_space_id,
                                                         sourceMemoryId=memory["memoryId"],
                                                         sourceConversationId=ref.get("conversationId"), validAt=now))
    except FunctionNotFoundError:
        facts = yield Call("facts:list", {"memorySpaceId": memory_space_id, "limit": FACTS_SCAN_LIMIT, "validAt": now})
    return [f for f in facts if derived_from(f, memory["memoryId"], ref.get("messageIds") or [])]


# -- remember (§2) --------------------------------------------------------------------------


def is_acknowledgment(text: str) -> bool:
    lowered = text.lower()
    return len(text) < 80 and any(p in lowered for p in ACK_PHRASES)


@dataclass
class RememberResult:
    conversation_id: str | None
    message_ids: list[str]
    memories: list[dict]
    facts: list[dict] = field(default_factory=list)
    fact_revisions: list[dict] = field(default_factory=list)
    skipped_facts: list[dict] = field(default_factory=list)


async def remember_note(
    backend: Backend,
    *,
    memory_space_id: str,
    content: str,
    user_id: str | None = None,
    user_name: str | None = None,
    agent_id: str | None = None,
    participant_id: str | None = None,
    importance: float | None = None,
    tags: list[str] | None = None,
    embedding: list[float] | None = None,
    facts: list[dict] | None = None,
    embedder: Embedder | None = None,
) -> RememberResult:
    """Remember one standalone piece of information (no conversation): one vector memory.
    With an `embedder`, the memory is stored with its vector (unless `embedding` is given)."""
    checks.require_text(memory_space_id, "memory_space_id")
    checks.require_text(content, "content")
    _check_owner_fields(user_id, agent_id, participant_id, importance, tags, embedding, facts)
    if embedding is None and embedder is not None:
        [embedding] = await vectors_to_store(backend, embedder, [content])  # before any write
    owners = OwnerChecks(backend)
    result = await run_plan(backend, _remember_note_plan(
        memory_space_id, content, user_id, user_name, agent_id, participant_id, importance, tags, embedding, facts,
        owners,
    ), bounded=not facts)  # facts go through belief revision: reads of their own
    owners.succeeded()
    return result


def _remember_note_plan(memory_space_id, content, user_id, user_name, agent_id, participant_id, importance, tags,
                        embedding, facts, owners: OwnerChecks) -> Plan[RememberResult]:
    yield from _ensure_owners(memory_space_id, user_id, user_name, agent_id, owners)
    args = _memory_args(memory_space_id, "tool", participant_id, user_id, user_name, agent_id, importance, tags)
    args.update(compact(content=content, contentType="raw", embedding=embedding))
    memory = yield Call("memories:store", args)
    result = RememberResult(conversation_id=None, message_ids=[], memories=[memory])
    yield from _store_facts(result, memory_space_id, facts, user_id, agent_id, participant_id, tags)
    return result


async def remember_exchange(
    backend: Backend,
    *,
    memory_space_id: str,
    user_message: str,
    agent_response: str,
    conversation_id: str | None = None,
    user_id: str | None = None,
    user_name: str | None = None,
    agent_id: str | None = None,
    participant_id: str | None = None,
    importance: float | None = None,
    tags: list[str] | None = None,
    skip_layers: list[str] | None = None,
    facts: list[dict] | None = None,
    embedder: Embedder | None = None,
) -> RememberResult:
    """§2: store a user/agent exchange as conversation messages plus vector memories, as one unit
    (with their vectors when an `embedder` is given)."""
    checks.require_text(memory_space_id, "memory_space_id")
    if conversation_id is not None:
        checks.require_text(conversation_id, "conversation_id")
    checks.require_text(user_message, "user_message")
    checks.require_text(agent_response, "agent_response")
    _check_owner_fields(user_id, agent_id, participant_id, importance, tags, None, facts)
    if user_id and not agent_id:
        raise InputError(
            "AGENT_REQUIRED_FOR_USER_CONVERSATION", "a user conversation needs an agent_id as well", "agent_id"
        )
    skip = set(skip_layers or ())
    unknown = skip - set(SKIPPABLE_LAYERS)
    if unknown:
        raise InputError("INVALID_FORMAT", f"skip_layers may only hold: {', '.join(SKIPPABLE_LAYERS)}", "skip_layers")
    texts = [user_message] if is_acknowledgment(agent_response) else [user_message, agent_response]
    vectors: list[list[float]] | None = None
    if embedder is not None and "vector" not in skip:
        before = await turns_before(backend, conversation_id) if "conversations" not in skip else []
        vectors = await vectors_to_store(backend, embedder, texts, before)  # before any write
    owners = OwnerChecks(backend)
    result = await run_plan(backend, _remember_exchange_plan(
        memory_space_id, user_message, agent_response, conversation_id or public_id("conv", now_ms()), user_id,
        user_name, agent_id, participant_id, importance, tags, skip, facts, vectors, owners,
    ))
    owners.succeeded()
    return result


def _check_conversation_is_ours(conversation: dict, memory_space_id: str) -> None:
    """remember appends only to a user-agent conversation of the same memory space."""
    cid = conversation["conversationId"]
    if conversation.get("memorySpaceId") != memory_space_id:
        raise CortexError(
            f"Conversation {cid} belongs to another memory space",
            code="PERMISSION_DENIED",
            field="conversation_id",
            hint="Omit conversation_id to start a new conversation, or pass that conversation's memory_space_id.",
        )
    if conversation.get("type") == "agent-agent":
        raise CortexError(
            f"Conversation {cid} is an agent-to-agent log; remember cannot append to it",
            code="PERMISSION_DENIED",
            field="conversation_id",
            hint="Omit conversation_id to start a new conversation; use a2a_send to message an agent.",
        )


def _remember_exchange_plan(memory_space_id, user_message, agent_response, conversation_id, user_id, user_name,
                            agent_id, participant_id, importance, tags, skip, facts, vectors,
                            owners: OwnerChecks) -> Plan[RememberResult]:
    texts = [user_message] if is_acknowledgment(agent_response) else [user_message, agent_response]
    existing = None
    if "conversations" not in skip:
        existing = yield Call("conversations:get", {"conversationId": conversation_id})
        if existing is not None:
            _check_conversation_is_ours(existing, memory_space_id)  # before anything is written
        elif not user_id:
            # A user-agent conversation needs a user (upstream §14.10): an agent-only exchange
            # is kept as memories only, unless it continues an existing conversation.
            skip.add("conversations")
    yield from _ensure_owners(
        memory_space_id,
        None if "users" in skip else user_id,
        user_name,
        None if "agents" in skip else agent_id,
        owners,
    )

    message_ids: list[str] = []
    if "conversations" not in skip:
        if existing is None:
            participants = compact(userId=user_id, agentId=agent_id, participantId=participant_id)
            yield Call("conversations:create", {"conversationId": conversation_id, "memorySpaceId": memory_space_id,
                                                "type": "user-agent", "participants": participants})
        for role, text, who in (("user", user_message, None), ("agent", agent_response, participant_id or agent_id)):
            message = compact(id=public_id("msg", now_ms()), role=role, content=text, participantId=who)
            conversation = yield Call("conversations:addMessage",
                                      {"conversationId": conversation_id, "message": message})
            message_ids.append(conversation["messages"][-1]["id"])

    memories: list[dict] = []
    if "vector" not in skip:
        common = _memory_args(memory_space_id, "conversation", participant_id, user_id, user_name, agent_id,
                              importance, tags)
        for index, (role, text) in enumerate(zip(("user", "agent"), texts, strict=False)):
            args = {**common, "content": text, "contentType": "raw", "messageRole": role}
            if vectors is not None:
                args["embedding"] = vectors[index]
            if message_ids:
                args["conversationRef"] = {"conversationId": conversation_id, "messageIds": [message_ids[index]]}
            memories.append((yield Call("memories:store", args)))

    result = RememberResult(
        conversation_id=None if "conversations" in skip else conversation_id,
        message_ids=message_ids,
        memories=memories,
    )
    if "facts" not in skip:
        yield from _store_facts(result, memory_space_id, facts, user_id, agent_id, participant_id, tags)
    return result


def _memory_args(memory_space_id, source_type, participant_id, user_id, user_name, agent_id, importance, tags) -> dict:
    """The `memories:store` arguments both kinds of remember share."""
    return compact(
        memorySpaceId=memory_space_id,
        participantId=participant_id,
        sourceType=source_type,
        sourceUserId=user_id,
        sourceUserName=user_name if user_id else None,
        userId=user_id,
        agentId=agent_id,
        importance=50 if importance is None else importance,  # upstream: "or 50" (see docs/parity.md)
        tags=tags or [],
    )


def _check_owner_fields(user_id, agent_id, participant_id, importance, tags, embedding, facts) -> None:
    """Every check of remember's input, before anything is written."""
    checks.optional_text(user_id, "user_id")
    checks.optional_text(agent_id, "agent_id")
    if not user_id and not agent_id:
        raise InputError("OWNER_REQUIRED", "give a user_id or an agent_id to own the memory", "user_id/agent_id")
    checks.optional_text(participant_id, "participant_id")
    checks.check_importance(importance)
    checks.check_tags(tags)
    checks.check_embedding(embedding)
    facts_api.check_inputs(facts)


def _ensure_owners(memory_space_id, user_id, user_name, agent_id, owners: OwnerChecks) -> Plan[None]:
    """The §1 checks, skipping those the backend confirmed lately (api/owners.py: Convex only)."""
    wanted: list[tuple[str, str, Callable[[], Plan[bool]]]] = [
        ("space", memory_space_id, lambda: ensure_memory_space(memory_space_id))
    ]
    if user_id:
        wanted.append(("user", user_id, lambda: ensure_user(user_id, user_name)))
    if agent_id:
        wanted.append(("agent", agent_id, lambda: ensure_agent(agent_id)))
    for kind, ident, ensure in wanted:
        if owners.needed(kind, ident) and (yield from ensure()):
            owners.confirm(kind, ident)


def _store_facts(result, memory_space_id, facts, user_id, agent_id, participant_id, tags) -> Plan[None]:
    """§2.3 step 6: facts the agent extracted itself go through belief revision.

    The inputs were checked before anything was written; a fact the backend then refuses is
    skipped (and reported), as upstream does, so the memories already stored are not lost.
    """
    if not facts:
        return
    source_ref = compact(
        conversationId=result.conversation_id,
        messageIds=result.message_ids or None,
        memoryId=result.memories[0]["memoryId"] if result.memories else None,
    )
    for item in facts:
        subject, predicate, object_, note = facts_api.prepare(
            item["fact"], item.get("subject"), item.get("predicate"), item.get("object"), user_id
        )
        try:
            # Nested: a revision refused part-way leaves none of its writes (one savepoint on embedded).
            revision = yield Nested(facts_api.revise_plan(
                memory_space_id=memory_space_id,
                fact=item["fact"],
                fact_type=item.get("fact_type") or "custom",
                subject=subject or user_id or agent_id,
                predicate=predicate,
                object=object_,
                confidence=facts_api.normalise_confidence(item.get("confidence", 80)),
                tags=item.get("tags") or tags or [],
                user_id=user_id,
                participant_id=participant_id,
                source_type="conversation" if result.conversation_id else "tool",
                source_ref=source_ref or None,
            ))
        except BackendUnavailableError:
            raise
        except CortexError as exc:
            log.warning("remember: fact %r skipped: %s", item["fact"], exc)
            result.skipped_facts.append({"fact": item["fact"], "error": f"{exc.code}: {exc.message}"})
            continue
        revision["reason"] += note
        result.fact_revisions.append(revision)
        if revision["action"] != "NONE" and revision.get("fact"):
            result.facts.append(revision["fact"])


# -- forget (§5) and CRUD (§6) -----------------------------------------------------------------


async def forget(
    backend: Backend,
    *,
    memory_space_id: str,
    memory_id: str,
    delete_conversation: bool = False,
    delete_messages: bool = False,
) -> dict:
    """§5, as one unit: delete a memory and the facts derived from it; optionally its source
    messages (`delete_messages`) or its whole conversation (`delete_conversation`).

    A fact id (as recall returns) retracts that fact instead: it stops being current, its
    history stays."""
    checks.require_text(memory_space_id, "memory_space_id")
    checks.require_text(memory_id, "memory_id")
    if memory_id.startswith("fact-"):
        return await run_plan(backend, _retract_fact_plan(memory_space_id, memory_id))
    return await run_plan(backend, _forget_plan(memory_space_id, memory_id, delete_conversation, delete_messages))


def _forget_result(**fields: Any) -> dict:
    return {"memory_deleted": False, "memory_id": None, "fact_retracted": None, "conversation_deleted": False,
            "messages_deleted": 0, "facts_deleted": 0, "fact_ids": [], **fields}


def _retract_fact_plan(memory_space_id: str, fact_id: str) -> Plan[dict]:
    fact = yield Call("facts:get", {"memorySpaceId": memory_space_id, "factId": fact_id})
    if fact is None:
        raise CortexError(f"Fact {fact_id} not found in memory space {memory_space_id}", code="FACT_NOT_FOUND",
                          field="memory_id", hint="Use recall or search_facts to find the id of the fact to forget.")
    retracted = []
    if not fact.get("validUntil"):
        yield from _retract(memory_space_id, fact, "Forgotten on request")
        retracted.append(fact_id)
    return _forget_result(fact_retracted=fact_id, facts_deleted=len(retracted), fact_ids=retracted)


def _retract(memory_space_id: str, fact: dict, reason: str) -> Plan[None]:
    """Soft-delete a fact (validUntil now) and record it in its history."""
    yield Call("facts:deleteFact", {"memorySpaceId": memory_space_id, "factId": fact["factId"]})
    yield Call("factHistory:logEvent", compact(factId=fact["factId"], memorySpaceId=memory_space_id, action="DELETE",
                                               oldValue=fact["fact"], reason=reason, userId=fact.get("userId")))


def _forget_plan(memory_space_id: str, memory_id: str, delete_conversation: bool,
                 delete_messages: bool) -> Plan[dict]:
    memory = yield Call("memories:get", {"memorySpaceId": memory_space_id, "memoryId": memory_id})
    if memory is None:
        raise CortexError(
            f"Memory {memory_id} not found in memory space {memory_space_id}",
            code="MEMORY_NOT_FOUND",
            field="memory_id",
            hint="Use recall or list_memories to find the id of the memory to forget.",
        )
    ref = memory.get("conversationRef") or {}
    conversation_id = ref.get("conversationId")
    messages_deleted = 0
    if delete_messages and conversation_id and not delete_conversation:
        # First, so a deployment without this extension refuses before anything is deleted.
        erased = yield Call("gdpr:deleteMessages",
                            {"conversationId": conversation_id, "messageIds": ref.get("messageIds") or []})
        messages_deleted = erased["deleted"]
    yield Call("memories:deleteMemory", {"memorySpaceId": memory_space_id, "memoryId": memory_id})
    fact_ids = []
    for fact in (yield from facts_for_memory(memory_space_id, memory)):
        try:
            yield from _retract(memory_space_id, fact, f"Source memory {memory_id} forgotten")
            fact_ids.append(fact["factId"])
        except CortexError as exc:
            log.warning("could not delete fact %s: %s", fact["factId"], exc)
    conversation_deleted = False
    if delete_conversation and conversation_id:
        conversation = yield Call("conversations:get", {"conversationId": conversation_id})
        if conversation is not None:
            messages_deleted = conversation.get("messageCount", 0)
            yield Call("conversations:deleteConversation", {"conversationId": conversation_id})
            conversation_deleted = True
    return _forget_result(memory_deleted=True, memory_id=memory_id, conversation_deleted=conversation_deleted,
                          messages_deleted=messages_deleted, facts_deleted=len(fact_ids), fact_ids=fact_ids)


def _refuse_fact_id(memory_id: str, action: str) -> None:
    if isinstance(memory_id, str) and memory_id.startswith("fact-"):
        raise CortexError(
            f"{memory_id} is a fact id, not a memory id: {action} works on memories",
            code="INVALID_MEMORY_ID",
            field="memory_id",
            hint="For a fact use get_fact_history (versions and events), store_fact to correct it "
                 "(the new value supersedes the old), or forget with the fact id to retract it.",
        )


async def get_memory(
    backend: Backend, *, memory_space_id: str, memory_id: str, include_conversation: bool = False,
    agent_id: str | None = None,
) -> dict | None:
    """§6.1: the memory (None when absent or in another space), optionally with its sources.

    Agent-to-agent messages live in the agent's own memory space: given `agent_id`, a message id
    (a2a-msg-..., as a2a_inbox shows) or an a2a memory id is also looked up there."""
    checks.require_text(memory_space_id, "memory_space_id")
    checks.require_text(memory_id, "memory_id")
    _refuse_fact_id(memory_id, "get_memory")
    spaces = list(dict.fromkeys(s for s in (memory_space_id, agent_id) if s))
    memory = None
    if memory_id.startswith("a2a-"):
        for space in spaces:
            memory = memory or await a2a_api.find_message(backend, memory_space_id=space, message_id=memory_id)
    else:
        for space in spaces if memory_id.startswith("mem-a2a-") else spaces[:1]:
            memory = memory or await call(backend, "memories:get", {"memorySpaceId": space, "memoryId": memory_id})
    if memory is not None:
        memory_space_id = memory["memorySpaceId"]
    if memory is None or not include_conversation:
        return memory
    item = {"type": "memory", "record": memory}
    await attach_sources(backend, [item])
    if "source_messages" in item:
        memory = {**memory, "sourceMessages": item["source_messages"]}
    facts = await run_calls(backend, facts_for_memory(memory_space_id, memory))  # reads: no write lock
    if facts:
        memory = {**memory, "facts": facts}
    return memory


async def list_memories(
    backend: Backend,
    *,
    memory_space_id: str,
    user_id: str | None = None,
    source_type: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """§6.4: newest first."""
    checks.require_text(memory_space_id, "memory_space_id")
    checks.optional_text(user_id, "user_id")
    checks.check_choice(
        source_type, "source_type", MEMORY_SOURCE_TYPES, "INVALID_SOURCE_TYPE"
    )
    checks.check_limit(limit)
    return await call(
        backend,
        "memories:list",
        compact(memorySpaceId=memory_space_id, userId=user_id, sourceType=source_type, limit=limit),
    )


async def count_memories(
    backend: Backend, *, memory_space_id: str, user_id: str | None = None, source_type: str | None = None
) -> int:
    """§6.5."""
    checks.require_text(memory_space_id, "memory_space_id")
    checks.optional_text(user_id, "user_id")
    return await call(
        backend, "memories:count", compact(memorySpaceId=memory_space_id, userId=user_id, sourceType=source_type)
    )


async def _turns_before_memory(backend: Backend, memory_space_id: str, memory_id: str) -> list[str]:
    """The context of a conversation memory's vector: the turns before its message."""
    try:
        memory = await call(backend, "memories:get", {"memorySpaceId": memory_space_id, "memoryId": memory_id})
    except BackendUnavailableError:
        raise
    except CortexError:
        return []  # memories:update says what is wrong
    ref = memory.get("conversationRef") if isinstance(memory, dict) else None
    if not isinstance(ref, dict) or not ref.get("messageIds"):
        return []
    return await turns_before(backend, ref.get("conversationId"), ref["messageIds"][0])


async def update_memory(
    backend: Backend,
    *,
    memory_space_id: str,
    memory_id: str,
    content: str | None = None,
    importance: float | None = None,
    tags: list[str] | None = None,
    embedding: list[float] | None = None,
    embedder: Embedder | None = None,
) -> dict:
    """§6.2: a new version of the memory; the previous content goes to its history. With an
    `embedder`, new content gets a new vector (unless `embedding` is given)."""
    checks.require_text(memory_space_id, "memory_space_id")
    checks.require_text(memory_id, "memory_id")
    _refuse_fact_id(memory_id, "update_memory")
    if content is None and importance is None and tags is None and embedding is None:
        raise InputError(
            "INVALID_FORMAT", "give at least one of content, importance, tags or embedding to update", "content"
        )
    if content is not None:
        checks.require_text(content, "content")
    checks.check_importance(importance)
    checks.check_tags(tags)
    checks.check_embedding(embedding)
    if content is not None and embedding is None and embedder is not None:
        [embedding] = await vectors_to_store(backend, embedder, [content], await _turns_before_memory(
            backend, memory_space_id, memory_id))
    return await call(
        backend,
        "memories:update",
        compact(
            memorySpaceId=memory_space_id,
            memoryId=memory_id,
            content=content,
            importance=importance,
            tags=tags,
            embedding=embedding,
        ),
    )
