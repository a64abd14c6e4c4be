"""`cortex-mcp export`: every layer of a store to an export file, streamed page by page.

Pages come from `bulk:exportPage` (one layer, one memory space at a time) and go straight to the
file, so memory stays flat whatever the store's size. The file is written beside its final name
and renamed into place at the end: a failed export leaves no half file behind. Pages are read in
separate transactions: an export taken while servers write holds every record whole, but is no
snapshot of one instant (`cortex-mcp backup` is).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cortex_mcp import clock
from cortex_mcp.backends.base import Backend, call, compact
from cortex_mcp.contract.bulk import MAX_PAGE
from cortex_mcp.contract.enums import EXPORT_LAYERS
from cortex_mcp.data.format import encode_line, header
from cortex_mcp.errors import CortexError

Progress = Callable[[str, int], None]  # (layer, records written)


@dataclass(frozen=True)
class ExportFilter:
    spaces: Sequence[str] = ()  # only these memory spaces (layers without a space are left out)
    user: str | None = None  # only this user's records (layers without a user are left out)
    since: int | None = None  # only records changed at or after (epoch ms)
    embeddings: bool = False  # keep memories' vectors

    def as_header(self) -> dict:
        return compact(spaces=list(self.spaces) or None, user=self.user, since=self.since)


async def export_records(backend: Backend, out: BinaryIO, filters: ExportFilter, progress: Progress | None = None,
                         page: int = MAX_PAGE) -> dict[str, int]:
    """Write the export to `out` (header, records, end line); the count of records per layer."""
    counts = dict.fromkeys(EXPORT_LAYERS, 0)
    out.write(encode_line(header(backend.name, filters.as_header(), filters.embeddings, clock.now_ms())))
    spaces: list[str | None] = list(dict.fromkeys(filters.spaces)) or [None]
    for layer in EXPORT_LAYERS:
        for space in spaces:
            cursor: str | None = None
            while True:
                args = compact(
                    layer=layer,
                    memorySpaceId=space,
                    userId=filters.user,
                    since=filters.since,
                    embeddings=filters.embeddings or None,
                    cursor=cursor,
                    limit=page,
                )
                reply = await call(backend, "bulk:exportPage", args)
                out.writelines(encode_line({"layer": layer, "record": record}) for record in reply["page"])
                counts[layer] += len(reply["page"])
                if progress and reply["page"]:
                    progress(layer, len(reply["page"]))
                if reply["isDone"]:
                    break
                cursor = reply["cursor"]
    out.write(encode_line({"end": {"counts": counts}}))
    return counts


async def export_file(backend: Backend, path: str | Path, filters: ExportFilter,
                      progress: Progress | None = None) -> dict[str, int]:
    """Export to `path`, atomically: written beside it, renamed into place when complete."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as out:
            counts = await export_records(backend, out, filters, progress)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return counts


# -- one bounded page (the `export_memories` tool) --------------------------------------------------

PIECE = 10  # documents asked for at a time: a page stops within this many records of its byte budget


@dataclass
class Page:
    records: list[dict]  # {"layer", "record"}, as lines of an export file
    cursor: str | None  # None: the export is complete


def _encode_cursor(layer: int, inner: str | None) -> str:
    return base64.urlsafe_b64encode(json.dumps([layer, inner]).encode()).decode()


def _decode_cursor(cursor: str, layers: int) -> tuple[int, str | None]:
    try:
        layer, inner = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(layer, int) and 0 <= layer < layers and (inner is None or isinstance(inner, str)):
            return layer, inner
    except (ValueError, TypeError):
        pass
    raise CortexError("cursor is not one this export gave", code="INVALID_CURSOR", field="cursor",
                      hint="Pass next_cursor from the previous page unchanged, or omit it to start over.")


async def export_page(backend: Backend, *, space: str | None, layers: Sequence[str], cursor: str | None,
                      limit: int, max_bytes: int) -> Page:
    """Up to `limit` records (and about `max_bytes` of them) of `layers` in one memory space (all
    spaces when None), continuing after `cursor`."""
    index, inner = _decode_cursor(cursor, len(layers)) if cursor else (0, None)
    records: list[dict] = []
    size = 0
    while index < len(layers):
        while len(records) < limit and size < max_bytes:
            piece = min(PIECE, limit - len(records))
            args = compact(layer=layers[index], memorySpaceId=space, cursor=inner, limit=piece)
            reply = await call(backend, "bulk:exportPage", args)
            for record in reply["page"]:
                records.append({"layer": layers[index], "record": record})
                size += len(encode_line(record))
            if reply["isDone"]:
                break
            inner = reply["cursor"]
        else:
            return Page(records, _encode_cursor(index, inner))
        index, inner = index + 1, None
    return Page(records, None)
