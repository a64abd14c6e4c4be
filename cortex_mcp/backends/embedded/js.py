"""JavaScript semantics the upstream handlers rely on (spec tables-part1 A.8, A.9)."""

from __future__ import annotations

import math
from typing import Any


def truthy(value: Any) -> bool:
    """`if (x)` / `x || default`: 0, "", null, false, NaN and absence are all falsy."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def or_default(value: Any, default: Any) -> Any:
    """`x || default`."""
    return value if truthy(value) else default


def _slice_index(i: Any, length: int) -> int:
    i = math.trunc(i)
    if i < 0:
        return max(length + i, 0)
    return min(i, length)


def js_slice(items: list, start: Any = 0, end: Any = None) -> list:
    """`Array.prototype.slice`: truncates non-integers; negatives count from the end."""
    n = len(items)
    lo = _slice_index(start, n)
    hi = n if end is None else _slice_index(end, n)
    return items[lo:hi] if hi > lo else []


def js_lower(text: str) -> str:
    return text.lower()


def utf16_len(text: str) -> int:
    """JS `.length`: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def utf16_key(text: str) -> bytes:
    """Sort key matching JS string comparison (UTF-16 code units)."""
    return text.encode("utf-16-be")
