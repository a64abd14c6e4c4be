"""The export file: versioned JSON Lines (docs/export-format.md).

Line 1 is the header `{"format": "cortex-mcp-export", "version": 1, ...}`; then one record per
line, `{"layer": "memories", "record": {...}}`, layers in `EXPORT_LAYERS` order; the last line is
`{"end": {"counts": {layer: n}}}`, so a truncated file is told from a complete one. Keys are
written sorted and every line is compact UTF-8 JSON, so equal data gives equal bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cortex_mcp.backends.embedded.handlers.bulk import check_document
from cortex_mcp.contract import convex_json
from cortex_mcp.contract.enums import EXPORT_LAYERS
from cortex_mcp.errors import ArgumentValidationError

FORMAT = "cortex-mcp-export"
VERSION = 1
READS = (1,)  # versions this build imports


class FormatError(ValueError):
    """A file this build cannot import: names the line and, where there is one, the field."""

    def __init__(self, line: int, message: str, field: str | None = None):
        self.line, self.field, self.detail = line, field, message
        super().__init__(f"line {line}: {f'{field}: ' if field else ''}{message}")


@dataclass(frozen=True)
class Entry:
    line: int
    layer: str
    record: dict


def encode_line(value: Any) -> bytes:
    """One line; integral numbers written as integers, as every backend reads them back."""
    return convex_json.dumps(convex_json.decode(value)) + b"\n"


def header(source: str, filters: dict, embeddings: bool, now_ms: int) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "exportedAt": datetime.fromtimestamp(now_ms / 1000, UTC).isoformat().replace("+00:00", "Z"),
        "source": source,
        "filters": filters,
        "embeddings": embeddings,
    }


def parse_time(text: str) -> int:
    """`--since`: epoch milliseconds, or an ISO 8601 date or time (UTC unless it names a zone)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is neither epoch ms nor an ISO 8601 time (e.g. 2026-01-31T12:00Z)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def check_entry(entry: Entry) -> None:
    """A record against the contract of its layer; FormatError names the line and field."""
    try:
        check_document(entry.layer, entry.record, "record")
    except ArgumentValidationError as exc:
        first = exc.message.splitlines()[0]
        raise FormatError(entry.line, f"{entry.layer} record does not match the contract: {first}", exc.path) from None


class ExportFile:
    """Reads an export file line by line (constant memory); iterating checks its structure and
    yields its entries, and raises FormatError at the first thing wrong (records are checked
    against the contract by `check_entry`)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        with self.path.open("rb") as f:
            first = f.readline()
        self.header = self._header(first)

    def _header(self, raw: bytes) -> dict:
        head = _parse(raw, 1)
        if not isinstance(head, dict) or head.get("format") != FORMAT:
            raise FormatError(1, f'not a cortex-mcp export (the first line must be a header with "format": "{FORMAT}")')
        version = head.get("version")
        if version not in READS:
            raise FormatError(
                1, f"export format version {version!r} is not supported (this build reads {READS})", "version"
            )
        return head

    def __iter__(self) -> Iterator[Entry]:
        counts = dict.fromkeys(EXPORT_LAYERS, 0)
        end: dict | None = None
        order = 0
        number = 1
        with self.path.open("rb") as f:
            f.readline()
            for number, raw in enumerate(f, start=2):
                if not raw.strip():
                    continue
                if end is not None:
                    raise FormatError(number, "a line after the end line")
                value = _parse(raw, number)
                if isinstance(value, dict) and set(value) == {"end"}:
                    end = value["end"]
                    continue
                if not isinstance(value, dict) or set(value) != {"layer", "record"}:
                    raise FormatError(number, 'a record line is {"layer": ..., "record": {...}}')
                layer = value["layer"]
                if layer not in counts:
                    raise FormatError(number, f"unknown layer {layer!r} (known: {', '.join(EXPORT_LAYERS)})", "layer")
                if EXPORT_LAYERS.index(layer) < order:
                    raise FormatError(number, f"{layer} records must come before {EXPORT_LAYERS[order]}", "layer")
                order = EXPORT_LAYERS.index(layer)
                if not isinstance(value["record"], dict):
                    raise FormatError(number, "must be an object", "record")
                counts[layer] += 1
                yield Entry(number, layer, value["record"])
        if end is None:
            raise FormatError(number, "the file ends without its end line: it is truncated")
        given = end.get("counts") if isinstance(end, dict) else None
        if not isinstance(given, dict) or any(given.get(k, 0) != n for k, n in counts.items()):
            raise FormatError(number, f"the end line's counts {given} do not match the records {counts}", "end.counts")


def _parse(raw: bytes, line: int) -> Any:
    try:
        return convex_json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(line, f"not valid JSON ({exc})") from None
