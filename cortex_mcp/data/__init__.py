"""Your data: export, import (an export, memory.jsonl, Markdown), backup and restore.

Each module is one job with a plain function the CLI (and the `data` toolset) calls:
format.py (the export file format, docs/export-format.md), export.py, importer.py, sources.py
(memory.jsonl and Markdown/text as import records), backup.py (backup and restore of the SQLite
file), progress.py (a counter on a terminal's stderr).
"""
