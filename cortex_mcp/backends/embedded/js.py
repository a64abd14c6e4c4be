"""JavaScript semantics the upstream handlers rely on (spec tables-part1 A.8, A.9).

One home for every JS-compatible helper the handlers share: `undefined` and `===`, truthiness, spread,
slicing, number and date text, JSON.stringify, object key order, Math.round, UTF-16 string measures
and CSV fields.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, TypeGuard, TypeVar

from cortex_mcp.errors import plain_error

_MAX_SAFE_INTEGER = 2**53 - 1
_MAX_TIME_MS = 8.64e15
_MS_PER_DAY = 86_400_000
# String.prototype.trim(): ECMAScript WhiteSpace and LineTerminator code points.
_JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


# -- undefined and === ----------------------------------------------------------------------------


class _Undefined:
    """JavaScript `undefined`: an absent field or index, as opposed to `null` (None)."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = _Undefined()


def js_equal(a: Any, b: Any) -> bool:
    """`a === b` on JSON values (UNDEFINED for absent): objects and arrays are never equal (two JSON
    values never share an identity), booleans never equal numbers, null only null, NaN nothing."""
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or a is UNDEFINED or b is UNDEFINED:
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return isinstance(a, str) and isinstance(b, str) and a == b


# -- truthiness, spread, slicing ------------------------------------------------------------------
T = TypeVar("T")


def truthy(value: T | None) -> TypeGuard[T]:
    """`if (x)` / `x || default`: 0, "", null, false, NaN and absence are all falsy (so a truthy
    value is not None, which the type checker learns from the TypeGuard)."""
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


def js_spread(value: Any) -> dict:
    """The own keys `{...value}` contributes to an object literal: objects copy, arrays/strings by
    index, the rest nothing."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, (list, str)):
        return {str(i): item for i, item in enumerate(value)}
    return {}


def _slice_index(i: Any, length: int) -> int:
    """A `slice` bound: truncated, negative from the end, clamped to [0, length]."""
    if math.isinf(i):
        return length if i > 0 else 0
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


# -- numbers --------------------------------------------------------------------------------------
def js_round(x: float) -> int | float:
    """`Math.round`: halves round toward +Infinity (NaN and infinities pass through)."""
    if not math.isfinite(x):
        return x
    r = math.floor(x)
    return int(r + 1 if x - r >= 0.5 else r)


def js_number(x: Any) -> str:
    """`String(x)` for a number: ECMAScript Number::toString of the float64 the value stands for."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int) and abs(x) <= _MAX_SAFE_INTEGER:
        return str(x)  # exactly a float64, and its shortest digits are the integer's
    try:
        f = float(x)  # a larger int is the nearest float64, as a JS number would hold it
    except OverflowError:
        f = math.inf if x > 0 else -math.inf
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    if f == 0:
        return "0"  # -0 too
    sign = "-" if f < 0 else ""
    # repr() gives the shortest round-tripping digits, as Number::toString requires.
    mantissa, _, exp = repr(abs(f)).partition("e")
    int_part, _, frac = mantissa.partition(".")
    digits = (int_part + frac).lstrip("0")
    e10 = int(exp or 0) - len(frac)
    stripped = digits.rstrip("0")
    e10 += len(digits) - len(stripped)
    s, k = stripped, len(stripped)
    n = e10 + k  # value = 0.s × 10^n
    if k <= n <= 21:
        return sign + s + "0" * (n - k)
    if 0 < n <= 21:
        return sign + s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + s
    e = n - 1
    return sign + (s if k == 1 else s[0] + "." + s[1:]) + "e" + ("+" if e >= 0 else "-") + str(abs(e))


# -- dates ----------------------------------------------------------------------------------------
def _civil_from_days(z: int) -> tuple[int, int, int]:
    """Days since 1970-01-01 -> (year, month, day), proleptic Gregorian (H. Hinnant)."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def js_iso(ms: Any) -> str:
    """`new Date(ms).toISOString()` (extended ±YYYYYY years); a plain RangeError outside JS's date range."""
    if not isinstance(ms, (int, float)) or isinstance(ms, bool) or math.isnan(ms) or abs(ms) > _MAX_TIME_MS:
        raise plain_error("RangeError: Invalid time value")
    t = int(ms)  # TimeClip truncates toward zero
    days, rem = divmod(t, _MS_PER_DAY)
    year, month, day = _civil_from_days(days)
    hh, rem = divmod(rem, 3_600_000)
    mm, rem = divmod(rem, 60_000)
    ss, msec = divmod(rem, 1000)
    y = f"{year:04d}" if 0 <= year <= 9999 else f"{'+' if year > 0 else '-'}{abs(year):06d}"
    return f"{y}-{month:02d}-{day:02d}T{hh:02d}:{mm:02d}:{ss:02d}.{msec:03d}Z"


# -- object key order and JSON.stringify ----------------------------------------------------------
def is_array_index(key: str) -> bool:
    """A key JS orders first, numerically: a canonical uint32 below 2**32 - 1."""
    return key.isascii() and key.isdigit() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1


def js_own_keys(obj: dict) -> list[str]:
    """JS own-key order (`Object.keys`, `for...in`, JSON.stringify): array-index keys ascending,
    then insertion order."""
    return sorted((k for k in obj if is_array_index(k)), key=int) + [k for k in obj if not is_array_index(k)]


def convex_key_order(value: Any) -> Any:
    """A stored value as a Convex function reads it: every object's keys sorted (code point order), recursively."""
    if isinstance(value, dict):
        return {k: convex_key_order(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [convex_key_order(item) for item in value]
    return value


def js_json_string(text: str) -> str:
    """`JSON.stringify(string)`: non-ASCII kept, control characters and lone surrogates escaped."""
    out = json.dumps(text, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", out)


def js_stringify(value: Any, indent: int = 0, _level: int = 0) -> str:
    """`JSON.stringify(value, null, indent)` of a JSON value; objects in JS own-key order of the dict as given."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number(value) if math.isfinite(value) else "null"
    if isinstance(value, str):
        return js_json_string(value)
    pad = "\n" + " " * (indent * (_level + 1)) if indent else ""
    end = "\n" + " " * (indent * _level) if indent else ""
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = [js_stringify(item, indent, _level + 1) for item in value]
    elif isinstance(value, dict):
        if not value:
            return "{}"
        colon = ": " if indent else ":"
        items = [js_json_string(k) + colon + js_stringify(value[k], indent, _level + 1) for k in js_own_keys(value)]
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")
    brackets = "[]" if isinstance(value, (list, tuple)) else "{}"
    return brackets[0] + pad + ("," + pad).join(items) + end + brackets[1]


# -- strings --------------------------------------------------------------------------------------
def js_lower(text: str) -> str:
    """`String.prototype.toLowerCase`."""
    return text.lower()


def js_trim(text: str) -> str:
    """`String.prototype.trim`: strips ECMAScript WhiteSpace and LineTerminator code points."""
    return text.strip(_JS_WHITESPACE)


def utf16_len(text: str) -> int:
    """JS `.length`: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_index_of(haystack: str, needle: str) -> int:
    """`haystack.indexOf(needle)` in UTF-16 code units (-1 when absent)."""
    i = haystack.find(needle)
    return -1 if i < 0 else utf16_len(haystack[:i])


def utf16_substring(text: str, start: int, end: int) -> str:
    """`text.substring(start, end)` with UTF-16 indexes (a split surrogate pair becomes U+FFFD)."""
    data = text.encode("utf-16-le", "surrogatepass")
    return data[2 * start : 2 * end].decode("utf-16-le", "replace")


def utf16_key(text: str) -> bytes:
    """Sort key matching JS string comparison (UTF-16 code units)."""
    return text.encode("utf-16-be")


# -- CSV ------------------------------------------------------------------------------------------
def csv_field(text: str, always: bool = False) -> str:
    """An RFC 4180 CSV field: quoted (inner quotes doubled) when it holds a comma, quote or line break, or `always`."""
    if always or any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text
