"""Import from other memory servers' files: the reference server's memory.jsonl, Markdown/text."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from cortex_mcp import cli
from cortex_mcp.backends.base import call
from cortex_mcp.data.format import FormatError
from cortex_mcp.data.importer import import_source
from cortex_mcp.data.sources import Target, detect

pytestmark = pytest.mark.anyio

ENTITIES = [
    {"name": "Alex", "entityType": "person", "observations": ["Speaks Portuguese", "Moved to Porto in 2024"]},
    {"name": "Cortex", "entityType": "project", "observations": ["Written in Python", "Stores memories — offline"]},
    {"name": "Empty", "entityType": "thing", "observations": []},
]
RELATIONS = [
    {"from": "Alex", "to": "Cortex", "relationType": "works_on"},
    {"from": "Cortex", "to": "Alex", "relationType": "is maintained by"},
]


def write_memory_jsonl(path, entities=ENTITIES, relations=RELATIONS) -> None:
    """As the reference server's saveGraph writes it: JSON.stringify per line (key order type, name,
    entityType, observations / type, from, to, relationType; no ASCII escaping), entities then
    relations, lines joined with \\n and a final \\n."""
    lines = [
        json.dumps({"type": "entity", "name": e["name"], "entityType": e["entityType"],
                    "observations": e["observations"]}, separators=(",", ":"), ensure_ascii=False)
        for e in entities
    ] + [
        json.dumps({"type": "relation", "from": r["from"], "to": r["to"], "relationType": r["relationType"]},
                   separators=(",", ":"), ensure_ascii=False)
        for r in relations
    ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def everything(backend, space="imported"):
    memories = await call(backend, "memories:list", {"memorySpaceId": space})
    facts = await call(backend, "facts:list", {"memorySpaceId": space, "includeSuperseded": True})
    return memories, facts


async def test_memory_jsonl_becomes_memories_and_facts_about_each_entity(backend, tmp_path):
    path = tmp_path / "memory.jsonl"
    write_memory_jsonl(path)
    assert detect(path) == "memory-jsonl"
    report = await import_source(backend, path, "memory-jsonl", Target("imported", user="alex"))
    assert (report.layers["memories"].new, report.layers["facts"].new, report.layers["factHistory"].new) == (4, 9, 9)
    memories, facts = await everything(backend)
    by_content = {m["content"]: m for m in memories}
    assert set(by_content) == {"Alex: Speaks Portuguese", "Alex: Moved to Porto in 2024",
                               "Cortex: Written in Python", "Cortex: Stores memories — offline"}  # fmt: skip
    assert by_content["Alex: Speaks Portuguese"]["tags"] == ["person"]
    assert by_content["Cortex: Written in Python"]["tags"] == ["project"]
    assert all(m["userId"] == "alex" for m in memories)
    by_fact = {f["fact"]: f for f in facts}
    identity = by_fact["Alex is a person"]
    assert (identity["subject"], identity["predicate"], identity["object"], identity["factType"]) == (
        "Alex", "is a", "person", "identity")  # fmt: skip
    assert by_fact["Empty is a thing"]["tags"] == ["thing"]  # an entity without observations is still known
    observation = by_fact["Alex: Speaks Portuguese"]
    assert (observation["subject"], observation["factType"], observation["tags"]) == ("Alex", "observation", ["person"])
    relation = by_fact["Alex works_on Cortex"]
    assert (relation["subject"], relation["predicate"], relation["object"]) == ("Alex", "works_on", "Cortex")
    assert relation["tags"] == ["person"] and relation["factType"] == "relationship"
    history = await call(backend, "factHistory:getHistory", {"factId": relation["factId"]})
    assert [event["action"] for event in history] == ["CREATE"]
    found = await call(backend, "facts:queryBySubject", {"memorySpaceId": "imported", "subject": "Cortex"})
    assert {f["fact"] for f in found} >= {"Cortex is a project", "Cortex is maintained by Alex"}

    again = await import_source(backend, path, "memory-jsonl", Target("imported", user="alex"))
    assert sum(c.new + c.conflict + c.replace for c in again.layers.values()) == 0  # idempotent
    os.utime(path, (1_000, 1_000))  # the same file touched later: still the same records
    again = await import_source(backend, path, "memory-jsonl", Target("imported", user="alex"))
    assert sum(c.new + c.conflict + c.replace for c in again.layers.values()) == 0


async def test_an_added_observation_is_the_only_new_record(backend, tmp_path):
    path = tmp_path / "memory.jsonl"
    write_memory_jsonl(path)
    await import_source(backend, path, "memory-jsonl", Target("imported"))
    grown = [dict(ENTITIES[0], observations=[*ENTITIES[0]["observations"], "Likes tea"]), *ENTITIES[1:]]
    write_memory_jsonl(path, grown)
    report = await import_source(backend, path, "memory-jsonl", Target("imported"))
    assert (report.layers["memories"].new, report.layers["facts"].new) == (1, 1)
    assert report.layers["memories"].skip == 4


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"type":"entity","name":"A","entityType":"x","observations":[]}', "{oops"], r"line 3: not valid JSON"),
        (['{"type":"entity","entityType":"x","observations":[]}'], r"line 2: name: must be a non-empty string"),
        (['{"type":"entity","name":"A","entityType":"x","observations":"one"}'], r"line 2: observations: must be"),
        (['{"type":"entity","name":"A","entityType":"x","observations":[1]}'], r"line 2: observations\[0\]: must"),
        (['{"type":"node","name":"A"}'], r"line 2: type: each line is"),
        (['{"type":"relation","from":"A","to":"","relationType":"r"}'], r"line 2: to: must be a non-empty string"),
    ],
)
async def test_a_bad_memory_jsonl_is_refused_with_its_line_and_nothing_written(backend, tmp_path, lines, message):
    path = tmp_path / "memory.jsonl"
    # a good line first (line 1): refused means nothing of it was written either
    path.write_text('{"type":"entity","name":"Z","entityType":"x","observations":["first"]}\n' + "\n".join(lines)
                    + "\n")  # fmt: skip
    with pytest.raises(FormatError, match=message):
        await import_source(backend, path, "memory-jsonl", Target("imported"))
    memories, facts = await everything(backend)
    assert memories == [] and facts == []


NOTES = """---
title: Trip
tags: [travel]
---
# Lisbon trip

We stayed in Alfama for a week.
The tram 28 was always full.

## Food

Pastéis de nata at Manteigaria.

```
code with a blank line

inside stays whole
```
"""


async def test_markdown_one_memory_per_paragraph_with_its_section(backend, tmp_path):
    notes = tmp_path / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "trip.md").write_text(NOTES, encoding="utf-8")
    (notes / "sub" / "todo.txt").write_text("Buy milk\n\n\nCall Sam\n", encoding="utf-8")
    (notes / "photo.png").write_bytes(b"\x89PNG not text")
    assert detect(notes) == "text"
    report = await import_source(backend, notes, "text", Target("imported"))
    assert report.layers["memories"].new == 5
    memories, _ = await everything(backend)
    contents = [m["content"] for m in memories]
    assert sorted(contents) == sorted([
        "Buy milk",
        "Call Sam",
        "We stayed in Alfama for a week.\nThe tram 28 was always full.",
        "Pastéis de nata at Manteigaria.",
        "```\ncode with a blank line\n\ninside stays whole\n```",
    ])
    meta = {m["content"]: m["metadata"] for m in memories}
    assert meta["Pastéis de nata at Manteigaria."] == {"source": "trip.md", "line": 12, "section": "Food"}
    assert meta["Buy milk"] == {"source": "sub/todo.txt", "line": 1}
    assert not any("title: Trip" in c for c in contents)  # front matter left out
    again = await import_source(backend, notes, "text", Target("imported"))
    assert again.layers["memories"].skip == 5 and again.layers["memories"].new == 0


async def test_text_one_memory_per_file(backend, tmp_path):
    path = tmp_path / "trip.md"
    path.write_text(NOTES, encoding="utf-8")
    report = await import_source(backend, path, "text", Target("imported", user="alex"), split="file")
    assert report.layers["memories"].new == 1
    memories, _ = await everything(backend)
    (memory,) = memories
    assert memory["content"].startswith("# Lisbon trip") and memory["content"].endswith("inside stays whole\n```")
    assert memory["userId"] == "alex" and memory["metadata"]["source"] == "trip.md"


async def test_text_that_is_not_utf8_is_refused(backend, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(FormatError, match="latin1.txt is not UTF-8 text"):
        await import_source(backend, path, "text", Target("imported"))


def test_the_import_command_reads_every_kind(tmp_path, monkeypatch):
    for name in ("CORTEX_DB_PATH", "CORTEX_MEMORY_SPACE", "CORTEX_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    db, jsonl, notes = tmp_path / "cortex.db", tmp_path / "memory.jsonl", tmp_path / "notes.md"
    write_memory_jsonl(jsonl)
    notes.write_text("One.\n\nTwo.\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli.cli, ["--memory-space", "mine", "import", str(jsonl), "--db", str(db), "--user", "alex"])
    assert result.exit_code == 0, result.output
    assert "memory-jsonl into memory space 'mine'" in result.output
    result = runner.invoke(cli.cli, ["import", str(notes), "--db", str(db), "--split", "file", "--space", "s"])
    assert result.exit_code == 0 and "text into memory space 's'" in result.output, result.output
    export = tmp_path / "out.jsonl"
    assert runner.invoke(cli.cli, ["export", "--db", str(db), "-o", str(export)]).exit_code == 0
    refused = runner.invoke(cli.cli, ["import", str(export), "--db", str(db), "--user", "alex"])
    assert refused.exit_code == 2 and "--user and --split apply to memory.jsonl and text" in refused.output
    refused = runner.invoke(cli.cli, ["import", str(tmp_path), "--db", str(db), "--from", "memory-jsonl"])
    assert refused.exit_code == 2 and "only text imports read folders" in refused.output
