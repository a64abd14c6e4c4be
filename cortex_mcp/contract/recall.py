"""Contract of the `recall` module — a cortex-mcp extension, not an upstream Cortex module.

Recall's retrieval in one call and one snapshot: memories ranked by full-text match over their
conversation windows (a memory's own text and, at a lower weight, its neighbours'), and current
facts ranked by match, both with a relevance on one scale. Backends without it (an upstream
Cortex deployment) are served by `memories:search` and `facts:search` instead (api/recall).
"""

from cortex_mcp.contract.catalog import query
from cortex_mcp.contract.validators import v

o = v.optional

FUNCTIONS = [
    query(
        "recall:search",
        {
            "memorySpaceId": v.string().describe("Memory space to search"),
            "query": v.string().describe("Words to look for (any may match)"),
            "limit": v.number().describe("Most memories and most facts to return"),
            "userId": o(v.string()).describe("Only memories of this user (userId or sourceUserId)"),
            "tags": o(v.array(v.string())).describe("Only memories with any of these tags"),
            "minImportance": o(v.number()).describe("Only memories at least this important"),
            "includeMemories": o(v.boolean()).describe("Search memories (default true)"),
            "includeFacts": o(v.boolean()).describe("Search facts (default true)"),
            "minConfidence": o(v.number()).describe("Only facts at least this confident"),
            "validAt": o(v.number()).describe("Only facts valid at this time (ms); default: any"),
        },
        "Find the memories and current facts that best match some words, each with a relevance "
        "(about 0-1: how much of the query it matches, weighted by how rare each word is).",
        returns="{memories: [memory + _score], facts: [fact + _score]}",
        extension=True,
    ),
]
