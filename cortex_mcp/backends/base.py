"""The backend seam: one async protocol, whatever stands behind it.

Every layer above talks to a `Backend` only through `query` / `mutation` / `action`
(path, args) -> value, and catches the error family of `cortex_mcp.errors`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from cortex_mcp.contract.catalog import Function, get_function
from cortex_mcp.errors import FunctionNotFoundError, WrongKindError


@runtime_checkable
class Backend(Protocol):
    name: str

    async def query(self, path: str, args: dict[str, Any]) -> Any: ...

    async def mutation(self, path: str, args: dict[str, Any]) -> Any: ...

    async def action(self, path: str, args: dict[str, Any]) -> Any: ...

    async def aclose(self) -> None: ...


class KindDispatch:
    """query / mutation / action as one `_call(kind, path, args)`: what both backends share."""

    async def _call(self, kind: str, path: str, args: dict[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    async def query(self, path: str, args: dict[str, Any]) -> Any:
        return await self._call("query", path, args)

    async def mutation(self, path: str, args: dict[str, Any]) -> Any:
        return await self._call("mutation", path, args)

    async def action(self, path: str, args: dict[str, Any]) -> Any:
        return await self._call("action", path, args)


def check_call(kind: str, path: str, args: Any) -> Function:
    """What a deployment refuses before running a function — unknown path, wrong endpoint, arguments
    its validator rejects — refused the same way on every backend."""
    fn = get_function(path)
    if fn is None:
        raise FunctionNotFoundError(path)
    if fn.kind != kind:
        raise WrongKindError(
            f"Trying to execute {fn.module}.js:{fn.name} as {kind.capitalize()}, "
            f"but it is defined as {fn.kind.capitalize()}."
        )
    fn.validate(args)
    return fn


def compact(**args: Any) -> dict[str, Any]:
    """Contract args from keyword values, dropping None: absent, never null (A.3 rule 3)."""
    return {key: value for key, value in args.items() if value is not None}


async def call(backend: Backend, path: str, args: dict[str, Any]) -> Any:
    """Call a catalog function through the endpoint of its kind."""
    fn = get_function(path)
    if fn is None:
        raise FunctionNotFoundError(path)
    return await getattr(backend, fn.kind)(path, args)
