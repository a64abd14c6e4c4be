"""Tools listed from cached schemas and built on first call (toolsets/lazy.py)."""

import json

import pytest
from mcp import Client

from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.server import build_server
from cortex_mcp.toolsets import lazy
from cortex_mcp.toolsets.lazy import LazyTool
from tests.helpers import fails, make_config, ok

pytestmark = pytest.mark.anyio


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CORTEX_TOOL_CACHE", str(folder))
    lazy.cache_file.cache_clear()
    yield folder
    lazy.cache_file.cache_clear()


@pytest.fixture
async def embedded(tmp_path):
    backend = EmbeddedBackend(tmp_path / "lazy.db")
    yield backend
    await backend.aclose()


def listed(tools) -> dict:
    return {t.name: (t.description, t.input_schema, t.output_schema, t.annotations) for t in tools.tools}


async def test_second_start_lists_the_same_tools_without_building_them(cache_dir, embedded, tmp_path):
    config = make_config(tmp_path, toolsets=("all",))
    first = build_server(config, backend=embedded)
    assert not any(isinstance(t, LazyTool) for t in first._tool_manager.list_tools())
    assert len(list(cache_dir.glob("tool-schemas-*.json"))) == 1

    second = build_server(config, backend=embedded)
    assert all(isinstance(t, LazyTool) for t in second._tool_manager.list_tools())
    async with Client(first) as a, Client(second) as b:
        assert listed(await b.list_tools()) == listed(await a.list_tools())
        stored = await ok(b, "remember", {"content": "the lazy tortoise is named Sheldon"})
        assert stored
        found = await ok(b, "recall", {"query": "tortoise"})
        assert found["items"][0]["content"] == "the lazy tortoise is named Sheldon"
        # Built on first call with the same strict model: unknown and mistyped arguments are refused.
        assert "unknown argument bogus (field: bogus)" in await fails(b, "recall", {"query": "x", "bogus": 1})
        assert "memories_count" in listed(await b.list_tools())
        count = await ok(b, "memories_count", {})
        assert count["result"] == 1


async def test_changed_settings_miss_the_cache(cache_dir, embedded, tmp_path):
    build_server(make_config(tmp_path, toolsets=("all",)), backend=embedded)
    other = build_server(make_config(tmp_path, toolsets=("all",), memory_space="elsewhere"), backend=embedded)
    tools = {t.name: t for t in other._tool_manager.list_tools()}
    count = tools["memories_count"]
    assert not isinstance(count, LazyTool)  # its description names the configured default
    assert "(default: elsewhere)" in json.dumps(count.parameters)


async def test_an_unreadable_cache_is_rebuilt(cache_dir, embedded, tmp_path):
    config = make_config(tmp_path)
    build_server(config, backend=embedded)
    (cache_file,) = cache_dir.glob("tool-schemas-*.json")
    cache_file.write_text("{not json")
    server = build_server(config, backend=embedded)
    assert not any(isinstance(t, LazyTool) for t in server._tool_manager.list_tools())
    assert json.loads(cache_file.read_text())  # written again


async def test_caching_can_be_switched_off(monkeypatch, embedded, tmp_path):
    monkeypatch.setenv("CORTEX_TOOL_CACHE", "0")
    lazy.cache_file.cache_clear()
    try:
        config = make_config(tmp_path)
        build_server(config, backend=embedded)
        server = build_server(config, backend=embedded)
        assert not any(isinstance(t, LazyTool) for t in server._tool_manager.list_tools())
    finally:
        lazy.cache_file.cache_clear()


async def test_other_builds_cache_files_are_kept_up_to_a_few(cache_dir, embedded, tmp_path):
    import os

    cache_dir.mkdir(parents=True)
    others = [cache_dir / f"tool-schemas-other{i}.json" for i in range(lazy.KEEP_OTHER_FILES + 2)]
    for age, path in enumerate(others):
        path.write_text("{}")
        os.utime(path, (1_000_000 - age, 1_000_000 - age))  # others[0] is the newest
    build_server(make_config(tmp_path), backend=embedded)
    kept = {p.name for p in cache_dir.glob("tool-schemas-other*.json")}
    assert kept == {p.name for p in others[: lazy.KEEP_OTHER_FILES]}
    assert lazy.cache_file().exists()
