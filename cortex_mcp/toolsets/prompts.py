"""Prompts (slash commands in hosts) that put the memory tools to work in one step.

Each returns instructions for the model naming the tools to call; ids in arguments are completed
by resources.py's completion handler (user_id, context_id). A prompt reads no data, but one naming
a user outside the caller's scope is refused as the tool it leads to would be (PERMISSION_DENIED).
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from pydantic import Field

from cortex_mcp.errors import CortexError
from cortex_mcp.toolsets.base import Runtime, describe_error
from cortex_mcp.toolsets.caller import current_scope


def _check_user(user_id: str | None) -> None:
    try:
        current_scope().check_user(user_id, "user_id")
    except CortexError as exc:
        raise MCPError(code=INVALID_PARAMS, message=describe_error(exc)) from None


def register_prompts(server: MCPServer, rt: Runtime) -> None:
    @server.prompt(name="remember-this", title="Remember this")
    def remember_this(
        note: Annotated[str | None, Field(description="What to keep; default: the last exchange")] = None,
        user_id: Annotated[str | None, Field(description="Whose memory (default: the configured user)")] = None,
    ) -> str:
        """Store the last exchange (or a note) with the facts it states."""
        _check_user(user_id)
        who = f" for user {user_id}" if user_id else ""
        what = (
            f"this note: {note}"
            if note
            else "our last exchange (pass my last message as user_message and your reply as agent_response)"
        )
        return (
            f"Call the `remember` tool{who} to keep {what}. Extract every durable fact it states "
            "(preferences, identity, relationships, plans) into `facts`, each with subject, predicate "
            "and object, so a newer fact supersedes an older one. Then confirm in one line what was kept."
        )

    @server.prompt(name="what-do-you-know", title="What do you know about me?")
    def what_do_you_know(
        user_id: Annotated[str | None, Field(description="The user (default: the configured user)")] = None,
    ) -> str:
        """Everything known about a user, from one get_profile call."""
        _check_user(user_id)
        target = f'{{"user_id": "{user_id}"}}' if user_id else "{}"
        return (
            f"Call `get_profile` with {target} and tell me what you know about "
            f"{user_id or 'me'}: the current facts grouped by topic, then notable memories, open "
            "contexts and unread messages. Mention ids only where I may want to correct or forget something."
        )

    @server.prompt(name="catch-up", title="Catch up")
    def catch_up(
        context_id: Annotated[str | None, Field(description="A context to focus on (ctx-...)")] = None,
    ) -> str:
        """Recent memories, open contexts and the agent inbox, summarised."""
        focus = f"Call `get_context` for {context_id} and start from that task. " if context_id else ""
        return (
            f"{focus}Call `list_memories` (limit 20) and `get_profile`, and if the a2a tools are "
            "available, `a2a_inbox` with awaiting_reply_only. Summarise what happened recently, which "
            "contexts are open and what needs an answer, newest first, in at most ten lines."
        )
