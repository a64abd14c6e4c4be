"""a2a:* against spec/backend/a2a.md (deviations: cortex_mcp/backends/embedded/handlers/a2a.py)."""

import re

import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.errors import ArgumentValidationError, FunctionError
from tests.helpers import tick

pytestmark = pytest.mark.anyio


async def send(backend, frm="a", to="b", message="hello", **extra):
    return await call(backend, "a2a:send", {"from": frm, "to": to, "message": message, **extra})


async def broadcast(backend, frm="a", to=("b", "c"), message="all hands", **extra):
    return await call(backend, "a2a:broadcast", {"from": frm, "to": list(to), "message": message, **extra})


async def conv(backend, agent1="a", agent2="b", **extra):
    return await call(backend, "a2a:getConversation", {"agent1": agent1, "agent2": agent2, **extra})


def rows(backend, table, index=None, *values):
    def read(tx):
        q = tx.query(table)
        return (q.index(index, *values) if index else q).collect()

    return backend.store.run(False, read)


def memories(backend, space):
    return rows(backend, "memories", "by_memorySpace", space)


def total_rows(backend):
    return len(rows(backend, "memories")) + len(rows(backend, "conversations"))



# -- send -----------------------------------------------------------------------------------------
async def test_send_returns_ids_and_stores_both_sides(backend):
    r = await send(backend)
    now = r["sentAt"]
    assert re.fullmatch(rf"a2a-msg-{now}-[0-9a-z]{{1,9}}", r["messageId"])
    assert r["conversationId"] == "a2a-conv-a-b"
    assert re.fullmatch(rf"a2a-acid-{now}-[0-9a-z]{{1,9}}", r["acidMessageId"])
    assert re.fullmatch(rf"mem-a2a-{now}-[0-9a-z]{{1,9}}", r["senderMemoryId"])
    assert re.fullmatch(rf"mem-a2a-{now + 1}-[0-9a-z]{{1,9}}", r["receiverMemoryId"])
    [out] = memories(backend, "a")
    ref = {"conversationId": "a2a-conv-a-b", "messageIds": [r["acidMessageId"]]}
    assert out["memoryId"] == r["senderMemoryId"] and out["content"] == "Sent to b: hello"
    assert out["contentType"] == "raw" and out["sourceType"] == "a2a" and out["sourceTimestamp"] == now
    assert out["importance"] == 60 and out["tags"] == ["a2a", "sent", "b"] and out["conversationRef"] == ref
    assert out["metadata"] == {"direction": "outbound", "fromAgent": "a", "toAgent": "b", "messageId": r["messageId"]}
    assert out["version"] == 1 and out["previousVersions"] == [] and out["accessCount"] == 0
    assert out["createdAt"] == out["updatedAt"] == now
    for absent in ("userId", "embedding", "participantId", "agentId", "tenantId", "messageRole"):
        assert absent not in out
    [inb] = memories(backend, "b")
    assert inb["memoryId"] == r["receiverMemoryId"] and inb["content"] == "Received from a: hello"
    assert inb["tags"] == ["a2a", "received", "a"] and inb["conversationRef"] == ref
    assert inb["metadata"] == {"direction": "inbound", "fromAgent": "a", "toAgent": "b", "messageId": r["messageId"]}
    [c] = rows(backend, "conversations")
    assert c["conversationId"] == "a2a-conv-a-b" and c["memorySpaceId"] == "a" and c["type"] == "agent-agent"
    assert c["participants"] == {"memorySpaceIds": ["a", "b"]} and c["metadata"] == {"a2a": True, "agents": ["a", "b"]}
    assert c["messageCount"] == 1 and "tenantId" not in c and "participantId" not in c
    assert c["messages"] == [
        {
            "id": r["acidMessageId"],
            "role": "agent",
            "content": "hello",
            "participantId": "a",
            "metadata": {"fromAgent": "a", "toAgent": "b", "messageId": r["messageId"], "timestamp": now},
            "timestamp": now,
        }
    ]


async def test_send_both_directions_share_one_conversation(backend):
    await send(backend, "zed", "amy", "first")
    r = await send(backend, "amy", "zed", "reply")
    assert r["conversationId"] == "a2a-conv-amy-zed"
    [c] = rows(backend, "conversations")
    assert c["memorySpaceId"] == "zed" and c["participants"]["memorySpaceIds"] == ["zed", "amy"]
    assert c["messageCount"] == 2 and [m["content"] for m in c["messages"]] == ["first", "reply"]
    assert c["messages"][1]["participantId"] == "amy"


async def test_send_user_context_importance_and_metadata_merge(backend):
    meta = {"tags": ["urgent", "q"], "direction": "custom", "requestId": "r1"}
    r = await send(backend, userId="u1", contextId="ctx-1", importance=0, metadata=meta, autoEmbed=True)
    [out] = memories(backend, "a")
    assert out["userId"] == "u1" and out["importance"] == 0
    assert out["tags"] == ["a2a", "sent", "b", "urgent", "q"]
    assert out["metadata"] == {
        "direction": "custom",  # caller keys win
        "fromAgent": "a",
        "toAgent": "b",
        "messageId": r["messageId"],
        "contextId": "ctx-1",
        "tags": ["urgent", "q"],
        "requestId": "r1",
    }
    [inb] = memories(backend, "b")
    assert inb["metadata"]["requestId"] == "r1" and inb["tags"] == ["a2a", "received", "a", "urgent", "q"]
    [c] = rows(backend, "conversations")
    assert c["messages"][0]["metadata"]["requestId"] == "r1" and "contextId" not in c["messages"][0]["metadata"]


async def test_send_metadata_edge_values(backend):
    await send(backend, metadata=None)
    assert memories(backend, "a")[0]["metadata"]["direction"] == "outbound"
    await send(backend, "c", "d", metadata={"tags": "solo"})
    assert memories(backend, "c")[0]["tags"] == ["a2a", "sent", "d", "solo"]  # deviation: not split into chars
    before = total_rows(backend)
    with pytest.raises(FunctionError) as err:
        await send(backend, metadata={"tags": [1]})
    assert "does not match the schema" in err.value.message
    assert total_rows(backend) == before


async def test_send_without_tracking(backend):
    r = await send(backend, trackConversation=False)
    assert set(r) == {"messageId", "sentAt", "senderMemoryId", "receiverMemoryId"}
    assert rows(backend, "conversations") == []
    assert "conversationRef" not in memories(backend, "a")[0]


SEND_ERRORS = [
    ({"from": " \t"}, "INVALID_AGENT_ID: 'from' agent ID is required"),
    ({"from": "", "message": ""}, "INVALID_AGENT_ID: 'from' agent ID is required"),
    ({"to": "\u3000\ufeff"}, "INVALID_AGENT_ID: 'to' agent ID is required"),
    ({"message": "\n \u00a0"}, "EMPTY_MESSAGE: Message cannot be empty"),
    ({"message": "é" * 51201}, "MESSAGE_TOO_LARGE: Message exceeds 100KB limit (current size: 100KB)"),
    ({"message": "x" * 204800, "to": "a"}, "MESSAGE_TOO_LARGE: Message exceeds 100KB limit (current size: 200KB)"),
    ({"to": "a"}, "SAME_AGENT_COMMUNICATION: Cannot send message to self"),
    ({"importance": -1}, "INVALID_IMPORTANCE: Importance must be between 0 and 100"),
    ({"importance": 100.5}, "INVALID_IMPORTANCE: Importance must be between 0 and 100"),
]


async def test_send_validation_errors_are_plain_and_write_nothing(backend):
    for args, text in SEND_ERRORS:
        with pytest.raises(FunctionError) as err:
            await call(backend, "a2a:send", {"from": "a", "to": "b", "message": "hi", **args})
        assert text in err.value.message and err.value.code == "FUNCTION_ERROR", args
    assert total_rows(backend) == 0


async def test_send_limits_accept_boundaries(backend):
    r = await send(backend, message="x" * 102400, importance=100)
    assert r["messageId"].startswith("a2a-msg-")
    await send(backend, message="\u0085", importance=0)  # not JS whitespace: a real message
    assert len(memories(backend, "a")) == 2


async def test_send_argument_validation(backend):
    cases = [
        ({"importance": True}, "importance"),
        ({"userId": None}, "userId"),
        ({"contextId": 1}, "contextId"),
        ({"trackConversation": None}, "trackConversation"),
        ({"tenantId": "t"}, "tenantId"),
        ({"from": None}, "from"),
    ]
    for extra, field in cases:
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "a2a:send", {"from": "a", "to": "b", "message": "hi", **extra})
        assert err.value.field == field
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "a2a:send", {"from": "a", "message": "hi"})
    assert err.value.field == "to"
    assert total_rows(backend) == 0


# -- request --------------------------------------------------------------------------------------
async def test_request_always_refuses_and_stores_nothing(backend):
    with pytest.raises(FunctionError) as err:
        await call(
            backend, "a2a:request", {"from": "a", "to": "b", "message": "status?", "timeout": 1000, "retries": 3}
        )
    assert err.value.has_data
    assert re.fullmatch(
        r"PUBSUB_NOT_CONFIGURED: request\(\) requires pub/sub infrastructure for real-time responses\. "
        r"In Direct Mode, configure your own Redis/RabbitMQ/NATS adapter\. "
        r"In Cloud Mode, pub/sub is included automatically\. "
        r"Request stored with messageId: a2a-req-\d+-[0-9a-z]{1,9}",
        err.value.data,
    )
    assert err.value.code == err.value.data
    assert total_rows(backend) == 0


REQUEST_ERRORS = [
    ({"from": ""}, "INVALID_AGENT_ID: 'from' agent ID is required"),
    ({"to": " "}, "INVALID_AGENT_ID: 'to' agent ID is required"),
    ({"message": " "}, "EMPTY_MESSAGE: Message cannot be empty"),
    ({"message": "x" * 102401}, "MESSAGE_TOO_LARGE: Message exceeds 100KB limit (current size: 100KB)"),
    ({"to": "a"}, "SAME_AGENT_COMMUNICATION: Cannot send request to self"),
    ({"timeout": 999}, "INVALID_TIMEOUT: Timeout must be between 1000ms and 300000ms"),
    ({"timeout": 300001, "importance": 500}, "INVALID_TIMEOUT: Timeout must be between 1000ms and 300000ms"),
    ({"importance": 101}, "INVALID_IMPORTANCE: Importance must be between 0 and 100"),
]


async def test_request_validation(backend):
    for args, text in REQUEST_ERRORS:
        with pytest.raises(FunctionError) as err:
            await call(backend, "a2a:request", {"from": "a", "to": "b", "message": "q", **args})
        assert text in err.value.message and not err.value.has_data, args


async def test_request_rejects_send_only_arguments(backend):
    for key, value in (("metadata", {}), ("trackConversation", False), ("timeout", None)):
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "a2a:request", {"from": "a", "to": "b", "message": "q", key: value})
        assert err.value.field == key


# -- broadcast ------------------------------------------------------------------------------------
async def test_broadcast_shape_and_rows(backend):
    r = await broadcast(backend, to=["b", "c"], contextId="ctx-9", metadata={"tags": ["all"], "k": 1})
    now = r["sentAt"]
    bid = r["messageId"]
    assert re.fullmatch(rf"a2a-broadcast-{now}-[0-9a-z]{{1,9}}", bid)
    assert r["recipients"] == ["b", "c"] and r["memoriesCreated"] == 4
    assert r["conversationIds"] == ["a2a-conv-a-b", "a2a-conv-a-c"]
    assert [
        re.fullmatch(rf"mem-a2a-bc-{now}-{i}-s-[0-9a-z]{{1,5}}", x) is not None
        for i, x in enumerate(r["senderMemoryIds"])
    ] == [True, True]
    assert re.fullmatch(rf"mem-a2a-bc-{now}-1-r-[0-9a-z]{{1,5}}", r["receiverMemoryIds"][1])
    sent = memories(backend, "a")
    assert [m["content"] for m in sent] == ["Broadcast to b: all hands", "Broadcast to c: all hands"]
    assert sent[1]["tags"] == ["a2a", "broadcast", "sent", "c", "all"]
    assert sent[1]["metadata"] == {
        "direction": "outbound",
        "fromAgent": "a",
        "toAgent": "c",
        "messageId": f"{bid}-1",
        "broadcastId": bid,
        "broadcast": True,
        "contextId": "ctx-9",
        "tags": ["all"],
        "k": 1,
    }
    [got] = memories(backend, "c")
    assert got["content"] == "Broadcast from a: all hands" and got["tags"] == [
        "a2a",
        "broadcast",
        "received",
        "a",
        "all",
    ]
    assert got["metadata"]["direction"] == "inbound" and got["importance"] == 60
    conv_c = rows(backend, "conversations", "by_conversationId", "a2a-conv-a-c")[0]
    msg = conv_c["messages"][0]
    assert re.fullmatch(rf"a2a-acid-{now}-1-[0-9a-z]{{1,5}}", msg["id"])
    assert got["conversationRef"] == {"conversationId": "a2a-conv-a-c", "messageIds": [msg["id"]]}
    assert msg["metadata"] == {
        "fromAgent": "a",
        "toAgent": "c",
        "messageId": f"{bid}-1",
        "broadcastId": bid,
        "broadcast": True,
        "timestamp": now,
        "tags": ["all"],
        "k": 1,
    }


async def test_broadcast_without_tracking(backend):
    r = await broadcast(backend, to=["b"], trackConversation=False, userId="u", importance=5)
    assert "conversationIds" not in r and r["memoriesCreated"] == 2
    assert rows(backend, "conversations") == []
    [m] = memories(backend, "b")
    assert "conversationRef" not in m and m["userId"] == "u" and m["importance"] == 5


BROADCAST_ERRORS = [
    ({"from": " "}, "INVALID_AGENT_ID: 'from' agent ID is required"),
    ({"message": "", "to": []}, "EMPTY_MESSAGE: Message cannot be empty"),
    ({"message": "y" * 102401, "to": []}, "MESSAGE_TOO_LARGE: Message exceeds 100KB limit (current size: 100KB)"),
    ({"to": []}, "EMPTY_RECIPIENTS: Recipients array cannot be empty"),
    ({"to": [f"r{i}" for i in range(101)]}, "TOO_MANY_RECIPIENTS: Maximum 100 recipients allowed"),
    ({"to": ["b", "b", "a"]}, "DUPLICATE_RECIPIENTS: Recipients array contains duplicates"),
    ({"to": ["b", "a", " "]}, "INVALID_RECIPIENT: Sender cannot be in recipients list"),
    ({"to": ["b", " "]}, "INVALID_AGENT_ID: All recipient IDs must be non-empty"),
    ({"importance": -0.5}, "INVALID_IMPORTANCE: Importance must be between 0 and 100"),
]


async def test_broadcast_validation(backend):
    for args, text in BROADCAST_ERRORS:
        with pytest.raises(FunctionError) as err:
            await call(backend, "a2a:broadcast", {"from": "a", "to": ["b"], "message": "m", **args})
        assert text in err.value.message and not err.value.has_data, args
    assert total_rows(backend) == 0


async def test_broadcast_argument_validation(backend):
    for extra, field in ((({"autoEmbed": True}), "autoEmbed"), ({"to": ["b", 1]}, "to[1]"), ({"to": "b"}, "to")):
        with pytest.raises(ArgumentValidationError) as err:
            await call(backend, "a2a:broadcast", {"from": "a", "to": ["b"], "message": "m", **extra})
        assert err.value.field == field


async def test_broadcast_of_100_recipients_succeeds(backend):
    r = await broadcast(backend, to=[f"r{i}" for i in range(100)], trackConversation=False)
    assert r["memoriesCreated"] == 200 and len(r["receiverMemoryIds"]) == 100


# -- getConversation ------------------------------------------------------------------------------
async def test_get_conversation_messages(backend):
    s1 = await send(backend, "a", "b", "hi b", metadata={"tags": ["t1"]})
    tick()
    s2 = await send(backend, "b", "a", "hi a", importance=90)
    tick()
    bc = await broadcast(backend, "a", ["b", "c"], "everyone: listen", metadata={"tags": ["t2", "t1"]})
    await send(backend, "a", "c", "not for b")
    out = await conv(backend)
    assert out["participants"] == ["a", "b"] and out["conversationId"] == "a2a-conv-a-b"
    assert out["canRetrieveFullHistory"] is True and out["messageCount"] == 3
    m1, m2, m3 = out["messages"]
    assert m1 == {
        "from": "a",
        "to": "b",
        "message": "hi b",
        "importance": 60,
        "timestamp": s1["sentAt"],
        "messageId": s1["messageId"],
        "memoryId": s1["senderMemoryId"],
        "acidMessageId": s1["acidMessageId"],
        "tags": ["t1"],
        "direction": "outbound",
    }
    assert m2["from"] == "b" and m2["direction"] == "inbound" and m2["message"] == "hi a" and m2["tags"] == []
    assert m2["memoryId"] == s2["receiverMemoryId"] and m2["importance"] == 90
    assert m3["message"] == "everyone: listen" and m3["broadcast"] is True and m3["broadcastId"] == bc["messageId"]
    assert m3["messageId"] == bc["messageId"] + "-0" and m3["tags"] == ["t2", "t1"]
    assert out["tags"] == ["t1", "t2"]
    assert out["period"] == {"start": s1["sentAt"], "end": bc["sentAt"]}
    other_side = await conv(backend, "b", "a")
    assert [m["direction"] for m in other_side["messages"]] == ["inbound", "outbound", "inbound"]


async def test_get_conversation_filters_and_paging(backend):
    s1 = await send(backend, message="one", userId="u1", importance=10)
    tick()
    s2 = await send(backend, message="two", metadata={"tags": ["x"]}, importance=50)
    tick()
    s3 = await send(backend, message="three", userId="u1", importance=80)
    def texts(out):
        return [m["message"] for m in out["messages"]]
    assert texts(await conv(backend, since=s2["sentAt"])) == ["two", "three"]
    assert texts(await conv(backend, until=s2["sentAt"])) == ["one", "two"]
    assert texts(await conv(backend, since=0, until=0)) == ["one", "two", "three"]
    assert texts(await conv(backend, minImportance=50)) == ["two", "three"]
    assert texts(await conv(backend, tags=["x", "nope"])) == ["two"]
    assert texts(await conv(backend, tags=["sent"])) == ["one", "two", "three"]  # raw stored tags
    assert texts(await conv(backend, tags=[])) == ["one", "two", "three"]
    assert texts(await conv(backend, userId="u1")) == ["one", "three"]
    assert texts(await conv(backend, userId="")) == ["one", "two", "three"]
    page = await conv(backend, limit=1, offset=1)
    assert texts(page) == ["two"] and page["messageCount"] == 3
    assert page["period"] == {"start": s2["sentAt"], "end": s2["sentAt"]} and page["tags"] == ["x"]
    empty = await conv(backend, offset=5)
    assert empty["messages"] == [] and empty["messageCount"] == 3 and "tags" not in empty
    assert empty["period"]["start"] == empty["period"]["end"] >= s3["sentAt"]
    assert s1["sentAt"] < s3["sentAt"]


async def test_get_conversation_untracked_and_prefix_rules(backend):
    await send(backend, "x:y", "b", "colon: kept", trackConversation=False)
    await send(backend, "x:y", "b", "Sent to z: inner", trackConversation=False)
    out = await conv(backend, "b", "x:y")
    assert "conversationId" not in out and out["canRetrieveFullHistory"] is False
    # "Received from x:y: ..." is not stripped: the sender id holds a colon
    assert [m["message"] for m in out["messages"]] == [
        "Received from x:y: colon: kept",
        "Received from x:y: Sent to z: inner",
    ]
    assert all("acidMessageId" not in m for m in out["messages"])
    other = await conv(backend, "b", "c")
    assert other["messages"] == [] and other["messageCount"] == 0 and other["participants"] == ["b", "c"]
    assert other["period"]["start"] == other["period"]["end"]


async def test_get_conversation_metadata_fallbacks(backend):
    r = await send(backend, metadata={"messageId": "", "fromAgent": "a"})
    [m] = (await conv(backend))["messages"]
    assert m["messageId"] == r["senderMemoryId"] and m["from"] == "a"
    r2 = await send(backend, "a", "b", "custom id", metadata={"messageId": "my-req-1"})
    assert (await conv(backend, "b", "a"))["messages"][1]["messageId"] == "my-req-1"
    assert r2["messageId"] != "my-req-1"


GET_CONVERSATION_ERRORS = [
    ({"agent1": " "}, "INVALID_AGENT_ID: 'agent1' is required"),
    ({"agent2": ""}, "INVALID_AGENT_ID: 'agent2' is required"),
    ({"limit": 0}, "INVALID_LIMIT: Limit must be between 1 and 1000"),
    ({"limit": 1001}, "INVALID_LIMIT: Limit must be between 1 and 1000"),
    ({"offset": -1}, "INVALID_OFFSET: Offset cannot be negative"),
    ({"since": 10, "until": 5}, "INVALID_DATE_RANGE: 'since' must be before 'until'"),
    ({"minImportance": 101}, "INVALID_IMPORTANCE: minImportance must be between 0 and 100"),
    ({"minImportance": -1, "limit": 5}, "INVALID_IMPORTANCE: minImportance must be between 0 and 100"),
]


async def test_get_conversation_validation(backend):
    for args, text in GET_CONVERSATION_ERRORS:
        with pytest.raises(FunctionError) as err:
            await call(backend, "a2a:getConversation", {"agent1": "a", "agent2": "b", **args})
        assert text in err.value.message and not err.value.has_data, args


async def test_get_conversation_argument_validation(backend):
    for extra, field in (
        ({"limit": None}, "limit"),
        ({"tags": "x"}, "tags"),
        ({"since": False}, "since"),
        ({"agent3": "c"}, "agent3"),
    ):
        with pytest.raises(ArgumentValidationError) as err:
            await conv(backend, **extra)
        assert err.value.field == field
    ok = await conv(backend, limit=1000, offset=0, since=5, until=5, minImportance=0)
    assert ok["messageCount"] == 0
