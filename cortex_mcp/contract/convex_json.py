"""Convex's JSON values, one codec for both ends of the HTTP API (spec/convex-http-api.md).

The Convex adapter encodes arguments and decodes replies with it; the wire server decodes
arguments and encodes replies with it. Convex's rules:

- every number is a float64, and Convex writes it as one (`50.0`); Python code on both sides gets
  integral values back as ints, so `50` reads, compares and formats the same on every backend
  (negative zero stays a float);
- NaN, +-Infinity and -0 are `{"$float": <base64 little-endian f64>}` in encoded JSON and the texts
  `"NaN"`, `"Infinity"`, `"-Infinity"` in clean JSON (`format: "json"`); bytes are
  `{"$bytes": <base64>}` / base64 text; an int64 is `{"$integer": <base64 little-endian i64>}`;
- object keys go out in byte order, as Convex writes them.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from typing import Any, Literal

import pydantic_core

Format = Literal["json", "encoded"]  # clean JSON, or Convex encoded JSON


def float64(number: int | float) -> float:
    """A Python number as JavaScript's `Number(...)`: an int beyond float64 is +-Infinity."""
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


def _integral(f: float) -> int | float:
    """An integral float as an int, except negative zero (and the non-finite values)."""
    if f.is_integer() and (f != 0 or math.copysign(1.0, f) > 0):
        return int(f)
    return f


def encode(value: Any, fmt: Format = "encoded", *, sort_keys: bool = False) -> Any:
    """A Python value as Convex writes it in `fmt` (arguments always go out encoded); `sort_keys`:
    object keys in byte order, as Convex writes replies (else as given: arguments keep their order)."""
    kind = type(value)  # the JSON types first, by exact type: a reply's thousands of leaves
    if kind is str or value is None or kind is bool:
        return value
    if kind is dict:
        keys = sorted(value, key=str) if sort_keys else value
        return {str(key): encode(value[key], fmt, sort_keys=sort_keys) for key in keys}
    if kind is list:
        return [encode(item, fmt, sort_keys=sort_keys) for item in value]
    if kind is float or kind is int:
        f = value if kind is float else float64(value)
        if math.isfinite(f) and (f or math.copysign(1.0, f) > 0):
            return f
        return _encode_special(f, fmt)
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return encode(float64(value), fmt)
    if isinstance(value, (bytes, bytearray)):
        text = base64.b64encode(bytes(value)).decode()
        return {"$bytes": text} if fmt == "encoded" else text
    if isinstance(value, dict):
        return encode(dict(value), fmt, sort_keys=sort_keys)
    if isinstance(value, (list, tuple)):
        return [encode(v, fmt, sort_keys=sort_keys) for v in value]
    raise TypeError(f"{type(value).__name__} is not a supported Convex type")


def _encode_special(f: float, fmt: Format) -> Any:
    """NaN, +-Infinity, -0: `$float` in encoded JSON; text (or the number -0.0) in clean JSON."""
    if fmt == "encoded":
        return {"$float": base64.b64encode(struct.pack("<d", f)).decode()}
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    return f


def decode(value: Any) -> Any:
    """A parsed Convex JSON value (clean or encoded) as Python: `$integer` / `$float` / `$bytes`
    objects decoded (Convex forbids `$` field names, so no document looks like one), integral
    floats as ints."""
    if isinstance(value, float):
        return _integral(value)
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, raw),) = value.items()
            if key == "$integer" and isinstance(raw, str):
                return int.from_bytes(base64.b64decode(raw), "little", signed=True)
            if key == "$float" and isinstance(raw, str):
                return _integral(struct.unpack("<d", base64.b64decode(raw))[0])
            if key == "$bytes" and isinstance(raw, str):
                return base64.b64decode(raw)
        return {k: decode(v) for k, v in value.items()}
    return value


def _parse_float(text: str) -> int | float:
    return _integral(float(text))


def loads(data: str | bytes) -> Any:
    """Parse a clean-JSON reply with integral numbers as ints while parsing (no second walk over a
    large reply); for `$`-encoded values use `decode`."""
    return json.loads(data, parse_float=_parse_float)


def dumps_encoded(value: Any, fmt: Format) -> bytes:
    """`dumps(encode(value, fmt))`, with one walk over the value instead of three (the walk that
    encodes it also puts its keys in order; the JSON text is written natively)."""
    return pydantic_core.to_json(encode(value, fmt, sort_keys=True))


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON with object keys in byte order (UTF-8 byte order is code point order)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False, separators=(",", ":")).encode()
