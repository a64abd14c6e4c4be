"""The command line: every option works in every position `--help` shows it, or is refused clearly.

In process through click's CliRunner, with the functions the commands call into replaced by
recorders; one subprocess test serves a real database with `--db X backend serve`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from click.testing import CliRunner

import cortex_mcp
from cortex_mcp import DISTRIBUTION, cli
from cortex_mcp.config import Config, default_db_path
from tests.helpers import ROOT

ENV = (
    "CORTEX_DB_PATH",
    "CORTEX_MEMORY_SPACE",
    "CORTEX_USER_ID",
    "CORTEX_AGENT_ID",
    "CORTEX_TOOLSETS",
    "CORTEX_READ_ONLY",
    "CORTEX_BACKEND",
    "CONVEX_URL",
    "CONVEX_DEPLOY_KEY",
    "CORTEX_LOG_LEVEL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture
def calls(monkeypatch) -> list[tuple[str, Any]]:
    """Replace what the commands call into; record (what, arguments)."""
    recorded: list[tuple[str, Any]] = []

    class FakeServer:
        def run(self, *args: Any, **kwargs: Any) -> None:
            recorded.append(("run", (args, kwargs)))

    def build_server(config: Config, **auth: Any) -> FakeServer:
        from cortex_mcp import toolsets

        toolsets.select(config.toolsets)  # the real check: unknown toolsets are refused
        recorded.append(("config", config))
        recorded.append(("auth", auth))
        return FakeServer()

    def serve_wire(db_path: Path, host: str = "127.0.0.1", port: int = 3210, **options: Any) -> None:
        recorded.append(("wire", (db_path, host, port)))
        recorded.append(("wire options", options))

    def run_doctor(url: str, deploy_key: str | None = None, as_json: bool = False, **kw: Any) -> int:
        recorded.append(("doctor", {"url": url, "deploy_key": deploy_key, "as_json": as_json, **kw}))
        return 1

    monkeypatch.setattr("cortex_mcp.server.build_server", build_server)

    async def run_stdio(server: Any) -> None:  # the guarded stdio runner ends in the server's run
        server.run()

    monkeypatch.setattr("cortex_mcp.stdio_guard.run_stdio", run_stdio)
    monkeypatch.setattr("cortex_mcp.backends.embedded.wire.serve_wire", serve_wire)
    monkeypatch.setattr("cortex_mcp.doctor.run_doctor", run_doctor)
    return recorded


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli.cli, list(args), prog_name="cortex-mcp", env=env)


def only(calls: list[tuple[str, Any]], what: str) -> Any:
    found = [value for kind, value in calls if kind == what]
    assert len(found) == 1, calls
    return found[0]


# --- backend serve: --db, --host, --port before or after the subcommand -------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--db", "X.db", "backend", "serve"],
        ["backend", "serve", "--db", "X.db"],
        ["--db", "X.db", "backend", "serve", "--db", "X.db"],
        ["--log-level", "debug", "backend", "serve", "--db", "X.db"],
    ],
)
def test_backend_serve_takes_db_in_any_position(calls, args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert only(calls, "wire") == (Path("X.db"), "127.0.0.1", 3210)


def test_backend_serve_key_allow_lists_and_read_only(calls):
    env = {"CORTEX_WIRE_KEY": "embedded|k"}
    assert run("--read-only", "backend", "serve", "--allowed-hosts", "a:*, b", env=env).exit_code == 0
    assert only(calls, "wire options") == {
        "key": "embedded|k",
        "allowed_hosts": ["a:*", "b"],
        "allowed_origins": None,
        "read_only": True,
    }


def test_backend_serve_host_and_port_before_or_after(calls):
    assert run("--host", "::1", "--port", "4000", "backend", "serve").exit_code == 0
    assert run("backend", "serve", "--host", "::1", "--port", "4000").exit_code == 0
    assert [v for k, v in calls if k == "wire"] == [(default_db_path(), "::1", 4000)] * 2


def test_backend_serve_flag_beats_env_and_env_beats_default(calls, tmp_path):
    run("backend", "serve", env={"CORTEX_DB_PATH": "from-env.db"})
    run("--db", "flag.db", "backend", "serve", env={"CORTEX_DB_PATH": "from-env.db"})
    run("backend", "serve")
    dbs = [v[0] for k, v in calls if k == "wire"]
    assert dbs == [Path("from-env.db"), Path("flag.db"), tmp_path / "data" / "cortex-mcp" / "cortex.db"]


def test_backend_serve_expands_home(calls):
    assert run("--db", "~/memories.db", "backend", "serve").exit_code == 0
    assert only(calls, "wire")[0] == Path.home() / "memories.db"


def test_conflicting_values_before_and_after_are_refused(calls):
    result = run("--db", "a.db", "backend", "serve", "--db", "b.db")
    assert result.exit_code == 2 and "--db given before and after 'serve' with different values" in result.output
    assert calls == []


@pytest.mark.parametrize(
    "args, flag",
    [
        (["--toolsets", "all", "backend", "serve"], "--toolsets"),
        (["--transport", "http", "backend", "serve"], "--transport"),
        (["--list-toolsets", "backend", "serve"], "--list-toolsets"),
        (["--convex-url", "https://x.convex.cloud", "backend", "serve"], "--convex-url"),
    ],
)
def test_backend_serve_refuses_top_level_options_it_does_not_use(calls, args, flag):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert f"{flag} does not apply to 'cortex-mcp backend serve'" in result.output
    assert calls == []


def test_options_a_subcommand_does_not_show_are_refused_after_it(calls):
    result = run("backend", "serve", "--user-id", "me")
    assert result.exit_code == 2 and "No such option" in result.output and "--user-id" in result.output
    assert calls == []


def test_backend_without_a_subcommand_shows_its_usage(calls):
    result = run("backend")
    assert result.exit_code == 2 and "serve" in result.output and calls == []


# --- doctor: --convex-url and --timeout before or after ------------------------------------------


@pytest.mark.parametrize(
    "args, env",
    [
        (["--convex-url", "https://a.convex.cloud", "doctor"], None),
        (["doctor", "--convex-url", "https://a.convex.cloud"], None),
        (["doctor"], {"CONVEX_URL": "https://a.convex.cloud"}),
        (["--backend", "convex", "--convex-url", "https://a.convex.cloud", "doctor"], None),
        (["--convex-url", "https://a.convex.cloud", "doctor"], {"CORTEX_TOOLSETS": "all", "CORTEX_READ_ONLY": "1"}),
    ],
)
def test_doctor_takes_the_url_in_any_position(calls, args, env):
    result = run(*args, env=env)
    assert result.exit_code == 1, result.output  # the doctor's own exit status is passed through
    assert only(calls, "doctor") == {
        "url": "https://a.convex.cloud",
        "deploy_key": None,
        "as_json": False,
        "timeout": 10.0,
        "allow_unverified": False,
    }


def test_doctor_flag_beats_env_and_passes_deploy_key_json_and_timeout(calls):
    env = {"CONVEX_URL": "https://env.convex.cloud", "CONVEX_DEPLOY_KEY": "prod:secret"}
    result = run("--timeout", "2.5", "doctor", "--convex-url", "https://flag.convex.cloud", "--json", env=env)
    assert result.exit_code == 1, result.output
    assert only(calls, "doctor") == {
        "url": "https://flag.convex.cloud",
        "deploy_key": "prod:secret",
        "as_json": True,
        "timeout": 2.5,
        "allow_unverified": False,
    }


def test_doctor_passes_allow_unverified(calls):
    result = run("doctor", "--convex-url", "https://a.convex.cloud", "--allow-unverified")
    assert result.exit_code == 1, result.output
    assert only(calls, "doctor")["allow_unverified"] is True


def test_doctor_without_a_url_is_refused(calls):
    result = run("doctor")
    assert result.exit_code == 2 and "doctor needs --convex-url or CONVEX_URL" in result.output
    assert calls == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--toolsets", "all", "--convex-url", "u", "doctor"], "--toolsets does not apply to 'cortex-mcp doctor'"),
        (["--db", "x.db", "--convex-url", "u", "doctor"], "--db does not apply to 'cortex-mcp doctor'"),
        (["--backend", "embedded", "--convex-url", "u", "doctor"], "--backend embedded does not apply"),
        (["--convex-url", "a", "doctor", "--convex-url", "b"], "--convex-url given before and after 'doctor'"),
        (["doctor", "--db", "x.db"], "No such option"),
    ],
)
def test_doctor_refusals(calls, args, message):
    result = run(*args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert calls == []


# --- serving MCP (no subcommand) ----------------------------------------------------------------


def test_serve_defaults(calls, tmp_path):
    assert run().exit_code == 0
    assert only(calls, "config") == Config(db_path=tmp_path / "data" / "cortex-mcp" / "cortex.db")
    assert only(calls, "run") == ((), {})


def test_serve_flags_reach_the_config(calls):
    result = run(
        "--db", "m.db", "--memory-space", "team", "--user-id", "me", "--agent-id", "cursor",
        "--toolsets", "memory, facts,", "--read-only", "--backend", "convex",
        "--convex-url", "https://x.convex.cloud", "--timeout", "3",
        env={"CONVEX_DEPLOY_KEY": "dev:k"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert only(calls, "config") == Config(
        db_path=Path("m.db"),
        memory_space="team",
        user_id="me",
        agent_id="cursor",
        toolsets=("memory", "facts"),
        read_only=True,
        backend="convex",
        convex_url="https://x.convex.cloud",
        convex_deploy_key="dev:k",
        timeout=3.0,
    )


def test_serve_env_vars_and_flags_winning_over_them(calls):
    env = {
        "CORTEX_DB_PATH": "env.db",
        "CORTEX_MEMORY_SPACE": "env-space",
        "CORTEX_USER_ID": "env-user",
        "CORTEX_AGENT_ID": "env-agent",
        "CORTEX_TOOLSETS": "all",
        "CORTEX_READ_ONLY": "yes",
        "CORTEX_BACKEND": "convex",
        "CONVEX_URL": "https://env.convex.cloud",
    }
    assert run(env=env).exit_code == 0
    assert run("--user-id", "flag-user", "--toolsets", "memory", "--backend", "embedded", env=env).exit_code == 0
    from_env, flagged = [v for k, v in calls if k == "config"]
    assert from_env == Config(
        db_path=Path("env.db"),
        memory_space="env-space",
        user_id="env-user",
        agent_id="env-agent",
        toolsets=("all",),
        read_only=True,
        backend="convex",
        convex_url="https://env.convex.cloud",
    )
    assert (flagged.user_id, flagged.toolsets, flagged.backend) == ("flag-user", ("memory",), "embedded")


def test_convex_url_flag_with_the_backend_from_env(calls):
    assert run("--convex-url", "https://x.convex.cloud", env={"CORTEX_BACKEND": "convex"}).exit_code == 0
    assert only(calls, "config").convex_url == "https://x.convex.cloud"


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("on", True), ("0", False), ("no", False)])
def test_read_only_from_env(calls, value, expected):
    assert run(env={"CORTEX_READ_ONLY": value}).exit_code == 0
    assert only(calls, "config").read_only is expected


def test_empty_env_vars_count_as_unset(calls, tmp_path):
    assert run(env={"CORTEX_USER_ID": "", "CORTEX_DB_PATH": "", "CORTEX_READ_ONLY": ""}).exit_code == 0
    config = only(calls, "config")
    assert config.user_id is None and config.read_only is False
    assert config.db_path == tmp_path / "data" / "cortex-mcp" / "cortex.db"


def test_streamable_http_transport(calls, tmp_path):
    assert run("--transport", "http", "--port", "9001").exit_code == 0
    args, kwargs = only(calls, "run")
    assert args == ("streamable-http",) and (kwargs["host"], kwargs["port"]) == ("127.0.0.1", 9001)
    security = kwargs["transport_security"]  # DNS-rebinding protection on every bind
    assert security.enable_dns_rebinding_protection and "localhost:*" in security.allowed_hosts
    assert only(calls, "auth") == {"tokens": [], "url": "http://127.0.0.1:9001"}


def test_http_beyond_loopback_needs_tokens_and_names(calls, tmp_path):
    result = run("--transport", "http", "--host", "127.0.0.2")
    assert result.exit_code == 2 and "without authentication" in result.output and calls == []
    tokens = tmp_path / "tokens.json"
    tokens.write_text('{"tokens": [{"name": "a", "token": "0123456789abcdef0123"}]}')
    result = run("--transport", "http", "--host", "0.0.0.0", "--auth-tokens", str(tokens))
    assert result.exit_code == 2 and "--allowed-hosts" in result.output
    args = ["--transport", "http", "--host", "0.0.0.0", "--auth-tokens", str(tokens), "--allowed-hosts", "mem.lan:*"]
    assert run(*args).exit_code == 0
    assert only(calls, "run")[1]["transport_security"].allowed_hosts == ["mem.lan:*"]
    assert [t.name for t in only(calls, "auth")["tokens"]] == ["a"]
    result = run("--auth-tokens", str(tokens))  # stdio has no tokens to check
    assert result.exit_code == 2 and "applies to --transport http" in result.output


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--toolsets", "nope"], None, "unknown toolset 'nope'"),
        (["--backend", "sqlite"], None, "Invalid value for '--backend'"),
        ([], {"CORTEX_BACKEND": "sqlite"}, "CORTEX_BACKEND"),
        ([], {"CORTEX_READ_ONLY": "maybe"}, "CORTEX_READ_ONLY"),
        (["--transport", "sse"], None, "Invalid value for '--transport'"),
        (["--port", "70000"], None, "Invalid value for '--port'"),
        (["--port", "eighty"], None, "Invalid value for '--port'"),
        (["--timeout", "0"], None, "must be a positive number of seconds"),
        (["--timeout", "-1"], None, "must be a positive number of seconds"),
        (["--timeout", "nan"], None, "must be a positive number of seconds"),
        (["--timeout", "inf"], None, "must be a positive number of seconds"),
        (["--log-level", "verbose"], None, "Invalid value for '--log-level'"),
        ([], {"CORTEX_LOG_LEVEL": "verbose"}, "CORTEX_LOG_LEVEL"),
        (["--bogus"], None, "No such option"),
        (["--convex-url", "https://x.convex.cloud"], None, "--convex-url applies to --backend convex"),
        (["--port", "9000"], None, "--port applies to --transport http"),
        (["--host", "0.0.0.0", "--transport", "stdio"], None, "--host applies to --transport http"),
        (["--embeddings-url", "http://127.0.0.1:1/v1"], None, "--embeddings-url applies to --embeddings openai"),
        (["--embeddings", "local", "--embeddings-model", "m"], None, "--embeddings-model applies to"),
        (["serve"], None, "No such command 'serve'"),
    ],
)
def test_bad_input_is_refused_naming_the_option(calls, args, env, message):
    result = run(*args, env=env)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not any(kind == "run" for kind, _ in calls)


@pytest.mark.parametrize(
    "args, message",
    [(["--toolsets", "memory,nope"], "unknown toolset 'nope'"), (["--backend", "convex"], "needs --convex-url")],
)
def test_the_real_server_build_refuses_a_bad_configuration(args, message):
    result = run(*args)
    assert result.exit_code == 2 and message in result.output, result.output


def test_list_toolsets(calls):
    result = run("--list-toolsets")
    assert result.exit_code == 0 and calls == []
    lines = result.output.splitlines()
    assert lines[-1] == "(* = in 'default')"
    assert any(line.startswith("* memory ") for line in lines) and any(line.startswith("  kv ") for line in lines)


# --- version and help ---------------------------------------------------------------------------


def test_version_comes_from_package_metadata():
    try:
        installed = version(DISTRIBUTION)
    except PackageNotFoundError:
        pytest.fail(f"{DISTRIBUTION} is not installed in this environment: run pip install -e '.[test]'")
    assert cortex_mcp.__version__ == installed
    result = run("--version")
    assert result.exit_code == 0 and result.output == f"cortex-mcp {installed}\n"


def test_help_lists_every_option_and_subcommand():
    text = run("--help").output
    for flag in ("--db", "--backend", "--convex-url", "--timeout", "--memory-space", "--user-id", "--agent-id",
                 "--toolsets", "--list-toolsets", "--read-only", "--transport", "--host", "--port", "--log-level",
                 "--version", "CONVEX_DEPLOY_KEY", "backend", "doctor"):  # fmt: skip
        assert flag in text, flag
    assert "Usage: cortex-mcp" in text


@pytest.mark.skipif(sys.platform != "linux", reason="XDG layout")
def test_default_db_path_follows_xdg(tmp_path, monkeypatch):
    assert default_db_path() == tmp_path / "data" / "cortex-mcp" / "cortex.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_db_path() == Path.home() / ".local" / "share" / "cortex-mcp" / "cortex.db"


def test_default_db_path_keeps_a_database_from_the_roaming_directory(tmp_path, monkeypatch):
    """Windows: Local is the default, but a database earlier versions made in Roaming stays in use."""
    dirs = {False: tmp_path / "Local" / "cortex-mcp", True: tmp_path / "Roaming" / "cortex-mcp"}
    monkeypatch.setattr("cortex_mcp.config.user_data_dir", lambda name, appauthor, roaming: str(dirs[roaming]))
    local, roaming = dirs[False] / "cortex.db", dirs[True] / "cortex.db"
    assert default_db_path() == local
    roaming.parent.mkdir(parents=True)
    roaming.touch()
    assert default_db_path() == roaming
    local.parent.mkdir(parents=True)
    local.touch()
    assert default_db_path() == local  # both exist: the current place wins


# --- a real process -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_db_before_backend_serve_serves_that_file(tmp_path):
    """`cortex-mcp --db X backend serve` writes to X, not to the default database."""
    db, port = tmp_path / "chosen.db", _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(tmp_path / "data"), "CORTEX_WIRE_KEY": "k"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cortex_mcp", "--db", str(db), "backend", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "backend serve did not start listening"
                time.sleep(0.05)
        body = {"path": "agents:register", "args": {"agentId": "probe", "name": "Probe"}, "format": "json"}
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/mutation",
            content=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": "Convex k"},
            timeout=10,
        )
        assert response.json()["status"] == "success", response.text
    finally:
        proc.terminate()
        proc.wait(10)

    from cortex_mcp.backends.base import call
    from cortex_mcp.backends.embedded import EmbeddedBackend

    async def count() -> Any:
        backend = EmbeddedBackend(db)
        try:
            return await call(backend, "agents:count", {})
        finally:
            await backend.aclose()

    assert anyio.run(count) == 1
    assert not (tmp_path / "data").exists()
