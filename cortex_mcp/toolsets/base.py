"""What every toolset shares: the runtime, tool registration with annotations, error text.

`Registrar.add` is the one place a tool is registered: it applies `--read-only`, sets the
annotations, compacts the schemas, and wraps the tool so that its own space and user arguments are
checked against the caller's scope (caller.py resolved it for the request, and `Runtime.backend`,
the request's backend, is held to it), its result reaches the agent as
compact text beside the structured content, and errors from any layer (bad arguments included)
as actionable text in one format: `CODE: message (field: x). Next: hint`.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.context_injection import find_context_parameter
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cortex_mcp.api.embeddings import Embedder
from cortex_mcp.auth import Access, Scope
from cortex_mcp.backends.base import Backend
from cortex_mcp.config import Config
from cortex_mcp.contract import error_text
from cortex_mcp.errors import ArgumentValidationError, CortexError
from cortex_mcp.limits import MAX_ERROR_MESSAGE, check_arguments, echo
from cortex_mcp.toolsets.caller import current_backend, current_scope
from cortex_mcp.toolsets.client_log import client_log
from cortex_mcp.toolsets.lazy import LazyTool, SchemaCache, cache_file, settings_fingerprint, tool_key
from cortex_mcp.toolsets.render import render
from cortex_mcp.toolsets.schema import compact

log = logging.getLogger(__name__)
# Tool parameters that name a memory space or a user (curated snake_case, generated wire names).
_SPACE_PARAMS = ("memory_space_id", "memory_space_ids", "target_memory_space_id", "memorySpaceId", "memorySpaceIds")
_USER_PARAMS = ("user_id", "user_ids", "userId", "userIds")


def backend_of(ctx: Context[Backend, Any]) -> Backend:
    """The backend of a request: the server run's, already held to the caller's scope (caller.py's
    middleware rewrites the lifespan context before any handler sees it)."""
    return ctx.request_context.lifespan_context


@dataclass
class Runtime:
    config: Config
    embedder: Embedder | None = None  # --embeddings local/openai: memories get vectors, recall uses them
    access: Access = field(default_factory=Access)  # tokens and --lock-scope (auth.py), applied by caller.py
    toolset_of: dict[str, str | None] = field(default_factory=dict)  # tool name -> its toolset (token scopes)

    @property
    def backend(self) -> Backend:
        """The backend of the current request (tool call, resource read, prompt, completion), held to
        the caller's scope: each in-process session or stdio process uses the backend it opened."""
        return current_backend()

    def space(self, memory_space_id: str | None) -> str:
        return memory_space_id or current_scope().default_space(self.config.memory_space)

    def user(self, user_id: str | None) -> str | None:
        return user_id or current_scope().default_user(self.config.user_id)

    def agent(self, agent_id: str | None) -> str | None:
        return agent_id or self.config.agent_id


MAX_TEXT_CHARS = 2000  # every text a curated tool returns is bounded, so results stay token-cheap
MAX_LIST_ITEMS = 100  # of a record's own lists (tags, participants, child ids)
MAX_DATA_CHARS = 4000  # of a record's free-form data (as JSON)


def clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


def bounded(values: list[Any] | None) -> list[Any]:
    """A record's list, at most MAX_LIST_ITEMS long (a record with 100k tags stays readable)."""
    return list(values or [])[:MAX_LIST_ITEMS]


def bounded_data(value: Any) -> Any:
    """Free-form data as stored, or, when its JSON exceeds MAX_DATA_CHARS, a clipped preview of it."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= MAX_DATA_CHARS:
        return value
    return {"clipped_json": text[: MAX_DATA_CHARS - 1] + "…", "json_chars": len(text)}


# Arguments several curated tools share.
SpaceArg = Annotated[str | None, Field(description="Memory space")]
UserArg = Annotated[str | None, Field(description="User id")]


# What to do next for backend codes whose message is only the code itself.
HINTS = {
    "AGENT_ALREADY_REGISTERED": "That agent id is taken; use get_agent to inspect it or pick another id.",
    "AGENT_NOT_REGISTERED": "Use list_agents to see registered agents, or register_agent first.",
    "MEMORY_NOT_FOUND": "Use recall or list_memories to find a valid memory id.",
    "PERMISSION_DENIED": "The record belongs to another memory space; pass that memory_space_id.",
    "MEMORY_NOT_ARCHIVED": "Only archived memories can be restored.",
    "MEMORYSPACE_ALREADY_EXISTS": "Use the existing memory space, or choose another id.",
    "MEMORYSPACE_NOT_FOUND": "Register the memory space first, or check its id.",
    "CONVERSATION_NOT_FOUND": "Check the conversation id (conv-...) or create the conversation first.",
    "CONVERSATION_ALREADY_EXISTS": "Append to the existing conversation instead of creating it.",
    "FACT_NOT_FOUND": "Use search_facts to find a valid fact id.",
    "CONTEXT_NOT_FOUND": "Check the context id (ctx-...).",
    "PARENT_NOT_FOUND": "The parent context does not exist; check parent_id.",
    "HAS_CHILDREN": "The context has children: delete with cascade, or orphan the children.",
    "CONFIRM_ID_MISMATCH": "confirmId must equal the id being deleted.",
}


def describe_error(exc: CortexError) -> str:
    """`CODE: message (field: x). Next: hint` — what an agent needs to correct the call."""
    message = exc.message.strip()
    if isinstance(exc, ArgumentValidationError):
        message = error_text.one_line(message).replace(error_text.ARGUMENT_VALIDATION, "")
    message = echo(message, MAX_ERROR_MESSAGE)  # messages may quote the input (a 2 MB value...)
    text = message if message == exc.code else f"{exc.code}: {message}"
    field = exc.field or ("limit" if "`take`" in message else None)  # Convex's take() names no field
    if field:
        text += f" (field: {field})"
    hint = exc.hint or HINTS.get(exc.code)
    if hint:
        text += f". Next: {hint}"
    return text


MAX_ECHO_CHARS = 200  # of a caller's bad input quoted back in an error

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "none_required": "null",
}
_BOUNDS = {
    "less_than_equal": ("≤", "le"),
    "less_than": ("<", "lt"),
    "greater_than_equal": ("≥", "ge"),
    "greater_than": (">", "gt"),
}


def _field_of(loc: tuple[Any, ...]) -> str:
    """`facts[1].tags` from a pydantic location, without union-member tags (`int`, `list[str]`, ...)."""
    field = ""
    for part in loc:
        if isinstance(part, int):
            field += f"[{part}]"
        elif "[" in part or part in ("int", "float", "str", "bool", "none", "dict", "list"):
            break
        else:
            field += f".{part}" if field else part
    return field


def _problem(field: str, errors: list[dict[str, Any]]) -> str:
    """One sentence for the errors pydantic reported on one field."""
    first = errors[0]
    kind, ctx = first["type"], first.get("ctx") or {}
    got = json.dumps(first.get("input"), ensure_ascii=False, default=str)
    got = got if len(got) <= MAX_ECHO_CHARS else got[: MAX_ECHO_CHARS - 1] + "…"
    if kind == "missing":
        return f"{field} is required"
    if kind == "extra_forbidden":
        return f"unknown argument {field}"
    if all(e["type"] in _TYPE_NAMES for e in errors):
        kinds = " or ".join(dict.fromkeys(_TYPE_NAMES[e["type"]] for e in errors))
        return f"{field} must be {kinds}, not {got}"
    if kind in _BOUNDS:
        sign, key = _BOUNDS[kind]
        return f"{field} must be {sign} {ctx.get(key)}"
    if kind == "literal_error":
        return f"{field} must be one of {ctx.get('expected')}, not {got}"
    if kind in ("string_too_short", "too_short"):
        least = ctx.get("min_length", 1)
        return f"{field} must not be empty" if least == 1 else f"{field} needs at least {least} characters or items"
    if kind in ("string_too_long", "too_long"):
        return f"{field} allows at most {ctx.get('max_length')} characters or items"
    return f"{field}: {first['msg']}"  # pydantic's own sentence, without its URL or the full input


def describe_validation(exc: ValidationError, accepted: list[str]) -> str:
    """Argument validation failures in the one error format; unknown arguments first."""
    by_field: dict[str, list[dict[str, Any]]] = {}
    for error in exc.errors():
        by_field.setdefault(_field_of(error["loc"]) or "arguments", []).append(dict(error))
    ordered = sorted(by_field.items(), key=lambda kv: kv[1][0]["type"] != "extra_forbidden")
    problems = [_problem(field, errors) for field, errors in ordered[:3]]
    field = ordered[0][0]
    if ordered[0][1][0]["type"] == "extra_forbidden" and len(ordered[0][1][0]["loc"]) == 1:
        hint = f"accepted arguments: {', '.join(accepted)}" if accepted else "this tool takes no arguments"
    elif ordered[0][1][0]["type"] == "extra_forbidden":
        hint = f"remove {field}"
    else:
        hint = f"fix {field} and call again"
    more = f" (and {len(ordered) - 3} more)" if len(ordered) > 3 else ""
    return describe_error(CortexError("; ".join(problems) + more, code="INVALID_ARGUMENT", field=field, hint=hint))


class CortexTool(Tool):
    """A tool whose failures all read `CODE: message (field: x). Next: hint`: argument validation
    (pydantic's raw report would leak its URLs and echo whole inputs) and errors from any layer."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        try:
            self.fn_metadata.validate_arguments(arguments)
        except ValidationError as exc:
            accepted = list(self.parameters.get("properties", {}))
            raise ToolError(describe_validation(exc, accepted)) from exc
        try:
            return await super().run(arguments, context, convert_result=convert_result)
        except ToolError as exc:
            cause = exc.__cause__  # Tool.run prefixes "Error executing tool <name>: "; ours needs none
            if isinstance(cause, ToolError) and isinstance(cause.__cause__, CortexError):
                raise ToolError(str(cause)) from cause.__cause__
            raise


_CALL_CONTEXT = "_cortex_call_context"  # where the SDK hands the wrapper its Context
RECENT_URI = "cortex://recent"  # the newest memories (resources.py)


async def _memories_changed(ctx: Any) -> None:
    """A tool that writes may have changed the newest memories: tell subscribers of cortex://recent
    (2026-07-28 subscriptions/listen; a no-op with none listening)."""
    try:
        await ctx.notify_resource_updated(RECENT_URI)
    except Exception:  # a notification must never turn a stored result into an error
        log.debug("resource update notification not sent", exc_info=True)


def _check_scope(scope: Scope, kwargs: dict[str, Any]) -> None:
    """The tool's own space and user arguments against the caller's scope (named as the tool names them)."""
    for name, value in kwargs.items():
        for item in value if isinstance(value, list) else [value]:
            if name in _SPACE_PARAMS:
                scope.check_space(item, name)
            elif name in _USER_PARAMS:
                scope.check_user(item, name)


def _per_call(
    fn: Callable, runtime: Runtime, name: str, toolset: str | None, rendered: bool, writes: bool = False
) -> tuple[Callable, str]:
    """`fn` wrapped to run with its call's backend and scope, with errors as text and (`rendered`) its
    result as compact text beside the structured content (nulls left out), plus the name of the
    keyword the SDK passes the request Context in (the tool's own Context parameter, if it has one).

    The caller's scope was resolved once for the request (caller.py); here the tool's own space and
    user arguments are checked against it, so the error names the tool's parameter."""
    own_context = find_context_parameter(fn)

    @functools.wraps(fn)
    async def wrapper(**kwargs: Any) -> Any:
        ctx = kwargs[own_context] if own_context else kwargs.pop(_CALL_CONTEXT)
        scope = current_scope()  # resolved by caller.py's middleware; backend_of(ctx) is held to it
        try:
            scope.check_toolset(toolset, name)
            _check_scope(scope, kwargs)
            check_arguments({k: v for k, v in kwargs.items() if k != own_context})
        except CortexError as exc:
            raise ToolError(describe_error(exc)) from exc
        try:
            result = await fn(**kwargs)
        except CortexError as exc:
            text = describe_error(exc)
            await client_log(ctx, "warning", f"{name}: {text}")
            raise ToolError(text) from exc
        except (ToolError, anyio.get_cancelled_exc_class()):
            raise
        except Exception as exc:  # a bug must still answer cleanly: no traceback reaches the client
            log.exception("tool %s failed", name)
            text = f"INTERNAL_ERROR: {type(exc).__name__}: {echo(str(exc))} (a bug in cortex-mcp)"
            text += ". Next: report it with the call that caused it"
            raise ToolError(text) from exc
        if writes:
            await _memories_changed(ctx)
        if not rendered or not isinstance(result, BaseModel):
            return result
        return rendered_result(result, name, kwargs)

    return wrapper, own_context or _CALL_CONTEXT


def rendered_result(result: BaseModel, tool: str, args: dict[str, Any]) -> CallToolResult:
    """A curated tool's answer: the compact text for the model beside the structured content (nulls
    left out)."""
    return CallToolResult(
        content=[TextContent(type="text", text=render(result, tool=tool, args=args))],
        structured_content=result.model_dump(mode="json", exclude_none=True),
    )


def _forbid_unknown_arguments(tool: Tool) -> None:
    """Reject arguments a tool does not declare (the SDK ignores them), naming the stray key."""
    loose = tool.fn_metadata.arg_model
    strict: type[ArgModelBase] = type(
        loose.__name__,
        (loose,),
        {"model_config": ConfigDict(**{**loose.model_config, "extra": "forbid"}), "__module__": loose.__module__},
    )
    tool.fn_metadata.arg_model = strict
    tool.parameters = compact(strict.model_json_schema(by_alias=True))
    if tool.fn_metadata.output_schema is not None:
        tool.fn_metadata.output_schema = compact(tool.fn_metadata.output_schema)


class Registrar:
    """Collects the tools of the chosen toolsets; `server.py` builds the MCPServer from them."""

    def __init__(self, runtime: Runtime, schemas: SchemaCache | None = None):
        self.runtime = runtime
        self.tools: list[Tool] = []
        self.schemas = schemas or SchemaCache(cache_file())
        self.settings = settings_fingerprint(runtime.config)
        self.toolset: str | None = None  # the toolset registering now (server.py sets it): token scopes name it

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.tools]

    def add(
        self,
        fn: Callable,
        *,
        name: str | None = None,
        title: str,
        description: str | None = None,
        read_only: bool,
        destructive: bool = False,
        idempotent: bool = False,
        prepare: Callable[[], None] | None = None,
        rendered: bool = True,
    ) -> None:
        """Register `fn` as a tool. `prepare()`, if given, runs just before the tool is built (work
        only building needs, such as setting `fn.__signature__`; skipped while listed from cache).
        `rendered`: the result (a pydantic model) also goes out as compact text (curated tools)."""
        if self.runtime.config.read_only and not read_only:
            return
        if (name or fn.__name__) in self.names:
            raise ValueError(f"two tools named {name or fn.__name__!r}")
        assert inspect.iscoroutinefunction(fn), "tools are async: the backend seam is async"
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=read_only,
            destructive_hint=destructive and not read_only,
            idempotent_hint=idempotent or read_only,
            open_world_hint=False,
        )
        name = name or fn.__name__
        wrapped, context_kwarg = _per_call(fn, self.runtime, name, self.toolset, rendered, writes=not read_only)
        description = inspect.cleandoc(description or fn.__doc__ or "")

        def build() -> Tool:
            if prepare is not None:
                prepare()
            tool = CortexTool.from_function(
                wrapped,
                name=name,
                context_kwarg=context_kwarg,
                title=title,
                description=description,
                annotations=annotations,
                structured_output=True,
            )
            _forbid_unknown_arguments(tool)
            return tool

        # Listed from cached schemas when this exact tool was built before; built on first call.
        key = tool_key(self.settings, name, description)
        entry = self.schemas.get(key)
        if entry is None:
            tool = build()
            self.schemas.put(key, tool)
        else:
            fields = {"fn": wrapped, "name": name, "title": title, "description": description}
            tool = LazyTool.from_cache(entry, build, annotations=annotations, context_kwarg=context_kwarg, **fields)
        self.tools.append(tool)
        self.runtime.toolset_of[name] = self.toolset
