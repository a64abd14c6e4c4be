"""Input limits: the one place every bound on untrusted input is defined (README "Security" lists them).

Each limit is checked before anything is written, and a value over it is refused with an error that
names the field and the limit. Error texts echo at most `MAX_ECHO` characters of any input.
"""

from __future__ import annotations

from typing import Any

MAX_ECHO = 200  # characters of untrusted input an error text may repeat
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
