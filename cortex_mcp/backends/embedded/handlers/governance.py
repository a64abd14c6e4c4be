"""Embedded handlers of the `governance` module (spec/backend/governance.md).

Policies are stored per scope (organization, memory space, or global) in `governancePolicies`
with one active row per scope; `enforce` only appends to the `governanceEnforcement` log, as
upstream does: no data in other tables is deleted or trimmed. Deviations from upstream (one
active policy per scope, overrides merged over the global policy only, reports that also
filter by memory space) are listed in docs/parity.md.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from cortex_mcp.backends.embedded.handlers import handler
from cortex_mcp.backends.embedded.js import js_spread, truthy
from cortex_mcp.backends.embedded.store import Query, Tx
from cortex_mcp.errors import convex_error, type_error

DAY_MS = 24 * 60 * 60 * 1000
_PERIODS = {"7d": 7 * DAY_MS, "30d": 30 * DAY_MS, "90d": 90 * DAY_MS, "1y": 365 * DAY_MS}
_THREE_YEARS_MS = 94_608_000_000


def _template(
    mode: str,
    conversations: dict,
    immutable_versions: int,
    immutable_by_type: list[str],
    immutable_by_type_extra: dict,
    immutable_cleanup: bool,
    mutable_after: str,
    vector_versions: int,
    by_importance: list[tuple[int, int, int]],
    vector_cleanup: bool,
    delete_orphaned: bool,
    years: int,
    justification: list[int],
) -> dict:
    by_type = {name: {"versionsToKeep": -1} for name in immutable_by_type}
    by_type.update(immutable_by_type_extra)
    return {
        "conversations": conversations,
        "immutable": {
            "retention": {"defaultVersions": immutable_versions, "byType": by_type},
            "purging": {"autoCleanupVersions": immutable_cleanup},
        },
        "mutable": {"retention": {"purgeInactiveAfter": mutable_after}, "purging": {"autoDelete": False}},
        "vector": {
            "retention": {
                "defaultVersions": vector_versions,
                "byImportance": [{"range": [lo, hi], "versions": n} for lo, hi, n in by_importance],
            },
            "purging": {"autoCleanupVersions": vector_cleanup, "deleteOrphaned": delete_orphaned},
        },
        "compliance": {
            "mode": mode,
            "dataRetentionYears": years,
            "requireJustification": justification,
            "auditLogging": True,
        },
    }


TEMPLATES: dict[str, dict] = {
    "GDPR": _template(
        "GDPR",
        {
            "retention": {"deleteAfter": "7y", "archiveAfter": "1y", "purgeOnUserRequest": True},
            "purging": {"autoDelete": True, "deleteInactiveAfter": "2y"},
        },
        20, ["audit-log", "policy"], {"kb-article": {"versionsToKeep": 50}}, True,
        "2y",
        10, [(0, 20, 1), (21, 40, 3), (41, 70, 10), (71, 89, 20), (90, 100, 30)], True, False,
        7, [90, 100],
    ),
    "HIPAA": _template(
        "HIPAA",
        {
            "retention": {"deleteAfter": "6y", "purgeOnUserRequest": True},
            "purging": {"autoDelete": False, "deleteInactiveAfter": "6y"},
        },
        50, ["audit-log", "medical-record", "policy"], {}, False,
        "6y",
        20, [(0, 20, 5), (21, 40, 10), (41, 100, 20)], False, False,
        6, [80, 90, 100],
    ),
    "SOC2": _template(
        "SOC2",
        {
            "retention": {"deleteAfter": "7y", "archiveAfter": "1y", "purgeOnUserRequest": True},
            "purging": {"autoDelete": True, "deleteInactiveAfter": "2y"},
        },
        30, ["audit-log", "access-log", "policy"], {}, True,
        "2y",
        15, [(0, 30, 3), (31, 70, 10), (71, 100, 20)], True, True,
        7, [90, 100],
    ),
    "FINRA": _template(
        "FINRA",
        {
            "retention": {"deleteAfter": "7y", "purgeOnUserRequest": False},
            "purging": {"autoDelete": False, "deleteInactiveAfter": "7y"},
        },
        -1, ["audit-log", "financial-record", "transaction"], {}, False,
        "7y",
        30, [(0, 100, 30)], False, False,
        7, [80, 90, 100],
    ),
}

_SIMULATION = {
    "versionsAffected": 100,
    "recordsAffected": 50,
    "storageFreed": 250,
    "costSavings": 5,
    "breakdown": {
        "conversations": {"affected": 20, "storageMB": 50},
        "immutable": {"affected": 15, "storageMB": 75},
        "mutable": {"affected": 10, "storageMB": 25},
        "vector": {"affected": 55, "storageMB": 100},
    },
}


def _is_active(doc: dict) -> bool:
    return doc["isActive"] is True


def _active_for_space(tx: Tx, memory_space_id: str) -> Query:
    return tx.query("governancePolicies").index("by_memorySpace", memory_space_id).filter(_is_active)


def _active_for_org(tx: Tx, organization_id: str) -> Query:
    return tx.query("governancePolicies").index("by_organization", organization_id).filter(_is_active)


def _active_global(tx: Tx) -> Query:
    """Active policies with neither an organization nor a memory space (`organizationId` missing)."""
    return tx.query("governancePolicies").index("by_active", True, None).filter(lambda d: "memorySpaceId" not in d)


def _deactivate(tx: Tx, rows: list[dict]) -> None:
    done: set[str] = set()
    for row in rows:
        if row["_id"] not in done:
            done.add(row["_id"])
            tx.patch(row["_id"], {"isActive": False, "updatedAt": tx.now})


def _scope_key(value: Any) -> str | None:
    """A scope value to look up: truthy strings only (other values fail the table schema on insert)."""
    return value if isinstance(value, str) and value else None


@handler("governance:setPolicy")
def set_policy(tx: Tx, args: dict) -> Any:
    policy = args["policy"]
    if policy is None:
        raise type_error("Cannot read properties of null (reading 'organizationId')")
    scope = {k: policy[k] for k in ("organizationId", "memorySpaceId") if isinstance(policy, dict) and k in policy}
    org = scope.get("organizationId")
    space = scope.get("memorySpaceId")
    # Deviation: every active row of the scope is replaced (upstream: only the first one found,
    # only the organization's when both keys are set, none for a global policy).
    stale: list[dict] = []
    if org_key := _scope_key(org):
        stale += _active_for_org(tx, org_key).collect()
    if space_key := _scope_key(space):
        stale += _active_for_space(tx, space_key).collect()
    if not scope:  # a global policy replaces the active global one
        stale += _active_global(tx).collect()
    _deactivate(tx, stale)
    policy_id = tx.insert(
        "governancePolicies",
        {**scope, "policy": policy, "isActive": True, "createdAt": tx.now, "updatedAt": tx.now},
    )
    return {"policyId": policy_id, "appliedAt": tx.now, "scope": scope, "success": True}


@handler("governance:setAgentOverride")
def set_agent_override(tx: Tx, args: dict) -> Any:
    space = args["memorySpaceId"]
    # Deviation: the base is the active global policy only (upstream: the oldest active policy
    # without an organizationId, which may be another memory space's override).
    base = _active_global(tx).first()
    base_policy = base["policy"] if base is not None else None
    merged = {**js_spread(base_policy), **js_spread(args["overrides"]), "memorySpaceId": space}
    _deactivate(tx, _active_for_space(tx, space).collect())  # upstream: the first active row only
    tx.insert(
        "governancePolicies",
        {"memorySpaceId": space, "policy": merged, "isActive": True, "createdAt": tx.now, "updatedAt": tx.now},
    )
    return None


@handler("governance:enforce")
def enforce(tx: Tx, args: dict) -> Any:
    options = args.get("options", {})
    scope = options.get("scope", {})
    policy = None
    if truthy(scope.get("memorySpaceId")):
        policy = _active_for_space(tx, scope["memorySpaceId"]).first()
    elif truthy(scope.get("organizationId")):
        policy = _active_for_org(tx, scope["organizationId"]).first()
    if policy is None:
        raise convex_error("No active policy found for scope")
    layers = options.get("layers", [])
    entry = {k: scope[k] for k in ("organizationId", "memorySpaceId") if k in scope}
    entry.update(
        enforcementType="manual",
        layers=layers,
        rules=options.get("rules", []),
        versionsDeleted=0,
        recordsPurged=0,
        storageFreed=0,
        executedAt=tx.now,
    )
    tx.insert("governanceEnforcement", entry)
    return {"enforcedAt": tx.now, "versionsDeleted": 0, "recordsPurged": 0, "storageFreed": 0, "affectedLayers": layers}


@handler("governance:getPolicy")
def get_policy(tx: Tx, args: dict) -> Any:
    scope = args.get("scope", {})
    row = None
    if truthy(scope.get("memorySpaceId")):
        row = _active_for_space(tx, scope["memorySpaceId"]).first()
    if row is None and truthy(scope.get("organizationId")):
        row = _active_for_org(tx, scope["organizationId"]).first()
    if row is None:
        return copy.deepcopy(TEMPLATES["GDPR"])
    return row["policy"]


@handler("governance:getTemplate")
def get_template(tx: Tx, args: dict) -> Any:
    return copy.deepcopy(TEMPLATES[args["template"]])


@handler("governance:simulate")
def simulate(tx: Tx, args: dict) -> Any:
    return copy.deepcopy(_SIMULATION)


def _enforcement_rows(tx: Tx, options: dict, **executed_at: Any) -> list[dict]:
    """Logged runs of the organization and/or memory space in options, within an executedAt range.

    Deviation: upstream reads only by organization and ignores `memorySpaceId` (no organization
    means no rows); here a truthy memorySpaceId filters too, alone or together with the organization.
    """
    org, space = options.get("organizationId"), options.get("memorySpaceId")
    q = tx.query("governanceEnforcement")
    if truthy(org):
        q = q.index("by_organization", org, **executed_at)
        if truthy(space):
            q = q.filter(lambda row: row.get("memorySpaceId") == space)
    elif truthy(space):
        q = q.index("by_memorySpace", space, **executed_at)
    else:
        return []
    return q.collect()


@handler("governance:getComplianceReport")
def get_compliance_report(tx: Tx, args: dict) -> Any:
    options = args.get("options", {"period": {"start": 0, "end": tx.now}})
    period = options["period"]
    rows = _enforcement_rows(tx, options, gte=period["start"], lte=period["end"])
    versions_deleted = sum(r["versionsDeleted"] for r in rows)
    report: dict[str, Any] = {k: options[k] for k in ("organizationId", "memorySpaceId") if k in options}
    report.update(
        period=period,
        generatedAt=tx.now,
        conversations={"total": 1000, "deleted": 50, "archived": 200, "complianceStatus": "COMPLIANT"},
        immutable={
            "entities": 500,
            "totalVersions": 2500,
            "versionsDeleted": versions_deleted,
            "complianceStatus": "COMPLIANT",
        },
        vector={
            "memories": 5000,
            "versionsDeleted": versions_deleted,
            "orphanedCleaned": 25,
            "complianceStatus": "COMPLIANT",
        },
        dataRetention={"oldestRecord": tx.now - _THREE_YEARS_MS, "withinPolicy": True},
        userRequests={"deletionRequests": 5, "fulfilled": 5, "avgFulfillmentTime": "2.3 hours"},
    )
    return report


@handler("governance:getEnforcementStats")
def get_enforcement_stats(tx: Tx, args: dict) -> Any:
    options = args.get("options", {"period": "30d"})
    start = tx.now - _PERIODS.get(options["period"], _PERIODS["30d"])
    rows = _enforcement_rows(tx, options, gte=start)
    v_sum = sum(r["versionsDeleted"] for r in rows)
    r_sum = sum(r["recordsPurged"] for r in rows)
    s_sum = sum(r["storageFreed"] for r in rows)
    return {
        "period": {"start": start, "end": tx.now},
        "conversations": {"purged": math.floor(r_sum * 0.2), "archived": math.floor(r_sum * 0.3)},
        "immutable": {"versionsDeleted": math.floor(v_sum * 0.3), "entitiesPurged": math.floor(r_sum * 0.2)},
        "vector": {"versionsDeleted": math.floor(v_sum * 0.5), "memoriesPurged": math.floor(r_sum * 0.4)},
        "mutable": {"keysDeleted": math.floor(r_sum * 0.2)},
        "storageFreed": s_sum,
        "costSavings": s_sum * 0.02,
    }


def _purge(tx: Tx, table: str) -> dict:
    rows = tx.query(table).collect()
    tx.delete_all(rows)
    return {"deleted": len(rows)}


@handler("governance:purgeAllPolicies")
def purge_all_policies(tx: Tx, args: dict) -> Any:
    return _purge(tx, "governancePolicies")  # embedded backend: a local deployment, always allowed


@handler("governance:purgeAllEnforcement")
def purge_all_enforcement(tx: Tx, args: dict) -> Any:
    return _purge(tx, "governanceEnforcement")
