"""Contract of the `agents` module (spec/backend/agents.md): the optional agent registry."""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.enums import AGENT_STATUSES
from cortex_mcp.contract.validators import v

o = v.optional


def _status():
    return v.enum(*AGENT_STATUSES)


FUNCTIONS = [
    query(
        "agents:get",
        {"agentId": v.string().describe("Agent id")},
        "Get one registered agent by id; null when it is not registered.",
        returns="agent document or null",
    ),
    query(
        "agents:list",
        {
            "status": o(_status()).describe("Only agents with this status"),
            "limit": o(v.number()).describe("Max agents (default 100)"),
            "offset": o(v.number()).describe("Agents to skip"),
        },
        "List registered agents, newest registration first.",
        returns="array of agent documents",
    ),
    query(
        "agents:count",
        {"status": o(_status()).describe("Count only this status")},
        "Count registered agents.",
        returns="number",
    ),
    query(
        "agents:exists",
        {"agentId": v.string().describe("Agent id")},
        "Check whether an agent id is registered.",
        returns="boolean",
    ),
    query(
        "agents:computeStats",
        {"agentId": v.string().describe("Agent id (need not be registered)")},
        "Activity statistics of an agent: memories, conversations and facts it took part in (sampled).",
        returns="{totalMemories, totalConversations, totalFacts, memorySpacesActive, lastActive?, isApproximate}",
    ),
    mutation(
        "agents:register",
        {
            "agentId": v.string().describe("Unique agent id"),
            "name": v.string().describe("Display name"),
            "description": o(v.string()).describe("What the agent does"),
            "metadata": o(v.any()).describe("Free-form metadata"),
            "config": o(v.any()).describe("Free-form configuration"),
        },
        "Register an agent; fails with AGENT_ALREADY_REGISTERED if the id exists.",
        returns="the new agent document",
    ),
    mutation(
        "agents:update",
        {
            "agentId": v.string().describe("Agent id"),
            "name": o(v.string()).describe("New display name"),
            "description": o(v.string()).describe("New description"),
            "metadata": o(v.any()).describe("Replaces the whole metadata"),
            "config": o(v.any()).describe("Replaces the whole config"),
            "status": o(_status()).describe("New status"),
        },
        "Update a registered agent's fields; fails with AGENT_NOT_REGISTERED if unknown.",
        idempotent=True,
        returns="the updated agent document",
    ),
    mutation(
        "agents:updateMany",
        {
            "agentIds": v.array(v.string()).describe("Agents to update"),
            "name": o(v.string()).describe("New display name"),
            "description": o(v.string()).describe("New description"),
            "metadata": o(v.any()).describe("Replaces the whole metadata"),
            "config": o(v.any()).describe("Replaces the whole config"),
        },
        "Apply the same update to several agents; unknown ids are skipped.",
        idempotent=True,
        returns="{updated, agentIds}",
    ),
    mutation(
        "agents:unregister",
        {"agentId": v.string().describe("Agent id")},
        "Remove an agent's registration (its memories stay).",
        destructive=True,
        returns="{deleted: true, agentId}",
    ),
    mutation(
        "agents:unregisterMany",
        {
            "status": o(_status()).describe("Unregister every agent with this status"),
            "agentIds": o(v.array(v.string())).describe("Unregister these agents"),
        },
        "Unregister several agents by ids or by status (one filter is required).",
        destructive=True,
        returns="{deleted, agentIds}",
    ),
    mutation(
        "agents:purgeAll",
        {},
        "Delete every agent registration (test and development use).",
        destructive=True,
        returns="{deleted}",
    ),
]
