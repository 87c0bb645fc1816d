"""Every library × every decision, over real loopback HTTP, asserting on the bytes received."""

from __future__ import annotations

import json

import pytest
from guard_clients import DRIVERS, Driver
from guardkit import MARKER, REPLACEMENT, RecordingServer, RuleScanner

import interven_autoguard
from interven_autoguard import RequestBlocked
from interven_autoguard.guard.core import internal_call, request_hash

BODY = json.dumps({"prompt": "hello " * 160, "n": 1}).encode()  # ~1 KB JSON
HEADERS = {"Content-Type": "application/json", "X-Agent": "demo"}

pytestmark = pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])


def _comparable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k.lower(), v) for k, v in headers]


def test_allow_sends_the_request_byte_identical_to_unguarded(driver: Driver, server: RecordingServer,
                                                              scanner: RuleScanner, guard_on) -> None:
    driver.send("POST", server.url("/ok?q=1"), BODY, HEADERS)
    unguarded = server.last()
    guard_on()
    assert driver.send("POST", server.url("/ok?q=1"), BODY, HEADERS) == 200
    guarded = server.last()
    assert guarded.body == unguarded.body == BODY
    assert guarded.target == unguarded.target == "/ok?q=1"
    assert _comparable(guarded.headers) == _comparable(unguarded.headers)
    [call] = scanner.calls
    assert call.method == "POST" and call.url == server.url("/ok?q=1") and call.body == BODY
    assert call.request_hash == request_hash("POST", call.url, call.headers, BODY)


def test_sanitize_rewrites_body_query_headers_and_content_length(driver: Driver, server: RecordingServer,
                                                                 guard_on) -> None:
    guard_on()
    body = json.dumps({"key": MARKER, "pad": "x" * 300}).encode()
    status = driver.send("POST", server.url(f"/ok?token={MARKER}"), body, {**HEADERS, "X-Key": MARKER})
    assert status == 200
    got = server.last()
    assert MARKER.encode() not in got.body and REPLACEMENT.encode() in got.body
    assert got.body == body.replace(MARKER.encode(), REPLACEMENT.encode())
    assert MARKER not in got.target and "REDACTED" in got.target
    assert got.header("x-key") == REPLACEMENT
    assert got.header_count("content-length") == 1
    assert int(got.header("content-length") or -1) == len(got.body)
    assert got.header("transfer-encoding") is None and got.chunks is None


def test_deny_raises_before_any_connection(driver: Driver, server: RecordingServer, guard_on) -> None:
    guard_on()
    before = server.connections
    with pytest.raises(driver.library_error()) as caught:
        driver.send("POST", server.url(f"/deny/x?key={MARKER}"), BODY, HEADERS)
    blocked = driver.blocked(caught.value)
    assert blocked.decision == "DENY" and blocked.reason_codes == ["POLICY_RULE"]
    assert blocked.method == "POST" and blocked.trace_id == "t-deny"
    assert blocked.url is not None and MARKER not in blocked.url and MARKER not in str(blocked)
    assert server.connections == before and server.requests == []


def test_blocked_error_is_caught_by_the_library_own_except(driver: Driver, server: RecordingServer,
                                                           guard_on) -> None:
    guard_on()
    try:
        driver.send("GET", server.url("/deny"))
    except driver.library_error() as exc:  # the agent's existing handler
        assert isinstance(driver.blocked(exc), RequestBlocked)
    else:
        pytest.fail("not blocked")


def test_approved_request_is_sent_and_bound_to_its_hash(driver: Driver, server: RecordingServer,
                                                        scanner: RuleScanner, guard_on) -> None:
    guard_on()
    assert driver.send("POST", server.url("/approve/pay"), BODY, HEADERS) == 200
    assert server.last().body == BODY
    [(approval_id, bound_hash)] = scanner.approvals
    assert approval_id == "ap-1" and bound_hash == scanner.calls[0].request_hash


@pytest.mark.parametrize("state", ["denied", "expired"])
def test_denied_or_expired_approval_blocks(driver: Driver, state: str, server: RecordingServer,
                                           scanner: RuleScanner, guard_on) -> None:
    scanner.approval_state = state
    guard_on()
    with pytest.raises(driver.library_error()) as caught:
        driver.send("POST", server.url("/approve/pay"), BODY, HEADERS)
    blocked = driver.blocked(caught.value)
    assert blocked.decision == "REQUIRE_APPROVAL" and blocked.approval_id == "ap-1"
    assert state in str(blocked)
    assert server.connections == 0


def test_approval_that_cannot_be_resolved_fails_closed(driver: Driver, server: RecordingServer,
                                                       scanner: RuleScanner, guard_on) -> None:
    scanner.approvals_supported = False
    guard_on()
    with pytest.raises(driver.library_error()):
        driver.send("POST", server.url("/approve/pay"), BODY, HEADERS)
    assert server.connections == 0


def test_scanner_error_fails_closed(driver: Driver, server: RecordingServer, guard_on) -> None:
    guard_on()
    with pytest.raises(driver.library_error()) as caught:
        driver.send("POST", server.url("/explode"), BODY, HEADERS)
    blocked = driver.blocked(caught.value)
    assert blocked.reason_codes == ["SCANNER_ERROR"] and "RuntimeError" in str(blocked)
    assert "exploded" not in str(blocked)  # the scanner's message is not echoed
    assert server.connections == 0


def test_fail_open_sends_when_the_scanner_errors(driver: Driver, server: RecordingServer, guard_on) -> None:
    guard_on(fail_open=True)
    assert driver.send("POST", server.url("/explode"), BODY, HEADERS) == 200
    assert server.last().body == BODY


def test_monitor_mode_never_blocks_or_modifies(driver: Driver, server: RecordingServer,
                                               scanner: RuleScanner, guard_on) -> None:
    guard_on(mode="monitor")
    body = json.dumps({"key": MARKER}).encode()
    assert driver.send("POST", server.url("/deny"), body, HEADERS) == 200
    assert server.last().body == body
    assert driver.send("POST", server.url("/approve"), body, HEADERS) == 200
    assert scanner.approvals == []  # monitor mode never waits for a human
    assert len(scanner.calls) == 2


def test_excluded_hosts_and_internal_calls_bypass_the_guard(driver: Driver, server: RecordingServer,
                                                            scanner: RuleScanner, guard_on) -> None:
    guard_on()
    with internal_call():
        assert driver.send("GET", server.url("/deny")) == 200
    interven_autoguard.install(exclude_hosts=("127.0.0.*",), scanner=scanner)
    assert driver.send("GET", server.url("/deny")) == 200
    assert scanner.calls == []


def test_a_refused_approval_is_not_asked_again_by_a_retry_loop(driver: Driver, server: RecordingServer,
                                                               scanner: RuleScanner, guard_on) -> None:
    scanner.approval_state = "denied"
    guard_on()
    for _ in range(3):  # what tenacity / an SDK's retry loop does
        with pytest.raises(driver.library_error()) as caught:
            driver.send("POST", server.url("/approve/pay"), BODY, HEADERS)
    assert "remembered" in str(driver.blocked(caught.value))
    assert len(scanner.approvals) == 1 and len(scanner.calls) == 1
    with pytest.raises(driver.library_error()):
        driver.send("POST", server.url("/approve/other"), BODY, HEADERS)  # a different request
    assert len(scanner.approvals) == 2  # ... is asked about



def test_otlp_exporter_endpoints_are_not_scanned(driver: Driver, server: RecordingServer,
                                                 scanner: RuleScanner, guard_on, monkeypatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", server.url("/deny/v1/traces"))
    guard_on()
    assert driver.send("POST", server.url("/deny/v1/traces"), b"spans") == 200
    assert scanner.calls == []
    # The agent's own calls to the collector's host and port are still scanned (and here denied).
    with pytest.raises(driver.library_error()):
        driver.send("POST", server.url("/deny/api/events"), b"data")
    assert len(scanner.calls) == 1
