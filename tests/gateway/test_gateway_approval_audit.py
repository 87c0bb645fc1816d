"""Audit records of an approval's life (approve, execute) keep no finding and no query value."""

from __future__ import annotations

from gw_support import post_json, ssn
from test_gateway_hmac_invoke import make_client, params


def test_approve_and_execute_audit_the_redacted_url(gateway, team, upstream):
    number = ssn()
    client = make_client(gateway, team)
    # "n<ssn>" is not detected as an SSN: only the audit's own rule (no query values) hides it.
    path = f"/repos/acme/app/collaborators/{number}?note=n{number}"
    held = client.invoke(params(method="PUT", url_path=path, body={"p": "x"}))
    assert held.decision == "REQUIRE_APPROVAL" and held.approval_id
    status, _ = post_json(f"{gateway.url}/v1/approvals/{held.approval_id}/approve", team.approver_token, {})
    assert status == 200
    done = client.execute_approval(held.approval_id, "tok", "pat", [])
    assert done.decision == "ALLOW"
    # Sent as the approver saw it: the SSN the policy redacts is redacted (the query's "n<ssn>" is
    # no SSN, so it stays).
    assert [r["path"] for r in upstream.requests] == [
        f"/repos/acme/app/collaborators/[REDACTED:US_SSN]?note=n{number}"]

    rows = {r["endpoint"]: r for r in gateway.gateway.audit.rows()}
    for endpoint in ("/v1/approvals/decide", "/approvals/execute"):
        row = rows[endpoint]
        assert number not in str(row)
        assert row["url"].endswith("/repos/acme/app/collaborators/[REDACTED:US_SSN]?note=***")
