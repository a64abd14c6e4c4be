"""Convex's error texts: what the validators and the wire server write, the adapter and doctor read back."""

import pytest

from cortex_mcp.contract import error_text as et
from cortex_mcp.contract.validators import v
from cortex_mcp.errors import ArgumentValidationError


def refusal(validator, value) -> str:
    with pytest.raises(ArgumentValidationError) as err:
        validator.check(value)
    return err.value.message


@pytest.mark.parametrize(
    "text, path, field, expected",
    [
        (et.value_mismatch(None, "v.float64()", ".limit"), ".limit", None, "v.float64()"),
        (et.missing_field("n", {}, "v.object({n: v.string()})", ""), "", "n", "v.object({n: v.string()})"),
        (et.missing_field("i", {}, "v.object({i: v.string()})", ".p[2]"), ".p[2]", "i", "v.object({i: v.string()})"),
        (et.extra_field("zz", {"zz": 1}, "v.object({})", ""), "", "zz", "v.object({})"),
        (et.literal_mismatch("x", 'v.literal("y")', ".kind"), ".kind", None, 'v.literal("y")'),
    ],
)
def test_validation_texts_read_back_as_written(text, path, field, expected):
    assert et.context_path(text) == path
    assert (et.missing_field_name(text) or et.extra_field_name(text)) == field
    assert et.validation_path(text) == (f"{path}.{field}" if field else path)
    assert et.expected_validator(text) == expected


def test_a_top_level_problem_keeps_convexs_blank_context_line():
    text = refusal(v.object({"a": v.string()}), {"b": 1})
    assert text.startswith("Object is missing the required field `a`.")
    assert "if this is expected.\n\nObject: {b: 1.0}\nValidator: v.object({a: v.string()})" in text
    extra = refusal(v.object({}), {"b": 1})
    assert extra == (
        "Object contains extra field `b` that is not in the validator.\n\nObject: {b: 1.0}\nValidator: v.object({})"
    )
    nested = refusal(v.object({"o": v.object({"a": v.string()})}), {"o": {"a": 1}})
    assert nested == "Value does not match validator.\nPath: .o.a\nValue: 1.0\nValidator: v.string()"


def test_envelope_texts_read_back_as_written():
    inner = et.missing_field("name", {}, "v.object({name: v.string()})", "")
    message = et.server_error(et.argument_validation(inner), "0123456789abcdef")
    body = et.strip_server_error(message)
    assert et.argument_validation_text(body) == inner
    assert et.strip_server_error("[Request ID: 0123456789abcdef] Server Error") == ""  # production redaction

    thrown = et.server_error(et.uncaught("TypeError", "boom\nsecond line") + "\n    at f (a.ts:1:2)\n", "ab")
    assert et.thrown(et.strip_server_error(thrown)) == ("TypeError", "boom\nsecond line")
    assert et.thrown("no prefix at all") == (None, "no prefix at all")

    assert et.is_function_not_found(et.function_not_found("agents:nope"))
    assert et.wrong_kind_parts(et.wrong_kind("agents", "register", "query", "mutation")) == ("query", "mutation")
    assert et.wrong_kind("agents", "register", "query", "mutation") == (
        "Trying to execute agents.js:register as Query, but it is defined as Mutation."
    )
    assert et.wrong_kind_parts("Uncaught Error: x") is None and et.argument_validation_text("Uncaught Error: x") is None


def test_one_line_drops_blank_lines():
    assert et.one_line("a.\n\nObject: {}\nValidator: v.object({})\n\n") == "a. Object: {} Validator: v.object({})"


@pytest.mark.parametrize(
    "value, printed",
    [(None, "null"), (True, "true"), (2, "2.0"), (0.5, "0.5"), (1e16, "1e16"), (float("nan"), "NaN"),
     (float("-inf"), "-inf"), ("é\"", '"é\\""'), ([1, "a"], '[1.0, "a"]'), ({"b": 1, "a": None}, "{a: null, b: 1.0}")],
)
def test_values_print_rust_style(value, printed):
    assert et.render_value(value) == printed
