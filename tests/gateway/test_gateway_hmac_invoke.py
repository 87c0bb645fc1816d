"""Legacy HMAC ``/invoke`` with our ``AifClient``: good, bad, stale and replayed signatures."""

from __future__ import annotations

import http.client
import json
from datetime import datetime, timedelta, timezone

import pytest
from gw_support import github_token, ssn

from interven_autoguard.gateway import (
    AifClient,
    ApprovalDeniedError,
    AuthenticationError,
    InvokeParams,
    PayloadTooLargeError,
    PolicyDeniedError,
    ReplayRejectedError,
)
from interven_autoguard.gateway import aif as aif_module
from interven_autoguard.gateway.signing import sign


def make_client(gateway, team, **kw) -> AifClient:
    return AifClient(
        gateway_url=gateway.url,
        agent_id=team.agent_id,
        agent_name="release-bot",
        agent_secret=kw.pop("secret", team.agent_secret),
        **kw,
    )


def params(**kw) -> InvokeParams:
    base = dict(
        tool_name="github",
        method="GET",
        url_path="/repos/acme/app",
        credential_type="pat",
        credential_token=github_token(),
        scopes=["repo"],
    )
    base.update(kw)
    return InvokeParams(**base)


def post_raw(gateway, body: bytes, signature: str | None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-AIF-Signature"] = signature
    conn.request("POST", "/invoke", body=body, headers=headers)
    resp = conn.getresponse()
    data = json.loads(resp.read())
    conn.close()
    return resp.status, data


def signed_body(team, ts: datetime, **extra) -> bytes:
    payload = {
        "tool_name": "github",
        "upstream_request": {"method": "GET", "url_path": "/repos/acme/app"},
        "agent_context": {"agent_id": team.agent_id},
        "trace_id": "t-1",
        "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        **extra,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def test_good_signature_is_scanned_and_forwarded_with_the_credential(gateway, team, upstream):
    p = params()
    resp = make_client(gateway, team).invoke(p)
    assert resp.decision == "ALLOW" and resp.http_status == 200
    assert resp.upstream_response["status"] == 201
    assert resp.upstream_response["body"] == {"ok": True, "path": "/repos/acme/app"}
    assert len(upstream.requests) == 1
    assert upstream.requests[0]["headers"]["Authorization"] == f"Bearer {p.credential_token}"
    assert p.credential_token not in repr(p)


def test_sanitize_forwards_the_redacted_body(gateway, team, upstream):
    number = ssn()
    resp = make_client(gateway, team).invoke(
        params(method="POST", url_path="/repos/acme/app/issues", body={"title": "x", "body": "ssn " + number})
    )
    assert resp.decision == "SANITIZE"
    sent = json.loads(upstream.requests[0]["body"])
    assert number not in json.dumps(sent) and sent["title"] == "x"


def test_bad_signature_and_unknown_agent_are_401(gateway, team, upstream):
    with pytest.raises(AuthenticationError):
        make_client(gateway, team, secret="wrong-secret").invoke(params())
    with pytest.raises(AuthenticationError):
        AifClient(gateway_url=gateway.url, agent_id="nobody", agent_name="x", agent_secret="s").invoke(
            params()
        )
    body = signed_body(team, datetime.now(timezone.utc))
    assert post_raw(gateway, body, None)[0] == 401
    assert post_raw(gateway, body, "not base64!!")[0] == 401
    tampered = body.replace(b"/repos/acme/app", b"/repos/acme/xyz")
    assert post_raw(gateway, tampered, sign(body, team.agent_secret))[0] == 401
    assert upstream.requests == []


def test_stale_timestamp_is_a_replay_error(gateway, team, monkeypatch, upstream):
    old = datetime.now(timezone.utc) - timedelta(seconds=90)
    monkeypatch.setattr(aif_module, "_utc_stamp", lambda: old.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")
    with pytest.raises(ReplayRejectedError):
        make_client(gateway, team).invoke(params())
    status, data = post_raw(gateway, signed_body(team, old), sign(signed_body(team, old), team.agent_secret))
    assert status == 400 and "replay" in data["error"].lower()
    future = datetime.now(timezone.utc) + timedelta(seconds=300)
    assert (
        post_raw(gateway, signed_body(team, future), sign(signed_body(team, future), team.agent_secret))[0]
        == 400
    )
    assert upstream.requests == []


def test_exact_replay_inside_the_window_is_refused(gateway, team, upstream):
    body = signed_body(team, datetime.now(timezone.utc))
    signature = sign(body, team.agent_secret)
    assert post_raw(gateway, body, signature)[0] == 200
    status, data = post_raw(gateway, body, signature)
    assert status == 400 and "replay" in data["error"].lower()
    assert len(upstream.requests) == 1


def test_replay_with_another_spelling_of_the_same_signature_is_refused(gateway, team, upstream):
    import base64

    body = signed_body(team, datetime.now(timezone.utc))
    signature = sign(body, team.agent_secret)
    assert post_raw(gateway, body, signature)[0] == 200
    # A SHA-256 MAC is 32 bytes: its base64 ends "X=" where X carries 2 spare bits.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(signature[-2])
    respellings = [signature[:-2] + alphabet[(last & ~3) | bits] + "=" for bits in range(4)]
    respellings = [r for r in respellings if r != signature]
    assert len(respellings) == 3 and all(
        base64.b64decode(r) == base64.b64decode(signature) for r in respellings
    )
    for other in respellings:
        status, data = post_raw(gateway, body, other)
        assert status == 400 and "replay" in data["error"].lower()
    assert len(upstream.requests) == 1


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p.pop("tool_name"), "Missing required field 'tool_name'"),
        (lambda p: p["upstream_request"].pop("url_path"), "upstream_request.url_path"),
        (lambda p: p.update(tool_name="jira"), "Unknown tool_name"),
        (lambda p: p["upstream_request"].update(url_path="http://evil.example/x"), "must be a path"),
        (lambda p: p.update(ts="yesterday"), "ISO-8601"),
        (lambda p: p["upstream_request"].update(url_path="/x\r\nHost: evil"), "control characters"),
    ],
)
def test_invalid_invocations_are_400(gateway, team, mutate, message):
    payload = json.loads(signed_body(team, datetime.now(timezone.utc)))
    mutate(payload)
    body = json.dumps(payload).encode()
    status, data = post_raw(gateway, body, sign(body, team.agent_secret))
    assert status == 400 and message in data["error"]


def test_deny_is_403_and_raise_on_deny_raises(gateway, team, upstream):
    denied = make_client(gateway, team).invoke(params(tool_name="imds", url_path="/latest/meta-data/"))
    assert denied.decision == "DENY" and denied.http_status == 403
    assert "SSRF_METADATA" in denied.reason_codes and denied.upstream_response is None
    with pytest.raises(PolicyDeniedError) as info:
        make_client(gateway, team, raise_on_deny=True).invoke(params(tool_name="imds", url_path="/latest/"))
    assert "SSRF_METADATA" in info.value.reason_codes
    with pytest.raises(PayloadTooLargeError):
        make_client(gateway, team).invoke(params(method="POST", url_path="/x", body={"b": "x" * 300_000}))
    assert upstream.requests == []


def test_approval_flow_deny_then_execute_refused(gateway, team, upstream):
    client = make_client(gateway, team)
    resp = client.invoke(
        params(method="PUT", url_path="/repos/acme/app/collaborators/eve", body={"p": "push"})
    )
    assert resp.decision == "REQUIRE_APPROVAL" and resp.http_status == 202 and resp.approval_id
    assert client.poll_approval(resp.approval_id).status == "pending"
    gateway.gateway.approvals.decide(resp.approval_id, approve=False, decided_by="alice", reason="no")
    with pytest.raises(ApprovalDeniedError):
        client.wait_for_approval(resp.approval_id, poll_interval=0.05, max_wait=10)
    refused = client.execute_approval(resp.approval_id, "tok", "pat", ["repo"])
    assert refused.http_status == 403
    assert upstream.requests == []


def test_an_approved_request_goes_out_as_the_approver_saw_it(gateway, team, upstream):
    """Masked for the approver, masked upstream: the approval never un-redacts what the policy
    sanitizes, and the held record keeps no copy of the secret."""
    number = ssn()
    client = make_client(gateway, team)
    held = client.invoke(params(method="PUT", url_path="/repos/acme/app/collaborators/carol",
                                body={"permission": "push", "note": "ssn " + number}))
    assert held.decision == "REQUIRE_APPROVAL" and held.approval_id
    stored = gateway.gateway.held.get(held.approval_id)
    assert stored is not None and number not in json.dumps(stored[2])
    gateway.gateway.approvals.decide(held.approval_id, approve=True, decided_by="alice", reason=None)
    done = client.execute_approval(held.approval_id, "tok", "pat", [])
    assert done.decision == "ALLOW" and done.upstream_response["status"] == 201
    (sent,) = [r for r in upstream.requests if r["method"] == "PUT"]
    assert json.loads(sent["body"]) == {"permission": "push", "note": "ssn [REDACTED:US_SSN]"}


def test_signed_execute_is_verified(gateway, team, upstream):
    client = make_client(gateway, team)
    resp = client.invoke(params(method="PUT", url_path="/repos/acme/app/collaborators/bob", body={"p": "x"}))
    gateway.gateway.approvals.decide(resp.approval_id, approve=True, decided_by="alice", reason=None)
    wrong = make_client(gateway, team, secret="other")
    with pytest.raises(AuthenticationError):
        wrong.execute_approval(resp.approval_id, "tok", "pat", [])
    done = client.execute_approval(resp.approval_id, "tok", "pat", [])
    assert done.decision == "ALLOW" and done.upstream_response["status"] == 201
    assert len([r for r in upstream.requests if r["method"] == "PUT"]) == 1


def test_policy_denied_error_shape():
    err = PolicyDeniedError("Denied", reason_codes=["SSRF_METADATA"], matched_policies=["p1"])
    assert err.code == "POLICY_DENIED" and err.reason_codes == ["SSRF_METADATA"]
