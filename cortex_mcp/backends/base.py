"""The backend seam: one async protocol, whatever stands behind it.

Every layer above talks to a `Backend` only through `query` / `mutation` / `action`
(path, args) -> value, and catches the error family of `cortex_mcp.errors`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from cortex_mcp.contract import error_text
from cortex_mcp.contract.catalog import Function, get_function
from cortex_mcp.contract.validators import IdTable
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


def check_call(kind: str, path: str, args: Any, id_table: IdTable | None = None) -> Function:
    """What a deployment refuses before running a function — unknown path, wrong endpoint, arguments
    its validator rejects — refused the same way on every backend. Ids are opaque unless the backend
    passes `id_table` (its own id format): on Convex the deployment checks them."""
    fn = get_function(path)
    if fn is None:
        raise FunctionNotFoundError(path)
    if fn.kind != kind:
        raise WrongKindError(error_text.wrong_kind(fn.module, fn.name, kind, fn.kind))
    fn.validate(args, id_table)
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


# -- the unit of work ---------------------------------------------------------------------------
#
# Orchestration that must be atomic (belief revision, remember) is written once, as a plan: a plain
# generator that yields `Call(path, args)` and receives each call's result (a backend error is
# thrown into it at the `yield`, where it may be caught). `run_plan` runs it: a backend that can
# run a plan as one transaction does so (`run_plan` method: the embedded backend, one BEGIN
# IMMEDIATE with a savepoint per call); any other runs it call by call (best effort, see
# docs/parity.md). A plan must do no I/O of its own: everything it reads comes from its calls.

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One backend call a plan asks for."""

    path: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Nested:
    """A sub-plan run as one step of its parent: on the embedded backend in its own savepoint, so
    an error the parent catches undoes everything the sub-plan wrote (and nothing else)."""

    plan: Generator[Any, Any, Any]


Plan = Generator[Call | Nested, Any, T]


@runtime_checkable
class AtomicPlans(Protocol):
    """A backend that runs a whole plan atomically."""

    async def run_plan(self, plan: Plan[T], bounded: bool = False) -> T: ...


def drive(plan: Plan[T], step: Any) -> T:
    """Run a plan synchronously with `step(call) -> result`; a step's Exception is thrown into the plan."""
    result: Any = None
    error: Exception | None = None
    while True:
        try:
            request = plan.send(result) if error is None else plan.throw(error)
        except StopIteration as stop:
            return stop.value
        result, error = None, None
        try:
            result = step(request)
        except Exception as exc:  # noqa: BLE001 - handed to the plan, which may catch it at its yield
            error = exc


async def run_plan(backend: Backend, plan: Plan[T], bounded: bool = False) -> T:
    """Run a plan: atomically where the backend can, else one call at a time. `bounded`: the plan
    makes a few small calls (the embedded backend may then run it without a thread hand-off)."""
    if isinstance(backend, AtomicPlans):
        return await backend.run_plan(plan, bounded)
    return await run_calls(backend, plan)


async def run_calls(backend: Backend, plan: Plan[T]) -> T:
    """Run a plan one call at a time, with no transaction around it: how a backend without
    transactions runs every plan, and how a plan of reads runs anywhere (no write lock taken, so it
    also runs on a read-only store)."""
    result: Any = None
    error: Exception | None = None
    while True:
        try:
            request = plan.send(result) if error is None else plan.throw(error)
        except StopIteration as stop:
            return stop.value
        result, error = None, None
        try:
            if isinstance(request, Nested):
                result = await run_calls(backend, request.plan)
            else:
                result = await call(backend, request.path, request.args)
        except Exception as exc:  # noqa: BLE001 - handed to the plan
            error = exc
