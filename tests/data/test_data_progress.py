"""The export/import counter: drawn on a terminal's stderr only, never into a pipe or a log."""

from __future__ import annotations

import io

from cortex_mcp.data.progress import EVERY, Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_counts_on_a_terminal_and_ends_the_line():
    stream = Terminal()
    progress = Progress(stream, "exported")
    progress("memories", EVERY - 1)
    progress("memories")  # one more crosses a redraw boundary
    progress("facts", 5)
    progress.close()
    text = stream.getvalue()
    assert f"\rexported {EVERY - 1} records (memories)" in text
    assert f"\rexported {EVERY + 5} records (facts)" in text and text.endswith("\n")


def test_silent_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream, "imported")
    for _ in range(3 * EVERY):
        progress("memories")
    progress.close()
    assert stream.getvalue() == "" and progress.done == 3 * EVERY


def test_single_records_redraw_only_every_thousand():
    stream = Terminal()
    progress = Progress(stream, "imported")
    for _ in range(2 * EVERY):
        progress("memories")
    assert stream.getvalue().count("\r") == 2
