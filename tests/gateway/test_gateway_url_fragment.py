"""A URL fragment (``https://x/cb#access_token=…``) is never sent upstream, and never shown to an
approver either: not in the API's JSON, not on the /ui pages, not in what the database holds."""

from __future__ import annotations

import http.client
import json
import os
import secrets

from gw_support import GatewayThread, github_token, post_json
from test_gateway_hmac_invoke import make_client, params

from interven_autoguard.gateway import Client
from interven_autoguard.gateway.config import GatewayConfig

COLLAB = "https://api.github.com/repos/acme/app/collaborators/outsider"


def fragments(token: str) -> list[str]:
    return [
        f"access_token={token}&token_type=bearer",  # OAuth implicit flow: a sensitive name
        f"t={token}&x=1",  # a name no redaction list knows
        token,  # a bare value
        f"/reset/{token}?step=2",  # a hash-router path
    ]


def get(gw: GatewayThread, path: str, token: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    return resp.status, body


def everything_stored(directory: str) -> bytes:
    blob = b""
    for name in os.listdir(directory):
        with open(os.path.join(directory, name), "rb") as fh:
            blob += fh.read()
    return blob


def test_the_approvers_views_never_show_a_fragment(tmp_path, team):
    page_token = secrets.token_urlsafe(24)
    config = GatewayConfig.from_dict(
        team.config_dict(approvals_page_token_env="GW_PAGE_TOKEN"), env={"GW_PAGE_TOKEN": page_token}
    )
    token = github_token()
    store = tmp_path / "db"
    store.mkdir()
    with GatewayThread(config, f"sqlite:///{store}/gw.db") as gw:
        client = Client(api_key=team.api_key, gateway_url=gw.url)
        ids = []
        for i, fragment in enumerate(fragments(token)):
            resp = client.scan(method="PUT", url=f"{COLLAB}#{fragment}", body={"permission": "push", "n": i})
            assert resp.needs_approval and resp.approval_id
            ids.append(resp.approval_id)
        assert len(set(ids)) == len(ids)

        status, listing = get(gw, "/v1/approvals", team.approver_token)
        assert status == 200
        shown = {a["approval_id"]: a for a in json.loads(listing)["approvals"]}
        assert set(ids) <= set(shown)
        views = [listing]
        for approval_id in ids:
            status, one = get(gw, f"/v1/approvals/{approval_id}", team.approver_token)
            assert status == 200
            status, card = get(gw, f"/ui/approvals/{approval_id}", page_token)
            assert status == 200 and "/collaborators/outsider" in card
            views += [one, card]
        status, page = get(gw, "/ui/", page_token)
        assert status == 200 and all(approval_id in page for approval_id in ids)
        views.append(page)
        for view in views:
            assert token not in view and token[:12] not in view
        for approval_id in ids:  # the URL that goes out, and nothing else
            assert shown[approval_id]["url"] == COLLAB

        # Decided through the API: the decision's audit row and the answer hold no fragment either.
        status, decided = post_json(f"{gw.url}/v1/approvals/{ids[1]}/approve", team.approver_token, {})
        assert status == 200 and token not in json.dumps(decided)
        gw.gateway.db.close()
    assert token.encode() not in everything_stored(str(store))


def test_a_held_invoke_request_keeps_no_fragment_and_sends_none(gateway, team, upstream, tmp_path):
    token = github_token()
    client = make_client(gateway, team)
    held = client.invoke(params(method="PUT", url_path=f"/repos/acme/app/collaborators/eve#t={token}",
                                body={"p": "x"}))
    assert held.decision == "REQUIRE_APPROVAL" and held.approval_id
    status, shown = get(gateway, f"/v1/approvals/{held.approval_id}", team.approver_token)
    assert status == 200 and token not in shown
    assert json.loads(shown)["url"].endswith("/repos/acme/app/collaborators/eve")
    row = gateway.gateway.db.fetchone(
        "SELECT payload FROM held_requests WHERE approval_id = ?", (held.approval_id,))
    assert row is not None and token not in row[0]
    status, _ = post_json(f"{gateway.url}/v1/approvals/{held.approval_id}/approve", team.approver_token, {})
    assert status == 200
    assert client.execute_approval(held.approval_id, "tok", "pat", []).decision == "ALLOW"
    assert [r["path"] for r in upstream.requests] == ["/repos/acme/app/collaborators/eve"]
    assert token not in json.dumps(gateway.gateway.audit.rows())
