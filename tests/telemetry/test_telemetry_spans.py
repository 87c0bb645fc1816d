"""One span per decision, for every decision, approval state and layer, with the SDK's in-memory exporter."""

from __future__ import annotations

import contextlib
import logging

import otel_harness
import pytest
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from interven_autoguard import telemetry
from interven_autoguard.errors import RequestBlocked
from interven_autoguard.model import Finding, ScanResponse

LAYERS = ["requests", "urllib3", "httpx", "httpx2", "http.client", "aiohttp"]
URL = "http://127.0.0.1:8123/v1/chat?model=x"


@pytest.fixture
def otel() -> otel_harness.Harness:
    h = otel_harness.sdk()
    h.clear()
    return h


def _response(decision: str, **kw: object) -> ScanResponse:
    table: dict[str, dict[str, object]] = {
        "ALLOW": {},
        "SANITIZE": {
            "reason_codes": ["SECRET_DETECTED", "PII_DETECTED"],
            "risk_score": 0.7,
            "risk_band": "HIGH",
            "findings": [
                Finding("github_pat", "secrets", "secret", "body$.token", 10, 50, "h1", redacted=True),
                Finding("us_ssn", "pii", "pii", "body$.note", 3, 14, "h2", redacted=True),
                Finding("us_ssn", "pii", "pii", "query:q", 0, 11, "h3", redacted=True),
            ],
        },
        "DENY": {"reason_codes": ["SSRF_METADATA"], "risk_score": 1.0, "risk_band": "CRITICAL",
                 "findings": [Finding("cloud_metadata", "dest", "destination", "url")]},
        "REQUIRE_APPROVAL": {"reason_codes": ["APPROVAL_REQUIRED"], "risk_score": 0.5, "risk_band": "MEDIUM",
                             "approval_id": "apr_123"},
    }
    fields = {**table[decision], **kw}
    return ScanResponse(decision=decision, trace_id="trc_abc", policy_version="p1", **fields)  # type: ignore[arg-type]


def _only(otel: otel_harness.Harness):
    spans = otel.guard_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("decision", ["ALLOW", "SANITIZE", "DENY", "REQUIRE_APPROVAL"])
def test_one_span_per_decision_and_layer(otel, decision, layer):
    with telemetry.guard_span("post", URL, layer=layer, scanner="embedded") as ds:
        ds.record_decision(_response(decision), mode="enforce", enforced=decision)
        if decision != "DENY":
            ds.record_response(200)
    span = _only(otel)
    a = span.attributes
    assert span.name == "interven.guard POST"
    assert a["interven.decision"] == decision
    assert a["interven.mode"] == "enforce"
    assert "interven.would_be_decision" not in a
    assert a["interven.layer"] == layer
    assert a["interven.scanner"] == "embedded"
    assert a["http.request.method"] == "POST"
    assert a["url.full"] == "http://127.0.0.1:8123/v1/chat?model=REDACTED"
    assert a["server.address"] == "127.0.0.1"
    assert a["server.port"] == 8123
    assert a["interven.trace_id"] == "trc_abc"
    assert a["interven.policy_version"] == "p1"
    expected = _response(decision)
    # Lists are left out when empty (an ALLOW has no reasons and no findings).
    assert list(a.get("interven.reason_codes", [])) == expected.reason_codes
    assert ("interven.reason_codes" in a) is bool(expected.reason_codes)
    assert a["interven.risk_score"] == expected.risk_score
    assert a["interven.risk_band"] == expected.risk_band
    assert a["interven.findings.count"] == len(expected.findings)
    assert list(a.get("interven.findings.types", [])) == sorted({f.type for f in expected.findings})
    assert ("interven.findings.categories" in a) is bool(expected.findings)
    assert a["interven.redactions"] == sum(f.redacted for f in expected.findings)
    if decision == "DENY":
        assert span.status.status_code is StatusCode.ERROR
        assert "SSRF_METADATA" in (span.status.description or "")
        assert "http.response.status_code" not in a
    else:
        assert span.status.status_code is StatusCode.UNSET
        assert a["http.response.status_code"] == 200
    if decision == "REQUIRE_APPROVAL":
        assert a["interven.approval_id"] == "apr_123"


@pytest.mark.parametrize(
    ("states", "final_error"),
    [
        (["pending", "approved"], False),
        (["pending", "denied"], True),
        (["pending", "expired"], True),
    ],
)
def test_approval_states_are_events_and_blocked_ones_are_errors(otel, states, final_error):
    with telemetry.guard_span("POST", URL, layer="requests", scanner="embedded") as ds:
        ds.record_decision(_response("REQUIRE_APPROVAL"), mode="enforce", enforced="REQUIRE_APPROVAL")
        for state in states:
            ds.approval_event(state, "apr_123")
        if not final_error:
            ds.record_response(201)
    span = _only(otel)
    events = [e for e in span.events if e.name == "interven.approval"]
    assert [e.attributes["interven.approval.state"] for e in events] == states
    assert all(e.attributes["interven.approval_id"] == "apr_123" for e in events)
    assert span.attributes["interven.approval.state"] == states[-1]
    if final_error:
        assert span.status.status_code is StatusCode.ERROR
        assert states[-1] in (span.status.description or "")
    else:
        assert span.status.status_code is StatusCode.UNSET
        assert span.attributes["http.response.status_code"] == 201


def test_monitor_mode_records_the_would_be_decision_and_is_not_an_error(otel):
    meta = "http://169.254.169.254/latest"
    with telemetry.guard_span("GET", meta, layer="urllib3", scanner="embedded") as ds:
        ds.record_decision(_response("DENY"), mode="monitor", enforced="ALLOW")
    a = _only(otel).attributes
    assert a["interven.decision"] == "ALLOW"
    assert a["interven.mode"] == "monitor"
    assert a["interven.would_be_decision"] == "DENY"
    assert _only(otel).status.status_code is StatusCode.UNSET


def test_span_is_parented_to_the_current_span(otel):
    tracer = trace.get_tracer("agent")
    with tracer.start_as_current_span("tool.call") as parent:
        with telemetry.guard_span("GET", URL, layer="httpx", scanner="gateway") as ds:
            ds.record_decision(_response("ALLOW", scanner="gateway"), mode="enforce", enforced="ALLOW")
    span = _only(otel)
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert span.context.trace_id == parent.get_span_context().trace_id


def test_the_guard_span_is_current_while_the_request_is_sent_and_ended_after(otel):
    """What the HTTP client does inside the hop (its own instrumentation's span, propagation
    headers) belongs to the guard span; the caller's span is current again afterwards, also when
    the send raised."""
    tracer = trace.get_tracer("agent")
    with tracer.start_as_current_span("tool.call") as parent:
        for failing in (False, True):
            with contextlib.suppress(ConnectionError):
                with telemetry.guard_span("GET", URL, layer="httpx", scanner="embedded") as ds:
                    ds.record_decision(_response("ALLOW"), mode="enforce", enforced="ALLOW")
                    assert trace.get_current_span() is ds.span
                    with tracer.start_as_current_span("http.client"):
                        if failing:
                            raise ConnectionError("refused")
            assert trace.get_current_span() is parent
    guard_spans = otel.guard_spans()
    assert len(guard_spans) == 2 and all(s.end_time is not None for s in guard_spans)
    children = [s for s in otel.exporter.get_finished_spans() if s.name == "http.client"]
    assert [c.parent.span_id for c in children] == [s.context.span_id for s in guard_spans]


def test_blocked_request_raised_inside_span_records_type_not_message(otel):
    exc = RequestBlocked(decision="DENY", reason_codes=["EXFIL_DESTINATION"], method="POST", url=URL)
    with pytest.raises(RequestBlocked):
        with telemetry.guard_span("POST", URL, layer="requests", scanner="embedded") as ds:
            ds.record_decision(_response("DENY", reason_codes=["EXFIL_DESTINATION"]), mode="enforce",
                               enforced="DENY")
            raise exc
    span = _only(otel)
    assert span.attributes["error.type"] == "interven_autoguard.errors.RequestBlocked"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "blocked by interven-autoguard: EXFIL_DESTINATION"
    assert not [e for e in span.events if e.name == "exception"]


def test_transport_error_and_http_error_status(otel):
    with pytest.raises(ConnectionResetError):
        with telemetry.guard_span("GET", URL, layer="http.client", scanner="embedded") as ds:
            ds.record_decision(_response("ALLOW"), mode="enforce", enforced="ALLOW")
            raise ConnectionResetError("peer reset")
    span = _only(otel)
    assert span.attributes["error.type"] == "ConnectionResetError"
    assert span.status.status_code is StatusCode.ERROR
    otel.clear()
    with telemetry.guard_span("GET", URL, layer="http.client", scanner="embedded") as ds:
        ds.record_decision(_response("ALLOW"), mode="enforce", enforced="ALLOW")
        ds.record_response(503)
    span = _only(otel)
    assert span.attributes["http.response.status_code"] == 503
    assert "error.type" not in span.attributes  # the server answered; the guard span did not fail
    assert span.status.status_code is StatusCode.UNSET


def test_scan_span_for_direct_scan_calls(otel):
    with telemetry.scan_span("POST", URL, scanner="embedded") as ds:
        ds.record_decision(_response("SANITIZE"), mode="enforce", enforced="SANITIZE")
    span = _only(otel)
    assert span.name == "interven.scan POST"
    assert span.attributes["interven.layer"] == "scan"
    assert span.attributes["interven.decision"] == "SANITIZE"


@pytest.mark.parametrize(("would_be", "level"), [("ALLOW", logging.INFO), ("SANITIZE", logging.WARNING),
                                               ("DENY", logging.WARNING)])
def test_monitor_mode_warns_about_what_it_let_through(otel, caplog, would_be, level):
    """Monitor mode sends everything unchanged: what enforce would have redacted went out as is."""
    caplog.set_level(logging.DEBUG, logger="interven_autoguard")
    with telemetry.guard_span("POST", URL, layer="requests", scanner="embedded") as ds:
        ds.record_decision(_response(would_be), mode="monitor", enforced="ALLOW")
    (record,) = [r for r in caplog.records if r.name == "interven_autoguard"]
    assert record.levelno == level


def test_scan_inside_a_guard_span_does_not_open_a_second_span(otel):
    with telemetry.guard_span("POST", URL, layer="requests", scanner="embedded") as outer:
        with telemetry.scan_span("POST", URL) as inner:
            inner.record_decision(_response("DENY"), mode="enforce", enforced="DENY")
        outer.record_decision(_response("ALLOW"), mode="enforce", enforced="ALLOW")
    span = _only(otel)
    assert span.name == "interven.guard POST"
    assert span.attributes["interven.decision"] == "ALLOW"


def test_one_log_record_per_decision(otel, caplog):
    caplog.set_level(logging.DEBUG, logger="interven_autoguard")
    for decision in ("ALLOW", "SANITIZE", "DENY"):
        with telemetry.guard_span("POST", URL, layer="requests", scanner="embedded") as ds:
            ds.record_decision(_response(decision), mode="enforce", enforced=decision)
    records = [r for r in caplog.records if r.name == "interven_autoguard"]
    assert [r.interven["interven.decision"] for r in records] == ["ALLOW", "SANITIZE", "DENY"]
    # A SANITIZE changed what was sent: a WARNING, like a block.
    assert [r.levelno for r in records] == [logging.INFO, logging.WARNING, logging.WARNING]
    deny = records[-1]
    assert "decision=DENY" in deny.getMessage() and "SSRF_METADATA" in deny.getMessage()
    assert deny.interven["url.full"] == "http://127.0.0.1:8123/v1/chat?model=REDACTED"
    assert deny.interven["interven.layer"] == "requests"


def test_no_span_means_no_record_when_nothing_was_decided(otel, caplog):
    caplog.set_level(logging.DEBUG, logger="interven_autoguard")
    with telemetry.guard_span("GET", URL, layer="requests", scanner="embedded"):
        pass
    assert not [r for r in caplog.records if r.name == "interven_autoguard"]
    assert len(otel.guard_spans()) == 1


def test_decision_counter_and_latency_histogram(otel):
    if otel.reader is None:
        pytest.skip("another test installed the global MeterProvider first")

    def count(decision: str, reason: str) -> int:
        return sum(
            p.value for p in otel.metric_points("interven.decisions")
            if p.attributes["interven.decision"] == decision and p.attributes["interven.reason"] == reason
        )

    before_deny = count("DENY", "SSRF_METADATA")
    before_sanitize = count("SANITIZE", "PII_DETECTED,SECRET_DETECTED")
    for decision in ("DENY", "DENY", "SANITIZE"):
        with telemetry.guard_span("POST", URL, layer="httpx", scanner="embedded") as ds:
            ds.record_decision(_response(decision), mode="enforce", enforced=decision, latency_s=0.25)
    assert count("DENY", "SSRF_METADATA") == before_deny + 2
    assert count("SANITIZE", "PII_DETECTED,SECRET_DETECTED") == before_sanitize + 1
    hist = [p for p in otel.metric_points("interven.scan.duration")
            if p.attributes["interven.layer"] == "httpx"]
    assert hist and sum(p.count for p in hist) >= 3
    assert any(p.max == pytest.approx(0.25) for p in hist)


def test_decision_counter_loses_no_count_under_threads(otel):
    if otel.reader is None:
        pytest.skip("another test installed the global MeterProvider first")
    import threading

    def count() -> int:
        return sum(p.value for p in otel.metric_points("interven.decisions")
                   if p.attributes["interven.layer"] == "threads")

    before = count()

    def decide() -> None:
        for _ in range(200):
            with telemetry.guard_span("GET", URL, layer="threads", scanner="embedded") as ds:
                ds.record_decision(_response("ALLOW"), mode="enforce", enforced="ALLOW")

    threads = [threading.Thread(target=decide) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count() == before + 1600


def test_without_sdk_spans_are_non_recording_and_cheap():
    # A fresh tracer from a bare API provider: the no-op path must still accept every call.
    tracer = trace.NoOpTracerProvider().get_tracer("x")
    span = tracer.start_span("s")
    ds = telemetry.DecisionSpan(span, "post", URL, {"interven.layer": "requests"}, kind="guard")
    ds.record_decision(_response("DENY"), mode="enforce", enforced="DENY")
    ds.approval_event("denied", "apr_1")
    ds.record_response(200)
    assert not span.is_recording()
    assert ds.attributes["interven.decision"] == "DENY"
    assert ds.attributes["url.full"].endswith("?model=REDACTED")


@pytest.mark.parametrize(("final", "enforced"), [("approved", "ALLOW"), ("denied", "DENY"),
                                                 ("expired", "DENY"), ("unavailable", "DENY")])
def test_guard_approval_sequence(otel, final, enforced):
    # The guard's order: the scanner says REQUIRE_APPROVAL, states arrive while it waits, then it
    # records what it did (ALLOW if approved, DENY otherwise).
    with telemetry.guard_span("PUT", URL, layer="httpx", scanner="embedded") as ds:
        ds.approval_event("pending", "apr_123")
        ds.approval_event(final, "apr_123")
        ds.record_decision(_response("REQUIRE_APPROVAL"), mode="enforce", enforced=enforced)
    span = _only(otel)
    a = span.attributes
    assert a["interven.decision"] == enforced
    assert a["interven.would_be_decision"] == "REQUIRE_APPROVAL"
    assert a["interven.approval_id"] == "apr_123"
    assert a["interven.approval.state"] == final
    assert [e.attributes["interven.approval.state"] for e in span.events] == ["pending", final]
    expected = StatusCode.UNSET if enforced == "ALLOW" else StatusCode.ERROR
    assert span.status.status_code is expected
