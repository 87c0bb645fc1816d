"""Properties of the whole engine over open-ended inputs."""

from __future__ import annotations

import base64
import json
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interven_autoguard import Decision, LocalScanner

SCANNER = LocalScanner()
SSN = "478-23-9156"
AWS_KEY = "AKIA" + "QYLPMN5HHHFPZAM2"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)
fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(
    st.binary(max_size=2048),
    st.sampled_from(
        [None, "application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
    ),
)
def test_scan_never_raises_on_arbitrary_bytes(body, content_type):
    headers = {"Content-Type": content_type} if content_type else None
    r = SCANNER.scan(method="POST", url="https://api.example.com/x", headers=headers, body=body)
    assert r.decision in set(Decision)
    assert "SCANNER_ERROR" not in r.reason_codes


@fast
@given(st.text(max_size=2048))
def test_scan_never_raises_on_arbitrary_text(body):
    r = SCANNER.scan(method="POST", url="https://api.example.com/x", body=body)
    assert "SCANNER_ERROR" not in r.reason_codes


@fast
@given(st.text(max_size=300))
def test_scan_never_raises_on_arbitrary_urls(url):
    r = SCANNER.scan(method="GET", url=url)
    assert r.decision in set(Decision)
    assert "SCANNER_ERROR" not in r.reason_codes


ENCODINGS = {
    "plain": lambda s: s,
    "percent": lambda s: urllib.parse.quote(s, safe=""),
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "unicode-escape": lambda s: "".join(f"\\u{ord(c):04x}" for c in s),
    "zero-width": lambda s: "\u200b".join(s),
}


@fast
@given(json_values, st.sampled_from(sorted(ENCODINGS)), st.sampled_from([SSN, AWS_KEY]), st.text(max_size=20))
def test_redacted_json_stays_valid_and_never_contains_the_value(doc, encoding, secret, prefix):
    planted = {"payload": doc, "note": prefix + " " + ENCODINGS[encoding]("value " + secret) + " end"}
    raw = json.dumps(planted).encode()
    r = SCANNER.scan(
        method="POST", url="https://api.example.com/x", headers={"Content-Type": "application/json"}, body=raw
    )
    assert r.decision == Decision.SANITIZE, (encoding, r.reason_codes)
    out = json.loads(r.sanitized_body)
    assert set(out) == {"payload", "note"}
    if not any(f.location.startswith("body$.payload") for f in r.findings):
        assert out["payload"] == doc  # fields without findings are untouched
    for variant in ENCODINGS.values():
        assert variant(secret) not in r.sanitized_body.decode()
    assert secret not in json.dumps(out)
