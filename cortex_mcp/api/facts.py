"""Facts with belief revision (spec/orchestration.md §7) over any Backend.

Storing a fact first looks for the belief it may replace — slot match (same subject and
predicate class), then structural match, then same subject and type — and decides
ADD / UPDATE / SUPERSEDE / NONE deterministically, without an LLM. Superseded facts stay in
the store (with `validUntil`), so history and "as of" queries keep working.
"""

from __future__ import annotations

import re
import time
from typing import Any

from cortex_mcp.api import checks
from cortex_mcp.backends.base import Backend, call, compact
from cortex_mcp.errors import CortexError, InputError

FACT_TYPES = ("preference", "identity", "knowledge", "relationship", "event", "observation", "custom")
SOURCE_TYPES = ("conversation", "system", "tool", "manual", "a2a")

# Predicate classes in precedence order (§7.3 stage 1).
PREDICATE_CLASSES: list[tuple[str, tuple[str, ...]]] = [
    ("favorite_color", ("favorite color", "favourite color", "favorite colour", "favourite colour", "preferred color", "likes color")),
    ("location", ("lives in", "resides in", "based in", "moved to", "located in", "lives at", "living in", "relocated to", "home is")),
    ("employment", ("works at", "works for", "employed by", "job at", "works as", "employer", "job is")),
    ("age", ("age is", "years old", "aged")),
    ("name", ("name is", "called", "named", "goes by", "known as")),
    ("relationship_status", ("married to", "dating", "engaged to", "relationship status", "single", "divorced")),
    ("education", ("studies at", "studied at", "graduated from", "attends", "degree in")),
    ("language", ("speaks", "native language", "language is")),
    ("contact_preference", ("prefers to be contacted", "contact via", "reach by", "prefers email", "prefers phone")),
    ("food_preference", ("favorite food", "likes to eat", "diet is", "is vegetarian", "is vegan", "allergic to")),
    ("music_preference", ("favorite music", "favorite band", "listens to", "favorite song")),
    ("hobby", ("hobby", "enjoys", "likes to", "plays")),
    ("pet", ("has a pet", "pet is", "owns a dog", "owns a cat", "has a dog", "has a cat")),
    ("addressing_preference", ("prefers to be called", "address as", "pronouns")),
    ("timezone", ("timezone", "time zone")),
]
# Classes that hold one value at a time: a new value for the same slot replaces the old one.
SINGLE_VALUED = {
    "favorite_color", "location", "employment", "age", "name", "relationship_status",
    "contact_preference", "addressing_preference", "timezone",
}
CANDIDATE_LIMIT = 100
_PUNCTUATION = re.compile(r"[.,!?;:'\"]")


def _collapse(text: str) -> str:
    return " ".join(text.lower().split())


def normalise_subject(subject: str) -> str:
    return _collapse(subject)


def predicate_class(predicate: str | None) -> str:
    if not predicate:
        return "unknown"
    normalised = _collapse(_PUNCTUATION.sub("", predicate))
    for name, patterns in PREDICATE_CLASSES:
        if any(p in normalised for p in patterns):
            return name
    return normalised


def jaccard(a: str, b: str) -> float:
    left, right = set(a.lower().strip().split()), set(b.lower().strip().split())
    if not left and not right:
        return 1.0
    return len(left & right) / len(left | right)


def normalise_confidence(value: Any) -> int:
    """remember's rule: a fraction ≤ 1 is a share (0.95 → 95); anything else is truncated."""
    if isinstance(value, float) and value <= 1:
        return int(value * 100)
    return int(value)


def _validate(memory_space_id, fact, fact_type, confidence, source_type, tags) -> None:
    checks.require_text(memory_space_id, "memory_space_id")
    checks.require_text(fact, "fact")
    checks.check_choice(fact_type, "fact_type", FACT_TYPES, "INVALID_FACT_TYPE")
    checks.check_range(confidence, "confidence", 0, 100, "INVALID_CONFIDENCE")
    checks.check_choice(source_type, "source_type", SOURCE_TYPES, "INVALID_SOURCE_TYPE")
    checks.check_tags(tags)


def check_inputs(facts: Any) -> None:
    """Check facts given to remember before anything is written, naming `facts[i].<field>`."""
    if facts is None:
        return
    if not isinstance(facts, list):
        raise InputError("INVALID_FORMAT", "facts must be a list", "facts")
    for i, item in enumerate(facts):
        if not isinstance(item, dict):
            raise InputError("INVALID_FORMAT", f"facts[{i}] must be an object", f"facts[{i}]")
        checks.require_text(item.get("fact"), f"facts[{i}].fact")
        checks.check_choice(item.get("fact_type"), f"facts[{i}].fact_type", FACT_TYPES, "INVALID_FACT_TYPE")
        checks.check_range(item.get("confidence"), f"facts[{i}].confidence", 0, 100, "INVALID_CONFIDENCE")
        checks.check_tags(item.get("tags"), f"facts[{i}].tags")
        for key in ("subject", "predicate", "object"):
            checks.optional_text(item.get(key), f"facts[{i}].{key}")


def _now_ms() -> int:
    return int(time.time() * 1000)


# Candidate look-ups ask for current beliefs only (`validAt` now), newest first, so a subject with
# many facts (or many forgotten ones) cannot push the belief being revised out of the window.
def _current(**args: Any) -> dict:
    return {**compact(**args), "validAt": _now_ms(), "sortBy": "createdAt", "sortOrder": "desc"}


async def _current_facts_about(backend: Backend, memory_space_id: str, subject: str, user_id: str | None) -> list[dict]:
    """Current facts whose subject equals `subject` case-insensitively (see docs/parity.md)."""
    found: dict[str, dict] = {}
    for variant in dict.fromkeys((subject, normalise_subject(subject))):
        args = _current(memorySpaceId=memory_space_id, subject=variant, userId=user_id, limit=CANDIDATE_LIMIT)
        for fact in await call(backend, "facts:queryBySubject", args):
            found.setdefault(fact["factId"], fact)
    return list(found.values())


async def find_candidates(
    backend: Backend,
    *,
    memory_space_id: str,
    subject: str | None,
    predicate: str | None,
    object: str | None,
    fact_type: str | None,
    user_id: str | None,
) -> tuple[str, list[dict]]:
    """Stages 1, 2 and 2.5: which existing beliefs the new fact may conflict with."""
    if subject and predicate:
        slot = predicate_class(predicate)
        about = await _current_facts_about(backend, memory_space_id, subject, user_id)
        slot_matches = [f for f in about if predicate_class(f.get("predicate")) == slot]
        if slot_matches:
            return "slot", slot_matches
    if subject and (predicate or object):
        # findByStructure has no validity filter: read enough rows to step over forgotten facts.
        same = await call(
            backend,
            "facts:findByStructure",
            compact(memorySpaceId=memory_space_id, subject=subject, predicate=predicate, object=object,
                    userId=user_id, limit=CANDIDATE_LIMIT),
        )
        same = [f for f in same if not f.get("validUntil")][:1]
        if same:
            return "structural", same
    if subject and fact_type:
        listed = await call(
            backend,
            "facts:list",
            _current(memorySpaceId=memory_space_id, userId=user_id, subject=subject, factType=fact_type, limit=20),
        )
        if listed:
            return "subject_type", listed
    return "none", []


def decide(new_fact: str, confidence: float, subject: str | None, predicate: str | None,
           stage: str, candidates: list[dict]) -> dict:
    """Stage 3, the deterministic heuristic: Jaccard word overlap, plus the slot rule."""
    if not candidates:
        return {"action": "ADD", "target": None, "reason": "No conflicting facts found - adding new fact"}
    best, score = max(((c, jaccard(new_fact, c["fact"])) for c in candidates), key=lambda pair: pair[1])
    if score > 0.8:
        if confidence > best["confidence"]:
            return {"action": "UPDATE", "target": best,
                    "reason": "High similarity with existing fact - updating with higher confidence"}
        return {"action": "NONE", "target": best, "reason": "High similarity with existing fact - likely duplicate"}
    same_subject = subject is not None and normalise_subject(subject) == normalise_subject(best.get("subject") or "")
    if score > 0.5 and same_subject:
        return {"action": "SUPERSEDE", "target": best, "reason": "Similar fact about the same subject - superseding"}
    if stage == "slot" and predicate_class(predicate) in SINGLE_VALUED:
        # The slot holds one value at a time; the newest statement replaces the current one.
        return {"action": "SUPERSEDE", "target": best,
                "reason": f"New value for {predicate_class(predicate)} of {subject} - superseding the old one"}
    return {"action": "ADD", "target": None, "reason": "No similar existing facts found - adding new fact"}


async def revise(
    backend: Backend,
    *,
    memory_space_id: str,
    fact: str,
    confidence: float = 80,
    fact_type: str = "custom",
    subject: str | None = None,
    predicate: str | None = None,
    object: str | None = None,
    tags: list[str] | None = None,
    user_id: str | None = None,
    participant_id: str | None = None,
    source_type: str = "conversation",
    source_ref: dict | None = None,
) -> dict:
    """§7.3: find the belief this fact revises, decide, execute, log the change in factHistory.

    Returns `{action, fact, superseded, reason, stage}`; `fact` is the stored (or unchanged
    existing) fact document.
    """
    _validate(memory_space_id, fact, fact_type, confidence, source_type, tags)
    stage, candidates = await find_candidates(
        backend,
        memory_space_id=memory_space_id,
        subject=subject,
        predicate=predicate,
        object=object,
        fact_type=fact_type,
        user_id=user_id,
    )
    decision = decide(fact, confidence, subject, predicate, stage, candidates)
    action, target = decision["action"], decision["target"]
    history = compact(memorySpaceId=memory_space_id, userId=user_id, participantId=participant_id,
                      reason=decision["reason"], confidence=confidence,
                      conversationId=(source_ref or {}).get("conversationId"))

    if action == "NONE":
        return {"action": "NONE", "fact": target, "superseded": None, "reason": decision["reason"], "stage": stage}
    if action == "UPDATE":
        updated = await call(
            backend,
            "facts:updateInPlace",
            compact(memorySpaceId=memory_space_id, factId=target["factId"], fact=fact, confidence=confidence, tags=tags),
        )
        await _log(backend, {**history, "factId": target["factId"], "action": "UPDATE",
                             "oldValue": target["fact"], "newValue": fact})
        return {"action": "UPDATE", "fact": updated, "superseded": None, "reason": decision["reason"], "stage": stage}

    stored = await call(
        backend,
        "facts:store",
        compact(
            memorySpaceId=memory_space_id,
            participantId=participant_id,
            userId=user_id,
            fact=fact,
            factType=fact_type,
            subject=subject,
            predicate=predicate,
            object=object,
            confidence=confidence,
            sourceType=source_type,
            sourceRef=source_ref,
            tags=tags or [],
        ),
    )
    await _log(backend, {**history, "factId": stored["factId"], "action": "CREATE", "newValue": fact})
    if action == "SUPERSEDE":
        await call(
            backend,
            "facts:supersede",
            {"memorySpaceId": memory_space_id, "oldFactId": target["factId"], "newFactId": stored["factId"],
             "reason": decision["reason"]},
        )
        await _log(backend, {**history, "factId": target["factId"], "action": "SUPERSEDE", "oldValue": target["fact"],
                             "newValue": fact, "supersededBy": stored["factId"]})
        stored = await call(backend, "facts:get", {"memorySpaceId": memory_space_id, "factId": stored["factId"]})
        target = await call(backend, "facts:get", {"memorySpaceId": memory_space_id, "factId": target["factId"]})
    return {"action": action, "fact": stored, "superseded": target if action == "SUPERSEDE" else None,
            "reason": decision["reason"], "stage": stage}


async def _log(backend: Backend, event: dict) -> None:
    await call(backend, "factHistory:logEvent", event)


async def search(
    backend: Backend,
    *,
    memory_space_id: str,
    query: str,
    as_of: int | None = None,
    subject: str | None = None,
    fact_type: str | None = None,
    user_id: str | None = None,
    min_confidence: float | None = None,
    limit: int = 10,
) -> list[dict]:
    """Current facts matching the words of `query` — or, with `as_of`, those believed at that time."""
    checks.require_text(memory_space_id, "memory_space_id")
    checks.require_text(query, "query")
    checks.check_choice(fact_type, "fact_type", FACT_TYPES, "INVALID_FACT_TYPE")
    checks.check_range(min_confidence, "min_confidence", 0, 100, "INVALID_CONFIDENCE")
    checks.check_limit(limit)
    if as_of is not None and (not isinstance(as_of, int) or as_of < 0):
        raise InputError("INVALID_TIMESTAMP", "as_of must be a time in epoch milliseconds", "as_of")
    args = compact(
        memorySpaceId=memory_space_id,
        query=query,
        subject=subject,
        factType=fact_type,
        userId=user_id,
        minConfidence=min_confidence,
        limit=limit,
    )
    if as_of is None:
        # Current beliefs: not superseded and not deleted.
        found = await call(backend, "facts:search", {**args, "validAt": _now_ms()})
    else:
        found = await call(backend, "facts:search", {**args, "validAt": as_of, "includeSuperseded": True})
    return found


async def history(backend: Backend, *, memory_space_id: str, fact_id: str) -> dict:
    """The fact's version chain (oldest first) and its change events."""
    checks.require_text(memory_space_id, "memory_space_id")
    checks.require_text(fact_id, "fact_id")
    chain = await call(backend, "facts:getHistory", {"memorySpaceId": memory_space_id, "factId": fact_id})
    if not chain:
        raise CortexError(
            f"Fact {fact_id} not found in memory space {memory_space_id}",
            code="FACT_NOT_FOUND",
            field="fact_id",
            hint="Use search_facts to find a valid fact id.",
        )
    events: list[dict] = []
    for fact in chain:
        events.extend(await call(backend, "factHistory:getHistory", {"factId": fact["factId"]}))
    events.sort(key=lambda e: e["timestamp"])
    return {"chain": chain, "events": events}
