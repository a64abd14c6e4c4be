"""Contract of the `governance` module (spec/backend/governance.md): retention policies and their log.

Upstream governance is mostly a stub: policies are stored and read back, `enforce` only logs a
run (it deletes nothing), and the reports return placeholder numbers.
"""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.validators import v

o = v.optional


def _org():
    return o(v.string()).describe("Organization scope")


def _space():
    return o(v.string()).describe("Memory space scope")


def _scope():
    return v.object({"organizationId": _org(), "memorySpaceId": _space()})


FUNCTIONS = [
    mutation(
        "governance:setPolicy",
        {
            "policy": v.any().describe(
                "GovernancePolicy object (conversations/immutable/mutable/vector/compliance sections); its "
                "optional organizationId / memorySpaceId keys set the scope"
            ),
        },
        "Save a retention policy for an organization, a memory space or globally, replacing that scope's active one.",
        destructive=True,
        returns="{policyId, appliedAt, scope: {organizationId?, memorySpaceId?}, success: true}",
    ),
    mutation(
        "governance:setAgentOverride",
        {
            "memorySpaceId": v.string().describe("Memory space the override applies to"),
            "overrides": v.any().describe("Policy sections to override (shallow-merged over the global policy)"),
        },
        "Set a memory space's policy override, merged over the active global policy.",
        destructive=True,
        returns="null",
    ),
    mutation(
        "governance:enforce",
        {
            "options": o(
                v.object(
                    {
                        "layers": o(v.array(v.string())).describe("Layers to enforce (e.g. conversations, vector)"),
                        "rules": o(v.array(v.string())).describe("Rules to apply (e.g. retention, purging)"),
                        "scope": o(_scope()).describe("Which policy to enforce; required in practice"),
                    }
                )
            ).describe("What to enforce and for which scope"),
        },
        "Record an enforcement run of a scope's active policy (logs the run; deletes no data).",
        returns="{enforcedAt, versionsDeleted, recordsPurged, storageFreed, affectedLayers}",
    ),
    query(
        "governance:getPolicy",
        {"scope": o(_scope()).describe("Scope to look up (memory space first, then organization)")},
        "Get the active retention policy for a memory space or organization (GDPR template when none).",
        returns="policy object",
    ),
    query(
        "governance:getTemplate",
        {"template": v.enum("GDPR", "HIPAA", "SOC2", "FINRA").describe("Compliance template name")},
        "Get a ready-made compliance policy template to start a setPolicy from.",
        returns="policy object",
    ),
    query(
        "governance:simulate",
        {"options": v.any().describe("Simulation options (currently ignored)")},
        "Estimate the impact of a policy (placeholder numbers only).",
        returns="{versionsAffected, recordsAffected, storageFreed, costSavings, breakdown}",
    ),
    query(
        "governance:getComplianceReport",
        {
            "options": o(
                v.object(
                    {
                        "organizationId": _org(),
                        "memorySpaceId": o(v.string()).describe("Only runs logged for this memory space"),
                        "period": v.object(
                            {
                                "start": v.number().describe("Period start, epoch ms (inclusive)"),
                                "end": v.number().describe("Period end, epoch ms (inclusive)"),
                            }
                        ).describe("Reporting period"),
                    }
                )
            ).describe("Report scope and period (default: all time)"),
        },
        "Compliance report for an organization and/or memory space over a period (mostly placeholder figures).",
        returns="{organizationId?, memorySpaceId?, period, generatedAt, conversations, immutable, vector, "
        "dataRetention, userRequests}",
    ),
    query(
        "governance:getEnforcementStats",
        {
            "options": o(
                v.object(
                    {
                        "period": v.string().describe('"7d", "30d", "90d" or "1y" (other values: 30 days)'),
                        "organizationId": _org(),
                        "memorySpaceId": o(v.string()).describe("Only runs logged for this memory space"),
                    }
                )
            ).describe("Period and organization (default: 30 days)"),
        },
        "Totals of the logged enforcement runs of an organization and/or memory space over a recent period.",
        returns="{period: {start, end}, conversations, immutable, vector, mutable, storageFreed, costSavings}",
    ),
    mutation(
        "governance:purgeAllPolicies",
        {},
        "Delete every governance policy (test and development use).",
        destructive=True,
        returns="{deleted}",
    ),
    mutation(
        "governance:purgeAllEnforcement",
        {},
        "Delete the whole enforcement log (test and development use).",
        destructive=True,
        returns="{deleted}",
    ),
]
