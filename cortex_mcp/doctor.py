"""Parity doctor: does a Convex deployment provide every catalog function, with our arguments?

Each probe is built to FAIL argument validation, so nothing runs and no data changes: a
sample value for every field of ours plus the extra field `zzCortexProbe`. Convex checks the
function (exists, kind) and then visits the declared fields in byte order before it reports
extra fields, so the first problem it names tells us:

- "extra field `zzCortexProbe`"        -> every field the target declares accepted our values: ok
- "Could not find public function"     -> missing
- "Trying to execute .. as .., but ..." -> mismatch (kind)
- "missing the required field `x`"      -> the target requires an argument we do not know
- "extra field `x`" (one of ours)       -> the target lacks our argument `x`
- "Value does not match validator. Path: .x" (or a literal/id mismatch) -> type mismatch at `.x`

Required fields go in the first probe; then all our optional fields at once, dropping each
one the target reports and resending, so a function costs 1 + 1 + (mismatches) requests.
A probe never goes out without `zzCortexProbe`; if a target ever answers `success`, the report
says so loudly (that target does not validate arguments).

A function is `ok` only when every field was verified. When the target refuses a sample value
with the very validator the catalog has (an id: ours are not in a deployment's format), that
field and the ones after it could not be checked: the function is `unverified`, its own column,
and it keeps the exit status non-zero unless `allow_unverified` (`--allow-unverified`).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

import anyio

from cortex_mcp.backends.convex import ConvexBackend
from cortex_mcp.contract import error_text
from cortex_mcp.contract.catalog import CATALOG, Function
from cortex_mcp.contract.validators import (
    AnyValidator,
    ArrayValidator,
    BooleanValidator,
    IdValidator,
    LiteralValidator,
    NullValidator,
    NumberValidator,
    ObjectValidator,
    OptionalValidator,
    RecordValidator,
    StringValidator,
    UnionValidator,
    Validator,
)
from cortex_mcp.errors import CortexError
from cortex_mcp.ids import TABLE_TAGS

PROBE_FIELD = "zzCortexProbe"
CONCURRENCY = 8


# --------------------------------------------------------------------------- samples


def sample(validator: Validator) -> Any:
    """A value our validator accepts: the cheapest one (no optional object fields)."""
    if isinstance(validator, OptionalValidator):
        return sample(validator.inner)
    if isinstance(validator, StringValidator):
        return "probe"
    if isinstance(validator, NumberValidator):
        return 1
    if isinstance(validator, BooleanValidator):
        return True
    if isinstance(validator, NullValidator):
        return None
    if isinstance(validator, LiteralValidator):
        return validator.value
    if isinstance(validator, UnionValidator):
        return sample(validator.members[0])
    if isinstance(validator, ArrayValidator):
        return []
    if isinstance(validator, RecordValidator):
        return {}
    if isinstance(validator, ObjectValidator):
        return {name: sample(v) for name, v in validator.fields.items() if not isinstance(v, OptionalValidator)}
    if isinstance(validator, IdValidator):
        # An id in the embedded backend's format: a Convex deployment refuses it (its ids carry a
        # table number and a checksum), so there the field and those after it stay unverified.
        return "j" + "0" * 29 + TABLE_TAGS.get(validator.table, "zz")
    if isinstance(validator, AnyValidator):
        return {}
    return {}


def _validator_at(fn: Function, path: str) -> Validator | None:
    """Our validator at a Convex path like `.a.b[0]` (None when we have none there)."""
    current: Validator | None = fn.args
    for part in re.findall(r"\.([^.\[]+)|\[\d+\]", path):
        if isinstance(current, OptionalValidator):
            current = current.inner
        if part and isinstance(current, ObjectValidator):
            current = current.fields.get(part)
        elif not part and isinstance(current, ArrayValidator):
            current = current.item
        else:
            return None
    if isinstance(current, OptionalValidator):
        current = current.inner
    return current


# --------------------------------------------------------------------------- probing


STATUSES = ("ok", "unverified", "mismatch", "missing", "error")  # from best to worst


@dataclass
class Result:
    path: str
    kind: str
    status: str = "ok"  # one of STATUSES
    details: list[str] = field(default_factory=list)
    requests: int = 0

    def flag(self, status: str, detail: str) -> None:
        """Record a finding; the worst one decides the status."""
        rank = STATUSES.index
        if rank(status) > rank(self.status):
            self.status = status
        self.details.append(detail)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "status": self.status, "details": self.details}


class _Unreachable(Exception):
    pass


async def _send(client: ConvexBackend, fn: Function, args: dict[str, Any], result: Result) -> tuple[str, str]:
    """One probe -> (verdict, text). verdict: validation | missing | kind | success | failure | http."""
    assert PROBE_FIELD in args, "a probe must always carry the extra field"
    result.requests += 1
    try:
        response = await client.send(fn.kind, fn.path, args)
    except CortexError as exc:
        raise _Unreachable(exc.message) from exc
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if status not in (200, 560) or not isinstance(body, dict) or body.get("status") not in ("success", "error"):
        detail = response.text.strip()[:300]
        if isinstance(body, dict) and "code" in body:
            detail = f"{body.get('code')}: {body.get('message')}"
        if status >= 500 or status in (401, 403):
            raise _Unreachable(f"HTTP {status} {detail}")
        return "http", f"HTTP {status} {detail}"
    if body["status"] == "success":
        return "success", ""
    message = body.get("errorMessage")
    if not isinstance(message, str):
        message = ""
    text = error_text.strip_server_error(message)
    validation = error_text.argument_validation_text(text) if "errorData" not in body else None
    if validation is not None:
        return "validation", validation
    if error_text.is_function_not_found(text):
        return "missing", text
    if error_text.wrong_kind_parts(text):
        return "kind", text
    return "failure", text.strip()


def _interpret(fn: Function, text: str) -> tuple[str, str | None, str]:
    """A validation text -> (what, field path, detail). what: probe | extra | missing | unverified | type."""
    base = error_text.context_path(text)
    extra = error_text.extra_field_name(text)
    if extra:
        where = f"{base}.{extra}"
        if where == f".{PROBE_FIELD}":
            return "probe", None, ""
        return "extra", where, f"target lacks argument `{where.lstrip('.')}`"
    missing = error_text.missing_field_name(text)
    if missing:
        where = f"{base}.{missing}"
        return "missing", where, f"target requires argument `{where.lstrip('.')}` that the catalog does not have"
    ours = _validator_at(fn, base)
    theirs = error_text.expected_validator(text) or "?"
    mine = ours.render() if ours is not None else "?"
    if ours is not None and theirs == mine:
        # Same validator, our sample was refused (e.g. an id of another deployment's format).
        return "unverified", base, f"`{base.lstrip('.')}`: target refused the sample value for {mine}"
    return "type", base, f"`{base.lstrip('.')}`: target expects {theirs}, catalog says {mine}"


async def probe(client: ConvexBackend, fn: Function) -> Result:
    result = Result(fn.path, fn.kind)
    try:
        await _probe(client, fn, result)
    except _Unreachable as exc:
        result.flag("error", f"probe failed: {exc}")
    return result


async def _probe(client: ConvexBackend, fn: Function, result: Result) -> None:
    required = {name: sample(v) for name, v in fn.args.fields.items() if not isinstance(v, OptionalValidator)}
    optional = {name: sample(v.inner) for name, v in fn.args.fields.items() if isinstance(v, OptionalValidator)}

    verdict, text = await _send(client, fn, {**required, PROBE_FIELD: 1}, result)
    if verdict == "missing":
        result.flag("missing", "not found on the target")
        return
    if verdict == "kind":
        kinds = error_text.wrong_kind_parts(text)
        target_kind = kinds[1] if kinds else "?"
        result.flag("mismatch", f"kind: target defines it as a {target_kind}, catalog says {fn.kind}")
        return
    if verdict == "success":
        result.flag("mismatch", "DANGER: the probe executed (target accepted an unknown argument)")
        return
    if verdict in ("failure", "http"):
        result.flag("mismatch", f"unexpected reply to a probe: {text[:200]}")
        return
    what, _, detail = _interpret(fn, text)
    if what != "probe":
        # A required argument's problem stops the check here: later fields were not visited.
        if what == "unverified":
            result.flag("unverified", detail + "; later arguments not checked")
        else:
            result.flag("mismatch", detail)
        return

    pending = dict(optional)
    for _ in range(len(optional) + 1):
        if not pending:
            return
        verdict, text = await _send(client, fn, {**required, **pending, PROBE_FIELD: 1}, result)
        if verdict == "success":
            result.flag("mismatch", "DANGER: the probe executed (target accepted an unknown argument)")
            return
        if verdict != "validation":
            result.flag("mismatch", f"unexpected reply to a probe: {text[:200]}")
            return
        what, where, detail = _interpret(fn, text)
        if what == "probe":
            return
        name = where.lstrip(".").split(".", 1)[0].split("[", 1)[0] if where else ""
        if name not in pending:  # a problem we cannot attribute to an optional field: stop
            result.flag("mismatch", detail)
            return
        result.flag("unverified" if what == "unverified" else "mismatch", detail)
        del pending[name]


async def diagnose(
    url: str,
    deploy_key: str | None = None,
    *,
    functions: list[Function] | None = None,
    timeout: float = 10.0,
    concurrency: int = CONCURRENCY,
) -> dict[str, Any]:
    """Probe every function; the report as a JSON-ready dict."""
    functions = list(CATALOG.values()) if functions is None else list(functions)
    client = ConvexBackend(url, deploy_key=deploy_key, timeout=timeout, query_retries=1)
    limiter = anyio.Semaphore(concurrency)
    results: dict[str, Result] = {}

    async def run(fn: Function) -> None:
        async with limiter:
            results[fn.path] = await probe(client, fn)

    try:
        async with anyio.create_task_group() as tg:
            for fn in functions:
                tg.start_soon(run, fn)
    finally:
        await client.aclose()

    # cortex-mcp's own extensions (e.g. gdpr:*) are reported apart: an upstream Cortex deployment
    # lacks them by design, so they count neither towards completeness nor the exit status.
    extensions = {fn.path: results[fn.path].as_dict() for fn in functions if fn.extension}
    functions = [fn for fn in functions if not fn.extension]
    modules: dict[str, dict[str, Any]] = {}
    for fn in functions:
        r = results[fn.path]
        entry = modules.setdefault(fn.module, {"total": 0, **dict.fromkeys(STATUSES, 0), "functions": []})
        entry["total"] += 1
        entry[r.status] += 1
        entry["functions"].append(r.as_dict())
    for entry in modules.values():
        entry["completeness"] = _percent(entry["ok"], entry["total"])
    total = len(functions)
    ok = sum(e["ok"] for e in modules.values())
    return {
        "url": url,
        "ok": ok == total,
        "total": total,
        "okCount": ok,
        "unverified": sum(e["unverified"] for e in modules.values()),
        "missing": sum(e["missing"] for e in modules.values()),
        "mismatch": sum(e["mismatch"] for e in modules.values()),
        "error": sum(e["error"] for e in modules.values()),
        "completeness": _percent(ok, total),
        "requests": sum(r.requests for r in results.values()),
        "modules": modules,
        "extensions": extensions,
    }


def _percent(ok: int, total: int) -> float:
    return round(100.0 * ok / total, 1) if total else 100.0


def exit_status(report: dict[str, Any], allow_unverified: bool = False) -> int:
    """0 everything ok (or ok and unverified, when allowed); 2 the target could not be probed at
    all / some probes failed; 1 otherwise (missing, mismatched or unverified functions)."""
    if report["error"]:
        return 2
    if report["ok"] or (allow_unverified and not report["missing"] and not report["mismatch"]):
        return 0
    return 1


def render_text(report: dict[str, Any]) -> str:
    lines = [f"Cortex parity doctor: {report['url']} against the catalog ({report['total']} functions)", ""]
    width = max([len(f["path"]) for m in report["modules"].values() for f in m["functions"]] + [8])
    for module, entry in sorted(report["modules"].items()):
        unverified = f", {entry['unverified']} unverified" if entry["unverified"] else ""
        lines.append(f"{module}  {entry['ok']}/{entry['total']} ok ({entry['completeness']:.1f}%){unverified}")
        for f in entry["functions"]:
            detail = "; ".join(f["details"])
            lines.append(f"  {f['path']:<{width}}  {f['kind']:<8}  {f['status']:<10}  {detail}".rstrip())
        lines.append("")
    if report.get("extensions"):
        lines.append("cortex-mcp extensions (optional; not counted below)")
        for path, f in sorted(report["extensions"].items()):
            lines.append(f"  {path:<{width}}  {f['kind']:<8}  {'present' if f['status'] == 'ok' else f['status']}")
        lines.append("")
    lines.append(
        f"overall: {report['okCount']}/{report['total']} ok ({report['completeness']:.1f}%), "
        f"{report['unverified']} unverified, {report['missing']} missing, {report['mismatch']} mismatched, "
        f"{report['error']} not probed "
        f"({report['requests']} requests)"
    )
    return "\n".join(lines) + "\n"


def run_doctor(
    url: str,
    deploy_key: str | None = None,
    as_json: bool = False,
    out: TextIO | None = None,
    *,
    functions: list[Function] | None = None,
    timeout: float = 10.0,
    allow_unverified: bool = False,
) -> int:
    """Probe `url`, print the report to `out` (default: the current sys.stdout) as a text matrix or
    JSON; return the exit status (`exit_status`: 0 all ok, 1 missing/mismatched/unverified
    functions, 2 target not probed)."""
    out = sys.stdout if out is None else out
    report = anyio.run(lambda: diagnose(url, deploy_key, functions=functions, timeout=timeout))
    if as_json:
        out.write(json.dumps(report, indent=2) + "\n")
    else:
        out.write(render_text(report))
    out.flush()
    return exit_status(report, allow_unverified)
