"""The `export` and `import` commands as plain functions: open the backend, run, report on stderr
(the import plan on stdout), and return the exit code. cli.py only parses options."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

import anyio

from cortex_mcp.backends.base import Backend
from cortex_mcp.config import Config
from cortex_mcp.data.export import ExportFilter, export_file
from cortex_mcp.data.format import FormatError
from cortex_mcp.data.importer import ImportFailed, ImportReport, import_file, import_source
from cortex_mcp.data.progress import Progress
from cortex_mcp.data.sources import Target, detect
from cortex_mcp.errors import CortexError, FunctionNotFoundError

T = TypeVar("T")
NO_EXTENSION = (
    "this deployment lacks the cortex-mcp bulk:* functions (an upstream Cortex deployment): export and import "
    "need the embedded backend or `cortex-mcp backend serve`"
)


def _run(config: Config, work: Callable[[Backend], Awaitable[T]]) -> T:
    from cortex_mcp.server import open_backend

    async def main() -> T:
        backend = open_backend(config)
        try:
            return await work(backend)
        finally:
            await backend.aclose()

    return anyio.run(main)


def run_export(config: Config, output: Path, filters: ExportFilter, stream: TextIO | None = None) -> int:
    """`cortex-mcp export`: 0 when the file is complete, 1 when nothing was written."""
    stream = stream or sys.stderr
    progress = Progress(stream, "exported")
    try:
        counts = _run(config, lambda backend: export_file(backend, output, filters, progress))
    except FunctionNotFoundError:
        stream.write(f"export failed: {NO_EXTENSION}\n")
        return 1
    except (CortexError, OSError) as exc:
        stream.write(f"export failed: {getattr(exc, 'message', exc)} (no file written)\n")
        return 1
    finally:
        progress.close()
    listed = ", ".join(f"{n} {layer}" for layer, n in counts.items() if n)
    stream.write(f"exported {sum(counts.values())} records to {output}{f': {listed}' if listed else ''}\n")
    return 0


def run_import(config: Config, source: Path, options: dict[str, Any], stream: TextIO | None = None,
               out: TextIO | None = None) -> int:
    """`cortex-mcp import FILE`: 0 when imported (or planned, with dry_run), 1 when refused or
    failed; ValueError for options that do not apply to FILE's kind.

    `options`: kind (auto / export / memory-jsonl / text), space, user, split, dry_run, on_conflict."""
    stream, out = stream or sys.stderr, out or sys.stdout
    kind = options["kind"] if options.get("kind", "auto") != "auto" else detect(source)
    if kind == "export" and (options.get("user") or options.get("split")):
        raise ValueError("--user and --split apply to memory.jsonl and text imports, not to an export file")
    if source.is_dir() and kind != "text":
        raise ValueError(f"{source} is a folder: only text imports read folders")
    progress = Progress(stream, "would import" if options.get("dry_run") else "imported")
    common = {"on_conflict": options.get("on_conflict", "skip"), "dry_run": bool(options.get("dry_run")),
              "progress": progress}

    async def work(backend: Backend) -> ImportReport:
        if kind == "export":
            return await import_file(backend, source, space=options.get("space"), **common)
        target = Target(space=options.get("space") or config.memory_space, user=options.get("user"))
        return await import_source(backend, source, kind, target, split=options.get("split") or "paragraph", **common)

    try:
        report = _run(config, work)
    except FormatError as exc:
        stream.write(f"import refused, nothing written: {source}: {exc}\n")
        return 1
    except ImportFailed as exc:
        cause = NO_EXTENSION if isinstance(exc.cause, FunctionNotFoundError) else str(exc)
        stream.write(f"import failed: {cause}\n")
        return 1
    except (CortexError, OSError) as exc:
        stream.write(f"import failed: {getattr(exc, 'message', exc)}\n")
        return 1
    finally:
        progress.close()
    origin = "" if kind == "export" else f" ({kind} into memory space {options.get('space') or config.memory_space!r})"
    out.write(report.render().replace(":", f"{origin}:", 1) + "\n")
    return 0
