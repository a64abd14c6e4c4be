"""One renderer for every curated result: compact text for the model beside the structured content.

A record becomes one line, id first: `mem-17… (2026-12-05T09:00:00Z): Alex prefers tea [importance=80]`.
Times show as ISO-8601 UTC to the second, nulls/empties/false flags are left out, texts are clipped,
free-form data is compact JSON, and lists are bounded with a hint for getting the rest. The
structured content (outputSchema) stays complete; this text is what an LLM reads cheaply.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from cortex_mcp.toolsets.times import iso

MAX_LINES = 50  # items shown per list; the rest is announced with how to get it
ITEM_TEXT_CHARS = 500  # a list item's text; a single record shows up to the 2,000 its model holds
RECORD_TEXT_CHARS = 2000
DATA_CHARS = 300  # free-form JSON (data, metadata, config)
LIST_ITEMS = 10  # strings of a short list (tags, participants)
TEXT_KEYS = ("content", "fact", "message", "purpose", "name", "text", "reason")
TIME_KEYS = ("valid_from", "valid_until", "as_of", "timestamp")


class Paging:
    """A list result: `items` names its list, `total` (if any) the field counting all matches, and
    `hint` how to get more (`offset`: call the same tool with an offset; else the text to show)."""

    def __init__(self, items: str, total: str | None = None, hint: str = "offset"):
        self.items, self.total, self.hint = items, total, hint


def render(result: Any, *, tool: str, args: Mapping[str, Any] | None = None) -> str:
    """The compact text for a tool result (a pydantic model, usually)."""
    data = _as_dict(result)
    if data is None:
        return _scalar("result", result) or "done"
    lines = _block(data, "", RECORD_TEXT_CHARS)
    paging = getattr(type(result), "paging", None)
    if isinstance(paging, Paging):
        if not data.get(paging.items):
            lines.append(f"no {paging.items} found")
        more = _more(_as_dict(result, omit=False) or {}, paging, tool, args or {})
        if more:
            lines.append(more)
    return "\n".join(lines) if lines else "nothing found"


def _block(record: Mapping[str, Any], indent: str, text_chars: int) -> list[str]:
    """The record's line, then each of its sub-records and lists of records, indented."""
    scalars, children = _fields(record)
    lines = []
    head = _line(scalars, text_chars)
    if head:
        lines.append(indent + head)
    for key, value in children:
        if isinstance(value, list):
            lines.append(f"{indent}{key} ({len(value)}):")
            for item in value[:MAX_LINES]:
                lines.extend(_block(item, indent + "  ", ITEM_TEXT_CHARS))
            if len(value) > MAX_LINES:
                lines.append(f"{indent}  {len(value) - MAX_LINES} more in the structured result")
        else:
            sub = _block(value, indent + "  ", ITEM_TEXT_CHARS)
            if sub:
                lines.append(f"{indent}{key}: {sub[0].strip()}")
                lines.extend(sub[1:])
    return lines


def _fields(record: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """A record's non-empty fields in one pass: (scalars for its line, sub-records and lists of records
    for `_block`). Models become dicts here, once."""
    scalars: dict[str, Any] = {}
    children: list[tuple[str, Any]] = []
    for key, value in record.items():
        if value is None or value is False:
            continue
        kind = type(value)
        if kind is str or kind is int or kind is float or kind is bool:
            scalars[key] = value
            continue
        value = _plain(value)
        if _empty(value):
            continue
        if _is_records(value) or (isinstance(value, Mapping) and _is_record(value)):
            children.append((key, value))
        else:
            scalars[key] = value
    return scalars, children


def _line(fields: dict[str, Any], text_chars: int) -> str:
    """`id (time): text [k=v, ...]` from a record's scalar fields (`_fields`)."""
    fields = dict(fields)
    ident = next((k for k in fields if (k == "id" or k.endswith("_id")) and isinstance(fields[k], str)), None)
    text = next((k for k in TEXT_KEYS if isinstance(fields.get(k), str)), None)
    when = next((k for k in ("created_at", "sent_at", "registered_at", "updated_at") if k in fields), None)
    head = fields.pop(ident) if ident else ""
    if when:
        moment = fields.pop(when)
        head += f" ({iso(moment) if isinstance(moment, int | float) else moment})"
    if text:
        head = f"{head}: {_clip(fields.pop(text), text_chars)}" if head else _clip(fields.pop(text), text_chars)
    extras = [s for s in (_scalar(k, v) for k, v in fields.items()) if s]
    if extras:
        head = f"{head} [{', '.join(extras)}]" if head else ", ".join(extras)
    return head.strip()


def _scalar(key: str, value: Any) -> str:
    if _empty(value):
        return ""
    if isinstance(value, bool):
        return key
    if isinstance(value, int | float) and (key.endswith("_at") or key in TIME_KEYS):
        return f"{key}={iso(value)}"
    if isinstance(value, float):
        return f"{key}={value:.3g}" if abs(value) < 1 else f"{key}={round(value, 2):g}"
    if isinstance(value, str):
        return f"{key}={_clip(value, 200)}"
    if isinstance(value, Sequence) and all(isinstance(v, str | int | float) for v in value):
        shown = ",".join(str(v) for v in value[:LIST_ITEMS])
        return f"{key}={shown}" + (f" (+{len(value) - LIST_ITEMS})" if len(value) > LIST_ITEMS else "")
    if isinstance(value, int):
        return f"{key}={value}"
    return f"{key}={_clip(json.dumps(value, ensure_ascii=False, separators=(',', ':'), default=str), DATA_CHARS)}"


def _more(data: Mapping[str, Any], paging: Paging, tool: str, args: Mapping[str, Any]) -> str:
    shown = len(data.get(paging.items) or [])
    offset = int(args.get("offset") or 0)
    total = data.get(paging.total) if paging.total else None
    if not isinstance(total, int):
        # No count to compare with: a full page means there may be more.
        full = shown > 0 and shown == args.get("limit")
        return f"more may exist: call {tool} with offset={offset + shown}" if full and paging.hint == "offset" else ""
    remaining = total - offset - shown
    if remaining <= 0:
        return ""
    if paging.hint == "offset":
        return f"{remaining} more: call {tool} with offset={offset + shown}"
    return f"{remaining} more: {paging.hint}"


def _as_dict(value: Any, omit: bool = True) -> dict[str, Any] | None:
    """A model's fields, less those it marks `text_omit` (noise for a reader, kept in structured content)."""
    if isinstance(value, BaseModel):
        left_out = getattr(type(value), "text_omit", ()) if omit else ()
        return {name: getattr(value, name) for name in type(value).model_fields if name not in left_out}
    return dict(value) if isinstance(value, Mapping) else None


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _as_dict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _is_record(value: Any) -> bool:
    """A dict that describes one thing (has an id), as opposed to free-form data."""
    return isinstance(value, Mapping) and any(k == "id" or k.endswith(("_id", "Id")) for k in value)


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _empty(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, list | tuple | dict) and not value)


def _clip(text: str, limit: int) -> str:
    text = " / ".join(part.strip() for part in text.splitlines() if part.strip()) if "\n" in text else text
    return text if len(text) <= limit else text[: limit - 1] + "…"
