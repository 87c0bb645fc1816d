"""Planted secrets and PII never reach a span attribute, event, status, log record or metric."""

from __future__ import annotations

import io
import logging
import secrets
import string

import otel_harness
import pytest
from hypothesis import given
from hypothesis import strategies as st

from interven_autoguard import telemetry
from interven_autoguard.errors import RequestBlocked
from interven_autoguard.model import Finding, ScanResponse


def _planted() -> dict[str, str]:
    # Built at run time so that the repository itself carries no credential-shaped literal.
    body = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))
    return {
        "github": "ghp_" + body,
        "ssn": "-".join(["5" + "12", "4" + "4", "9" + "321"]),
        "email": "jane.roe." + secrets.token_hex(3) + "@example.com",
        "password": "pw" + secrets.token_hex(8),
        "bot": "bot" + secrets.token_hex(4) + ":" + secrets.token_urlsafe(24),
    }


@pytest.fixture
def otel() -> otel_harness.Harness:
    h = otel_harness.sdk()
    h.clear()
    return h


def _everything_recorded(otel: otel_harness.Harness, log_text: str) -> str:
    parts = [log_text]
    for span in otel.guard_spans():
        parts.append(span.to_json())
        parts.append(span.status.description or "")
    if otel.reader is not None:
        data = otel.reader.get_metrics_data()
        parts.append(data.to_json() if data else "")
    return "\n".join(parts)


def test_planted_values_never_recorded(otel):
    p = _planted()
    url = (f"https://svc:{p['password']}@api.example.test:8443/{p['bot']}/send"
           f"?token={p['github']}&ssn={p['ssn']}&email={p['email']}#{p['ssn']}")
    findings = [
        Finding("github_pat", "secrets", "secret", "query:token", 0, 40, "3f2a", redacted=True),
        Finding("us_ssn", "pii", "pii", "query:ssn", 0, 11, "9b1c", redacted=True),
        Finding("email", "pii", "pii", "body$.user", 0, 20, "77aa", redacted=True),
    ]
    response = ScanResponse(
        decision="DENY", reason_codes=["SECRET_DETECTED", "PII_DETECTED"], risk_score=0.95,
        risk_band="CRITICAL", findings=findings, trace_id="trc_1",
        # Fields the telemetry must never copy: they may hold request material.
        sanitized_body={"user": p["email"], "token": p["github"]},
        sanitized_url=url, sanitized_headers={"authorization": "Bearer " + p["github"]},
        raw={"echo": p["ssn"]},
    )

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(interven)s"))
    log = logging.getLogger("interven_autoguard")
    log.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.DEBUG)
    try:
        # A DENY through the guard, with the library's own error message embedding the URL.
        with pytest.raises(ConnectionError):
            with telemetry.guard_span("POST", url, layer="requests", scanner="embedded") as ds:
                ds.record_decision(response, mode="enforce", enforced="DENY")
                ds.approval_event("denied", "apr_9")
                raise ConnectionError(f"Max retries exceeded with url: {url} (token={p['github']})")
        # The same as a direct scan in monitor mode, and a blocked request exception.
        with pytest.raises(RequestBlocked):
            with telemetry.scan_span("GET", url) as ds:
                ds.record_decision(response, mode="monitor", enforced="ALLOW")
                ds.record_response(418)
                raise RequestBlocked(decision="DENY", reason_codes=["SECRET_DETECTED"], method="GET",
                                     url=telemetry.redact_url(url))
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)

    recorded = _everything_recorded(otel, stream.getvalue())
    assert len(otel.guard_spans()) == 2
    assert "REDACTED" in recorded  # the URL is there, in its redacted form
    for name, value in p.items():
        assert value not in recorded, f"planted {name} leaked"
    # Neither the sanitized material nor pieces of the secret (the 36-character tail) leak.
    assert p["github"][4:] not in recorded
    assert p["ssn"].replace("-", "") not in recorded


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/a?b=c", "http://127.0.0.1:8080/a?b=REDACTED"),
        ("https://user:pw@example.test/x", "https://REDACTED:REDACTED@example.test/x"),
        ("https://user@example.test/x", "https://REDACTED:REDACTED@example.test/x"),
        ("http://[::1]:9/p?x=1&y=&flag", "http://[::1]:9/p?x=REDACTED&y=REDACTED&flag"),
        ("http://h/p#frag-secret", "http://h/p"),
        ("http://h:99999/p", "REDACTED"),
        ("http://h/hooks/T00000000/B00000000/abcdefghijklmnopqrstuvwx1234",
         "http://h/hooks/REDACTED/REDACTED/REDACTED"),
        ("http://h/v1/chat/completions", "http://h/v1/chat/completions"),
        # PII-shaped pieces anywhere in the URL (review: spans and exceptions carried them).
        ("https://x.example/users/478-23-9156/profile", "https://x.example/users/REDACTED/profile"),
        ("https://x.example/u/john.doe@acme.com", "https://x.example/u/REDACTED"),
        ("https://x.example/cards/4111%201111%201111%201111", "https://x.example/cards/REDACTED"),
        ("https://x.example/?478-23-9156", "https://x.example/?REDACTED"),
        ("https://x.example/x;jsessionid=abc", "https://x.example/x;jsessionid=REDACTED"),
        ("https://478-23-9156.evil.example/", "https://REDACTED.evil.example/"),
        ("http://169.254.169.254/latest/meta-data/", "http://169.254.169.254/latest/meta-data/"),
    ],
)
def test_redact_url(url, expected):
    assert telemetry.redact_url(url) == expected
    assert telemetry.redact_url(expected) == expected  # idempotent


_VALUE = st.text(alphabet=string.ascii_letters + string.digits + "-_.~", min_size=6, max_size=48)


@given(key=st.sampled_from(["api_key", "q", "token", "x"]), value=_VALUE, password=_VALUE)
def test_redact_url_never_keeps_query_values_or_passwords(key, value, password):
    url = f"https://u:{password}@host.test/p?{key}={value}"
    out = telemetry.redact_url(url)
    assert f"={value}" not in out
    assert password not in out.split("@")[0]
    assert out.endswith(f"?{key}=REDACTED")
