"""End-to-end behaviour of the embedded engine through the public ``scan()``."""

from __future__ import annotations

import base64
import gzip
import json
import urllib.parse

import pytest
import secret_samples as samples

import interven_autoguard as autoguard
from interven_autoguard import Decision, LocalScanner, ReasonCode

SSN = "478-23-9156"
EMAIL = "john@acme.com"
# Built at run time so the repository holds no credential-shaped literal.
AWS_KEY = "AKIA" + "QYLPMN5HHHFPZAM2"


def _github_token() -> str:
    from interven_autoguard.engine.secrets import validators

    body = "R7x9mQ2kLp4vN8sT1wY6zB3cF5hJ0d"
    return "ghp_" + body + validators.crc32_base62(body)


@pytest.fixture(scope="module")
def scanner() -> LocalScanner:
    return LocalScanner()


def test_issue_example_sanitizes_ssn_and_email():
    body = {"text": f"Customer SSN {SSN}, email {EMAIL}"}
    r = autoguard.scan(method="POST", url="https://slack.com/api/chat.postMessage", body=body)
    assert r.decision == "SANITIZE"
    assert r.needs_sanitization and not r.allowed and not r.blocked
    assert r.sanitized_body == {"text": "Customer SSN [REDACTED:US_SSN], email [REDACTED:EMAIL]"}
    assert r.reason_codes == ["PII_DETECTED"]
    assert body == {"text": f"Customer SSN {SSN}, email {EMAIL}"}, "scan() must not mutate its input"
    assert {f.type for f in r.findings} == {"US_SSN", "EMAIL"}
    assert all(f.location == "body$.text" for f in r.findings)


def test_benign_request_is_allowed(scanner):
    r = scanner.scan(
        method="POST",
        url="https://api.example.com/v1/items",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"name": "widget", "count": 3, "tags": ["a", "b"]}).encode(),
    )
    assert r.decision == Decision.ALLOW
    assert r.reason_codes == []
    assert r.findings == []
    assert r.risk_band == "LOW"


@pytest.mark.parametrize("kind", [bytes, str, dict])
def test_sanitized_body_keeps_the_input_type(scanner, kind):
    payload = {"note": f"key {AWS_KEY} here", "n": 1}
    body = {bytes: json.dumps(payload).encode(), str: json.dumps(payload), dict: payload}[kind]
    r = scanner.scan(
        method="POST",
        url="https://api.example.com/x",
        headers={"content-type": "application/json"},
        body=body,
    )
    assert r.decision == Decision.SANITIZE
    assert ReasonCode.SECRET_DETECTED in r.reason_codes
    assert type(r.sanitized_body) is kind
    decoded = r.sanitized_body if kind is dict else json.loads(r.sanitized_body)
    assert decoded == {"note": "key [REDACTED:AWS_ACCESS_KEY] here", "n": 1}


def test_metadata_ip_is_denied_in_any_notation(scanner):
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://good.com@169.254.169.254/",
        "http://metadata.google.internal/computeMetadata/v1/",
    ):
        r = scanner.scan(method="GET", url=url)
        assert r.decision == Decision.DENY, url
        assert ReasonCode.SSRF_METADATA in r.reason_codes, url


def test_exfiltration_host_is_denied(scanner):
    r = scanner.scan(method="POST", url="https://webhook.site/abc", body={"x": "hello"})
    assert r.blocked
    assert ReasonCode.EXFIL_DESTINATION in r.reason_codes


def test_credential_bound_to_its_provider_is_ordinary_traffic(scanner):
    token = _github_token()
    ok = scanner.scan(
        method="GET", url="https://api.github.com/user", headers={"Authorization": f"Bearer {token}"}
    )
    assert ok.decision == Decision.ALLOW
    for url in (
        "https://api.github.com.evil.net/user",
        "https://api.github.com@evil.net/user",
        "https://evil.example/collect",
    ):
        r = scanner.scan(method="GET", url=url, headers={"Authorization": f"Bearer {token}"})
        assert r.decision == Decision.DENY, url
        assert ReasonCode.CREDENTIAL_HOST_MISMATCH in r.reason_codes


def test_basic_auth_to_any_host_is_allowed(scanner):
    cred = base64.b64encode(b"alice:correct-horse-battery").decode()
    r = scanner.scan(
        method="GET", url="https://intranet.example/api", headers={"Authorization": f"Basic {cred}"}
    )
    assert r.decision == Decision.ALLOW


def test_secret_in_query_and_header_is_redacted(scanner):
    r = scanner.scan(
        method="GET",
        url=f"https://api.example.com/s?q=cats&aws={AWS_KEY}",
        headers={"X-Debug": f"creds {AWS_KEY}"},
    )
    assert r.decision == Decision.SANITIZE
    assert AWS_KEY not in r.sanitized_url
    assert "q=cats" in r.sanitized_url
    assert r.sanitized_headers["X-Debug"] == "creds [REDACTED:AWS_ACCESS_KEY]"
    locations = {f.location for f in r.findings}
    assert {"query:aws", "header:x-debug"} <= locations


def test_base64_encoded_secret_is_found_and_the_encoded_form_removed(scanner):
    blob = base64.b64encode(f"aws={AWS_KEY}".encode()).decode()
    r = scanner.scan(method="POST", url="https://api.example.com/x", body={"data": blob})
    assert r.decision == Decision.SANITIZE
    assert blob not in json.dumps(r.sanitized_body)
    assert r.findings[0].encoding and "base64" in r.findings[0].encoding


def test_percent_encoded_ssn_in_form_body(scanner):
    body = urllib.parse.urlencode({"msg": f"ssn {SSN}"}).encode()
    r = scanner.scan(
        method="POST",
        url="https://api.example.com/x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=body,
    )
    assert r.decision == Decision.SANITIZE
    assert SSN.encode() not in r.sanitized_body
    assert urllib.parse.parse_qs(r.sanitized_body.decode())["msg"] == ["ssn [REDACTED:US_SSN]"]


def test_gzip_body_comes_back_gzip(scanner):
    raw = json.dumps({"t": f"ssn {SSN}"}).encode()
    r = scanner.scan(
        method="POST",
        url="https://api.example.com/x",
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        body=gzip.compress(raw),
    )
    assert r.decision == Decision.SANITIZE
    assert json.loads(gzip.decompress(r.sanitized_body)) == {"t": "ssn [REDACTED:US_SSN]"}


def test_body_too_large_is_denied(scanner):
    r = scanner.scan(method="POST", url="https://api.example.com/x", body=b"a" * (10 * 1024 * 1024 + 1))
    assert r.decision == Decision.DENY
    assert ReasonCode.BODY_TOO_LARGE in r.reason_codes


def test_deep_nesting_does_not_crash(scanner):
    body = "[" * 10_000 + "]" * 10_000
    r = scanner.scan(
        method="POST",
        url="https://api.example.com/x",
        headers={"content-type": "application/json"},
        body=body.encode(),
    )
    assert r.decision in (Decision.ALLOW, Decision.DENY)


def test_invalid_utf8_gets_a_decision(scanner):
    r = scanner.scan(
        method="POST",
        url="https://api.example.com/x",
        headers={"content-type": "text/plain"},
        body=b"\xc3\x28 ssn " + SSN.encode() + b" \xff",
    )
    assert r.decision == Decision.SANITIZE
    assert SSN.encode() not in r.sanitized_body


def test_findings_never_carry_the_value(scanner):
    token = _github_token()
    r = scanner.scan(method="POST", url="https://api.example.com/x", body={"t": token, "s": SSN})
    dumped = json.dumps(r.to_dict()["findings"])
    assert token not in dumped and SSN not in dumped
    assert all(len(f.value_hash) == 12 for f in r.findings)


def test_mcp_scheme_is_accepted(scanner):
    r = scanner.scan(method="POST", url="mcp://send_email", body={"to": "x", "body": f"ssn {SSN}"})
    assert r.decision == Decision.SANITIZE


def test_bad_argument_types_raise_clear_errors(scanner):
    with pytest.raises(TypeError, match="url must be a string"):
        scanner.scan(method="GET", url=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="headers"):
        scanner.scan(method="GET", url="https://x.example/", headers=[1, 2])


def test_triple_base64_is_decoded_and_removed(scanner):
    blob = f"token {AWS_KEY} in here"
    for _ in range(3):
        blob = base64.b64encode(blob.encode()).decode()
    r = scanner.scan(method="POST", url="https://api.example.com/x", body={"d": blob})
    assert r.decision == Decision.SANITIZE
    assert r.findings[0].encoding == "base64>base64>base64"
    # Removed inside the innermost layer; every layer re-encoded around it.
    expected = "token [REDACTED:AWS_ACCESS_KEY] in here"
    for _ in range(3):
        expected = base64.b64encode(expected.encode()).decode()
    assert r.sanitized_body == {"d": expected}


def test_nesting_past_the_decoding_depth_fails_closed(scanner):
    blob = f"token {AWS_KEY} in here"
    for _ in range(8):
        blob = base64.b64encode(blob.encode()).decode()
    r = scanner.scan(method="POST", url="https://api.example.com/x", body={"d": blob})
    assert r.decision == Decision.DENY
    assert r.reason_codes == [ReasonCode.BODY_NOT_INSPECTABLE]


def test_large_random_base64_upload_is_not_a_false_alarm(scanner):
    import os

    blob = base64.b64encode(os.urandom(300_000)).decode()
    r = scanner.scan(method="POST", url="https://api.example.com/upload", body={"file": blob})
    assert r.decision == Decision.ALLOW, r.reason_codes


def test_every_data_header_is_scanned_including_user_agent(scanner):
    for name in ("User-Agent", "Accept", "Content-Type"):
        r = scanner.scan(method="GET", url="https://api.example.com/", headers={name: f"x {AWS_KEY}"})
        assert r.decision == Decision.SANITIZE, name
        assert AWS_KEY not in json.dumps(r.sanitized_headers)
    # The Host header names where a proxy or virtual host sends the request, like the URL's host:
    # a value in it cannot be redacted into a destination (see test_host_header.py).
    r = scanner.scan(method="GET", url="https://api.example.com/", headers={"Host": f"x {AWS_KEY}"})
    assert r.decision == Decision.DENY
    assert AWS_KEY not in json.dumps(r.to_dict())


def test_a_header_named_after_a_secret_is_denied_and_never_named(scanner):
    r = scanner.scan(method="GET", url="https://api.example.com/", headers={AWS_KEY: "1"})
    assert r.decision == Decision.DENY
    assert ReasonCode.SECRET_DETECTED in r.reason_codes
    assert AWS_KEY not in json.dumps(r.to_dict()["findings"])
    assert AWS_KEY.lower() not in json.dumps(r.to_dict()["findings"])


def test_values_spelled_into_the_host_name_are_denied(scanner):
    for url in (f"https://{SSN}.evil.example/", f"https://{AWS_KEY}.evil.example/x"):
        r = scanner.scan(method="GET", url=url)
        assert r.decision == Decision.DENY, url
        assert any(f.location == "url.host" for f in r.findings)


def test_encoded_credential_in_authorization_still_faces_the_binding_rule(scanner):
    token = _github_token()
    for value in (
        f"Bearer {base64.b64encode(token.encode()).decode()}",
        "Bearer " + urllib.parse.quote(token, safe="").replace("_", "%5F"),
    ):
        r = scanner.scan(method="GET", url="https://evil.example/", headers={"Authorization": value})
        assert r.decision == Decision.DENY, value
        assert ReasonCode.CREDENTIAL_HOST_MISMATCH in r.reason_codes
    ok = scanner.scan(
        method="GET",
        url="https://api.github.com/user",
        headers={"Authorization": f"Bearer {base64.b64encode(token.encode()).decode()}"},
    )
    assert ok.decision == Decision.ALLOW


def test_repeated_header_names_are_redacted_each_by_its_own_spans(scanner):
    r = scanner.scan(
        method="GET",
        url="https://api.example.com/",
        headers=[("X-D", f"{AWS_KEY} {SSN}"), ("x-d", f"aaaa {AWS_KEY}")],
    )
    assert r.decision == Decision.SANITIZE
    sent = json.dumps(r.sanitized_headers)
    assert AWS_KEY not in sent and SSN not in sent and "AKIA" not in sent
    assert r.sanitized_headers == {
        "X-D": "[REDACTED:AWS_ACCESS_KEY] [REDACTED:US_SSN], aaaa [REDACTED:AWS_ACCESS_KEY]"
    }


def test_path_parameters_do_not_dodge_an_approval_rule():
    from interven_autoguard.engine.policy import Policy
    from interven_autoguard.engine.types import DestinationAssessment, RequestContext

    policy = Policy.default()
    dest = DestinationAssessment(scheme="https", host="api.stripe.com", port=None, ip=None)
    for path in ("/v1/payouts", "/v1/payouts;x", "/v1;a=1/payouts"):
        ctx = RequestContext(
            method="POST",
            url="https://api.stripe.com" + path,
            scheme="https",
            host="api.stripe.com",
            port=None,
            path=path,
        )
        assert policy.evaluate(ctx, [], dest).decision == Decision.REQUIRE_APPROVAL, path


def test_card_numbers_are_expected_at_stripe_tokenization_only(scanner):
    body = b"type=card&card[number]=4539148803436467&card[exp_month]=12"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    ok = scanner.scan(method="POST", url="https://api.stripe.com/v1/payment_methods", headers=form, body=body)
    assert ok.decision == Decision.ALLOW
    assert "stripe-card-tokenization" in ok.matched_rules
    for url in ("https://api.stripe.com/v1/charges", "https://api.example.com/v1/payment_methods"):
        assert scanner.scan(method="POST", url=url, headers=form, body=body).decision == Decision.SANITIZE


def test_a_key_holding_a_secret_never_appears_in_any_location(scanner):
    body = {AWS_KEY: {"n": f"ssn {SSN}"}, "plain": 1}
    r = scanner.scan(method="POST", url=f"https://api.example.com/x?{AWS_KEY}=1&q={SSN}", body=body)
    assert r.decision == Decision.SANITIZE
    dumped = json.dumps(r.to_dict())
    assert AWS_KEY not in dumped and SSN not in dumped
    assert AWS_KEY not in r.sanitized_url
    assert AWS_KEY not in json.dumps(r.sanitized_body)


def test_a_secret_in_the_multipart_boundary_fails_closed(scanner):
    boundary = f"x-{AWS_KEY}"
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nhello\r\n--{boundary}--\r\n'
    r = scanner.scan(
        method="POST",
        url="https://api.example.com/x",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        body=body.encode(),
    )
    assert r.decision == Decision.DENY


def test_a_telegram_bot_token_in_a_url_to_another_host_never_leaves(scanner):
    token = samples.digits(10) + ":AA" + samples.r(samples.B64U, 33)  # built at run time
    ok = scanner.scan(method="POST", url=f"https://api.telegram.org/bot{token}/sendMessage", body=b"{}",
                      headers={"Content-Type": "application/json"})
    assert ok.decision == Decision.ALLOW  # its own API: the token is the request's auth
    r = scanner.scan(method="POST", url=f"https://collect.example/bot{token}/x", body=b"{}",
                     headers={"Content-Type": "application/json"})
    assert r.decision != Decision.ALLOW and token not in (r.sanitized_url or "")
    assert token not in json.dumps(r.to_dict())
