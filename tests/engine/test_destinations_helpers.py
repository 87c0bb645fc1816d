"""``host_matches``, ``normalize_host``, ``redact_url`` and hypothesis properties of ``assess``."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interven_autoguard.engine.destinations import assess, host_matches, normalize_host, redact_url
from interven_autoguard.engine.types import DestinationAssessment


@pytest.mark.parametrize(
    "host, pattern, expected",
    [
        ("api.github.com", "*.github.com", True),
        ("a.b.github.com", "*.github.com", True),
        ("github.com", "*.github.com", False),
        ("evilgithub.com", "*.github.com", False),
        ("api.github.com.evil.net", "*.github.com", False),
        ("API.GitHub.COM.", "*.github.com", True),
        ("api.github.com", "*.GITHUB.com.", True),
        ("api.stripe.com", "api.stripe.com", True),
        ("api.stripe.com.", "api.stripe.com", True),
        ("xapi.stripe.com", "api.stripe.com", False),
        ("api.stripe.com", "stripe.com", False),
        ("anything.example", "*", True),
        ("api-eu.stripe.com", "api-*.stripe.com", True),
        ("api.eu.stripe.com", "api-*.stripe.com", False),
        ("uploads.github.com", "*.github.*", True),  # a trailing "*" label is one label...
        ("uploads.github.co.uk", "uploads.github.*", False),  # ...so this cannot span two
        ("uploads.github.io", "uploads.github.*", True),
        ("bücher.example", "xn--bcher-kva.example", True),
        ("xn--bcher-kva.example", "*.example", True),
        ("0xa9fea9fe", "169.254.169.254", True),
        ("[::1]", "::1", True),
        ("10.1.2.3", "10.0.0.0/8", True),
        ("11.1.2.3", "10.0.0.0/8", False),
        ("api.github.com", "10.0.0.0/8", False),
        ("", "*.github.com", False),
        ("api.github.com", "", False),
    ],
)
def test_host_matches(host, pattern, expected):
    assert host_matches(host, pattern) is expected


@pytest.mark.parametrize(
    "host, expected",
    [
        ("API.GitHub.com.", "api.github.com"),
        ("[::FFFF:A9FE:A9FE]", "::ffff:a9fe:a9fe"),
        ("::1", "::1"),
        ("0xA9FEA9FE", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("Bücher.Example.", "xn--bcher-kva.example"),
        ("%31%32%37.0.0.1", "127.0.0.1"),
        ("ＥＸＡＭＰＬＥ.com", "example.com"),
        ("tool_name", "tool_name"),
    ],
)
def test_normalize_host(host, expected):
    assert normalize_host(host) == expected


@pytest.mark.parametrize("garbage", [None, 42, b"x", "[", "%ff", "\x00"])
def test_helpers_never_raise_on_garbage(garbage):
    normalize_host(garbage)
    assert host_matches(garbage, "*.github.com") is False
    assert isinstance(redact_url(garbage), str)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://api.example.com/v1/items?limit=10", "https://api.example.com/v1/items?limit=10"),
        ("https://user:hunter2@db.example.com/x", "https://REDACTED:REDACTED@db.example.com/x"),
        ("https://token-only@api.example.com/", "https://REDACTED@api.example.com/"),
        (
            "https://s3.amazonaws.com/b/k?X-Amz-Signature=abc123&X-Amz-Credential=AKIDX&X-Amz-Date=20240101",
            "https://s3.amazonaws.com/b/k?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&X-Amz-Date=20240101",
        ),
        (
            "https://storage.googleapis.com/b/o?X-Goog-Signature=f00&X-Goog-Expires=60",
            "https://storage.googleapis.com/b/o?X-Goog-Signature=REDACTED&X-Goog-Expires=60",
        ),
        (
            "https://x.example/?AWSAccessKeyId=AKID&Signature=s1&Expires=1",
            "https://x.example/?AWSAccessKeyId=REDACTED&Signature=REDACTED&Expires=1",
        ),
        (
            "https://x.example/cb?code=abc&state=xyz&sig=s",
            "https://x.example/cb?code=REDACTED&state=xyz&sig=REDACTED",
        ),
        (
            "https://x.example/?api_key=k&apiKey=k2&access_token=t&password=p&secret=s&client_secret=c",
            "https://x.example/?api_key=REDACTED&apiKey=REDACTED&access_token=REDACTED"
            "&password=REDACTED&secret=REDACTED&client_secret=REDACTED",
        ),
        ("https://x.example/?key=v&token", "https://x.example/?key=REDACTED&token"),
        (
            "https://x.example/#access_token=t&token_type=bearer",
            "https://x.example/#access_token=REDACTED&token_type=bearer",
        ),
        ("https://x.example/#section-2", "https://x.example/#section-2"),
        ("https://x.example/app;jsessionid=abc?x=1", "https://x.example/app;jsessionid=REDACTED?x=1"),
        ("https://medium.com/@user/post", "https://medium.com/@user/post"),
        ("http://u:pa/ss@host/", "http://REDACTED:REDACTED@host/"),  # "/" inside an unencoded password
        ("http://u:pa?ss@host/", "http://REDACTED:REDACTED@host/"),
        ("http://u:p@ss@host/", "http://REDACTED:REDACTED@host/"),
        ("http://u:pw\\@host/", "http://REDACTED:REDACTED@host/"),
        ("mcp://tool_name?token=abc", "mcp://tool_name?token=REDACTED"),
        ("not a url", "not a url"),
        ("", ""),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


# ---------------------------------------------------------------- hypothesis

URLISH = st.text(alphabet="htps:/\\@[]%.:?#&=;0123456789abcdefx \t\n\u3002１", max_size=60)


@settings(max_examples=400)
@given(st.one_of(st.text(), URLISH, URLISH.map(lambda s: "http://" + s)))
def test_assess_and_redact_never_raise(text):
    a = assess(text)
    assert isinstance(a, DestinationAssessment)
    assert all(h.decision in {"ALLOW", "DENY", "REQUIRE_APPROVAL", "SANITIZE"} for h in a.hits)
    assert isinstance(redact_url(text), str)


SAFE = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$'()*+,", min_size=6
)
ANY_SECRET = st.text(min_size=6, max_size=30)


@settings(max_examples=300)
@given(
    user=SAFE,
    password=st.one_of(SAFE, ANY_SECRET.map(lambda s: quote(s, safe=""))),
    secret_value=st.one_of(SAFE, ANY_SECRET.map(lambda s: quote(s, safe=""))),
    param=st.sampled_from(
        ["token", "api_key", "sig", "X-Amz-Signature", "X-Goog-Signature", "AWSAccessKeyId", "client_secret"]
    ),
    raw_password=st.booleans(),
)
def test_redacted_url_never_contains_password_or_sensitive_value(
    user, password, secret_value, param, raw_password
):
    marker_pw = "PW" + password + "Z"  # markers keep values from occurring by chance in the rest
    marker_secret = "SV" + secret_value + "Q"
    if raw_password:
        marker_pw = "PW" + password.replace("%", "") + "/?#Z"  # what people actually paste
    url = f"https://{user}:{marker_pw}@api.example.com/v1/x?page=2&{param}={marker_secret}&q=ok#frag"
    out = redact_url(url)
    assert marker_pw not in out
    assert marker_secret not in out
    assert "REDACTED" in out


@settings(max_examples=200)
@given(st.sampled_from(["169.254.169.254", "2852039166", "0xa9fea9fe", "[::ffff:a9fe:a9fe]"]), URLISH)
def test_metadata_host_with_any_suffix_is_denied(host, junk):
    url = f"http://{host}/{junk}"
    assert any(h.reason_code == "SSRF_METADATA" for h in assess(url).hits)
