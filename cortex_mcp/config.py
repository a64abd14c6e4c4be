"""Server configuration: flags override environment variables, which override defaults."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path


def default_db_path() -> Path:
    """`cortex.db` in the user's data directory (XDG on Linux, Application Support, %APPDATA%)."""
    home = Path.home()
    if sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    elif os.name == "nt":
        base = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "cortex-mcp" / "cortex.db"


@dataclass(frozen=True)
class Config:
    db_path: Path = field(default_factory=default_db_path)
    memory_space: str = "default"
    user_id: str | None = None
    agent_id: str | None = "cortex-agent"
    toolsets: tuple[str, ...] = ("default",)
    read_only: bool = False
    backend: str = "embedded"  # or "convex"
    convex_url: str | None = None
    convex_deploy_key: str | None = None
    timeout: float = 10.0
