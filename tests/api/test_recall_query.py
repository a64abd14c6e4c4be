"""The words recall searches for (api/recall/query.py)."""

import pytest

from cortex_mcp.api.recall.query import STOP_WORDS, keyword_query


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Where does Alex live?", "Alex live"),
        ("what is the deploy window", "deploy window"),
        ("The THE the cat", "cat"),  # stop words in any case
        ("who is it", "who is it"),  # nothing but stop words: all of them, or nothing would match
        ("", ""),
        ("   ", ""),
        ("C++ vs. Rust: which?", "C vs Rust"),  # words only: punctuation never reaches the full-text syntax
        ('"quoted" AND (NEAR) OR *', "quoted NEAR"),  # operators are plain words here ("and", "or": stop words)
        ("café in Zürich", "café Zürich"),  # unicode words kept whole
        ("top-10 items_2024", "top 10 items_2024"),
    ],
)
def test_keyword_query(question, expected):
    assert keyword_query(question) == expected


def test_stop_words_are_lower_case_function_words():
    assert all(word == word.lower() for word in STOP_WORDS)
    assert {"the", "is", "what", "where"} <= STOP_WORDS and not {"alex", "live", "window"} & STOP_WORDS
