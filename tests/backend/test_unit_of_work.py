"""The unit of work (backends.base.run_plan): plans run on every backend; on the embedded backend
a plan is one transaction (a failing step rolls back the whole plan, a caught error only its step)."""

import signal
import subprocess
import sys
import textwrap

import pytest

from cortex_mcp.backends.base import Call, Nested, call, run_plan
from cortex_mcp.backends.embedded import EmbeddedBackend
from cortex_mcp.errors import CortexError
from tests.helpers import ROOT

pytestmark = pytest.mark.anyio


def _set(key: str, value) -> Call:
    return Call("mutable:set", {"namespace": "uow", "key": key, "value": value})


async def _value(backend, key: str):
    found = await call(backend, "mutable:get", {"namespace": "uow", "key": key})
    return None if found is None else found["value"]


async def test_a_plan_receives_each_result_and_returns_its_value(backend):
    def plan():
        first = yield _set("a", 1)
        got = yield Call("mutable:get", {"namespace": "uow", "key": "a"})
        return first["value"], got["value"]

    assert await run_plan(backend, plan()) == (1, 1)
    assert await _value(backend, "a") == 1


async def test_a_caught_error_is_the_plans_to_handle_and_the_plan_goes_on(backend):
    def plan():
        yield _set("before", 1)
        try:
            yield Call("facts:deleteFact", {"memorySpaceId": "s", "factId": "fact-0-missing"})
        except CortexError as exc:
            caught = exc.code
        yield _set("after", 2)
        return caught

    assert await run_plan(backend, plan()) == "FACT_NOT_FOUND"
    assert (await _value(backend, "before"), await _value(backend, "after")) == (1, 2)


async def test_bad_arguments_and_unknown_functions_are_thrown_into_the_plan(backend):
    def plan():
        errors = []
        for request in (Call("mutable:set", {"namespace": "uow"}), Call("nope:nothing", {})):
            try:
                yield request
            except CortexError as exc:
                errors.append(type(exc).__name__)
        return errors

    assert await run_plan(backend, plan()) == ["ArgumentValidationError", "FunctionNotFoundError"]


async def test_embedded_an_uncaught_error_rolls_back_every_step_of_the_plan(tmp_path):
    backend = EmbeddedBackend(tmp_path / "cortex.db")
    try:
        def failing_step():
            yield _set("a", 1)
            yield _set("b", 2)
            yield Call("facts:deleteFact", {"memorySpaceId": "s", "factId": "fact-0-missing"})

        with pytest.raises(CortexError, match="FACT_NOT_FOUND"):
            await run_plan(backend, failing_step())

        def failing_plan():
            yield _set("c", 3)
            raise ValueError("the plan itself fails")

        with pytest.raises(ValueError):
            await run_plan(backend, failing_plan())
        assert [await _value(backend, k) for k in "abc"] == [None, None, None]
    finally:
        await backend.aclose()


async def test_embedded_a_caught_error_undoes_only_the_writes_of_its_step(tmp_path):
    """A step that wrote and then failed inside its handler leaves nothing (savepoint)."""
    backend = EmbeddedBackend(tmp_path / "cortex.db")
    try:
        original = backend.handlers["mutable:set"]

        def writes_then_fails(tx, args):
            original(tx, args)
            raise CortexError("boom", code="BOOM")

        def plan():
            yield _set("kept", 1)
            backend.handlers["mutable:set"] = writes_then_fails
            try:
                yield _set("undone", 2)
            except CortexError:
                pass
            backend.handlers["mutable:set"] = original
            yield _set("also-kept", 3)

        await run_plan(backend, plan())
        assert [await _value(backend, k) for k in ("kept", "undone", "also-kept")] == [1, None, 3]
    finally:
        await backend.aclose()


async def test_embedded_a_plan_sees_one_frozen_time(tmp_path):
    backend = EmbeddedBackend(tmp_path / "cortex.db")
    try:
        def plan():
            first = yield Call("facts:store", {"memorySpaceId": "s", "fact": "a", "factType": "custom",
                                                "confidence": 1, "sourceType": "manual", "tags": []})
            second = yield Call("facts:store", {"memorySpaceId": "s", "fact": "b", "factType": "custom",
                                                 "confidence": 1, "sourceType": "manual", "tags": []})
            return first["createdAt"], second["createdAt"]

        a, b = await run_plan(backend, plan())
        assert a == b
    finally:
        await backend.aclose()


def test_embedded_a_process_killed_inside_a_plan_leaves_nothing(tmp_path):
    db = tmp_path / "cortex.db"
    script = textwrap.dedent(
        f"""
        import os, signal
        import anyio
        from cortex_mcp.backends.base import Call, run_plan
        from cortex_mcp.backends.embedded import EmbeddedBackend

        def plan():
            yield Call("mutable:set", {{"namespace": "uow", "key": "a", "value": 1}})
            yield Call("mutable:set", {{"namespace": "uow", "key": "b", "value": 2}})
            os.kill(os.getpid(), signal.SIGKILL)

        anyio.run(run_plan, EmbeddedBackend({str(db)!r}), plan())
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    backend = EmbeddedBackend(db)
    try:
        assert backend.call_sync("query", "mutable:list", {"namespace": "uow"}) == []
    finally:
        backend.store.close()



async def test_a_nested_plan_returns_its_value_and_raises_its_error_to_the_parent(backend):
    def sub(key):
        yield _set(key, 1)
        return key

    def failing_sub():
        yield _set("sub-wrote", 1)
        yield Call("facts:deleteFact", {"memorySpaceId": "s", "factId": "fact-0-missing"})

    def plan():
        first = yield Nested(sub("a"))
        try:
            yield Nested(failing_sub())
        except CortexError as exc:
            caught = exc.code
        return first, caught

    assert await run_plan(backend, plan()) == ("a", "FACT_NOT_FOUND")
    assert await _value(backend, "a") == 1


async def test_embedded_a_failed_nested_plan_leaves_none_of_its_writes(tmp_path):
    backend = EmbeddedBackend(tmp_path / "cortex.db")
    try:
        def failing_sub():
            yield _set("sub-1", 1)
            yield Nested(inner())
            yield Call("facts:deleteFact", {"memorySpaceId": "s", "factId": "fact-0-missing"})

        def inner():
            yield _set("sub-2", 2)

        def plan():
            yield _set("before", 0)
            try:
                yield Nested(failing_sub())
            except CortexError:
                pass
            yield _set("after", 3)

        await run_plan(backend, plan())
        values = [await _value(backend, k) for k in ("before", "sub-1", "sub-2", "after")]
        assert values == [0, None, None, 3]
    finally:
        await backend.aclose()
