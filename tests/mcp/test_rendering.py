"""What the model reads: compact text beside the structured content, one error format, ISO times."""

import json
from typing import ClassVar

import pytest
from pydantic import BaseModel

from cortex_mcp.errors import InputError
from cortex_mcp.toolsets.render import Paging, render
from cortex_mcp.toolsets.schema import compact
from cortex_mcp.toolsets.times import iso, to_ms
from tests.helpers import fails, ok

pytestmark = pytest.mark.anyio

TYPICAL = [
    "Alex prefers green tea over coffee in the morning",
    "Alex's daughter Mia starts school in Berlin in September",
    "The team deploys the billing service every Tuesday after standup",
    "Alex is allergic to peanuts and avoids Thai takeaway",
    "Project Atlas uses PostgreSQL 16 with logical replication to the analytics cluster",
    "Alex runs a half marathon in April and trains on weekends",
    "The staging cluster lives in Frankfurt and is rebuilt nightly",
    "Alex wants weekly summaries on Fridays, short and in bullet points",
    "Mia's favourite tea shop is on Kastanienallee",
    "Alex's manager is Priya; one-to-ones are on Mondays at ten",
]

QUERY = "coffee school billing peanuts Atlas marathon Frankfurt summaries Kastanienallee Priya"


async def text_of(client, tool, args):
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content[0].text
    return result.content[0].text, result.structured_content


async def test_ten_item_recall_reads_in_under_1500_chars(client):
    ids = []
    for note in TYPICAL:
        ids.append(
            (await ok(client, "remember", {"content": note, "tags": ["alex"], "importance": 70}))["memories"][0][
                "memory_id"
            ]
        )
    text, structured = await text_of(client, "recall", {"query": QUERY, "limit": 10})
    lines = text.splitlines()
    assert len(structured["items"]) == 10 and len(text) <= 1500, text
    item_lines = [line.strip() for line in lines if line.startswith("  ")]
    assert len(item_lines) == 10
    for line, item in zip(item_lines, structured["items"], strict=True):
        assert line.startswith(f"{item['id']} (20") and item["content"] in line  # id first, then the ISO date
    assert "null" not in text and "None" not in text
    assert all(isinstance(item["created_at"], int) for item in structured["items"])  # structured keeps ms


async def test_lists_say_how_to_get_the_rest(client):
    for i in range(7):
        await ok(client, "remember", {"content": f"paging note {i}"})
    text, structured = await text_of(client, "list_memories", {"limit": 3})
    assert structured["total"] == 7 and text.splitlines()[-1] == "4 more: call list_memories with offset=3"
    text, structured = await text_of(client, "list_memories", {"limit": 3, "offset": 6})
    assert len(structured["memories"]) == 1 and "more" not in text
    first = (await ok(client, "list_memories", {"limit": 1}))["memories"][0]["memory_id"]
    second = (await ok(client, "list_memories", {"limit": 1, "offset": 1}))["memories"][0]["memory_id"]
    assert first != second
    text, _ = await text_of(client, "recall", {"query": "zebra-never-stored"})
    assert text == "no items found"


async def test_records_are_bounded_in_text_and_structure(client):
    huge = {"tags": [f"t{i}" for i in range(100_000)]}
    await ok(client, "register_agent", {"agent_id": "heavy", "name": "Heavy", "metadata": huge})
    result = await client.call_tool("get_agent", {"agent_id": "heavy"})
    assert len(result.content[0].text) < 1000
    assert len(json.dumps(result.structured_content)) < 6000
    assert result.structured_content["metadata"]["json_chars"] > 100_000  # says how much was clipped
    ctx = await ok(client, "create_context", {"purpose": "p" * 10_000, "data": huge})
    assert len(ctx["purpose"]) == 2000 and len(json.dumps(ctx)) < 8000


async def test_bad_arguments_read_like_every_other_error(client):
    text = await fails(client, "recall", {"query": "x", "limit": 51})
    assert text == "INVALID_ARGUMENT: limit must be ≤ 50 (field: limit). Next: fix limit and call again"
    text = await fails(client, "recall", {"query": "x", "zz_extra": 1})
    assert text.startswith(
        "INVALID_ARGUMENT: unknown argument zz_extra (field: zz_extra). Next: accepted arguments: query,"
    )
    text = await fails(client, "recall", {})
    assert text.startswith("INVALID_ARGUMENT: query is required (field: query)")
    text = await fails(client, "store_fact", {"fact": "x", "fact_type": "rumour"})
    assert "fact_type must be one of" in text and "(field: fact_type)" in text
    long_input = "y" * 5000
    text = await fails(client, "recall", {"query": "x", "limit": long_input})
    assert "limit must be an integer" in text and len(text) < 400  # at most 200 chars of the input echoed
    text = await fails(client, "remember", {"content": "x", "facts": [{"fact": "f", "colour": "red"}]})
    assert "(field: facts[0].colour). Next: remove facts[0].colour" in text
    for text in [await fails(client, "recall", {"query": 5}), await fails(client, "agents_list", {"limit": True})]:
        assert "pydantic" not in text and "http" not in text and "Error executing tool" not in text


async def test_times_accept_iso_and_epoch_ms(client):
    await ok(client, "store_fact", {"fact": "Alex lives in Rome", "subject": "Alex", "predicate": "lives in"})
    await ok(client, "store_fact", {"fact": "Alex lives in Berlin", "subject": "Alex", "predicate": "lives in"})
    now = await ok(client, "search_facts", {"query": "lives"})
    assert [f["fact"] for f in now["facts"]] == ["Alex lives in Berlin"]
    before = await ok(client, "search_facts", {"query": "lives", "as_of": "2001-01-01T00:00:00Z"})
    assert before["facts"] == [] and before["as_of"] == 978307200000
    assert (await ok(client, "search_facts", {"query": "lives", "as_of": 978307200000}))["as_of"] == 978307200000
    text = await fails(client, "search_facts", {"query": "lives", "as_of": "last tuesday"})
    assert text.startswith("INVALID_ARGUMENT: as_of must be an ISO-8601 time") and "(field: as_of)" in text


def test_time_conversions():
    assert iso(978307200000) == "2001-01-01T00:00:00Z"
    assert to_ms("2001-01-01", "t") == to_ms("2001-01-01T00:00:00Z", "t") == to_ms("2001-01-01T01:00:00+01:00", "t")
    assert to_ms("978307200000", "t") == 978307200000
    for bad in [True, -1, float("nan"), "soon", [1]]:
        with pytest.raises(InputError, match="t must be"):
            to_ms(bad, "t")
    assert iso(10**20) == str(10**20)  # beyond datetime: the number itself, never a crash


def test_render_leaves_out_nulls_and_clips():
    class Item(BaseModel):
        item_id: str
        content: str
        note: str | None = None
        created_at: int

    class Items(BaseModel):
        paging: ClassVar = Paging("items", "total")
        items: list[Item]
        total: int

    result = Items(items=[Item(item_id="i-1", content="a\nb " + "x" * 900, created_at=0)], total=3)
    text = render(result, tool="list_things", args={"limit": 1})
    head, header, first, more = text.splitlines()
    assert head == "total=3" and header == "items (1):"
    assert first.startswith("  i-1 (1970-01-01T00:00:00Z): a / b xxx") and first.endswith("…") and len(first) <= 540
    assert "note" not in text and more == "2 more: call list_things with offset=1"


def test_compact_schema_keeps_meaning():
    class Inner(BaseModel):
        a: int

    class Args(BaseModel):
        title: str | None = None  # a property may be called title
        inner: Inner | None = None
        pair: list[Inner] = []
        n: int | float = 1

    schema = compact(Args.model_json_schema())
    assert schema["properties"]["title"] == {"type": "string"}
    assert "$defs" in schema and schema["properties"]["pair"]["items"] == {"$ref": "#/$defs/Inner"}  # shared: kept once
    assert schema["properties"]["n"]["type"] == "number" and "required" not in schema
