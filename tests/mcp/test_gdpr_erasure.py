"""GDPR erasure is complete: after `delete_user` with cascade, neither the user id nor a distinctive
word of their content is anywhere in the database file's bytes; other users' data stays."""

from pathlib import Path

import pytest

from cortex_mcp.backends.base import call
from tests.helpers import ok

pytestmark = pytest.mark.anyio

USER = "erin-q7x"  # the user id is itself a marker
WORD = "xylophonequartz"  # a distinctive word only the user said


def _file_bytes(backend) -> bytes:
    path = Path(backend.store.path)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def _seed(client, backend) -> dict:
    mine = {"user_id": USER, "agent_id": "helper-bot"}
    await ok(client, "remember", {**mine, "user_message": f"My band plays the {WORD} every Friday",
                                  "agent_response": f"A {WORD} band sounds wonderful, tell me more about it.",
                                  "facts": [{"fact": f"Erin plays the {WORD}", "subject": "Erin",
                                             "predicate": "plays", "object": WORD}]})
    await ok(client, "remember", {**mine, "content": f"Erin tunes the {WORD} on Sundays"})
    await ok(client, "store_fact", {"fact": f"I own a {WORD}", "user_id": USER})
    await ok(client, "update_memory", {"memory_id": (await ok(client, "remember", {
        **mine, "content": f"Erin's {WORD} is blue"}))["memories"][0]["memory_id"], "content": "Erin's instrument"})
    await call(backend, "a2a:send", {"from": "helper-bot", "to": "other-bot", "message": f"Erin asks for {WORD} tabs",
                                     "userId": USER})
    await call(backend, "memorySpaces:addParticipant", {
        "memorySpaceId": "test-space", "participant": {"id": USER, "type": "user", "joinedAt": 1}})
    await call(backend, "graphSync:queueForSync", {"table": "users", "entityId": USER, "operation": "insert",
                                                    "entity": {"name": f"{WORD} player"}})
    parent = await call(backend, "contexts:create", {"memorySpaceId": "test-space", "purpose": f"{WORD} lessons",
                                                      "userId": USER})
    child = await call(backend, "contexts:create", {"memorySpaceId": "test-space", "purpose": "Bob's lesson plan",
                                                     "userId": "bob", "parentId": parent["contextId"]})
    grandchild = await call(backend, "contexts:create", {"memorySpaceId": "test-space", "purpose": "week one",
                                                          "userId": "bob", "parentId": child["contextId"]})
    shared = await call(backend, "contexts:create", {"memorySpaceId": "test-space", "purpose": "team sync",
                                                      "userId": "bob"})
    await call(backend, "contexts:addParticipant", {"contextId": shared["contextId"], "participantId": USER})
    # Another user's data, which must survive.
    await ok(client, "remember", {"user_id": "bob", "agent_id": "helper-bot", "content": "Bob prefers the cello"})
    return {"child": child["contextId"], "grandchild": grandchild["contextId"]}


async def test_cascade_erasure_leaves_no_trace_in_the_file(client, backend):
    seeded = await _seed(client, backend)
    found = await call(backend, "gdpr:findUserData", {"userId": USER})
    counts = found["counts"]
    assert counts["memories"] >= 4 and counts["facts"] >= 2 and counts["conversations"] == 1
    assert counts["a2aMessages"] == 1 and counts["memorySpaceParticipants"] == 1
    assert counts["graphSyncQueue"] == 1 and counts["contextChildren"] == 1 and counts["contextParticipants"] == 1
    assert USER.encode() in _file_bytes(backend) or WORD.encode() in _file_bytes(backend)

    result = await ok(client, "delete_user", {"user_id": USER, "cascade": True})
    assert result["verification"]["complete"] is True, result

    data = _file_bytes(backend)
    assert USER.encode() not in data
    assert WORD.encode() not in data
    assert WORD.encode("utf-16-le") not in data

    remaining = await call(backend, "gdpr:findUserData", {"userId": USER})
    assert remaining["total"] == 0 and not any(remaining["counts"].values())
    assert await call(backend, "contexts:findOrphaned", {}) == []
    child = await call(backend, "contexts:get", {"contextId": seeded["child"]})
    grandchild = await call(backend, "contexts:get", {"contextId": seeded["grandchild"]})
    assert "parentId" not in child and child["rootId"] == seeded["child"] and child["depth"] == 0
    assert grandchild["rootId"] == seeded["child"] and grandchild["depth"] == 1
    bob = await ok(client, "recall", {"query": "cello", "user_id": "bob"})
    assert [i["content"] for i in bob["items"]] == ["Bob prefers the cello"]
    space = await call(backend, "memorySpaces:get", {"memorySpaceId": "test-space"})
    assert all(p["id"] != USER for p in space["participants"])


async def test_dry_run_reports_the_same_places_and_erases_nothing(client, backend):
    await _seed(client, backend)
    before = await call(backend, "gdpr:findUserData", {"userId": USER})
    preview = await call(backend, "gdpr:deleteUserData", {"userId": USER, "dryRun": True})
    assert preview["counts"] == before["counts"] and preview["deleted"] is False
    assert (await call(backend, "gdpr:findUserData", {"userId": USER}))["counts"] == before["counts"]
