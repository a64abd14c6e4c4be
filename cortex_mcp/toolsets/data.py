"""Toolset `data` (opt-in): export and import for hosts that cannot run `cortex-mcp export/import`.

`export_memories` pages through the export format (docs/export-format.md) with a cursor, bounded
by count and size; `import_memories` takes such records back (checked, then written in one
transaction on the embedded backend; idempotent on ids).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from cortex_mcp.contract.enums import ExportLayer
from cortex_mcp.data.export import export_page
from cortex_mcp.data.format import FORMAT, VERSION, Entry, FormatError
from cortex_mcp.data.importer import ImportFailed, ImportReport, rehome, write_entries
from cortex_mcp.errors import CortexError
from cortex_mcp.toolsets.base import Registrar

MAX_PAGE = 200
PAGE_BYTES = 64_000  # a page's records, about: what a model can take in one result
MAX_IMPORT = 500


class Record(BaseModel):
    layer: ExportLayer
    record: dict[str, Any]


class ExportPage(BaseModel):
    format: str = FORMAT
    version: int = VERSION
    records: list[Record]
    next_cursor: str | None = Field(None, description="Pass it to get the next page; absent when done")


class LayerCounts(BaseModel):
    new: int
    skip: int
    replace: int
    conflict: int


class ImportResult(BaseModel):
    dry_run: bool
    atomic: bool = Field(description="The whole import was one transaction")
    layers: dict[str, LayerCounts]
    notes: list[str] = []

    @classmethod
    def of(cls, report: ImportReport) -> ImportResult:
        layers = {
            name: LayerCounts(new=c.new, skip=c.skip, replace=c.replace, conflict=c.conflict)
            for name, c in report.layers.items()
            if c.new or c.skip or c.replace or c.conflict
        }
        return cls(dry_run=report.dry_run, atomic=report.atomic, layers=layers, notes=report.notes)


def register(reg: Registrar) -> None:
    rt = reg.runtime

    async def export_memories(
        cursor: Annotated[str | None, Field(description="next_cursor of the previous page")] = None,
        space: Annotated[str | None, Field(min_length=1, description="Memory space (default: the server's)")] = None,
        layers: Annotated[
            list[ExportLayer] | None, Field(min_length=1, description="Layers to export (default: those of a space)")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=MAX_PAGE, description="Records per page")] = 50,
    ) -> ExportPage:
        """Export a memory space's records (memories, facts, conversations...) page by page, in
        cortex-mcp's export format; vectors are left out."""
        chosen = list(dict.fromkeys(layers or SPACE_LAYERS))
        page = await export_page(rt.backend, space=space or rt.config.memory_space, layers=chosen, cursor=cursor,
                                 limit=limit, max_bytes=PAGE_BYTES)  # fmt: skip
        return ExportPage(records=[Record(**r) for r in page.records], next_cursor=page.cursor)

    async def import_memories(
        records: Annotated[
            list[Record], Field(min_length=1, max_length=MAX_IMPORT, description="As export_memories gives them")
        ],
        on_conflict: Annotated[
            Literal["skip", "replace", "fail"], Field(description="A stored record that differs: keep, overwrite, stop")
        ] = "skip",
        dry_run: Annotated[bool, Field(description="Only report what would change")] = False,
        space: Annotated[str | None, Field(min_length=1, description="Move every record into this space")] = None,
    ) -> ImportResult:
        """Import records in cortex-mcp's export format; records already stored are skipped.
        Checked first: a bad record fails the call and nothing is written."""
        report = ImportReport(dry_run=dry_run, atomic=False)
        entries = [Entry(i, r.layer, r.record) for i, r in enumerate(records)]
        try:
            report = await write_entries(rt.backend, lambda: rehome(entries, space, report), on_conflict=on_conflict,
                                         dry_run=dry_run, report=report)  # fmt: skip
        except FormatError as exc:
            field = f"records[{exc.line}]" + (f".{exc.field}" if exc.field else "")
            raise CortexError(f"{field}: {exc.detail}", code="INVALID_RECORD", field=field,
                              hint="Records are {layer, record} as export_memories returns them.") from None
        except ImportFailed as exc:
            raise CortexError(str(exc), code="IMPORT_FAILED") from None
        return ImportResult.of(report)

    reg.add(export_memories, title="Export memories (paged)", read_only=True)
    reg.add(import_memories, title="Import memories", read_only=False, destructive=True, idempotent=True)


# What a memory space holds: layers without one (agents, users, immutable, mutable) are left out.
SPACE_LAYERS: tuple[str, ...] = (
    "spaces", "conversations", "agentMessages", "memories", "facts", "factHistory", "contexts", "sessions",
)  # fmt: skip
