"""The request's own credentials: which headers carry them, and which provider a value belongs to.

An ``Authorization`` header is not a leak — it is how the request authenticates to its destination.
It only matters whether a *provider* credential is going to a host of that provider (the binding rule
in ``providers``). So here we only identify provider-specific tokens; generic bearer tokens, JWTs and
ordinary Basic credentials return nothing.
"""

from __future__ import annotations

import base64
import binascii
import re

from ..types import Hit
from . import _engine
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

_BASIC = re.compile(r"(?i)\s*basic\s+([A-Za-z0-9+/_-]+={0,2})\s*$")
# Context rules whose word lives elsewhere (the text "twilio", "mailgun"): in an auth header the
# header itself is the context, so these run without their keyword.
_AUTH_CONTEXT_RULES = frozenset(
    {"twilio-api-key", "twilio-account-sid", "mailgun-api-key", "resend-api-key", "discord-bot-token"}
)


def detect_auth_value(value: str) -> list[Hit]:
    """Provider-specific credentials inside an auth header value, with spans into ``value``.

    ``Basic`` credentials are base64-decoded; a provider token found inside yields a hit spanning
    the whole base64 blob (that is what would have to be redacted).
    """
    if not isinstance(value, str) or not value.strip() or len(value) > 16384:
        return []
    hits = [h for h in _provider_hits(value) if h.provider]
    m = _BASIC.match(value)
    if m:
        decoded = _b64(m.group(1))
        if decoded:
            start, end = m.span(1)
            for h in _provider_hits(decoded):
                if h.provider:
                    hits.append(Hit(h.type, h.detector, h.category, start, end, h.provider, h.severity))
    hits.sort(key=lambda h: h.start)
    out: list[Hit] = []
    for h in hits:  # de-duplicate identical spans from the raw and decoded passes
        if not out or h.start >= out[-1].end:
            out.append(h)
    return out


def _provider_hits(text: str) -> list[Hit]:
    found = [h for h in _engine.detect(text) if h.provider]
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
