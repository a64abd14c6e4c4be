"""conversations:* against spec/backend/conversations.md."""

import csv
import json
import re
from datetime import UTC, datetime

import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.errors import ArgumentValidationError, FunctionError
from tests.helpers import tick

pytestmark = pytest.mark.anyio

UA_USER_ERR = "user-agent conversations require userId"
UA_AGENT_ERR = (
    "agentId is required when userId is provided. "
    "User-agent conversations require both a user and an agent participant."
)
AA_ERR = "agent-agent conversations require at least 2 memorySpaceIds"


async def create(backend, conv_id, space="s1", user="u1", agent="a1", **extra):
    args = {
        "conversationId": conv_id,
        "memorySpaceId": space,
        "type": "user-agent",
        "participants": {"userId": user, "agentId": agent},
        **extra,
    }
    return await call(backend, "conversations:create", args)


async def create_aa(backend, conv_id, ids, space="s1", **extra):
    args = {
        "conversationId": conv_id,
        "memorySpaceId": space,
        "type": "agent-agent",
        "participants": {"memorySpaceIds": ids},
        **extra,
    }
    return await call(backend, "conversations:create", args)


async def add(backend, conv_id, msg_id, content="hi", role="user", **extra):
    message = {"id": msg_id, "role": role, "content": content, **extra}
    return await call(backend, "conversations:addMessage", {"conversationId": conv_id, "message": message})


async def total(backend):
    return await call(backend, "conversations:count", {})



# -- create ----------------------------------------------------------------------------------


async def test_create_returns_full_document(backend):
    doc = await create(backend, "c1", participantId="hive", tenantId="t1", metadata={"topic": "x"})
    assert doc["conversationId"] == "c1" and doc["memorySpaceId"] == "s1" and doc["type"] == "user-agent"
    assert doc["participants"] == {"userId": "u1", "agentId": "a1"}
    assert doc["participantId"] == "hive" and doc["tenantId"] == "t1"
    assert doc["messages"] == [] and doc["messageCount"] == 0 and doc["metadata"] == {"topic": "x"}
    assert doc["createdAt"] == doc["updatedAt"]
    assert isinstance(doc["_id"], str) and isinstance(doc["_creationTime"], (int, float))


async def test_create_defaults_and_absent_optionals(backend):
    doc = await create(backend, "c1")
    assert doc["metadata"] == {}
    assert "participantId" not in doc and "tenantId" not in doc
    for i, falsy in enumerate([None, 0, "", False]):
        assert (await create(backend, f"f{i}", metadata=falsy))["metadata"] == {}
    assert (await create(backend, "list", metadata=[]))["metadata"] == []


async def test_create_participant_rules(backend):
    cases = [
        ({"agentId": "a"}, "user-agent", UA_USER_ERR),
        ({"userId": "", "agentId": "a"}, "user-agent", UA_USER_ERR),
        ({}, "user-agent", UA_USER_ERR),
        ({"userId": "u"}, "user-agent", UA_AGENT_ERR),
        ({"userId": "u", "agentId": ""}, "user-agent", UA_AGENT_ERR),
        ({"memorySpaceIds": ["a"]}, "agent-agent", AA_ERR),
        ({"userId": "u", "agentId": "a"}, "agent-agent", AA_ERR),
        ({"memorySpaceIds": []}, "agent-agent", AA_ERR),
    ]
    for participants, conv_type, message in cases:
        args = {"conversationId": "c", "memorySpaceId": "s", "type": conv_type, "participants": participants}
        with pytest.raises(FunctionError) as err:
            await call(backend, "conversations:create", args)
        assert err.value.code == message
    assert await total(backend) == 0
    # duplicates are not checked; extra memorySpaceIds on a user-agent conversation are fine
    assert (await create_aa(backend, "aa", ["x", "x"]))["participants"] == {"memorySpaceIds": ["x", "x"]}
    doc = await create(backend, "ua", participants={"userId": "u", "agentId": "a", "memorySpaceIds": ["m"]})
    assert doc["participants"]["memorySpaceIds"] == ["m"]


async def test_create_duplicate_any_tenant_and_validation_wins(backend):
    await create(backend, "c1", tenantId="t1")
    with pytest.raises(FunctionError) as err:
        await create(backend, "c1", space="other", tenantId="t2")
    assert err.value.code == "CONVERSATION_ALREADY_EXISTS"
    with pytest.raises(FunctionError) as err:
        await create(backend, "c1", user="")
    assert err.value.code == UA_USER_ERR
    assert await total(backend) == 1


async def test_create_validation_names_field_and_writes_nothing(backend):
    base = {
        "conversationId": "c1",
        "memorySpaceId": "s",
        "type": "user-agent",
        "participants": {"userId": "u", "agentId": "a"},
    }
    cases = [
        ({"type": "User-agent"}, "type"),
        ({"participantId": None}, "participantId"),
        ({"tenantId": None}, "tenantId"),
        ({"participants": {"userId": "u", "agentId": "a", "role": "x"}}, "participants.role"),
        ({"participants": {"userId": "u", "agentId": 5}}, "participants.agentId"),
        ({"participants": {"userId": "u", "agentId": "a", "memorySpaceIds": [1]}}, "participants.memorySpaceIds[0]"),
        ({"participants": {"userId": None, "agentId": "a"}}, "participants.userId"),
        ({"messageCount": 3}, "messageCount"),
        ({"conversationId": None}, "conversationId"),
        ({"memorySpaceId": True}, "memorySpaceId"),
    ]
    for patch, field in cases:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "conversations:create", {**base, **patch})
        assert err.value.field == field
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "conversations:create", {k: val for k, val in base.items() if k != "participants"})
    assert err.value.field == "participants"
    assert await total(backend) == 0


# -- addMessage ------------------------------------------------------------------------------


async def test_add_message_appends_with_server_timestamp(backend):
    created = await create(backend, "c1")
    tick()
    doc = await add(backend, "c1", "m1", "first", participantId="p", metadata=None)
    msg = doc["messages"][0]
    assert msg == {"id": "m1", "role": "user", "content": "first", "participantId": "p", "metadata": None,
                   "timestamp": msg["timestamp"]}
    assert doc["messageCount"] == 1 and doc["updatedAt"] == msg["timestamp"] > created["createdAt"]
    assert doc["createdAt"] == created["createdAt"]
    doc = await add(backend, "c1", "m1", "dup id", role="agent")
    assert [m["content"] for m in doc["messages"]] == ["first", "dup id"] and doc["messageCount"] == 2
    assert "participantId" not in doc["messages"][1] and "metadata" not in doc["messages"][1]


async def test_add_message_errors_write_nothing(backend):
    with pytest.raises(FunctionError) as err:
        await add(backend, "ghost", "m1")
    assert err.value.code == "CONVERSATION_NOT_FOUND"
    await create(backend, "c1")
    bad = [
        ({"id": "m", "role": "user", "content": "x", "timestamp": 5}, "message.timestamp"),
        ({"id": "m", "role": "assistant", "content": "x"}, "message.role"),
        ({"id": "m", "role": "user"}, "message.content"),
        ({"id": "m", "role": "user", "content": "x", "participantId": None}, "message.participantId"),
    ]
    for message, field in bad:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "conversations:addMessage", {"conversationId": "c1", "message": message})
        assert err.value.field == field
    with pytest.raises(ArgumentValidationError) as err:
        message = {"id": "m", "role": "user", "content": "x"}
        await call(backend, "conversations:addMessage", {"conversationId": "c1", "message": message, "tenantId": "t"})
    assert err.value.field == "tenantId"
    doc = await call(backend, "conversations:get", {"conversationId": "c1"})
    assert doc["messages"] == [] and doc["messageCount"] == 0


# -- deletes ---------------------------------------------------------------------------------


async def test_delete_conversation(backend):
    await create(backend, "c1")
    await add(backend, "c1", "m1")
    await add(backend, "c1", "m2")
    result = await call(backend, "conversations:deleteConversation", {"conversationId": "c1"})
    assert result["deletedAt"] > 0
    assert result == {"deleted": True, "conversationId": "c1", "messagesDeleted": 2,
                      "deletedAt": result["deletedAt"], "restorable": False}
    with pytest.raises(FunctionError) as err:
        await call(backend, "conversations:deleteConversation", {"conversationId": "c1"})
    assert err.value.code == "CONVERSATION_NOT_FOUND"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "conversations:deleteConversation", {"conversationId": "c1", "tenantId": "t"})
    assert err.value.field == "tenantId"


async def setup_many(backend):
    await create(backend, "c1", space="s1", user="u1")
    await create(backend, "c2", space="s1", user="u2")
    await create(backend, "c3", space="s2", user="u1")
    await create_aa(backend, "c4", ["s1", "s2"], space="s1")
    await add(backend, "c1", "m1")
    await add(backend, "c3", "m1")
    await add(backend, "c3", "m2")


async def test_delete_many_dry_run_filters_and_delete(backend):
    await setup_many(backend)
    preview = await call(backend, "conversations:deleteMany", {"memorySpaceId": "s1", "dryRun": True})
    assert preview == {"deleted": 0, "totalMessagesDeleted": 0, "conversationIds": [], "wouldDelete": 3,
                       "wouldDeleteMessages": 1, "dryRun": True}
    args = {"userId": "u1", "type": "user-agent", "memorySpaceId": ""}
    result = await call(backend, "conversations:deleteMany", args)
    assert result == {"deleted": 2, "totalMessagesDeleted": 3, "conversationIds": ["c1", "c3"], "dryRun": False}
    assert await total(backend) == 2
    result = await call(backend, "conversations:deleteMany", {"memorySpaceId": "s1", "type": "agent-agent"})
    assert result["conversationIds"] == ["c4"]
    assert await call(backend, "conversations:deleteMany", {"dryRun": False}) == {
        "deleted": 1, "totalMessagesDeleted": 0, "conversationIds": ["c2"], "dryRun": False}


async def test_delete_many_threshold(backend):
    await setup_many(backend)
    with pytest.raises(FunctionError) as err:
        await call(backend, "conversations:deleteMany", {"confirmationThreshold": 3})
    assert err.value.code == (
        "DELETE_MANY_THRESHOLD_EXCEEDED: Would delete 4 conversations (threshold: 3). "
        "Use dryRun first or increase confirmationThreshold."
    )
    with pytest.raises(FunctionError) as err:
        await call(backend, "conversations:deleteMany", {"userId": "u2", "confirmationThreshold": 0})
    assert "(threshold: 0)" in err.value.code and "Would delete 1 conversations" in err.value.code
    with pytest.raises(FunctionError) as err:
        await call(backend, "conversations:deleteMany", {"confirmationThreshold": 2.5})
    assert "(threshold: 2.5)" in err.value.code
    assert await total(backend) == 4
    for i in range(8):
        await create(backend, f"x{i}", space="big")
    with pytest.raises(FunctionError):  # default threshold 10
        await call(backend, "conversations:deleteMany", {})
    assert (await call(backend, "conversations:deleteMany", {"confirmationThreshold": 12}))["deleted"] == 12
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "conversations:deleteMany", {"confirmationThreshold": True})
    assert err.value.field == "confirmationThreshold"


async def test_delete_by_ids_and_purge_all(backend):
    await setup_many(backend)
    result = await call(backend, "conversations:deleteByIds", {"conversationIds": ["c3", "ghost", "c1", "c3"]})
    assert result == {"deleted": 2, "conversationIds": ["c3", "c1"], "totalMessagesDeleted": 3}
    assert await call(backend, "conversations:deleteByIds", {"conversationIds": []}) == {
        "deleted": 0, "conversationIds": [], "totalMessagesDeleted": 0}
    await add(backend, "c2", "m")
    with pytest.raises(ArgumentValidationError):
        await call(backend, "conversations:purgeAll", {"confirm": True})
    assert await call(backend, "conversations:purgeAll", {}) == {"deleted": 2, "totalMessagesDeleted": 1}
    assert await total(backend) == 0


# -- messages --------------------------------------------------------------------------------


async def test_get_message_and_by_ids(backend):
    await create(backend, "c1")
    await add(backend, "c1", "m1", "one")
    await add(backend, "c1", "m2", "two")
    await add(backend, "c1", "m1", "three")
    got = await call(backend, "conversations:getMessage", {"conversationId": "c1", "messageId": "m1"})
    assert got["content"] == "one" and got["id"] == "m1" and "timestamp" in got
    assert await call(backend, "conversations:getMessage", {"conversationId": "c1", "messageId": "x"}) is None
    assert await call(backend, "conversations:getMessage", {"conversationId": "no", "messageId": "m1"}) is None
    args = {"conversationId": "c1", "messageIds": ["m2", "m1", "zz"]}
    got = await call(backend, "conversations:getMessagesByIds", args)
    assert [m["content"] for m in got] == ["one", "two", "three"]
    assert await call(backend, "conversations:getMessagesByIds", {"conversationId": "no", "messageIds": ["m1"]}) == []
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "conversations:getMessagesByIds", {"conversationId": "c1", "messageIds": "m1"})
    assert err.value.field == "messageIds"


# -- getOrCreate / findConversation ----------------------------------------------------------


async def test_get_or_create_user_agent(backend):
    args = {"memorySpaceId": "s1", "type": "user-agent", "participants": {"userId": "u1", "agentId": "a1"}}
    first = await call(backend, "conversations:getOrCreate", {**args, "participantId": "p", "metadata": 0})
    assert re.fullmatch(r"conv-\d+-[0-9a-z]{1,9}", first["conversationId"])
    assert first["conversationId"].split("-")[1] == str(first["createdAt"])
    assert first["metadata"] == {} and first["participantId"] == "p" and "tenantId" not in first
    again = await call(backend, "conversations:getOrCreate", {**args, "metadata": {"ignored": True}})
    assert again == first
    other_agent = await call(
        backend, "conversations:getOrCreate", {**args, "participants": {"userId": "u1", "agentId": "a2"}}
    )
    assert other_agent["conversationId"] != first["conversationId"]
    other_space = await call(backend, "conversations:getOrCreate", {**args, "memorySpaceId": "s2"})
    assert other_space["conversationId"] != first["conversationId"]
    assert await total(backend) == 3


async def test_get_or_create_finds_oldest_and_agent_agent_multiset(backend):
    await create(backend, "old", space="s1", user="u1", agent="a1")
    await create(backend, "new", space="s1", user="u1", agent="a1")
    args = {"memorySpaceId": "s1", "type": "user-agent", "participants": {"userId": "u1", "agentId": "a1"}}
    assert (await call(backend, "conversations:getOrCreate", args))["conversationId"] == "old"
    await create_aa(backend, "aa", ["y", "x", "x"], space="elsewhere")
    found = await call(
        backend,
        "conversations:getOrCreate",
        {"memorySpaceId": "s9", "type": "agent-agent", "participants": {"memorySpaceIds": ["x", "y", "x"]}},
    )
    assert found["conversationId"] == "aa"
    created = await call(
        backend,
        "conversations:getOrCreate",
        {"memorySpaceId": "s9", "type": "agent-agent", "participants": {"memorySpaceIds": ["x", "y"]}},
    )
    assert created["conversationId"].startswith("conv-") and created["memorySpaceId"] == "s9"
    assert await total(backend) == 4


async def test_get_or_create_errors(backend):
    base = {"memorySpaceId": "s1", "type": "user-agent"}
    for participants, code in [({"agentId": "a"}, UA_USER_ERR), ({"userId": "u"}, UA_AGENT_ERR)]:
        with pytest.raises(FunctionError) as err:
            await call(backend, "conversations:getOrCreate", {**base, "participants": participants})
        assert err.value.code == code
    with pytest.raises(FunctionError) as err:
        await call(backend, "conversations:getOrCreate",
                   {"memorySpaceId": "s", "type": "agent-agent", "participants": {"memorySpaceIds": ["a"]}})
    assert err.value.code == AA_ERR
    for extra in ({"tenantId": "t"}, {"conversationId": "c"}):
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "conversations:getOrCreate",
                       {**base, "participants": {"userId": "u", "agentId": "a"}, **extra})
        assert err.value.field == next(iter(extra))
    assert await total(backend) == 0


async def test_find_conversation(backend):
    await create(backend, "c1", space="s1", user="u1", agent="a1")
    await create(backend, "c2", space="s1", user="u1", agent="a2")
    await create_aa(backend, "aa", ["m2", "m1"], space="s1")
    find = lambda **a: call(backend, "conversations:findConversation", a)  # noqa: E731
    assert (await find(memorySpaceId="s1", type="user-agent", userId="u1"))["conversationId"] == "c1"
    assert await find(memorySpaceId="s1", type="user-agent", userId="") is None
    assert await find(memorySpaceId="s1", type="user-agent") is None
    assert await find(memorySpaceId="s2", type="user-agent", userId="u1") is None
    assert (await find(memorySpaceId="zz", type="agent-agent", memorySpaceIds=["m1", "m2"]))["conversationId"] == "aa"
    assert await find(memorySpaceId="s1", type="agent-agent", memorySpaceIds=["m1"]) is None
    assert await find(memorySpaceId="s1", type="agent-agent") is None
    assert await find(memorySpaceId="s1", type="agent-agent", memorySpaceIds=["m1", "m3"]) is None
    with pytest.raises(ArgumentValidationError) as err:
        await find(memorySpaceId="s1", type="user-agent", userId=None)
    assert err.value.field == "userId"


# -- get / list / count ----------------------------------------------------------------------


async def test_get_tenant_and_message_options(backend):
    await create(backend, "c1", tenantId="t1")
    for i in range(4):
        await add(backend, "c1", f"m{i}", f"msg{i}")
    get = lambda **a: call(backend, "conversations:get", {"conversationId": "c1", **a})  # noqa: E731
    assert (await get())["messageCount"] == 4 and len((await get())["messages"]) == 4
    assert (await get(tenantId="t1"))["tenantId"] == "t1"
    assert await get(tenantId="t2") is None
    assert (await get(tenantId=""))["conversationId"] == "c1"
    stripped = await get(includeMessages=False)
    assert stripped["messages"] == [] and stripped["messageCount"] == 4
    assert [m["id"] for m in (await get(messageLimit=2))["messages"]] == ["m2", "m3"]
    assert [m["id"] for m in (await get(messageLimit=2.7))["messages"]] == ["m2", "m3"]
    assert len((await get(messageLimit=0))["messages"]) == 4
    assert len((await get(messageLimit=-1))["messages"]) == 4
    assert (await get(includeMessages=True, messageLimit=1))["messages"][0]["id"] == "m3"
    assert await call(backend, "conversations:get", {"conversationId": "nope"}) is None
    with pytest.raises(ArgumentValidationError) as err:
        await get(includeMessages=None)
    assert err.value.field == "includeMessages"


async def test_list_filters(backend):
    await create(backend, "c1", space="s1", user="u1", tenantId="t1", participantId="p1")
    tick()
    await create(backend, "c2", space="s1", user="u2", tenantId="t2")
    tick()
    await create(backend, "c3", space="s2", user="u1")
    tick()
    await create_aa(backend, "c4", ["a", "b"], space="s1", tenantId="t1")
    ids = lambda r: [c["conversationId"] for c in r["conversations"]]  # noqa: E731
    lst = lambda **a: call(backend, "conversations:list", a)  # noqa: E731
    everything = await lst()
    assert ids(everything) == ["c4", "c3", "c2", "c1"]
    assert everything["total"] == 4 and everything["limit"] == 50 and everything["offset"] == 0
    assert everything["hasMore"] is False
    assert ids(await lst(tenantId="t1")) == ["c4", "c1"]
    assert ids(await lst(tenantId="t1", memorySpaceId="s1", type="user-agent")) == ["c1"]
    assert ids(await lst(memorySpaceId="s1", userId="u1")) == ["c1"]
    assert ids(await lst(userId="u1")) == ["c3", "c1"]
    assert ids(await lst(userId="u1", tenantId="t1")) == ["c1"]
    assert ids(await lst(type="agent-agent")) == ["c4"]
    assert ids(await lst(participantId="p1")) == ["c1"]
    assert ids(await lst(userId="", tenantId="", memorySpaceId="")) == ["c4", "c3", "c2", "c1"]
    c2 = (await lst(userId="u2"))["conversations"][0]
    assert ids(await lst(createdBefore=c2["createdAt"])) == ["c1"]
    assert ids(await lst(createdAfter=c2["createdAt"])) == ["c4", "c3"]
    assert ids(await lst(createdAfter=0)) == ["c4", "c3", "c2", "c1"]
    assert ids(await lst(createdBefore=0)) == []
    assert ids(await lst(updatedBefore=c2["updatedAt"] + 1, updatedAfter=c2["updatedAt"] - 1)) == ["c2"]


async def test_list_sort_page_and_messages(backend):
    for cid in ("c1", "c2", "c3"):
        await create(backend, cid)
        tick()
    await add(backend, "c1", "m")
    await add(backend, "c1", "m")
    tick()
    await add(backend, "c2", "m")
    ids = lambda r: [c["conversationId"] for c in r["conversations"]]  # noqa: E731
    lst = lambda **a: call(backend, "conversations:list", a)  # noqa: E731
    assert ids(await lst(sortBy="messageCount")) == ["c1", "c2", "c3"]
    assert ids(await lst(sortBy="messageCount", sortOrder="asc")) == ["c3", "c2", "c1"]
    assert ids(await lst(sortBy="lastMessageAt")) == ["c2", "c1", "c3"]
    assert ids(await lst(sortBy="updatedAt", sortOrder="asc")) == ["c3", "c1", "c2"]
    assert ids(await lst(sortOrder="asc")) == ["c1", "c2", "c3"]
    assert ids(await lst(messageCountMin=1, messageCountMax=1)) == ["c2"]
    c1 = (await lst(messageCountMin=2))["conversations"][0]
    last = c1["messages"][-1]["timestamp"]
    assert ids(await lst(lastMessageBefore=last)) == ["c3"]  # c3 falls back to createdAt
    assert ids(await lst(lastMessageAfter=last)) == ["c2"]
    page = await lst(limit=1, offset=1, sortOrder="asc")
    assert ids(page) == ["c2"] and page["total"] == 3 and page["hasMore"] is True
    assert page["limit"] == 1 and page["offset"] == 1
    page = await lst(limit=0, offset=0)
    assert page["limit"] == 50 and len(page["conversations"]) == 3 and page["hasMore"] is False
    page = await lst(limit=2, offset=1)
    assert page["hasMore"] is False and len(page["conversations"]) == 2
    stripped = await lst(includeMessages=False, sortBy="messageCount")
    assert stripped["conversations"][0]["messages"] == [] and stripped["conversations"][0]["messageCount"] == 2
    for bad, field in [({"limit": True}, "limit"), ({"sortBy": "name"}, "sortBy"), ({"sortOrder": "DESC"}, "sortOrder"),
                       ({"offset": None}, "offset"), ({"query": "x"}, "query")]:
        with pytest.raises(ArgumentValidationError) as err:
            await lst(**bad)
        assert err.value.field == field


async def test_count(backend):
    await setup_many(backend)
    cnt = lambda **a: call(backend, "conversations:count", a)  # noqa: E731
    assert await cnt() == 4
    assert await cnt(userId="u1") == 2
    assert await cnt(memorySpaceId="s1") == 3
    assert await cnt(memorySpaceId="s1", userId="u1") == 1
    assert await cnt(memorySpaceId="s1", type="agent-agent") == 1
    assert await cnt(type="user-agent") == 3
    assert await cnt(userId="") == 4
    with pytest.raises(ArgumentValidationError) as err:
        await cnt(tenantId="t1")
    assert err.value.field == "tenantId"


# -- getHistory ------------------------------------------------------------------------------


async def test_get_history(backend):
    await create(backend, "c1")
    await add(backend, "c1", "m0", role="user")
    tick()
    mid = (await add(backend, "c1", "m1", role="agent"))["updatedAt"]
    tick()
    await add(backend, "c1", "m2", role="system")
    await add(backend, "c1", "m3", role="user")
    hist = lambda **a: call(backend, "conversations:getHistory", {"conversationId": "c1", **a})  # noqa: E731
    ids = lambda r: [m["id"] for m in r["messages"]]  # noqa: E731
    full = await hist()
    assert ids(full) == ["m0", "m1", "m2", "m3"]
    assert full["total"] == 4 and full["hasMore"] is False and full["conversationId"] == "c1"
    assert ids(await hist(sortOrder="desc")) == ["m3", "m2", "m1", "m0"]
    page = await hist(limit=2, offset=1)
    assert ids(page) == ["m1", "m2"] and page["hasMore"] is True and page["total"] == 4
    assert ids(await hist(since=mid)) == ["m1", "m2", "m3"]
    assert ids(await hist(until=mid)) == ["m0", "m1"]
    assert ids(await hist(since=mid, until=mid)) == ["m1"]
    assert ids(await hist(roles=["user"])) == ["m0", "m3"]
    filtered = await hist(roles=["user", "system"], sortOrder="desc", limit=1)
    assert ids(filtered) == ["m3"] and filtered["total"] == 3 and filtered["hasMore"] is True
    assert ids(await hist(roles=[])) == ["m0", "m1", "m2", "m3"]
    assert ids(await hist(limit=0)) == ["m0", "m1", "m2", "m3"]
    with pytest.raises(FunctionError) as err:
        await call(backend, "conversations:getHistory", {"conversationId": "nope"})
    assert err.value.code == "CONVERSATION_NOT_FOUND"
    with pytest.raises(ArgumentValidationError) as err:
        await hist(roles=["assistant"])
    assert err.value.field == "roles[0]"


# -- search ----------------------------------------------------------------------------------


async def test_search_content_modes_scores_and_highlights(backend):
    await create(backend, "c1")
    await add(backend, "c1", "m1", "I love Python programming")
    await add(backend, "c1", "m2", "unrelated")
    await create(backend, "c2", user="u2")
    await add(backend, "c2", "m1", "python")
    search = lambda q, **a: call(backend, "conversations:search", {"query": q, **a})  # noqa: E731
    hits = await search("PYTHON")
    assert [h["conversation"]["conversationId"] for h in hits] == ["c2", "c1"]
    assert hits[0]["score"] == 1 and hits[1]["score"] == 0.5
    assert [m["id"] for m in hits[1]["matchedMessages"]] == ["m1"]
    assert hits[1]["highlights"] == ["I love Python programming"]
    assert len(hits[1]["conversation"]["messages"]) == 2
    exact = await search("python", matchMode="exact")
    assert [h["conversation"]["conversationId"] for h in exact] == ["c2"]
    fuzzy = await search("  programming   love ", matchMode="fuzzy")
    assert [h["conversation"]["conversationId"] for h in fuzzy] == ["c1"]
    assert fuzzy[0]["highlights"] == ["I love Python programming"]  # whole query absent: first 60 chars
    assert await search("python", userId="u2", limit=5) == [hits[0]]
    assert len(await search("python", limit=1)) == 1
    assert await search("python", type="agent-agent") == []
    assert await search("python", memorySpaceId="other") == []
    created = hits[0]["conversation"]["createdAt"]
    assert [h["conversation"]["conversationId"] for h in await search("python", dateStart=created + 1)] == []
    assert len(await search("python", dateStart=0, dateEnd=0)) == 2  # 0 means "not given"
    assert [h["conversation"]["conversationId"] for h in await search("", matchMode="fuzzy")] == ["c1", "c2"]


async def test_search_highlight_windows(backend):
    long_text = "a" * 50 + "needle" + "b" * 50
    await create(backend, "c1")
    await add(backend, "c1", "m1", long_text)
    await add(backend, "c1", "m2", "x" * 70 + " zebra " + "needle")
    hits = await call(backend, "conversations:search", {"query": "NEEDLE"})
    assert hits[0]["highlights"][0] == "a" * 30 + "needle" + "b" * 30
    assert hits[0]["highlights"][1] == ("x" * 70 + " zebra needle")[-(30 + 6):]
    fuzzy = await call(backend, "conversations:search", {"query": "needle zebra", "matchMode": "fuzzy"})
    assert fuzzy[0]["highlights"] == ["x" * 60 + "..."]
    assert [m["id"] for m in fuzzy[0]["matchedMessages"]] == ["m2"]


async def test_search_metadata(backend):
    await create(backend, "c1", metadata={"topic": "Billing", "n": 1.0})
    await add(backend, "c1", "m1", "billing question")
    await add(backend, "c1", "m2", "other")
    await create(backend, "c2", metadata={"topic": "support"})
    search = lambda q, **a: call(backend, "conversations:search", {"query": q, **a})  # noqa: E731
    meta = await search("billing", searchIn="metadata")
    assert len(meta) == 1 and meta[0]["score"] == 0.5 and meta[0]["matchedMessages"] == []
    assert meta[0]["highlights"] == []
    both = await search("billing", searchIn="both")
    assert both[0]["score"] == 1.0 and len(both[0]["matchedMessages"]) == 1
    assert len(await search('"n":1,"topic"', searchIn="metadata")) == 1  # compact JS JSON, sorted keys
    assert len(await search('{"topic":"support"}', searchIn="metadata", matchMode="exact")) == 1
    assert await search("topic") == []  # content only by default
    with pytest.raises(ArgumentValidationError) as err:
        await search("x", searchIn="all")
    assert err.value.field == "searchIn"


# -- export ----------------------------------------------------------------------------------


async def test_export_json(backend):
    await create(backend, "c1", metadata={"b": 2, "a": 1})
    await add(backend, "c1", "m1", "hello")
    await create(backend, "c2", user="u2")
    await create(backend, "c3", metadata=None)
    result = await call(backend, "conversations:exportConversations", {"format": "json", "includeMetadata": True,
                                                                        "conversationIds": ["c3", "c1"]})
    assert result["format"] == "json" and result["count"] == 2 and result["exportedAt"] > 0
    items = json.loads(result["data"])
    assert [i["conversationId"] for i in items] == ["c1", "c3"]
    assert list(items[0]) == ["conversationId", "type", "participants", "messages", "messageCount", "createdAt",
                              "updatedAt", "metadata"]
    assert items[0]["messages"][0]["content"] == "hello" and items[0]["metadata"] == {"a": 1, "b": 2}
    assert items[1]["metadata"] == {}  # stored as {} (metadata || {})
    assert '\n  {\n    "conversationId": "c1",\n' in result["data"]
    assert '"metadata": {\n      "a": 1,\n      "b": 2\n    }' in result["data"]
    plain = await call(backend, "conversations:exportConversations", {"format": "json", "userId": "u2"})
    assert [list(i) for i in json.loads(plain["data"])] == [
        ["conversationId", "type", "participants", "messages", "messageCount", "createdAt", "updatedAt"]]
    empty = await call(backend, "conversations:exportConversations", {"format": "json", "memorySpaceId": "none"})
    assert empty["data"] == "[]" and empty["count"] == 0


async def test_export_csv(backend):
    await create(backend, "c1", user="u1", agent="a1", metadata={"k": "v"})
    await add(backend, "c1", "m1", "never exported")
    doc = await call(backend, "conversations:get", {"conversationId": "c1"})
    result = await call(backend, "conversations:exportConversations", {"format": "csv", "includeMetadata": True})
    lines = result["data"].split("\n")
    assert lines[0] == "conversationId,type,participants,messageCount,createdAt,updatedAt,metadata"
    assert len(lines) == 2 and "never exported" not in result["data"]
    row = next(csv.reader([lines[1]]))
    assert row[0] == "c1" and row[1] == "user-agent"
    assert row[2] == '{"agentId":"a1","userId":"u1"}' and row[3] == "1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row[4])
    parsed = datetime.strptime(row[5], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert round(parsed.timestamp() * 1000) == doc["updatedAt"]
    assert row[6] == '{"k":"v"}'
    args = {"format": "csv", "dateStart": doc["createdAt"] + 1}
    no_meta = await call(backend, "conversations:exportConversations", args)
    assert no_meta["data"] == "conversationId,type,participants,messageCount,createdAt,updatedAt"
    assert no_meta["count"] == 0
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "conversations:exportConversations", {"format": "xml"})
    assert err.value.field == "format"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "conversations:exportConversations", {})
    assert err.value.field == "format"
