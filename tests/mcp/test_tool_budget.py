"""What the tool list costs a model on every turn: sizes, not timings (`pytest -s` prints them)."""

import json

import pytest

from tests.helpers import connect

pytestmark = pytest.mark.anyio

VISIBLE_BUDGET = 10_000  # name + description + inputSchema of the default tools (about 2,500 tokens)
TOOL_BUDGET = 1_500
WHOLE_BUDGET = 30_000  # the whole tools/list, output schemas and annotations included


def visible(tool) -> int:
    return len(json.dumps({"name": tool.name, "description": tool.description, "inputSchema": tool.input_schema}))


async def test_default_tools_fit_the_budget(backend, tmp_path):
    async with connect(backend) as c:
        tools = (await c.list_tools()).tools
    sizes = {t.name: visible(t) for t in tools}
    whole = len(json.dumps({"tools": [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]}))
    for name, size in sizes.items():
        print(f"{name:24} {size:6} chars  ~{size // 4} tokens")
    print(f"{len(tools)} tools: {sum(sizes.values())} visible chars, whole tools/list {whole}")
    assert sum(sizes.values()) <= VISIBLE_BUDGET
    assert {n: s for n, s in sizes.items() if s > TOOL_BUDGET} == {}
    assert whole <= WHOLE_BUDGET


async def test_every_curated_tool_fits_the_per_tool_budget(client):
    """Opt-in curated toolsets (agents, a2a, users) are held to the same per-tool limit."""
    tools = (await client.list_tools()).tools
    curated = [t for t in tools if not (t.title or "").count(":")]  # generated tools are titled module:function
    assert len(curated) > 20
    assert {t.name: visible(t) for t in curated if visible(t) > TOOL_BUDGET} == {}


async def test_schemas_carry_no_generated_noise(client):
    for tool in (await client.list_tools()).tools:
        text = json.dumps(tool.input_schema)
        assert '"title"' not in text.replace('"title": {', ""), tool.name  # a property may be called title
        assert '{"type": "null"}' not in text and '"default": null' not in text, tool.name
        if tool.output_schema:
            assert '{"type": "null"}' not in json.dumps(tool.output_schema), tool.name
