"""Body auth positions: the body fields an API documents as where its client's credential goes.

Most APIs read the request's credential from a header; a few document a field of the body instead
(or as well), and their SDKs use it: LangChain's Tavily tool posts ``{"api_key": "tvly-…"}``,
posthog-python puts ``api_key`` in every batch, GitLab documents ``--form token=…`` for pipeline
triggers, Slack's Web API accepts ``token`` as a POST parameter, an S3 presigned POST carries its
signing fields (``x-amz-credential``, ``x-amz-security-token``, ``policy``, ``x-amz-signature``)
next to the file. On those endpoints, those fields are the request's own credential, exactly as
an ``Authorization`` header is: they face the binding rule only (a provider's credential found in
them must be bound to the host, else ``CREDENTIAL_HOST_MISMATCH``; one that names no provider is the
host's own). Everywhere else — another field, another path, another host — a credential in the
body is content and a finding, to its own provider too: the same Slack token in ``text`` posts it
into a channel, and in the form of a request to any other host it leaks.

A row matches a request when its host is one of the row's ``hosts`` patterns — none: the
provider's own hosts (``PROVIDER_HOSTS``, not its customers' ``TENANT_HOSTS``) — or a host the
policy's ``[bindings]`` names for the row's provider (a self-hosted GitLab, a PostHog reverse
proxy), and its path matches one of the row's ``paths``. Only top-level fields count: a form
parameter, a multipart text part (not a file part), a top-level JSON key, of the ``kinds`` listed,
and (kind ``QUERY``) a query parameter of the URL, for an API that takes its parameters there too.
OAuth token requests (a ``grant_type`` body, to any host) are the scanner's other body auth position.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..policy_globs import PathMatcher, normalize_path
from .providers import TENANT_HOSTS, Bindings, host_allowed_for_provider, host_named_in_bindings, tenant_regex

FORM, JSON, MULTIPART = "form", "json", "multipart"
# Not a body: the URL's query parameters, for methods that an API documents as taking their
# parameters in the query string as well (Telegram's Bot API: ``setWebhook?secret_token=…``).
QUERY = "query"


@dataclass(frozen=True, slots=True)
class BodyAuthPosition:
    """Fields of a body that an endpoint documents as its client's credential."""

    provider: str  # whose endpoint (a key of PROVIDER_HOSTS): its [bindings] name more hosts
    paths: tuple[str, ...]  # path globs: ``*`` one segment, ``**`` any, matched on the normalised path
    fields: tuple[str, ...]  # top-level field names, lower case, compared without case
    kinds: tuple[str, ...] = (FORM, JSON, MULTIPART)  # the bodies they are read from
    hosts: tuple[str, ...] = ()  # TENANT_HOSTS-style host patterns; none: the provider's own hosts


BODY_AUTH_POSITIONS: tuple[BodyAuthPosition, ...] = (
    # Tavily's REST API (and LangChain's TavilySearchAPIWrapper): {"api_key": "tvly-…", "query": …}
    BodyAuthPosition("tavily", ("/search", "/extract", "/crawl", "/map"), ("api_key",), (JSON,)),
    # PostHog ingestion and flags (posthog-python: "api_key" in every /batch/; /decide, /flags: "token")
    BodyAuthPosition("posthog", ("/batch", "/capture", "/e", "/i/v0/e", "/track", "/engage", "/decide",
                                 "/flags"), ("api_key", "token"), (JSON, FORM)),
    # GitLab pipeline trigger: curl --form token=glptt-… --form ref=main …/projects/:id/trigger/pipeline
    BodyAuthPosition("gitlab", ("/api/v4/projects/**/trigger/pipeline",), ("token",)),
    # Slack Web API methods take "token" as a POST parameter (form or multipart, not JSON)
    BodyAuthPosition("slack", ("/api/*",), ("token",), (FORM, MULTIPART)),
    # S3 presigned POST (boto3 generate_presigned_post; SigV4 and SigV2 field names) to a bucket,
    # virtual-hosted (path "/") or path-style ("/<bucket>"): the signing fields, never the file
    BodyAuthPosition(
        "aws", ("/", "/*"),
        ("x-amz-credential", "x-amz-security-token", "x-amz-signature", "x-amz-algorithm", "x-amz-date",
         "policy", "awsaccesskeyid", "signature"),
        (MULTIPART,), hosts=TENANT_HOSTS["aws"]["url"],
    ),
    # Plaid authenticates every call with client_id and secret in the JSON body and names the Item
    # (access_token) or the Link session (public_token, link_token) there (plaid-python, all envs)
    BodyAuthPosition("plaid", ("/**",), ("client_id", "secret", "access_token", "public_token", "link_token"),
                     (JSON,)),
    # Telegram setWebhook's secret_token: minted for Telegram, echoed back in
    # X-Telegram-Bot-Api-Secret-Token (the bot token itself is the URL's /bot<token>/ auth position)
    BodyAuthPosition("telegram", ("/bot*/setwebhook",), ("secret_token",), (JSON, FORM, MULTIPART, QUERY)),
    # Mailchimp Transactional (Mandrill): {"key": "md-…", …} on every /api/1.0/ call
    BodyAuthPosition("mailchimp", ("/api/1.0/**",), ("key",), (JSON,)),
)

# Every field name any row lists: a body with none of them has no body auth position.
FIELD_NAMES = frozenset(name for row in BODY_AUTH_POSITIONS for name in row.fields)

_Compiled = tuple[BodyAuthPosition, "re.Pattern[str] | None", PathMatcher]


@functools.cache
def _compiled() -> tuple[_Compiled, ...]:
    return tuple((row, tenant_regex(row.hosts), PathMatcher(row.paths)) for row in BODY_AUTH_POSITIONS)


def _host_matches(row: BodyAuthPosition, hosts: re.Pattern[str] | None, host: str,
                  bindings: Bindings) -> bool:
    if host_named_in_bindings(row.provider, host, bindings):
        return True
    if hosts is not None:
        return hosts.fullmatch(host) is not None
    return host_allowed_for_provider(row.provider, host, bindings, in_url=True)


@functools.lru_cache(maxsize=1024)
def body_auth_fields(host: str, path: str, bindings: Bindings = ()) -> frozenset[tuple[str, str]]:
    """The (kind, lower-case name) of the top-level body fields that are a request's own credential
    on this endpoint (``host``: as destinations normalise it; ``path``: the URL's, raw)."""
    normalised = normalize_path(path)
    found: set[tuple[str, str]] = set()
    for row, hosts, paths in _compiled():
        if paths(normalised) and _host_matches(row, hosts, host, bindings):
            found.update((kind, name) for kind in row.kinds for name in row.fields)
    return frozenset(found)
