"""The parity doctor against the embedded backend served over the Convex HTTP API."""

from __future__ import annotations

import io
import json
import socket

import pytest

from cortex_mcp.backends.embedded.wire import WireServer
from cortex_mcp.contract.catalog import CATALOG, mutation, query
from cortex_mcp.contract.validators import v
from cortex_mcp.doctor import PROBE_FIELD, run_doctor, sample
from cortex_mcp.ids import table_of_id


@pytest.fixture
def server(tmp_path):
    s = WireServer(tmp_path / "doctor.db").start()
    yield s
    s.close()


def doctor(target, **kw):
    """Run the doctor against a WireServer (with its key) or a bare URL."""
    out = io.StringIO()
    url, key = (target, None) if isinstance(target, str) else (target.url, target.key)
    code = run_doctor(url, deploy_key=key, out=out, **kw)
    return code, out.getvalue()


def test_embedded_target_is_complete_and_nothing_runs(server):
    runs = []
    original = server.backend.store.run
    server.backend.store.run = lambda writable, fn: runs.append(writable) or original(writable, fn)
    code, text = doctor(server)
    assert code == 0, text
    assert "overall: " in text and "(100.0%)" in text
    for module in {fn.module for fn in CATALOG.values() if not fn.extension}:
        assert f"\n{module}  " in text
    assert runs == []  # every probe failed validation: no handler ran, no transaction opened


def test_json_report(server):
    code, text = doctor(server, as_json=True)
    report = json.loads(text)
    assert code == 0 and report["ok"] is True and report["completeness"] == 100.0
    upstream = [fn for fn in CATALOG.values() if not fn.extension]
    assert report["total"] == report["okCount"] == len(upstream)
    extensions = {fn.path for fn in CATALOG.values() if fn.extension}
    assert {"bulk:storeMemories", "gdpr:findUserData", "gdpr:deleteMessages", "embeddings:set"} <= extensions
    assert {path: f["status"] for path, f in report["extensions"].items()} == dict.fromkeys(extensions, "ok")
    assert report["modules"]["agents"]["completeness"] == 100.0
    entry = next(f for f in report["modules"]["agents"]["functions"] if f["path"] == "agents:register")
    assert entry == {"path": "agents:register", "kind": "mutation", "status": "ok", "details": []}
    with_optional = sum(1 for fn in CATALOG.values() if len(fn.args.fields) > len(fn.args.required()))
    assert report["requests"] == len(CATALOG) + with_optional  # one probe, plus one for optional fields


def test_missing_function_is_named(tmp_path):
    with WireServer(tmp_path / "d.db", hidden={"agents:computeStats"}) as s:
        code, text = doctor(s)
        assert code == 1
        line = next(line for line in text.splitlines() if "agents:computeStats" in line)
        assert "missing" in line
        assert "agents  10/11 ok (90.9%)" in text
        code, text = doctor(s, as_json=True)
        report = json.loads(text)
        assert report["missing"] == 1 and report["ok"] is False


def test_missing_extensions_do_not_fail_an_upstream_deployment(tmp_path):
    extensions = {path for path, fn in CATALOG.items() if fn.extension}
    with WireServer(tmp_path / "d.db", hidden=extensions) as s:
        code, text = doctor(s)
    assert code == 0, text
    assert "cortex-mcp extensions (optional" in text and "(100.0%)" in text
    assert next(line for line in text.splitlines() if "gdpr:deleteUserData" in line).split()[-1] == "missing"


def test_catalog_entry_the_backend_lacks(server):
    extra = query("agents:brandNew", {"agentId": v.string()}, "not on any backend")
    code, text = doctor(server, functions=[CATALOG["agents:get"], extra], as_json=True)
    report = json.loads(text)
    assert code == 1 and report["completeness"] == 50.0
    statuses = {f["path"]: f["status"] for f in report["modules"]["agents"]["functions"]}
    assert statuses == {"agents:get": "ok", "agents:brandNew": "missing"}


def details(report, path):
    for module in report["modules"].values():
        for f in module["functions"]:
            if f["path"] == path:
                return f["status"], f["details"]
    raise KeyError(path)


def test_validator_mismatches_are_reported(server):
    ours = [
        # a required field of another type
        query("agents:get", {"agentId": v.number()}, "type"),
        # an optional field the target lacks, and one of another type
        query("agents:list", {"cursor": v.optional(v.string()), "limit": v.optional(v.string()),
                              "offset": v.optional(v.number())}, "optional"),
        # the target requires a field we do not send
        mutation("agents:register", {"agentId": v.string()}, "missing required"),
        # a required field the target does not have
        query("agents:exists", {"agentId": v.string(), "tenantId": v.string()}, "extra required"),
        # enum drift
        query("agents:count", {"status": v.optional(v.enum("retired", "active"))}, "enum"),
        # wrong kind
        mutation("agents:computeStats", {"agentId": v.string()}, "kind"),
    ]
    code, text = doctor(server, functions=ours, as_json=True)
    report = json.loads(text)
    assert code == 1 and report["okCount"] == 0 and report["mismatch"] == 6
    status, d = details(report, "agents:get")
    assert status == "mismatch" and d == ["`agentId`: target expects v.string(), catalog says v.float64()"]
    status, d = details(report, "agents:list")
    assert status == "mismatch" and sorted(d) == sorted(
        ["target lacks argument `cursor`", "`limit`: target expects v.float64(), catalog says v.string()"]
    )
    assert details(report, "agents:register")[1] == ["target requires argument `name` that the catalog does not have"]
    assert details(report, "agents:exists")[1] == ["target lacks argument `tenantId`"]
    assert "target expects v.union(" in details(report, "agents:count")[1][0]
    assert details(report, "agents:computeStats")[1] == ["kind: target defines it as a query, catalog says mutation"]
    code, text = doctor(server, functions=ours)
    assert "agents  0/6 ok (0.0%)" in text and "mismatch" in text


def test_unreachable_target_exits_2():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    code, text = doctor(f"http://127.0.0.1:{port}", functions=[CATALOG["agents:get"]], timeout=1.0)
    assert code == 2 and "not probed" in text and "probe failed" in text


def test_samples_follow_the_validator():
    obj = v.object({"a": v.string(), "b": v.optional(v.number()), "c": v.array(v.any()), "d": v.enum("x", "y"),
                    "e": v.object({"f": v.boolean(), "g": v.optional(v.null())}), "h": v.any(), "i": v.literal(3)})
    assert sample(obj) == {"a": "probe", "c": [], "d": "x", "e": {"f": True}, "h": {}, "i": 3}
    for fn in CATALOG.values():  # every probe passes our own validator but for the extra field
        fn.validate({name: sample(val) for name, val in fn.args.fields.items()}, table_of_id)
        assert PROBE_FIELD not in fn.args.fields



def test_a_target_that_runs_probes_is_flagged(server):
    server.backend.call_sync = lambda kind, path, args: None  # a target that validates nothing
    code, text = doctor(server, functions=[CATALOG["agents:count"]], as_json=True)
    status, d = details(json.loads(text), "agents:count")
    assert code == 1 and status == "mismatch" and "DANGER" in d[0]


def test_functions_whose_ids_the_target_refuses_are_unverified_not_ok(server, monkeypatch):
    # A Convex deployment refuses our sample ids (not in its format) with the very validator we have.
    monkeypatch.setattr("cortex_mcp.backends.embedded.backend.table_of_id", lambda doc_id: None)
    paths = ("graphSync:markSynced", "graphSync:markFailed", "admin:deleteRecord", "agents:get")
    functions = [CATALOG[p] for p in paths]
    code, text = doctor(server, functions=functions, as_json=True)
    report = json.loads(text)
    assert code == 1 and report["ok"] is False
    assert (report["okCount"], report["unverified"], report["mismatch"]) == (1, 3, 0)
    status, d = details(report, "graphSync:markSynced")
    assert status == "unverified"
    assert d == ['`id`: target refused the sample value for v.id("graphSyncQueue"); later arguments not checked']
    assert details(report, "admin:deleteRecord")[0] == "unverified"
    assert details(report, "agents:get")[0] == "ok"
    assert report["modules"]["graphSync"]["unverified"] == 2 and report["modules"]["graphSync"]["ok"] == 0

    code, text = doctor(server, functions=functions, allow_unverified=True)
    assert code == 0
    assert "graphSync  0/2 ok (0.0%), 2 unverified" in text and "1/4 ok (25.0%), 3 unverified, 0 missing" in text


def test_allow_unverified_does_not_excuse_a_mismatch(server, monkeypatch):
    monkeypatch.setattr("cortex_mcp.backends.embedded.backend.table_of_id", lambda doc_id: None)
    functions = [CATALOG["graphSync:markSynced"], query("agents:get", {"agentId": v.number()}, "type")]
    code, _ = doctor(server, functions=functions, allow_unverified=True)
    assert code == 1
