"""Credential ↔ destination binding, auth-header identification, provider lookup."""

from __future__ import annotations

import base64

import pytest
from secret_samples import HEX, SAMPLES, github, r

from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets.providers import (
    _TENANTS,
    PROVIDER_HOSTS,
    SELF_HOSTED_PROVIDERS,
    UNBOUND_PROVIDERS,
)
from interven_autoguard.engine.secrets.rules import RULES


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("github.com", True),
        ("api.github.com", True),
        ("uploads.github.com", True),
        ("raw.githubusercontent.com", True),
        ("API.GitHub.com.", True),  # case and trailing dot are normalised
        ("api.github.com:443", True),
        ("api.github.com.evil.net", False),
        ("evilgithub.com", False),
        ("github.com-evil.net", False),
        ("githubxcom", False),
        ("evil.net", False),
        ("", False),
        ("140.82.112.3", False),  # IP literals never prove the provider
        ("10.0.0.5", False),
        ("[::1]", False),  # loopback is another host too (test_binding_loopback.py)
        ("localhost", False),
    ],
)
def test_github_binding(host: str, allowed: bool) -> None:
    assert secrets.host_allowed_for_provider("github", host) is allowed


def test_unknown_and_never_sent_providers_are_bound_nowhere() -> None:
    assert secrets.host_allowed_for_provider("no-such-provider", "anything.example") is False
    for provider in UNBOUND_PROVIDERS:
        assert provider not in PROVIDER_HOSTS
        assert secrets.host_allowed_for_provider(provider, "gitlab.internal.corp") is False


def test_self_hosted_providers_auth_goes_anywhere_their_url_tokens_only_home() -> None:
    for provider in SELF_HOSTED_PROVIDERS:
        assert secrets.host_allowed_for_provider(provider, "gitlab.internal.corp") is True
        assert secrets.host_allowed_for_provider(provider, "gitlab.internal.corp", in_url=True) is False
        bound = ((provider, ("gitlab.internal.corp",)),)
        assert secrets.host_allowed_for_provider(provider, "gitlab.internal.corp", bound, in_url=True)
        assert not secrets.host_allowed_for_provider(provider, "other.example", bound)


def test_every_rule_provider_is_known() -> None:
    for rule in RULES:
        if rule.provider is not None:
            assert rule.provider in PROVIDER_HOSTS or rule.provider in UNBOUND_PROVIDERS, rule.id
            assert secrets.provider_for(rule.id) == rule.provider


def test_provider_table_domains_are_normalised() -> None:
    for provider, domains in PROVIDER_HOSTS.items():
        assert provider == provider.lower()
        for d in domains:
            assert d == d.lower().strip(".") and "/" not in d and ":" not in d and "." in d, (provider, d)
            assert secrets.host_allowed_for_provider(provider, d)
            tenants = _TENANTS.get(provider, (None, None))[0]
            if tenants is not None and tenants.fullmatch("api." + d):  # on.aws: customers' endpoints only
                assert not secrets.host_allowed_for_provider(provider, "api." + d)
                assert secrets.host_allowed_for_provider(provider, "api." + d, detector="aws-access-key-id")
            else:
                assert secrets.host_allowed_for_provider(provider, "api." + d)
            assert not secrets.host_allowed_for_provider(provider, d + ".evil.net", in_url=True)
            assert not secrets.host_allowed_for_provider(provider, "x" + d, in_url=True)


def test_provider_for() -> None:
    assert secrets.provider_for("github") == "github"
    assert secrets.provider_for("github-pat") == "github"
    assert secrets.provider_for("GITHUB_PAT") == "github"
    assert secrets.provider_for("STRIPE_SECRET_KEY") == "stripe"
    assert secrets.provider_for("JWT") is None
    assert secrets.provider_for("nonsense") is None


def test_auth_headers_are_lower_case_and_cover_the_usual_names() -> None:
    assert all(h == h.lower() for h in secrets.AUTH_HEADERS)
    for h in (
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "private-token",
        "x-goog-api-key",
        "x-figma-token",
    ):
        assert h in secrets.AUTH_HEADERS


@pytest.mark.parametrize("scheme", ["Bearer ", "token ", "Token ", "bearer   ", ""])
def test_detect_auth_value_finds_provider_tokens(scheme: str) -> None:
    token = github("ghp_")
    value = scheme + token
    hits = secrets.detect_auth_value(value)
    assert [(h.provider, value[h.start : h.end]) for h in hits] == [("github", token)]


def test_detect_auth_value_decodes_basic() -> None:
    token = github("ghp_")
    blob = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    value = "Basic " + blob
    hits = secrets.detect_auth_value(value)
    assert [(h.detector, h.provider) for h in hits] == [("github-pat", "github")]
    assert value[hits[0].start : hits[0].end] == blob  # the encoded form is what must be redacted


def test_detect_auth_value_basic_with_stripe_key_as_user() -> None:
    _text, key = SAMPLES["stripe-secret-key"]()
    value = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    assert [h.provider for h in secrets.detect_auth_value(value)] == ["stripe"]


@pytest.mark.parametrize("sid_prefix", ["SK", "AC"])
def test_detect_auth_value_context_formats_without_their_word(sid_prefix: str) -> None:
    sid = sid_prefix + r(HEX, 32)
    value = "Basic " + base64.b64encode(f"{sid}:{r(HEX, 32)}".encode()).decode()
    assert [h.provider for h in secrets.detect_auth_value(value)] == ["twilio"]


@pytest.mark.parametrize(
    "value",
    [
        "Bearer " + r(HEX, 40),  # opaque token: no provider
        "Basic " + base64.b64encode(b"alice:Tr0ub4dor&3").decode(),  # ordinary basic auth
        "Basic !!!not-base64!!!",
        'Digest username="a", realm="r", nonce="n", response="' + r(HEX, 32) + '"',
        "",
        "   ",
    ],
)
def test_detect_auth_value_ignores_generic_credentials(value: str) -> None:
    assert secrets.detect_auth_value(value) == []


def test_detect_auth_value_ignores_jwts() -> None:
    _text, token = SAMPLES["jwt"]()
    assert secrets.detect_auth_value("Bearer " + token) == []


def test_detect_auth_value_aws_sigv4_credential() -> None:
    key_id = "AKIA" + r("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    value = (
        f"AWS4-HMAC-SHA256 Credential={key_id}/20251126/us-east-1/s3/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={r(HEX, 64)}"
    )
    hits = secrets.detect_auth_value(value)
    assert [(h.provider, value[h.start : h.end]) for h in hits] == [("aws", key_id)]
    assert secrets.host_allowed_for_provider("aws", "my-bucket.s3.us-east-1.amazonaws.com")
    assert not secrets.host_allowed_for_provider("aws", "amazonaws.com.attacker.io")


# --------------------------------------------------------------- auth headers beyond the usual names


@pytest.mark.parametrize(
    ("name", "auth"),
    [
        # the usual names, vendors' own, and names whose last word(s) name a credential
        ("Authorization", True), ("X-Api-Key", True), ("DD-API-KEY", True), ("X-Honeycomb-Team", True),
        ("X-Auth-Email", True), ("APCA-API-KEY-ID", True), ("X-Algolia-API-Key", True),
        ("X-Subscription-Token", True), ("x-chroma-token", True), ("Token", True),
        ("X-Cassandra-Token", True),
        ("X-TYPESENSE-API-KEY", True), ("x-hasura-admin-secret", True), ("APCA-API-SECRET-KEY", True),
        ("X-CMC_PRO_API_KEY", True), ("X-Sentry-Auth", True), ("Helicone-Auth", True), ("X-CSRFToken", True),
        ("X-AccessToken", True), ("x-master-key", True),
        # content: no credential word at the end, a name about a credential, a cursor, key material
        # that authenticates nothing, a password (content as in a body), object metadata
        ("X-Customer-Note", False), ("X-Debug", False), ("User-Agent", False), ("Cookie", False),
        ("X-Algolia-Application-Id", False), ("x-api-key-id", False), ("x-token-type", False),
        ("x-next-page-token", False), ("X-Private-Key", False), ("x-goog-encryption-key", False),
        ("X-Password", False), ("idempotency-key", False), ("x-auth-user", False),
        ("X-Goog-Authenticated-User-Email", False), ("x-amz-meta-api-key", False),
        ("x-goog-meta-token", False),
        ("", False),
    ],
)
def test_auth_headers_by_name_shape_and_vendor(name: str, auth: bool) -> None:
    assert secrets.is_auth_header(name) is auth


def test_vendor_auth_headers_name_bound_providers() -> None:
    for name, (provider, kind) in secrets.VENDOR_AUTH_HEADERS.items():
        assert name == name.lower() and secrets.is_auth_header(name), name
        assert provider in PROVIDER_HOSTS, name
        assert kind == kind.upper() and kind.replace("_", "").isalnum(), name


def test_detect_auth_value_reads_the_header_name_as_context() -> None:
    key = r(HEX, 32)
    assert secrets.detect_auth_value(key) == []  # a bare 32-hex string says nothing
    [hit] = secrets.detect_auth_value(key, "dd-api-key")
    assert (hit.provider, hit.type, key[hit.start : hit.end]) == ("datadog", "DATADOG_API_KEY", key)
    assert secrets.detect_auth_value(key, "x-api-key") == []


@pytest.mark.parametrize("scheme", ["", "Bearer ", "  Token "])
def test_vendor_hit_spans_the_value(scheme: str) -> None:
    value = f"{scheme}RGAPI-{r(HEX, 8)}-{r(HEX, 4)}"
    hit = secrets.vendor_hit("X-Riot-Token", value)
    assert hit is not None
    assert (hit.provider, hit.type, hit.detector) == ("riot", "RIOT_API_KEY", "vendor-auth-header")
    assert value[hit.start : hit.end] == value.strip().split()[-1]


@pytest.mark.parametrize("value", ["", "   ", "${DD_API_KEY}", "<your key>", "xxxxxxxxxxxxxxxx", "two words"])
def test_vendor_hit_ignores_placeholders(value: str) -> None:
    assert secrets.vendor_hit("dd-api-key", value) is None


def test_vendor_hit_only_for_vendor_headers() -> None:
    assert secrets.vendor_hit("x-api-key", r(HEX, 32)) is None
    assert secrets.vendor_hit("x-subscription-token", r(HEX, 32)) is None


def test_docs_list_every_vendor_auth_header() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "secrets.md").read_text(encoding="utf-8").lower()
    for name in secrets.VENDOR_AUTH_HEADERS:
        assert f"`{name}`" in docs, f"docs/secrets.md does not list {name}"
