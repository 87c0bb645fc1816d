"""The request's own credentials: which headers carry them, and which provider a value belongs to.

An ``Authorization`` header is not a leak — it is how the request authenticates to its destination.
It only matters whether a *provider* credential is going to a host of that provider (the binding rule
in ``providers``). So here we only identify provider credentials; generic bearer tokens, JWTs and
ordinary Basic credentials return nothing.

Which headers are auth headers (``is_auth_header``) is three tables, not a closed list of names:

* ``AUTH_HEADERS``: the usual names (``Authorization``, ``X-Api-Key``, ``Private-Token``, ...);
* a name's shape: its last word(s) name a credential (``AUTH_NAME_ENDINGS``: ``X-Subscription-Token``,
  ``x-chroma-token``, ``Token``, ``X-TYPESENSE-API-KEY``, ``x-hasura-admin-secret``,
  ``X-Sentry-Auth``), unless the header is stored content (``CONTENT_HEADER_PREFIXES``:
  ``x-amz-meta-…``) or the name is *about* a credential (``x-token-type``, ``x-next-page-token``);
* ``VENDOR_AUTH_HEADERS``: vendors' own auth headers, and whose credential their value is.

Whose credential a value is: its shape (``ghp_…``, ``sk-proj-…``), or a context format named by the
header (a 32-hex value in ``DD-API-KEY`` is a Datadog API key), or failing both the vendor the header
belongs to (``X-Algolia-API-Key``, ``X-Postmark-Server-Token``, ``X-Auth-Email``). A value of unknown
provider in an auth header is the request's own credential to whatever host it goes to, as a
``Bearer`` token is.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache

from ..types import Hit
from . import _engine
from . import validators as v
from .context import classify_key, key_words
from .rules import PRIORITY_CONTEXT, RULES

AUTH_HEADERS: frozenset[str] = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "apikey",
        "x-apikey",
        "x-auth-token",
        "x-access-token",
        "x-auth-key",
        "private-token",  # GitLab
        "job-token",  # GitLab CI
        "x-goog-api-key",
        "x-figma-token",
        "x-vault-token",
        "dd-api-key",
        "dd-application-key",
        "x-postmark-server-token",
        "x-shopify-access-token",
        "x-honeycomb-team",
        "xi-api-key",  # ElevenLabs
        "ocp-apim-subscription-key",  # Azure API Management / Cognitive Services
        "x-functions-key",  # Azure Functions
        "x-api-token",
        "x-gitlab-token",
        "x-rapidapi-key",
        "x-amz-security-token",
        "x-ms-client-secret",
    }
)

# The last word of a header name (``context.key_words``), or its last two joined, that makes the
# header an auth header: "X-Subscription-Token", "x-cg-pro-api-key", "APCA-API-SECRET-KEY",
# "Helicone-Auth". A fused word ending in "token" counts too ("X-AccessToken", "X-CSRFToken").
# Not "password" (content, as in a body), nor key material that authenticates nothing
# ("X-Private-Key", "X-Encryption-Key"). A name about a credential ("x-token-type", "x-api-key-id")
# or a listing cursor ("x-next-page-token") is no auth header: ``context.classify_key`` decides.
AUTH_NAME_ENDINGS: frozenset[str] = frozenset(
    {
        "token", "secret", "auth", "authorization",
        "apikey", "accesskey", "appkey", "authkey", "subscriptionkey", "licensekey", "servicekey",
        "masterkey", "secretkey", "clientsecret",
    }
)
# Headers whose value the destination stores and shows as data whatever their name: object
# metadata (S3, GCS, Azure Blob, Swift, OSS, COS). ``x-amz-meta-api-key`` is content.
CONTENT_HEADER_PREFIXES: tuple[str, ...] = (
    "x-amz-meta-", "x-goog-meta-", "x-ms-meta-", "x-object-meta-", "x-container-meta-",
    "x-account-meta-", "x-oss-meta-", "x-cos-meta-",
)
# Vendors' own auth headers: the name says whose credential the value is, whatever its shape
# (name -> (provider in ``providers.PROVIDER_HOSTS``, the finding type a mismatch reports)). Only
# names that belong to one vendor, and only vendors whose hosts are known: a self-hostable product's
# header (Weaviate, Chroma, Typesense, Hasura, Portkey, Stargate's ``X-Cassandra-Token``) goes to the
# customer's own instance, so it is an auth header by its shape and nothing more (GitLab and Vault
# are bound as ``SELF_HOSTED_PROVIDERS``: anywhere until a policy's ``[bindings]`` names instances).
# Not ``x-goog-api-key`` either: proxies (LiteLLM) document it for their own keys, and a Google key
# is bound by its shape.
VENDOR_AUTH_HEADERS: dict[str, tuple[str, str]] = {
    "dd-api-key": ("datadog", "DATADOG_API_KEY"),
    "dd-application-key": ("datadog", "DATADOG_APP_KEY"),
    "x-honeycomb-team": ("honeycomb", "HONEYCOMB_KEY"),
    "xi-api-key": ("elevenlabs", "ELEVENLABS_API_KEY"),
    "x-postmark-server-token": ("postmark", "POSTMARK_TOKEN"),
    "x-postmark-account-token": ("postmark", "POSTMARK_TOKEN"),
    "x-algolia-api-key": ("algolia", "ALGOLIA_KEY"),
    "x-figma-token": ("figma", "FIGMA_TOKEN"),
    "x-shopify-access-token": ("shopify", "SHOPIFY_TOKEN"),
    "private-token": ("gitlab", "GITLAB_TOKEN"),
    "job-token": ("gitlab", "GITLAB_TOKEN"),
    "x-vault-token": ("vault", "VAULT_TOKEN"),
    # Cloudflare's legacy API key auth: the account's login and its Global API Key, always together.
    # The e-mail is the login half (as the user name of Basic), not content.
    "x-auth-email": ("cloudflare", "CLOUDFLARE_AUTH_EMAIL"),
    "x-cg-pro-api-key": ("coingecko", "COINGECKO_API_KEY"),
    "x-cg-demo-api-key": ("coingecko", "COINGECKO_API_KEY"),
    "x-cmc_pro_api_key": ("coinmarketcap", "COINMARKETCAP_API_KEY"),
    "x-finnhub-token": ("finnhub", "FINNHUB_TOKEN"),
    "x-riot-token": ("riot", "RIOT_API_KEY"),
    "apca-api-key-id": ("alpaca", "ALPACA_KEY_ID"),
    "apca-api-secret-key": ("alpaca", "ALPACA_SECRET_KEY"),
    "x-bb-api-key": ("browserbase", "BROWSERBASE_API_KEY"),
    "plaid-secret": ("plaid", "PLAID_SECRET"),
}
# The detector id of a credential known by its vendor header's name alone.
VENDOR_HEADER_DETECTOR = "vendor-auth-header"
_AUTH_KINDS = frozenset({"api_key", "token", "secret"})


@lru_cache(maxsize=1024)
def is_auth_header(name: str) -> bool:
    """Whether a header named ``name`` carries the request's own credential (see the module
    docstring): its value faces the binding rule, not the secret detectors (``engine.auth_content``
    reads what it carries besides the credential)."""
    low = name.lower()
    if low in AUTH_HEADERS or low in VENDOR_AUTH_HEADERS:
        return True
    if low.startswith(CONTENT_HEADER_PREFIXES):
        return False
    words = key_words(low[:120])
    if not words:
        return False
    last, pair = words[-1], "".join(words[-2:])
    shaped = last in AUTH_NAME_ENDINGS or pair in AUTH_NAME_ENDINGS or \
        (last.endswith("token") and len(last) > 5)
    return shaped and classify_key(low) in _AUTH_KINDS


def vendor_hit(name: str, value: str) -> Hit | None:
    """The credential a vendor's own auth header names (``VENDOR_AUTH_HEADERS``), spanning the value
    (an auth scheme word before it left out); None for other headers, an empty value, a
    placeholder (``${DD_API_KEY}``, ``<your key>``) or a value with spaces inside."""
    row = VENDOR_AUTH_HEADERS.get(name.lower())
    if row is None or not isinstance(value, str) or len(value) > 16384:
        return None
    m = _VENDOR_VALUE.fullmatch(value)
    if m is None or v.is_placeholder(m.group("v")):
        return None
    provider, type_ = row
    return Hit(type_, VENDOR_HEADER_DETECTOR, "secret", m.start("v"), m.end("v"), provider, 0.9)


_VENDOR_VALUE = re.compile(r"\s*(?:(?i:bearer|token|key)\s+)?(?P<v>\S+)\s*")

_BASIC = re.compile(r"(?i)\s*basic\s+([A-Za-z0-9+/_-]+={0,2})\s*$")
# Context rules whose word lives elsewhere (the text "twilio", "mailgun"): in an auth header the
# header itself is the context, so these run without their keyword.
_AUTH_CONTEXT_RULES = frozenset(
    {"twilio-api-key", "twilio-account-sid", "mailgun-api-key", "resend-api-key", "discord-bot-token"}
)


def detect_auth_value(value: str, key: str | None = None) -> list[Hit]:
    """Provider-specific credentials inside an auth header value, with spans into ``value``.

    ``key``: the header's name, as context for the formats that need a word (``DD-API-KEY``,
    ``X-Honeycomb-Team``, ``xi-api-key``: the name says whose key a bare hex string is).
    ``Basic`` credentials are base64-decoded; a provider token found inside yields a hit spanning
    the whole base64 blob (that is what would have to be redacted).
    """
    if not isinstance(value, str) or not value.strip() or len(value) > 16384:
        return []
    hits = [h for h in _provider_hits(value, key) if h.provider]
    basic = basic_blob(value)
    if basic:
        start, end, decoded = basic
        if decoded:
            for h in _provider_hits(decoded):
                if h.provider:
                    hits.append(Hit(h.type, h.detector, h.category, start, end, h.provider, h.severity))
    hits.sort(key=lambda h: h.start)
    out: list[Hit] = []
    for h in hits:  # de-duplicate identical spans from the raw and decoded passes
        if not out or h.start >= out[-1].end:
            out.append(h)
    return out


def basic_blob(value: str) -> tuple[int, int, str] | None:
    """The base64 blob of a ``Basic`` auth value: its span in ``value`` and what it decodes to
    (``user:password``; "" when it is no base64 of UTF-8 text); None for other values."""
    m = _BASIC.match(value)
    if m is None:
        return None
    return m.start(1), m.end(1), _b64(m.group(1)) or ""


def _provider_hits(text: str, key: str | None = None) -> list[Hit]:
    found = [h for h in _engine.detect(text, key) if h.provider]
    c = _engine.compiled()
    cands: list[_engine._Candidate] = []
    for i, rule in enumerate(c.rules):
        if rule.id in _AUTH_CONTEXT_RULES:
            for m in c.regexes[i].finditer(text):
                _engine._consider(c, i, text, m, cands)
    for cand in cands:
        if all(cand.end <= h.start or cand.start >= h.end for h in found):
            found.append(
                Hit(cand.type, cand.rule_id, "secret", cand.start, cand.end, cand.provider, cand.severity)
            )
    # Only formats that identify their provider: a bare 32-hex string in a header says nothing.
    return [h for h in found if _priority(h.detector) >= PRIORITY_CONTEXT]


def _priority(rule_id: str) -> int:
    rule = _RULE_BY_ID.get(rule_id)
    return rule.priority if rule else 0


def _b64(blob: str) -> str | None:
    padded = blob + "=" * (-len(blob) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


_RULE_BY_ID = {r.id: r for r in RULES}
