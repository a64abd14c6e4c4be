"""Client-side input checks (the SDK's *ValidationError rules), raised before any backend call.

Each check raises `InputError(code, message, field)` so the tool layer can name the field.
"""

from __future__ import annotations

import math
from typing import Any

from cortex_mcp.errors import InputError


def require_text(value: Any, field: str) -> str:
    """A required non-blank string (`MISSING_REQUIRED_FIELD`)."""
    if not isinstance(value, str):
        raise InputError("MISSING_REQUIRED_FIELD", f"{field} is required and must be a string", field)
    if not value.strip():
        raise InputError("MISSING_REQUIRED_FIELD", f"{field} cannot be empty", field)
    return value


def optional_text(value: Any, field: str) -> str | None:
    """An optional string that, when given, must not be blank."""
    if value is None:
        return None
    return require_text(value, field)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def check_importance(value: Any, field: str = "importance") -> None:
    if value is None:
        return
    if not _number(value) or not 0 <= value <= 100:
        raise InputError("INVALID_IMPORTANCE", f"{field} must be a number between 0 and 100", field)


def check_range(value: Any, field: str, low: float, high: float, code: str = "INVALID_RANGE") -> None:
    if value is None:
        return
    if not _number(value) or not low <= value <= high:
        raise InputError(code, f"{field} must be a number between {low:g} and {high:g}", field)


def check_tags(tags: Any, field: str = "tags") -> None:
    if tags is None:
        return
    if not isinstance(tags, list) or any(not isinstance(t, str) or not t.strip() for t in tags):
        raise InputError("INVALID_FORMAT", f"{field} must be a list of non-empty strings", field)


def check_limit(limit: Any, field: str = "limit", maximum: int | None = None) -> None:
    if limit is None:
        return
    if not _number(limit) or limit < 1:
        raise InputError("NEGATIVE_NUMBER", f"{field} must be a number of at least 1", field)
    if maximum is not None and limit > maximum:
        raise InputError("INVALID_RANGE", f"{field} must be at most {maximum}", field)


def check_embedding(embedding: Any, field: str = "embedding") -> None:
    if embedding is None:
        return
    if not isinstance(embedding, list):
        raise InputError("INVALID_TYPE", f"{field} must be a list of numbers", field)
    if not embedding or not all(_number(x) and math.isfinite(x) for x in embedding):
        raise InputError("INVALID_EMBEDDING", f"{field} must be a non-empty list of finite numbers", field)


def check_choice(value: Any, field: str, choices: tuple[str, ...], code: str = "INVALID_FORMAT") -> None:
    if value is not None and value not in choices:
        raise InputError(code, f"{field} must be one of: {', '.join(choices)}", field)
