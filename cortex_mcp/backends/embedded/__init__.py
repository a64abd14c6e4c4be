"""The embedded backend: the Cortex function surface implemented on SQLite."""

from cortex_mcp.backends.embedded.backend import EmbeddedBackend

__all__ = ["EmbeddedBackend"]
