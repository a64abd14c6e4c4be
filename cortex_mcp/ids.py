"""Identifier generation shared by the backends and the api layer.

Document ids (`_id`) are opaque to callers but carry their table, as Convex ids do, so
`v.id("table")` validation and `admin:deleteRecord` can find a document's table.
"""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.digits + string.ascii_lowercase

# Table tags are fixed forever: changing one would orphan existing ids.
TABLE_TAGS = {
    "memories": "me",
    "memorySpaces": "ms",
    "agents": "ag",
    "conversations": "cv",
    "immutable": "im",
    "facts": "fa",
    "factHistory": "fh",
    "contexts": "cx",
    "mutable": "mu",
    "sessions": "se",
    "governancePolicies": "gp",
    "governanceEnforcement": "ge",
    "graphSyncQueue": "gq",
}
_TABLE_BY_TAG = {tag: table for table, tag in TABLE_TAGS.items()}
_ID_LENGTH = 32


def rand(n: int) -> str:
    """`Math.random().toString(36).substring(2, 2 + n)`: n chars of [0-9a-z], uniform.

    One read of the system's random bytes per id (a bulk import makes thousands): bytes of 252
    and above are dropped so that `byte % 36` stays uniform."""
    chars: list[str] = []
    while len(chars) < n:
        chars.extend(_ALPHABET[b % 36] for b in secrets.token_bytes(n + 8) if b < 252)
    return "".join(chars[:n])


def new_document_id(table: str) -> str:
    return "j" + rand(_ID_LENGTH - 3) + TABLE_TAGS[table]


def table_of_id(doc_id: str) -> str | None:
    """The table a document id belongs to, or None if it is not a document id."""
    if len(doc_id) != _ID_LENGTH or not doc_id.startswith("j"):
        return None
    return _TABLE_BY_TAG.get(doc_id[-2:])


def public_id(prefix: str, now_ms: int) -> str:
    """`<prefix>-<ms>-<rand9>`, the format of memory, fact, context, conversation and message ids."""
    return f"{prefix}-{now_ms}-{rand(9)}"
