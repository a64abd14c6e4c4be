"""Context chains and agent-to-agent messages through MCP."""

import anyio
import pytest
from mcp import Client

from cortex_mcp.backends.base import call
from cortex_mcp.server import build_server
from tests.helpers import fails, make_config, ok

pytestmark = pytest.mark.anyio


async def test_context_tree_chain_update_and_delete_rules(client):
    root = await ok(client, "create_context", {"purpose": "Launch the product"})
    assert root["depth"] == 0 and root["root_id"] == root["context_id"] and root["status"] == "active"
    a = await ok(client, "create_context", {"purpose": "Write docs", "parent_id": root["context_id"]})
    b = await ok(client, "create_context", {"purpose": "Ship release", "parent_id": root["context_id"]})
    grandchild = await ok(client, "create_context", {"purpose": "API reference", "parent_id": a["context_id"]})
    assert grandchild["depth"] == 2 and grandchild["root_id"] == root["context_id"]

    chain = await ok(client, "get_context", {"context_id": grandchild["context_id"]})
    assert chain["root"]["context_id"] == root["context_id"] and chain["depth"] == 2
    assert chain["parent"]["context_id"] == a["context_id"]
    assert [c["context_id"] for c in chain["ancestors"]] == [root["context_id"], a["context_id"]]
    top = await ok(client, "get_context", {"context_id": root["context_id"]})
    assert {c["context_id"] for c in top["children"]} == {a["context_id"], b["context_id"]}
    assert len(top["descendants"]) == 3

    done = await ok(
        client, "update_context", {"context_id": b["context_id"], "status": "completed", "data": {"tag": "v1"}}
    )
    assert (
        done["status"] == "completed"
        and done["completed_at"]
        and done["version"] == 2
        and done["data"] == {"tag": "v1"}
    )

    # deleting the root without cascade is refused; with cascade everything goes
    text = await fails(client, "contexts_delete_context", {"contextId": root["context_id"]})
    assert "HAS_CHILDREN" in text
    deleted = await ok(client, "contexts_delete_context", {"contextId": root["context_id"], "cascadeChildren": True})
    assert deleted["result"]["descendantsDeleted"] == 3
    for ctx in (root, a, b, grandchild):
        assert "CONTEXT_NOT_FOUND" in await fails(client, "get_context", {"context_id": ctx["context_id"]})


async def test_context_input_errors(client):
    assert "PARENT_NOT_FOUND" in await fails(client, "create_context", {"purpose": "x", "parent_id": "ctx-1-abc"})
    assert "parent_id" in await fails(client, "create_context", {"purpose": "x", "parent_id": "nope"})
    assert "purpose" in await fails(client, "create_context", {"purpose": "   "})
    assert "status" in await fails(client, "update_context", {"context_id": "ctx-1-abc", "status": "paused"})
    assert "CONTEXT_NOT_FOUND" in await fails(
        client, "update_context", {"context_id": "ctx-1-abc", "status": "blocked"}
    )


@pytest.fixture
async def pair(backend, tmp_path):
    """Two agents (alice, bob) on one store, each with its own MCP server."""
    toolsets = ("default", "agents", "a2a")
    alice = build_server(make_config(tmp_path, agent_id="alice", toolsets=toolsets), backend=backend)
    bob = build_server(make_config(tmp_path, agent_id="bob", toolsets=toolsets), backend=backend)
    async with Client(alice) as a, Client(bob) as b:
        for name in ("alice", "bob"):
            await ok(a, "register_agent", {"agent_id": name, "name": name.title()})
        yield a, b


async def test_send_and_inbox(pair):
    alice, bob = pair
    sent = await ok(alice, "a2a_send", {"to_agent": "bob", "message": "The build is green", "importance": 80})
    assert sent["message_id"].startswith("a2a-msg-") and sent["conversation_id"] == "a2a-conv-alice-bob"
    inbox = await ok(bob, "a2a_inbox", {})
    assert [m["message"] for m in inbox["messages"]] == ["The build is green"]
    assert inbox["messages"][0]["from_agent"] == "alice" and inbox["awaiting_reply"] == 0
    assert (await ok(alice, "a2a_inbox", {}))["messages"] == []  # sent messages are not in the sender's inbox


async def test_request_reply_round_trip(pair):
    alice, bob = pair
    answer: dict = {}

    async def bob_answers():
        for _ in range(100):
            inbox = await ok(bob, "a2a_inbox", {"awaiting_reply_only": True})
            if inbox["messages"]:
                request = inbox["messages"][0]
                assert request["message"] == "What is the deploy window?" and request["awaiting_reply"]
                answer.update(
                    await ok(bob, "a2a_reply", {"request_id": request["request_id"], "message": "Fridays 10-12"})
                )
                return
            await anyio.sleep(0.05)

    async with anyio.create_task_group() as tg:
        tg.start_soon(bob_answers)
        result = await ok(
            alice, "a2a_request", {"to_agent": "bob", "message": "What is the deploy window?", "timeout_ms": 10000}
        )
    assert result["reply"]["message"] == "Fridays 10-12" and result["reply"]["from_agent"] == "bob"
    assert result["reply"]["in_reply_to"] == result["request_id"] == answer["request_id"]
    assert (await ok(bob, "a2a_inbox", {}))["awaiting_reply"] == 0


async def test_request_times_out_clearly(pair, instant_waits):
    alice, _ = pair
    text = await fails(alice, "a2a_request", {"to_agent": "bob", "message": "anyone?", "timeout_ms": 1000})
    assert "A2A_TIMEOUT" in text and "a2a_inbox" in text


async def test_a2a_validation(pair):
    alice, bob = pair
    assert "SAME_AGENT_COMMUNICATION" in await fails(alice, "a2a_send", {"to_agent": "alice", "message": "hi"})
    assert "message" in await fails(alice, "a2a_send", {"to_agent": "bob", "message": ""})
    text = await fails(alice, "a2a_send", {"to_agent": "bob", "message": "x" * 102_401})
    assert "TOO_LARGE" in text and "(field: message)" in text  # the tool edge's limit (limits.py) comes first
    assert "importance" in await fails(alice, "a2a_send", {"to_agent": "bob", "message": "hi", "importance": 101})
    assert "INVALID_AGENT_ID" in await fails(alice, "a2a_send", {"to_agent": "bad id!", "message": "hi"})
    assert "REQUEST_NOT_FOUND" in await fails(bob, "a2a_reply", {"request_id": "a2a-req-1-x", "message": "?"})
    assert (await ok(bob, "a2a_inbox", {}))["messages"] == []


async def test_inbox_keeps_the_context_and_metadata_the_sender_attached(pair):
    alice, bob = pair
    context = await ok(alice, "create_context", {"purpose": "Release 2.1"})
    await ok(alice, "a2a_send", {"to_agent": "bob", "message": "Please review the notes",
                                 "context_id": context["context_id"], "metadata": {"ticket": "REL-21", "tags": ["x"]}})
    message = (await ok(bob, "a2a_inbox", {}))["messages"][0]
    assert message["context_id"] == context["context_id"]
    assert message["metadata"] == {"ticket": "REL-21", "tags": ["x"]}
    plain = await ok(alice, "a2a_send", {"to_agent": "bob", "message": "no extras"})
    newest = (await ok(bob, "a2a_inbox", {}))["messages"][0]
    assert newest["message_id"] == plain["message_id"] and "context_id" not in newest and "metadata" not in newest


async def test_unregistered_recipients_are_refused_with_the_closest_ids(pair, backend):
    alice, _ = pair
    await ok(alice, "register_agent", {"agent_id": "planner-agent", "name": "Planner"})
    text = await fails(alice, "a2a_send", {"to_agent": "planer-agent", "message": "hi"})
    assert "AGENT_NOT_REGISTERED" in text and "planner-agent" in text and "to_agent" in text
    assert "allow_unregistered" in text
    text = await fails(alice, "a2a_request", {"to_agent": "bobb", "message": "hi", "timeout_ms": 1000})
    assert "AGENT_NOT_REGISTERED" in text and "bob" in text
    assert await call(backend, "memories:count", {"memorySpaceId": "planer-agent"}) == 0
    sent = await ok(alice, "a2a_send", {"to_agent": "planer-agent", "message": "hi", "allow_unregistered": True})
    assert sent["receiver_memory_id"]


async def test_the_receiver_can_get_memory_its_inbox_message_ids(pair):
    alice, bob = pair
    await ok(alice, "a2a_send", {"to_agent": "bob", "message": "The build is green"})
    message = (await ok(bob, "a2a_inbox", {}))["messages"][0]
    by_message_id = await ok(bob, "get_memory", {"memory_id": message["message_id"]})
    by_memory_id = await ok(bob, "get_memory", {"memory_id": message["memory_id"]})
    assert by_message_id["memory_id"] == by_memory_id["memory_id"] == message["memory_id"]
    assert by_message_id["content"] == "Received from alice: The build is green"
