"""Unit tests of the shared JavaScript-semantics helpers (cortex_mcp/backends/embedded/js.py).

Expected texts are what Node.js prints for the same values.
"""

from __future__ import annotations

import math

import pytest

from cortex_mcp.backends.embedded.js import (
    UNDEFINED,
    convex_key_order,
    csv_field,
    is_array_index,
    js_equal,
    js_iso,
    js_json_string,
    js_number,
    js_own_keys,
    js_round,
    js_spread,
    js_stringify,
    js_trim,
    utf16_index_of,
    utf16_len,
    utf16_substring,
)
from cortex_mcp.errors import FunctionError


# -- String(number) ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (0.0, "0"),
        (-0.0, "0"),
        (70, "70"),
        (70.0, "70"),
        (72.5, "72.5"),
        (-3.25, "-3.25"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (123456789012345680000, "123456789012345680000"),
        (1e-6, "0.000001"),
        (1.5e-6, "0.0000015"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (-1e-7, "-1e-7"),
        (1.2345e25, "1.2345e+25"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (2.0**60, "1152921504606847000"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
    ],
)
def test_js_number(value, text):
    assert js_number(value) == text


def test_js_number_reads_a_python_int_as_the_float64_js_would_hold():
    assert js_number(2**53 - 1) == "9007199254740991"
    assert js_number(2**53 + 1) == "9007199254740992"  # not representable: the nearest double
    assert js_number(2**60) == "1152921504606847000"
    assert js_number(123456789012345678901) == "123456789012345680000"
    assert js_number(999999999999999999999) == "1e+21"  # below 10**21 as an int, 1e21 as a double
    assert js_number(10**400) == "Infinity" and js_number(-(10**400)) == "-Infinity"


def test_js_number_of_a_boolean_is_string_of_it():
    assert js_number(True) == "true" and js_number(False) == "false"


# -- Date.prototype.toISOString ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (1735787045678, "2025-01-02T03:04:05.678Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (1.9, "1970-01-01T00:00:00.001Z"),  # TimeClip truncates toward zero
        (-1.5, "1969-12-31T23:59:59.999Z"),
        (-53606903064935, "0271-04-07T17:35:35.065Z"),  # four-digit years are zero-padded
        (-62198755200000, "-000001-01-01T00:00:00.000Z"),  # extended years: sign and six digits
        (253402300800000, "+010000-01-01T00:00:00.000Z"),
        (8.64e15, "+275760-09-13T00:00:00.000Z"),
        (-8.64e15, "-271821-04-20T00:00:00.000Z"),
    ],
)
def test_js_iso(ms, text):
    assert js_iso(ms) == text


@pytest.mark.parametrize("ms", [8.64e15 + 1, -8.64e15 - 1, math.nan, math.inf, True, None, "0"])
def test_js_iso_outside_the_date_range_is_a_range_error(ms):
    with pytest.raises(FunctionError, match="RangeError: Invalid time value"):
        js_iso(ms)


# -- object key order and JSON.stringify ------------------------------------------------------------
def test_array_index_keys():
    assert is_array_index("0") and is_array_index("10") and is_array_index("4294967294")
    for key in ("01", "-1", "1.5", "", "4294967295", "１", " 1"):
        assert not is_array_index(key), key


def test_js_own_keys_puts_array_indexes_first_then_insertion_order():
    obj = {"b": 1, "10": 2, "2": 3, "01": 4, "4294967295": 5, "4294967294": 6, "a": 7}
    assert js_own_keys(obj) == ["2", "10", "4294967294", "b", "01", "4294967295", "a"]


def test_js_stringify_compact_and_indented():
    obj = {"b": 1, "10": 2, "2": 3, "01": 4, "4294967295": 5, "4294967294": 6, "a": {}}
    assert js_stringify(obj) == '{"2":3,"10":2,"4294967294":6,"b":1,"01":4,"4294967295":5,"a":{}}'
    assert js_stringify({"k": [1, {}], "e": []}, 2) == '{\n  "k": [\n    1,\n    {}\n  ],\n  "e": []\n}'
    assert js_stringify([], 2) == "[]" and js_stringify({}) == "{}"
    assert js_stringify([None, True, False, 1.0, -0.0, 1e21, math.nan, math.inf]) == (
        "[null,true,false,1,0,1e+21,null,null]"
    )


def test_js_stringify_insertion_order_versus_convex_order():
    """A literal keeps its insertion order; a value read from Convex lists its keys sorted."""
    stored = {"b": {"z": 1, "a": 2}, "_id": "x", "Z": None, "a": [{"y": 1, "x": 2}]}
    assert js_stringify(stored) == '{"b":{"z":1,"a":2},"_id":"x","Z":null,"a":[{"y":1,"x":2}]}'
    assert js_stringify(convex_key_order(stored)) == '{"Z":null,"_id":"x","a":[{"x":2,"y":1}],"b":{"a":2,"z":1}}'
    # Sorted by code point (Rust string order), with array indexes still first.
    assert list(convex_key_order({"😀": 0, "ｆ": 0, "2": 0, "10": 0})) == ["10", "2", "ｆ", "😀"]
    assert js_own_keys(convex_key_order({"😀": 0, "ｆ": 0, "2": 0, "10": 0})) == ["2", "10", "ｆ", "😀"]
    literal = {"id": "c1", "data": convex_key_order({"b": 1, "a": 2})}
    assert js_stringify(literal) == '{"id":"c1","data":{"a":2,"b":1}}'


def test_js_json_string_escapes_like_json_stringify():
    text = '\x00\b\t\n\f\r"\\\x1f\x7f\u2028é😀\ud800'
    assert js_json_string(text) == '"\\u0000\\b\\t\\n\\f\\r\\"\\\\\\u001f\x7f\u2028é😀\\ud800"'
    assert js_stringify({"\ud800": "x"}) == '{"\\ud800":"x"}'


def test_js_stringify_refuses_what_is_not_json():
    with pytest.raises(TypeError):
        js_stringify({1, 2})


# -- Math.round -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("x", "rounded"),
    [
        (2.5, 3),
        (-2.5, -2),
        (0.5, 1),
        (-0.5, 0),
        (1.4999, 1),
        (72.5, 73),
        (0.49999999999999994, 0),  # floor(x + 0.5) would give 1
        (4503599627370497.0, 4503599627370497),  # floor(x + 0.5) would give ...498
        (-7, -7),
    ],
)
def test_js_round_halves_go_toward_positive_infinity(x, rounded):
    assert js_round(x) == rounded and isinstance(js_round(x), int)


def test_js_round_passes_non_finite_values_through():
    assert math.isnan(js_round(math.nan)) and js_round(math.inf) == math.inf


# -- CSV --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("plain text", "plain text"),
        ("", ""),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("two\nlines", '"two\nlines"'),
        ("cr\rhere", '"cr\rhere"'),
        ("semi;colon", "semi;colon"),
    ],
)
def test_csv_field_quotes_only_where_needed(text, field):
    assert csv_field(text) == field


def test_csv_field_always_quoted():
    assert csv_field("plain", always=True) == '"plain"'
    assert csv_field('a "b"', always=True) == '"a ""b"""'


# -- strings, spread --------------------------------------------------------------------------------
def test_utf16_measures():
    assert utf16_len("😀a") == 3 and utf16_len("") == 0 and utf16_len("\ud800") == 1
    assert utf16_index_of("😀ab", "b") == 3 and utf16_index_of("abc", "x") == -1
    assert utf16_substring("a😀b", 0, 3) == "a😀" and utf16_substring("a😀b", 0, 2) == "a\ufffd"


def test_js_trim_strips_ecmascript_whitespace_only():
    assert js_trim(" \u00a0\ufeffx\u3000\u2029") == "x"
    assert js_trim("\u200b") == "\u200b"  # zero-width space is not WhiteSpace


def test_js_spread():
    original = {"a": 1}
    spread = js_spread(original)
    assert spread == {"a": 1} and spread is not original
    assert js_spread(["x", "y"]) == {"0": "x", "1": "y"} and js_spread("hi") == {"0": "h", "1": "i"}
    assert js_spread(None) == {} and js_spread(3) == {} and js_spread(True) == {}


@pytest.mark.parametrize(
    "a, b, equal",
    [
        (1, 1.0, True), (0, -0.0, True), (float("nan"), float("nan"), False), (True, 1, False), (False, 0, False),
        (True, True, True), (None, None, True), (None, UNDEFINED, False), (UNDEFINED, UNDEFINED, True),
        ("a", "a", True), ("1", 1, False), ({}, {}, False), ([], [], False), ("", None, False),
    ],
)
def test_js_equal_is_strict_equality(a, b, equal):
    assert js_equal(a, b) is equal and js_equal(b, a) is equal
