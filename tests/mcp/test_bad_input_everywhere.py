"""Every tool, curated or generated: bad input is refused with the field named, and writes nothing."""

import pytest

from cortex_mcp.backends.base import call

pytestmark = pytest.mark.anyio

WRONG_VALUE = {
    "string": 12345,
    "number": "not-a-number",
    "integer": "not-a-number",
    "boolean": "yes",
    "array": 7,
    "object": 7,
}


async def snapshot(backend) -> dict:
    return await call(backend, "admin:getAllCounts", {})


def first_typed_property(schema: dict) -> tuple[str, str] | None:
    """A property with a plain JSON type, required ones first."""
    props = schema.get("properties", {})
    order = list(schema.get("required", [])) + [p for p in props if p not in schema.get("required", [])]
    for name in order:
        prop = props[name]
        kind = prop.get("type")
        if kind is None and "anyOf" in prop:
            kinds = [a.get("type") for a in prop["anyOf"] if a.get("type") not in (None, "null")]
            kind = kinds[0] if len(kinds) == 1 else None
        if kind in WRONG_VALUE:
            return name, kind
    return None


async def test_unknown_argument_is_named_and_nothing_is_written(client, backend):
    before = await snapshot(backend)
    tools = (await client.list_tools()).tools
    for tool in tools:
        result = await client.call_tool(tool.name, {"zz_not_an_argument": 1})
        assert result.is_error, tool.name
        assert "zz_not_an_argument" in result.content[0].text, (tool.name, result.content[0].text)
    assert await snapshot(backend) == before


async def test_wrong_type_is_named_and_nothing_is_written(client, backend):
    before = await snapshot(backend)
    checked = 0
    for tool in (await client.list_tools()).tools:
        found = first_typed_property(tool.input_schema)
        if found is None:
            continue
        name, kind = found
        result = await client.call_tool(tool.name, {name: WRONG_VALUE[kind]})
        assert result.is_error, (tool.name, name)
        assert name in result.content[0].text, (tool.name, name, result.content[0].text)
        checked += 1
    assert checked > 150
    assert await snapshot(backend) == before
