"""Fuzz every tool of `--toolsets all` from its input schema: valid, boundary and hostile values.

For each call: the server answers (bounded wait), no traceback or bare "Error executing tool"
(an unhandled exception) reaches the client, a failed call leaves the database exactly as it was,
and a successful result validates against the tool's output schema. The count is bounded and the
random generator seeded, so a run is repeatable and takes seconds. It runs on both targets of the
`backend` fixture: the embedded backend and the Convex adapter over the wire server.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

import anyio
import jsonschema
import pytest

from cortex_mcp.backends.embedded.schema import TABLES
from tests.helpers import connect

pytestmark = pytest.mark.anyio

CASES_PER_TOOL = 6
# A request that times out waiting for its reply was still sent (the error says so): a write by design.
WRITES_WHEN_IT_FAILS = {"a2a_request"}
HOSTILE_STRINGS = [
    "",
    " ",
    "\ud800",
    "x" * 200_001,
    "'; DROP TABLE memories; --",
    "../../etc/passwd",
    "\x00",
    "🙂" * 10,
]
HOSTILE_NUMBERS = [0, -1, 2**64, -(2**63) - 1, 1e308, 0.5, -0.0]


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


def _resolve(schema: dict, root: dict) -> dict:
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].split("/")[-1]]
    return schema


def _value(schema: dict, root: dict, rng: random.Random, mode: str, depth: int = 0) -> Any:
    """A value for `schema`: plausible ("valid"), at the edges ("boundary"), or anything ("hostile")."""
    schema = _resolve(schema, root)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return _value(rng.choice(options), root, rng, mode, depth)
    if "enum" in schema:
        return rng.choice(schema["enum"]) if mode != "hostile" else rng.choice([*schema["enum"], "NOT_AN_ENUM"])
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = rng.choice(kind)
    if mode == "hostile" and depth > 0 and rng.random() < 0.5:
        return rng.choice([*HOSTILE_STRINGS, *HOSTILE_NUMBERS, None, [], {}, _deep(40), [1] * 5000, True])
    if kind == "string":
        if mode == "boundary":
            return rng.choice(["", "a", "x" * schema.get("maxLength", 1000)])
        return rng.choice(["alpha", "beta", "mem-1-x", "user-1", "The staging server lives in Frankfurt"])
    if kind == "integer":
        lo, hi = schema.get("minimum", 0), schema.get("maximum", 100)
        return rng.choice([lo, hi, 2**64]) if mode == "boundary" else rng.randint(int(lo), int(min(hi, lo + 100)))
    if kind == "number":
        return rng.choice([0, -1, 1e308, 2**64]) if mode == "boundary" else rng.random() * 100
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        if depth > 3:
            return []
        count = rng.choice([0, 1, 2]) if mode != "boundary" else rng.choice([0, 200])
        return [_value(schema.get("items", {}), root, rng, mode, depth + 1) for _ in range(count)]
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return {
            k: _value(v, root, rng, mode, depth + 1) for k, v in props.items() if k in required or rng.random() < 0.5
        }
    return rng.choice(["x", 1, None])


def _fingerprint(backend: Any) -> str:
    """Every stored document (on `convex`, of the store behind the wire server)."""
    digest = hashlib.sha256()
    with backend.store.transaction(writable=False) as conn:
        for table in TABLES:
            for row in conn.execute(f'SELECT _id, doc FROM "{table}" ORDER BY rowid'):
                digest.update(repr(row).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


async def test_fuzz_every_tool(backend, instant_waits):  # a2a_request's wait for a reply: no time
    """On the embedded backend and on the Convex adapter over the wire server (same seed, same calls)."""
    rng = random.Random(12)
    calls = failures = 0
    async with connect(backend, toolsets=("all",)) as client:
        tools = (await client.list_tools()).tools
        for tool in tools:
            root = tool.input_schema
            for case in range(CASES_PER_TOOL):
                mode = ("valid", "boundary", "hostile")[case % 3]
                args = _value(root, root, rng, mode)
                if tool.name == "a2a_request":  # it waits for a reply nobody sends: the shortest wait
                    args["timeout_ms"] = 1000
                before = _fingerprint(backend)
                with anyio.fail_after(30):  # "answered": a dropped call fails here
                    result = await client.call_tool(tool.name, args)
                calls += 1
                text = " ".join(getattr(c, "text", "") for c in result.content)
                assert "Traceback" not in text, (tool.name, args, text)
                if result.is_error:
                    failures += 1
                    assert text.strip() != f"Error executing tool {tool.name}", (tool.name, args)
                    assert len(text) < 3000, (tool.name, len(text))
                    if tool.name not in WRITES_WHEN_IT_FAILS:
                        assert _fingerprint(backend) == before, (tool.name, "a failed call wrote", args)
                elif tool.output_schema is not None:
                    jsonschema.validate(result.structured_content, tool.output_schema)
    assert calls == len(tools) * CASES_PER_TOOL and len(tools) > 100
    assert 0 < failures < calls  # both paths were exercised
