"""Toolsets: named groups of tools, chosen with `--toolsets`.

Curated toolsets (hand-written tools over the api layer) are the agent's everyday surface;
generated toolsets expose every backend function of one Convex module as a typed tool.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from cortex_mcp.contract.catalog import modules
from cortex_mcp.toolsets.base import Registrar
from cortex_mcp.toolsets.generated import MODULE_TOOLSETS, register_module


@dataclass(frozen=True)
class Toolset:
    name: str
    description: str
    register: Callable[[Registrar], None]
    default: bool = False


def _curated(module: str) -> Callable[[Registrar], None]:
    def register(reg: Registrar) -> None:
        importlib.import_module(f"cortex_mcp.toolsets.{module}").register(reg)

    return register


def _generated(module: str) -> Callable[[Registrar], None]:
    return lambda reg: register_module(reg, module)


CURATED = [
    Toolset("memory", "remember, recall, forget, get/list/update memories", _curated("memory"), default=True),
    Toolset("profile", "get_profile: what is known about a user, in one call", _curated("profile"), default=True),
    Toolset("agents", "register, get and list agents", _curated("agents")),
    Toolset(
        "facts",
        "store_fact (belief revision), search_facts (now or as of), get_fact_history",
        _curated("facts"),
        default=True,
    ),
    Toolset(
        "contexts", "create_context, get_context (with its chain), update_context", _curated("contexts"), default=True
    ),
    Toolset("a2a", "a2a_send, a2a_inbox, a2a_request (waits for the reply), a2a_reply", _curated("a2a")),
    Toolset(
        "users",
        "user profiles, bulk update/delete, export, GDPR cascade delete, and every users:*/gdpr:* function",
        _curated("users"),
    ),
    Toolset("data", "export_memories (paged, in the export format) and import_memories", _curated("data")),
]


def all_toolsets() -> dict[str, Toolset]:
    toolsets = {t.name: t for t in CURATED}
    for module, functions in modules().items():
        name = MODULE_TOOLSETS.get(module, module)
        paths = ", ".join(f.name for f in functions)
        toolsets.setdefault(name, Toolset(name, f"every `{module}` backend function: {paths}", _generated(module)))
    return toolsets


def select(names: tuple[str, ...] | list[str]) -> list[Toolset]:
    """Resolve `--toolsets` names; `default` and `all` are shorthands. Unknown names raise ValueError."""
    available = all_toolsets()
    chosen: dict[str, Toolset] = {}
    for name in names:
        name = name.strip()
        if not name:
            continue
        if name == "all":
            chosen.update(available)
        elif name == "default":
            chosen.update({n: t for n, t in available.items() if t.default})
        elif name in available:
            chosen[name] = available[name]
        else:
            raise ValueError(f"unknown toolset {name!r}; choose from: default, all, {', '.join(sorted(available))}")
    return list(chosen.values())
