"""Server configuration: flags override environment variables, which override defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir


def default_db_path() -> Path:
    """`cortex.db` in the user's data directory: $XDG_DATA_HOME or ~/.local/share/cortex-mcp,
    ~/Library/Application Support/cortex-mcp, or %LOCALAPPDATA%\\cortex-mcp on Windows (Local, not
    Roaming: a SQLite file in WAL mode must not be synced between machines).

    A database that earlier versions made in the Roaming directory keeps being used, so upgrading
    does not hide anyone's memories.
    """
    local = Path(user_data_dir("cortex-mcp", appauthor=False, roaming=False)) / "cortex.db"
    roaming = Path(user_data_dir("cortex-mcp", appauthor=False, roaming=True)) / "cortex.db"
    return roaming if roaming != local and roaming.exists() and not local.exists() else local


@dataclass(frozen=True)
class Config:
    db_path: Path = field(default_factory=default_db_path)
    memory_space: str = "default"
    user_id: str | None = None
    agent_id: str | None = "cortex-agent"
    toolsets: tuple[str, ...] = ("default",)
    read_only: bool = False
    dynamic_toolsets: bool = False  # --dynamic-toolsets: list_toolsets/enable_toolset add toolsets at run time
    backend: str = "embedded"  # or "convex"
    convex_url: str | None = None
    convex_deploy_key: str | None = None
    timeout: float = 10.0
    lock_scope: bool = False  # --lock-scope: only memory_space and user_id, as a token scope would
    embeddings: str = "none"  # or "local" / "openai" (api/embeddings)
    embeddings_url: str | None = None  # openai: the API base, default OpenAI's
    embeddings_model: str | None = None  # openai: default text-embedding-3-small
    embeddings_key: str | None = None  # from CORTEX_EMBEDDINGS_KEY or OPENAI_API_KEY, never a flag
    embeddings_timeout: float = 30.0
