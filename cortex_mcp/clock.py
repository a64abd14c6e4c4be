"""The wall clock, read in one place: timestamps (`now`, `createdAt`, `validAt`...) come from here.

Tests move time with `set_source` instead of sleeping until the millisecond changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_source: Callable[[], float] = time.time


def now() -> float:
    """Seconds since the epoch."""
    return _source()


def now_ms() -> int:
    """Whole milliseconds since the epoch (what Convex's `Date.now()` gives)."""
    return int(_source() * 1000)


def set_source(source: Callable[[], float] | None) -> None:
    """Read the time from `source` (seconds since the epoch); None: the system clock again."""
    global _source
    _source = source or time.time
