"""Export and import (cortex_mcp/data/): the file format, round trips on both backends, the plan,
conflicts, filters, and bad files refused with their line and field, nothing written."""

from __future__ import annotations

import io
import json

import pytest

from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.data.export import ExportFilter, export_file, export_records
from cortex_mcp.data.format import FormatError, parse_time
from cortex_mcp.data.importer import ImportFailed, import_file
from tests.data.populate import empty_like, populate

pytestmark = pytest.mark.anyio


def body(path) -> list[str]:
    """The file without its header (export time and source are the only volatile parts)."""
    return path.read_text().splitlines()[1:]


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def snapshot(backend, tmp_path, name="snap") -> list[str]:
    path = tmp_path / f"{name}.jsonl"
    await export_file(backend, path, ExportFilter(embeddings=True))
    return body(path)


async def test_round_trip_gives_the_same_file(backend, tmp_path):
    await populate(backend)
    first = tmp_path / "first.jsonl"
    counts = await export_file(backend, first, ExportFilter(embeddings=True))
    assert all(counts[layer] >= 1 for layer in counts), counts  # every layer is represented
    async with empty_like(backend, tmp_path) as other:
        report = await import_file(other, first)
        assert report.layers["memories"].new == counts["memories"] == 4
        assert all(c.skip == c.replace == c.conflict == 0 for c in report.layers.values())
        assert await snapshot(other, tmp_path) == body(first)
        again = await import_file(other, first)  # idempotent: everything is already there
        assert sum(c.new + c.replace + c.conflict for c in again.layers.values()) == 0
        assert again.layers["facts"].skip == counts["facts"]
        assert await snapshot(other, tmp_path, "again") == body(first)


async def test_the_file_is_versioned_json_lines_with_an_end_line(backend, tmp_path):
    await populate(backend)
    path = tmp_path / "out.jsonl"
    counts = await export_file(backend, path, ExportFilter())
    rows = lines(path)
    assert rows[0]["format"] == "cortex-mcp-export" and rows[0]["version"] == 1
    assert rows[-1] == {"end": {"counts": counts}}
    layers = [row["layer"] for row in rows[1:-1]]
    assert layers == sorted(layers, key=list(counts).index)  # grouped by layer, in the documented order
    records = [row["record"] for row in rows[1:-1]]
    assert not any(key.startswith("_") for record in records for key in record)
    assert not any("embedding" in json.dumps(record) for record in records)  # vectors only with embeddings=True
    users = [row["record"] for row in rows if row.get("layer") == "users"]
    assert [u["id"] for u in users] == ["alex"]
    assert {row["record"]["type"] for row in rows if row.get("layer") == "agentMessages"} == {"agent-agent"}


async def test_filters_space_user_since(backend, tmp_path):
    await populate(backend)
    out = io.BytesIO()
    counts = await export_records(backend, out, ExportFilter(spaces=["work"]))
    assert counts["memories"] == 1 and counts["facts"] == 0
    assert counts["users"] == counts["agents"] == counts["mutable"] == 0  # no space: left out
    counts = await export_records(backend, io.BytesIO(), ExportFilter(spaces=["home", "work", "home"]))
    assert counts["memories"] == 2  # the a2a memories live in the two agents' spaces
    counts = await export_records(backend, io.BytesIO(), ExportFilter(user="alex"))
    assert counts["users"] == 1 and counts["memories"] == 1 and counts["facts"] == 2 and counts["sessions"] == 1
    assert counts["spaces"] == counts["agents"] == 0
    counts = await export_records(backend, io.BytesIO(), ExportFilter(since=parse_time("2999-01-01")))
    assert sum(counts.values()) == 0


async def test_pages_continue_where_they_stopped_even_after_a_delete(backend, tmp_path):
    for i in range(7):
        await call(backend, "mutable:set", {"namespace": "n", "key": f"k{i}", "value": i})
    small, whole = io.BytesIO(), io.BytesIO()
    await export_records(backend, small, ExportFilter(), page=2)
    await export_records(backend, whole, ExportFilter())
    assert small.getvalue().splitlines()[1:] == whole.getvalue().splitlines()[1:]
    first = await call(backend, "bulk:exportPage", {"layer": "mutable", "limit": 3})
    await call(backend, "mutable:deleteKey", {"namespace": "n", "key": "k2"})  # the cursor's own record
    rest = await call(backend, "bulk:exportPage", {"layer": "mutable", "cursor": first["cursor"]})
    assert [r["key"] for r in rest["page"]] == ["k3", "k4", "k5", "k6"]


async def test_dry_run_reports_the_plan_and_writes_nothing(backend, tmp_path):
    await populate(backend)
    path = tmp_path / "out.jsonl"
    counts = await export_file(backend, path, ExportFilter())
    async with empty_like(backend, tmp_path) as other:
        report = await import_file(other, path, dry_run=True)
        assert report.dry_run and report.layers["memories"].new == counts["memories"]
        assert "dry run" in report.render()
        (end,) = await snapshot(other, tmp_path)  # nothing but the end line
        assert json.loads(end) == {"end": {"counts": dict.fromkeys(counts, 0)}}


async def test_conflicts_skip_replace_fail(backend, tmp_path):
    await populate(backend)
    path = tmp_path / "out.jsonl"
    await export_file(backend, path, ExportFilter())
    await call(backend, "mutable:set", {"namespace": "prefs", "key": "theme", "value": "light", "userId": "alex"})
    before = await snapshot(backend, tmp_path, "before")

    report = await import_file(backend, path)  # default: keep what differs
    assert report.layers["mutable"].conflict == 1 and report.layers["memories"].skip == 4
    assert "--on-conflict replace" in report.render()
    assert await snapshot(backend, tmp_path, "kept") == before

    with pytest.raises(ImportFailed, match=r"prefs.*already exists with other content"):
        await import_file(backend, path, on_conflict="fail")
    assert await snapshot(backend, tmp_path, "failed") == before

    dry = await import_file(backend, path, on_conflict="replace", dry_run=True)
    assert dry.layers["mutable"].replace == 1
    assert await snapshot(backend, tmp_path, "dry") == before
    report = await import_file(backend, path, on_conflict="replace")
    assert report.layers["mutable"].replace == 1
    value = await call(backend, "mutable:get", {"namespace": "prefs", "key": "theme"})
    assert value["value"] == "dark"


async def test_reimporting_without_vectors_is_no_conflict(backend, tmp_path):
    await populate(backend)
    path = tmp_path / "out.jsonl"
    await export_file(backend, path, ExportFilter())  # no embeddings in the file
    report = await import_file(backend, path)
    assert report.layers["memories"].conflict == 0 and report.layers["memories"].skip == 4


async def test_space_rehomes_every_record(backend, tmp_path):
    await populate(backend)
    path = tmp_path / "out.jsonl"
    await export_file(backend, path, ExportFilter(spaces=["home"]))
    async with empty_like(backend, tmp_path) as other:
        report = await import_file(other, path, space="moved")
        assert report.layers["spaces"].new == 0 and "left out" in report.render()
        rows = [json.loads(line) for line in await snapshot(other, tmp_path)][:-1]
        spaced = [r["record"] for r in rows if "memorySpaceId" in r["record"]]
        assert spaced and {r["memorySpaceId"] for r in spaced} == {"moved"}


async def test_failure_on_embedded_leaves_nothing_half_imported(tmp_path):
    source = EmbeddedBackend(tmp_path / "source.db")
    await populate(source)
    path = tmp_path / "out.jsonl"
    await export_file(source, path, ExportFilter())
    await source.aclose()
    target = EmbeddedBackend(tmp_path / "target.db")
    # The same memory id already lives in another space there: the memories batch fails, after
    # spaces, agents, users and conversations were sent in the same transaction.
    memory = next(r["record"] for r in lines(path)[1:-1] if r["layer"] == "memories")
    await call(target, "bulk:storeMemories", {"memories": [{**memory, "memorySpaceId": "elsewhere"}]})
    before = await snapshot(target, tmp_path, "before")
    with pytest.raises(ImportFailed, match="another memory space.*nothing was written"):
        await import_file(target, path)
    assert await snapshot(target, tmp_path, "after") == before
    await target.aclose()


def _write(path, *rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


HEADER = {"format": "cortex-mcp-export", "version": 1}
GOOD = {
    "layer": "mutable",
    "record": {"namespace": "n", "key": "k", "value": 1, "createdAt": 1, "updatedAt": 1},
}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([HEADER, GOOD, "{not json", {"end": {"counts": {"mutable": 1}}}], r"line 3: not valid JSON"),
        ([{**HEADER, "version": 9}, {"end": {"counts": {}}}], r"line 1: version: .*9 is not supported"),
        ([{"format": "other"}], r"line 1: not a cortex-mcp export"),
        ([HEADER, GOOD], r"line 2: the file ends without its end line: it is truncated"),
        ([HEADER, {"layer": "dreams", "record": {}}, {"end": {"counts": {}}}], r"line 2: layer: unknown layer"),
        (
            [HEADER, {"layer": "mutable", "record": {**GOOD["record"], "createdAt": "yesterday"}},
             {"end": {"counts": {"mutable": 1}}}],
            r"line 2: record.createdAt: mutable record does not match the contract",
        ),
        (
            [HEADER, {"layer": "memories", "record": {"memorySpaceId": "s", "content": "x"}},
             {"end": {"counts": {"memories": 1}}}],
            r"line 2: record.contentType: memories record .*missing the required field `contentType`",
        ),
        (
            [HEADER, {"layer": "users", "record": {"type": "note", "id": "x", "data": {}, "version": 1,
                                                   "previousVersions": [], "createdAt": 1, "updatedAt": 1}},
             {"end": {"counts": {"users": 1}}}],
            r"line 2: record.type: .*'note' is not a users record",
        ),
        ([HEADER, GOOD, {"end": {"counts": {"mutable": 2}}}], r"end.counts: the end line's counts"),
        ([HEADER, {"layer": "mutable", "record": [1]}, {"end": {"counts": {}}}], r"line 2: record: must be an object"),
    ],
)
async def test_bad_files_are_refused_with_line_and_field_and_nothing_is_written(backend, tmp_path, rows, message):
    path = tmp_path / "bad.jsonl"
    # a good record comes first, so "nothing written" means the checks ran before any write
    _write(path, *rows)
    with pytest.raises(FormatError, match=message):
        await import_file(backend, path)
    assert await call(backend, "mutable:get", {"namespace": "n", "key": "k"}) is None
