"""`--dynamic-toolsets`: start with the chosen toolsets plus `list_toolsets` and `enable_toolset`.

Hosts cap how many tools they accept (Cursor 40, Windsurf 100, VS Code 128); with this mode the
model sees the everyday tools and enables a toolset (say `kv` or `governance`) when it needs one.
Enabling adds its tools to the server and tells the client `notifications/tools/list_changed`
(the 2025-11-25 notification, and the 2026-07-28 `subscriptions/listen` event). The set of enabled
toolsets belongs to the server process: one per stdio host, shared by an HTTP server's sessions.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.mcpserver import Context, MCPServer
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field

from cortex_mcp import toolsets
from cortex_mcp.errors import CortexError
from cortex_mcp.toolsets.base import Registrar
from cortex_mcp.toolsets.render import Paging


class ToolsetInfo(BaseModel):
    name: str
    description: str
    enabled: bool


class ToolsetList(BaseModel):
    paging: ClassVar = Paging("toolsets")
    toolsets: list[ToolsetInfo]


class Enabled(BaseModel):
    toolset: str
    already_enabled: bool
    tools: list[str] = Field(description="The toolset's tools, now callable")


class DynamicToolsets:
    """The enabled toolsets of one server, and the two tools that list and enable them."""

    def __init__(self, registrar: Registrar, enabled: list[str]):
        self.runtime = registrar.runtime
        self.enabled = list(enabled)
        self.server: MCPServer | None = None  # set by attach(), once the server exists
        self._register(registrar)

    def attach(self, server: MCPServer) -> None:
        self.server = server
        _advertise_list_changed(server)

    def _register(self, reg: Registrar) -> None:
        async def list_toolsets() -> ToolsetList:
            """The toolsets this server offers and which are enabled; enable_toolset adds one."""
            return ToolsetList(
                toolsets=[
                    ToolsetInfo(name=t.name, description=t.description, enabled=t.name in self.enabled)
                    for t in toolsets.all_toolsets().values()
                ]
            )

        async def enable_toolset(
            name: Annotated[str, Field(min_length=1, description="A toolset name from list_toolsets")],
            ctx: Context[Any, Any],
        ) -> Enabled:
            """Add a toolset's tools to this session (the host is told the tool list changed)."""
            return await self.enable(name, ctx)

        reg.add(list_toolsets, title="List toolsets", read_only=True)
        reg.add(enable_toolset, title="Enable a toolset", read_only=True, idempotent=True)

    async def enable(self, name: str, ctx: Context[Any, Any]) -> Enabled:
        available = toolsets.all_toolsets()
        toolset = available.get(name.strip())
        if toolset is None:
            raise CortexError(
                f"unknown toolset {name!r}",
                code="INVALID_ARGUMENT",
                field="name",
                hint=f"choose from: {', '.join(sorted(available))}",
            )
        registrar = Registrar(self.runtime)
        registrar.toolset = toolset.name
        toolset.register(registrar)
        registrar.schemas.save()
        if toolset.name in self.enabled:
            return Enabled(toolset=toolset.name, already_enabled=True, tools=registrar.names)
        assert self.server is not None, "attach() the server first"
        manager = self.server._tool_manager  # the SDK adds tools from functions only; ours are built
        for tool in registrar.tools:
            if manager.get_tool(tool.name) is None:
                manager._tools[tool.name] = tool
        self.enabled.append(toolset.name)
        await _tools_changed(ctx)
        return Enabled(toolset=toolset.name, already_enabled=False, tools=registrar.names)


async def _tools_changed(ctx: Context[Any, Any]) -> None:
    """Tell the client its tool list is stale, in the way its protocol version listens."""
    await ctx.notify_tools_changed()  # 2026-07-28: subscriptions/listen streams (none: a no-op)
    if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        await ctx.session.send_tool_list_changed()


def _advertise_list_changed(server: MCPServer) -> None:
    """Declare `tools.listChanged` at a 2025-11-25 initialize (MCPServer passes no notification
    options; 2026-07-28 derives it from subscriptions/listen, which MCPServer serves)."""
    lowlevel = server._lowlevel_server
    original = lowlevel.get_capabilities

    def get_capabilities(notification_options: NotificationOptions | None = None, *args: Any, **kwargs: Any) -> Any:
        given = notification_options or NotificationOptions()
        options = NotificationOptions(given.prompts_changed, given.resources_changed, tools_changed=True)
        return original(options, *args, **kwargs)

    lowlevel.get_capabilities = get_capabilities  # type: ignore[method-assign]
