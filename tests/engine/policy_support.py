"""Builders for policy tests: real RequestContext / DestinationAssessment / Finding objects."""

from __future__ import annotations

from urllib.parse import urlsplit

from interven_autoguard.engine.types import DestHit, DestinationAssessment, RequestContext
from interven_autoguard.model import Finding


def request(
    method: str, url: str, *, agent_id: str | None = None, hits: tuple[DestHit, ...] = ()
) -> tuple[RequestContext, DestinationAssessment]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    ctx = RequestContext(
        method=method,
        url=url,
        scheme=parts.scheme,
        host=host,
        port=parts.port,
        path=parts.path or "/",
        agent_id=agent_id,
    )
    dest = DestinationAssessment(scheme=parts.scheme, host=host, port=parts.port, ip=None, hits=hits)
    return ctx, dest


def finding(type_: str, location: str = "body$.text", category: str | None = None) -> Finding:
    if category is None:
        pii = {"EMAIL", "PHONE_NUMBER", "US_SSN", "US_ITIN", "CREDIT_CARD", "IBAN", "ABA_ROUTING",
               "CN_RESIDENT_ID", "IN_AADHAAR", "IN_PAN", "KR_RRN", "JP_MY_NUMBER"}
        category = "pii" if type_ in pii else "secret"
    return Finding(
        type=type_,
        detector=type_.lower().replace("_", "-"),
        category=category,
        location=location,
        start=0,
        end=4,
        value_hash="h" + type_[:4].lower(),
    )


def hit(type_: str, reason: str, decision: str = "DENY") -> DestHit:
    return DestHit(type=type_, detector=type_.lower(), reason_code=reason, decision=decision)


def evaluate(policy, method: str, url: str, findings=(), *, hits=(), agent_id=None, **flags):
    ctx, dest = request(method, url, agent_id=agent_id, hits=tuple(hits))
    return policy.evaluate(ctx, list(findings), dest, **flags)
