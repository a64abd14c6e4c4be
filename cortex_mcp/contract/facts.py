"""Contract of the `facts` module (spec/backend/facts.md): Layer 3 extracted facts, versioned by supersession."""

from __future__ import annotations

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.enums import FACT_SOURCE_TYPES, FACT_TYPES
from cortex_mcp.contract.validators import Validator, v

o = v.optional



# Validators are built fresh per argument: `.describe()` sets the description on the instance.
def _fact_type() -> Validator:
    return v.enum(*FACT_TYPES)


def _source_type() -> Validator:
    return v.enum(*FACT_SOURCE_TYPES)


def _strings() -> Validator:
    return v.array(v.string())


def _source_ref() -> Validator:
    return v.object(
        {
            "conversationId": o(v.string()),
            "messageIds": o(v.array(v.string())),
            "memoryId": o(v.string()),
        }
    )


def _entities() -> Validator:
    return v.array(v.object({"name": v.string(), "type": v.string(), "fullValue": o(v.string())}))


def _relations() -> Validator:
    return v.array(v.object({"subject": v.string(), "predicate": v.string(), "object": v.string()}))


def _space() -> Validator:
    return v.string().describe("Memory space the fact belongs to")


def _fact_id(what: str = "Fact id (fact-...)") -> Validator:
    return v.string().describe(what)


def _enrichment() -> dict[str, Validator]:
    return {
        "category": o(v.string()).describe("Enrichment: category label"),
        "searchAliases": o(_strings()).describe("Enrichment: alternative phrasings used for retrieval"),
        "semanticContext": o(v.string()).describe("Enrichment: context sentence for retrieval"),
        "entities": o(_entities()).describe("Enrichment: entities [{name, type, fullValue?}]"),
        "relations": o(_relations()).describe("Enrichment: relations [{subject, predicate, object}]"),
    }


def _filters(*, tenant: bool = True, subject: bool = True, predicate: bool = True) -> dict[str, Validator]:
    """The common filters of list / count / search / queryBySubject / queryByRelationship."""
    f: dict[str, Validator] = {}
    if tenant:
        f["tenantId"] = o(v.string()).describe("Only facts of this tenant (empty string = no tenant filter)")
    f["factType"] = o(_fact_type()).describe("Only facts of this type")
    if subject:
        f["subject"] = o(v.string()).describe("Exact subject match")
    if predicate:
        f["predicate"] = o(v.string()).describe("Exact predicate match")
    f.update(
        {
            "object": o(v.string()).describe("Exact object match"),
            "minConfidence": o(v.number()).describe("Keep facts with confidence >= this (0-100)"),
            "confidence": o(v.number()).describe("Keep facts with exactly this confidence"),
            "userId": o(v.string()).describe("Exact userId match"),
            "participantId": o(v.string()).describe("Exact participantId match"),
            "tags": o(_strings()).describe("Tags to match (ignored when empty)"),
            "tagMatch": o(v.enum("any", "all")).describe("'any' (default): at least one tag; 'all': every tag"),
            "sourceType": o(_source_type()).describe("Only facts from this source type"),
            "createdBefore": o(v.number()).describe("createdAt <= this (ms, inclusive)"),
            "createdAfter": o(v.number()).describe("createdAt >= this (ms, inclusive)"),
            "updatedBefore": o(v.number()).describe("updatedAt <= this (ms, inclusive)"),
            "updatedAfter": o(v.number()).describe("updatedAt >= this (ms, inclusive)"),
            "version": o(v.number()).describe("Exact version number"),
            "includeSuperseded": o(v.boolean()).describe("Also return superseded facts (default false)"),
            "validAt": o(v.number()).describe("Only facts valid at this time (ms): validFrom <= t < validUntil"),
            "metadata": o(v.any()).describe("Shallow strict match: every key given must equal the fact's metadata"),
        }
    )
    return f


def _paging() -> dict[str, Validator]:
    return {
        "limit": o(v.number()).describe("Max facts to return (default: all)"),
        "offset": o(v.number()).describe("Facts to skip (default 0)"),
        "sortBy": o(v.string()).describe("createdAt | updatedAt | confidence | version (other values: natural order)"),
        "sortOrder": o(v.enum("asc", "desc")).describe("Sort direction (default desc)"),
    }


FACT_DOC = "fact document"

FUNCTIONS = [
    # -- mutations ---------------------------------------------------------------------------
    mutation(
        "facts:store",
        {
            "memorySpaceId": _space(),
            "participantId": o(v.string()).describe("Hive-mode participant that extracted the fact"),
            "userId": o(v.string()).describe("User the fact is about (GDPR link)"),
            "tenantId": o(v.string()).describe("Tenant (multi-tenant isolation)"),
            "fact": v.string().describe("The fact statement, e.g. 'User prefers dark mode'"),
            "factType": _fact_type().describe("Kind of fact"),
            "subject": o(v.string()).describe("Triple subject, e.g. 'user'"),
            "predicate": o(v.string()).describe("Triple predicate, e.g. 'prefers'"),
            "object": o(v.string()).describe("Triple object, e.g. 'dark mode'"),
            "confidence": v.number().describe("Confidence 0-100"),
            "sourceType": _source_type().describe("Where the fact came from"),
            "sourceRef": o(_source_ref()).describe("Source links {conversationId?, messageIds?, memoryId?}"),
            "metadata": o(v.any()).describe("Free-form metadata"),
            "tags": _strings().describe("Tags (may be empty)"),
            "validFrom": o(v.number()).describe("Valid from (ms; default now)"),
            "validUntil": o(v.number()).describe("Valid until (ms)"),
            **_enrichment(),
        },
        "Store a new fact (version 1) as-is: no de-duplication or belief revision.",
        returns=f"the new {FACT_DOC}",
    ),
    mutation(
        "facts:update",
        {
            "memorySpaceId": _space(),
            "factId": _fact_id("Fact to revise"),
            "fact": o(v.string()).describe("New statement (empty keeps the old one)"),
            "confidence": o(v.number()).describe("New confidence 0-100"),
            "tags": o(_strings()).describe("Replaces all tags"),
            "validUntil": o(v.number()).describe("New valid-until (ms)"),
            "metadata": o(v.any()).describe("Replaces metadata (falsy values keep the old one)"),
            **_enrichment(),
        },
        "Revise a fact by creating a new version (new factId, version+1) that supersedes the old one.",
        destructive=True,
        returns=f"the new {FACT_DOC} (new factId)",
    ),
    mutation(
        "facts:deleteFact",
        {"memorySpaceId": _space(), "factId": _fact_id("Fact to invalidate")},
        "Soft-delete a fact: set validUntil to now (the row stays; validAt queries exclude it).",
        destructive=True,
        returns="{deleted: true, factId}",
    ),
    mutation(
        "facts:supersede",
        {
            "memorySpaceId": _space(),
            "oldFactId": _fact_id("Fact being replaced"),
            "newFactId": _fact_id("Existing fact that replaces it (same space)"),
            "reason": o(v.string()).describe("Why (echoed back, not stored)"),
        },
        "Mark an existing fact as superseded by another existing fact in the same space (belief revision).",
        destructive=True,
        idempotent=True,
        returns="{superseded: true, oldFactId, newFactId, reason?}",
    ),
    mutation(
        "facts:updateInPlace",
        {
            "memorySpaceId": _space(),
            "factId": _fact_id("Fact to edit"),
            "fact": o(v.string()).describe("New statement"),
            "confidence": o(v.number()).describe("New confidence 0-100"),
            "tags": o(_strings()).describe("Replaces all tags ([] clears)"),
            "validUntil": o(v.number()).describe("New valid-until (ms)"),
            "metadata": o(v.any()).describe("Replaces metadata (null is stored)"),
            **_enrichment(),
        },
        "Edit a fact's fields in place, keeping its factId and version (no new version).",
        destructive=True,
        idempotent=True,
        returns=f"the updated {FACT_DOC}",
    ),
    mutation(
        "facts:deleteMany",
        {
            "memorySpaceId": _space(),
            "userId": o(v.string()).describe("Only this user's facts (empty = all)"),
            "factType": o(_fact_type()).describe("Only facts of this type"),
        },
        "Permanently delete every fact of a space (optionally only a user's or a type); includes superseded ones.",
        destructive=True,
        returns="{deleted, memorySpaceId}",
    ),
    mutation(
        "facts:consolidate",
        {
            "memorySpaceId": _space(),
            "factIds": v.array(v.string()).describe("All facts of the duplicate group, including the kept one"),
            "keepFactId": _fact_id("The fact that survives"),
        },
        "Merge duplicate facts into one kept fact: the others become superseded by it; its confidence is averaged.",
        destructive=True,
        returns="{consolidated: true, keptFactId, mergedCount}",
    ),
    mutation(
        "facts:deleteByIds",
        {"factIds": v.array(v.string()).describe("Facts to invalidate")},
        "Soft-delete several facts by id (validUntil = now); unknown ids are skipped.",
        destructive=True,
        returns="{deleted, factIds}",
    ),
    mutation(
        "facts:purgeAll",
        {},
        "Permanently delete every fact of every space (test and development use).",
        destructive=True,
        idempotent=True,
        returns="{deleted}",
    ),
    # -- queries -----------------------------------------------------------------------------
    query(
        "facts:get",
        {
            "memorySpaceId": _space(),
            "factId": _fact_id(),
            "tenantId": o(v.string()).describe("If set, the fact must belong to this tenant"),
        },
        "Get one fact by id within a space; null when missing or in another space/tenant.",
        returns=f"{FACT_DOC} or null",
    ),
    query(
        "facts:list",
        {"memorySpaceId": _space(), **_filters(), **_paging()},
        "List a space's current facts with filters (type, subject, tags, confidence, validity...), sorting and paging.",
        returns=f"array of {FACT_DOC}s",
    ),
    query(
        "facts:count",
        {"memorySpaceId": _space(), **_filters()},
        "Count a space's facts matching the same filters as facts:list.",
        returns="number",
    ),
    query(
        "facts:search",
        {
            "memorySpaceId": _space(),
            "query": v.string().describe("Keywords matched against the fact text (any word; last word as prefix)"),
            **_filters(),
            **_paging(),
        },
        "Keyword search over a space's fact statements, ranked by relevance, with the facts:list filters.",
        returns=f"array of {FACT_DOC}s",
    ),
    query(
        "facts:getHistory",
        {"memorySpaceId": _space(), "factId": _fact_id("Any version of the fact")},
        "Get the version chain of a fact (all versions linked by supersedes/supersededBy), oldest first.",
        returns=f"array of {FACT_DOC}s",
    ),
    query(
        "facts:queryBySubject",
        {
            "memorySpaceId": _space(),
            "subject": v.string().describe("Exact subject (entity) to look up"),
            **_filters(tenant=False, subject=False),
            **_paging(),
        },
        "Get everything known about one subject/entity in a space (current facts by default).",
        returns=f"array of {FACT_DOC}s",
    ),
    query(
        "facts:queryByRelationship",
        {
            "memorySpaceId": _space(),
            "subject": v.string().describe("Exact subject"),
            "predicate": v.string().describe("Exact predicate (relationship)"),
            **_filters(tenant=False, subject=False, predicate=False),
            **_paging(),
        },
        "Find facts with a given subject and predicate (graph-style traversal), e.g. who/what the user works_at.",
        returns=f"array of {FACT_DOC}s",
    ),
    query(
        "facts:exportFacts",
        {
            "memorySpaceId": _space(),
            "format": v.enum("json", "jsonld", "csv").describe("Output format"),
            "factType": o(_fact_type()).describe("Only facts of this type"),
        },
        "Export a space's current (non-superseded) facts as JSON, JSON-LD or CSV text.",
        returns="{format, data (string), count, exportedAt}",
    ),
    query(
        "facts:findByStructure",
        {
            "memorySpaceId": _space(),
            "subject": o(v.string()).describe("Exact subject"),
            "predicate": o(v.string()).describe("Exact predicate"),
            "object": o(v.string()).describe("Exact object"),
            "userId": o(v.string()).describe("Exact userId"),
            "factType": o(_fact_type()).describe("Exact fact type"),
            "limit": o(v.number()).describe("Max facts (default 10)"),
        },
        "Find current facts with the same subject/predicate/object structure (duplicate check before storing).",
        returns=f"array of {FACT_DOC}s",
    ),
]
