"""Time, read in one place: timestamps (`now`, `createdAt`, `validAt`...), deadlines and waits.

Tests swap the clock (`use`) to move time instead of sleeping until the millisecond changes or a
wait runs out.
"""

from __future__ import annotations

import time

import anyio


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds for measuring waits: never goes back."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


_clock: SystemClock = SystemClock()


def now() -> float:
    """Seconds since the epoch."""
    return _clock.time()


def now_ms() -> int:
    """Whole milliseconds since the epoch (what Convex's `Date.now()` gives)."""
    return int(_clock.time() * 1000)


def monotonic() -> float:
    return _clock.monotonic()


async def sleep(seconds: float) -> None:
    """Wait (a poll's pause): the clock in use decides how."""
    await _clock.sleep(seconds)


def use(clock: SystemClock | None) -> None:
    """Read time from `clock` from now on; None: the system clock again."""
    global _clock
    _clock = clock or SystemClock()
