"""Who is calling and what they may touch: bearer tokens for the HTTP transport, and scopes.

A token file (`--auth-tokens FILE`) is JSON:

    {"tokens": [
      {"name": "laptop", "token": "<long random secret>"},
      {"name": "ci", "token": "...", "spaces": ["project-a"], "users": ["alex"],
       "access": "read", "toolsets": ["memory"]}
    ]}

`spaces` / `users` / `toolsets` default to `["*"]` (everything), `access` to `"read-write"`.
`CORTEX_AUTH_TOKEN` adds one unrestricted token. The SDK's bearer middleware answers a missing
or wrong token with 401 + `WWW-Authenticate` (MCP authorization spec, resource-server side);
tokens are compared in constant time and never logged.

The scope of a request is resolved once, by `Access.scope()`, in the tool wrapper
(toolsets/base.py), and enforced below that at the backend seam (backends/scoped.py), so curated
and generated tools (and anything else that calls the backend) are held to it alike.
`--lock-scope` gives a stdio server the same kind of scope: its configured space and user.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken

from cortex_mcp.errors import CortexError

ANY = "*"


class PermissionDenied(CortexError):
    code = "PERMISSION_DENIED"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field=field, hint="The token's scope does not cover this; use an id within it.")


def _names(value: Any, what: str, entry: Any) -> frozenset[str] | None:
    """A scope list: None means everything (`*`)."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f'token {entry!r}: {what} must be a non-empty list of strings (or ["*"])')
    return None if ANY in value else frozenset(value)


@dataclass(frozen=True)
class Scope:
    """What one caller may touch. None = every space / user / toolset."""

    spaces: frozenset[str] | None = None
    users: frozenset[str] | None = None
    write: bool = True
    toolsets: frozenset[str] | None = None

    @property
    def restricted(self) -> bool:
        return self.spaces is not None or self.users is not None

    def default_space(self, configured: str) -> str:
        """The space a call that names none works in: the configured one, or the token's only space."""
        if self.spaces is None or configured in self.spaces or len(self.spaces) != 1:
            return configured
        return next(iter(self.spaces))

    def default_user(self, configured: str | None) -> str | None:
        if self.users is None or configured in self.users or len(self.users) != 1:
            return configured
        return next(iter(self.users))

    def has_space(self, space: str) -> bool:
        return self.spaces is None or space in self.spaces

    def has_user(self, user: str) -> bool:
        return self.users is None or user in self.users

    def check_space(self, value: Any, field_name: str) -> None:
        if self.spaces is not None and isinstance(value, str) and value not in self.spaces:
            raise PermissionDenied(f"memory space {value[:200]!r} is outside this token's scope", field_name)

    def check_user(self, value: Any, field_name: str) -> None:
        if self.users is not None and isinstance(value, str) and value not in self.users:
            raise PermissionDenied(f"user {value[:200]!r} is outside this token's scope", field_name)

    def check_toolset(self, toolset: str | None, tool: str) -> None:
        if self.toolsets is not None and toolset not in self.toolsets:
            raise PermissionDenied(f"tool {tool!r} (toolset {toolset}) is outside this token's scope")


FULL = Scope()


@dataclass(frozen=True)
class Token:
    name: str
    secret: str
    scope: Scope


def parse_tokens(data: Any) -> list[Token]:
    """The token file's content, checked: every problem names the entry and the field."""
    entries = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError('the token file must be {"tokens": [{"name": ..., "token": ...}, ...]} with at least one')
    tokens: list[Token] = []
    for i, entry in enumerate(entries):
        label = entry.get("name") if isinstance(entry, dict) and isinstance(entry.get("name"), str) else f"#{i + 1}"
        if not isinstance(entry, dict):
            raise ValueError(f"token {label}: must be an object")
        unknown = set(entry) - {"name", "token", "spaces", "users", "access", "toolsets"}
        if unknown:
            raise ValueError(f"token {label!r}: unknown field {sorted(unknown)[0]!r}")
        secret = entry.get("token")
        if not isinstance(secret, str) or len(secret) < 16:
            raise ValueError(f"token {label!r}: token must be a string of at least 16 characters")
        if not isinstance(entry.get("name"), str) or not entry["name"]:
            raise ValueError(f"token {label}: name must be a non-empty string")
        access = entry.get("access", "read-write")
        if access not in ("read", "read-write"):
            raise ValueError(f"token {label!r}: access must be 'read' or 'read-write', not {access!r}")
        scope = Scope(
            spaces=_names(entry.get("spaces"), "spaces", label),
            users=_names(entry.get("users"), "users", label),
            write=access == "read-write",
            toolsets=_names(entry.get("toolsets"), "toolsets", label),
        )
        tokens.append(Token(entry["name"], secret, scope))
    names = [t.name for t in tokens]
    if len(set(names)) != len(names):
        raise ValueError("token names must be unique (they identify callers in logs)")
    return tokens


def load_tokens(path: str | Path | None, single: str | None = None) -> list[Token]:
    """Tokens from a file and/or one unrestricted token (CORTEX_AUTH_TOKEN)."""
    tokens: list[Token] = []
    if path:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"cannot read the token file {path}: {exc.strerror}") from None
        except ValueError as exc:
            raise ValueError(f"the token file {path} is not JSON: {exc}") from None
        tokens += parse_tokens(data)
    if single:
        if len(single) < 16:
            raise ValueError("CORTEX_AUTH_TOKEN must be at least 16 characters")
        tokens.append(Token("env", single, FULL))
    return tokens


class StaticTokenVerifier:
    """The SDK's TokenVerifier over a fixed list: constant-time comparison against every token."""

    def __init__(self, tokens: list[Token]):
        self._tokens = [(t.secret.encode(), t.name) for t in tokens]

    async def verify_token(self, token: str) -> AccessToken | None:
        given = token.encode("utf-8", "replace")
        found = None
        for secret, name in self._tokens:  # no early exit: timing does not tell which token matched
            if secrets.compare_digest(given, secret):
                found = name
        return AccessToken(token=token, client_id=found, scopes=[]) if found else None


@dataclass
class Access:
    """The server's access policy: token scopes (HTTP) and the stdio lock, resolved per request."""

    tokens: list[Token] = field(default_factory=list)
    lock: Scope | None = None  # --lock-scope (and the scope of calls that carry no token)

    def scope(self) -> Scope:
        """The scope of the current request (the SDK puts the verified token in a context variable)."""
        token = get_access_token()
        if token is not None:
            for t in self.tokens:
                if t.name == token.client_id:
                    return t.scope
            raise PermissionDenied("the token is not known to this server")
        return self.lock or FULL


def lock_scope(memory_space: str, user_id: str | None, read_only: bool) -> Scope:
    """--lock-scope: the configured space and user only (any user if none is configured)."""
    return Scope(spaces=frozenset({memory_space}), users=frozenset({user_id}) if user_id else None, write=not read_only)
