"""`cortex-mcp export` and `import` on real database files, through click's CliRunner."""

from __future__ import annotations

import json

import anyio
import pytest
from click.testing import CliRunner

from cortex_mcp import cli
from cortex_mcp.backends.base import call
from cortex_mcp.backends.embedded import EmbeddedBackend
from tests.data.populate import populate


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("CORTEX_DB_PATH", "CORTEX_BACKEND", "CONVEX_URL", "CONVEX_DEPLOY_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def run(*args: str):
    return CliRunner().invoke(cli.cli, list(args), prog_name="cortex-mcp")


def on_db(path, fn):
    async def main():
        backend = EmbeddedBackend(path)
        try:
            return await fn(backend)
        finally:
            await backend.aclose()

    return anyio.run(main)


def test_export_then_import_into_another_database(tmp_path):
    source, target, out = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "out.jsonl"
    on_db(source, populate)
    result = run("--db", str(source), "export", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "exported" in result.output and "4 memories" in result.output
    assert not list(tmp_path.glob(".*partial"))  # written beside, renamed into place

    plan = run("import", str(out), "--db", str(target), "--dry-run")
    assert plan.exit_code == 0, plan.output
    assert "would import (dry run, nothing written)" in plan.output
    assert on_db(target, lambda b: call(b, "memories:count", {"memorySpaceId": "home"})) == 0

    done = run("import", str(out), "--db", str(target))
    assert done.exit_code == 0 and "imported:" in done.output
    row = next(line for line in done.output.splitlines() if line.strip().startswith("memories"))
    assert row.split()[1:] == ["4", "0", "0", "0"]
    assert on_db(target, lambda b: call(b, "memories:count", {"memorySpaceId": "home"})) == 1


def test_export_filters_and_embeddings_reach_the_file(tmp_path):
    db, out = tmp_path / "a.db", tmp_path / "out.jsonl"
    on_db(db, populate)
    result = run("export", "--db", str(db), "-o", str(out), "--space", "home", "--space", "work", "--user", "alex",
                 "--since", "2000-01-01T00:00Z", "--embeddings")  # fmt: skip
    assert result.exit_code == 0, result.output
    head = json.loads(out.read_text().splitlines()[0])
    assert head["filters"] == {"spaces": ["home", "work"], "user": "alex", "since": 946684800000}
    assert head["embeddings"] is True and '"embedding":[0.25,0.5,-1]' in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "--since", "last tuesday", "-o", "x.jsonl"], "neither epoch ms nor an ISO 8601 time"),
        (["export"], "Missing option '-o' / '--output'"),
        (["import", "missing.jsonl"], "does not exist"),
        (["import", "--on-conflict", "merge", "x"], "'merge' is not one of"),
        (["--transport", "http", "export", "-o", "x"], "--transport does not apply"),
        (["--backend", "convex", "export", "-o", "x"], "--backend convex needs --convex-url"),
    ],
)
def test_bad_options_are_refused(tmp_path, args, message):
    result = run(*args)
    assert result.exit_code == 2 and message in result.output, result.output


def test_a_bad_file_is_refused_with_its_line_and_nothing_written(tmp_path):
    db, bad = tmp_path / "a.db", tmp_path / "bad.jsonl"
    bad.write_text('{"format":"cortex-mcp-export","version":1}\n{"layer":"memories","record":{"content":1}}\n{"end":{"counts":{"memories":1}}}\n')
    result = run("import", str(bad), "--db", str(db))
    assert result.exit_code == 1
    assert "import refused, nothing written" in result.output and "line 2: record." in result.output
    assert on_db(db, lambda b: call(b, "memories:count", {"memorySpaceId": "home"})) == 0


def test_help_covers_the_data_commands():
    text = run("--help").output
    for command in ("export", "import"):
        assert command in text
    assert "--on-conflict" in run("import", "--help").output
    assert "--embeddings" in run("export", "--help").output
