"""Contract of the `embeddings` module — a cortex-mcp extension, not an upstream Cortex module.

`cortex-mcp reindex` embeds what is missing without making new memory versions (re-embedding is
not an edit), and switches a database to another model atomically: upstream has no such path.
The model that made the stored vectors is the mutable record `cortex-mcp/embeddings`.
"""

from cortex_mcp.contract.catalog import mutation, query
from cortex_mcp.contract.validators import v

# The mutable record (namespace, key) whose value is {"model", "dimension"} of the stored vectors.
MODEL_RECORD = ("cortex-mcp", "embeddings")

FUNCTIONS = [
    query(
        "embeddings:status",
        {},
        "How many memories there are, how many have a vector, and the model recorded for the vectors.",
        returns="{memories, embedded, model, dimension}",
        extension=True,
    ),
    query(
        "embeddings:pending",
        {
            "limit": v.number().describe("At most this many memories"),
            "after": v.optional(v.number()).describe("Cursor: the `cursor` of the previous page"),
            "contextTurns": v.optional(v.number()).describe(
                "With each memory, the contents of up to this many memories stored before it in its conversation"
            ),
        },
        "Memories without a vector, oldest first, each with its context (the contents of the memories stored "
        "just before it in its conversation, oldest first), with a cursor for the next page.",
        returns="{items: [{memoryId, content, context}], cursor}",
        extension=True,
    ),
    mutation(
        "embeddings:set",
        {
            "model": v.string().describe("The model that made the vectors; must be the recorded one"),
            "items": v.array(v.object({"memoryId": v.string(), "embedding": v.array(v.number())})).describe(
                "Vectors to store, by memory id (a memory deleted meanwhile is skipped)"
            ),
        },
        "Store vectors for existing memories without making a new version.",
        idempotent=True,
        returns="{updated}",
        extension=True,
    ),
    mutation(
        "embeddings:switchModel",
        {
            "model": v.string().describe("The model whose vectors will be stored from now on"),
            "dimension": v.number().describe("Its vector length"),
        },
        "Drop every stored memory vector and record the new model, in one transaction (then reindex).",
        destructive=True,
        idempotent=True,
        returns="{cleared, model, dimension}",
        extension=True,
    ),
]
