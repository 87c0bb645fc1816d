"""Refused requests (no key, a wrong key, token or signature) stay visible in the audit trail, but
bounded: one row per (route, source, reason) and window, plus one row carrying the count of the
rest, so hammering the port cannot fill the append-only table or the gateway's memory."""

from __future__ import annotations

import http.client
import json
import secrets
import time
from collections import Counter
from typing import Any

from gw_support import GatewayThread, free_port, start_gateway_process

from interven_autoguard.gateway import Client
from interven_autoguard.gateway.refusals import OTHER_SOURCES, RefusalAudit
from interven_autoguard.gateway.storage import AuditLog, Database

SCAN = json.dumps({"method": "GET", "url": "https://api.example.com/x"}).encode()


def refusal_rows(audit: AuditLog) -> list[dict[str, Any]]:
    return [r for r in audit.rows(100_000) if r["status"] in (400, 401) and r["decision"] is None]


def send(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None,
         token: str | None = None, headers: dict[str, str] | None = None) -> int:
    send_headers = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        send_headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=body, headers=send_headers)
    resp = conn.getresponse()
    resp.read()
    return resp.status


def invoke_body(agent_id: str) -> bytes:
    return json.dumps({
        "tool_name": "github", "upstream_request": {"method": "GET", "url_path": "/repos/acme/app"},
        "agent_context": {"agent_id": agent_id}, "ts": "2030-01-01T00:00:00.000Z",
    }).encode()


def frozen_window(gw: GatewayThread) -> RefusalAudit:
    """The gateway's refusal audit as built, on a clock that stays in one window: a test that runs
    across the turn of a minute sees the same rows as one that does not."""
    built = gw.gateway.refusals
    start = time.time()
    gw.gateway.refusals = RefusalAudit(gw.gateway.audit, window_seconds=built.window,
                                       max_keys=built.max_keys, clock=lambda: start)
    return gw.gateway.refusals


def hammer(gw: GatewayThread, n: int) -> Counter[str]:
    """``n`` refused requests of four kinds; returns how many of each."""
    kinds: Counter[str] = Counter()
    for i in range(n):
        # A connection each (keep-alive here waits on delayed ACKs: ~45 ms a request).
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
        try:
            kind = ("scan", "status", "approver", "invoke")[i % 4]
            if kind == "scan":  # no key at all, or a wrong one
                key = None if i % 8 == 0 else f"iv_live_wrong{i}"
                status = send(conn, "POST", "/v1/scan", SCAN, key)
            elif kind == "status":  # the approval id in the path is the caller's text
                status = send(conn, "GET", f"/v1/approvals/apr_probe{i}x{secrets.token_hex(40)}/status",
                              token="iv_live_wrong")
            elif kind == "approver":
                status = send(conn, "GET", "/v1/approvals", token="apv_wrong" + str(i))
            else:  # an agent id nobody configured, and a long one
                status = send(conn, "POST", "/invoke", invoke_body(f"intruder-{i}-" + "x" * 2000),
                              headers={"X-AIF-Signature": "c2ln"})
            assert status == 401, (kind, status)
            kinds[kind] += 1
        finally:
            conn.close()
    return kinds


def test_a_flood_of_refused_requests_is_a_few_rows_with_the_true_count(gateway, team):
    client = Client(api_key=team.api_key, gateway_url=gateway.url)
    client.scan(method="GET", url="https://api.example.com/before")
    refusals = frozen_window(gateway)
    kinds = hammer(gateway, 500)
    client.scan(method="GET", url="https://api.example.com/after")
    audit = gateway.gateway.audit

    rows = refusal_rows(audit)
    # One row per (route, source, reason) at once: the security team sees each kind immediately.
    assert sorted((r["endpoint"], r["detail"]) for r in rows) == [
        ("/invoke", "unknown agent"),
        ("/v1/approvals", "invalid approver token"),
        ("/v1/approvals/{approval_id}/status", "invalid or missing API key"),
        ("/v1/scan", "invalid or missing API key"),
    ]
    assert all(r["source"] == "127.0.0.1" and r["count"] == 1 and r["agent_id"] is None for r in rows)

    refusals.close()  # what shutdown does; a timer does it when the minute ends
    rows = refusal_rows(audit)
    assert len(rows) <= 8
    assert sum(r["count"] for r in rows) == 500
    per_route = Counter()
    for r in rows:
        per_route[r["endpoint"]] += r["count"]
    assert per_route == {
        "/v1/scan": kinds["scan"],
        "/v1/approvals/{approval_id}/status": kinds["status"],
        "/v1/approvals": kinds["approver"],
        "/invoke": kinds["invoke"],
    }
    assert "apr_probe" not in json.dumps(rows) and "intruder" not in json.dumps(rows)
    # Authenticated traffic is audited as before: one row per scan.
    scans = [r for r in audit.rows() if r["endpoint"] == "/v1/scan" and r["decision"]]
    assert len(scans) == 2
    assert all(r["count"] == 1 and r["key_id"] == "team" and r["source"] is None for r in scans)


def test_rotating_source_addresses_grow_neither_memory_nor_the_table(gateway):
    refusals = frozen_window(gateway)
    sources = [f"127.0.0.{i}" for i in range(2, 122)]
    for _ in range(2):
        for source in sources:  # a fresh connection from each address of 127.0.0.0/8
            conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10,
                                              source_address=(source, 0))
            assert send(conn, "POST", "/v1/scan", SCAN, "iv_live_wrong") == 401
            conn.close()
    assert refusals.tracked() == refusals.max_keys + 1  # 32 sources of their own + "other sources"
    rows = refusal_rows(gateway.gateway.audit)
    assert len(rows) == refusals.max_keys + 1
    assert {r["source"] for r in rows} == set(sources[: refusals.max_keys]) | {OTHER_SOURCES}
    refusals.close()
    rows = refusal_rows(gateway.gateway.audit)
    assert len(rows) <= 2 * (refusals.max_keys + 1)
    assert sum(r["count"] for r in rows) == 2 * len(sources)
    assert sum(r["count"] for r in rows if r["source"] == OTHER_SOURCES) == 2 * (len(sources) - 32)
    assert refusals.tracked() == 0


def test_the_count_is_written_when_the_window_ends(gateway):
    gateway.gateway.refusals = RefusalAudit(gateway.gateway.audit, window_seconds=1.0)
    hammer(gateway, 40)
    # No request comes after the hammer: only the timer can write the last window's count.
    deadline = time.monotonic() + 10
    while sum(r["count"] for r in refusal_rows(gateway.gateway.audit)) < 40:
        assert time.monotonic() < deadline, refusal_rows(gateway.gateway.audit)
        time.sleep(0.1)
    rows = refusal_rows(gateway.gateway.audit)
    assert sum(r["count"] for r in rows) == 40
    repeats = [r for r in rows if r["count"] > 1]
    assert repeats and all("repeats in the 1 s window from" in r["detail"] for r in repeats)
    assert gateway.gateway.refusals.tracked() == 0


def test_a_gateway_process_writes_its_counts_when_it_stops(tmp_path, team):
    config = team.write_toml(str(tmp_path / "gateway.toml"))
    db_url = f"sqlite:///{tmp_path}/gw.db"
    port = free_port()
    proc = start_gateway_process(config, db_url, port, via_cli=True)
    try:
        for i in range(300):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            assert send(conn, "POST", "/v1/scan", SCAN, "iv_live_wrong" + str(i)) == 401
            conn.close()
    finally:
        proc.terminate()  # SIGTERM: uvicorn's graceful shutdown runs the app's lifespan end
        proc.wait(timeout=30)  # uvicorn re-raises SIGTERM after its shutdown: -15 is a clean stop
    rows = refusal_rows(AuditLog(Database(db_url)))
    # A first row and a count per minute the requests spanned (one, or two at the turn of a minute).
    assert 2 <= len(rows) <= 4 and sum(r["count"] for r in rows) == 300


def test_windows_roll_with_exact_counts_and_bounded_state(tmp_path):
    now = [1_000_020.0]
    audit = AuditLog(Database(f"sqlite:///{tmp_path}/unit.db"))
    refusals = RefusalAudit(audit, window_seconds=60, max_keys=4, clock=lambda: now[0])
    for i in range(10_000):
        refusals.refused(endpoint="/v1/scan", source=f"10.0.{i // 256 % 256}.{i % 256}", reason="bad key")
        assert refusals.tracked() <= 5
    assert len(audit.rows()) == 5  # four sources of their own, then everyone else
    now[0] += 60  # the next window: its first refusal writes the last one's counts first
    refusals.refused(endpoint="/v1/scan", source="10.9.9.9", reason="bad key")
    rows = audit.rows()
    assert len(rows) == 5 + 1 + 1  # the overflow's repeats, then the new window's first row
    assert sum(r["count"] for r in rows) == 10_001
    refusals.refused(endpoint="/v1/scan", source="10.9.9.9", reason="bad key")
    refusals.flush()  # the window has not ended: nothing to write yet
    assert sum(r["count"] for r in audit.rows()) == 10_001
    refusals.close()
    assert sum(r["count"] for r in audit.rows()) == 10_002 and refusals.tracked() == 0
