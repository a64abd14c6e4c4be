"""Memory spaces, users and agents a backend is known to have: remember's existence checks, cached.

remember first makes sure its memory space, user and agent exist (orchestration §1): a lookup each,
and a registration the first time. On a backend that runs remember call by call (Convex: a round
trip per call) those lookups are most of its cost, and they nearly always answer "it exists". So a
positive answer is remembered per backend object for `TTL_S` seconds and the next remember skips
the lookup. Only what the backend itself answered is kept (a lookup that found the record, or a
registration that succeeded), and only once the remember that learnt it has succeeded; a record
deleted meanwhile elsewhere is noticed when its entry expires. The embedded backend runs remember
as one transaction in which the lookups cost microseconds: nothing is cached for it.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

from cortex_mcp.backends.base import AtomicPlans, Backend

TTL_S = 30.0

Owner = tuple[str, str]  # ("space" | "user" | "agent", id)


class KnownOwners:
    """Owners confirmed by one backend, each until `ttl_s` after it was last confirmed."""

    def __init__(self, ttl_s: float = TTL_S, clock: Callable[[], float] = time.monotonic):
        self._ttl_s = ttl_s
        self._clock = clock
        self._until: dict[Owner, float] = {}

    def has(self, kind: str, ident: str) -> bool:
        until = self._until.get((kind, ident))
        if until is None:
            return False
        if until <= self._clock():
            del self._until[(kind, ident)]
            return False
        return True

    def add(self, confirmed: list[Owner]) -> None:
        until = self._clock() + self._ttl_s
        for owner in confirmed:
            self._until[owner] = until

    def forget(self, kind: str, ident: str) -> None:
        self._until.pop((kind, ident), None)


_BY_BACKEND: weakref.WeakKeyDictionary[Backend, KnownOwners] = weakref.WeakKeyDictionary()


def known_owners(backend: Backend) -> KnownOwners | None:
    """The cache for `backend`; None where remember runs as one transaction (nothing to save)."""
    if isinstance(backend, AtomicPlans):
        return None
    cache = _BY_BACKEND.get(backend)
    if cache is None:
        cache = _BY_BACKEND[backend] = KnownOwners()
    return cache


class OwnerChecks:
    """One remember's use of the cache: which checks it can skip, and what it confirmed."""

    def __init__(self, backend: Backend):
        self.known = known_owners(backend)
        self.confirmed: list[Owner] = []

    def needed(self, kind: str, ident: str) -> bool:
        return self.known is None or not self.known.has(kind, ident)

    def confirm(self, kind: str, ident: str) -> None:
        self.confirmed.append((kind, ident))

    def succeeded(self) -> None:
        """The remember succeeded: keep what it confirmed."""
        if self.known is not None:
            self.known.add(self.confirmed)
