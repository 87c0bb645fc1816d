"""A ``Host`` header naming another host than the URL's: a proxy, a CDN or a virtual host routes the
request by it, not by the address connected to (domain fronting). The request is judged as going
there too: its destination hits, the policy's host rules and the binding of its own credentials;
the stricter verdict stands. A Host naming the URL's own host (as every client sends it) changes
nothing, and a mismatch that hits nothing is not a false alarm."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_samples import B64U, digits, r

from interven_autoguard import Decision, LocalScanner, ReasonCode
from interven_autoguard.engine.scanner import host_header_names

CDN = "https://cdn.example/v1/upload"
BODY = b'{"note": "quarterly numbers attached"}'
JSON = {"Content-Type": "application/json"}


OPENAI_KEY = "sk-proj-" + r(B64U, 74) + "T3BlbkFJ" + r(B64U, 74)  # built at run time


def openai_key() -> str:
    return OPENAI_KEY


@pytest.mark.parametrize(("value", "host"), [
    ("api.example.com", "api.example.com"),
    ("API.Example.COM.", "api.example.com"),
    ("api.example.com:443", "api.example.com"),
    ("127.0.0.1:8080", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("[::1]:8080", "::1"),
    ("[::1]", "::1"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("  api.example.com  ", "api.example.com"),
])
def test_a_host_header_names_its_host_in_any_spelling(value: str, host: str) -> None:
    assert host_header_names(value, host)


@pytest.mark.parametrize(("value", "host"), [
    ("api.example.com.evil.example", "api.example.com"),
    ("evil.example", "api.example.com"),
    ("127.0.0.2", "127.0.0.1"),
    ("api.example.com:notaport", "api.example.com"),
    ("", "api.example.com"),
])
def test_another_host_is_not_the_urls(value: str, host: str) -> None:
    assert not host_header_names(value, host)


def scan(url: str = CDN, host: str | None = None, policy: Any = None, **headers: str) -> Any:
    sent = {**JSON, **headers, **({"Host": host} if host is not None else {})}
    return LocalScanner(policy=policy).scan(method="POST", url=url, headers=sent, body=BODY)


@pytest.mark.parametrize(("host", "reason"), [
    ("webhook.site", ReasonCode.EXFIL_DESTINATION),
    ("abc.ngrok-free.app:443", ReasonCode.EXFIL_DESTINATION),
    ("169.254.169.254", ReasonCode.SSRF_METADATA),
    ("metadata.google.internal", ReasonCode.SSRF_METADATA),
])
def test_a_host_header_fronting_a_blocked_destination_is_denied(host: str, reason: str) -> None:
    assert scan().decision == Decision.ALLOW
    fronted = scan(host=host)
    assert fronted.decision == Decision.DENY and reason in fronted.reason_codes


def test_the_policys_host_rules_see_the_host_header_too() -> None:
    policy = '[[rules]]\nid = "no-attacker"\nhosts = ["*.attacker.example"]\ndecision = "DENY"\n'
    assert scan(policy=policy).decision == Decision.ALLOW
    fronted = scan(host="x.attacker.example", policy=policy)
    assert fronted.decision == Decision.DENY and "no-attacker" in fronted.matched_rules


def test_a_key_fronted_away_from_its_provider_is_a_mismatch() -> None:
    url, auth = "https://api.openai.com/v1/chat/completions", f"Bearer {openai_key()}"
    assert scan(url, Authorization=auth).decision == Decision.ALLOW
    assert scan(url, host="api.openai.com", Authorization=auth).decision == Decision.ALLOW
    fronted = scan(url, host="collect.example", Authorization=auth)
    assert fronted.decision == Decision.DENY and ReasonCode.CREDENTIAL_HOST_MISMATCH in fronted.reason_codes
    assert openai_key() not in str(fronted.to_dict())


def test_a_mismatch_that_hits_nothing_is_no_false_alarm() -> None:
    """Calling a service by address with its virtual host's name is ordinary."""
    r = scan("https://203.0.113.7/api/items", host="app.internal.example:8443")
    assert r.decision == Decision.ALLOW and not r.findings


HOSTS = ["cdn.example", "CDN.example:443", "webhook.site", "169.254.169.254", "app.example", "", "x y"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(HOSTS), st.sampled_from(["dict", "pairs", "raw"])), min_size=1,
                max_size=8))
def test_the_lane_answers_as_scan_whatever_the_host_header(steps: list[tuple[str, str]]) -> None:
    """Another host in the Host header takes the full path (which may well allow it)."""
    engine = LocalScanner()
    for host, shape in steps:
        pairs = [("Content-Type", "application/json"), ("Host", host)]
        headers: Any = dict(pairs) if shape == "dict" else pairs if shape == "pairs" else \
            [(k.encode(), v.encode()) for k, v in pairs]
        quiet = engine.quiet_allow("POST", CDN, headers, BODY)
        response = engine.scan(method="POST", url=CDN, headers=dict(pairs), body=BODY)
        if quiet:  # the lane's promise: it allows only what scan allows without a finding
            assert response.decision == Decision.ALLOW and not response.findings, (host, shape)
        if host in ("cdn.example", "CDN.example:443"):
            assert quiet, (host, shape)  # the Host every client sends keeps the request in the lane
        if host in ("webhook.site", "169.254.169.254"):
            assert not quiet and response.decision == Decision.DENY


def test_a_value_spelled_into_the_host_header_is_denied_not_redacted() -> None:
    """Like the URL's host: a redacted Host would send the request somewhere else."""
    aws = "AKIA" + "QYLPMN5HHHFPZAM2"  # built at run time
    ssn = "478-23-" + "9156"
    for host in (f"{aws}.collect.example", f"{ssn}.cdn.example"):
        r = scan(host=host)
        assert r.decision == Decision.DENY, host
        assert any(f.location == "header:host" for f in r.findings)
        assert aws not in str(r.to_dict()) and ssn not in str(r.to_dict())


@pytest.mark.parametrize(("url", "provider_host"), [
    ("https://api.telegram.org/bot{token}/sendMessage", "api.telegram.org"),
    ("https://api.telegram.org/file/{token}/photo.jpg", "api.telegram.org"),
    ("https://api.telegram.org/sendMessage?token={token}", "api.telegram.org:443"),
])
def test_a_credential_in_the_url_fronted_away_from_its_provider_is_a_mismatch(url: str,
                                                                               provider_host: str) -> None:
    """In its provider's URL the token is the request's own auth; fronted elsewhere it leaks."""
    token = digits(10) + ":AA" + r(B64U, 33)  # built at run time
    url = url.format(token=token)
    assert scan(url).decision == Decision.ALLOW
    assert scan(url, host=provider_host).decision == Decision.ALLOW
    fronted = scan(url, host="collect.example")
    assert fronted.decision == Decision.DENY and ReasonCode.CREDENTIAL_HOST_MISMATCH in fronted.reason_codes
    assert token not in str(fronted.to_dict())
