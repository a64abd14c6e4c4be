"""Tools listed from cached schemas, built on their first call (start-up time).

Building a tool (its pydantic argument model and the JSON schemas of its input and output) is most
of a server's start: ~1 s for every toolset. The schemas are all `tools/list` needs, so they are
kept in a cache file; a server whose tools are all in it lists them without building any, and
builds each tool the first time it is called (a few ms, once per process).

A cache entry belongs to one tool definition: the cache file is named after this build (every
source file's size and time, plus the SDK's and pydantic's versions), and an entry is keyed by the
tool's name and description and by the settings a tool can depend on (the configuration and the
CORTEX_* environment, see `settings_fingerprint`). Any change builds afresh. A cache that cannot
be read or written only costs the time it would save.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import fields
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.tools import Tool
from pydantic import PrivateAttr

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parents[1]
MAX_ENTRIES = 2000
KEEP_OTHER_FILES = 4


@cache
def cache_file() -> Path | None:
    """This build's cache file (None when caching is switched off with CORTEX_TOOL_CACHE=0)."""
    configured = os.environ.get("CORTEX_TOOL_CACHE", "")
    if configured == "0":
        return None
    if configured:
        folder = Path(configured)
    else:
        from platformdirs import user_cache_dir

        folder = Path(user_cache_dir("cortex-mcp", appauthor=False))
    digest = hashlib.sha256()
    for name in ("mcp", "pydantic"):
        digest.update(f"{name}={_version(name)};".encode())
    for source in sorted(PACKAGE.rglob("*.py")):
        stat = source.stat()
        digest.update(f"{source.relative_to(PACKAGE)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return folder / f"tool-schemas-{digest.hexdigest()[:16]}.json"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


# Settings that never change a tool's schema or description (and secrets, kept out of the key).
_NOT_IN_SCHEMAS = {"db_path", "convex_url", "convex_deploy_key", "timeout", "toolsets"}
_NOT_IN_SCHEMAS_ENV = {"CORTEX_DB_PATH", "CORTEX_LOG_LEVEL", "CORTEX_TOOL_CACHE"}


def settings_fingerprint(config: Any) -> str:
    """What a tool definition can depend on besides the code: the configuration (a new setting
    counts unless listed above) and the CORTEX_* environment (no keys or tokens)."""
    settings = {f.name: repr(getattr(config, f.name)) for f in fields(config) if f.name not in _NOT_IN_SCHEMAS}
    env = {
        k: v
        for k, v in os.environ.items()
        if k.startswith("CORTEX_")
        and k not in _NOT_IN_SCHEMAS_ENV
        and not any(s in k for s in ("KEY", "TOKEN", "SECRET"))
    }
    return hashlib.sha256(json.dumps([settings, env], sort_keys=True).encode()).hexdigest()[:16]


def tool_key(settings: str, name: str, description: str) -> str:
    return hashlib.sha256(f"{settings}\n{name}\n{description}".encode()).hexdigest()[:24]


class SchemaCache:
    """Input and output schemas of built tools, by tool key, read once and written when it grew."""

    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self.used: set[str] = set()
        self.grew = False
        if path is not None:
            try:
                self.entries = json.loads(path.read_text())
            except (OSError, ValueError):
                self.entries = {}

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.used.add(key)
        return entry

    def put(self, key: str, tool: Tool) -> None:
        self.entries[key] = {"parameters": tool.parameters, "output_schema": tool.output_schema}
        self.used.add(key)
        self.grew = True

    def save(self) -> None:
        if self.path is None or not self.grew:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Other builds' files (an upgrade, another checkout in use): keep the few newest.
            others = [p for p in self.path.parent.glob("tool-schemas-*.json") if p != self.path]
            for stale in sorted(others, key=_mtime, reverse=True)[KEEP_OTHER_FILES:]:
                stale.unlink(missing_ok=True)
            if len(self.entries) > MAX_ENTRIES:  # many configurations seen: keep this one's
                self.entries = {key: self.entries[key] for key in self.used}
            with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False, suffix=".tmp") as out:
                json.dump(self.entries, out)
            os.replace(out.name, self.path)  # atomic: a parallel start reads the old file or this one
            self.grew = False
        except OSError as exc:
            log.debug("tool schema cache not written (%s): %s", self.path, exc)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


class LazyTool(Tool):
    """A tool whose schemas come from the cache; `build()` makes the real tool on the first call."""

    _build: Callable[[], Tool] = PrivateAttr()
    _output_schema: dict[str, Any] | None = PrivateAttr(default=None)
    _built: Tool | None = PrivateAttr(default=None)

    @classmethod
    def from_cache(cls, entry: dict[str, Any], build: Callable[[], Tool], **fields: Any) -> LazyTool:
        tool = cls.model_construct(parameters=entry["parameters"], is_async=True, **fields)
        tool._build = build
        tool._output_schema = entry["output_schema"]
        return tool

    @property
    def output_schema(self) -> dict[str, Any] | None:
        return self._output_schema

    def real(self) -> Tool:
        if self._built is None:
            self._built = self._build()
        return self._built

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        return await self.real().run(arguments, context, convert_result=convert_result)
