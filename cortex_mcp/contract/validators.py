"""Convex-style validators (`v.string()`, `v.object({...})`, ...) in Python.

One vocabulary serves three jobs: the strict argument models of the catalog, the table
schemas the embedded store enforces on every write, and the JSON Schema of generated tools.
Error texts follow Convex's ArgumentValidationError wording (spec/convex-http-api.md), so the
embedded backend, the wire server and the adapter all report a mismatch the same way.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from cortex_mcp.errors import ArgumentValidationError


def render_value(value: Any) -> str:
    """Print a value the way Convex's validation messages do (Rust-style)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        f = float(value)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        if f.is_integer() and abs(f) < 1e16:
            return f"{f:.1f}"
        return repr(f).replace("e+", "e")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render_value(value[k])}" for k in sorted(value)) + "}"
    return repr(value)


def _ctx(path: str) -> str:
    return f"\nPath: {path}" if path else ""


def _mismatch(value: Any, validator: Validator, path: str) -> ArgumentValidationError:
    return ArgumentValidationError(
        f"Value does not match validator.{_ctx(path)}\nValue: {render_value(value)}\nValidator: {validator.render()}",
        path=path,
    )


def is_number(value: Any) -> TypeGuard[int | float]:
    """A JSON number; bool is not a number even though Python says it is an int."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Validator:
    """Base class: `check(value, path)` raises ArgumentValidationError on mismatch."""

    description: str = ""

    def check(self, value: Any, path: str = "") -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self, text: str) -> Validator:
        """Attach a human description (used in generated tool schemas)."""
        self.description = text
        return self

    def _with_desc(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.description:
            schema["description"] = self.description
        return schema


class _String(Validator):
    def check(self, value: Any, path: str = "") -> None:
        if not isinstance(value, str):
            raise _mismatch(value, self, path)

    def render(self) -> str:
        return "v.string()"

    def json_schema(self) -> dict[str, Any]:
        return self._with_desc({"type": "string"})


class _Number(Validator):
    def check(self, value: Any, path: str = "") -> None:
        if not is_number(value):
            raise _mismatch(value, self, path)

    def render(self) -> str:
        return "v.float64()"

    def json_schema(self) -> dict[str, Any]:
        return self._with_desc({"type": "number"})


class _Boolean(Validator):
    def check(self, value: Any, path: str = "") -> None:
        if not isinstance(value, bool):
            raise _mismatch(value, self, path)

    def render(self) -> str:
        return "v.boolean()"

    def json_schema(self) -> dict[str, Any]:
        return self._with_desc({"type": "boolean"})


class _Null(Validator):
    def check(self, value: Any, path: str = "") -> None:
        if value is not None:
            raise _mismatch(value, self, path)

    def render(self) -> str:
        return "v.null()"

    def json_schema(self) -> dict[str, Any]:
        return self._with_desc({"type": "null"})


class _Any(Validator):
    def check(self, value: Any, path: str = "") -> None:
        return None

    def render(self) -> str:
        return "v.any()"

    def json_schema(self) -> dict[str, Any]:
        return self._with_desc({})


@dataclass
class _Literal(Validator):
    value: Any

    def check(self, value: Any, path: str = "") -> None:
        same_type = type(value) is type(self.value) or (is_number(value) and is_number(self.value))
        if not (same_type and value == self.value):
            raise ArgumentValidationError(
                f"`{render_value(value)}` does not match literal validator `{self.render()}`.{_ctx(path)}",
                path=path,
            )

    def render(self) -> str:
        return f"v.literal({render_value(self.value)})"

    def json_schema(self) -> dict[str, Any]:
        return self._with_desc({"const": self.value})


@dataclass
class _Id(Validator):
    table: str

    def check(self, value: Any, path: str = "") -> None:
        if not isinstance(value, str):
            raise _mismatch(value, self, path)
        from cortex_mcp.ids import table_of_id  # local: ids depends on nothing but stays optional here

        actual = table_of_id(value)
        if actual is None:
            raise _mismatch(value, self, path)
        if actual != self.table:
            raise ArgumentValidationError(
                f'Found ID "{value}" from table `{actual}`, which does not match the table name in '
                f'validator `v.id("{self.table}")`.{_ctx(path)}',
                path=path,
            )

    def render(self) -> str:
        return f'v.id("{self.table}")'

    def json_schema(self) -> dict[str, Any]:
        return self._with_desc({"type": "string", "description": self.description or f"document id ({self.table})"})


@dataclass
class _Array(Validator):
    item: Validator

    def check(self, value: Any, path: str = "") -> None:
        if not isinstance(value, list):
            raise _mismatch(value, self, path)
        for i, element in enumerate(value):
            self.item.check(element, f"{path}[{i}]")

    def render(self) -> str:
        return f"v.array({self.item.render()})"

    def json_schema(self) -> dict[str, Any]:
        return self._with_desc({"type": "array", "items": self.item.json_schema()})


@dataclass
class _Record(Validator):
    key: Validator
    value: Validator

    def check(self, value: Any, path: str = "") -> None:
        if not isinstance(value, dict):
            raise _mismatch(value, self, path)
        for k, item in value.items():
            self.key.check(k, f"{path}.keys()")
            self.value.check(item, f"{path}.values()")

    def render(self) -> str:
        return f"v.record({self.key.render()}, {self.value.render()})"

    def json_schema(self) -> dict[str, Any]:
        return self._with_desc({"type": "object", "additionalProperties": self.value.json_schema()})


@dataclass
class Optional_(Validator):
    inner: Validator

    def check(self, value: Any, path: str = "") -> None:
        self.inner.check(value, path)

    def render(self) -> str:
        return f"v.optional({self.inner.render()})"

    def json_schema(self) -> dict[str, Any]:
        schema = self.inner.json_schema()
        if self.description:
            schema["description"] = self.description
        return schema


@dataclass
class _Object(Validator):
    fields: dict[str, Validator] = field(default_factory=dict)

    def required(self) -> list[str]:
        return [name for name, val in self.fields.items() if not isinstance(val, Optional_)]

    def _in_byte_order(self) -> list[tuple[str, Validator]]:
        # Cached: a bulk import checks thousands of records against one validator.
        cached = self.__dict__.get("_order")
        if cached is None or len(cached) != len(self.fields):
            cached = self.__dict__["_order"] = sorted(self.fields.items())
        return cached

    def check(self, value: Any, path: str = "") -> None:
        if not isinstance(value, dict):
            raise _mismatch(value, self, path)
        # Convex visits declared fields in byte order, then reports extra fields.
        for name, validator in self._in_byte_order():
            if name in value:
                validator.check(value[name], f"{path}.{name}")
            elif not isinstance(validator, Optional_):
                raise ArgumentValidationError(
                    f"Object is missing the required field `{name}`. Consider wrapping the field validator in "
                    f"`v.optional(...)` if this is expected.{_ctx(path)}\nObject: {render_value(value)}\n"
                    f"Validator: {self.render()}",
                    path=f"{path}.{name}",
                )
        for name in sorted(value.keys() - self.fields.keys()):
            if name not in self.fields:
                raise ArgumentValidationError(
                    f"Object contains extra field `{name}` that is not in the validator.{_ctx(path)}\n"
                    f"Object: {render_value(value)}\nValidator: {self.render()}",
                    path=f"{path}.{name}",
                )

    def render(self) -> str:
        inner = ", ".join(f"{k}: {self.fields[k].render()}" for k in sorted(self.fields))
        return f"v.object({{{inner}}})"

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: val.json_schema() for name, val in self.fields.items()},
            "additionalProperties": False,
        }
        required = self.required()
        if required:
            schema["required"] = required
        return self._with_desc(schema)


@dataclass
class _Union(Validator):
    members: tuple[Validator, ...]

    def check(self, value: Any, path: str = "") -> None:
        for member in self.members:  # fast path for enums: no error built per member tried
            if isinstance(member, _Literal) and type(member.value) is type(value) and member.value == value:
                return
        for member in self.members:
            try:
                member.check(value, path)
                return
            except ArgumentValidationError:
                continue
        if len(self.members) == 1:
            self.members[0].check(value, path)
        raise _mismatch(value, self, path)

    def render(self) -> str:
        return f"v.union({', '.join(m.render() for m in self.members)})"

    def literal_values(self) -> list[Any] | None:
        if all(isinstance(m, _Literal) for m in self.members):
            return [m.value for m in self.members]  # type: ignore[attr-defined]
        return None

    def json_schema(self) -> dict[str, Any]:
        values = self.literal_values()
        if values is not None and all(isinstance(x, str) for x in values):
            return self._with_desc({"type": "string", "enum": values})
        return self._with_desc({"anyOf": [m.json_schema() for m in self.members]})


class v:  # noqa: N801 - mirrors Convex's `v` namespace on purpose
    """Constructors named exactly as in Convex, so a contract reads like its spec."""

    @staticmethod
    def string() -> Validator:
        return _String()

    @staticmethod
    def number() -> Validator:
        return _Number()

    float64 = number

    @staticmethod
    def boolean() -> Validator:
        return _Boolean()

    @staticmethod
    def null() -> Validator:
        return _Null()

    @staticmethod
    def any() -> Validator:
        return _Any()

    @staticmethod
    def literal(value: Any) -> Validator:
        return _Literal(value)

    @staticmethod
    def id(table: str) -> Validator:
        return _Id(table)

    @staticmethod
    def array(item: Validator) -> Validator:
        return _Array(item)

    @staticmethod
    def record(key: Validator, value: Validator) -> Validator:
        return _Record(key, value)

    @staticmethod
    def object(fields: dict[str, Validator] | None = None, /, **kw: Validator) -> _Object:
        return _Object({**(fields or {}), **kw})

    @staticmethod
    def optional(inner: Validator) -> Optional_:
        return Optional_(inner)

    @staticmethod
    def union(*members: Validator) -> Validator:
        return _Union(tuple(members))

    @staticmethod
    def enum(*values: str) -> Validator:
        """Shorthand for `v.union(v.literal(a), v.literal(b), ...)`."""
        return _Union(tuple(_Literal(x) for x in values))


def check_args(validator: _Object, args: Any) -> None:
    """Validate a function's whole argument object, Convex style."""
    if not isinstance(args, dict):
        raise ArgumentValidationError(
            f"Expected to receive an object as the function's argument. Instead received: {render_value(args)}"
        )
    validator.check(args, "")


def enum_values(validator: Validator) -> list[Any] | None:
    """The accepted literals of an enum validator (unwrapping optional), else None."""
    if isinstance(validator, Optional_):
        validator = validator.inner
    if isinstance(validator, _Union):
        return validator.literal_values()
    return None


ObjectValidator = _Object
