"""Input limits: the one place every bound on untrusted input is defined (README "Security" lists them).

Each limit is checked before anything is written, and a value over it is refused with an error that
names the field and the limit. Error texts echo at most `MAX_ECHO` characters of any input.
"""

from __future__ import annotations

import json
import os
from typing import Any

from cortex_mcp.errors import InputError

MAX_ECHO = 200  # characters of untrusted input an error text may repeat
MAX_ERROR_MESSAGE = 2 * MAX_ECHO + 200  # a whole error message: our words plus what it quotes
MAX_JSON_DEPTH = 64  # nesting of any JSON value a server accepts (wire bodies, tool arguments)
WIRE_MAX_BODY = 16 * 1024 * 1024  # bytes of one `backend serve` request body


def echo(text: str, limit: int = MAX_ECHO) -> str:
    """At most `limit` characters of untrusted input, for an error text."""
    return text if len(text) <= limit else text[:limit] + "…"


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when `value` nests lists/objects deeper than `limit` (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth + 1 > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


MAX_CONTENT_CHARS = int(os.environ.get("CORTEX_MAX_CONTENT_CHARS") or 102_400)  # any text argument
MAX_QUERY_CHARS = 2_000  # search queries
MAX_ID_CHARS = 256  # ids and names of records
MAX_TAGS = 100
MAX_TAG_CHARS = 200
MAX_ARGUMENT_DEPTH = 32  # metadata and other free-form values
MAX_STRUCTURE_BYTES = 1_000_000  # one free-form value (metadata, data) as JSON


def _too_large(field: str, what: str, limit: int) -> InputError:
    return InputError("INPUT_TOO_LARGE", f"{field} {what}; the limit is {limit}", field=field)


def _text_limit(name: str) -> tuple[int, str]:
    key = name.lower()
    if key in ("query", "search"):
        return MAX_QUERY_CHARS, "characters"
    if key.endswith(("_id", "id", "_ids", "ids")) and not key.endswith("valid"):
        return MAX_ID_CHARS, "characters"
    return MAX_CONTENT_CHARS, "characters"


def check_arguments(arguments: dict[str, Any]) -> None:
    """Every bound on a tool's arguments, checked before the tool runs (so before anything is written)."""
    for name, value in arguments.items():
        _check_value(name, name, value, 0)


def _check_value(name: str, path: str, value: Any, depth: int) -> None:
    if isinstance(value, str):
        limit, unit = _text_limit(name)
        if len(value) > limit:
            raise _too_large(path, f"has {len(value)} {unit}", limit)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            message = f"{path} holds a lone surrogate (not valid Unicode)"
            raise InputError("INVALID_INPUT", message, field=path) from None
        return
    if isinstance(value, (dict, list, tuple)):
        if depth == 0:
            if json_depth_exceeds(value, MAX_ARGUMENT_DEPTH):
                raise _too_large(path, "is nested too deep", MAX_ARGUMENT_DEPTH)
            size = len(json.dumps(value, default=str, ensure_ascii=False, allow_nan=True).encode("utf-8", "replace"))
            if size > MAX_STRUCTURE_BYTES:
                raise _too_large(path, f"is {size} bytes as JSON", MAX_STRUCTURE_BYTES)
        if depth == 0 and name.lower() == "tags" and isinstance(value, (list, tuple)):
            if len(value) > MAX_TAGS:
                raise _too_large(path, f"has {len(value)} tags", MAX_TAGS)
            for i, tag in enumerate(value):
                if isinstance(tag, str) and len(tag) > MAX_TAG_CHARS:
                    raise _too_large(f"{path}[{i}]", f"has {len(tag)} characters", MAX_TAG_CHARS)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            child = key if isinstance(key, str) else name
            _check_value(child, f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]", item, depth + 1)
