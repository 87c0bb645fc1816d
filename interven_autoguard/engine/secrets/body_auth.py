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
OAuth token requests (a ``grant_type`` body, to any host) are the scanner's other body auth position,
and a SOAP envelope's WS-Security ``PasswordText`` (``wsse_password_spans``, below) a third.
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


# --- WS-Security UsernameToken ----------------------------------------------------------------------
#
# A SOAP service that authenticates with a WS-Security UsernameToken reads the client's password from
# the envelope's header: ``Envelope/Header/Security/UsernameToken/Password`` with Type ``…#PasswordText``
# (the default when Type is absent; a ``#PasswordDigest`` is a hash and no finding anyway). There, and
# only there, the password is the request's own credential for the host it is sent to, as an
# Authorization header's is. The envelope must be the whole XML body; anything else — a Password
# element in the SOAP Body (the payload), a UsernameToken in a non-SOAP document, in a SOAP envelope
# pasted into a JSON field or a prompt, or in a document this reader does not follow (a DOCTYPE,
# mismatched tags, text around the root) — has no auth position and stays content.
#
# Read without an XML parser (nothing is expanded): start and end tags, comments, CDATA sections and
# processing instructions are stepped over once each, left to right, with namespace prefixes resolved
# from the enclosing start tags' ``xmlns`` declarations. Linear; bounded depth and tag length.

SOAP_ENVELOPE_NAMESPACES = frozenset({
    "http://schemas.xmlsoap.org/soap/envelope/",  # SOAP 1.1
    "http://www.w3.org/2003/05/soap-envelope",  # SOAP 1.2
})
WSSE_NAMESPACES = frozenset({
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",  # WSS 1.0 / 1.1
    "http://schemas.xmlsoap.org/ws/2002/07/secext",  # pre-OASIS drafts, still sent by old stacks
    "http://schemas.xmlsoap.org/ws/2003/06/secext",
})
_SOAP_PATH = ("Envelope", "Header", "Security", "UsernameToken")
_MAX_DEPTH = 256
_MAX_TAG = 8192
_TAG = re.compile(r"<(/?)([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)")
_ATTR = re.compile(r"\s*([A-Za-z_][\w.:-]*)\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
_SPACE = frozenset(" \t\r\n\ufeff")


def _attributes(text: str) -> dict[str, str] | None:
    """A start tag's attributes (``text``: after its name, before ``>`` / ``/>``); None if unreadable."""
    attrs: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        m = _ATTR.match(text, pos)
        if m is None:
            return attrs if not text[pos:].strip() else None
        attrs[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3)
        pos = m.end()
    return attrs


def _is_password_text(attrs: dict[str, str]) -> bool:
    kind = next((v for k, v in attrs.items() if k.rpartition(":")[2] == "Type"), None)
    return kind is None or kind.strip().endswith(("#PasswordText", ":PasswordText")) or \
        kind.strip() == "PasswordText"


def wsse_password_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of ``text`` (a whole XML body) that are a WS-Security ``PasswordText`` in the header of
    the SOAP envelope that ``text`` is: the element's content (a CDATA section's too). Empty when
    ``text`` is no SOAP envelope this reader follows to its end, or has no such password."""
    if "Password" not in text or "Envelope" not in text:
        return ()
    spans: list[tuple[int, int]] = []
    # open elements: (qualified name, local name, namespace, prefix declarations made here)
    stack: list[tuple[str, str, str | None, dict[str, str]]] = []
    pos, n, closed = 0, len(text), False

    def resolve(prefix: str, declared: dict[str, str]) -> str | None:
        key = "xmlns:" + prefix if prefix else "xmlns"
        if key in declared:
            return declared[key]
        return next((d[key] for *_x, d in reversed(stack) if key in d), None)

    while True:
        lt = text.find("<", pos)
        if (not stack or closed) and any(c not in _SPACE for c in text[pos : n if lt < 0 else lt]):
            return ()  # text outside the root element
        if lt < 0:
            break
        if text.startswith("<!--", lt):
            end = text.find("-->", lt + 4)
            if end < 0:
                return ()
            pos = end + 3
            continue
        if text.startswith("<?", lt):
            end = text.find("?>", lt + 2)
            if end < 0:
                return ()
            pos = end + 2
            continue
        if text.startswith("<![CDATA[", lt):
            end = text.find("]]>", lt + 9)
            if end < 0 or not stack:
                return ()
            pos = end + 3
            continue
        m = _TAG.match(text, lt)
        gt = text.find(">", lt, lt + _MAX_TAG)
        if m is None or gt < 0:
            return ()  # a DOCTYPE, a stray "<", a tag too long to follow
        qname = m.group(2)
        if m.group(1):  # end tag
            if text[m.end() : gt].strip() or not stack or stack[-1][0] != qname:
                return ()
            stack.pop()
            closed = not stack
            pos = gt + 1
            continue
        if closed:
            return ()  # a second root
        empty = text[gt - 1] == "/"
        attrs = _attributes(text[m.end() : gt - 1 if empty else gt])
        if attrs is None or len(stack) >= _MAX_DEPTH:
            return ()
        declared = {k: v.strip() for k, v in attrs.items() if k == "xmlns" or k.startswith("xmlns:")}
        prefix, _colon, local = qname.rpartition(":")
        namespace = resolve(prefix, declared)
        depth = len(stack)
        if depth == 0 and (local != "Envelope" or namespace not in SOAP_ENVELOPE_NAMESPACES):
            return ()  # not a SOAP envelope
        pos = gt + 1
        if not empty:
            stack.append((qname, local, namespace, declared))
        if empty or local != "Password" or namespace not in WSSE_NAMESPACES or depth != len(_SOAP_PATH):
            continue
        if [s[1] for s in stack[:-1]] != list(_SOAP_PATH) or stack[1][2] != stack[0][2] or \
                stack[2][2] not in WSSE_NAMESPACES or stack[3][2] not in WSSE_NAMESPACES or \
                not _is_password_text(attrs):
            continue
        start = pos
        if text.startswith("<![CDATA[", start):
            inner = text.find("]]>", start + 9)
            if inner < 0:
                return ()
            end = inner + 3
        else:
            end = text.find("<", start)
            if end < 0:
                return ()
        if not text.startswith("</" + qname, end):
            continue  # not text alone: the end tag is checked as any other
        spans.append((start, end))
        pos = end
    return tuple(spans) if closed else ()
