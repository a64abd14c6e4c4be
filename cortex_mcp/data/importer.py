"""`cortex-mcp import`: records into a store, checked whole before anything is written.

Two passes over the file, each line by line: the first checks every line against the format and
every record against the contract (nothing written; the first problem is raised with its line and
field); the second sends batches of one layer through the bulk path (`bulk:storeMemories` for
memories, `bulk:importDocuments` for the rest), as one plan. On the embedded backend the plan is
ONE transaction: a failure anywhere leaves the store as it was. On Convex each batch is its own
transaction: a failure leaves the batches before it; running the import again is safe, since
records are matched by their ids (equal ones are skipped).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cortex_mcp.api.bulk import BATCH_SIZE, DEFAULT_BATCH_SIZE
from cortex_mcp.backends.base import AtomicPlans, Backend, Call, Plan, run_plan
from cortex_mcp.contract.enums import EXPORT_LAYERS
from cortex_mcp.data.format import Entry, ExportFile, check_entry

Progress = Callable[[str, int], None]
# Layers whose records live in one memory space (`--space` moves them).
SPACED = ("conversations", "agentMessages", "memories", "facts", "factHistory", "contexts", "sessions")


@dataclass
class LayerCounts:
    new: int = 0
    skip: int = 0  # already stored, equal
    replace: int = 0  # stored, different, replaced (--on-conflict replace)
    conflict: int = 0  # stored, different, kept (--on-conflict skip)

    def add(self, reply: dict) -> None:
        self.new += reply["stored"]
        self.skip += reply["skipped"] - reply["conflicts"]
        self.replace += reply["replaced"]
        self.conflict += reply["conflicts"]


@dataclass
class ImportReport:
    dry_run: bool
    atomic: bool  # the whole import was one transaction
    layers: dict[str, LayerCounts] = field(default_factory=lambda: {n: LayerCounts() for n in EXPORT_LAYERS})
    batches: int = 0  # batches written (on Convex, what a failure leaves behind)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        rows = [(n, c) for n, c in self.layers.items() if c.new or c.skip or c.replace or c.conflict]
        head = "would import (dry run, nothing written)" if self.dry_run else "imported"
        lines = [f"{head}:", f"  {'layer':14} {'new':>8} {'skip':>8} {'replace':>8} {'conflict':>8}"]
        lines += [f"  {n:14} {c.new:8} {c.skip:8} {c.replace:8} {c.conflict:8}" for n, c in rows]
        if not rows:
            lines.append("  (no records)")
        if any(c.conflict for _, c in rows):
            lines.append("conflicts: stored records that differ were kept; --on-conflict replace overwrites them")
        return "\n".join(lines + self.notes)


class ImportFailed(Exception):
    """Writing failed after the checks passed; says what the failure left behind."""

    def __init__(self, cause: Exception, report: ImportReport):
        self.cause, self.report = cause, report
        left = (
            "nothing was written (one transaction)"
            if report.atomic or report.dry_run
            else f"{report.batches} batch(es) were written before it; running the import again is safe"
        )
        super().__init__(f"{getattr(cause, 'message', cause)}: {left}")


def rehome(entries: Iterable[Entry], space: str | None, report: ImportReport | None = None) -> Iterator[Entry]:
    """`--space`: every record moved into `space`; the file's space records are left out."""
    left_out = 0
    for entry in entries:
        if space is None:
            yield entry
        elif entry.layer == "spaces":
            left_out += 1
        elif entry.layer in SPACED and "memorySpaceId" in entry.record:
            yield Entry(entry.line, entry.layer, {**entry.record, "memorySpaceId": space})
        else:
            yield entry
    if left_out and report is not None:
        report.notes.append(f"{left_out} memory space record(s) left out: --space moves everything into {space!r}")


def _batches(entries: Iterable[Entry], size: int) -> Iterator[tuple[str, list[dict]]]:
    layer: str | None = None
    batch: list[dict] = []
    for entry in entries:
        if batch and (entry.layer != layer or len(batch) == size):
            yield layer, batch  # type: ignore[misc]
            batch = []
        layer = entry.layer
        batch.append(entry.record)
    if batch:
        yield layer, batch  # type: ignore[misc]


def _plan(batches: Iterable[tuple[str, list[dict]]], report: ImportReport, on_conflict: str,
          progress: Progress | None) -> Plan[None]:
    for layer, records in batches:
        options = {"onConflict": on_conflict, **({"dryRun": True} if report.dry_run else {})}
        if layer == "memories":
            reply = yield Call("bulk:storeMemories", {"memories": records, **options})
        else:
            reply = yield Call("bulk:importDocuments", {"layer": layer, "documents": records, **options})
        report.layers[layer].add(reply)
        report.batches += 1
        if progress:
            progress(layer, len(records))


async def write_entries(backend: Backend, entries: Callable[[], Iterable[Entry]], *, on_conflict: str = "skip",
                        dry_run: bool = False, progress: Progress | None = None,
                        batch_size: int | None = None, report: ImportReport | None = None) -> ImportReport:
    """Check every entry (a first pass over `entries()`), then write them all (a second pass).
    Raises FormatError before anything is written, ImportFailed when writing fails."""
    for entry in entries():
        check_entry(entry)
    report = report or ImportReport(dry_run=dry_run, atomic=isinstance(backend, AtomicPlans))
    report.dry_run = dry_run
    report.atomic = isinstance(backend, AtomicPlans)
    size = batch_size or BATCH_SIZE.get(backend.name, DEFAULT_BATCH_SIZE)
    try:
        await run_plan(backend, _plan(_batches(entries(), size), report, on_conflict, progress))
    except Exception as exc:
        raise ImportFailed(exc, report) from exc
    return report


async def import_file(backend: Backend, path: str | Path, *, space: str | None = None, on_conflict: str = "skip",
                      dry_run: bool = False, progress: Progress | None = None,
                      batch_size: int | None = None) -> ImportReport:
    """Import an export file (format.py) into `backend`."""
    source = ExportFile(path)
    report = ImportReport(dry_run=dry_run, atomic=isinstance(backend, AtomicPlans))

    def entries() -> Iterator[Any]:
        report.notes.clear()  # each pass says it again
        return rehome(source, space, report)

    return await write_entries(backend, entries, on_conflict=on_conflict, dry_run=dry_run, progress=progress,
                               batch_size=batch_size, report=report)
