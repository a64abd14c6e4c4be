"""The embedded backend over the Convex HTTP API: envelopes, error texts, request-level errors."""

from __future__ import annotations

import json
import logging
import re
import socket

import httpx
import pytest

from cortex_mcp.backends.embedded.wire import WireServer
from tests.helpers import fresh_backend

PREFIX = re.compile(r"^\[Request ID: [0-9a-f]{16}\] Server Error\n")


@pytest.fixture(scope="module")
def _shared_server(tmp_path_factory):
    """One server for the module (stopping one costs 0.1 s); `server` gives each test an empty database."""
    idle = fresh_backend(tmp_path_factory.mktemp("wire") / "idle.db")
    s = WireServer(idle, hidden={"agents:exists"}, key="dev:key").start()
    try:
        yield s
    finally:
        s.close()
        idle.store.close()


@pytest.fixture
def server(_shared_server, tmp_path):
    store = fresh_backend(tmp_path / "wire.db")
    idle, _shared_server.app.backend = _shared_server.app.backend, store
    try:
        yield _shared_server
    finally:
        _shared_server.app.backend = idle
        store.store.close()


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=5, headers={"Authorization": "Convex dev:key"}) as client:
        yield client


def keyed(server, key="k"):
    return httpx.Client(base_url=server.url, timeout=5, headers={"Authorization": f"Convex {key}"})


def post(http, route, body, **kw):
    headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
    return http.post(route, content=json.dumps(body), headers=headers, **kw)


def test_binds_loopback_on_an_ephemeral_port(server):
    assert server.host == "127.0.0.1" and server.port > 0 and server.url == f"http://127.0.0.1:{server.port}"


def test_success_envelope_numbers_are_float64_and_keys_sorted(http):
    args = {"agentId": "a1", "name": "A", "metadata": {"n": 5}}
    r = post(http, "/api/mutation", {"path": "agents:register", "args": args, "format": "json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"status", "value"} and body["status"] == "success"  # no logLines when empty
    doc = body["value"]
    assert isinstance(doc["_creationTime"], float) and isinstance(doc["registeredAt"], float)
    assert doc["metadata"] == {"n": 5.0} and '"n":5.0' in r.text
    assert list(doc) == sorted(doc)
    r = post(http, "/api/query", {"path": "agents:count", "args": {}, "format": "json"})
    assert r.text == '{"status":"success","value":1.0}'


def test_convex_error_carries_error_data(http):
    args = {"agentId": "a1", "name": "A"}
    post(http, "/api/mutation", {"path": "agents:register", "args": args})
    r = post(http, "/api/mutation", {"path": "agents:register", "args": args})
    body = r.json()
    assert r.status_code == 200 and body["status"] == "error"
    assert body["errorData"] == "AGENT_ALREADY_REGISTERED"
    assert PREFIX.match(body["errorMessage"])
    assert PREFIX.sub("", body["errorMessage"]) == "Uncaught ConvexError: AGENT_ALREADY_REGISTERED"


def test_plain_errors_have_no_error_data_and_keep_their_javascript_name(http):
    body = post(http, "/api/query", {"path": "agents:list", "args": {"limit": -1}}).json()
    assert body["status"] == "error" and "errorData" not in body
    text = PREFIX.sub("", body["errorMessage"])
    assert text == "Uncaught TypeError: Arg 1 `n` to `take` must be a non-negative integer"  # as Convex's take()
    body = post(http, "/api/mutation", {"path": "agents:unregisterMany", "args": {}}).json()
    assert "errorData" not in body
    text = PREFIX.sub("", body["errorMessage"])
    assert text == "Uncaught Error: INVALID_FILTERS: Must provide agentIds or status filter"


def test_argument_validation_error_text(http):
    args = {"agentId": "a", "name": "n", "extra": 1}
    body = post(http, "/api/mutation", {"path": "agents:register", "args": args}).json()
    assert "errorData" not in body
    text = PREFIX.sub("", body["errorMessage"])
    assert text == (
        "ArgumentValidationError: Object contains extra field `extra` that is not in the validator.\n\n"
        'Object: {agentId: "a", extra: 1.0, name: "n"}\n'
        "Validator: v.object({agentId: v.string(), config: v.optional(v.any()), description: v.optional(v.string()), "
        "metadata: v.optional(v.any()), name: v.string()})\n\n"
    )  # the blank line is Convex's empty `Path:` context at the top level
    body = post(http, "/api/query", {"path": "agents:list", "args": {"limit": None}}).json()
    assert "Value does not match validator.\nPath: .limit\nValue: null\nValidator: v.float64()" in body["errorMessage"]
    body = post(http, "/api/query", {"path": "agents:list", "args": "x"}).json()
    assert "Expected to receive an object as the function's argument." in body["errorMessage"]


def test_unknown_hidden_and_wrong_kind(http):
    body = post(http, "/api/query", {"path": "agents:nope", "args": {}}).json()
    assert PREFIX.sub("", body["errorMessage"]) == "Could not find public function for 'agents:nope'."
    body = post(http, "/api/query", {"path": "agents:exists", "args": {"agentId": "a"}}).json()
    assert "Could not find public function for 'agents:exists'." in body["errorMessage"]
    body = post(http, "/api/query", {"path": "memories/store", "args": {}}).json()  # not an alias
    assert "Could not find public function for 'memories/store'." in body["errorMessage"]
    body = post(http, "/api/query", {"path": "agents:register", "args": {"agentId": "a", "name": "n"}}).json()
    text = PREFIX.sub("", body["errorMessage"])
    assert text == "Trying to execute agents.js:register as Query, but it is defined as Mutation."
    assert post(http, "/api/query", {"path": "agents:count", "args": {}}).json()["value"] == 0.0  # nothing ran


def test_run_endpoint_js_suffix_and_legacy_positional_args(http):
    r = post(http, "/api/run/agents/register", {"args": {"agentId": "a1", "name": "A"}})
    assert r.json()["status"] == "success"
    assert post(http, "/api/run/agents/count", {"args": {}}).json() == {"status": "success", "value": 1.0}
    assert post(http, "/api/query", {"path": "agents.js:count", "args": [{}]}).json()["value"] == 1.0
    r = post(http, "/api/query", {"path": "agents.ts:count", "args": {}})
    assert r.status_code == 400 and r.json()["code"] == "BadConvexFunctionIdentifier"
    r = post(http, "/api/run/agents", {"args": {}})
    assert r.status_code == 400 and r.json()["code"] == "MissingIdentifier"


def test_encoded_format_and_encoded_args(http):
    args = {"limit": {"$integer": "AgAAAAAAAAA="}}  # int64 2
    body = post(http, "/api/query", {"path": "agents:list", "args": args, "format": "convex_encoded_json"}).json()
    assert body == {"status": "success", "value": []}
    r = post(http, "/api/query", {"path": "agents:count", "args": {}, "format": "xml"})
    assert r.status_code == 400
    assert r.json() == {"code": "BadFormat", "message": "format param must be one of [`json`]. Got xml"}


@pytest.mark.parametrize(
    "content, content_type",
    [
        ("{not json", "application/json"),
        (json.dumps({"path": "agents:count", "args": {}}), "text/plain"),
        (json.dumps({"path": "agents:count", "args": {}}), None),
        (json.dumps({"args": {}}), "application/json"),
        (json.dumps({"path": "agents:count"}), "application/json"),
        (json.dumps(["agents:count"]), "application/json"),
    ],
)
def test_bad_json_body(http, content, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    r = http.post("/api/query", content=content, headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "BadJsonBody"


def test_unknown_route_wrong_method_and_get_query(http):
    r = post(http, "/api/nope", {"path": "agents:count", "args": {}})
    assert r.status_code == 404 and "code" in r.json()
    r = http.get("/api/mutation")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    r = http.put("/api/run/agents/count", content="{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 405
    r = http.get("/api/query", params={"path": "agents:count", "args": "{}"})
    assert r.json() == {"status": "success", "value": 0.0}


def test_the_key_is_required(server):
    body = json.dumps({"path": "agents:count", "args": {}})
    with httpx.Client(base_url=server.url, timeout=5, headers={"Content-Type": "application/json"}) as raw:
        for auth, code in [
            (None, "MissingDeployKey"),
            ("Convex wrong", "BadDeployKey"),
            ("Bearer dev:key", "MissingDeployKey"),
            ("Convex dev:key2", "BadDeployKey"),
            ("convex dev:key", "MissingDeployKey"),
        ]:
            r = raw.post("/api/query", content=body, headers={"Authorization": auth} if auth else {})
            assert r.status_code == 401 and r.json()["code"] == code, (auth, r.text)
            assert r.headers["www-authenticate"] == "Convex"
        r = raw.post("/api/nope", content=body)  # routes are not revealed without the key
        assert r.status_code == 401
        r = raw.post("/api/query", content=body, headers={"Authorization": "Convex dev:key"})
        assert r.status_code == 200 and r.json()["value"] == 0.0


def test_generated_key_is_unique_and_long(tmp_path):
    with WireServer(tmp_path / "a.db") as a, WireServer(tmp_path / "b.db") as b:
        assert a.key != b.key and len(a.key) >= 40
        with httpx.Client(base_url=a.url, timeout=5) as raw:
            headers = {"Content-Type": "application/json"}
            body = json.dumps({"path": "agents:count", "args": {}})
            assert (
                raw.post(
                    "/api/query", content=body, headers={**headers, "Authorization": f"Convex {b.key}"}
                ).status_code
                == 401
            )
            assert (
                raw.post(
                    "/api/query", content=body, headers={**headers, "Authorization": f"Convex {a.key}"}
                ).status_code
                == 200
            )


@pytest.mark.parametrize(
    "headers, status",
    [
        ({"Host": "evil.example"}, 421),
        ({"Host": "evil.example:80"}, 421),
        ({"Host": "127.0.0.1.evil.example"}, 421),
        ({"Host": "localhost:3210"}, 200),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Origin": "http://localhost:5173"}, 200),
        ({"Origin": "http://127.0.0.1"}, 200),
    ],
)
def test_host_and_origin_allow_list(http, headers, status):
    r = post(http, "/api/query", {"path": "agents:count", "args": {}}, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert not any(h.lower().startswith("access-control-") for h in r.headers)


def test_no_cors_and_no_preflight(http):
    r = http.options("/api/query", headers={"Origin": "http://localhost:1", "Access-Control-Request-Method": "POST"})
    assert r.status_code == 405 and not any(h.lower().startswith("access-control-") for h in r.headers)


def test_non_loopback_bind_defaults_to_its_own_address(tmp_path):
    with WireServer(tmp_path / "n.db", "127.0.0.2", key="k") as s, httpx.Client(base_url=s.url, timeout=5) as raw:
        headers = {"Content-Type": "application/json", "Authorization": "Convex k"}
        body = json.dumps({"path": "agents:count", "args": {}})
        assert raw.post("/api/query", content=body, headers=headers).status_code == 200
        assert raw.post("/api/query", content=body, headers={**headers, "Host": "localhost"}).status_code == 421
    with (
        WireServer(tmp_path / "n.db", "127.0.0.2", key="k", allowed_hosts=["memory.internal:*"]) as s,
        httpx.Client(base_url=s.url, timeout=5) as raw,
    ):
        assert raw.post("/api/query", content=body, headers=headers).status_code == 421
        r = raw.post("/api/query", content=body, headers={**headers, "Host": "memory.internal:9"})
        assert r.status_code == 200


def test_wildcard_bind_needs_allowed_hosts(tmp_path):
    with pytest.raises(ValueError, match="--allowed-hosts"):
        WireServer(tmp_path / "w.db", "0.0.0.0", key="k")
    assert not (tmp_path / "w.db").exists()  # refused before anything was opened


def test_body_limits_are_413_and_depth_is_400(tmp_path):
    with WireServer(tmp_path / "l.db", key="k", max_body=1000) as s, keyed(s) as raw:
        big = json.dumps({"path": "agents:count", "args": {"x": "a" * 2000}})
        r = raw.post("/api/query", content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "PayloadTooLarge"

        def chunks():  # no Content-Length: refused while streaming
            yield b'{"path": "agents:count", "args": {"x": "'
            for _ in range(100):
                yield b"a" * 100
            yield b'"}}'

        r = raw.post("/api/query", content=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413
    with WireServer(tmp_path / "l.db", key="k") as s, keyed(s) as raw:
        for depth in (65, 100_000):
            deep = '{"path": "agents:count", "args": ' + "[" * depth + "]" * depth + "}"
            r = raw.post("/api/query", content=deep, headers={"Content-Type": "application/json"})
            assert r.status_code == 400 and "nested deeper than 64" in r.json()["message"], r.text
        r = raw.get("/api/query", params={"path": "agents:count", "args": "[" * 5000 + "]" * 5000})
        assert r.status_code == 400 and r.json()["code"] == "BadQueryArgs"
        ok_depth = {"path": "agents:list", "args": {"limit": 1}}
        assert raw.post("/api/query", json=ok_depth).json()["status"] == "success"


def test_errors_echo_at_most_200_characters_of_input(http):
    r = post(http, "/api/query", {"path": "x" * 5000 + ":y", "args": {}})
    assert len(r.text) < 600 and "x" * 201 not in r.text
    r = post(http, "/api/query", {"path": "agents:count", "args": {}, "format": "f" * 5000})
    assert r.status_code == 400 and len(r.text) < 400


def test_read_only_serves_queries_and_writes_nothing(tmp_path):
    db = tmp_path / "ro.db"
    with (
        WireServer(db, key="k") as s,
        httpx.Client(base_url=s.url, timeout=5, headers={"Authorization": "Convex k"}) as c,
    ):
        assert (
            c.post("/api/mutation", json={"path": "agents:register", "args": {"agentId": "a", "name": "A"}}).json()[
                "status"
            ]
            == "success"
        )
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with WireServer(db, key="k", read_only=True) as s, keyed(s) as c:
        assert c.post("/api/query", json={"path": "agents:count", "args": {}}).json()["value"] == 1.0
        for path, kind in [("agents:register", "mutation"), ("agents:purgeAll", "mutation")]:
            body = c.post(
                f"/api/{kind}",
                json={"path": path, "args": {"agentId": "b", "name": "B"} if path == "agents:register" else {}},
            ).json()
            assert body["status"] == "error" and "read-only" in body["errorMessage"]
        assert c.post("/api/query", json={"path": "agents:count", "args": {}}).json()["value"] == 1.0
    assert (tmp_path / "ro.db").read_bytes() == before["ro.db"]
    with pytest.raises(ValueError, match="no database"):
        WireServer(tmp_path / "missing.db", read_only=True)
    assert not (tmp_path / "missing.db").exists()


def test_read_only_refuses_a_file_that_needs_an_upgrade_without_upgrading_it(tmp_path):
    import sqlite3

    from cortex_mcp.backends.embedded.migrations import MigrationError

    db = tmp_path / "old.db"
    with WireServer(db, key="k"):
        pass
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM _migrations WHERE name = 'layout'")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(MigrationError, match="without --read-only"):
        WireServer(db, read_only=True)
    assert db.read_bytes() == before


def test_close_stops_serving(tmp_path):
    s = WireServer(tmp_path / "x.db").start()
    with httpx.Client(base_url=s.url, timeout=2, headers={"Authorization": f"Convex {s.key}"}) as client:
        assert post(client, "/api/query", {"path": "agents:count", "args": {}}).status_code == 200
        s.close()
        with pytest.raises(httpx.TransportError):
            post(client, "/api/query", {"path": "agents:count", "args": {}})
    s.close()  # idempotent


def test_any_method_gets_a_json_answer_after_the_door(server, http):
    for method in ("TRACE", "FOO", "PATCH"):
        r = http.request(method, "/api/query")
        assert r.status_code == 405 and r.headers["allow"] == "POST" and r.json()["code"] == "MethodNotAllowed"
        assert r.headers["content-type"] == "application/json"
    with httpx.Client(base_url=server.url, timeout=5) as anonymous:
        assert anonymous.request("FOO", "/api/query").status_code == 401


def test_a_client_gone_mid_body_is_no_error_and_the_server_goes_on(server, http, caplog):
    caplog.set_level(logging.INFO)
    with socket.create_connection((server.host, server.port), timeout=5) as raw:
        raw.sendall(b"POST /api/query HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Convex dev:key\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"path\":")
        assert post(http, "/api/query", {"path": "agents:count", "args": {}}).json()["value"] == 0.0  # mid-body
    for _ in range(50):  # the server notices the closed connection on its own time
        assert post(http, "/api/query", {"path": "agents:count", "args": {}}).json()["value"] == 0.0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
