"""GatewayScanner (the guard's scanner in gateway mode) and the approval endpoints, on loopback."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import time

import pytest
from gw_support import GatewayThread, github_token

from interven_autoguard.errors import ScannerError
from interven_autoguard.gateway import Client, GatewayScanner
from interven_autoguard.scanner import APPROVED, DENIED, EXPIRED, Scanner

COLLAB = "https://api.github.com/repos/acme/app/collaborators/outsider"


def scans_audited(gw) -> int:
    return len([r for r in gw.gateway.audit.rows() if r["endpoint"] == "/v1/scan" and r["decision"]])


def approver_call(
    gw, token: str, approval_id: str, action: str, reason: str | None = None
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    body = json.dumps({"reason": reason}).encode() if reason else b""
    conn.request(
        "POST",
        f"/v1/approvals/{approval_id}/{action}",
        body=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    resp = conn.getresponse()
    data = json.loads(resp.read())
    conn.close()
    return resp.status, data


def approver_get(gw, token: str, path: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    conn.close()
    return resp.status, data


def test_gateway_scanner_is_a_scanner(gateway, team):
    scanner = GatewayScanner(api_key=team.api_key, gateway_url=gateway.url)
    assert isinstance(scanner, Scanner) and scanner.name == "gateway"
    assert team.api_key not in repr(scanner)


def test_identical_requests_within_the_window_reuse_the_decision(gateway, team):
    scanner = GatewayScanner(api_key=team.api_key, gateway_url=gateway.url, cache_ttl=30)
    body = {"text": "hello"}
    first = scanner.scan(method="POST", url="https://api.example.com/a", body=body, headers={"X-A": "1"})
    again = scanner.scan(
        method="post", url="https://api.example.com/a", body={"text": "hello"}, headers={"x-a": "1"}
    )
    assert again is first and scanner.gateway_calls == 1 and scans_audited(gateway) == 1
    scanner.scan(
        method="POST", url="https://api.example.com/a", body={"text": "hello!"}, headers={"X-A": "1"}
    )
    scanner.scan(method="POST", url="https://api.example.com/a", body=body, headers={"X-A": "2"})
    assert scanner.gateway_calls == 3 and scans_audited(gateway) == 3


def test_cache_entries_expire(gateway, team):
    scanner = GatewayScanner(api_key=team.api_key, gateway_url=gateway.url, cache_ttl=0.2)
    scanner.scan(method="GET", url="https://api.example.com/b")
    time.sleep(0.3)
    scanner.scan(method="GET", url="https://api.example.com/b")
    assert scanner.gateway_calls == 2


def test_retried_approval_request_does_not_prompt_twice(gateway, team):
    cached = GatewayScanner(api_key=team.api_key, gateway_url=gateway.url)
    a = cached.scan(method="PUT", url=COLLAB, body={"permission": "push"}, request_hash="h1")
    b = cached.scan(method="PUT", url=COLLAB, body={"permission": "push"}, request_hash="h1")
    assert a.needs_approval and a.approval_id == b.approval_id
    # Without a client cache (another process, a restarted agent) the gateway joins the pending approval.
    fresh = GatewayScanner(api_key=team.api_key, gateway_url=gateway.url, cache_ttl=0)
    c = fresh.scan(method="PUT", url=COLLAB, body={"permission": "push"}, request_hash="h1")
    assert c.approval_id == a.approval_id
    assert len(gateway.gateway.approvals.list(state="pending")) == 1


def test_wait_for_approval_releases_once(gateway, team):
    scanner = GatewayScanner(api_key=team.api_key, gateway_url=gateway.url, poll_interval=0.05)
    resp = scanner.scan(method="PUT", url=COLLAB, body={"permission": "push"}, request_hash="h2")
    states: list[str] = []
    timer = threading.Timer(
        0.3, approver_call, (gateway, team.approver_token, resp.approval_id, "approve", "ok")
    )
    timer.start()
    assert (
        scanner.wait_for_approval(resp.approval_id, request_hash="h2", timeout=20, on_state=states.append)
        == APPROVED
    )
    timer.join()
    assert states == ["pending", "approved"]
    assert gateway.gateway.approvals.get(resp.approval_id).state == "executed"
    # Single use: waiting again (a replay) does not release anything.
    assert scanner.wait_for_approval(resp.approval_id, request_hash="h2", timeout=5) == DENIED


def test_approval_bound_to_its_request_hash(gateway, team):
    scanner = GatewayScanner(api_key=team.api_key, gateway_url=gateway.url, poll_interval=0.05)
    resp = scanner.scan(method="PUT", url=COLLAB, body={"permission": "push"}, request_hash="h3")
    approver_call(gateway, team.approver_token, resp.approval_id, "approve")
    assert scanner.wait_for_approval(resp.approval_id, request_hash="other", timeout=5) == DENIED
    assert gateway.gateway.approvals.get(resp.approval_id).state == "approved"  # still unused


def test_denied_expired_and_timeout(tmp_path, team):
    with GatewayThread(team.config(approval_ttl_seconds=0.5), f"sqlite:///{tmp_path}/g.db") as gw:
        scanner = GatewayScanner(api_key=team.api_key, gateway_url=gw.url, poll_interval=0.05, cache_ttl=0)
        denied = scanner.scan(method="PUT", url=COLLAB, body={"p": 1}, request_hash="d")
        approver_call(gw, team.approver_token, denied.approval_id, "deny", "not today")
        assert scanner.wait_for_approval(denied.approval_id, request_hash="d", timeout=5) == DENIED
        expiring = scanner.scan(method="PUT", url=COLLAB, body={"p": 2}, request_hash="e")
        assert scanner.wait_for_approval(expiring.approval_id, request_hash="e", timeout=10) == EXPIRED
        status, data = approver_call(gw, team.approver_token, expiring.approval_id, "approve")
        assert status == 409 and "expired" in data["error"]
    with GatewayThread(team.config(), f"sqlite:///{tmp_path}/h.db") as gw:
        scanner = GatewayScanner(api_key=team.api_key, gateway_url=gw.url, poll_interval=0.05)
        pending = scanner.scan(method="PUT", url=COLLAB, body={"p": 3}, request_hash="t")
        assert scanner.wait_for_approval(pending.approval_id, request_hash="t", timeout=0.3) == EXPIRED
        assert gw.gateway.approvals.get(pending.approval_id).state == "expired"  # cancelled on the gateway


def test_await_approval_does_not_block_the_loop(gateway, team):
    scanner = GatewayScanner(api_key=team.api_key, gateway_url=gateway.url, poll_interval=0.05)
    resp = scanner.scan(method="PUT", url=COLLAB, body={"permission": "push"}, request_hash="h4")

    async def main() -> tuple[str, int]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        loop = asyncio.get_running_loop()
        loop.call_later(
            0.3,
            lambda: threading.Thread(
                target=approver_call, args=(gateway, team.approver_token, resp.approval_id, "approve")
            ).start(),
        )
        result = await scanner.await_approval(resp.approval_id, request_hash="h4", timeout=20)
        done.set()
        await task
        return result, ticks

    result, ticks = asyncio.run(main())
    assert result == APPROVED and ticks > 5


def test_gateway_failures_raise_scanner_error(gateway, team):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    with pytest.raises(ScannerError):
        GatewayScanner(api_key=team.api_key, gateway_url=f"http://127.0.0.1:{dead}", timeout=2).scan(
            method="GET", url="https://api.example.com/"
        )
    with pytest.raises(ScannerError):
        GatewayScanner(api_key="iv_wrong", gateway_url=gateway.url).scan(
            method="GET", url="https://x.example/"
        )
    with pytest.raises(ScannerError):
        GatewayScanner(api_key="", gateway_url=gateway.url)


def test_body_over_the_gateway_limit_is_denied_without_sending(gateway, team):
    scanner = GatewayScanner(api_key=team.api_key, gateway_url=gateway.url)
    resp = scanner.scan(method="POST", url="https://api.example.com/u", body=b"x" * (300 * 1024))
    assert resp.blocked and resp.reason_codes == ["BODY_TOO_LARGE"]
    assert scans_audited(gateway) == 0


def test_approver_endpoints_need_an_approver_token(gateway, team):
    token = github_token()
    client = Client(api_key=team.api_key, gateway_url=gateway.url)
    resp = client.scan(
        method="PUT",
        url=COLLAB,
        body={"permission": "push", "note": f"key {token}"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.needs_approval
    # Agent keys cannot decide; approver tokens cannot scan.
    assert approver_call(gateway, team.api_key, resp.approval_id, "approve")[0] == 401
    assert approver_get(gateway, team.api_key, "/v1/approvals")[0] == 401
    status, listing = approver_get(gateway, team.approver_token, "/v1/approvals?state=pending")
    assert status == 200 and [a["approval_id"] for a in listing["approvals"]] == [resp.approval_id]
    status, shown = approver_get(gateway, team.approver_token, f"/v1/approvals/{resp.approval_id}")
    assert status == 200 and shown["method"] == "PUT"
    assert token not in json.dumps(shown)  # masked for the human
    status, decided = approver_call(gateway, team.approver_token, resp.approval_id, "approve", "contractor")
    assert status == 200 and decided["status"] == "approved" and decided["decided_by"] == "alice"
    assert approver_call(gateway, team.approver_token, resp.approval_id, "deny")[0] == 409
    assert approver_call(gateway, team.approver_token, "no-such-id", "approve")[0] == 404
    # Only the key that caused an approval can poll it.
    assert client.poll_approval(resp.approval_id).status == "approved"
    other = Client(api_key=team.other_key, gateway_url=gateway.url)
    assert other.poll_approval(resp.approval_id).status == "not_found"  # not its approval: 404


def test_consume_is_single_use_and_key_scoped(gateway, team):
    client = Client(api_key=team.api_key, gateway_url=gateway.url)
    resp = client.scan(method="PUT", url=COLLAB, body={"permission": "pull"}, request_hash="h5")
    approver_call(gateway, team.approver_token, resp.approval_id, "approve")
    other = Client(api_key=team.other_key, gateway_url=gateway.url)
    with pytest.raises(Exception) as info:
        other.consume_approval(resp.approval_id, request_hash="h5")
    assert getattr(info.value, "status", None) == 404
    assert client.consume_approval(resp.approval_id, request_hash="wrong") is False
    assert client.consume_approval(resp.approval_id, request_hash="h5") is True
    assert client.consume_approval(resp.approval_id, request_hash="h5") is False


def test_scanner_from_settings_as_install_builds_it(gateway, team):
    from interven_autoguard.config import Settings
    from interven_autoguard.gateway.client import GatewayScanner as ViaClientModule

    settings = Settings.from_env({}, api_key=team.api_key, gateway_url=gateway.url, agent_id="a-9")
    for scanner in (ViaClientModule(settings), GatewayScanner.from_settings(settings)):
        assert scanner.client.gateway_url == gateway.url and scanner.client.agent_id == "a-9"
        assert scanner.scan(method="GET", url="https://api.example.com/s").allowed


def test_approvals_web_page_is_served_by_the_gateway(tmp_path, team):
    import secrets as _secrets

    from interven_autoguard.gateway.config import GatewayConfig

    page_token = _secrets.token_urlsafe(24)
    data = team.config_dict(approvals_page_token_env="GW_PAGE_TOKEN")
    config = GatewayConfig.from_dict(data, env={"GW_PAGE_TOKEN": page_token})
    with GatewayThread(config, f"sqlite:///{tmp_path}/ui.db") as gw:
        token = github_token()
        resp = Client(api_key=team.api_key, gateway_url=gw.url).scan(
            method="PUT", url=COLLAB, body={"permission": "push", "note": token}
        )
        assert resp.needs_approval

        def get(path: str, auth: str | None) -> tuple[int, str]:
            conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
            conn.request("GET", path, headers={"Authorization": f"Bearer {auth}"} if auth else {})
            r = conn.getresponse()
            body = r.read().decode()
            conn.close()
            return r.status, body

        assert get("/ui/", None)[0] == 401
        assert get("/ui/", "wrong-token-wrong-token")[0] == 403
        status, html = get("/ui/", page_token)
        assert status == 200 and resp.approval_id in html
        status, card = get(f"/ui/approvals/{resp.approval_id}", page_token)
        assert status == 200 and "PUT" in card and token not in card

        # A decision on the page is audited like one through the API (the name as typed on the
        # page, the credential being the page's shared token).
        import re
        from urllib.parse import urlencode

        csrf = re.search(r'name="csrf" value="([^"]+)"', card).group(1)
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
        conn.request("POST", f"/ui/approvals/{resp.approval_id}/deny",
                     body=urlencode({"csrf": csrf, "reason": "not this week", "by": "alice"}),
                     headers={"Authorization": f"Bearer {page_token}",
                              "Content-Type": "application/x-www-form-urlencoded"})
        assert conn.getresponse().status == 303
        conn.close()
        rows = [r for r in gw.gateway.audit.rows() if r["approval_id"] == resp.approval_id]
        decided = [r for r in rows if r["endpoint"] == "/ui/decide"]
        assert len(decided) == 1 and decided[0]["decision"] == "DENIED"
        assert decided[0]["key_id"] == "approvals-page" and "alice (web)" in decided[0]["detail"]
        assert token not in str(rows)


def test_an_approval_the_gateway_no_longer_knows_is_blocked_at_once(gateway, team):
    """Purged, or the database swapped: waiting out the approval timeout (an hour by default) for
    a decision that cannot come used to hold the guarded call."""
    import time as _time

    from interven_autoguard.gateway.scanner import GatewayScanner
    from interven_autoguard.scanner import DENIED

    scanner = GatewayScanner(api_key=team.api_key, gateway_url=gateway.url, poll_interval=0.05)
    assert scanner.client.poll_approval("apr_gone0000").status == "not_found"
    started = _time.monotonic()
    assert scanner.wait_for_approval("apr_gone0000", request_hash="0" * 64, timeout=30) == DENIED
    assert _time.monotonic() - started < 25  # decided by the answer, not by the timeout
