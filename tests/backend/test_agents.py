"""agents:* against spec/backend/agents.md."""

import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.errors import ArgumentValidationError, FunctionError

pytestmark = pytest.mark.anyio


async def register(backend, agent_id, **extra):
    return await call(backend, "agents:register", {"agentId": agent_id, "name": agent_id.upper(), **extra})


async def test_register_returns_document_with_defaults(backend):
    doc = await register(backend, "a1", description="helper")
    assert doc["agentId"] == "a1" and doc["name"] == "A1" and doc["description"] == "helper"
    assert doc["metadata"] == {} and doc["config"] == {} and doc["status"] == "active"
    assert doc["registeredAt"] == doc["updatedAt"]
    assert isinstance(doc["_id"], str) and isinstance(doc["_creationTime"], (int, float))
    assert "tenantId" not in doc and "lastActive" not in doc


async def test_register_null_metadata_stores_empty_object(backend):
    doc = await register(backend, "a1", metadata=None, config=0)
    assert doc["metadata"] == {} and doc["config"] == {}


async def test_register_duplicate_is_refused(backend):
    await register(backend, "a1")
    with pytest.raises(FunctionError) as err:
        await register(backend, "a1")
    assert err.value.code == "AGENT_ALREADY_REGISTERED"
    assert await call(backend, "agents:count", {}) == 1


@pytest.mark.parametrize(
    "args, field",
    [
        ({"agentId": "a", "name": None}, "name"),
        ({"agentId": "a"}, "name"),
        ({"agentId": "a", "name": "n", "tenantId": "t"}, "tenantId"),
        ({"agentId": 5, "name": "n"}, "agentId"),
        ({"agentId": "a", "name": "n", "description": None}, "description"),
    ],
)
async def test_register_validation_names_field_and_writes_nothing(backend, args, field):
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "agents:register", args)
    assert err.value.field == field
    assert await call(backend, "agents:count", {}) == 0


async def test_get_exists_and_missing(backend):
    await register(backend, "a1")
    assert (await call(backend, "agents:get", {"agentId": "a1"}))["agentId"] == "a1"
    assert await call(backend, "agents:get", {"agentId": "nope"}) is None
    assert await call(backend, "agents:exists", {"agentId": "a1"}) is True
    assert await call(backend, "agents:exists", {"agentId": "nope"}) is False


async def test_list_order_status_limit_offset(backend):
    for i in range(5):
        await register(backend, f"a{i}")
    await call(backend, "agents:update", {"agentId": "a1", "status": "archived"})
    ids = [a["agentId"] for a in await call(backend, "agents:list", {})]
    assert ids == ["a4", "a3", "a2", "a1", "a0"]
    assert [a["agentId"] for a in await call(backend, "agents:list", {"status": "archived"})] == ["a1"]
    assert [a["agentId"] for a in await call(backend, "agents:list", {"limit": 2})] == ["a4", "a3"]
    assert [a["agentId"] for a in await call(backend, "agents:list", {"limit": 2, "offset": 1})] == ["a3", "a2"]
    assert [a["agentId"] for a in await call(backend, "agents:list", {"offset": -1})] == ["a0"]
    with pytest.raises(FunctionError) as err:
        await call(backend, "agents:list", {"limit": -1})
    assert "must be a non-negative integer" in err.value.message
    with pytest.raises(ArgumentValidationError):
        await call(backend, "agents:list", {"limit": True})
    with pytest.raises(ArgumentValidationError):
        await call(backend, "agents:list", {"status": "Active"})


async def test_count_by_status(backend):
    await register(backend, "a1")
    await register(backend, "a2")
    await call(backend, "agents:update", {"agentId": "a2", "status": "inactive"})
    assert await call(backend, "agents:count", {}) == 2
    assert await call(backend, "agents:count", {"status": "inactive"}) == 1


async def test_update_writes_present_fields_only(backend):
    before = await register(backend, "a1", description="d", metadata={"k": 1})
    after = await call(backend, "agents:update", {"agentId": "a1", "metadata": None, "description": ""})
    assert after["metadata"] is None and after["description"] == "" and after["name"] == "A1"
    assert after["registeredAt"] == before["registeredAt"]
    with pytest.raises(FunctionError) as err:
        await call(backend, "agents:update", {"agentId": "ghost", "name": "x"})
    assert err.value.code == "AGENT_NOT_REGISTERED"


async def test_update_many_skips_unknown_and_rejects_status(backend):
    await register(backend, "a1")
    await register(backend, "a2")
    assert await call(backend, "agents:updateMany", {"agentIds": []}) == {"updated": 0, "agentIds": []}
    result = await call(backend, "agents:updateMany", {"agentIds": ["a2", "ghost", "a1"], "name": "same"})
    assert result == {"updated": 2, "agentIds": ["a2", "a1"]}
    assert (await call(backend, "agents:get", {"agentId": "a1"}))["name"] == "same"
    with pytest.raises(ArgumentValidationError) as err:
        await call(backend, "agents:updateMany", {"agentIds": ["a1"], "status": "archived"})
    assert err.value.field == "status"


async def test_unregister(backend):
    await register(backend, "a1")
    assert await call(backend, "agents:unregister", {"agentId": "a1"}) == {"deleted": True, "agentId": "a1"}
    with pytest.raises(FunctionError) as err:
        await call(backend, "agents:unregister", {"agentId": "a1"})
    assert err.value.code == "AGENT_NOT_REGISTERED"


async def test_unregister_many(backend):
    for i in range(4):
        await register(backend, f"a{i}")
    await call(backend, "agents:update", {"agentId": "a3", "status": "archived"})
    result = await call(backend, "agents:unregisterMany", {"agentIds": ["a0", "a0", "ghost"], "status": "archived"})
    assert result == {"deleted": 1, "agentIds": ["a0"]}  # status ignored when ids are given
    assert await call(backend, "agents:unregisterMany", {"status": "archived"}) == {"deleted": 1, "agentIds": ["a3"]}
    with pytest.raises(FunctionError) as err:
        await call(backend, "agents:unregisterMany", {"agentIds": []})
    assert "INVALID_FILTERS" in err.value.message
    assert await call(backend, "agents:count", {}) == 2


async def test_purge_all_and_rejects_args(backend):
    await register(backend, "a1")
    await register(backend, "a2")
    with pytest.raises(ArgumentValidationError):
        await call(backend, "agents:purgeAll", {"dryRun": True})
    assert await call(backend, "agents:purgeAll", {}) == {"deleted": 2}
    assert await call(backend, "agents:count", {}) == 0


async def test_compute_stats_empty_and_with_memories(backend):
    stats = await call(backend, "agents:computeStats", {"agentId": "a1"})
    assert stats == {
        "totalMemories": 0,
        "totalConversations": 0,
        "totalFacts": 0,
        "memorySpacesActive": 0,
        "isApproximate": False,
    }
