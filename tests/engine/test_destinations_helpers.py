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
        # The fragment is never sent and never scanned: dropped, whatever its names.
        ("https://x.example/#access_token=t&token_type=bearer", "https://x.example/"),
        ("https://x.example/cb?state=s#t=ghp_abc123&x=1", "https://x.example/cb?state=s"),
        ("https://x.example/app#/reset/abc123def?x=1", "https://x.example/app"),
        ("https://x.example/#section-2", "https://x.example/"),
        ("https://u:pa#ss@x.example/p#frag", "https://REDACTED:REDACTED@x.example/p"),
        ("https://x.example/app;jsessionid=abc?x=1", "https://x.example/app;jsessionid=REDACTED?x=1"),
        ("https://medium.com/@user/post", "https://medium.com/@user/post"),
        ("http://u:pa/ss@host/", "http://REDACTED:REDACTED@host/"),  # "/" inside an unencoded password
        ("http://u:pa?ss@host/", "http://REDACTED:REDACTED@host/"),
        ("http://u:p@ss@host/", "http://REDACTED:REDACTED@host/"),
        ("http://u:pw\\@host/", "http://REDACTED:REDACTED@host/"),
        ("mcp://tool_name?token=abc", "mcp://tool_name?token=REDACTED"),
        (
            "https://api.telegram.org/bot123456789:" + "AAH" + "x" * 30 + "/sendMessage",
            "https://api.telegram.org/botREDACTED/sendMessage",
        ),
        (
            "https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/" + "abcDEF123" * 3,
            "https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/REDACTED",
        ),
        (
            "https://discord.com/api/webhooks/123456789012345678/" + "tok-EN_1" * 8,
            "https://discord.com/api/webhooks/123456789012345678/REDACTED",
        ),
        ("https://proxy.example/" + "ghp_" + "a1B2" * 9 + "/repos", "https://proxy.example/REDACTED/repos"),
        ("https://docs.example/sk-learn-tutorial", "https://docs.example/sk-learn-tutorial"),
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


def test_huge_urls_are_handled():
    query = "a=b&" * 50_000 + "token=SECRETVALUE"
    out = redact_url("http://x.example/?" + query)
    assert out.endswith("token=REDACTED") and "SECRETVALUE" not in out
    assert "INVALID_URL" in {h.type for h in assess("http://" + "a." * 100_000 + "com/").hits}


# ---------------------------------------------------------------- notation fuzzing


def _spell_part(value: int, style: str) -> str:
    return {
        "dec": str(value),
        "hex": hex(value),
        "HEX": "0X" + format(value, "X"),
        "oct": "0" + format(value, "o"),
    }[style]


@st.composite
def encoded_ipv4(draw, network_prefix: tuple[int, int]):
    """An IPv4 address inside the /16 ``network_prefix`` spelled in a random inet_aton notation."""
    a, b = network_prefix
    c, d = draw(st.integers(0, 255)), draw(st.integers(0, 255))
    value = (a << 24) | (b << 16) | (c << 8) | d
    parts_count = draw(st.sampled_from([1, 2, 3, 4]))
    style = st.sampled_from(["dec", "hex", "HEX", "oct"])
    if parts_count == 1:
        parts = [value]
    elif parts_count == 2:
        parts = [a, value & 0xFFFFFF]
    elif parts_count == 3:
        parts = [a, b, value & 0xFFFF]
    else:
        parts = [a, b, c, d]
    host = ".".join(_spell_part(p, draw(style)) for p in parts)
    if draw(st.booleans()):
        host += "."
    return host, f"{a}.{b}.{c}.{d}"


@settings(max_examples=300)
@given(
    encoded_ipv4((169, 254)),
    st.sampled_from(["", "user@", "user:pw@", "good.example@", "a@b@"]),
    st.sampled_from(["", ":80", ":8080"]),
    st.sampled_from(["http", "https", "ws", "HTTP"]),
)
def test_link_local_in_any_notation_is_denied(encoded, userinfo, port, scheme):
    host, dotted = encoded
    a = assess(f"{scheme}://{userinfo}{host}{port}/latest")
    assert a.host == dotted
    assert any(h.reason_code == "SSRF_METADATA" and h.decision == "DENY" for h in a.hits)


@settings(max_examples=200)
@given(encoded_ipv4((10, 20)), st.sampled_from(["ALLOW", "DENY", "REQUIRE_APPROVAL"]))
def test_private_in_any_notation_gets_the_configured_decision(encoded, decision):
    host, dotted = encoded
    a = assess(f"http://{host}/", private_network=decision)
    assert a.host == dotted
    assert [(h.type, h.decision) for h in a.hits] == [("PRIVATE_NETWORK", decision)]


@settings(max_examples=200)
@given(
    st.integers(0, 0xFFFF),
    st.sampled_from(
        [
            lambda v4, hexed: f"::ffff:{v4}",
            lambda v4, hexed: f"::ffff:{hexed}",
            lambda v4, hexed: f"0:0:0:0:0:ffff:{hexed}",
            lambda v4, hexed: f"64:ff9b::{hexed}",
            lambda v4, hexed: f"64:ff9b::{v4}",
            lambda v4, hexed: f"::{hexed}",
            lambda v4, hexed: f"::ffff:0:{hexed}",
            lambda v4, hexed: f"2002:{hexed}::1",
        ]
    ),
    st.sampled_from(["", "%25eth0"]),
)
def test_link_local_embedded_in_ipv6_is_denied(low16, spell, zone):
    value = (169 << 24) | (254 << 16) | low16
    v4 = f"169.254.{low16 >> 8}.{low16 & 0xFF}"
    hexed = f"{value >> 16:x}:{value & 0xFFFF:x}"
    a = assess(f"http://[{spell(v4, hexed)}{zone}]/")
    assert a.ip is not None
    assert any(h.reason_code == "SSRF_METADATA" and h.decision == "DENY" for h in a.hits), a
