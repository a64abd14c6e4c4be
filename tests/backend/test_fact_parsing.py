"""Pure functions of belief revision: text-only fact parsing, subjects, predicate classes."""

import pytest

from cortex_mcp.api.facts import SINGLE_VALUED, parse_fact, predicate_class, resolve_subject, subject_variants


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Alex moved to Berlin", ("Alex", "moved to", "Berlin")),
        ("Alex lives in Berlin, Germany.", ("Alex", "lives in", "Berlin, Germany")),
        ("I live in Oslo!", ("I", "live in", "Oslo")),
        ("My favorite color is blue", ("My", "favorite color is", "blue")),
        ("Alex's favourite colour is green", ("Alex", "favourite colour is", "green")),
        ("The user works at Acme Corp", ("The user", "works at", "Acme Corp")),
        ("Sam LIVES IN Paris", ("Sam", "lives in", "Paris")),
        ("Jo was born in Lyon", ("Jo", "was born in", "Lyon")),
        ("Alex has a dog", ("Alex", "has a", "dog")),
    ],
)
def test_text_only_facts_split_into_subject_predicate_object(text, expected):
    assert parse_fact(text) == expected


@pytest.mark.parametrize("text", ["Tuesday standups are cancelled", "lives in Berlin", "Alex lives in ...",
                                  "one two three four five six seven lives in Rome", ""])
def test_text_without_a_known_pattern_is_not_parsed(text):
    assert parse_fact(text) is None


def test_a_long_text_is_parsed_without_backtracking_blowup():
    tail = "." * 200_000
    assert parse_fact(f"Alex lives in {tail}x{tail}") == ("Alex", "lives in", f"{tail}x")
    assert parse_fact("x " * 100_000) is None


def test_pronouns_resolve_to_the_user_only_when_there_is_one():
    assert [resolve_subject(s, "alex") for s in ("me", "I", " The  User ", "my", "Alex", None)] == [
        "alex", "alex", "alex", "alex", "Alex", None]
    assert resolve_subject("me", None) == "me"


def test_subject_variants_cover_the_usual_spellings():
    assert set(subject_variants("alex smith")) >= {"alex smith", "Alex Smith", "Alex smith", "ALEX SMITH"}


def test_predicate_classes():
    assert predicate_class("Resides at") == "location" and "location" in SINGLE_VALUED
    assert predicate_class("company is") == "employment"
    assert predicate_class("likes the color") == "favorite_color"
    assert predicate_class("has a pet") == "pet" and "pet" not in SINGLE_VALUED
    assert predicate_class("collects") == "collects" and predicate_class(None) == "unknown"
