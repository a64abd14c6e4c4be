"""Convex-style validators (`v.string()`, `v.object({...})`, ...) in Python.

One vocabulary serves three jobs: the strict argument validators of the catalog (checked by every
backend before a call), the table schemas the embedded store enforces on every write, and the
typed inputs of generated tools (toolsets/generated.py reads the classes below). A mismatch raises
ArgumentValidationError with Convex's wording (contract/error_text.py), so the embedded backend,
the wire server and the adapter all report it the same way.

Document ids (`v.id("table")`) are opaque strings to a client: only the backend that made an id
knows its format. A check therefore takes `id_table`, the backend's "which table is this id
from" (the embedded backend passes `ids.table_of_id`); without it any non-empty string is an id,
and the Convex deployment checks it itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from cortex_mcp.contract import error_text
from cortex_mcp.errors import ArgumentValidationError

# The table an id belongs to, or None when it is not an id of this backend's format.
IdTable = Callable[[str], str | None]


def is_number(value: Any) -> TypeGuard[int | float]:
    """A JSON number; bool is not a number even though Python says it is an int."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _mismatch(value: Any, validator: Validator, path: str) -> ArgumentValidationError:
    return ArgumentValidationError(error_text.value_mismatch(value, validator.render(), path), path=path)


class Validator:
    """Base class: `check(value, path, id_table)` raises ArgumentValidationError on mismatch."""

    description: str = ""

    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:  # pragma: no cover
        raise NotImplementedError

    def render(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self, text: str) -> Validator:
        """Attach a human description (used in generated tool schemas). It sets it in place, so a
        validator shared between fields must be built fresh per field."""
        self.description = text
        return self


class StringValidator(Validator):
    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        if not isinstance(value, str):
            raise _mismatch(value, self, path)

    def render(self) -> str:
        return "v.string()"


class NumberValidator(Validator):
    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        if not is_number(value):
            raise _mismatch(value, self, path)

    def render(self) -> str:
        return "v.float64()"


class BooleanValidator(Validator):
    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        if not isinstance(value, bool):
            raise _mismatch(value, self, path)

    def render(self) -> str:
        return "v.boolean()"


class NullValidator(Validator):
    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        if value is not None:
            raise _mismatch(value, self, path)

    def render(self) -> str:
        return "v.null()"


class AnyValidator(Validator):
    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        return None

    def render(self) -> str:
        return "v.any()"


@dataclass
class LiteralValidator(Validator):
    value: Any

    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        same_type = type(value) is type(self.value) or (is_number(value) and is_number(self.value))
        if not (same_type and value == self.value):
            raise ArgumentValidationError(error_text.literal_mismatch(value, self.render(), path), path=path)

    def render(self) -> str:
        return f"v.literal({error_text.render_value(self.value)})"


@dataclass
class IdValidator(Validator):
    table: str

    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        if not isinstance(value, str) or not value:
            raise _mismatch(value, self, path)
        if id_table is None:
            return  # opaque: the backend that made the id checks it
        actual = id_table(value)
        if actual is None:
            raise _mismatch(value, self, path)
        if actual != self.table:
            raise ArgumentValidationError(error_text.id_table_mismatch(value, actual, self.table, path), path=path)

    def render(self) -> str:
        return f'v.id("{self.table}")'


@dataclass
class ArrayValidator(Validator):
    item: Validator

    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        if not isinstance(value, list):
            raise _mismatch(value, self, path)
        for i, element in enumerate(value):
            self.item.check(element, f"{path}[{i}]", id_table)

    def render(self) -> str:
        return f"v.array({self.item.render()})"


@dataclass
class RecordValidator(Validator):
    key: Validator
    value: Validator

    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        if not isinstance(value, dict):
            raise _mismatch(value, self, path)
        for k, item in value.items():
            self.key.check(k, f"{path}.keys()", id_table)
            self.value.check(item, f"{path}.values()", id_table)

    def render(self) -> str:
        return f"v.record({self.key.render()}, {self.value.render()})"


@dataclass
class OptionalValidator(Validator):
    """An object field that may be absent (present, it must match `inner`; null is not absent)."""

    inner: Validator

    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        self.inner.check(value, path, id_table)

    def render(self) -> str:
        return f"v.optional({self.inner.render()})"


@dataclass
class ObjectValidator(Validator):
    fields: dict[str, Validator] = field(default_factory=dict)

    def required(self) -> list[str]:
        return [name for name, val in self.fields.items() if not isinstance(val, OptionalValidator)]

    def _in_byte_order(self) -> list[tuple[str, Validator]]:
        # Cached: a bulk import checks thousands of records against one validator.
        cached = self.__dict__.get("_order")
        if cached is None or len(cached) != len(self.fields):
            cached = self.__dict__["_order"] = sorted(self.fields.items())
        return cached

    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        if not isinstance(value, dict):
            raise _mismatch(value, self, path)
        # Convex visits declared fields in byte order, then reports extra fields.
        for name, validator in self._in_byte_order():
            if name in value:
                validator.check(value[name], f"{path}.{name}", id_table)
            elif not isinstance(validator, OptionalValidator):
                raise ArgumentValidationError(
                    error_text.missing_field(name, value, self.render(), path), path=f"{path}.{name}"
                )
        extra = sorted(value.keys() - self.fields.keys())
        if extra:
            name = extra[0]
            text = error_text.extra_field(name, value, self.render(), path)
            raise ArgumentValidationError(text, path=f"{path}.{name}")

    def render(self) -> str:
        inner = ", ".join(f"{k}: {self.fields[k].render()}" for k in sorted(self.fields))
        return f"v.object({{{inner}}})"


@dataclass
class UnionValidator(Validator):
    members: tuple[Validator, ...]

    def check(self, value: Any, path: str = "", id_table: IdTable | None = None) -> None:
        for member in self.members:  # fast path for enums: no error built per member tried
            if isinstance(member, LiteralValidator) and type(member.value) is type(value) and member.value == value:
                return
        for member in self.members:
            try:
                member.check(value, path, id_table)
                return
            except ArgumentValidationError:
                continue
        if len(self.members) == 1:
            self.members[0].check(value, path, id_table)
        raise _mismatch(value, self, path)

    def render(self) -> str:
        return f"v.union({', '.join(m.render() for m in self.members)})"

    def literal_values(self) -> list[Any] | None:
        if all(isinstance(m, LiteralValidator) for m in self.members):
            return [m.value for m in self.members]  # type: ignore[attr-defined]
        return None


class v:  # noqa: N801 - mirrors Convex's `v` namespace on purpose
    """Constructors named exactly as in Convex, so a contract reads like its spec."""

    @staticmethod
    def string() -> Validator:
        return StringValidator()

    @staticmethod
    def number() -> Validator:
        return NumberValidator()

    float64 = number

    @staticmethod
    def boolean() -> Validator:
        return BooleanValidator()

    @staticmethod
    def null() -> Validator:
        return NullValidator()

    @staticmethod
    def any() -> Validator:
        return AnyValidator()

    @staticmethod
    def literal(value: Any) -> Validator:
        return LiteralValidator(value)

    @staticmethod
    def id(table: str) -> Validator:
        return IdValidator(table)

    @staticmethod
    def array(item: Validator) -> Validator:
        return ArrayValidator(item)

    @staticmethod
    def record(key: Validator, value: Validator) -> Validator:
        return RecordValidator(key, value)

    @staticmethod
    def object(fields: dict[str, Validator] | None = None, /, **kw: Validator) -> ObjectValidator:
        return ObjectValidator({**(fields or {}), **kw})

    @staticmethod
    def optional(inner: Validator) -> OptionalValidator:
        return OptionalValidator(inner)

    @staticmethod
    def union(*members: Validator) -> Validator:
        return UnionValidator(tuple(members))

    @staticmethod
    def enum(*values: str) -> Validator:
        """Shorthand for `v.union(v.literal(a), v.literal(b), ...)`."""
        return UnionValidator(tuple(LiteralValidator(x) for x in values))


def check_args(validator: ObjectValidator, args: Any, id_table: IdTable | None = None) -> None:
    """Validate a function's whole argument object, Convex style."""
    if not isinstance(args, dict):
        raise ArgumentValidationError(error_text.not_an_object(args))
    validator.check(args, "", id_table)


def enum_values(validator: Validator) -> list[Any] | None:
    """The accepted literals of an enum validator (unwrapping optional), else None."""
    if isinstance(validator, OptionalValidator):
        validator = validator.inner
    if isinstance(validator, UnionValidator):
        return validator.literal_values()
    return None
