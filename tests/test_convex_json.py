"""The one Convex JSON codec: what the adapter and the wire server write and read."""

import json
import math

import pytest

from cortex_mcp.contract import convex_json

NAN, NEG_ZERO = {"$float": "AAAAAAAA+H8="}, {"$float": "AAAAAAAAAIA="}


def test_encode_writes_every_number_as_a_float64_and_spells_out_the_special_ones():
    value = {"n": 50, "x": 0.5, "z": -0.0, "nan": math.nan, "inf": math.inf, "b": b"\x01\x02\x03", "t": (1, None)}
    assert convex_json.encode(value) == {
        "n": 50.0, "x": 0.5, "z": NEG_ZERO, "nan": NAN, "inf": {"$float": "AAAAAAAA8H8="},
        "b": {"$bytes": "AQID"}, "t": [1.0, None],
    }
    assert type(convex_json.encode(50)) is float
    clean = convex_json.encode(value, "json")
    assert (clean["nan"], clean["inf"], clean["b"]) == ("NaN", "Infinity", "AQID")
    assert math.copysign(1, clean["z"]) < 0  # clean JSON writes -0.0 as a number
    assert convex_json.encode(-(10**400), "json") == "-Infinity"  # an int beyond float64, as Number() reads it
    with pytest.raises(TypeError, match="set is not a supported Convex type"):
        convex_json.encode({1, 2})


def test_decode_reads_both_forms_and_gives_integral_values_as_ints():
    encoded = {"a": 50.0, "b": [2.5, {"$integer": "BQAAAAAAAAA="}], "c": NAN, "d": NEG_ZERO, "e": {"$bytes": "AQID"},
               "f": {"$float": "AAAAAAAAFEA="}, "g": {"$other": "x"}, "h": {"$float": "AAAAAAAAFEA=", "more": 1}}
    got = convex_json.decode(encoded)
    assert got["a"] == 50 and type(got["a"]) is int
    assert got["b"] == [2.5, 5] and math.isnan(got["c"]) and got["e"] == b"\x01\x02\x03"
    assert got["f"] == 5 and type(got["f"]) is int
    assert type(got["d"]) is float and math.copysign(1, got["d"]) < 0  # negative zero stays a float
    assert got["g"] == {"$other": "x"} and got["h"] == {"$float": "AAAAAAAAFEA=", "more": 1}


@pytest.mark.parametrize("value", [0, 7, -3, 0.25, 1e300, "s", None, True, [1, {"k": 2.5}], {"z": 1, "a": [None]}])
def test_what_one_end_encodes_the_other_decodes_unchanged(value):
    for fmt in ("encoded", "json"):
        wire = json.loads(convex_json.dumps({"value": convex_json.encode(value, fmt)}))
        assert convex_json.decode(wire["value"]) == value
        assert convex_json.loads(convex_json.dumps(convex_json.encode(value, fmt))) == value


def test_loads_turns_integral_numbers_into_ints_while_parsing_and_dumps_sorts_keys():
    got = convex_json.loads(b'{"a": 50.0, "b": [1e2, 2.5, -0.0], "c": 3}')
    assert got == {"a": 50, "b": [100, 2.5, -0.0], "c": 3}
    assert type(got["a"]) is int and type(got["b"][2]) is float
    assert convex_json.dumps({"b": 1.0, "a": "é", "B": None}) == '{"B":null,"a":"é","b":1.0}'.encode()
    with pytest.raises(ValueError):
        convex_json.dumps({"x": math.nan})


def _pairs(data: bytes) -> list:
    """The JSON text's objects as lists of (key, value) pairs, in the order written."""
    return json.loads(data, object_pairs_hook=list)


@pytest.mark.parametrize("value", [
    {"status": "success", "value": {"z": 1, "a": [2.5, {"y": None, "b": True}], "é": "ü\u2028", "B": -0.0}},
    {"n": 10**400, "m": -(10**400), "nan": math.nan, "inf": math.inf, "b": b"\x00\xff", "t": (1, "x")},
    {2: "int key", "10": "text key", "1": {"k": 50}},
    [1e16, 1e-7, 5e-324, 1.7976931348623157e308, 0, -3, 7.25],
    "plain", None, False, 3,
])
def test_dumps_encoded_writes_what_dumps_of_encode_writes(value):
    for fmt in ("encoded", "json"):
        expected = convex_json.dumps(convex_json.encode(value, fmt))
        assert _pairs(convex_json.dumps_encoded(value, fmt)) == _pairs(expected)


def test_arguments_keep_their_key_order_and_replies_are_in_byte_order():
    value = {"É": 0, "b": 1, "a": {"z": 1, "A": 2}}
    assert list(convex_json.encode(value)) == ["É", "b", "a"] and list(convex_json.encode(value)["a"]) == ["z", "A"]
    ordered = convex_json.encode(value, sort_keys=True)
    assert list(ordered) == ["a", "b", "É"] and list(ordered["a"]) == ["A", "z"]
    assert convex_json.dumps_encoded({"b": 1, "a": 2}, "json") == b'{"a":2.0,"b":1.0}'
