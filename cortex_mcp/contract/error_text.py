"""Convex's error texts, written and read in one place (spec/convex-http-api.md).

The validators, the wire server and the errors write these texts; the Convex adapter and the
doctor read them back. Keeping both directions here means a change of wording cannot make one
side stop understanding the other (tests/test_error_text.py round-trips every form).

Shapes:
- ArgumentValidationError texts: `Value does not match validator.\\n<ctx>\\nValue: ..\\nValidator: ..`,
  `Object is missing the required field ..`, `Object contains extra field ..`, a literal or a table
  mismatch; `<ctx>` is `Path: .a.b` or empty (so a top-level problem has a blank line there).
- The envelope's errorMessage: `[Request ID: <hex>] Server Error\\n<text>`, where <text> is
  `ArgumentValidationError: <text>\\n\\n`, `Uncaught <Name>: <message>` + stack frames, or a
  dispatch failure (`Could not find public function ..`, `Trying to execute ..`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# --------------------------------------------------------------------------- values


def render_value(value: Any) -> str:
    """Print a value the way Convex's validation messages do (Rust-style)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        f = float(value)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        if f.is_integer() and abs(f) < 1e16:
            return f"{f:.1f}"
        return repr(f).replace("e+", "e")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render_value(value[k])}" for k in sorted(value)) + "}"
    return repr(value)


# --------------------------------------------------------------------------- argument validation: writing


def _context(path: str) -> str:
    return f"Path: {path}" if path else ""


def value_mismatch(value: Any, validator: str, path: str) -> str:
    return f"Value does not match validator.\n{_context(path)}\nValue: {render_value(value)}\nValidator: {validator}"


def missing_field(name: str, obj: Any, validator: str, path: str) -> str:
    return (
        f"Object is missing the required field `{name}`. Consider wrapping the field validator in "
        f"`v.optional(...)` if this is expected.\n{_context(path)}\nObject: {render_value(obj)}\nValidator: {validator}"
    )


def extra_field(name: str, obj: Any, validator: str, path: str) -> str:
    return (
        f"Object contains extra field `{name}` that is not in the validator.\n{_context(path)}\n"
        f"Object: {render_value(obj)}\nValidator: {validator}"
    )


def _suffix(path: str) -> str:
    return f"\nPath: {path}" if path else ""


def literal_mismatch(value: Any, validator: str, path: str) -> str:
    return f"`{render_value(value)}` does not match literal validator `{validator}`.{_suffix(path)}"


def id_table_mismatch(doc_id: str, actual: str, table: str, path: str) -> str:
    return (
        f'Found ID "{doc_id}" from table `{actual}`, which does not match the table name in '
        f'validator `v.id("{table}")`.{_suffix(path)}'
    )


def not_an_object(args: Any) -> str:
    return f"Expected to receive an object as the function's argument. Instead received: {render_value(args)}"


# --------------------------------------------------------------------------- argument validation: reading

_PATH_LINE = re.compile(r"^Path: (\S+)$", re.M)
_MISSING = re.compile(r"Object is missing the required field `([^`]+)`")
_EXTRA = re.compile(r"Object contains extra field `([^`]+)`")
_VALIDATOR_LINE = re.compile(r"^Validator: (.*)$", re.M)
_LITERAL = re.compile(r"does not match literal validator `(.*)`\.")


def context_path(text: str) -> str:
    """The `Path:` a validation text names (the enclosing object's for a missing/extra field)."""
    match = _PATH_LINE.search(text)
    return match.group(1) if match else ""


def missing_field_name(text: str) -> str | None:
    match = _MISSING.search(text)
    return match.group(1) if match else None


def extra_field_name(text: str) -> str | None:
    match = _EXTRA.search(text)
    return match.group(1) if match else None


def validation_path(text: str) -> str:
    """The field a validation text is about: `.participants`, or for a missing or extra field
    the enclosing object's path plus the field (as the local validators report it)."""
    field = missing_field_name(text) or extra_field_name(text)
    return f"{context_path(text)}.{field}" if field else context_path(text)


def expected_validator(text: str) -> str | None:
    """What the target's validator is, as the text prints it (`v.string()`, `v.literal("x")`)."""
    literal = _LITERAL.search(text)
    if literal:
        return literal.group(1)
    line = _VALIDATOR_LINE.search(text)
    return line.group(1) if line else None


# --------------------------------------------------------------------------- envelope and dispatch

ARGUMENT_VALIDATION = "ArgumentValidationError: "
_REQUEST_PREFIX = re.compile(r"^\[Request ID: [^\]]*\] Server Error\n?")
_UNCAUGHT = re.compile(r"^Uncaught ([A-Za-z_$][\w$]*): ?")
_FRAME = re.compile(r"^\s+at .*$")
_DEFINED_AS = re.compile(r"Trying to execute \S+ as (\w+), but it is defined as (\w+)\.")
_NOT_FOUND = "Could not find public function for "


def server_error(text: str, request_id: str) -> str:
    return f"[Request ID: {request_id}] Server Error\n{text}"


def strip_server_error(message: str) -> str:
    """The text after the `[Request ID: ..] Server Error` line (empty when production redacted it)."""
    return _REQUEST_PREFIX.sub("", message, count=1)


def argument_validation(text: str) -> str:
    return f"{ARGUMENT_VALIDATION}{text}\n\n"


def argument_validation_text(body: str) -> str | None:
    """The validator's own text when `body` (no request prefix) is an ArgumentValidationError."""
    if body.startswith(ARGUMENT_VALIDATION) or f"\n{ARGUMENT_VALIDATION}" in body:
        return body.split(ARGUMENT_VALIDATION, 1)[1].rstrip("\n")
    return None


def uncaught(name: str, message: str) -> str:
    """How Convex reports an error a function threw: `Uncaught Error: ..`, `Uncaught TypeError: ..`."""
    return f"Uncaught {name}: {message}"


def thrown(body: str) -> tuple[str | None, str]:
    """(error name, message) of a thrown error's text: no `Uncaught X: `, no stack frames."""
    match = _UNCAUGHT.match(body)
    name = match.group(1) if match else None
    lines = body[match.end() :].split("\n") if match else body.split("\n")
    while lines and (not lines[-1].strip() or _FRAME.match(lines[-1])):
        lines.pop()
    return name, "\n".join(lines)


def function_not_found(path: str) -> str:
    return f"{_NOT_FOUND}'{path}'."


def is_function_not_found(body: str) -> bool:
    return _NOT_FOUND in body


def wrong_kind(module: str, name: str, tried: str, defined: str) -> str:
    return f"Trying to execute {module}.js:{name} as {tried.capitalize()}, but it is defined as {defined.capitalize()}."


def wrong_kind_parts(body: str) -> tuple[str, str] | None:
    """(kind tried, kind defined), lower case, when `body` is a wrong-endpoint text."""
    match = _DEFINED_AS.search(body)
    return (match.group(1).lower(), match.group(2).lower()) if match else None


def one_line(text: str) -> str:
    """A multi-line error text as one line for an agent (blank lines dropped)."""
    return " ".join(line.strip() for line in text.split("\n") if line.strip())
