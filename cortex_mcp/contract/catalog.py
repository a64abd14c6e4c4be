"""The contract catalog: every backend function's path, kind and strict argument validator.

Each Convex module has one module in this package that defines `FUNCTIONS`; they are
collected here by discovery, so adding a module needs no edit to this file. The embedded
backend, the Convex adapter, the wire server, the doctor and the generated tools all read
this one catalog — that is what keeps clients and backend from drifting apart.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Literal

from cortex_mcp.contract.validators import IdTable, ObjectValidator, Validator, check_args, v

Kind = Literal["query", "mutation", "action"]


@dataclass(frozen=True)
class Function:
    path: str  # "module:function"
    kind: Kind
    args: ObjectValidator
    summary: str  # one line: what it does (becomes the generated tool's description)
    destructive: bool = False  # deletes or overwrites data (drives tool annotations)
    idempotent: bool = False  # repeating the call changes nothing more (safe to retry)
    returns: str = ""  # short description of the return shape
    extension: bool = False  # a cortex-mcp addition, not an upstream Cortex function (see docs/parity.md)

    @property
    def module(self) -> str:
        return self.path.split(":", 1)[0]

    @property
    def name(self) -> str:
        return self.path.split(":", 1)[1]

    @property
    def read_only(self) -> bool:
        return self.kind == "query"

    def validate(self, args: Any, id_table: IdTable | None = None) -> None:
        """Check `args` against the validator; ids are checked against `id_table` when given."""
        check_args(self.args, args, id_table)


def query(path: str, args: dict[str, Validator], summary: str, **kw: Any) -> Function:
    return Function(path, "query", v.object(args), summary, idempotent=True, **kw)


def mutation(path: str, args: dict[str, Validator], summary: str, **kw: Any) -> Function:
    return Function(path, "mutation", v.object(args), summary, **kw)


def action(path: str, args: dict[str, Validator], summary: str, **kw: Any) -> Function:
    return Function(path, "action", v.object(args), summary, **kw)


def _discover() -> dict[str, Function]:
    import cortex_mcp.contract as package

    catalog: dict[str, Function] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name in {"catalog", "validators"} or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for fn in getattr(module, "FUNCTIONS", ()):
            if fn.path in catalog:
                raise RuntimeError(f"duplicate catalog entry {fn.path}")
            catalog[fn.path] = fn
    return catalog


CATALOG: dict[str, Function] = _discover()


def get_function(path: str) -> Function | None:
    return CATALOG.get(path)


def modules() -> dict[str, list[Function]]:
    """Catalog grouped by Convex module, in catalog order."""
    grouped: dict[str, list[Function]] = {}
    for fn in CATALOG.values():
        grouped.setdefault(fn.module, []).append(fn)
    return grouped
