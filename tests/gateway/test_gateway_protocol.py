"""The Bearer-key protocol against the real gateway on loopback: seed examples, errors, limits, audit."""

from __future__ import annotations

import http.client
import json
import os
import socket
import sqlite3
import sys

import pytest
from gw_support import GatewayThread, github_token, ssn

from interven_autoguard.gateway import (
    AuthenticationError,
    Client,
    GatewayError,
    IntervenClient,
    PayloadTooLargeError,
)
from interven_autoguard.gateway.errors import MAX_BODY_BYTES
from interven_autoguard.model import ScanResponse

# The seed SDK page's Quickstart, verbatim except the import line and the user's own API key.
QUICKSTART = """
from interven_autoguard.gateway import Client

client = Client(api_key="iv_live_...")  # or set INTERVEN_API_KEY env

result = client.scan(
    method="POST",
    url="https://slack.com/api/chat.postMessage",
    body={"text": "Customer SSN 478-23-9156, email john@acme.com"},
)

if result.decision == "ALLOW":
    send_to_slack(original_body)
elif result.decision == "SANITIZE":
    send_to_slack(result.sanitized_body)        # PII redacted
elif result.decision == "REQUIRE_APPROVAL":
    poll_approval(result.approval_id)
else:
    log_blocked(result.reason_codes)
"""


def raw_request(
    gw: GatewayThread,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    assert b"Traceback" not in data
    return resp.status, json.loads(data)


def test_quickstart_runs_unchanged_against_our_gateway(gateway, team, monkeypatch):
    monkeypatch.setenv("INTERVEN_GATEWAY_URL", gateway.url)
    sent: list[object] = []
    namespace = {
        "send_to_slack": sent.append,
        "original_body": None,
        "poll_approval": sent.append,
        "log_blocked": sent.append,
    }
    exec(QUICKSTART.replace("iv_live_...", team.api_key), namespace)
    result = namespace["result"]
    assert isinstance(result, ScanResponse)
    assert result.decision == "SANITIZE"
    assert result.needs_sanitization and not result.allowed
    assert "PII_DETECTED" in result.reason_codes
    assert sent == [result.sanitized_body]
    assert "478-23-9156" not in json.dumps(result.sanitized_body)
    assert result.trace_id


def test_errors_example_authentication_payload_and_gateway(gateway, team, tmp_path):
    calls: list[str] = []

    def run(client: Client, body: object) -> None:
        # The seed's Errors example (its `url="..."` / `body={...}` placeholders filled in).
        try:
            client.scan(method="POST", url="https://api.example.com/v1/items", body=body)
        except AuthenticationError:
            calls.append("rotate_key")
        except PayloadTooLargeError:
            calls.append("chunk_payload")
        except GatewayError:
            calls.append("log_and_fail_open")

    run(Client(api_key="iv_live_" + "revoked", gateway_url=gateway.url), {"a": 1})
    before = len(gateway.gateway.audit.rows())
    run(Client(api_key=team.api_key, gateway_url=gateway.url), {"blob": "x" * (MAX_BODY_BYTES + 1)})
    # Refused before sending: the gateway saw nothing.
    assert len(gateway.gateway.audit.rows()) == before
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    run(Client(api_key=team.api_key, gateway_url=f"http://127.0.0.1:{dead_port}", timeout=2), {"a": 1})
    assert calls == ["rotate_key", "chunk_payload", "log_and_fail_open"]


def test_missing_key_raises_authentication_error(monkeypatch):
    monkeypatch.delenv("INTERVEN_API_KEY", raising=False)
    with pytest.raises(AuthenticationError):
        Client()


def test_env_configuration_and_alias(monkeypatch, gateway, team):
    monkeypatch.setenv("INTERVEN_API_KEY", team.api_key)
    monkeypatch.setenv("INTERVEN_GATEWAY_URL", gateway.url + "/")
    client = IntervenClient(agent_id="agent-7", runtime_type="crewai")
    assert client.gateway_url == gateway.url
    assert team.api_key not in repr(client)
    assert client.health() is True
    resp = client.scan(method="get", url="http://127.0.0.1:8080/status")
    assert resp.decision == "ALLOW" and resp.allowed and resp.scanner == "gateway"
    assert gateway.gateway.audit.rows(1)[0]["agent_id"] == "agent-7"


def test_default_gateway_url_is_hosted_service(monkeypatch):
    monkeypatch.delenv("INTERVEN_GATEWAY_URL", raising=False)
    assert Client(api_key="k").gateway_url == "https://api.intervensecurity.com"


def test_metadata_destination_denied_and_bytes_body_round_trip(gateway, team):
    client = Client(api_key=team.api_key, gateway_url=gateway.url)
    denied = client.scan(method="GET", url="http://169.254.169.254/latest/meta-data/")
    assert denied.blocked and "SSRF_METADATA" in denied.reason_codes
    number = ssn()
    resp = client.scan(
        method="POST",
        url="https://api.example.com/upload",
        body=f"note: {number}".encode(),
        headers={"Content-Type": "text/plain"},
    )
    assert resp.decision == "SANITIZE"
    assert isinstance(resp.sanitized_body, bytes)
    assert number.encode() not in resp.sanitized_body


def test_health_endpoint(gateway):
    status, data = raw_request(gateway, "GET", "/health")
    assert status == 200 and data["status"] == "ok"


@pytest.mark.parametrize("auth", [None, "Bearer wrong", "Basic abc", "Bearer "])
def test_bad_or_missing_key_is_401(gateway, auth):
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    status, data = raw_request(
        gateway, "POST", "/v1/scan", json.dumps({"method": "GET", "url": "http://x"}).encode(), headers
    )
    assert status == 401 and data["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Malformed JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"", "must be a JSON object"),
        (b'{"url": "http://x"}', "Missing required field 'method'"),
        (b'{"method": "GET"}', "Missing required field 'url'"),
        (b'{"method": 5, "url": "http://x"}', "Field 'method' must be a string"),
        (b'{"method": "GET", "url": "http://x", "headers": {"a": 1}}', "Field 'headers'"),
        (
            b'{"method": "GET", "url": "http://x", "body": "@@", "body_encoding": "base64"}',
            "not valid base64",
        ),
        (b"\xff\xfe", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "Malformed JSON"),
    ],
)
def test_malformed_requests_get_400_with_a_clear_message(gateway, team, body, message):
    status, data = raw_request(
        gateway,
        "POST",
        "/v1/scan",
        body,
        {"Authorization": f"Bearer {team.api_key}", "Content-Type": "application/json"},
    )
    assert status == 400, data
    assert message in data["error"]


def test_oversized_body_is_413_before_parsing(gateway, team):
    huge = b"{" + b" " * (MAX_BODY_BYTES + 10)  # not even JSON: proves it is refused before parsing
    status, data = raw_request(
        gateway,
        "POST",
        "/v1/scan",
        huge,
        {"Authorization": f"Bearer {team.api_key}", "Content-Type": "application/json"},
    )
    assert status == 413 and data["code"] == "PAYLOAD_TOO_LARGE"


def test_oversized_chunked_body_is_413_while_streaming(gateway, team):
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)

    def chunks():
        for _ in range(40):
            yield b" " * 8192  # 320 KB in chunks, no Content-Length

    conn.request(
        "POST",
        "/v1/scan",
        body=chunks(),
        encode_chunked=True,
        headers={"Authorization": f"Bearer {team.api_key}", "Transfer-Encoding": "chunked"},
    )
    resp = conn.getresponse()
    assert resp.status == 413
    assert json.loads(resp.read())["code"] == "PAYLOAD_TOO_LARGE"
    conn.close()


def test_rate_limit_per_key_is_429(gateway, team):
    limited = Client(api_key=team.limited_key, gateway_url=gateway.url)
    for _ in range(3):
        assert limited.scan(method="GET", url="http://127.0.0.1/a").allowed
    with pytest.raises(GatewayError) as info:
        limited.scan(method="GET", url="http://127.0.0.1/a")
    assert info.value.status == 429 and info.value.code == "RATE_LIMITED"
    assert int(info.value.details["retry_after"]) >= 1
    status, data = raw_request(
        gateway, "POST", "/v1/scan", b"{}", {"Authorization": f"Bearer {team.limited_key}"}
    )
    assert status == 429 and data["code"] == "RATE_LIMITED"
    # Another key is not affected.
    assert (
        Client(api_key=team.api_key, gateway_url=gateway.url)
        .scan(method="GET", url="http://127.0.0.1/a")
        .allowed
    )


def test_unknown_route_and_method_are_json(gateway):
    assert raw_request(gateway, "GET", "/nope")[0] == 404
    assert raw_request(gateway, "GET", "/v1/scan")[0] == 405


def test_scan_response_classifies_and_checks_trace_ownership(gateway, team):
    client = Client(api_key=team.api_key, gateway_url=gateway.url)
    resp = client.scan(method="GET", url="https://api.example.com/customers/1")
    out = client.scan_response(
        trace_id=resp.trace_id, response_body={"ssn": ssn(), "name": "x"}, response_status=200
    )
    assert out["data_classes"] == ["US_SSN"]
    assert out["fields_redacted_count"] == 1
    assert out["content_fingerprint"].startswith("sha256:")
    other = Client(api_key=team.other_key, gateway_url=gateway.url)
    with pytest.raises(GatewayError) as info:
        other.scan_response(trace_id=resp.trace_id, response_body="x")
    assert info.value.status == 404


def test_audit_log_holds_no_planted_secret(gateway, team, tmp_path):
    token, number = github_token(), ssn()
    client = Client(api_key=team.api_key, gateway_url=gateway.url)
    resp = client.scan(
        method="POST",
        url=f"https://hooks.example.com/in?token={token}&x=1",
        body={"msg": f"ssn {number} key {token}"},
        headers={"X-Debug": token},
    )
    assert resp.decision in ("SANITIZE", "DENY")
    client.scan_response(trace_id=resp.trace_id, response_body={"echo": token})
    in_path = client.scan(method="GET", url=f"https://paste.example.net/raw/{token}/{number}")
    assert in_path.decision != "ALLOW"
    Client(api_key=token, gateway_url=gateway.url).health()
    with pytest.raises(AuthenticationError):
        Client(api_key=token, gateway_url=gateway.url).scan(method="GET", url="http://127.0.0.1/")
    rows = gateway.gateway.audit.rows()
    decisions = [r for r in rows if r["endpoint"] == "/v1/scan" and r["decision"]]
    assert decisions and decisions[-1]["findings"], "findings (types/locations/hashes) are audited"
    assert "token=***" in decisions[-1]["url"]
    gateway.gateway.db.close()
    blob = b""
    for name in os.listdir(tmp_path):
        with open(tmp_path / name, "rb") as fh:
            blob += fh.read()
    for secret in (token, number, team.api_key):
        assert secret.encode() not in blob


def test_audit_log_is_append_only(gateway, team):
    Client(api_key=team.api_key, gateway_url=gateway.url).scan(method="GET", url="http://127.0.0.1/")
    conn = sqlite3.connect(gateway.gateway.db.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET decision = 'ALLOW'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log")
    conn.close()


def test_engine_failure_is_a_json_error_without_traceback_or_detail(tmp_path, team):
    class Broken:
        def scan(self, **kw):
            raise RuntimeError("boom " + team.api_key)

    with GatewayThread(
        team.config(), f"sqlite:///{tmp_path}/gw.db", lambda policy, approvals: Broken()
    ) as gw:
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
        conn.request(
            "POST",
            "/v1/scan",
            body=json.dumps({"method": "GET", "url": "http://127.0.0.1/"}),
            headers={"Authorization": f"Bearer {team.api_key}"},
        )
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        assert resp.status == 500
        assert json.loads(data) == {"error": "Internal gateway error", "code": "INTERNAL"}
        with pytest.raises(GatewayError):
            Client(api_key=team.api_key, gateway_url=gw.url).scan(method="GET", url="http://127.0.0.1/")


def test_top_level_scan_uses_the_gateway_when_a_key_is_set(gateway, team, monkeypatch):
    import interven_autoguard

    monkeypatch.setenv("INTERVEN_API_KEY", team.api_key)
    monkeypatch.setenv("INTERVEN_GATEWAY_URL", gateway.url)
    before = len(gateway.gateway.audit.rows())
    resp = interven_autoguard.scan(
        method="POST", url="https://slack.com/api/chat.postMessage", body={"text": f"Customer SSN {ssn()}"}
    )
    assert resp.decision == "SANITIZE" and resp.scanner == "gateway"
    assert len(gateway.gateway.audit.rows()) == before + 1


@pytest.mark.parametrize("module", ["interven_autoguard.gateway", "interven_autoguard"])
def test_quickstart_import_paths(gateway, team, monkeypatch, module):
    import importlib

    if not hasattr(importlib.import_module(module), "Client"):
        pytest.skip(f"{module} does not export Client yet (lead wires the top-level export)")
    monkeypatch.setenv("INTERVEN_GATEWAY_URL", gateway.url)
    namespace = {
        "send_to_slack": lambda body: None,
        "original_body": None,
        "poll_approval": print,
        "log_blocked": print,
    }
    code = QUICKSTART.replace("from interven_autoguard.gateway import Client", f"from {module} import Client")
    exec(code.replace("iv_live_...", team.api_key), namespace)
    assert namespace["result"].decision == "SANITIZE"


def test_client_requests_run_inside_the_guard_bypass(gateway, team, monkeypatch):
    from interven_autoguard.guard import is_internal_call

    seen: list[bool] = []
    original = http.client.HTTPConnection.request

    def recording(self, *args, **kwargs):
        seen.append(is_internal_call())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(http.client.HTTPConnection, "request", recording)
    client = Client(api_key=team.api_key, gateway_url=gateway.url)
    client.scan(method="GET", url="https://api.example.com/")
    client.health()
    assert seen == [True, True]
    assert is_internal_call() is False


def test_each_gateway_decision_is_a_span_without_secrets(gateway, team):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "telemetry"))
    from otel_harness import sdk

    harness = sdk()
    harness.clear()
    token = github_token()
    Client(api_key=team.api_key, gateway_url=gateway.url).scan(
        method="POST", url=f"https://api.example.com/v1/x?key={token}", body={"note": token}
    )
    spans = [s for s in harness.guard_spans() if s.attributes.get("interven.layer") == "gateway"]
    assert len(spans) == 1
    attrs = dict(spans[0].attributes)
    assert attrs.get("interven.decision") == "SANITIZE"
    assert token not in json.dumps(attrs, default=str) and token not in spans[0].name


def test_polling_an_approval_has_its_own_budget_and_spends_none_of_the_scans(gateway, team):
    """A guarded call waiting for a human polls about once a second: those polls used to run the
    key's scan budget out, and every other call of the key then failed closed (429)."""
    limited = Client(api_key=team.limited_key, gateway_url=gateway.url)  # 3 scans a minute
    held = limited.scan(method="PUT", url="https://api.github.com/repos/acme/app/collaborators/eve")
    assert held.decision == "REQUIRE_APPROVAL" and held.approval_id
    for _ in range(10):
        status, data = raw_request(gateway, "GET", f"/v1/approvals/{held.approval_id}/status", b"",
                                   {"Authorization": f"Bearer {team.limited_key}"})
        assert status == 200 and data["status"] == "pending"
    assert limited.scan(method="GET", url="http://127.0.0.1/a").allowed  # scans 2 and 3 of 3
    assert limited.scan(method="GET", url="http://127.0.0.1/a").allowed
    for _ in range(25):  # ten times the key's budget (30), then polls are limited too
        status, _data = raw_request(gateway, "GET", f"/v1/approvals/{held.approval_id}/status", b"",
                                    {"Authorization": f"Bearer {team.limited_key}"})
    assert status == 429
