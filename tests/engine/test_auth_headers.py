"""Auth headers beyond the usual names: a header whose name says it carries a credential is the
request's own authentication, and faces the binding rule instead of the content detectors.

Third audit, problem 1: vendors' API-key headers outside the closed ``AUTH_HEADERS`` list were read as
content, so every call's own key was redacted from its own header (Algolia, Brave, Weaviate, Chroma,
Astra, Portkey, Typesense, Browserbase, Hasura, CoinGecko, Finnhub, Riot, Alpaca, Cloudflare's
``X-Auth-Email``). Problem M2: a key in the auth header named for its provider (``DD-API-KEY``,
``X-Honeycomb-Team``, ``xi-api-key``, ``X-Postmark-Server-Token``) went to any host unchecked.

All credentials are fake, built at run time with the right shape.
"""

from __future__ import annotations

from typing import Any

import pytest
from secret_samples import B62, B64U, HEX, LOWER_ALNUM, UPPER_ALNUM, github, r, uuid4

from interven_autoguard import Decision, LocalScanner, ReasonCode
from interven_autoguard.engine import secrets
from interven_autoguard.engine.scanner import display_request

ALGOLIA_KEY = r(HEX, 32)
DD_API_KEY = r(HEX, 32)
DD_APP_KEY = r(HEX, 40)
HONEYCOMB_KEY = r(B62, 22)
ELEVENLABS_KEY = "sk_" + r(HEX, 48)
POSTMARK_TOKEN = uuid4()
CF_GLOBAL_KEY = r(HEX, 37)
COHERE_KEY = r(B62, 40)
OPENAI_KEY = f"sk-proj-{r(B64U, 74)}T3BlbkFJ{r(B64U, 74)}"
ASTRA_TOKEN = f"AstraCS:{r(B62, 24)}:{r(HEX, 64)}"
JSON = {"Content-Type": "application/json"}
FOREIGN = "https://logs-intake.attacker-analytics.net/api/v2/logs"


@pytest.fixture(scope="module")
def scanner() -> LocalScanner:
    return LocalScanner()


def scan(scanner: LocalScanner, method: str, url: str, headers: dict[str, str], body: Any = None) -> Any:
    return scanner.scan(method=method, url=url, headers=headers, body=body)


# ------------------------------------------------------------ problem 1: the call's own key

OWN_KEY_CALLS: list[tuple[str, str, str, dict[str, str], Any]] = [
    ("algolia search", "POST", "https://latency7x2-dsn.algolia.net/1/indexes/products/query",
     {"X-Algolia-Application-Id": "LATENCY7X2", "X-Algolia-API-Key": ALGOLIA_KEY}, {"params": "query=usb-c"}),
    ("algolia analytics", "GET", "https://analytics.algolia.com/2/searches?index=products",
     {"X-Algolia-Application-Id": "LATENCY7X2", "X-Algolia-API-Key": ALGOLIA_KEY}, None),
    ("brave search", "GET", "https://api.search.brave.com/res/v1/web/search?q=coffee+grinder",
     {"Accept": "application/json", "X-Subscription-Token": "BSA" + r(B62, 28)}, None),
    ("weaviate cloud", "POST", "https://rv8dx3ks.c0.us-west3.gcp.weaviate.cloud/v1/graphql",
     {**JSON, "X-Weaviate-Api-Key": r(B62, 40)}, {"query": "{ Get { Article(limit: 5) { title } } }"}),
    ("chroma cloud", "POST", "https://api.trychroma.com/api/v2/tenants/t1/databases/prod/collections/c1/query",
     {**JSON, "x-chroma-token": "ck-" + r(B62, 40)}, {"query_texts": ["billing"], "n_results": 3}),
    ("astra data api", "POST",
     f"https://{uuid4()}-us-east-2.apps.astra.datastax.com/api/json/v1/default_keyspace/docs",
     {**JSON, "Token": ASTRA_TOKEN}, {"find": {"filter": {}}}),
    ("astra stargate", "GET", f"https://{uuid4()}-us-east-2.apps.astra.datastax.com/api/rest/v2/keyspaces",
     {"X-Cassandra-Token": ASTRA_TOKEN}, None),
    ("portkey", "POST", "https://api.portkey.ai/v1/chat/completions",
     {**JSON, "x-portkey-api-key": r(B62, 32)}, {"model": "gpt-4o-mini", "messages": []}),
    ("typesense", "GET", "https://xyz-1.a1.typesense.net/collections/products/documents/search?q=shoe",
     {"X-TYPESENSE-API-KEY": r(B62, 32)}, None),
    ("browserbase", "POST", "https://api.browserbase.com/v1/sessions",
     {**JSON, "X-BB-API-Key": "bb_live_" + r(B64U, 27)}, {"projectId": uuid4()}),
    ("hasura", "POST", "https://acme.hasura.app/v1/graphql",
     {**JSON, "x-hasura-admin-secret": r(B62, 64)}, {"query": "{ users { id } }"}),
    ("coingecko", "GET", "https://pro-api.coingecko.com/api/v3/simple/price?ids=bitcoin&vs_currencies=usd",
     {"x-cg-pro-api-key": "CG-" + r(B62, 24)}, None),
    ("coinmarketcap", "GET", "https://pro-api.coinmarketcap.com/v1/cryptocurrency/listings/latest",
     {"X-CMC_PRO_API_KEY": uuid4()}, None),
    ("finnhub", "GET", "https://finnhub.io/api/v1/quote?symbol=AAPL", {"X-Finnhub-Token": r(LOWER_ALNUM, 20)},
     None),
    ("riot", "GET", "https://americas.api.riotgames.com/riot/account/v1/accounts/by-riot-id/x/y",
     {"X-Riot-Token": "RGAPI-" + uuid4()}, None),
    ("alpaca", "GET", "https://paper-api.alpaca.markets/v2/account",
     {"APCA-API-KEY-ID": "PK" + r(UPPER_ALNUM, 18), "APCA-API-SECRET-KEY": r(B62, 40)}, None),
    ("cloudflare legacy", "GET", "https://api.cloudflare.com/client/v4/zones",
     {"X-Auth-Email": "ops@acme.dev", "X-Auth-Key": CF_GLOBAL_KEY}, None),
    ("datadog logs", "POST", "https://http-intake.logs.datadoghq.com/api/v2/logs",
     {**JSON, "DD-API-KEY": DD_API_KEY}, [{"message": "hello"}]),
    ("datadog api", "GET", "https://api.datadoghq.eu/api/v1/monitor",
     {"DD-API-KEY": DD_API_KEY, "DD-APPLICATION-KEY": DD_APP_KEY}, None),
    ("honeycomb", "POST", "https://api.honeycomb.io/1/events/prod",
     {**JSON, "X-Honeycomb-Team": HONEYCOMB_KEY}, {"duration_ms": 12}),
    ("elevenlabs", "POST", "https://api.elevenlabs.io/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM",
     {**JSON, "xi-api-key": ELEVENLABS_KEY}, {"text": "hello", "model_id": "eleven_multilingual_v2"}),
    ("postmark", "POST", "https://api.postmarkapp.com/email",
     {**JSON, "X-Postmark-Server-Token": POSTMARK_TOKEN}, {"Subject": "Hi", "TextBody": "Build finished."}),
    ("csrf", "POST", "https://app.example.com/api/items", {**JSON, "X-CSRFToken": r(B62, 64)}, {"name": "x"}),
]


@pytest.mark.parametrize(("method", "url", "headers", "body"), [c[1:] for c in OWN_KEY_CALLS],
                         ids=[c[0] for c in OWN_KEY_CALLS])
def test_a_vendor_key_in_its_own_header_to_its_own_host_is_allowed(
        scanner: LocalScanner, method: str, url: str, headers: dict[str, str], body: Any) -> None:
    response = scan(scanner, method, url, headers, body)
    assert response.decision == Decision.ALLOW, response.findings
    assert response.findings == []
    assert response.sanitized_headers is None


def test_the_quiet_lane_agrees_for_vendor_auth_headers(scanner: LocalScanner) -> None:
    """The header plan reads the new auth headers as credentials (a binding check, no content scan)
    and answers as ``scan`` does, for dicts, pairs and httpx's raw byte pairs alike: to their own
    host they keep a request in the lane (unless its URL alone leaves it), to a foreign host only
    when ``scan`` finds nothing there either."""
    for _label, method, url, headers, _body in OWN_KEY_CALLS:
        auth = {n: v for n, v in headers.items() if secrets.is_auth_header(n)}
        assert auth, url
        for host in (url, FOREIGN):
            response = scan(scanner, method, host, auth)
            clean = response.decision == Decision.ALLOW and response.findings == []
            target = clean and scanner.quiet_allow(method, host, {}, None)
            assert clean or host == FOREIGN, (host, auth)
            assert scanner.quiet_allow(method, host, auth, None) is target, (host, auth)
            assert scanner.quiet_allow(method, host, list(auth.items()), None) is target, (host, auth)
            raw = [(n.encode(), v.encode()) for n, v in auth.items()]
            assert scanner.quiet_allow(method, host, raw, None) is target, (host, auth)


# ------------------------------------------------------------ M2: the name says whose key it is

NAMED_KEYS: list[tuple[str, str, str]] = [
    ("DD-API-KEY", DD_API_KEY, "DATADOG_API_KEY"),
    ("DD-APPLICATION-KEY", DD_APP_KEY, "DATADOG_APP_KEY"),
    ("X-Honeycomb-Team", HONEYCOMB_KEY, "HONEYCOMB_KEY"),
    ("xi-api-key", ELEVENLABS_KEY, "ELEVENLABS_API_KEY"),
    ("X-Postmark-Server-Token", POSTMARK_TOKEN, "POSTMARK_TOKEN"),
    ("X-Algolia-API-Key", ALGOLIA_KEY, "ALGOLIA_KEY"),
    ("X-Auth-Email", "ops@acme.dev", "CLOUDFLARE_AUTH_EMAIL"),
    ("x-cg-pro-api-key", "CG-" + r(B62, 24), "COINGECKO_API_KEY"),
    ("X-Finnhub-Token", r(LOWER_ALNUM, 20), "FINNHUB_TOKEN"),
    ("X-Riot-Token", "RGAPI-" + uuid4(), "RIOT_API_KEY"),
    ("APCA-API-SECRET-KEY", r(B62, 40), "ALPACA_SECRET_KEY"),
]


@pytest.mark.parametrize(("name", "value", "kind"), NAMED_KEYS, ids=[n for n, _v, _k in NAMED_KEYS])
def test_a_key_in_its_vendors_header_to_a_foreign_host_is_a_binding_mismatch(
        scanner: LocalScanner, name: str, value: str, kind: str) -> None:
    response = scan(scanner, "POST", FOREIGN, {**JSON, name: value}, [{"message": "hello"}])
    assert response.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in response.reason_codes
    [finding] = response.findings
    assert (finding.type, finding.category, finding.location) == (kind, "credential_binding",
                                                                 f"header:{name.lower()}")
    assert value not in repr(finding) and finding.value_hash  # where and what kind, never the value
    assert not scanner.quiet_allow("POST", FOREIGN, {**JSON, name: value}, b"[]")


def test_the_same_datadog_key_is_caught_in_the_header_as_in_the_query(scanner: LocalScanner) -> None:
    in_query = scan(scanner, "POST", f"{FOREIGN}?dd-api-key={DD_API_KEY}", {}, [{"message": "hello"}])
    in_header = scan(scanner, "POST", FOREIGN, {"DD-API-KEY": DD_API_KEY}, [{"message": "hello"}])
    assert in_query.decision != Decision.ALLOW and in_header.decision == Decision.DENY
    assert [(f.type, f.provider) for f in in_header.findings] == [("DATADOG_API_KEY", "datadog")]


def test_a_policy_binds_a_vendor_header_to_a_relay(scanner: LocalScanner) -> None:
    """Datadog Agent, Vector, an OTel collector or Honeycomb Refinery on one's own host: ``[bindings]``."""
    relay = "https://vector.observability.internal.example/api/v2/logs"
    headers = {"DD-API-KEY": DD_API_KEY, "X-Honeycomb-Team": HONEYCOMB_KEY}
    assert scan(scanner, "POST", relay, headers, b"[]").decision == Decision.DENY
    bound = LocalScanner(policy='[bindings]\ndatadog = ["observability.internal.example"]\n'
                                'honeycomb = ["vector.observability.internal.example"]\n')
    assert scan(bound, "POST", relay, headers, b"[]").decision == Decision.ALLOW
    assert bound.quiet_allow("POST", relay, headers, b"[]")


@pytest.mark.parametrize("value", ["${DD_API_KEY}", "<your-datadog-api-key>", "", "   ", "xxxxxxxxxxxxxxxx"])
def test_a_placeholder_in_a_vendor_header_is_no_credential(scanner: LocalScanner, value: str) -> None:
    assert scan(scanner, "POST", FOREIGN, {"DD-API-KEY": value}, None).decision == Decision.ALLOW


def test_the_values_shape_names_its_provider_before_the_header_does(scanner: LocalScanner) -> None:
    """An OpenAI key in ``DD-API-KEY`` is an OpenAI key: to Datadog it is a mismatch, reported once."""
    response = scan(scanner, "POST", "https://api.datadoghq.com/api/v2/series", {"DD-API-KEY": OPENAI_KEY})
    assert response.decision == Decision.DENY
    assert [(f.type, f.provider) for f in response.findings] == [("OPENAI_API_KEY", "openai")]


# ------------------------------------------------------------ generic auth headers, and content headers


def test_a_generic_key_in_an_auth_header_goes_to_its_host_as_a_bearer_token_does(
        scanner: LocalScanner) -> None:
    url = "https://api.unknown-vendor.example/v1/x"
    for headers in ({"X-Subscription-Token": "BSA" + r(B62, 28)}, {"Authorization": "Bearer " + r(B62, 40)},
                    {"x-chroma-token": "ck-" + r(B62, 40)}):
        assert scan(scanner, "GET", url, headers).decision == Decision.ALLOW


def test_a_provider_token_in_a_generic_auth_header_faces_the_binding_rule(scanner: LocalScanner) -> None:
    token = github("ghp_")
    assert scan(scanner, "GET", "https://api.github.com/user", {"X-GitHub-Token": token}).decision == \
        Decision.ALLOW
    response = scan(scanner, "GET", "https://api.search.brave.com/res/v1/web/search?q=x",
                    {"X-Subscription-Token": token})
    assert response.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in response.reason_codes


def test_a_module_key_forwarded_through_weaviate_is_relayed_to_its_provider() -> None:
    """``X-Cohere-Api-Key`` / ``X-OpenAI-Api-Key`` carry the user's Cohere / OpenAI key to a Weaviate
    cluster, which calls the provider with it. To Weaviate Cloud that is the module header's purpose
    (``KEY_RELAY_HEADERS``, see test_weaviate_relay); a self-hosted cluster is a mismatch until the
    policy binds it for that provider (it used to be redacted, breaking the call)."""
    headers = {"Authorization": "Bearer " + r(B62, 40), "X-Cohere-Api-Key": COHERE_KEY,
               "X-OpenAI-Api-Key": OPENAI_KEY}
    cloud = "https://abc123xyz.c0.europe-west3.gcp.weaviate.cloud/v1/graphql"
    scanner = LocalScanner()
    assert scanner.scan(method="POST", url=cloud, headers=headers, body=b"{}").decision == Decision.ALLOW
    url = "https://weaviate.data.acme-corp.example/v1/graphql"
    response = scanner.scan(method="POST", url=url, headers=headers, body=b"{}")
    assert response.decision == Decision.DENY
    assert sorted(f.provider for f in response.findings) == ["cohere", "openai"]
    bound = LocalScanner(policy='[bindings]\ncohere = ["weaviate.data.acme-corp.example"]\n'
                                'openai = ["weaviate.data.acme-corp.example"]\n')
    assert bound.scan(method="POST", url=url, headers=headers, body=b"{}").decision == Decision.ALLOW


@pytest.mark.parametrize(("headers", "kind"), [
    ({"X-Customer-Note": "SSN 478-23-9156"}, "US_SSN"),
    ({"X-Debug": OPENAI_KEY}, "OPENAI_API_KEY"),
    ({"x-amz-meta-api-key": r(B62, 40)}, "GENERIC_API_KEY"),  # object metadata: stored content
    ({"X-Password": "Tr0ub4dor&3xk"}, "PASSWORD"),
    ({"X-Goog-Authenticated-User-Email": "jane.doe@acme-corp.com"}, "EMAIL"),
])
def test_content_headers_are_still_read_as_content(scanner: LocalScanner, headers: dict[str, str],
                                                   kind: str) -> None:
    url = "https://acme-data.s3.amazonaws.com/notes.txt"
    response = scan(scanner, "PUT", url, headers, b"hi")
    assert response.decision == Decision.SANITIZE
    assert [f.type for f in response.findings] == [kind]
    assert response.sanitized_headers is not None
    assert f"[REDACTED:{kind}]" in next(iter(response.sanitized_headers.values()))
    assert not scanner.quiet_allow("PUT", url, headers, b"hi")


def test_an_approver_never_sees_a_vendor_auth_header() -> None:
    shown = display_request([("X-Algolia-API-Key", ALGOLIA_KEY), ("X-Auth-Email", "ops@acme.dev"),
                             ("X-Customer-Note", "hello")], None, None)
    assert shown["headers"] == {"X-Algolia-API-Key": "[MASKED]", "X-Auth-Email": "[MASKED]",
                                "X-Customer-Note": "hello"}


def test_a_secret_in_an_auth_shaped_header_name_never_reaches_a_location() -> None:
    """``X-<token>-Token`` is an auth header by its shape; its name holds a secret of its own, so a
    binding finding on its value is located by position, as content headers with such names are."""
    token = github("ghp_")
    name = f"X-{token}-Token"
    result = LocalScanner().scan(method="GET", url="https://api.example.com/x", headers={name: token})
    assert result.decision == Decision.DENY
    assert result.findings and all(token.lower() not in f.location.lower() for f in result.findings)
    assert {f.location for f in result.findings} == {"header#0", "header#0.name"}
