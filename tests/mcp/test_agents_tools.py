"""The default `agents` toolset through a real MCP client."""

import pytest

from tests.helpers import fails, ok

pytestmark = pytest.mark.anyio


async def test_register_get_list(client):
    agent = await ok(client, "register_agent", {"agent_id": "planner", "name": "Planner", "metadata": {"team": "ops"}})
    assert agent["agent_id"] == "planner" and agent["status"] == "active" and agent["metadata"] == {"team": "ops"}
    await ok(client, "register_agent", {"agent_id": "coder", "name": "Coder"})
    assert (await ok(client, "get_agent", {"agent_id": "planner"}))["name"] == "Planner"
    listed = await ok(client, "list_agents", {})
    assert [a["agent_id"] for a in listed["agents"]] == ["coder", "planner"]
    assert [a["agent_id"] for a in (await ok(client, "list_agents", {"offset": 1}))["agents"]] == ["planner"]


async def test_errors_are_actionable(client):
    await ok(client, "register_agent", {"agent_id": "planner", "name": "Planner"})
    text = await fails(client, "register_agent", {"agent_id": "planner", "name": "Again"})
    assert "AGENT_ALREADY_REGISTERED" in text and "get_agent" in text
    text = await fails(client, "get_agent", {"agent_id": "ghost"})
    assert "AGENT_NOT_REGISTERED" in text and "agent_id" in text
    assert "name" in await fails(client, "register_agent", {"agent_id": "x", "name": ""})
    assert "agent_id" in await fails(client, "register_agent", {"name": "x"})
    assert "status" in await fails(client, "list_agents", {"status": "gone"})
    assert len((await ok(client, "list_agents", {}))["agents"]) == 1
