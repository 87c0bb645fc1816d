"""What an auth header's value, or a body auth position, carries besides the request's own credential.

An auth header's credential faces the binding rule only (``secrets.auth``): the secret detectors
leave it alone, since it is legitimately there. But the header is also a channel an agent can fill
with anything, to any host (``X-Foo-Token: 123-45-6789``, ``Authorization: Bearer <card number>``).
Two things are never a credential, so they are read there as in any other header:

* PII, in the value as written (normalised), and in the password half of ``Basic``. Not in what
  the credential decodes to otherwise — a JWT's claims (often an e-mail) are the credential's own.
  Not where an identity is the value's meaning either: an identity header (``IDENTITY_HEADERS``),
  an auth scheme's identity parameters (``IDENTITY_PARAMS``: Digest's ``username``), the user name
  of ``Basic`` (often an e-mail).
* Key material (``KEY_MATERIAL_TYPES``: a PEM private key, as written or encoded): a private key
  authenticates by the signatures it makes and is never sent, so no host is its home.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import decoding, pii, secrets
from .secrets.auth import basic_blob
from .types import Hit, View

# Auth headers whose value is who the caller is: an e-mail there is the login half of the
# credential (Cloudflare's ``X-Auth-Email`` with ``X-Auth-Key``), not content.
IDENTITY_HEADERS: frozenset[str] = frozenset({"x-auth-email"})
# Per auth scheme (lower-case), the parameters that name who authenticates or where: RFC 7616
# Digest sends the user's name (often an e-mail) and echoes the server's realm ("api@acme.io");
# Rails' token scheme passes the login beside the token (``Token token="…", email="…"``).
IDENTITY_PARAMS: dict[str, frozenset[str]] = {
    "digest": frozenset({"username", "username*", "realm"}),
    "token": frozenset({"email"}),
}
# Secret types that are no one's bearer credential when they have no provider.
KEY_MATERIAL_TYPES: frozenset[str] = frozenset({"PRIVATE_KEY"})

# (hit, encoding or None, span in the value, the value as the detector read it)
AuthHit = tuple[Hit, "str | None", tuple[int, int], str]

_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9_.-]*)\s+")
_PARAM = re.compile(r"""(?<![^\s,])([A-Za-z][A-Za-z0-9_.*-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)""")
_DECODE_BUDGET = 64 * 1024


@lru_cache(maxsize=1024)
def auth_content(name: str, value: str) -> tuple[AuthHit, ...]:
    """PII and key material in the value of the auth header named ``name`` (lower-case), with spans
    into ``value``: what the header carries that is not the request's own credential. Empty for
    any other header (Cookie included)."""
    if not secrets.is_auth_header(name):
        return ()
    return _content(name, value, read_pii=name not in IDENTITY_HEADERS)


@lru_cache(maxsize=1024)
def credential_content(name: str, value: str) -> tuple[AuthHit, ...]:
    """The same reading for a credential in a body auth position (a WS-Security ``PasswordText``,
    Tavily's ``api_key``, an OAuth token request's ``client_secret``; ``name``: the field's name):
    the binding rule judges the credential, and PII or a private key is no credential there either."""
    return _content(name, value, read_pii=True)


def _content(name: str, value: str, *, read_pii: bool) -> tuple[AuthHit, ...]:
    views: list[View | None] = [None]
    if decoding.needs_views(value):
        # A credential's encodings are opaque by nature: a decoding cut short is no reason to fail
        # closed here, as it is for content.
        views = list(decoding.views_with_status(value, budget=4 * len(value) + _DECODE_BUDGET)[0])
    found = _pii(name, value, views[0]) if read_pii else []
    for view in views:
        text = value if view is None else view.text
        if not _may_hold_key_material(text):
            continue  # the common case: a signed header changes every call, so no cache spares this
        for hit in secrets.detect(text):
            if hit.type in KEY_MATERIAL_TYPES and hit.provider is None:
                span = _original(view, hit)
                if all(span != s for _h, _e, s, _v in found):
                    encoding = None if view is None else view.encoding
                    found.append((hit, encoding, span, text[hit.start : hit.end]))
    return tuple(found)


@lru_cache(maxsize=1)
def _key_material_words() -> tuple[str, ...]:
    """The keywords of the rules that report ``KEY_MATERIAL_TYPES``: every match holds one."""
    from .secrets.rules import INLINE_RULES, RULES

    return tuple(sorted({word.lower() for rule in (*RULES, *INLINE_RULES) if rule.type in KEY_MATERIAL_TYPES
                         for word in rule.keywords}))


def _may_hold_key_material(text: str) -> bool:
    """False ⇒ no key-material rule can match ``text`` (a keyword prefilter, as the rules' own)."""
    lower = text.lower()
    return any(word in lower for word in _key_material_words())


def _pii(name: str, value: str, view: View | None) -> list[AuthHit]:
    """PII in the value as written (``view``: normalised, None when that changes nothing) outside its
    identity parameters, and in the password half of ``Basic`` (spanning the whole blob)."""
    text = value if view is None else view.text
    found: list[AuthHit] = []
    if pii.may_match(text):
        exempt = _identity_spans(text)
        found += [(h, None, _original(view, h), text[h.start : h.end]) for h in pii.detect(text, name)
                  if not any(s < h.end and h.start < e for s, e in exempt)]
    basic = basic_blob(value)
    if basic and ":" in basic[2]:
        start, end, decoded = basic
        password = decoded.partition(":")[2]
        found += [(h, "base64", (start, end), password[h.start : h.end]) for h in pii.detect(password, name)]
    return found


def _original(view: View | None, hit: Hit) -> tuple[int, int]:
    return (hit.start, hit.end) if view is None else view.to_original(hit.start, hit.end)


def _identity_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the values of the scheme's identity parameters (``IDENTITY_PARAMS``) in ``text``."""
    scheme = _SCHEME.match(text)
    names = IDENTITY_PARAMS.get(scheme.group(1).lower()) if scheme else None
    if scheme is None or not names:
        return []
    return [m.span(2) for m in _PARAM.finditer(text, scheme.end()) if m.group(1).lower() in names]
