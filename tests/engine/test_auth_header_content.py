"""What an auth header carries besides the request's own credential (``engine/auth_content.py``).

The credential in an auth header faces the binding rule only, but the header is a channel like any
other: PII smuggled in ``X-Foo-Token`` or ``Authorization: Bearer`` is found (an identity where it is
the value's meaning is not: Basic's user name, Digest's ``username``, Cloudflare's ``X-Auth-Email``),
and so is a private key, which is no one's bearer credential. Real credentials — random strings with
dates, timestamps, counters and hex digests in them — are no PII.

All credentials are fake, built at run time with the right shape.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import random
import string
from collections.abc import Callable
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_samples import AWS_BODY, B62, B64U, HEX, SAMPLES, jwt, pem, r, uuid4

from interven_autoguard import Decision, LocalScanner
from interven_autoguard.engine.auth_content import IDENTITY_HEADERS
from interven_autoguard.engine.secrets import is_auth_header

SSN = "478-23-9156"
CARD = "4539 1488 0343 6467"
EMAIL = "jane.doe@acme-corp.com"
PHONE = "+1 415-555-2671"
API = "https://api.partner-service.io/v1/items"
S3 = "https://acme-data.s3.us-east-1.amazonaws.com/reports/q3.csv"


@pytest.fixture(scope="module")
def scanner() -> LocalScanner:
    return LocalScanner()


def _b64(rnd: random.Random, n: int) -> str:
    return base64.b64encode(rnd.randbytes(n)).decode()


def _hex(rnd: random.Random, n: int) -> str:
    return rnd.randbytes(n // 2).hex()


def _pick(rnd: random.Random, alphabet: str, n: int) -> str:
    return "".join(rnd.choices(alphabet, k=n))


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# ------------------------------------------------------------ real credentials: no PII in them

# (label, URL, builder of the headers from a seeded random, a Unix time, a date, a counter)
Builder = Callable[[random.Random, int, datetime.date, int], dict[str, str]]
CREDENTIALS: list[tuple[str, str, Builder]] = [
    ("aws sigv4", S3, lambda rnd, ts, day, n: {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIA{''.join(rnd.choices(AWS_BODY, k=16))}/"
                         f"{day:%Y%m%d}/us-east-1/s3/aws4_request, "
                         f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={_hex(rnd, 64)}",
        "X-Amz-Date": f"{day:%Y%m%d}T{ts % 86400 // 3600:02d}{ts % 3600 // 60:02d}{ts % 60:02d}Z",
        "X-Amz-Security-Token": _b64(rnd, 300)}),
    ("digest", API, lambda rnd, ts, day, n: {
        "Authorization": f'Digest username="{EMAIL}", realm="api@partner-service.io", '
                         f'nonce="{_b64(rnd, 24)}", uri="/v1/items", algorithm=SHA-256, qop=auth, '
                         f'nc={n:08x}, cnonce="{_hex(rnd, 16)}", response="{_hex(rnd, 64)}", '
                         f'opaque="{_hex(rnd, 32)}"'}),
    ("oauth 1.0a", API, lambda rnd, ts, day, n: {
        "Authorization": f'OAuth oauth_consumer_key="{"".join(rnd.choices(B62, k=25))}", '
                         f'oauth_nonce="{rnd.getrandbits(64)}{ts}", '
                         f'oauth_signature="{quote(_b64(rnd, 20), safe="")}", '
                         f'oauth_signature_method="HMAC-SHA1", oauth_timestamp="{ts}", '
                         f'oauth_token="{rnd.randrange(10**17, 10**19)}-{"".join(rnd.choices(B62, k=30))}", '
                         f'oauth_version="1.0"'}),
    ("hawk", API, lambda rnd, ts, day, n: {
        "Authorization": f'Hawk id="{"".join(rnd.choices(B62, k=12))}", ts="{ts}", '
                         f'nonce="{"".join(rnd.choices(B62, k=6))}", mac="{_b64(rnd, 32)}"'}),
    ("http signature", API, lambda rnd, ts, day, n: {
        "Authorization": f'Signature keyId="{uuid4()}",algorithm="hmac-sha256",created={ts},'
                         f'headers="(request-target) (created) digest",signature="{_b64(rnd, 32)}"'}),
    ("azure hmac", "https://acme.communication.azure.com/sms", lambda rnd, ts, day, n: {
        "Authorization": f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="
                         f"{_b64(rnd, 32)}",
        "x-ms-content-sha256": base64.b64encode(hashlib.sha256(rnd.randbytes(8)).digest()).decode()}),
    ("azure sas", "https://acme.servicebus.windows.net/orders/messages", lambda rnd, ts, day, n: {
        "Authorization": f"SharedAccessSignature sr=https%3A%2F%2Facme.servicebus.windows.net%2Forders"
                         f"&sig={quote(_b64(rnd, 32), safe='')}&se={ts}&skn=send-only"}),
    ("sentry", "https://o123456.ingest.sentry.io/api/4505/envelope/", lambda rnd, ts, day, n: {
        "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_client=sentry.python/1.39.1, "
                         f"sentry_timestamp={ts}.{rnd.randrange(10**6):06d}, sentry_key={_hex(rnd, 32)}"}),
    ("webhook hmac", API, lambda rnd, ts, day, n: {
        "X-Webhook-Secret": f"t={ts},v1={_hex(rnd, 64)}", "X-Auth-Token": _hex(rnd, 40)}),
    ("bearer tokens", API, lambda rnd, ts, day, n: {
        "Authorization": f"Bearer {jwt()}", "X-Api-Key": _hex(rnd, 32), "X-Access-Token": uuid4(),
        "X-Foo-Token": _pick(rnd, string.digits, 32), "Proxy-Authorization": f"Bearer {_b64(rnd, 30)}"}),
    ("numbered tokens", API, lambda rnd, ts, day, n: {
        "Authorization": f"Bearer {n % 10**6}|{_pick(rnd, B62, 40)}",  # Laravel Sanctum
        "X-Session-Token": f"{ts}.{_hex(rnd, 40)}", "X-Client-Secret": f"{n}:{_pick(rnd, B64U, 43)}"}),
    ("basic with an e-mail login", API, lambda rnd, ts, day, n: {
        "Authorization": _basic(EMAIL, _pick(rnd, B62 + "!#%&", 20))}),
    ("openai", "https://api.openai.com/v1/chat/completions", lambda rnd, ts, day, n: {
        "Authorization": f"Bearer {SAMPLES['openai-project-key']()[1]}",
        "OpenAI-Organization": "org-" + r(B62, 24)}),
    ("slack", "https://slack.com/api/chat.postMessage", lambda rnd, ts, day, n: {
        "Authorization": f"Bearer {SAMPLES['slack-bot-token']()[1]}"}),
    ("cloudflare legacy", "https://api.cloudflare.com/client/v4/zones", lambda rnd, ts, day, n: {
        "X-Auth-Email": EMAIL, "X-Auth-Key": _hex(rnd, 37)}),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(CREDENTIALS), st.integers(0, 2**32).map(random.Random),
       st.integers(1_000_000_000, 2_100_000_000),
       st.dates(datetime.date(2012, 1, 1), datetime.date(2040, 12, 31)), st.integers(1, 2**32 - 1))
def test_real_credential_headers_carry_no_pii(scanner: LocalScanner, case: tuple[str, str, Builder],
                                              rnd: random.Random, ts: int, day: datetime.date,
                                              n: int) -> None:
    _label, url, build = case
    headers = build(rnd, ts, day, n)
    response = scanner.scan(method="POST", url=url, headers=headers, body=b"{}")
    assert response.decision == Decision.ALLOW and response.findings == [], (headers, response.findings)
    # the lane keeps them as it keeps a request without them (its other headers may leave it)
    auth = {name: value for name, value in headers.items() if is_auth_header(name)}
    assert scanner.quiet_allow("POST", url, auth, b"{}") == scanner.quiet_allow("POST", url, {}, b"{}")


def test_the_corpus_is_auth_headers() -> None:
    """Every credential header above is read as an auth header (so the test exercises that path),
    and every identity header is one."""
    names = {n for _l, _u, build in CREDENTIALS for n in build(random.Random(1), 1_700_000_000,
                                                                datetime.date(2024, 1, 1), 1)}
    assert {n for n in names if not is_auth_header(n)} == {"X-Amz-Date", "OpenAI-Organization",
                                                          "x-ms-content-sha256"}
    assert all(is_auth_header(name) for name in IDENTITY_HEADERS)


# ------------------------------------------------------------ PII smuggled in an auth header

SMUGGLED: list[tuple[str, str, str, str]] = [
    ("X-Foo-Token", SSN, "US_SSN", SSN),
    ("X-Foo-Token", f"tok-{SSN}", "US_SSN", SSN),
    ("Authorization", f"Bearer {CARD}", "CREDIT_CARD", CARD),
    ("Authorization", f"Bearer {CARD.replace(' ', '')}", "CREDIT_CARD", CARD.replace(" ", "")),
    ("X-Api-Key", EMAIL, "EMAIL", EMAIL),
    ("X-Auth-Token", PHONE, "PHONE_NUMBER", PHONE),
    ("Proxy-Authorization", f"Bearer {EMAIL}", "EMAIL", EMAIL),
    ("X-Subscription-Token", f"ssn {SSN.replace('-', ' ')}", "US_SSN", SSN.replace("-", " ")),
    ("Authorization", "Bearer 478\u200b-23-9156", "US_SSN", "478\u200b-23-9156"),  # a zero-width space
    # Digest's response is a digest: only username and realm are an identity
    ("Authorization", f'Digest username="jane", realm="api", response="{CARD}"', "CREDIT_CARD", CARD),
]


@pytest.mark.parametrize(("name", "value", "kind", "pii"), SMUGGLED,
                         ids=[f"{n}:{k}" for n, _v, k, _p in SMUGGLED])
def test_pii_smuggled_in_an_auth_header_is_found(scanner: LocalScanner, name: str, value: str, kind: str,
                                                 pii: str) -> None:
    response = scanner.scan(method="POST", url=API, headers={name: value}, body=b"{}")
    assert response.decision == Decision.SANITIZE
    [finding] = response.findings
    assert (finding.type, finding.category, finding.location) == (kind, "pii", f"header:{name.lower()}")
    assert value[finding.start : finding.end] == pii and finding.redacted
    assert pii not in repr(finding) and finding.value_hash  # where and what kind, never the value
    assert response.sanitized_headers is not None
    sent = response.sanitized_headers[name]
    assert f"[REDACTED:{kind}]" in sent and pii not in sent
    assert not scanner.quiet_allow("POST", API, {name: value}, b"{}")
    if value.isascii():  # httpx's raw pairs, read as latin-1
        assert not scanner.quiet_allow("POST", API, [(name.encode(), value.encode())], b"{}")


PIECES = st.sampled_from([SSN, CARD, EMAIL, PHONE, " ", "-", ":", ",", "tok", "Bearer ", "key=", "ssn ",
                          "call me at ", "4155552671", "id "])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["X-Foo-Token", "Authorization", "X-Api-Key"]),
       st.lists(PIECES, min_size=1, max_size=6))
def test_an_auth_header_reads_pii_as_a_content_header_does(scanner: LocalScanner, name: str,
                                                           pieces: list[str]) -> None:
    """As written, an auth header's value holds the same PII a content header's would."""
    value = "".join(pieces)

    def pii(headers: dict[str, str]) -> list[tuple[str, int, int]]:
        response = scanner.scan(method="POST", url=API, headers=headers, body=b"{}")
        assert all(v not in repr(f) for f in response.findings for v in (SSN, CARD, EMAIL, PHONE))
        return sorted((f.type, f.start, f.end) for f in response.findings
                      if f.category == "pii" and f.encoding is None)

    assert pii({name: value}) == pii({"X-Foo-Note": value})


def test_pii_next_to_a_bound_credential_is_found_and_the_credential_kept(scanner: LocalScanner) -> None:
    """A vendor's header to its own host still faces the PII detectors; redaction keeps the rest."""
    url = "https://api.openai.com/v1/chat/completions"
    key = SAMPLES["openai-project-key"]()[1]
    headers = {"Authorization": f"Bearer {key} {SSN}"}
    response = scanner.scan(method="POST", url=url, headers=headers, body=b"{}")
    assert response.decision == Decision.SANITIZE
    assert [f.type for f in response.findings] == ["US_SSN"]
    assert response.sanitized_headers == {"Authorization": f"Bearer {key} [REDACTED:US_SSN]"}


def test_the_password_of_basic_is_read_and_its_user_name_is_not(scanner: LocalScanner) -> None:
    smuggled = _basic("jane", SSN)
    response = scanner.scan(method="GET", url=API, headers={"Authorization": smuggled})
    assert response.decision == Decision.SANITIZE
    [finding] = response.findings
    assert (finding.type, finding.location, finding.encoding) == ("US_SSN", "header:authorization", "base64")
    assert response.sanitized_headers == {"Authorization": "Basic [REDACTED:US_SSN]"}
    for login in (EMAIL, PHONE):  # a login is who authenticates: the user name is an identity
        headers = {"Authorization": _basic(login, r(B62, 24))}
        assert scanner.scan(method="GET", url=API, headers=headers).findings == []
        assert scanner.quiet_allow("GET", API, headers, None)


def test_identity_headers_and_parameters_are_no_finding(scanner: LocalScanner) -> None:
    digest = f'Digest username="{EMAIL}", realm="files@partner-service.io", nonce="{r(HEX, 32)}", ' \
             f'uri="/v1", response="{r(HEX, 32)}"'
    rails = f'Token token="{r(B62, 24)}", email="{EMAIL}"'
    for url, headers in ((API, {"Authorization": digest}), (API, {"Authorization": rails}),
                         ("https://api.cloudflare.com/client/v4/zones", {"X-Auth-Email": EMAIL,
                                                                         "X-Auth-Key": r(HEX, 37)})):
        response = scanner.scan(method="GET", url=url, headers=headers)
        assert response.decision == Decision.ALLOW and response.findings == [], headers
        assert scanner.quiet_allow("GET", url, headers, None)
    # an identity parameter belongs to its scheme: a Bearer token is not Digest
    bearer = {"Authorization": f'Bearer x, username="{EMAIL}"'}
    assert [f.type for f in scanner.scan(method="GET", url=API, headers=bearer).findings] == ["EMAIL"]


def test_a_jwts_claims_are_the_credentials_own(scanner: LocalScanner) -> None:
    """What a credential decodes to is its own: an ID token's ``email`` claim is no leak."""
    claims = base64.urlsafe_b64encode(f'{{"sub":"1","email":"{EMAIL}","phone":"{PHONE}"}}'.encode()).decode()
    token = f"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{claims.rstrip('=')}.{r(B64U, 43)}"
    headers = {"Authorization": f"Bearer {token}"}
    response = scanner.scan(method="GET", url=API, headers=headers)
    assert response.decision == Decision.ALLOW and response.findings == []
    assert scanner.quiet_allow("GET", API, headers, None)


# ------------------------------------------------------------ a private key is no bearer credential

KEY = pem("RSA PRIVATE KEY")
OPENSSH_KEY = pem("OPENSSH PRIVATE KEY")
PRIVATE_KEYS: list[tuple[str, str, str | None]] = [
    ("Authorization", "Bearer " + KEY.replace("\n", "\\n"), None),
    ("Authorization", KEY.replace("\n", " "), None),
    ("Authorization", "Bearer " + base64.b64encode(KEY.encode()).decode(), "base64"),
    ("X-Api-Key", OPENSSH_KEY.replace("\n", ""), None),
    ("DD-API-KEY", KEY.replace("\n", ""), None),  # a vendor's header names no key material's owner
]


@pytest.mark.parametrize(("name", "value", "encoding"), PRIVATE_KEYS,
                         ids=["bearer", "spaces", "base64", "x-api-key", "vendor header"])
def test_a_private_key_in_an_auth_header_is_found(scanner: LocalScanner, name: str, value: str,
                                                  encoding: str | None) -> None:
    for url in (API, "https://api.datadoghq.com/api/v1/validate"):  # to any host: bound to none
        response = scanner.scan(method="GET", url=url, headers={name: value})
        assert response.decision == Decision.SANITIZE  # the policy's ``secrets`` decision
        found = [(f.type, f.category, f.location, f.encoding) for f in response.findings]
        assert ("PRIVATE_KEY", "secret", f"header:{name.lower()}", encoding) in found
        assert response.sanitized_headers is not None
        assert "PRIVATE KEY" not in response.sanitized_headers[name]
        assert all("PRIVATE" not in f.location and f.value_hash for f in response.findings)
        assert not scanner.quiet_allow("GET", url, {name: value}, None)


def test_a_private_key_in_an_auth_header_follows_the_policy() -> None:
    strict = LocalScanner(policy='[settings.types]\nPRIVATE_KEY = "DENY"\n')
    headers = {"Authorization": "Bearer " + KEY.replace("\n", "\\n")}
    response = strict.scan(method="GET", url=API, headers=headers)
    assert response.decision == Decision.DENY
    assert [f.type for f in response.findings] == ["PRIVATE_KEY"]
