"""remember's existence checks, cached per backend where it runs call by call (api/owners.py)."""

import pytest

from cortex_mcp.api import memory
from cortex_mcp.api.owners import KnownOwners, known_owners
from cortex_mcp.backends.base import KindDispatch, call

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_an_owner_is_known_until_its_entry_expires():
    clock = Clock()
    known = KnownOwners(ttl_s=30, clock=clock)
    assert not known.has("agent", "a1")
    known.add([("agent", "a1"), ("space", "s1")])
    clock.now = 29.9
    assert known.has("agent", "a1") and known.has("space", "s1") and not known.has("space", "a1")
    known.forget("space", "s1")
    assert not known.has("space", "s1")
    clock.now = 30.0
    assert not known.has("agent", "a1")


class Recording(KindDispatch):
    """A call-by-call backend (as Convex is) that records the paths it is asked for."""

    def __init__(self, inner, fail_on=()):
        self.inner, self.name, self.paths, self.fail_on = inner, "convex", [], set(fail_on)

    async def _call(self, kind, path, args):
        self.paths.append(path)
        if path in self.fail_on:
            from cortex_mcp.errors import BackendUnavailableError

            raise BackendUnavailableError(f"{path} is down")
        return await getattr(self.inner, kind)(path, args)

    async def aclose(self):
        pass


def note(**extra):
    return {"memory_space_id": "s1", "content": "the tortoise is named Sheldon", "agent_id": "a1", **extra}


async def test_a_second_remember_skips_the_checks_the_first_confirmed(backend):
    remote = Recording(backend)
    await memory.remember_note(remote, **note(user_id="u1"))
    assert {"memorySpaces:get", "immutable:get", "agents:exists"} <= set(remote.paths)
    remote.paths.clear()
    await memory.remember_note(remote, **note(user_id="u1"))
    assert remote.paths == ["memories:store"]
    remote.paths.clear()
    await memory.remember_note(remote, **note(user_id="u2"))  # a new user is checked (and created)
    assert remote.paths == ["immutable:get", "immutable:store", "memories:store"]
    assert await call(backend, "immutable:get", {"type": "user", "id": "u2"}) is not None


async def test_a_failed_remember_confirms_nothing(backend):
    remote = Recording(backend, fail_on={"memories:store"})
    with pytest.raises(Exception, match="is down"):
        await memory.remember_note(remote, **note())
    remote.fail_on.clear()
    remote.paths.clear()
    await memory.remember_note(remote, **note())
    assert "memorySpaces:get" in remote.paths and "agents:exists" in remote.paths


async def test_nothing_is_cached_where_remember_is_one_transaction(tmp_path):
    from cortex_mcp.backends.embedded import EmbeddedBackend

    embedded = EmbeddedBackend(tmp_path / "one.db")
    try:
        assert known_owners(embedded) is None
        assert known_owners(Recording(embedded)) is not None
    finally:
        await embedded.aclose()
