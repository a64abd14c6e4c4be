"""A Backend held to a caller's Scope: the one place scopes are enforced, below every tool.

- a read-only scope runs queries only;
- every `memorySpaceId` / `userId` (and their list and target forms), anywhere in the arguments,
  must be inside the scope, else PERMISSION_DENIED naming the field;
- with a restricted scope, a mutation or action whose function addresses no memory space or user
  (purgeAll, admin:*, the agent registry...) is refused: it would reach beyond the scope;
- results are filtered: records (objects with `memorySpaceId` / `userId`) outside the scope are
  dropped from lists, and a single out-of-scope record refuses the call.
"""

from __future__ import annotations

from typing import Any

from cortex_mcp.auth import PermissionDenied, Scope
from cortex_mcp.backends.base import Backend, KindDispatch
from cortex_mcp.contract.catalog import get_function

SPACE_KEYS = ("memorySpaceId", "targetMemorySpaceId", "memorySpaceIds", "hiveId")
USER_KEYS = ("userId", "userIds")


class ScopedBackend(KindDispatch):
    def __init__(self, inner: Backend, scope: Scope):
        self.inner, self.scope = inner, scope
        self.name = inner.name

    async def aclose(self) -> None:  # the server run owns the inner backend
        return None

    async def _call(self, kind: str, path: str, args: dict[str, Any]) -> Any:
        scope = self.scope
        if not scope.write and kind != "query":
            raise PermissionDenied(f"this token is read-only: {path} ({kind}) is refused")
        if scope.restricted:
            self._check_args(args, "")
            fn = get_function(path)
            addressed = fn is not None and any(k in fn.args.fields for k in (*SPACE_KEYS, *USER_KEYS))
            if kind != "query" and not addressed:
                raise PermissionDenied(
                    f"{path} is not limited to one memory space or user; it needs an unrestricted token"
                )
        result = await getattr(self.inner, kind)(path, args)
        return self._filter(result) if scope.restricted else result

    def _check_args(self, value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                here = f"{where}.{key}" if where else key
                for checked in item if isinstance(item, list) else [item]:
                    if key in SPACE_KEYS:
                        self.scope.check_space(checked, here)
                    elif key in USER_KEYS:
                        self.scope.check_user(checked, here)
                self._check_args(item, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self._check_args(item, f"{where}[{i}]")

    def _outside(self, record: dict[str, Any]) -> bool:
        space, user = record.get("memorySpaceId"), record.get("userId")
        spaces, users = self.scope.spaces, self.scope.users
        return (spaces is not None and isinstance(space, str) and space not in spaces) or (
            users is not None and isinstance(user, str) and user not in users
        )

    def _filter(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._filter(v) for v in value if not (isinstance(v, dict) and self._outside(v))]
        if isinstance(value, dict):
            if self._outside(value):
                raise PermissionDenied("the record belongs to a memory space or user outside this token's scope")
            return {k: self._filter(v) for k, v in value.items()}
        return value
