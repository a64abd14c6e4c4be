"""Context chains (spec/orchestration.md §12) over any Backend."""

from __future__ import annotations

import re
from typing import Any

from cortex_mcp.api import checks
from cortex_mcp.backends.base import Backend, call, compact
from cortex_mcp.contract.enums import CONTEXT_STATUSES
from cortex_mcp.errors import CortexError, InputError

_CONTEXT_ID = re.compile(r"^ctx-\d+-[a-z0-9]+$")


def check_context_id(context_id: Any, field: str = "context_id") -> str:
    checks.require_text(context_id, field)
    if not _CONTEXT_ID.match(context_id):
        raise InputError("INVALID_CONTEXT_ID_FORMAT", f"{field} must look like ctx-<digits>-<letters/digits>", field)
    return context_id


async def create(
    backend: Backend,
    *,
    memory_space_id: str,
    purpose: str,
    parent_id: str | None = None,
    description: str | None = None,
    user_id: str | None = None,
    conversation_id: str | None = None,
    message_ids: list[str] | None = None,
    data: dict | None = None,
    status: str | None = None,
) -> dict:
    """§12.1: create a context, as a root or as the child of `parent_id`."""
    checks.require_text(memory_space_id, "memory_space_id")
    if not isinstance(purpose, str):
        raise InputError("MISSING_REQUIRED_FIELD", "purpose is required and must be a string", "purpose")
    if not purpose.strip():
        raise InputError("WHITESPACE_ONLY", "purpose cannot be blank", "purpose")
    checks.optional_text(user_id, "user_id")
    if parent_id is not None:
        check_context_id(parent_id, "parent_id")
    checks.check_choice(status, "status", CONTEXT_STATUSES, "INVALID_STATUS")
    if data is not None and not isinstance(data, dict):
        raise InputError("INVALID_TYPE", "data must be an object", "data")
    conversation_ref = None
    if conversation_id is not None:
        checks.require_text(conversation_id, "conversation_id")
        if not conversation_id.startswith("conv-"):
            raise InputError(
                "INVALID_CONVERSATION_ID_FORMAT", "conversation_id must start with conv-", "conversation_id"
            )
        conversation_ref = {"conversationId": conversation_id, "messageIds": message_ids or []}
    return await call(
        backend,
        "contexts:create",
        compact(
            purpose=purpose,
            memorySpaceId=memory_space_id,
            parentId=parent_id,
            description=description,  # upstream's SDK drops it; the backend stores it (docs/parity.md)
            userId=user_id,
            conversationRef=conversation_ref,
            data=data,
            status=status,
        ),
    )


async def get(backend: Backend, *, context_id: str, include_chain: bool = False) -> dict:
    """§12.2: the context, or `{current, parent, root, children, ...}` with the chain."""
    check_context_id(context_id)
    found = await call(backend, "contexts:get", compact(contextId=context_id, includeChain=include_chain or None))
    if found is None:
        raise CortexError(
            f"Context {context_id} not found",
            code="CONTEXT_NOT_FOUND",
            field="context_id",
            hint="Check the id, or list contexts with the contexts_admin toolset.",
        )
    return found


async def update(
    backend: Backend,
    *,
    context_id: str,
    status: str | None = None,
    description: str | None = None,
    data: dict | None = None,
) -> dict:
    """§12.2: new version; data is shallow-merged; completed sets completedAt."""
    check_context_id(context_id)
    checks.check_choice(status, "status", CONTEXT_STATUSES, "INVALID_STATUS")
    if data is not None and not isinstance(data, dict):
        raise InputError("INVALID_TYPE", "data must be an object", "data")
    if status is None and description is None and data is None:
        raise InputError("INVALID_FORMAT", "give at least one of status, description or data", "status")
    return await call(
        backend, "contexts:update", compact(contextId=context_id, status=status, description=description, data=data)
    )
