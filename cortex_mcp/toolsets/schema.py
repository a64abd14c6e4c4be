"""Lean JSON schemas for tool inputs and outputs: what a host shows the model costs tokens every turn.

pydantic's schemas carry noise an LLM does not need: a generated `title` on every property,
`anyOf [X, {"type": "null"}]` + `"default": null` for each optional argument, and `$ref`s into
`$defs` for models used once. `compact` removes them without changing what is accepted: an
optional argument is simply not `required`, and the server still accepts an explicit null for it;
a result leaves null fields out (see base.py), so nullable result fields are not required either.
A model referenced more than once stays in `$defs` (inlining it would repeat it).
"""

from __future__ import annotations

import json
from typing import Any

_REF_PREFIX = "#/$defs/"
_NULL = {"type": "null"}


def compact(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema without titles, null branches, null defaults or (non-recursive) `$ref`s."""
    defs = schema.get("$defs", {})
    text = json.dumps(schema)
    shared = {name for name in defs if text.count(f'"{_REF_PREFIX}{name}"') > 1}
    kept_defs: set[str] = set(shared)
    result = _node(schema, defs, (), kept_defs)
    result.pop("$defs", None)
    if kept_defs:  # shared and recursive models keep the definitions their references need
        result["$defs"] = {name: _node(defs[name], defs, (name,), kept_defs) for name in sorted(kept_defs)}
    return result


def _node(node: Any, defs: dict[str, Any], expanding: tuple[str, ...], kept: set[str]) -> Any:
    if isinstance(node, list):
        return [_node(item, defs, expanding, kept) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
        name = ref.removeprefix(_REF_PREFIX)
        if name in expanding or name not in defs or name in kept:
            kept.add(name)
            return {k: _node(v, defs, expanding, kept) for k, v in node.items() if k != "title"}
        # The referring property's own keys (its description) win over the definition's.
        inlined = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
        return _node(inlined, defs, (*expanding, name), kept)
    out: dict[str, Any] = {}
    # A nullable field is not required: results leave nulls out rather than sending them.
    nullable = {name for name, prop in (node.get("properties") or {}).items() if _NULL in prop.get("anyOf", [])}
    for key, value in node.items():
        if key in ("title", "$defs"):
            continue
        if key == "default" and value is None:
            continue
        if key == "required" and isinstance(value, list):
            required = [name for name in value if name not in nullable]
            if required:
                out[key] = required
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _node(prop, defs, expanding, kept) for name, prop in value.items()}
        else:
            out[key] = _node(value, defs, expanding, kept)
    return _collapse_any_of(out)


def _collapse_any_of(node: dict[str, Any]) -> dict[str, Any]:
    members = node.get("anyOf")
    if not isinstance(members, list):
        return node
    members = [m for m in members if m != _NULL]
    types = [m.get("type") for m in members]
    if len(members) == 2 and set(types) == {"integer", "number"} and all(len(m) == 1 for m in members):
        members = [{"type": "number"}]  # int | float
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    if len(members) == 1:
        return {**members[0], **rest}
    return {"anyOf": members, **rest} if members else rest
