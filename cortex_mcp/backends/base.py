"""The backend seam: one async protocol, whatever stands behind it.

Every layer above talks to a `Backend` only through `query` / `mutation` / `action`
(path, args) -> value, and catches the error family of `cortex_mcp.errors`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from cortex_mcp.contract.catalog import get_function
from cortex_mcp.errors import FunctionNotFoundError


@runtime_checkable
class Backend(Protocol):
    name: str

    async def query(self, path: str, args: dict[str, Any]) -> Any: ...

    async def mutation(self, path: str, args: dict[str, Any]) -> Any: ...

    async def action(self, path: str, args: dict[str, Any]) -> Any: ...

    async def aclose(self) -> None: ...


def compact(**args: Any) -> dict[str, Any]:
    """Contract args from keyword values, dropping None: absent, never null (A.3 rule 3)."""
    return {key: value for key, value in args.items() if value is not None}


async def call(backend: Backend, path: str, args: dict[str, Any]) -> Any:
    """Call a catalog function through the endpoint of its kind."""
    fn = get_function(path)
    if fn is None:
        raise FunctionNotFoundError(path)
    return await getattr(backend, fn.kind)(path, args)
