"""Times as an agent reads and writes them: ISO-8601 UTC out, ISO-8601 or epoch ms in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cortex_mcp.errors import InputError


def iso(ms: float) -> str:
    """Epoch ms as ISO-8601 UTC to the second, e.g. 2026-12-05T09:00:00Z."""
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(ms)  # outside what datetime can show: the raw number is still the truth


def to_ms(value: Any, field: str) -> int:
    """An ISO-8601 date/time (UTC unless it says otherwise) or epoch ms, as epoch ms."""
    if isinstance(value, bool):
        raise InputError("INVALID_ARGUMENT", f"{field} must be an ISO-8601 time or epoch ms", field)
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")) or value < 0:
            raise InputError("INVALID_ARGUMENT", f"{field} must be a time at or after 1970", field)
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        try:
            moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                "INVALID_ARGUMENT",
                f"{field} must be an ISO-8601 time like 2026-12-05T09:00:00Z (or epoch ms), not {value[:40]!r}",
                field,
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    raise InputError("INVALID_ARGUMENT", f"{field} must be an ISO-8601 time or epoch ms", field)


TIME_HELP = "ISO-8601 (e.g. 2026-12-05T09:00:00Z) or epoch ms"
