"""A Backend held to a caller's Scope: the one place scopes are enforced, below every handler.

- a read-only scope runs queries only;
- every `memorySpaceId` / `userId` (and their list and target forms), anywhere in the arguments,
  must be inside the scope, else PERMISSION_DENIED naming the field;
- the scope is pushed into the query where the function takes the space / user as an argument:
  an absent optional `memorySpaceId` / `userId` becomes the scope's only space / user (a scope
  with several must name one), so lists, counts, `total`, `hasMore` and cursors are computed over
  visible records only, and `*:deleteMany`-style writes cannot reach other users;
- a function that is not confined to one space or user on a restricted dimension (purgeAll,
  admin:*, the agent registry's writes, cross-space totals...) is refused, except the reads in
  `FILTERED_READS`, whose results carry their owner and are filtered, and queries (and the writes in
  `CHECKED_WRITES`) naming a context or conversation by id, whose record is read and checked first;
- results are filtered: records (objects with `memorySpaceId` / `userId`; a user profile's `id`)
  outside the scope are dropped from lists, and a single out-of-scope record refuses the call
  (PERMISSION_DENIED). A mutation naming a memory or fact by id reads its owner first, and its result
  is checked too, in one transaction where the backend runs plans atomically (embedded): nothing out
  of scope is written (on Convex the read and the write are two calls);
- plans keep running as one transaction (`run_plan`), each call of the plan held to the scope.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeVar

from cortex_mcp.auth import PermissionDenied, Scope
from cortex_mcp.backends.base import AtomicPlans, Backend, Call, KindDispatch, Nested, Plan, run_calls, run_plan
from cortex_mcp.contract.catalog import Function, get_function

T = TypeVar("T")

SPACE_KEYS = ("memorySpaceId", "targetMemorySpaceId", "memorySpaceIds", "hiveId")
USER_KEYS = ("userId", "userIds")

# Reads that address no space or user but return records that carry their owner (checked one by one,
# dropped from lists; none reports a total): by-id reads of contexts and conversations, and the agent
# registry and user profiles, which belong to no memory space.
FILTERED_READS = frozenset(
    {
        "contexts:get",
        "contexts:getChain",
        "contexts:getRoot",
        "contexts:getChildren",
        "contexts:getByConversation",
        "contexts:findOrphaned",
        "conversations:get",
        "memorySpaces:findByParticipant",
        "memorySpaces:search",
        "agents:get",
        "agents:list",
        "agents:exists",
        "agents:count",
        "users:list",
    }
)
# Reads of one memory space that total every user's records in it: refused for a scope restricted to users.
USER_AGGREGATES = frozenset(
    {"facts:exportFacts", "factHistory:countByAction", "factHistory:getActivitySummary", "memorySpaces:getStats"}
)
# Record ids a call may name, and the read that shows the record's owner: (function, its id argument,
# whether it also takes the call's memorySpaceId). A query naming a context or conversation by id is
# admitted for a restricted scope because its record is read (and checked) first.
_FACT = ("facts:get", "factId", True)
OWNED_BY_ID = {
    "memoryId": ("memories:get", "memoryId", True),
    **{key: _FACT for key in ("factId", "oldFactId", "newFactId", "keepFactId", "factIds")},
    "contextId": ("contexts:get", "contextId", False),
    "conversationId": ("conversations:get", "conversationId", False),
}
# Writes confined to the one context or conversation they name by id (read and checked first, in the
# write's transaction on the embedded backend): remember's exchange appends to its conversation.
# Not deleteContext (its cascade may reach children elsewhere) nor grantAccess.
CHECKED_WRITES = frozenset(
    {
        "conversations:addMessage",
        "conversations:deleteConversation",
        "gdpr:deleteMessages",
        "contexts:update",
        "contexts:addParticipant",
        "contexts:removeParticipant",
    }
)
# Functions about user profiles (no memory space): a record's `id` is its user.
_USER_MODULE = "users:"


def _profiles(path: str, args: dict[str, Any]) -> bool:
    """A call about user profiles: `users:*`, or `immutable:*` on records of type "user" (the profiles
    themselves, stored with their `userId`). Profiles belong to users, not to a memory space."""
    return path.startswith(_USER_MODULE) or (path.startswith("immutable:") and args.get("type") == "user")


def _names_record(args: dict[str, Any]) -> bool:
    """The call names a context or conversation by id (its owner is read before the call)."""
    return any(isinstance(args.get(k), str) for k, (_, _, in_space) in OWNED_BY_ID.items() if not in_space)


class ScopedBackend(KindDispatch):
    def __init__(self, inner: Backend, scope: Scope):
        self.inner, self.scope = inner, scope
        self.name = inner.name

    async def aclose(self) -> None:  # the server run owns the inner backend
        return None

    async def _call(self, kind: str, path: str, args: dict[str, Any]) -> Any:
        fn = get_function(path)
        args = self._admit(kind, path, fn, args)
        if not self.scope.restricted or fn is None or fn.kind != kind:
            return await getattr(self.inner, kind)(path, args)
        if kind == "mutation":  # one transaction on the embedded backend: nothing out of scope is written
            return await run_plan(self.inner, self._checked(path, args))
        return await run_calls(self.inner, self._checked(path, args))  # reads need no write lock

    def _checked(self, path: str, args: dict[str, Any]) -> Plan[Any]:
        """One call with its target and result checked: a memory or fact it names by id in an in-scope
        space is read first (it may belong to another user of the space), and its result is filtered
        (for a mutation, before it commits where the plan is one transaction)."""
        space = args.get("memorySpaceId")
        for key, (getter, id_key, in_space) in OWNED_BY_ID.items():
            given = args.get(key) if path != getter else None  # a get is checked by its own result
            if in_space and not (self.scope.users is not None and isinstance(space, str)):
                continue  # the space argument itself was checked; only its users remain
            for record_id in given if isinstance(given, list) else [given]:
                if isinstance(record_id, str):
                    where = {"memorySpaceId": space} if in_space else {}
                    self._filter(getter, (yield Call(getter, {**where, id_key: record_id})))
        return self._filter(path, (yield Call(path, args)))

    async def run_plan(self, plan: Plan[T], bounded: bool = False) -> T:
        """The plan as one transaction where the inner backend can (embedded), each call held to the scope."""
        if isinstance(self.inner, AtomicPlans):
            return await self.inner.run_plan(self._scoped_plan(plan), bounded)
        return await run_calls(self, plan)  # call by call, each through this backend's _call

    def _scoped_plan(self, plan: Plan[T]) -> Generator[Call | Nested, Any, T]:
        """`plan` with each call admitted and its result filtered; errors reach the plan at its yield."""
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
                    result = yield Nested(self._scoped_plan(request.plan))
                else:
                    fn = get_function(request.path)
                    args = self._admit(fn.kind if fn else "query", request.path, fn, request.args)
                    if self.scope.restricted:
                        result = yield from self._checked(request.path, args)
                    else:
                        result = yield Call(request.path, args)
            except Exception as exc:  # noqa: BLE001 - handed to the plan, which may catch it
                error = exc

    # -- before the call ------------------------------------------------------------------------

    def _admit(self, kind: str, path: str, fn: Function | None, args: dict[str, Any]) -> dict[str, Any]:
        """The arguments to send, or PERMISSION_DENIED: the scope checked and pushed into them."""
        scope = self.scope
        if not scope.write and kind != "query":
            raise PermissionDenied(f"this token is read-only: {path} ({kind}) is refused")
        if not scope.restricted or fn is None:
            return args
        self._check_args(args, "")
        fields = fn.args.fields
        has_space, has_user = any(k in fields for k in SPACE_KEYS), any(k in fields for k in USER_KEYS)
        narrowed = dict(args)
        for addressed, key, allowed, what, confined in (
            # a user profile belongs to no memory space; a space's records carry their user (filtered)
            (has_space, "memorySpaceId", scope.spaces, "memory space", _profiles(path, args)),
            (has_user, "userId", scope.users, "user", has_space or path.startswith("memorySpaces:")),
        ):
            if allowed is None:
                continue
            if addressed:
                if key in fields and key not in args:  # the scope becomes the query's filter
                    if len(allowed) != 1:
                        raise PermissionDenied(
                            f"{path} would span every {what} of this token's scope; name one in {key}", key
                        )
                    narrowed[key] = next(iter(allowed))
            elif (not confined and path not in FILTERED_READS and not self._checked_first(kind, path, args)) or (
                what == "user" and path in USER_AGGREGATES
            ):
                raise PermissionDenied(
                    f"{path} is not limited to one {what}; it needs a token whose scope covers every {what}"
                )
        return narrowed

    @staticmethod
    def _checked_first(kind: str, path: str, args: dict[str, Any]) -> bool:
        """A call about one context or conversation named by id, whose record `_checked` reads first."""
        return (kind == "query" or path in CHECKED_WRITES) and _names_record(args)

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

    # -- after the call -------------------------------------------------------------------------

    def _outside(self, record: dict[str, Any], users_by_id: bool) -> bool:
        space = record.get("memorySpaceId")
        user = record.get("id") if users_by_id else record.get("userId")
        spaces, users = self.scope.spaces, self.scope.users
        return (spaces is not None and isinstance(space, str) and space not in spaces) or (
            users is not None and isinstance(user, str) and user not in users
        )

    def _filter(self, path: str, value: Any, users_by_id: bool | None = None) -> Any:
        by_id = path.startswith(_USER_MODULE) if users_by_id is None else users_by_id
        if isinstance(value, list):
            kept = [v for v in value if not (isinstance(v, dict) and self._outside(v, by_id))]
            return [self._filter(path, v, by_id) for v in kept]
        if isinstance(value, dict):
            if self._outside(value, by_id):
                raise PermissionDenied("the record belongs to a memory space or user outside this token's scope")
            return {k: self._filter(path, v, False) for k, v in value.items()}
        return value
