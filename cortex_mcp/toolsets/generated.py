"""Every catalog function as a typed MCP tool, generated from its validator.

The tool's input schema comes from the same `v.object({...})` the backends enforce, so a tool
can never drift from the contract. Required `memorySpaceId` / `userId` / `agentId` arguments
fall back to the server's configured defaults; a null from the model means "absent".
"""

from __future__ import annotations

import inspect
import keyword
import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, create_model

from cortex_mcp.backends.base import call
from cortex_mcp.contract import validators as val
from cortex_mcp.contract.catalog import CATALOG, Function, modules
from cortex_mcp.errors import CortexError
from cortex_mcp.toolsets.base import Registrar

# Convex module -> opt-in toolset name (curated default toolsets live in their own modules).
MODULE_TOOLSETS = {
    "memorySpaces": "spaces",
    "memories": "memories",
    "agents": "agents_admin",
    "conversations": "conversations",
    "immutable": "immutable",
    "facts": "facts_admin",
    "factHistory": "fact_history",
    "contexts": "contexts_admin",
    "a2a": "a2a_admin",
    "users": "users",  # curated toolsets/users.py adds the cascade tools
    "gdpr": "users",
    "mutable": "kv",
    "sessions": "sessions",
    "governance": "governance",
    "admin": "admin",
    "graphSync": "graph_sync",
}

# Bulk deletes whose backend deletes everything in scope when no filter is given: as tools they
# refuse an empty filter (the explicit `*_purge_all` tools remain for "everything").
NONEMPTY_FILTERS = {
    "memories:deleteMany": ("userId", "sourceType"),
    "facts:deleteMany": ("userId", "factType"),
    "contexts:deleteMany": ("memorySpaceId", "userId", "status", "completedBefore"),
    "conversations:deleteMany": ("userId", "memorySpaceId", "type"),
    "immutable:purgeMany": ("type", "userId"),
    "mutable:purgeMany": ("keyPrefix", "userId", "updatedBefore"),
}

CONFIG_DEFAULTS = {"memorySpaceId": "memory_space", "userId": "user_id", "agentId": "agent_id"}

Number = StrictInt | StrictFloat


class ToolResult(BaseModel):
    """The backend function's return value, unchanged."""

    result: Any = Field(description="What the backend function returned (document, list, number, or null)")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Modules whose plain prefix would collide with a curated tool (a2a_send, a2a_request).
TOOL_PREFIXES = {"a2a": "a2a_raw"}


def tool_name(fn: Function) -> str:
    return f"{TOOL_PREFIXES.get(fn.module, _snake(fn.module))}_{_snake(fn.name)}"


def python_type(validator: val.Validator, name: str) -> Any:
    """The pydantic type that accepts exactly what the validator accepts."""
    if isinstance(validator, val.OptionalValidator):
        return python_type(validator.inner, name)
    if isinstance(validator, (val.StringValidator, val.IdValidator)):
        return StrictStr
    if isinstance(validator, val.NumberValidator):
        return Number
    if isinstance(validator, val.BooleanValidator):
        return StrictBool
    if isinstance(validator, val.NullValidator):
        return None
    if isinstance(validator, val.AnyValidator):
        return Any
    if isinstance(validator, val.LiteralValidator):
        return Literal[validator.value]
    if isinstance(validator, val.UnionValidator):
        literals = validator.literal_values()
        if literals is not None:
            return Literal[tuple(literals)]
        return Union[tuple(python_type(m, name) for m in validator.members)]  # noqa: UP007 - built at run time
    if isinstance(validator, val.ArrayValidator):
        return list[python_type(validator.item, name)]  # type: ignore[misc]
    if isinstance(validator, val.RecordValidator):
        return dict[str, python_type(validator.value, name)]  # type: ignore[misc]
    if isinstance(validator, val.ObjectValidator):
        fields: dict[str, Any] = {}
        for field_name, inner in validator.fields.items():
            t = python_type(inner, f"{name}_{field_name}")
            info = Field(description=inner.description or None)
            if isinstance(inner, val.OptionalValidator):
                fields[field_name] = (Annotated[t | None, info], None)
            else:
                fields[field_name] = (Annotated[t, info], ...)
        model_name = "".join(part.capitalize() for part in re.split(r"[_\W]+", name) if part)
        return create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)
    raise TypeError(f"no python type for {validator!r}")


def _plain(value: Any) -> Any:
    """Tool arguments back to contract JSON. A nested object keeps only the fields the caller gave
    a value (null = absent); values inside `v.any()` fields pass through untouched."""
    if isinstance(value, BaseModel):
        return {k: _plain(getattr(value, k)) for k in value.model_fields_set if getattr(value, k) is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _config_defaults(registrar: Registrar, fn: Function) -> dict[str, str]:
    """Required arguments the server's configuration fills in when the caller leaves them out."""
    config = registrar.runtime.config
    defaults: dict[str, str] = {}
    for arg, validator in fn.args.fields.items():
        # Never default the target of a destructive call: deleting must name what it deletes.
        config_default = None if fn.destructive or arg not in CONFIG_DEFAULTS else getattr(config, CONFIG_DEFAULTS[arg])
        if config_default is not None and not isinstance(validator, val.OptionalValidator):
            defaults[arg] = config_default
    return defaults


def _signature(fn: Function, defaults: dict[str, str]) -> inspect.Signature:
    """The tool function's typed signature (pydantic types built from the validators)."""
    parameters = []
    for arg, validator in sorted(fn.args.fields.items(), key=lambda kv: isinstance(kv[1], val.OptionalValidator)):
        t = python_type(validator, f"{tool_name(fn)}_{arg}")
        description = validator.description or arg
        required = not isinstance(validator, val.OptionalValidator) and arg not in defaults
        if arg in defaults:
            description += f" (default: {defaults[arg]})"
        # A Python keyword (e.g. `from`) becomes `from_` with the wire name as its alias.
        python_name = f"{arg}_" if keyword.iskeyword(arg) else arg
        alias = arg if python_name != arg else None
        annotation = (
            Annotated[t, Field(description=description, alias=alias)]
            if required
            else Annotated[t | None, Field(description=description, alias=alias)]
        )
        parameters.append(
            inspect.Parameter(
                python_name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation,
                default=inspect.Parameter.empty if required else None,
            )
        )
    return inspect.Signature(parameters, return_annotation=ToolResult)


def make_tool(registrar: Registrar, fn: Function) -> None:
    defaults = _config_defaults(registrar, fn)
    required_filters = NONEMPTY_FILTERS.get(fn.path, ())

    async def tool(**kwargs: Any) -> ToolResult:
        # kwargs arrive under their wire names (an alias like `from` included).
        args = {k: _plain(v) for k, v in kwargs.items() if v is not None}
        if required_filters and not any(f in args for f in required_filters):
            raise CortexError(
                f"refusing to delete with an empty filter: give at least one of {', '.join(required_filters)}",
                code="EMPTY_FILTER",
                field=required_filters[0],
                hint=f"To really delete everything use {fn.module}_purge_all (if offered)."
                if f"{fn.module}:purgeAll" in CATALOG
                else None,
            )
        for arg, default in defaults.items():
            args.setdefault(arg, default)
        return ToolResult(result=await call(registrar.runtime.backend, fn.path, args))

    def prepare() -> None:  # only building the tool needs its types: not when listed from cache
        tool.__signature__ = _signature(fn, defaults)  # type: ignore[attr-defined]

    tool.__name__ = tool_name(fn)
    registrar.add(
        tool,
        name=tool_name(fn),
        title=f"{fn.module}:{fn.name}",
        description=f"{fn.summary} Backend function `{fn.path}` ({fn.kind})."
        + (f" Returns {fn.returns}." if fn.returns else ""),
        read_only=fn.read_only,
        destructive=fn.destructive,
        idempotent=fn.idempotent,
        prepare=prepare,
        rendered=False,
    )


def register_module(registrar: Registrar, module: str) -> None:
    for fn in modules().get(module, []):
        make_tool(registrar, fn)
