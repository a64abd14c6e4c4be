"""DNS-rebinding protection for both HTTP servers: which Host and Origin headers a server accepts.

A web page whose name is rebound to 127.0.0.1 reaches a loopback server with its own name in
`Host` and `Origin`; refusing every name the server was not started for stops it. The MCP HTTP
transport enforces these lists with the SDK's middleware (421 / 403); `backend serve` with
`HostPolicy` below (same patterns, JSON replies).

Patterns: `name` matches exactly; `name:*` matches `name` with any port (and without one).
"""

from __future__ import annotations

from dataclasses import dataclass

from cortex_mcp.limits import echo

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARD_BINDS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    """True for the usual loopback names only (127.0.0.1, localhost, ::1). Other 127.x addresses count
    as exposed: policy errs on the side of asking for authentication."""
    return host.strip("[]").lower() in LOOPBACK_NAMES


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def default_allowed_hosts(bind_host: str) -> list[str]:
    """The Host values a server bound to `bind_host` accepts unless told otherwise.

    A wildcard bind (0.0.0.0, ::) has no name of its own to default to: the caller must list them.
    """
    if bind_host in WILDCARD_BINDS:
        raise ValueError(
            f"binding to {bind_host or 'every interface'} needs --allowed-hosts: the names clients use to reach "
            "this server (e.g. --allowed-hosts 'memory.internal:*'), so rebinding attacks are refused"
        )
    names = ["127.0.0.1", "localhost", "[::1]"] if bind_host in LOOPBACK_NAMES else [_bracketed(bind_host)]
    return [f"{name}:*" for name in names]


def default_allowed_origins(allowed_hosts: list[str]) -> list[str]:
    """Browser origins for the allowed hosts (http and https)."""
    return [f"{scheme}://{host}" for host in allowed_hosts for scheme in ("http", "https")]


def matches(value: str, patterns: list[str]) -> bool:
    value = value.lower()
    for pattern in patterns:
        pattern = pattern.lower()
        if value == pattern:
            return True
        if pattern.endswith(":*"):
            base = pattern[:-2]
            if value == base or (value.startswith(base + ":") and value[len(base) + 1 :].isdigit()):
                return True
    return False


@dataclass(frozen=True)
class HostPolicy:
    allowed_hosts: list[str]
    allowed_origins: list[str]

    @classmethod
    def for_bind(cls, bind_host: str, hosts: list[str] | None = None, origins: list[str] | None = None) -> HostPolicy:
        allowed_hosts = list(hosts) if hosts else default_allowed_hosts(bind_host)
        allowed_origins = list(origins) if origins else default_allowed_origins(allowed_hosts)
        return cls(allowed_hosts, allowed_origins)

    def refusal(self, host: str | None, origin: str | None) -> tuple[int, str] | None:
        """(status, reason) when the request must be refused; None when it may go on.

        A missing Origin is a non-browser client and is allowed; a missing Host is not (HTTP/1.1 requires it).
        """
        if not host or not matches(host, self.allowed_hosts):
            return 421, f"Host {echo(host or '')!r} is not allowed (start the server with --allowed-hosts to add it)"
        if origin and not matches(origin, self.allowed_origins):
            return 403, f"Origin {echo(origin)!r} is not allowed (start the server with --allowed-origins to add it)"
        return None
