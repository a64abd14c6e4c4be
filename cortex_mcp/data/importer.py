"""`cortex-mcp import`: records into a store, checked whole before anything is written.

Records go in batches of one layer through the bulk path (`bulk:storeMemories` for memories,
`bulk:importDocuments` for the rest), as one plan, reading the file line by line. Every line is
checked against the format and every record against the contract before anything is written;
the first problem is raised as a FormatError with its line and field:

- on the embedded backend the plan is ONE transaction, so the checks run as it goes (the
  backend checks each batch against the contract before its handler runs; a refusal names a
  batch index, mapped back to the file's line) and a failure anywhere rolls everything back;
- elsewhere (Convex) each batch is its own transaction, so a first pass checks the whole file
  before the first batch is sent; a failure while writing leaves the batches before it, and
  running the import again is safe, since records are matched by their ids (equal ones skipped).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cortex_mcp.api.bulk import BATCH_SIZE, DEFAULT_BATCH_SIZE
from cortex_mcp.backends.base import AtomicPlans, Backend, Call, Plan, run_plan
from cortex_mcp.contract.enums import EXPORT_LAYERS
from cortex_mcp.data.format import Entry, ExportFile, FormatError, check_entry
from cortex_mcp.data.sources import Target, memory_jsonl, text_files
from cortex_mcp.errors import ArgumentValidationError

Progress = Callable[[str, int], None]
# Where the backend's contract check points in a batch: `.memories[12].importance`.
_IN_BATCH = re.compile(r"^\.(?:memories|documents)\[(\d+)\](.*)$")
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
        if report.atomic:
            left = "nothing was written (one transaction)"
        elif report.dry_run or report.batches == 0:
            left = "nothing was written"
        else:
            left = f"{report.batches} batch(es) were written before it; running the import again is safe"
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


@dataclass
class Batch:
    layer: str
    records: list[dict]
    lines: list[int]  # the file line of each record

    def refused(self, exc: ArgumentValidationError) -> FormatError | None:
        """The backend's contract refusal of one record, as the FormatError of its line."""
        found = _IN_BATCH.match(exc.path)
        if not found or int(found[1]) >= len(self.lines):
            return None
        first = exc.message.splitlines()[0]
        return FormatError(
            self.lines[int(found[1])], f"{self.layer} record does not match the contract: {first}", f"record{found[2]}"
        )


def _batches(entries: Iterable[Entry], size: int) -> Iterator[Batch]:
    batch: Batch | None = None
    for entry in entries:
        if batch is None or entry.layer != batch.layer or len(batch.records) == size:
            if batch is not None:
                yield batch
            batch = Batch(entry.layer, [], [])
        batch.records.append(entry.record)
        batch.lines.append(entry.line)
    if batch is not None:
        yield batch


def _plan(batches: Iterable[Batch], report: ImportReport, on_conflict: str, progress: Progress | None) -> Plan[None]:
    options = {"onConflict": on_conflict, **({"dryRun": True} if report.dry_run else {})}
    for batch in batches:
        if batch.layer == "memories":
            request = Call("bulk:storeMemories", {"memories": batch.records, **options})
        else:
            request = Call("bulk:importDocuments", {"layer": batch.layer, "documents": batch.records, **options})
        try:
            reply = yield request
        except ArgumentValidationError as exc:
            raise (batch.refused(exc) or exc) from None
        report.layers[batch.layer].add(reply)
        report.batches += 1
        if progress:
            progress(batch.layer, len(batch.records))


async def write_entries(backend: Backend, entries: Callable[[], Iterable[Entry]], *, on_conflict: str = "skip",
                        dry_run: bool = False, progress: Progress | None = None,
                        batch_size: int | None = None, report: ImportReport | None = None) -> ImportReport:
    """Check and write every entry of `entries()` (see the module doc). Raises FormatError when a
    line is refused (nothing written), ImportFailed when writing fails."""
    atomic = isinstance(backend, AtomicPlans)
    if not atomic:
        for entry in entries():
            check_entry(entry)
    report = report or ImportReport(dry_run=dry_run, atomic=atomic)
    report.dry_run, report.atomic = dry_run, atomic
    size = batch_size or BATCH_SIZE.get(backend.name, DEFAULT_BATCH_SIZE)
    try:
        await run_plan(backend, _plan(_batches(entries(), size), report, on_conflict, progress))
    except FormatError:
        raise
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


async def import_source(backend: Backend, path: str | Path, kind: str, target: Target, *, split: str = "paragraph",
                        on_conflict: str = "skip", dry_run: bool = False, progress: Progress | None = None,
                        batch_size: int | None = None) -> ImportReport:
    """Import another memory server's file (sources.py: `memory-jsonl`, or `text` files) into
    `target.space`."""
    path = Path(path)
    if kind == "memory-jsonl":
        entries: Callable[[], Iterable[Entry]] = lambda: memory_jsonl(path, target)  # noqa: E731
    elif kind == "text":
        entries = lambda: text_files(path, target, split)  # noqa: E731
    else:
        raise ValueError(f"unknown source kind {kind!r}")
    return await write_entries(backend, entries, on_conflict=on_conflict, dry_run=dry_run, progress=progress,
                               batch_size=batch_size)
