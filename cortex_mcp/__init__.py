"""cortex-mcp: persistent agent memory (Cortex) as typed MCP tools."""

__version__ = "0.1.0"
