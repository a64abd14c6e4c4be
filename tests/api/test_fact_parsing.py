"""Pure functions of belief revision: text-only fact parsing, subjects, predicate classes."""

import pytest

from cortex_mcp.api.facts import (
    SINGLE_VALUED,
    jaccard,
    normalise_confidence,
    parse_fact,
    predicate_class,
    prepare,
    resolve_subject,
    subject_variants,
)


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


@pytest.mark.parametrize(
    "predicate, expected",
    [
        ("favourite colour", "favorite_color"),
        ("LIVES IN", "location"),
        ("lives in.", "location"),  # punctuation does not count
        ("  moved   to ", "location"),  # nor spacing
        ("works as", "employment"),
        ("is 34 years old", "age"),
        ("was born on", "birthday"),
        ("was born in", "birthplace"),  # "born in" is the birthplace, not the location "in"
        ("wife is", "partner"),
        ("goes by", "name"),
        ("is married to", "relationship_status"),
        ("graduated from", "education"),
        ("speaks", "language"),
        ("prefers email", "contact_preference"),
        ("is allergic to", "food_preference"),
        ("listens to", "music_preference"),
        ("enjoys", "hobby"),
        ("owns a cat", "pet"),
        ("pronouns", "addressing_preference"),
        ("time zone", "timezone"),
        ("likes the colour", "favorite_color"),  # earlier classes win: not the hobby "likes to"
        ("Collects Stamps", "collects stamps"),  # no class: the normalised predicate is its own slot
        ("", "unknown"),
    ],
)
def test_predicate_class_table(predicate, expected):
    assert predicate_class(predicate) == expected


@pytest.mark.parametrize(
    "slot, single",
    [("location", True), ("employment", True), ("name", True), ("timezone", True), ("pet", False),
     ("hobby", False), ("language", False), ("education", False), ("collects stamps", False)],
)
def test_single_and_multi_valued_slots(slot, single):
    assert (slot in SINGLE_VALUED) is single


@pytest.mark.parametrize(
    "value, expected",
    [(0.95, 95), (1.0, 100), (0.0, 0), (1, 1), (80, 80), (80.9, 80), (100.0, 100)],
)
def test_confidence_fractions_become_percentages(value, expected):
    assert normalise_confidence(value) == expected


@pytest.mark.parametrize(
    "a, b, expected",
    [("", "", 1.0), ("a b", "a b", 1.0), ("A b", "a B ", 1.0), ("a b", "c d", 0.0), ("a b c", "a b d", 0.5),
     ("a", "", 0.0)],
)
def test_jaccard_word_overlap(a, b, expected):
    assert jaccard(a, b) == expected


@pytest.mark.parametrize(
    "fact, given, user, expected",
    [
        # Nothing given: parsed from the text, the pronoun resolved to the call's user.
        ("I live in Oslo", (None, None, None), "alex", ("alex", "live in", "Oslo", "parsed from the text")),
        ("Tuesday standups are cancelled", (None, None, None), "alex", (None, None, None, "stored as given")),
        # Anything given: the text is not parsed, but a pronoun subject still means the user.
        ("I live in Oslo", ("me", None, None), "alex", ("alex", None, None, "")),
        ("I live in Oslo", ("me", "lives in", "Oslo"), None, ("me", "lives in", "Oslo", "")),
    ],
)
def test_prepare_parses_only_when_nothing_is_given(fact, given, user, expected):
    subject, predicate, obj, note = prepare(fact, *given, user)
    assert (subject, predicate, obj) == expected[:3]
    assert expected[3] in note if expected[3] else note == ""
