"""--dynamic-toolsets: the default tools plus list_toolsets/enable_toolset, and tools/list_changed."""

import anyio
import pytest
from mcp import Client
from mcp.types import ToolListChangedNotification

from cortex_mcp.server import build_server
from tests.helpers import connect, fails, make_config, ok, server_params

pytestmark = pytest.mark.anyio


async def test_enable_a_toolset_adds_its_tools_and_says_so(backend, tmp_path):
    changed = anyio.Event()

    async def on_message(message) -> None:
        if isinstance(getattr(message, "root", message), ToolListChangedNotification):
            changed.set()

    server = build_server(make_config(tmp_path, dynamic_toolsets=True), backend=backend)
    async with Client(server, mode="legacy", message_handler=on_message) as c:
        assert c.server_capabilities.tools.list_changed is True
        names = {t.name for t in (await c.list_tools()).tools}
        assert {"remember", "get_profile", "list_toolsets", "enable_toolset"} <= names and "mutable_set" not in names
        listed = {t["name"]: t["enabled"] for t in (await ok(c, "list_toolsets"))["toolsets"]}
        assert listed["memory"] is True and listed["kv"] is False and listed["a2a"] is False
        enabled = await ok(c, "enable_toolset", {"name": "kv"})
        assert enabled["already_enabled"] is False and "mutable_set" in enabled["tools"]
        with anyio.fail_after(5):
            await changed.wait()
        assert "mutable_set" in {t.name for t in (await c.list_tools()).tools}
        assert (await ok(c, "mutable_set", {"namespace": "prefs", "key": "theme", "value": "dark"}))[
            "result"
        ] is not None
        again = await ok(c, "enable_toolset", {"name": "kv"})
        assert again["already_enabled"] is True
        text = await fails(c, "enable_toolset", {"name": "nope"})
        assert text.startswith("INVALID_ARGUMENT: unknown toolset 'nope' (field: name). Next: choose from:")
        listed = {t["name"]: t["enabled"] for t in (await ok(c, "list_toolsets"))["toolsets"]}
        assert listed["kv"] is True


async def test_without_the_flag_there_are_no_toolset_tools(backend, tmp_path):
    async with connect(backend) as c:
        names = {t.name for t in (await c.list_tools()).tools}
    assert "enable_toolset" not in names and "list_toolsets" not in names


async def test_dynamic_toolsets_over_stdio(tmp_path):
    async with Client(server_params(tmp_path / "d.db", "--dynamic-toolsets")) as c:
        assert "enable_toolset" in {t.name for t in (await c.list_tools()).tools}
        await ok(c, "enable_toolset", {"name": "a2a"})
        assert "a2a_send" in {t.name for t in (await c.list_tools()).tools}


async def test_enabling_a_toolset_is_a_listen_event_on_2026_07_28(backend, tmp_path):
    server = build_server(make_config(tmp_path, dynamic_toolsets=True), backend=backend)
    async with Client(server) as c:  # in-process default: the 2026-07-28 protocol
        async with c.listen(tools_list_changed=True) as events:
            await ok(c, "enable_toolset", {"name": "sessions"})
            with anyio.fail_after(5):
                event = await events.__anext__()
        assert type(event).__name__ == "ToolsListChanged"
        assert "sessions_create" in {t.name for t in (await c.list_tools()).tools}
