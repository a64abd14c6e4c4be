"""The opt-in `data` toolset through a real MCP client: export_memories pages, import_memories."""

from __future__ import annotations

import io
import json

import pytest
from mcp import Client

from cortex_mcp.backends.base import call
from cortex_mcp.data.export import ExportFilter, export_records
from cortex_mcp.server import build_server
from tests.data.populate import empty_like, populate
from tests.helpers import fails, make_config, ok

pytestmark = pytest.mark.anyio


@pytest.fixture
async def tools(backend, tmp_path):
    server = build_server(make_config(tmp_path, toolsets=("data",), memory_space="home"), backend=backend)
    async with Client(server) as c:
        yield c


async def every_page(tools, **args) -> tuple[list[dict], list[int]]:
    records, pages, cursor = [], [], None
    while True:
        page = await ok(tools, "export_memories", {**args, **({"cursor": cursor} if cursor else {})})
        assert page["format"] == "cortex-mcp-export" and page["version"] == 1
        records += page["records"]
        pages.append(len(page["records"]))
        cursor = page.get("next_cursor")
        if not cursor:
            return records, pages


async def test_export_pages_through_a_space_in_the_export_format(backend, tools):
    await populate(backend)
    records, pages = await every_page(tools, limit=2)
    out = io.BytesIO()
    await export_records(backend, out, ExportFilter(spaces=["home"]))
    in_file = [json.loads(line) for line in out.getvalue().splitlines()[1:-1]]
    expected = [r for r in in_file if r["layer"] not in ("agents", "users", "immutable", "mutable")]
    assert records == expected
    assert set(pages[:-1]) == {2}  # full pages until the last (which may be empty: nothing was left)
    assert {r["layer"] for r in records} >= {"spaces", "conversations", "memories", "facts", "factHistory"}
    only, _ = await every_page(tools, layers=["facts"], space="home", limit=200)
    assert [r["layer"] for r in only] == ["facts", "facts"]


async def test_import_into_another_store_and_space_then_again_changes_nothing(backend, tools, tmp_path):
    await populate(backend)
    records, _ = await every_page(tools, layers=["memories", "facts"], limit=200)
    again = await ok(tools, "import_memories", {"records": records})  # into the store they came from
    assert again["layers"]["memories"]["skip"] == 1 and again["layers"]["facts"]["skip"] == 2
    assert sum(c["new"] + c["conflict"] for c in again["layers"].values()) == 0
    # ids are global: a record cannot move onto its own id in another space of the same store
    error = await fails(tools, "import_memories", {"records": records, "space": "copy"})
    assert "already belongs to another memory space" in error and "nothing was written" in error
    async with empty_like(backend, tmp_path) as other:
        server = build_server(make_config(tmp_path, toolsets=("data",)), backend=other)
        async with Client(server) as elsewhere:
            dry = await ok(elsewhere, "import_memories", {"records": records, "space": "copy", "dry_run": True})
            assert dry["dry_run"] and dry["layers"]["memories"]["new"] == 1 and dry["layers"]["facts"]["new"] == 2
            assert await call(other, "memories:count", {"memorySpaceId": "copy"}) == 0
            done = await ok(elsewhere, "import_memories", {"records": records, "space": "copy"})
            assert done["layers"]["facts"]["new"] == 2 and done["atomic"] == (backend.name == "embedded")
            assert await call(other, "memories:count", {"memorySpaceId": "copy"}) == 1
            again = await ok(elsewhere, "import_memories", {"records": records, "space": "copy"})
            assert again["layers"]["facts"] == {"new": 0, "skip": 2, "replace": 0, "conflict": 0}


async def test_a_bad_record_names_its_index_and_field_and_nothing_is_written(backend, tools):
    good = {"layer": "mutable", "record": {"namespace": "n", "key": "k", "value": 1, "createdAt": 1, "updatedAt": 1}}
    bad = {"layer": "mutable", "record": {"namespace": "n", "key": "j", "value": 1, "createdAt": "x", "updatedAt": 1}}
    error = await fails(tools, "import_memories", {"records": [good, bad]})
    assert "records[1].record.createdAt" in error
    assert await call(backend, "mutable:get", {"namespace": "n", "key": "k"}) is None
    error = await fails(tools, "import_memories", {"records": [{"layer": "dreams", "record": {}}]})
    assert "layer" in error
    error = await fails(tools, "export_memories", {"cursor": "not-a-cursor"})
    assert "cursor" in error and "INVALID_CURSOR" in error


async def test_replace_is_the_destructive_tool(tools):
    listed = {t.name: t for t in (await tools.list_tools()).tools}
    assert set(listed) == {"export_memories", "import_memories"}
    assert listed["export_memories"].annotations.read_only_hint is True
    hints = listed["import_memories"].annotations
    assert hints.destructive_hint is True and hints.idempotent_hint is True and hints.read_only_hint is False
