"""Belief revision without a backend: `decide` (stage 3) and `find_candidates` (stages 1-2.5) as tables.

`find_candidates` is a plan: it is driven here with canned answers per function, so the test sees
which reads it makes and which stage it settles on.
"""

from __future__ import annotations

import pytest

from cortex_mcp.api.facts import decide, find_candidates
from cortex_mcp.backends.base import Call, drive


def fact(text: str, confidence: int = 80, subject: str | None = "Alex", predicate: str | None = None,
         obj: str | None = None, fact_id: str | None = None, **extra) -> dict:
    return {"factId": fact_id or text, "fact": text, "confidence": confidence, "subject": subject,
            "predicate": predicate, "object": obj, "createdAt": 1, **extra}


PARIS = fact("Alex lives in Paris", predicate="lives in", obj="Paris")
LONDON = fact("Alex lives in London", predicate="lives in", obj="London")
DOG = fact("Alex has a dog", predicate="has a dog", obj="Rex")
TEA = fact("Alex likes green tea a lot", subject="Alex")
BOB_TEA = fact("Bob likes green tea", subject="Bob")


@pytest.mark.parametrize(
    "new, confidence, subject, predicate, obj, stage, candidates, action, targets",
    [
        # Nothing to revise.
        ("Alex lives in Rome", 80, "Alex", "lives in", "Rome", "none", [], "ADD", []),
        # Slot, same value: surer is an UPDATE, not surer a duplicate (NONE), whatever the wording.
        ("Alex resides in Paris.", 90, "Alex", "resides in", "paris", "slot", [PARIS], "UPDATE", [PARIS]),
        ("Alex resides in Paris.", 80, "Alex", "resides in", "Paris", "slot", [PARIS], "NONE", [PARIS]),
        # Slot, the same value among several current ones (after a race): that one is the target.
        ("Alex lives in London", 95, "Alex", "lives in", "London", "slot", [PARIS, LONDON], "UPDATE", [LONDON]),
        # Slot, new value, single-valued: every current value is superseded.
        ("Alex moved to Berlin", 80, "Alex", "moved to", "Berlin", "slot", [PARIS, LONDON], "SUPERSEDE",
         [PARIS, LONDON]),
        # Slot, new value, multi-valued: kept beside the others.
        ("Alex has a dog named Bo", 80, "Alex", "has a dog", "Bo", "slot", [DOG], "ADD", []),
        # Slot without objects: nearly the same words are the same belief.
        ("Alex lives in Paris", 70, "Alex", "lives in", None, "slot", [PARIS], "NONE", [PARIS]),
        # Not a slot match: word overlap decides.
        ("Alex likes green tea a lot", 90, "Alex", None, None, "subject_type", [TEA], "UPDATE", [TEA]),
        ("Alex likes green tea a lot", 50, "Alex", None, None, "subject_type", [TEA], "NONE", [TEA]),
        ("Alex likes green tea now", 80, "Alex", None, None, "subject_type", [TEA], "SUPERSEDE", [TEA]),
        # ... but a similar fact about someone else is another belief.
        ("Alex likes green tea", 80, "Alex", None, None, "structural", [BOB_TEA], "ADD", []),
        ("Alex likes green tea", 80, "alex", None, None, "structural", [TEA], "SUPERSEDE", [TEA]),
        # Little overlap: added.
        ("Alex prefers coffee", 80, "Alex", None, None, "subject_type", [TEA], "ADD", []),
    ],
)
def test_decide(new, confidence, subject, predicate, obj, stage, candidates, action, targets):
    decision = decide(new, confidence, subject, predicate, stage, candidates, obj)
    assert (decision["action"], decision["targets"]) == (action, targets)
    assert decision["reason"]


def run(plan, answers: dict[str, list[dict]]) -> tuple[tuple[str, list[dict]], list[Call]]:
    """Drive a plan with `answers[path]` for every call; return its result and the calls it made."""
    calls: list[Call] = []

    def step(request: Call) -> list[dict]:
        calls.append(request)
        return answers.get(request.path, [])

    return drive(plan, step), calls


def candidates(subject="Alex", predicate=None, obj=None, fact_type="custom", user_id=None):
    return find_candidates(memory_space_id="s", subject=subject, predicate=predicate, object=obj,
                           fact_type=fact_type, user_id=user_id)


FORGOTTEN = fact("Alex lives in Oslo", predicate="lives in", obj="Oslo", validUntil=5)
ALEX_LOWER = fact("alex lives in Paris", subject="alex", predicate="lives in", obj="Paris", fact_id="lower")
ALEX_OTHER = fact("Alexa lives in Rome", subject="Alexa", predicate="lives in", obj="Rome")
PLAIN = fact("Alex is nice", predicate=None)


@pytest.mark.parametrize(
    "args, answers, stage, found",
    [
        # Stage 1: same subject (any case) and predicate class; other subjects the index returned are dropped.
        ({"predicate": "moved to", "obj": "Rome"}, {"facts:queryBySubject": [PARIS, ALEX_OTHER]}, "slot", [PARIS]),
        ({"predicate": "lives in"}, {"facts:queryBySubject": [ALEX_LOWER]}, "slot", [ALEX_LOWER]),
        # Another slot of the subject: on to stage 2, where a forgotten fact does not count.
        ({"predicate": "works at", "obj": "Acme"}, {"facts:queryBySubject": [PARIS],
                                                    "facts:findByStructure": [FORGOTTEN, DOG]}, "structural", [DOG]),
        # Stage 2.5: same subject and type, but only facts without a predicate when the new one has one.
        ({"predicate": "works at", "obj": "Acme"}, {"facts:list": [PARIS, PLAIN]}, "subject_type", [PLAIN]),
        ({}, {"facts:list": [PARIS, PLAIN]}, "subject_type", [PARIS, PLAIN]),
        # Nothing anywhere.
        ({"predicate": "works at", "obj": "Acme"}, {}, "none", []),
        ({"subject": None, "predicate": "lives in"}, {"facts:list": [PARIS]}, "none", []),
    ],
)
def test_find_candidates_stages(args, answers, stage, found):
    (got_stage, got), _ = run(candidates(**args), answers)
    assert (got_stage, got) == (stage, found)


def test_slot_lookups_ask_for_current_facts_newest_first_under_every_spelling():
    _, calls = run(candidates(subject="alex smith", predicate="lives in", user_id="u1"), {})
    lookups = [c for c in calls if c.path == "facts:queryBySubject"]
    assert {c.args["subject"] for c in lookups} >= {"alex smith", "Alex Smith", "ALEX SMITH"}
    assert all(c.args["userId"] == "u1" and c.args["sortOrder"] == "desc" and "validAt" in c.args for c in lookups)


def test_a_fact_without_subject_reads_nothing():
    (stage, found), calls = run(candidates(subject=None, predicate=None, fact_type=None), {})
    assert (stage, found, calls) == ("none", [], [])
