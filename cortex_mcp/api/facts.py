"""Facts with belief revision (spec/orchestration.md §7) over any Backend.

Storing a fact first looks for the belief it may replace — slot match (same subject and
predicate class), then structural match, then same subject and type — and decides
ADD / UPDATE / SUPERSEDE / NONE deterministically, without an LLM. Superseded facts stay in
the store (with `validUntil`), so history and "as of" queries keep working.

Revision is a plan (`backends.base.run_plan`): read, decide and write run as one transaction on
the embedded backend, so parallel calls and processes leave one current fact per single-valued
slot. Subjects compare case-insensitively, the pronouns an agent writes for its user ("me",
"the user") mean the call's user, and a text-only fact is parsed into subject, predicate and
object where a known pattern fits.
"""

from __future__ import annotations

import re
from typing import Any

from cortex_mcp.api import checks
from cortex_mcp.backends.base import Backend, Call, Plan, call, compact, run_plan
from cortex_mcp.clock import now_ms
from cortex_mcp.contract.enums import FACT_SOURCE_TYPES, FACT_TYPES
from cortex_mcp.errors import CortexError, InputError

# Predicate classes in precedence order (§7.3 stage 1). A pattern matches as a substring of the
# normalised predicate; first- and third-person verb forms are both listed.
PREDICATE_CLASSES: list[tuple[str, tuple[str, ...]]] = [
    ("favorite_color", ("favorite color", "favourite color", "favorite colour", "favourite colour",
                        "preferred color", "likes color", "likes the color", "likes the colour", "like the color")),
    ("location", ("lives in", "live in", "resides in", "reside in", "resides at", "reside at", "based in",
                  "moved to", "move to", "located in", "lives at", "live at", "living in", "relocated to",
                  "home is", "address is", "city is")),
    ("employment", ("works at", "work at", "works for", "work for", "employed by", "job at", "works as", "work as",
                    "employer", "job is", "company is", "working at", "working for", "occupation is")),
    ("age", ("age is", "years old", "aged")),
    ("birthday", ("birthday is", "born on", "date of birth", "birth date")),
    ("birthplace", ("born in", "birthplace", "place of birth")),
    ("partner", ("partner is", "wife is", "husband is", "spouse is", "girlfriend is", "boyfriend is")),
    ("name", ("name is", "called", "named", "goes by", "known as")),
    ("relationship_status", ("married to", "dating", "engaged to", "relationship status", "single", "divorced")),
    ("education", ("studies at", "study at", "studied at", "graduated from", "attends", "degree in")),
    ("language", ("speaks", "native language", "language is")),
    ("contact_preference", ("prefers to be contacted", "contact via", "reach by", "prefers email", "prefers phone")),
    ("food_preference", ("favorite food", "favourite food", "likes to eat", "diet is", "is vegetarian", "is vegan",
                         "allergic to")),
    ("music_preference", ("favorite music", "favorite band", "listens to", "favorite song")),
    ("hobby", ("hobby", "enjoys", "likes to", "plays")),
    ("pet", ("has a pet", "pet is", "owns a dog", "owns a cat", "has a dog", "has a cat")),
    ("addressing_preference", ("prefers to be called", "address as", "pronouns")),
    ("timezone", ("timezone", "time zone")),
]
# Classes that hold one value at a time: a new value for the same slot replaces the old one.
# Every other slot is multi-valued: "has a dog" then "has a cat" keeps both.
SINGLE_VALUED = {
    "favorite_color", "location", "employment", "age", "birthday", "birthplace", "partner", "name",
    "relationship_status", "contact_preference", "addressing_preference", "timezone",
}
# Subjects an agent writes for the user it is talking to; they mean the call's user.
USER_PRONOUNS = {"i", "me", "my", "myself", "mine", "user", "the user", "user's", "the user's"}
CANDIDATE_LIMIT = 100
_PUNCTUATION = re.compile(r"[.,!?;:'\"]")

# Connecting phrases a text-only fact is split on: "<subject> <phrase> <object>".
_PARSE_PHRASES = sorted(
    {
        *(p for _, patterns in PREDICATE_CLASSES for p in patterns
          if " " in p and p not in ("years old", "relationship status", "date of birth", "birth date",
                                    "place of birth", "native language", "is vegetarian", "is vegan")),
        "favorite color is", "favourite color is", "favorite colour is", "favourite colour is", "favorite food is",
        "is married to", "is engaged to", "is dating", "is called", "is named", "is allergic to", "is based in",
        "is located in", "is employed by", "was born in", "was born on", "has a", "has an", "owns a", "owns an",
        "prefers", "likes", "loves", "hates", "dislikes", "speaks", "enjoys", "plays", "attends",
    },
    key=len,
    reverse=True,
)
_PARSE = re.compile(
    r"^\s*(?P<subject>[^\s].{0,60}?)(?:'s|’s)?\s+(?P<predicate>"
    + "|".join(re.escape(p) for p in _PARSE_PHRASES)
    + r")\s+(?P<object>.+)",
    re.IGNORECASE | re.DOTALL,
)


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


def parse_fact(text: str) -> tuple[str, str, str] | None:
    """Subject, predicate and object of a one-sentence fact ("Alex moved to Berlin"), or None
    when no known connecting phrase fits. Deterministic: the leftmost, longest phrase wins."""
    match = _PARSE.match(text)
    if match is None or len(match["subject"].split()) > 6:
        return None
    value = match["object"].rstrip(" \t\r\n.!")  # no regex backtracking over a long tail
    return (match["subject"].strip(), match["predicate"].lower(), value.strip()) if value.strip() else None


def resolve_subject(subject: str | None, user_id: str | None) -> str | None:
    """A pronoun-like subject ("me", "I", "the user") is the user the call is about."""
    if subject is not None and user_id and normalise_subject(subject) in USER_PRONOUNS:
        return user_id
    return subject


def subject_variants(subject: str) -> list[str]:
    """The spellings a case-insensitively equal subject is looked up under (an index matches exactly)."""
    forms = (subject, subject.strip(), normalise_subject(subject), subject.strip().title(),
             subject.strip().capitalize(), subject.strip().upper())
    return list(dict.fromkeys(forms))


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
    checks.check_choice(source_type, "source_type", FACT_SOURCE_TYPES, "INVALID_SOURCE_TYPE")
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


# Candidate look-ups ask for current beliefs only (`validAt` now), newest first, so a subject with
# many facts (or many forgotten ones) cannot push the belief being revised out of the window.
def _current(**args: Any) -> dict:
    return {**compact(**args), "validAt": now_ms(), "sortBy": "createdAt", "sortOrder": "desc"}


def _current_facts_about(memory_space_id: str, subject: str, user_id: str | None) -> Plan[list[dict]]:
    """Current facts whose subject equals `subject` case-insensitively, newest first (see docs/parity.md)."""
    found: dict[str, dict] = {}
    wanted = normalise_subject(subject)
    for variant in subject_variants(subject):
        args = _current(memorySpaceId=memory_space_id, subject=variant, userId=user_id, limit=CANDIDATE_LIMIT)
        for fact in (yield Call("facts:queryBySubject", args)):
            if normalise_subject(fact.get("subject") or "") == wanted:
                found.setdefault(fact["factId"], fact)
    return sorted(found.values(), key=lambda f: (f["createdAt"], f.get("_creationTime", 0)), reverse=True)


def find_candidates(
    *,
    memory_space_id: str,
    subject: str | None,
    predicate: str | None,
    object: str | None,
    fact_type: str | None,
    user_id: str | None,
) -> Plan[tuple[str, list[dict]]]:
    """Stages 1, 2 and 2.5: which existing beliefs the new fact may conflict with."""
    if subject and predicate:
        slot = predicate_class(predicate)
        about = yield from _current_facts_about(memory_space_id, subject, user_id)
        slot_matches = [f for f in about if predicate_class(f.get("predicate")) == slot]
        if slot_matches:
            return "slot", slot_matches
    if subject and (predicate or object):
        # findByStructure has no validity filter: read enough rows to step over forgotten facts.
        same = yield Call(
            "facts:findByStructure",
            compact(memorySpaceId=memory_space_id, subject=subject, predicate=predicate, object=object,
                    userId=user_id, limit=CANDIDATE_LIMIT),
        )
        same = [f for f in same if not f.get("validUntil")][:1]
        if same:
            return "structural", same
    if subject and fact_type:
        listed = yield Call(
            "facts:list",
            _current(memorySpaceId=memory_space_id, userId=user_id, subject=subject, factType=fact_type, limit=20),
        )
        # A fact of another known slot is another belief, however similar its words.
        listed = [f for f in listed if not predicate or not f.get("predicate")]
        if listed:
            return "subject_type", listed
    return "none", []


def _same_value(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and _collapse(_PUNCTUATION.sub("", a)) == _collapse(_PUNCTUATION.sub("", b))


def decide(new_fact: str, confidence: float, subject: str | None, predicate: str | None,
           stage: str, candidates: list[dict], object: str | None = None) -> dict:
    """Stage 3, the deterministic heuristic: Jaccard word overlap, plus the slot rules.

    In a slot, the object decides when both facts have one: the same value is the same belief
    (UPDATE when surer, else NONE); a new value SUPERSEDEs in a single-valued slot (every current
    value of it) and is ADDed beside the others in a multi-valued one."""
    if not candidates:
        return {"action": "ADD", "targets": [], "reason": "No conflicting facts found - adding new fact"}
    best, score = max(((c, jaccard(new_fact, c["fact"])) for c in candidates), key=lambda pair: pair[1])
    if stage == "slot":
        slot = predicate_class(predicate)
        same = [c for c in candidates if _same_value(object, c.get("object"))]
        if same or (score > 0.8 and (object is None or best.get("object") is None)):
            best = same[0] if same else best
            if confidence > best["confidence"]:
                return {"action": "UPDATE", "targets": [best],
                        "reason": "Same value already known - updating with higher confidence"}
            return {"action": "NONE", "targets": [best], "reason": "Same value already known - likely duplicate"}
        if slot in SINGLE_VALUED:
            return {"action": "SUPERSEDE", "targets": candidates,
                    "reason": f"New value for {slot} of {subject} - superseding the old one"}
        return {"action": "ADD", "targets": [],
                "reason": f"{slot} of {subject} can hold several values - adding beside the others"}
    if score > 0.8:
        if confidence > best["confidence"]:
            return {"action": "UPDATE", "targets": [best],
                    "reason": "High similarity with existing fact - updating with higher confidence"}
        return {"action": "NONE", "targets": [best], "reason": "High similarity with existing fact - likely duplicate"}
    same_subject = subject is not None and normalise_subject(subject) == normalise_subject(best.get("subject") or "")
    if score > 0.5 and same_subject:
        return {"action": "SUPERSEDE", "targets": [best],
                "reason": "Similar fact about the same subject - superseding"}
    return {"action": "ADD", "targets": [], "reason": "No similar existing facts found - adding new fact"}


def prepare(fact: str, subject: str | None, predicate: str | None, object: str | None,
            user_id: str | None) -> tuple[str | None, str | None, str | None, str]:
    """Subject, predicate, object to store, and a note on how they were obtained."""
    note = ""
    if subject is None and predicate is None and object is None:
        parsed = parse_fact(fact)
        if parsed is None:
            note = " (stored as given: no subject/predicate/object recognised in the text)"
        else:
            subject, predicate, object = parsed
            note = f" (parsed from the text: {parsed[0]} | {parsed[1]} | {parsed[2]})"
    return resolve_subject(subject, user_id), predicate, object, note


def revise_plan(
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
) -> Plan[dict]:
    """§7.3 as a plan: find the belief this fact revises, decide, execute, log in factHistory.
    Inputs are already checked and prepared (see `revise`)."""
    stage, candidates = yield from find_candidates(
        memory_space_id=memory_space_id, subject=subject, predicate=predicate, object=object,
        fact_type=fact_type, user_id=user_id,
    )
    decision = decide(fact, confidence, subject, predicate, stage, candidates, object)
    action, targets, reason = decision["action"], decision["targets"], decision["reason"]
    history = compact(memorySpaceId=memory_space_id, userId=user_id, participantId=participant_id,
                      reason=reason, confidence=confidence, conversationId=(source_ref or {}).get("conversationId"))

    if action == "NONE":
        return {"action": "NONE", "fact": targets[0], "superseded": None, "reason": reason, "stage": stage}
    if action == "UPDATE":
        target = targets[0]
        updated = yield Call(
            "facts:updateInPlace",
            compact(memorySpaceId=memory_space_id, factId=target["factId"], fact=fact, confidence=confidence,
                    tags=tags),
        )
        yield _log({**history, "factId": target["factId"], "action": "UPDATE", "oldValue": target["fact"],
                    "newValue": fact})
        return {"action": "UPDATE", "fact": updated, "superseded": None, "reason": reason, "stage": stage}

    stored = yield Call(
        "facts:store",
        compact(memorySpaceId=memory_space_id, participantId=participant_id, userId=user_id, fact=fact,
                factType=fact_type, subject=subject, predicate=predicate, object=object, confidence=confidence,
                sourceType=source_type, sourceRef=source_ref, tags=tags or []),
    )
    yield _log({**history, "factId": stored["factId"], "action": "CREATE", "newValue": fact})
    superseded = None
    for target in targets:
        yield Call("facts:supersede", {"memorySpaceId": memory_space_id, "oldFactId": target["factId"],
                                       "newFactId": stored["factId"], "reason": reason})
        # Logged on the newer fact with `supersedes`: the record getSupersessionChain follows.
        yield _log({**history, "factId": stored["factId"], "action": "SUPERSEDE", "supersedes": target["factId"],
                    "oldValue": target["fact"], "newValue": fact})
        old = yield Call("facts:get", {"memorySpaceId": memory_space_id, "factId": target["factId"]})
        if old is not None and old.get("validUntil") != stored["validFrom"]:
            # Half-open validity: the old belief ends exactly where the new one starts (call by
            # call, the supersede ran later than the store).
            old = yield Call("facts:updateInPlace", {"memorySpaceId": memory_space_id, "factId": target["factId"],
                                                     "validUntil": stored["validFrom"]})
        superseded = superseded or old
    if targets:
        stored = yield Call("facts:get", {"memorySpaceId": memory_space_id, "factId": stored["factId"]})
    return {"action": action, "fact": stored, "superseded": superseded, "reason": reason, "stage": stage}


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
    """Belief revision as one unit of work. Returns `{action, fact, superseded, reason, stage}`;
    `fact` is the stored (or unchanged existing) fact document."""
    _validate(memory_space_id, fact, fact_type, confidence, source_type, tags)
    for key, value in (("subject", subject), ("predicate", predicate), ("object", object)):
        checks.optional_text(value, key)
    subject, predicate, object, note = prepare(fact, subject, predicate, object, user_id)
    result = await run_plan(backend, revise_plan(
        memory_space_id=memory_space_id, fact=fact, confidence=confidence, fact_type=fact_type, subject=subject,
        predicate=predicate, object=object, tags=tags, user_id=user_id, participant_id=participant_id,
        source_type=source_type, source_ref=source_ref,
    ))
    return {**result, "reason": result["reason"] + note}


def _log(event: dict) -> Call:
    return Call("factHistory:logEvent", event)


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
        found = await call(backend, "facts:search", {**args, "validAt": now_ms()})
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
    # Events sharing a millisecond keep insertion order (`_creationTime` is strictly increasing).
    events.sort(key=lambda e: (e["timestamp"], e.get("_creationTime", 0)))
    return {"chain": chain, "events": events}
