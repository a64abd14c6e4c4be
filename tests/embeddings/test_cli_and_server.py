"""`--embeddings` reaches the tools, `cortex-mcp reindex` fills and resumes, bad settings are refused
before anything runs."""

from __future__ import annotations

import io
import math

import anyio
import pytest
from click.testing import CliRunner
from mcp import Client

from cortex_mcp.api.embeddings import local as local_module
from cortex_mcp.api.embeddings.reindex import ProgressBar
from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.cli import cli
from cortex_mcp.server import build_server
from tests.embeddings.openai_server import fake_vector
from tests.helpers import fails, make_config, ok

pytestmark = pytest.mark.anyio


async def _memory_and_status(db, memory_id):
    backend = EmbeddedBackend(db)
    try:
        memory = await call(backend, "memories:get", {"memorySpaceId": "test-space", "memoryId": memory_id})
        return memory, await call(backend, "embeddings:status", {})
    finally:
        await backend.aclose()


async def test_remember_tool_stores_a_vector_with_openai_embeddings(tmp_path, server):
    config = make_config(
        tmp_path, embeddings="openai", embeddings_url=server.url, embeddings_model="fake", embeddings_key="test-key"
    )
    for _ in range(2):  # a second run of the same server reopens the provider it closed
        async with Client(build_server(config)) as client:
            result = await ok(client, "remember", {"content": "allergic to peanuts"})
    memory, status = await _memory_and_status(tmp_path / "cortex.db", result["memories"][0]["memory_id"])
    assert all(
        math.isclose(a, b, abs_tol=1e-6)
        for a, b in zip(memory["embedding"], fake_vector("allergic to peanuts"), strict=True)
    )
    assert status["model"] == "openai:fake" and status["embedded"] == 2


def test_local_without_the_extra_is_refused_at_start(tmp_path, monkeypatch):
    monkeypatch.setattr(local_module, "missing_packages", lambda: ["onnxruntime"])
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "--embeddings", "local"])
    assert result.exit_code == 2
    assert "needs the embeddings extra" in result.output and "[embeddings]" in result.output


def test_embeddings_choice_is_checked(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "--embeddings", "bert"])
    assert result.exit_code == 2 and "none" in result.output and "openai" in result.output


def test_reindex_needs_a_provider(tmp_path):
    result = CliRunner().invoke(cli, ["reindex", "--db", str(tmp_path / "x.db")], env={"CORTEX_EMBEDDINGS": ""})
    assert result.exit_code == 2 and "reindex needs --embeddings" in result.output


async def _notes(db, n):
    backend = EmbeddedBackend(db)
    try:
        for i in range(n):
            await call(
                backend,
                "memories:store",
                {
                    "memorySpaceId": "s",
                    "content": f"note {i}",
                    "contentType": "raw",
                    "sourceType": "tool",
                    "importance": 50,
                    "tags": [],
                },
            )
    finally:
        await backend.aclose()


def test_reindex_command_fills_what_is_missing(tmp_path, server):
    db = tmp_path / "cortex.db"
    anyio.run(_notes, db, 5)
    args = [
        "reindex",
        "--db",
        str(db),
        "--embeddings",
        "openai",
        "--embeddings-url",
        server.url,
        "--embeddings-model",
        "fake",
        "--batch",
        "2",
    ]
    result = CliRunner().invoke(cli, args, env={"CORTEX_EMBEDDINGS_KEY": "test-key"})
    assert result.exit_code == 0, result.output
    assert "5 memories embedded with openai:fake; 5 memories in all" in result.output
    assert [len(b) for b in server.batches] == [1, 2, 2, 1]  # the dimension probe, then pages of 2
    again = CliRunner().invoke(cli, args, env={"CORTEX_EMBEDDINGS_KEY": "test-key"})
    assert "0 memories embedded" in again.output


def test_reindex_command_reports_a_failure_and_keeps_progress(tmp_path, server):
    db = tmp_path / "cortex.db"
    anyio.run(_notes, db, 3)
    args = ["reindex", "--db", str(db), "--embeddings", "openai", "--embeddings-url", server.url]
    result = CliRunner().invoke(cli, [*args, "--embeddings-model", "fake"], env={"CORTEX_EMBEDDINGS_KEY": "wrong"})
    assert result.exit_code == 1
    assert "reindex stopped: the embeddings endpoint" in result.output and "refused the key" in result.output
    assert "run reindex again" in result.output


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only():
    terminal = _Terminal()
    bar = ProgressBar(terminal, width=10)
    bar(0, 4)
    bar(2, 4)
    bar(4, 4)
    bar.close()
    assert terminal.getvalue() == (
        "\r[..........] 0/4 memories\r[#####.....] 2/4 memories\r[##########] 4/4 memories\n"
    )
    piped = io.StringIO()
    quiet = ProgressBar(piped)
    quiet(1, 2)
    quiet.close()
    assert piped.getvalue() == ""


@pytest.mark.skipif(
    bool(local_module.missing_packages()), reason="embeddings extra not installed: pip install -e '.[embeddings]'"
)
async def test_recall_finds_a_paraphrase_with_local_embeddings(tmp_path):
    config = make_config(tmp_path, embeddings="local")
    async with Client(build_server(config)) as client:
        for note in (
            "I am allergic to peanuts",
            "We deploy the service on Fridays",
            "My sister lives in Lisbon",
            "The quarterly report is due next week",
            "Alex plays tennis on Sundays",
        ):
            await ok(client, "remember", {"content": note})
        found = await ok(client, "recall", {"query": "food allergies", "limit": 2})
    assert found["items"][0]["content"] == "I am allergic to peanuts"


async def test_recall_refuses_another_model(tmp_path, server):
    settings = {"embeddings": "openai", "embeddings_url": server.url, "embeddings_key": "test-key"}
    async with Client(build_server(make_config(tmp_path, embeddings_model="model-a", **settings))) as client:
        await ok(client, "remember", {"content": "allergic to peanuts"})
    async with Client(build_server(make_config(tmp_path, embeddings_model="model-b", **settings))) as client:
        text = await fails(client, "recall", {"query": "peanuts"})
        assert "EMBEDDING_MODEL_MISMATCH" in text and "openai:model-a" in text and "reindex" in text
        text = await fails(client, "remember", {"content": "more"})
        assert "EMBEDDING_MODEL_MISMATCH" in text
