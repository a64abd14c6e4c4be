"""A one-line counter redrawn in place on a terminal; elsewhere (a log, a pipe) nothing at all."""

from __future__ import annotations

from typing import TextIO

EVERY = 1000  # records between redraws: drawing each one would cost more than the work


class Progress:
    def __init__(self, stream: TextIO, verb: str):
        self.stream = stream
        self.verb = verb
        self.enabled = stream.isatty()
        self.done = 0

    def __call__(self, layer: str, count: int = 1) -> None:
        before, self.done = self.done, self.done + count
        if self.enabled and (before // EVERY != self.done // EVERY or count > 1):
            self.stream.write(f"\r{self.verb} {self.done} records ({layer})\x1b[K")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()
