"""factHistory:* against spec/backend/factHistory.md."""

import re
from datetime import UTC, datetime

import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.errors import ArgumentValidationError
from tests.helpers import tick

pytestmark = pytest.mark.anyio

EVENT_ID = re.compile(r"^fh-\d+-[0-9a-z]{1,9}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ZERO = {"CREATE": 0, "UPDATE": 0, "SUPERSEDE": 0, "DELETE": 0}


async def log(backend, fact_id="fact-1", action="CREATE", space="s1", **extra):
    return await call(
        backend, "factHistory:logEvent", {"factId": fact_id, "memorySpaceId": space, "action": action, **extra}
    )


async def event(backend, event_id):
    return await call(backend, "factHistory:getEvent", {"eventId": event_id})


async def history(backend, fact_id="fact-1", **kw):
    return await call(backend, "factHistory:getHistory", {"factId": fact_id, **kw})



def iso_ms(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp() * 1000)


# -- logEvent / getEvent ---------------------------------------------------------------------


async def test_log_event_returns_ids_and_stores_all_fields(backend):
    extra = {
        "oldValue": "old",
        "newValue": "new",
        "supersededBy": "fact-2",
        "supersedes": "fact-0",
        "reason": "because",
        "confidence": 120,
        "pipeline": {"slotMatching": True, "llmResolution": False},
        "userId": "u1",
        "participantId": "p1",
        "conversationId": "c1",
    }
    result = await log(backend, action="SUPERSEDE", **extra)
    assert set(result) == {"eventId", "_id"} and EVENT_ID.match(result["eventId"])
    doc = await event(backend, result["eventId"])
    assert doc["_id"] == result["_id"] and doc["eventId"] == result["eventId"]
    assert doc["factId"] == "fact-1" and doc["memorySpaceId"] == "s1" and doc["action"] == "SUPERSEDE"
    for key, value in extra.items():
        assert doc[key] == value, key
    assert result["eventId"].split("-")[1] == str(doc["timestamp"])


async def test_log_event_minimal_has_no_optional_fields(backend):
    result = await log(backend)
    doc = await event(backend, result["eventId"])
    assert set(doc) == {"_id", "_creationTime", "eventId", "factId", "memorySpaceId", "action", "timestamp"}
    assert await event(backend, "fh-0-missing") is None


@pytest.mark.parametrize(
    "override, field",
    [
        ({"action": "supersede"}, "action"),
        ({"reason": None}, "reason"),
        ({"confidence": True}, "confidence"),
        ({"pipeline": {"slotMatching": True, "extra": True}}, "pipeline.extra"),
        ({"pipeline": {"slotMatching": None}}, "pipeline.slotMatching"),
        ({"pipeline": None}, "pipeline"),
        ({"tenantId": "t1"}, "tenantId"),
        ({"factId": 5}, "factId"),
    ],
)
async def test_log_event_validation_writes_nothing(backend, override, field):
    with pytest.raises(ArgumentValidationError) as err:
        await log(backend, **override)
    assert err.value.field == field
    assert await call(backend, "factHistory:countByAction", {"memorySpaceId": "s1"}) == {**ZERO, "total": 0}


async def test_log_event_requires_action(backend):
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "factHistory:logEvent", {"factId": "f", "memorySpaceId": "s1"})
    assert err.value.field == "action"


# -- deletes --------------------------------------------------------------------------------


async def test_delete_by_fact_id(backend):
    await log(backend, "fact-1")
    await log(backend, "fact-1", "UPDATE", space="s2")
    await log(backend, "fact-2")
    assert await call(backend, "factHistory:deleteByFactId", {"factId": "fact-1"}) == {"deleted": 2}
    assert await history(backend, "fact-1") == [] and len(await history(backend, "fact-2")) == 1
    assert await call(backend, "factHistory:deleteByFactId", {"factId": "fact-1"}) == {"deleted": 0}


async def test_delete_by_user_id_across_spaces(backend):
    await log(backend, userId="u1")
    await log(backend, space="s2", userId="u1")
    await log(backend, userId="")
    await log(backend)
    assert await call(backend, "factHistory:deleteByUserId", {"userId": "u1"}) == {"deleted": 2}
    assert await call(backend, "factHistory:deleteByUserId", {"userId": ""}) == {"deleted": 1}
    assert len(await history(backend)) == 1
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "factHistory:deleteByUserId", {})
    assert err.value.field == "userId"


async def test_delete_by_memory_space(backend):
    await log(backend)
    await log(backend, "fact-2")
    await log(backend, space="s2")
    assert await call(backend, "factHistory:deleteByMemorySpace", {"memorySpaceId": "s1"}) == {"deleted": 2}
    assert (await call(backend, "factHistory:countByAction", {"memorySpaceId": "s2"}))["total"] == 1
    assert await call(backend, "factHistory:deleteByMemorySpace", {"memorySpaceId": "s1"}) == {"deleted": 0}


# -- purgeOldEvents -------------------------------------------------------------------------


async def test_purge_old_events_oldest_first_with_remaining(backend):
    made = []
    for i in range(5):
        made.append((await log(backend, f"fact-{i}"))["eventId"])
        tick()
    await log(backend, "other", space="s2")
    cutoff = 10**15
    result = await call(backend, "factHistory:purgeOldEvents", {"memorySpaceId": "s1", "olderThan": cutoff, "limit": 2})
    assert result == {"deleted": 2, "remaining": 3}
    assert [await event(backend, e) for e in made[:2]] == [None, None]
    assert all([await event(backend, e) for e in made[2:]])
    assert await call(backend, "factHistory:purgeOldEvents", {"olderThan": cutoff, "limit": 0}) == {
        "deleted": 0,
        "remaining": 4,
    }
    # "" means every space; a negative limit slices from the end (keeps the newest)
    assert await call(
        backend, "factHistory:purgeOldEvents", {"memorySpaceId": "", "olderThan": cutoff, "limit": -1}
    ) == {"deleted": 3, "remaining": 1}
    assert await event(backend, made[4]) is None
    assert (await call(backend, "factHistory:countByAction", {"memorySpaceId": "s2"}))["total"] == 1
    assert await call(backend, "factHistory:purgeOldEvents", {"olderThan": cutoff}) == {"deleted": 1, "remaining": 0}


async def test_purge_old_events_cutoff_is_strict(backend):
    first = await event(backend, (await log(backend))["eventId"])
    tick()
    await log(backend, "fact-2")
    args = {"memorySpaceId": "s1", "olderThan": first["timestamp"]}
    assert await call(backend, "factHistory:purgeOldEvents", args) == {"deleted": 0, "remaining": 0}
    args["olderThan"] += 1
    assert await call(backend, "factHistory:purgeOldEvents", args) == {"deleted": 1, "remaining": 0}
    assert [e["factId"] for e in await call(backend, "factHistory:getChangesByTimeRange", {"memorySpaceId": "s1"})] == [
        "fact-2"
    ]
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "factHistory:purgeOldEvents", {"memorySpaceId": "s1"})
    assert err.value.field == "olderThan"


# -- getHistory -------------------------------------------------------------------------------


async def test_get_history_newest_first_with_limit(backend):
    for action in ("CREATE", "UPDATE", "SUPERSEDE"):
        await log(backend, action=action)
    await log(backend, "fact-2")
    assert [e["action"] for e in await history(backend)] == ["SUPERSEDE", "UPDATE", "CREATE"]
    assert [e["action"] for e in await history(backend, limit=2)] == ["SUPERSEDE", "UPDATE"]
    assert await history(backend, limit=0) == []
    assert [e["action"] for e in await history(backend, limit=-1)] == ["SUPERSEDE", "UPDATE"]
    assert await history(backend, "nope") == []
    with pytest.raises(ArgumentValidationError) as err:
        await history(backend, limit=None)
    assert err.value.field == "limit"


async def test_get_history_default_limit_is_100(backend):
    for i in range(101):
        await log(backend, action="UPDATE", oldValue=str(i))
    got = await history(backend)
    assert len(got) == 100 and got[0]["oldValue"] == "100" and got[-1]["oldValue"] == "1"


# -- getChangesByTimeRange / countByAction -----------------------------------------------------


async def test_changes_by_time_range(backend):
    a = await event(backend, (await log(backend, "a", "CREATE"))["eventId"])
    tick()
    b = await event(backend, (await log(backend, "b", "UPDATE"))["eventId"])
    tick()
    c = await event(backend, (await log(backend, "c", "CREATE"))["eventId"])
    await log(backend, "x", space="s2")
    def q(**kw):
        return call(backend, "factHistory:getChangesByTimeRange", {"memorySpaceId": "s1", **kw})
    assert [e["factId"] for e in await q()] == ["c", "b", "a"]
    assert [e["factId"] for e in await q(after=b["timestamp"])] == ["c", "b"]
    assert [e["factId"] for e in await q(before=b["timestamp"])] == ["b", "a"]
    assert [e["factId"] for e in await q(after=b["timestamp"], before=b["timestamp"])] == ["b"]
    assert [e["factId"] for e in await q(action="CREATE")] == ["c", "a"]
    assert [e["factId"] for e in await q(offset=1, limit=1)] == ["b"]
    assert await q(limit=0) == [] and [e["factId"] for e in await q(offset=2)] == ["a"]
    assert (await q(after=c["timestamp"] + 1)) == [] and a["timestamp"] < c["timestamp"]
    with pytest.raises(ArgumentValidationError) as err:
        await q(action="create")
    assert err.value.field == "action"


async def test_count_by_action(backend):
    assert await call(backend, "factHistory:countByAction", {"memorySpaceId": "s1"}) == {**ZERO, "total": 0}
    first = await event(backend, (await log(backend, action="CREATE"))["eventId"])
    tick()
    await log(backend, action="SUPERSEDE")
    await log(backend, action="SUPERSEDE")
    await log(backend, action="DELETE", space="s2")
    got = await call(backend, "factHistory:countByAction", {"memorySpaceId": "s1"})
    assert got == {"CREATE": 1, "UPDATE": 0, "SUPERSEDE": 2, "DELETE": 0, "total": 3}
    after = await call(backend, "factHistory:countByAction", {"memorySpaceId": "s1", "after": first["timestamp"] + 1})
    assert after == {"CREATE": 0, "UPDATE": 0, "SUPERSEDE": 2, "DELETE": 0, "total": 2}
    before = await call(backend, "factHistory:countByAction", {"memorySpaceId": "s1", "before": first["timestamp"]})
    assert before == {"CREATE": 1, "UPDATE": 0, "SUPERSEDE": 0, "DELETE": 0, "total": 1}
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "factHistory:countByAction", {"memorySpaceId": "s1", "action": "CREATE"})
    assert err.value.field == "action"


# -- getSupersessionChain ------------------------------------------------------------------------


async def test_supersession_chain_follows_new_fact_events(backend):
    await log(backend, "f2", "SUPERSEDE", supersedes="f1", reason="moved")
    tick()
    e3 = await event(backend, (await log(backend, "f3", "SUPERSEDE", supersedes="f2"))["eventId"])
    await log(backend, "f3", "SUPERSEDE", supersedes="ignored-later-event")
    await log(backend, "f1", "SUPERSEDE", supersededBy="f2")  # old-fact convention: ignored
    chain = await call(backend, "factHistory:getSupersessionChain", {"factId": "f3"})
    assert [c["factId"] for c in chain] == ["f1", "f2", "f3"]
    assert chain[0] == {"factId": "f1", "supersededBy": "f2", "timestamp": chain[0]["timestamp"], "reason": "moved"}
    assert chain[1] == {"factId": "f2", "supersededBy": "f3", "timestamp": e3["timestamp"]}
    assert chain[2]["supersededBy"] is None and chain[2]["reason"] == "Current version"
    assert chain[2]["timestamp"] >= e3["timestamp"]


async def test_supersession_chain_unknown_and_cycles(backend):
    (only,) = await call(backend, "factHistory:getSupersessionChain", {"factId": "nothing"})
    assert only["factId"] == "nothing" and only["supersededBy"] is None and only["reason"] == "Current version"
    await log(backend, "a", "UPDATE", supersedes="z")  # not a SUPERSEDE event
    await log(backend, "a", "SUPERSEDE", supersedes="b")
    await log(backend, "b", "SUPERSEDE", supersedes="a")  # cycle: upstream loops forever
    chain = await call(backend, "factHistory:getSupersessionChain", {"factId": "a"})
    assert [c["factId"] for c in chain] == ["b", "a"]
    await log(backend, "s", "SUPERSEDE", supersedes="")
    assert len(await call(backend, "factHistory:getSupersessionChain", {"factId": "s"})) == 1


# -- getActivitySummary ----------------------------------------------------------------------------


async def test_activity_summary(backend):
    await log(backend, "f1", "CREATE", participantId="p1", userId="u1")
    await log(backend, "f1", "UPDATE", participantId="u1")
    await log(backend, "f2", "DELETE", userId="", participantId="")
    await log(backend, "f3", space="s2", userId="u9")
    got = await call(backend, "factHistory:getActivitySummary", {"memorySpaceId": "s1"})
    assert got["totalEvents"] == 3
    assert got["actionCounts"] == {"CREATE": 1, "UPDATE": 1, "SUPERSEDE": 0, "DELETE": 1}
    assert got["uniqueFactsModified"] == 2 and got["activeParticipants"] == 2
    tr = got["timeRange"]
    assert tr["hours"] == 24 and ISO.match(tr["since"]) and ISO.match(tr["until"])
    assert iso_ms(tr["until"]) - iso_ms(tr["since"]) == 24 * 3_600_000


async def test_activity_summary_window(backend):
    await log(backend)
    tick()
    zero = await call(backend, "factHistory:getActivitySummary", {"memorySpaceId": "s1", "hours": 0})
    assert zero["totalEvents"] == 0 and zero["timeRange"]["since"] == zero["timeRange"]["until"]
    assert zero["actionCounts"] == ZERO and zero["uniqueFactsModified"] == 0 and zero["activeParticipants"] == 0
    frac = await call(backend, "factHistory:getActivitySummary", {"memorySpaceId": "s1", "hours": 0.5})
    assert frac["totalEvents"] == 1 and frac["timeRange"]["hours"] == 0.5
    assert iso_ms(frac["timeRange"]["until"]) - iso_ms(frac["timeRange"]["since"]) == 1_800_000
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "factHistory:getActivitySummary", {"memorySpaceId": "s1", "hours": "24"})
    assert err.value.field == "hours"
