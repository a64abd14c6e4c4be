"""Command line: `cortex-mcp` serves MCP (stdio by default); `backend serve` and `doctor` are tools.

stdout belongs to the MCP protocol in stdio mode, so everything here logs to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from cortex_mcp import __version__
from cortex_mcp.config import Config, default_db_path

ENV_HELP = """\
environment variables (a flag wins over its variable):
  CORTEX_DB_PATH       --db             CORTEX_MEMORY_SPACE  --memory-space
  CORTEX_USER_ID       --user-id        CORTEX_AGENT_ID      --agent-id
  CORTEX_TOOLSETS      --toolsets       CORTEX_READ_ONLY     --read-only (1/true/yes)
  CORTEX_BACKEND       --backend        CONVEX_URL           --convex-url
  CONVEX_DEPLOY_KEY    deploy key sent to the Convex deployment (admin access)
  CORTEX_LOG_LEVEL     log level on stderr (default WARNING)
"""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _add_backend_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help=f"SQLite database file (default: {default_db_path()})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cortex-mcp",
        description="Persistent memory for LLM agents as MCP tools (Cortex), on SQLite or Convex.",
        epilog=ENV_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cortex-mcp {__version__}")
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="stdio (default) or streamable HTTP")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000); endpoint /mcp")
    _add_backend_flags(parser)
    parser.add_argument("--backend", choices=["embedded", "convex"], help="embedded SQLite (default) or a Convex deployment")
    parser.add_argument("--convex-url", metavar="URL", help="Convex deployment URL, e.g. https://x.convex.cloud")
    parser.add_argument("--timeout", type=float, default=10.0, help="Convex request timeout in seconds (default 10)")
    parser.add_argument("--memory-space", metavar="ID", help="default memory space (default: 'default')")
    parser.add_argument("--user-id", metavar="ID", help="default user id for memories (default: none)")
    parser.add_argument("--agent-id", metavar="ID", help="default agent id (default: 'cortex-agent')")
    parser.add_argument(
        "--toolsets",
        metavar="LIST",
        help="comma-separated toolsets: 'default' (memory, agents, facts, contexts, a2a), 'all', or names (see --list-toolsets)",
    )
    parser.add_argument("--list-toolsets", action="store_true", help="print the toolsets and exit")
    parser.add_argument("--read-only", action="store_true", default=None, help="expose only tools that change nothing")

    sub = parser.add_subparsers(dest="command", metavar="{backend,doctor}")
    backend = sub.add_parser("backend", help="serve the embedded backend over the Convex HTTP API")
    backend_sub = backend.add_subparsers(dest="backend_command", required=True)
    wire = backend_sub.add_parser("serve", help="serve the SQLite store at http://HOST:PORT/api/{query,mutation,action}")
    _add_backend_flags(wire)
    wire.add_argument("--host", dest="wire_host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    wire.add_argument("--port", dest="wire_port", type=int, default=3210, help="port (default 3210)")

    doctor = sub.add_parser("doctor", help="compare a Convex deployment's functions with the contract catalog")
    doctor.add_argument("--convex-url", dest="doctor_url", metavar="URL", help="deployment URL (default: CONVEX_URL)")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def config_from(args: argparse.Namespace) -> Config:
    toolsets = args.toolsets or _env("CORTEX_TOOLSETS", "default")
    return Config(
        db_path=Path(args.db or _env("CORTEX_DB_PATH") or default_db_path()).expanduser(),
        memory_space=args.memory_space or _env("CORTEX_MEMORY_SPACE", "default"),
        user_id=args.user_id or _env("CORTEX_USER_ID"),
        agent_id=args.agent_id or _env("CORTEX_AGENT_ID", "cortex-agent"),
        toolsets=tuple(t.strip() for t in toolsets.split(",") if t.strip()),
        read_only=bool(args.read_only) or _truthy(_env("CORTEX_READ_ONLY")),
        backend=args.backend or _env("CORTEX_BACKEND", "embedded"),
        convex_url=args.convex_url or _env("CONVEX_URL"),
        convex_deploy_key=_env("CONVEX_DEPLOY_KEY"),
        timeout=args.timeout,
    )


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The wire server is a foreground service: say where it listens. The MCP server stays quiet.
    default_level = "INFO" if args.command == "backend" else "WARNING"
    level = (_env("CORTEX_LOG_LEVEL", default_level) or default_level).upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        parser.error(f"CORTEX_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {level!r}")
    logging.basicConfig(
        stream=sys.stderr,
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    if args.command == "backend":
        from cortex_mcp.backends.embedded.wire import serve_wire

        db = Path(args.db or _env("CORTEX_DB_PATH") or default_db_path()).expanduser()
        serve_wire(db, host=args.wire_host, port=args.wire_port)
        return
    if args.command == "doctor":
        from cortex_mcp.doctor import run_doctor

        url = args.doctor_url or _env("CONVEX_URL")
        if not url:
            parser.error("doctor needs --convex-url or CONVEX_URL")
        sys.exit(run_doctor(url, deploy_key=_env("CONVEX_DEPLOY_KEY"), as_json=args.json))

    from cortex_mcp import toolsets

    if args.list_toolsets:
        for toolset in toolsets.all_toolsets().values():
            marker = "*" if toolset.default else " "
            sys.stdout.write(f"{marker} {toolset.name:16} {toolset.description}\n")
        sys.stdout.write("(* = in 'default')\n")
        return

    config = config_from(args)
    from cortex_mcp.server import build_server

    try:
        server = build_server(config)
    except ValueError as exc:  # an unknown toolset, or convex without a URL
        parser.error(str(exc))
    if args.transport == "http":
        server.run("streamable-http", host=args.host, port=args.port)
    else:
        server.run()
