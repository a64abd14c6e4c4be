"""cortex-mcp: persistent agent memory (Cortex) as typed MCP tools."""

from importlib.metadata import PackageNotFoundError, version

# The name on the package index (`cortex-mcp` there is an unrelated project); the import package
# and the command stay `cortex_mcp` / `cortex-mcp`.
DISTRIBUTION = "mcp-server-cortex-memory"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # a source tree on sys.path that was never installed
    __version__ = "0+unknown"
