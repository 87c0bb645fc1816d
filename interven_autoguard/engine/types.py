"""Internal contracts between the engine's parts (detectors, decoding, destinations, policy).

These types never leave the engine: the public result is ``model.ScanResponse`` / ``model.Finding``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from .decoding_map import Edit, SpanMap


@dataclass(frozen=True, slots=True)
class Hit:
    """A detector's match inside one text: ``text[start:end]`` is the sensitive value."""

    type: str  # upper-case finding type: "GITHUB_PAT", "AWS_ACCESS_KEY", "US_SSN", "EMAIL"
    detector: str  # rule id: "github-pat", "us-ssn"
    category: str  # "secret" | "pii"
    start: int
    end: int
    provider: str | None = None  # secrets: key of the provider→hosts binding table
    severity: float = 0.8  # 0..1, feeds the risk score


@dataclass(frozen=True, slots=True)
class DestHit:
    """Something about the destination itself (metadata IP, exfil host, private network)."""

    type: str  # "CLOUD_METADATA", "LINK_LOCAL", "PRIVATE_NETWORK", "LOOPBACK", "EXFIL_HOST", "INVALID_URL"
    detector: str
    reason_code: str  # model.ReasonCode value
    decision: str  # the decision this hit asks for by default: "DENY" | "ALLOW" | ...
    severity: float = 1.0


@dataclass(frozen=True)
class DestinationAssessment:
    """The parsed destination of a request and what is wrong with it, if anything."""

    scheme: str
    host: str  # lower-case, IDNA/trailing-dot normalised; IPs in canonical form
    port: int | None
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None  # when the host is (or encodes) an IP
    hits: tuple[DestHit, ...] = ()
    userinfo: str | None = None  # raw "user:pass" of the request URL, if any


@dataclass(frozen=True)
class View:
    """One way of reading a field: normalised as written, or decoded (base64, percent, ...).

    ``to_original(start, end)`` maps a span of ``text`` back to the span of the field's original
    text that redaction rewrites (for an encoded blob: the whole blob). ``redaction(start, end,
    kind)`` says how: the edits of the field text that replace just that span with the placeholder
    of ``kind`` — inside a base64/hex blob, by re-encoding it (``decoding_map.SpanMap.redaction``);
    None when that cannot be done exactly.

    ``subfield(start, end)``, when the view reads a structure inside the field (a field that is
    base64 of an e-mail, ``decoding_mime``), names the part of it a span lies in, as a suffix of
    the field's location (``"<mime>.header:To"``), or ``""`` outside every part; None for views
    without one (nearly all).
    """

    text: str
    encoding: str | None  # None for the normalised original; "base64", "percent>base64", ...
    to_original: Callable[[int, int], tuple[int, int]]
    subfield: Callable[[int, int], str] | None = None

    def redaction(self, start: int, end: int, kind: str) -> tuple[Edit, ...] | None:
        if isinstance(self.to_original, SpanMap):
            return self.to_original.redaction(start, end, kind)
        return ((*self.to_original(start, end), kind),)  # the identity: the text as written


@dataclass
class RequestContext:
    """What policy rules match on besides findings."""

    method: str
    url: str
    scheme: str
    host: str
    port: int | None
    path: str
    agent_id: str | None = None
    body_size: int = 0
    extra: dict[str, str] = field(default_factory=dict)
