"""The published ``interven`` 0.6.1 package, unmodified, pointed at our gateway on loopback.

It runs in its own virtualenv (``/work/interven-venv``, or ``$INTERVEN_SDK_PYTHON``) as a subprocess;
every decision it gets must equal what our embedded engine decides for the same request.
"""

from __future__ import annotations

import json
import os

import pytest
from gw_support import INTERVEN_VENV_PYTHON, engine_factory, github_token, run_published_sdk, ssn

from interven_autoguard.gateway.sql_store import SqlApprovalStore
from interven_autoguard.gateway.storage import Database

pytestmark = pytest.mark.skipif(
    not os.path.exists(INTERVEN_VENV_PYTHON), reason="published interven SDK venv not installed"
)

SCAN_SCRIPT = """
import os
from interven import Client
client = Client(api_key=os.environ["T_KEY"])  # gateway from INTERVEN_GATEWAY_URL
out = []
for case in json.loads(os.environ["T_CASES"]):
    r = client.scan(**case)
    out.append({"decision": r.decision, "reason_codes": r.reason_codes, "risk_band": r.risk_band,
                "risk_score": r.risk_score, "sanitized_body": r.sanitized_body,
                "approval_id": r.approval_id, "trace_id": r.trace_id})
print(json.dumps(out))
"""


def cases() -> list[dict]:
    return [
        {
            "method": "POST",
            "url": "https://slack.com/api/chat.postMessage",
            "body": {"text": f"Customer SSN {ssn()}, email john@acme.com"},
        },
        {"method": "GET", "url": "http://169.254.169.254/latest/meta-data/iam/"},
        {"method": "GET", "url": "https://api.example.com/v1/status"},
        {
            "method": "PUT",
            "url": "https://api.github.com/repos/acme/app/collaborators/outsider",
            "body": {"permission": "push"},
        },
        {
            "method": "POST",
            "url": "https://api.example.com/notes",
            "body": {"note": "key " + github_token()},
            "headers": {"Content-Type": "application/json"},
        },
    ]


def test_published_client_gets_the_embedded_engines_decisions(gateway, team, tmp_path):
    requests_ = cases()
    got = run_published_sdk(
        SCAN_SCRIPT,
        {"T_KEY": team.api_key, "T_CASES": json.dumps(requests_), "INTERVEN_GATEWAY_URL": gateway.url},
    )
    engine = engine_factory()(None, SqlApprovalStore(Database(f"sqlite:///{tmp_path}/direct.db")))
    for case, remote in zip(requests_, got):
        local = engine.scan(
            method=case["method"], url=case["url"], body=case.get("body"), headers=case.get("headers")
        )
        assert remote["decision"] == str(local.decision), case["url"]
        assert sorted(remote["reason_codes"]) == sorted(local.reason_codes)
        assert remote["risk_band"] == str(local.risk_band)
        assert remote["risk_score"] == pytest.approx(local.risk_score)
        assert remote["sanitized_body"] == local.sanitized_body
        assert remote["trace_id"]
    assert [r["decision"] for r in got] == ["SANITIZE", "DENY", "ALLOW", "REQUIRE_APPROVAL", "SANITIZE"]
    assert got[3]["approval_id"]


def test_published_client_errors_and_approval_polling(gateway, team):
    script = """
import os, threading, urllib.request
from interven import Client, AuthenticationError, PayloadTooLargeError, GatewayError
url = os.environ["INTERVEN_GATEWAY_URL"]
out = {}
try:
    Client(api_key="iv_live_wrong").scan(method="GET", url="https://example.com/")
except AuthenticationError:
    out["bad_key"] = "AuthenticationError"
client = Client(api_key=os.environ["T_KEY"])
try:
    client.scan(method="POST", url="https://example.com/", body={"blob": "x" * 300000})
except PayloadTooLargeError:
    out["too_large"] = "PayloadTooLargeError"
except GatewayError as e:
    out["too_large"] = "GatewayError " + str(e)
out["health"] = client.health()
r = client.scan(method="PUT", url="https://api.github.com/repos/acme/app/collaborators/bob",
                body={"permission": "admin"})
out["first"] = client.poll_approval(r.approval_id).status
req = urllib.request.Request(url + "/v1/approvals/" + r.approval_id + "/approve", method="POST",
    data=b'{"reason": "known contractor"}', headers={"Authorization": "Bearer " + os.environ["T_APPROVER"]})
urllib.request.urlopen(req).read()
final = client.wait_for_approval(r.approval_id, poll_interval=0.1, max_wait=30)
out["final"] = [final.status, final.decision, final.is_approved]
out["classified"] = client.scan_response(trace_id=r.trace_id, response_body={"ok": True}, response_status=201)
print(json.dumps(out))
"""
    out = run_published_sdk(
        script,
        {"T_KEY": team.api_key, "T_APPROVER": team.approver_token, "INTERVEN_GATEWAY_URL": gateway.url},
    )
    assert out["bad_key"] == "AuthenticationError"
    assert out["too_large"] == "PayloadTooLargeError"
    assert out["health"] is True
    assert out["first"] == "pending"
    assert out["final"] == ["approved", "APPROVE", True]
    assert out["classified"]["data_classes"] == []


def test_published_hmac_client_invokes_through_our_gateway(gateway, team, upstream):
    script = """
import os
from interven import AifClient, InvokeParams, AuthenticationError
url = os.environ["GW"]
common = dict(gateway_url=url, agent_id=os.environ["T_AGENT"], agent_name="release-bot", telemetry_url=url)
client = AifClient(agent_secret=os.environ["T_SECRET"], **common)
out = {}
r = client.invoke(InvokeParams(tool_name="github", method="GET", url_path="/repos/acme/app",
                               credential_type="pat", credential_token=os.environ["T_CRED"], scopes=["repo"]))
out["allow"] = [r.decision, r.http_status, r.upstream_response]
try:
    AifClient(agent_secret="not-the-secret", **common).invoke(InvokeParams(
        tool_name="github", method="GET", url_path="/x", credential_type="pat", credential_token="t",
        scopes=[]))
except AuthenticationError:
    out["bad_secret"] = "AuthenticationError"
r = client.invoke(InvokeParams(tool_name="github", method="PUT", url_path="/repos/acme/app/collaborators/eve",
                               body={"permission": "push"}, credential_type="pat",
                               credential_token=os.environ["T_CRED"], scopes=["repo"]))
out["approval"] = [r.decision, r.approval_id]
print(json.dumps(out))
"""
    cred = github_token()
    out = run_published_sdk(
        script, {"GW": gateway.url, "T_AGENT": team.agent_id, "T_SECRET": team.agent_secret, "T_CRED": cred}
    )
    assert out["allow"][0] == "ALLOW" and out["allow"][1] == 200
    assert out["allow"][2]["status"] == 201
    assert out["bad_secret"] == "AuthenticationError"
    assert out["approval"][0] == "REQUIRE_APPROVAL"
    assert [r["path"] for r in upstream.requests] == ["/repos/acme/app"]
    assert upstream.requests[0]["headers"]["Authorization"] == f"Bearer {cred}"

    approval_id = out["approval"][1]
    gateway.gateway.approvals.decide(approval_id, approve=True, decided_by="alice", reason="ok")
    script2 = """
import os
from interven import AifClient
url = os.environ["GW"]
client = AifClient(gateway_url=url, agent_id=os.environ["T_AGENT"], agent_name="release-bot",
                   agent_secret=os.environ["T_SECRET"], telemetry_url=url)
status = client.wait_for_approval(os.environ["T_ID"], poll_interval=0.1, max_wait=20)
cred = dict(credential_token=os.environ["T_CRED"], credential_type="pat", scopes=["repo"])
first = client.execute_approval(os.environ["T_ID"], **cred)
again = client.execute_approval(os.environ["T_ID"], **cred)
print(json.dumps({"status": status.status, "first": [first.decision, first.http_status],
                  "again": [again.http_status, again.error]}))
"""
    out2 = run_published_sdk(
        script2,
        {
            "GW": gateway.url,
            "T_AGENT": team.agent_id,
            "T_SECRET": team.agent_secret,
            "T_CRED": cred,
            "T_ID": approval_id,
        },
    )
    assert out2["status"] == "approved"
    assert out2["first"] == ["ALLOW", 200]
    assert out2["again"][0] == 409  # single use
    puts = [r for r in upstream.requests if r["method"] == "PUT"]
    assert len(puts) == 1 and json.loads(puts[0]["body"]) == {"permission": "push"}
