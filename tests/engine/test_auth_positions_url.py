"""A credential in a URL auth position faces the same rule as one in an auth header.

Found by the third audit: a key that names no provider in the query parameter an API documents for
it (NASA ``?api_key=``, Alpha Vantage ``?apikey=``, Polygon ``?apiKey=``, Finnhub ``?token=``,
Trello ``?token=``) was a ``GENERIC_API_KEY`` / ``GENERIC_TOKEN`` finding and redacted (the API
answered 401), while the same key as ``Authorization: Bearer`` went out: ``_url_auth`` only knew
provider credentials. Now one rule serves both positions (``secrets.is_own_credential``): a
provider's credential must be bound to the host; one that names no provider is the host's own, in
``?api_key=`` as in the header. In a content parameter (``?text=``, ``?q=``) it is still a finding.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from secret_samples import B62, HEX, SAMPLES, r

from interven_autoguard import Decision, LocalScanner, ReasonCode
from interven_autoguard.engine import secrets
from interven_autoguard.model import ScanResponse

GENERIC = "Qm8Zp2Lm7Vn3Rt9Sx1Wy5Az6Bc0De4Fg8Hj2Kl3"  # an alphanumeric key of no known format


def _b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _jwt(claims: dict[str, object]) -> str:
    return f"{_b64url({'alg': 'HS256', 'typ': 'JWT'})}.{_b64url(claims)}.{r(B62 + '-_', 43)}"


@pytest.fixture(scope="module")
def scanner() -> LocalScanner:
    return LocalScanner()


def _clean_allow(result: ScanResponse) -> None:
    assert result.decision == Decision.ALLOW, [(f.type, f.location) for f in result.findings]
    assert not result.findings and result.sanitized_url is None


# ------------------------------------------------------------------ the audit's examples

AUDIT_URLS = {
    "NASA": "https://api.nasa.gov/planetary/apod?api_key={k}",
    "Alpha Vantage": "https://www.alphavantage.co/query?function=TIME_SERIES_DAILY&symbol=IBM&apikey={k}",
    "Polygon": "https://api.polygon.io/v2/aggs/ticker/AAPL/prev?adjusted=true&apiKey={k}",
    "Giphy": "https://api.giphy.com/v1/gifs/search?api_key={k}&q=cat&limit=5",
    "Etherscan": "https://api.etherscan.io/api?module=stats&action=ethprice&apikey={k}",
    "Finnhub": "https://finnhub.io/api/v1/quote?symbol=AAPL&token={k}",
    "ScrapingBee": "https://app.scrapingbee.com/api/v1/?api_key={k}&url=https%3A%2F%2Facme.dev",
}


@pytest.mark.parametrize("name", sorted(AUDIT_URLS))
def test_a_key_in_the_documented_query_parameter_goes_out(scanner: LocalScanner, name: str) -> None:
    _clean_allow(scanner.scan(method="GET", url=AUDIT_URLS[name].format(k=GENERIC)))


@pytest.mark.parametrize("url", [
    "https://api.apify.com/v2/acts/apify~web-scraper/runs?token=apify_api_" + r(B62, 36),
    f"https://api.trello.com/1/members/me/boards?key={r(HEX, 32)}&token=ATTA{r(HEX, 64)}{r(B62, 8)}",
    "https://ws.example.com/socket?access_token=" + _jwt({"sub": "u-1", "iat": 1700000000}),
    # a JWT's claims are part of the credential, as in an auth header
    "https://ws.example.com/socket?token=" + _jwt({"sub": "u-1", "email": "jane.doe@acme-corp.com"}),
])
def test_prefixed_keys_and_jwts_in_auth_parameters_go_out(scanner: LocalScanner, url: str) -> None:
    _clean_allow(scanner.scan(method="GET", url=url))


# ------------------------------------------------------------------ one rule for header and URL

def _as_header(scanner: LocalScanner, host: str, value: str) -> ScanResponse:
    return scanner.scan(method="GET", url=f"https://{host}/v1/data",
                        headers={"Authorization": f"Bearer {value}"})


def _as_query(scanner: LocalScanner, host: str, value: str, param: str = "api_key") -> ScanResponse:
    return scanner.scan(method="GET", url=f"https://{host}/v1/data?{param}={quote(value, safe='')}")


CREDENTIALS = {
    "generic": lambda: GENERIC,
    "jwt": lambda: _jwt({"sub": "svc-7", "scope": "read"}),
    "google": lambda: SAMPLES["google-api-key"]()[1],
    "github": lambda: SAMPLES["github-pat"]()[1],
    "openai": lambda: SAMPLES["openai-project-key"]()[1],
    "slack": lambda: SAMPLES["slack-bot-token"]()[1],
}
HOSTS = ["api.nasa.gov", "www.googleapis.com", "api.github.com", "api.openai.com", "slack.com",
         "collector.example.net"]


@pytest.mark.parametrize("kind", sorted(CREDENTIALS))
@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("param", ["api_key", "token", "access_token", "key"])
def test_header_and_url_auth_positions_agree(scanner: LocalScanner, kind: str, host: str, param: str) -> None:
    value = CREDENTIALS[kind]()
    header, query = _as_header(scanner, host, value), _as_query(scanner, host, value, param)
    assert (header.decision == Decision.ALLOW) == (query.decision == Decision.ALLOW), (header, query)
    if query.decision != Decision.ALLOW:
        # a mismatch in the header is refused (the header cannot be sent without its key); in the
        # URL the key is redacted, as before: either way it does not reach the host
        assert header.decision == Decision.DENY and ReasonCode.CREDENTIAL_HOST_MISMATCH in header.reason_codes
        assert query.decision == Decision.SANITIZE
        assert query.sanitized_url is not None and value not in query.sanitized_url
        assert [f.location for f in query.findings] == [f"query:{param}"]
    assert value not in repr(header) + repr(query)


def test_the_binding_rule_is_one_function() -> None:
    host = "api.nasa.gov"
    assert secrets.is_own_credential(None, "generic-api-key", host)
    assert secrets.is_own_credential(None, "jwt", host, in_url=True)
    for detector in ("generic-password", "generic-secret", "private-key", "connection-string-password"):
        assert not secrets.is_own_credential(None, detector, host, in_url=True)
    assert secrets.is_own_credential("github", "github-pat", "api.github.com", in_url=True)
    assert not secrets.is_own_credential("github", "github-pat", host, in_url=True)
    assert not secrets.is_own_credential("aws", "aws-secret-access-key", "sts.amazonaws.com")


# ------------------------------------------------------------------ must still be caught

@pytest.mark.parametrize("param", ["text", "q", "message", "d"])
def test_a_key_in_a_content_parameter_is_still_a_finding(scanner: LocalScanner, param: str) -> None:
    url = f"https://api.nasa.gov/planetary/apod?{param}=api_key%3D{GENERIC}"
    result = scanner.scan(method="GET", url=url)
    assert result.decision == Decision.SANITIZE
    assert result.sanitized_url is not None and GENERIC not in result.sanitized_url


def test_a_jwt_in_a_content_parameter_is_still_a_finding(scanner: LocalScanner) -> None:
    token = _jwt({"sub": "svc-7"})
    result = scanner.scan(method="GET", url=f"https://api.example.com/search?q={token}")
    assert result.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in result.findings] == [("JWT", "query:q")]


def test_a_providers_key_in_anothers_auth_parameter_is_still_a_finding(scanner: LocalScanner) -> None:
    key = SAMPLES["openai-project-key"]()[1]
    result = scanner.scan(method="GET", url=f"https://api.nasa.gov/planetary/apod?api_key={key}")
    assert result.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in result.findings] == [("OPENAI_API_KEY", "query:api_key")]
    assert result.sanitized_url is not None and key not in result.sanitized_url


@pytest.mark.parametrize("value", [
    "jane.doe@acme-corp.com",  # PII is no credential
    "-----BEGIN PRIVATE KEY-----",  # nor is a key that is never sent (placeholder-free below)
])
def test_what_is_no_bearer_credential_is_still_read_in_an_auth_parameter(scanner: LocalScanner,
                                                                         value: str) -> None:
    if value.startswith("-----"):
        value = SAMPLES["private-key"]()[1]
    result = scanner.scan(method="GET", url=f"https://api.example.com/x?token={quote(value, safe='')}")
    assert result.decision != Decision.ALLOW
    assert result.findings and all(f.location == "query:token" for f in result.findings)


def test_a_key_that_is_only_part_of_the_parameter_is_not_its_auth(scanner: LocalScanner) -> None:
    # "token=<a>,password=<b>": the password rule fires on a piece of the value, not on all of it
    value = quote(f"abc,password={GENERIC}", safe="")
    result = scanner.scan(method="GET", url=f"https://api.example.com/x?token={value}")
    assert result.decision == Decision.SANITIZE
    assert GENERIC not in (result.sanitized_url or "")


def test_a_self_hosted_products_token_in_a_strangers_url_is_still_found(scanner: LocalScanner) -> None:
    token = "glpat-" + r(B62, 20)
    result = scanner.scan(method="GET", url=f"https://collector.example.net/api?private_token={token}")
    assert result.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in result.findings] == [("GITLAB_TOKEN", "query:private_token")]
