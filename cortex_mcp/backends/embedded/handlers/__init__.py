"""Handlers: one module per Convex module, each function registered with `@handler(path)`.

A handler is `fn(tx, args) -> value`, runs inside one transaction and raises the error
family (`convex_error`, `plain_error`). Modules here are discovered, so adding one needs no
edit elsewhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from cortex_mcp.backends.embedded.store import Tx

Handler = Callable[[Tx, dict[str, Any]], Any]
HANDLERS: dict[str, Handler] = {}


def handler(path: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if path in HANDLERS:
            raise RuntimeError(f"two handlers for {path}")
        HANDLERS[path] = fn
        return fn

    return register


def load_handlers() -> dict[str, Handler]:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return HANDLERS
