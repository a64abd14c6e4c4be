"""The one error family every layer raises and the tool layer turns into actionable text.

Backends raise the backend kinds (a function's own error, argument validation, function not
found, unavailable); the api layer raises `InputError` for client-side validation. Each carries
a machine code, the offending field where there is one, and a hint for what to do next.
"""

from __future__ import annotations

from typing import Any

from cortex_mcp.contract import error_text


class CortexError(Exception):
    """Base of the family: `code`, `message`, optional `field` and `hint`."""

    code: str = "CORTEX_ERROR"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class FunctionError(CortexError):
    """A backend function threw.

    `data` is set when it threw `ConvexError(data)`: the code survives production redaction and
    is read from `data`, never parsed from the message. A plain `Error` has only `message`.
    `js_name` is the JavaScript error class Convex names (`Uncaught TypeError: ...`).
    """

    def __init__(
        self,
        message: str,
        *,
        data: Any = None,
        has_data: bool = False,
        hint: str | None = None,
        js_name: str = "Error",
    ):
        code = None
        if has_data:
            if isinstance(data, str):
                code = data
            elif isinstance(data, dict) and isinstance(data.get("code"), str):
                code = data["code"]
        super().__init__(message, code=code or "FUNCTION_ERROR", hint=hint)
        self.data = data
        self.has_data = has_data
        self.js_name = "ConvexError" if has_data else js_name


def convex_error(data: Any) -> FunctionError:
    """`throw new ConvexError(data)`: the data is the contract (usually a code string)."""
    message = data if isinstance(data, str) else str(data)
    return FunctionError(message, data=data, has_data=True)


def plain_error(message: str) -> FunctionError:
    """`throw new Error(message)`: only the message carries it."""
    return FunctionError(message)


def type_error(message: str) -> FunctionError:
    """A JavaScript `TypeError` (e.g. Convex's `take(n)` check): a plain error Convex names TypeError."""
    return FunctionError(message, js_name="TypeError")


class ArgumentValidationError(CortexError):
    """The function's argument validator rejected the call; nothing ran. `path` like `.participants`."""

    code = "ARGUMENT_VALIDATION_ERROR"

    def __init__(self, message: str, *, path: str = ""):
        field = path.lstrip(".") or None
        super().__init__(message, field=field, hint="Fix the named field and call again.")
        self.path = path


class FunctionNotFoundError(CortexError):
    code = "FUNCTION_NOT_FOUND"

    def __init__(self, path: str):
        super().__init__(
            error_text.function_not_found(path),
            hint="The backend does not provide this function; run `cortex-mcp doctor` to compare it with the catalog.",
        )
        self.path = path


class WrongKindError(CortexError):
    """The function exists but was called through the wrong endpoint (query vs mutation)."""

    code = "WRONG_FUNCTION_KIND"


class BackendUnavailableError(CortexError):
    code = "BACKEND_UNAVAILABLE"

    def __init__(self, message: str):
        super().__init__(message, hint="Check that the backend is running and reachable, then retry.")


class InputError(CortexError):
    """Client-side validation (the SDK's *ValidationError classes): raised before any backend call."""

    code = "INVALID_INPUT"

    def __init__(self, code: str, message: str, field: str | None = None, hint: str | None = None):
        super().__init__(message, code=code, field=field, hint=hint)
