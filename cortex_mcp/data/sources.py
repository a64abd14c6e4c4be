"""Other memory servers' files as import records (written through importer.py like an export).

- The reference memory server's `memory.jsonl` (modelcontextprotocol/servers, src/memory): one
  JSON object per line, `{"type":"entity","name":…,"entityType":…,"observations":[…]}` or
  `{"type":"relation","from":…,"to":…,"relationType":…}`. Each observation becomes a memory
  ("<entity>: <observation>") and a fact about the entity (subject = entity name); each entity a
  fact "<entity> is a <type>"; each relation a fact with subject, predicate and object. Everything
  about an entity is tagged with its entity type, and each fact gets its CREATE history event.
- Markdown or text files (a file, or a folder of `.md`, `.markdown` and `.txt` files, as
  basic-memory keeps them): one memory per paragraph (blank-line separated, code fences kept
  whole, headings carried as the section) or one per file. YAML front matter is left out.

Ids are derived from the content (and the target space), so importing the same file again
changes nothing, and the records carry the file's modification time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cortex_mcp.data.format import Entry, FormatError

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
SOURCE_TYPE = "tool"  # memories an import tool wrote
IMPORTANCE = 50
CONFIDENCE = 90  # what the user's own memory server held as true


@dataclass(frozen=True)
class Target:
    """Where imported records go and whose they are."""

    space: str
    user: str | None = None


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:20]


def _memory(target: Target, memory_id: str, content: str, when: int, tags: list[str], metadata: dict) -> dict:
    record: dict[str, Any] = {
        "memoryId": memory_id,
        "memorySpaceId": target.space,
        "content": content,
        "contentType": "raw",
        "sourceType": SOURCE_TYPE,
        "importance": IMPORTANCE,
        "tags": tags,
        "metadata": metadata,
        "createdAt": when,
    }
    if target.user:
        record["userId"] = target.user
    return record


def _fact(target: Target, text: str, when: int, fact_type: str, tags: list[str], metadata: dict,
          subject: str, predicate: str | None = None, obj: str | None = None) -> list[tuple[str, dict]]:
    """A fact record and its CREATE event (line numbers are added by the caller)."""
    fact_id = f"fact-import-{_digest(target.space, 'fact', subject, predicate or '', obj or '', text)}"
    fact: dict[str, Any] = {
        "factId": fact_id,
        "memorySpaceId": target.space,
        "fact": text,
        "factType": fact_type,
        "subject": subject,
        "confidence": CONFIDENCE,
        "sourceType": "manual",
        "tags": tags,
        "metadata": metadata,
        "version": 1,
        "createdAt": when,
        "updatedAt": when,
    }
    if predicate is not None:
        fact["predicate"] = predicate
    if obj is not None:
        fact["object"] = obj
    event: dict[str, Any] = {
        "eventId": f"fh-import-{_digest(fact_id)}",
        "factId": fact_id,
        "memorySpaceId": target.space,
        "action": "CREATE",
        "newValue": text,
        "confidence": CONFIDENCE,
        "reason": "Imported",
        "timestamp": when,
    }
    if target.user:
        fact["userId"] = event["userId"] = target.user
    return [("facts", fact), ("factHistory", event)]


def _mtime_ms(path: Path) -> int:
    return int(path.stat().st_mtime * 1000)


def _text(value: Any, line: int, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FormatError(line, f"must be a non-empty string, not {json.dumps(value)[:60]}", field)
    return value


def memory_jsonl(path: Path, target: Target) -> Iterator[Entry]:
    """The records of a reference memory server's `memory.jsonl`, in export layer order
    (memories, then facts, then their history)."""
    when = _mtime_ms(path)
    types: dict[str, str] = {}
    memories: list[Entry] = []
    facts: list[Entry] = []
    events: list[Entry] = []

    def add(line: int, pairs: list[tuple[str, dict]]) -> None:
        for layer, record in pairs:
            (facts if layer == "facts" else events).append(Entry(line, layer, record))

    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise FormatError(number, f"not valid JSON ({exc})") from None
            if not isinstance(item, dict) or item.get("type") not in ("entity", "relation"):
                raise FormatError(number, 'each line is {"type": "entity", ...} or {"type": "relation", ...}', "type")
            source = {"source": "memory.jsonl", "file": path.name}
            if item["type"] == "entity":
                name = _text(item.get("name"), number, "name")
                kind = _text(item.get("entityType"), number, "entityType")
                observations = item.get("observations", [])
                if not isinstance(observations, list):
                    raise FormatError(number, "must be a list of strings", "observations")
                types[name] = kind
                tags = [kind]
                meta = {**source, "entity": name, "entityType": kind}
                add(number, _fact(target, f"{name} is a {kind}", when, "identity", tags, meta, name, "is a", kind))
                for i, observation in enumerate(observations):
                    text = _text(observation, number, f"observations[{i}]")
                    memory_id = f"mem-import-{_digest(target.space, 'observation', name, text)}"
                    memories.append(Entry(number, "memories", _memory(target, memory_id, f"{name}: {text}", when,
                                                                      tags, meta)))  # fmt: skip
                    add(number, _fact(target, f"{name}: {text}", when, "observation", tags, meta, name))
            else:
                start = _text(item.get("from"), number, "from")
                end = _text(item.get("to"), number, "to")
                relation = _text(item.get("relationType"), number, "relationType")
                meta = {**source, "relation": relation}
                tags = [types[start]] if start in types else []
                add(number, _fact(target, f"{start} {relation} {end}", when, "relationship", tags, meta, start,
                                  relation, end))  # fmt: skip
    for entry in facts:  # a relation may name an entity that comes later in the file
        if not entry.record["tags"] and entry.record["subject"] in types:
            entry.record["tags"] = [types[entry.record["subject"]]]
    yield from memories
    yield from facts
    yield from events


_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def _front_matter_end(lines: list[str]) -> int:
    """Lines of YAML front matter at the top (0 when there is none)."""
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                return i + 1
    return 0


def _paragraphs(lines: list[str], start: int) -> Iterator[tuple[int, str, str | None]]:
    """(first line number, paragraph, section heading) per paragraph; fences are kept whole."""
    block: list[str] = []
    first = 0
    fenced = False
    section: str | None = None
    for number, line in enumerate(lines[start:], start=start + 1):
        if _FENCE.match(line):
            fenced = not fenced
        if not line.strip() and not fenced:
            if block:
                yield first, "\n".join(block).strip(), section
                block = []
            continue
        heading = None if fenced or block else _HEADING.match(line)
        if heading:
            section = heading[1] or section
            continue
        if not block:
            first = number
        block.append(line.rstrip())
    if block:
        yield first, "\n".join(block).strip(), section


def text_files(source: Path, target: Target, split: str) -> Iterator[Entry]:
    """Memories from a Markdown/text file or folder: one per paragraph or per file."""
    if split not in ("paragraph", "file"):
        raise ValueError(f"split must be 'paragraph' or 'file', not {split!r}")
    files = [source] if source.is_file() else sorted(
        p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES
    )  # fmt: skip
    for path in files:
        name = str(path.relative_to(source)) if path != source else path.name
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise FormatError(1, f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        when = _mtime_ms(path)
        start = _front_matter_end(lines)
        pieces: list[tuple[int, str, str | None]]
        if split == "file":
            pieces = [(start + 1, "\n".join(lines[start:]).strip(), None)]
        else:
            pieces = list(_paragraphs(lines, start))
        seen: dict[str, int] = {}
        for line, text, section in pieces:
            if not text:
                continue
            seen[text] = seen.get(text, 0) + 1  # the same paragraph twice in a file is two memories
            memory_id = f"mem-import-{_digest(target.space, 'text', name, text, str(seen[text]))}"
            meta = {"source": name, "line": line, **({"section": section} if section else {})}
            yield Entry(line, "memories", _memory(target, memory_id, text, when, [], meta))


KINDS = ("export", "memory-jsonl", "text")


def detect(path: Path) -> str:
    """What `path` holds: a folder or .md/.txt file is text; a JSON Lines file is an export when its
    first line is an export header, else the reference server's memory.jsonl."""
    if path.is_dir() or path.suffix.lower() in TEXT_SUFFIXES:
        return "text"
    with path.open("rb") as lines:
        for raw in lines:
            if raw.strip():
                try:
                    first = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    return "text"
                if isinstance(first, dict) and "format" in first:
                    return "export"
                if isinstance(first, dict) and first.get("type") in ("entity", "relation"):
                    return "memory-jsonl"
                return "text"
    return "text"
