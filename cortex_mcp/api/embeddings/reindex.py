"""`cortex-mcp reindex`: give every memory a vector of the configured model.

Embeds, page by page, the memories that have no vector, and stores each page in one transaction,
so an interrupted run loses at most the page in flight and the next run picks up where it stopped
(it asks again for what is still missing). When the database's vectors were made by another model,
they are dropped and the new model recorded first, in one transaction: from then on the old model
is refused and the new one is accepted, and its vectors never mix with the old ones.
Works through the `embeddings:*` extension (the embedded backend and `backend serve`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import anyio

from cortex_mcp.api.embeddings import Embedder, EmbeddingError, embedder_for
from cortex_mcp.api.embeddings.context import CONTEXT_TURNS, vectors_in_context
from cortex_mcp.backends.base import Backend, call
from cortex_mcp.config import Config
from cortex_mcp.errors import CortexError, FunctionNotFoundError

PAGE = 64

Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class ReindexResult:
    model: str
    embedded: int  # vectors written by this run
    memories: int  # memories in the database
    cleared: int = 0  # vectors of another model dropped first


async def reindex(
    backend: Backend,
    embedder: Embedder,
    *,
    page: int = PAGE,
    progress: Progress | None = None,
    stop_after: int | None = None,
) -> ReindexResult:
    """Embed what is missing (`stop_after` pages at most: for tests of an interrupted run)."""
    try:
        status = await call(backend, "embeddings:status", {})
    except FunctionNotFoundError:
        raise EmbeddingError(
            "this backend has no embeddings:* functions (a Convex deployment): reindex needs the embedded backend",
            hint="Memories remembered with --embeddings get their vectors at once; reindex a local database.",
        ) from None
    result = ReindexResult(model=embedder.name, embedded=0, memories=status["memories"])
    todo = status["memories"] - status["embedded"]
    if status["model"] != embedder.name:
        dimension = embedder.dimension or len((await embedder.embed(["dimension"]))[0])
        switched = await call(backend, "embeddings:switchModel", {"model": embedder.name, "dimension": dimension})
        result.cleared = switched["cleared"]
        todo = status["memories"]
    cursor: float | None = None
    pages = 0
    if progress:
        progress(0, todo)
    while stop_after is None or pages < stop_after:
        args = {"limit": page, "contextTurns": CONTEXT_TURNS} | ({} if cursor is None else {"after": cursor})
        batch = await call(backend, "embeddings:pending", args)
        if not batch["items"]:
            break
        vectors = await vectors_in_context(embedder, [(i.get("context") or [], i["content"]) for i in batch["items"]])
        items = [{"memoryId": i["memoryId"], "embedding": v} for i, v in zip(batch["items"], vectors, strict=True)]
        stored = await call(backend, "embeddings:set", {"model": embedder.name, "items": items})
        result.embedded += stored["updated"]
        cursor = batch["cursor"]
        pages += 1
        if progress:
            progress(result.embedded, max(todo, result.embedded))
    return result


class ProgressBar:
    """A one-line bar redrawn in place on a terminal; elsewhere (a log, a pipe) nothing at all."""

    def __init__(self, stream: TextIO, width: int = 30):
        self.stream = stream
        self.width = width
        self.enabled = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        filled = self.width if total == 0 else self.width * done // total
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} memories")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def run_reindex(config: Config, *, batch: int = PAGE, stream: TextIO | None = None) -> int:
    """`cortex-mcp reindex`: reindex the embedded database of `config`; 0 when done, 1 on failure.
    Reports on `stream` (stderr by default)."""
    from cortex_mcp.backends.embedded import EmbeddedBackend

    stream = stream or sys.stderr
    embedder = embedder_for(config)
    assert embedder is not None, "reindex needs a provider"

    async def main() -> ReindexResult:
        backend = EmbeddedBackend(config.db_path)
        try:
            return await reindex(backend, embedder, page=batch, progress=bar)
        finally:
            bar.close()
            await backend.aclose()
            await embedder.aclose()

    bar = ProgressBar(stream)
    try:
        result = anyio.run(main)
    except CortexError as exc:
        stream.write(f"reindex stopped: {exc.message}{f'. {exc.hint}' if exc.hint else ''}\n")
        stream.write("Vectors stored so far are kept; run reindex again to continue.\n")
        return 1
    if result.cleared:
        stream.write(f"dropped {result.cleared} vectors of the previous model\n")
    stream.write(f"{result.embedded} memories embedded with {result.model}; {result.memories} memories in all\n")
    return 0
