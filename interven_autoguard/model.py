"""Result types shared by the embedded engine, the gateway client and the guard.

Field names follow the Interven SDK (``ScanResponse``, ``decision``, ``reason_codes`` ...) so code
written against that SDK reads the same against ours.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any


class Decision(str, enum.Enum):
    """What the guard does with a request. Compares equal to its plain string value."""

    ALLOW = "ALLOW"
    SANITIZE = "SANITIZE"
    REQUIRE_APPROVAL = "REQUIRE_APPROVAL"
    DENY = "DENY"

    def __str__(self) -> str:  # "ALLOW", not "Decision.ALLOW"
        return self.value

    @property
    def rank(self) -> int:
        """Precedence: DENY > REQUIRE_APPROVAL > SANITIZE > ALLOW."""
        return _RANK[self]

    @classmethod
    def strongest(cls, *decisions: Decision) -> Decision:
        best = cls.ALLOW
        for d in decisions:
            if _RANK[d] > _RANK[best]:
                best = d
        return best


_RANK = {Decision.ALLOW: 0, Decision.SANITIZE: 1, Decision.REQUIRE_APPROVAL: 2, Decision.DENY: 3}


class ReasonCode:
    """Stable, upper-case reason codes. Never rename one: users match on them."""

    SECRET_DETECTED = "SECRET_DETECTED"
    PII_DETECTED = "PII_DETECTED"
    SSRF_METADATA = "SSRF_METADATA"
    SSRF_PRIVATE_NETWORK = "SSRF_PRIVATE_NETWORK"
    EXFIL_DESTINATION = "EXFIL_DESTINATION"
    CREDENTIAL_HOST_MISMATCH = "CREDENTIAL_HOST_MISMATCH"
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    BODY_NOT_INSPECTABLE = "BODY_NOT_INSPECTABLE"
    INVALID_URL = "INVALID_URL"
    POLICY_RULE = "POLICY_RULE"
    APPROVAL_REQUIRED = "APPROVAL_REQUIRED"
    SCANNER_ERROR = "SCANNER_ERROR"


class RiskBand(str, enum.Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def for_score(cls, score: float) -> RiskBand:
        if score >= 0.85:
            return cls.CRITICAL
        if score >= 0.6:
            return cls.HIGH
        if score >= 0.3:
            return cls.MEDIUM
        return cls.LOW


@dataclass(frozen=True)
class Finding:
    """One thing a detector found. Carries where and what kind, never the value itself.

    ``location`` is ``body$.messages[2].content``, ``body`` (plain text), ``query:token``,
    ``header:x-debug``, ``url`` (userinfo/host) or ``url.path``; in a header line of the e-mail a
    body field is base64 of, that line's sub-field: ``body$.raw<mime>.header:To``. ``start``/``end``
    are character offsets inside that field's *original* text (for a sub-field: the field's); for a
    value found inside a base64/hex blob they are the whole blob, the stretch that redaction
    rewrites (the value replaced inside the decoded text, the blob re-encoded as it was written).
    ``encoding`` names the decoding chain that revealed it (``"base64>percent"``; ``"base64>mime"``
    for what only a mail reader's decoding of such an e-mail shows: quoted-printable parts, encoded
    words) or is ``None`` when it was found as written; ``"plus"``
    (``"plus>base64"``...) when only a query/form parameter's literal reading, its raw ``+`` kept a
    ``+`` rather than read as a space, shows it.
    ``value_hash`` is a short salted hash, stable within one process, so two findings of the same
    value can be correlated without revealing it.
    """

    type: str
    detector: str
    category: str  # "secret" | "pii" | "destination" | "policy" | "input"
    location: str
    start: int = 0
    end: int = 0
    value_hash: str = ""
    encoding: str | None = None
    provider: str | None = None
    redacted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "detector": self.detector,
            "category": self.category,
            "location": self.location,
            "start": self.start,
            "end": self.end,
            "hash": self.value_hash,
            "encoding": self.encoding,
            "provider": self.provider,
            "redacted": self.redacted,
        }


@dataclass
class ScanResponse:
    """The decision for one request. Same fields and helpers as the Interven SDK's result."""

    decision: str
    reason_codes: list[str] = field(default_factory=list)
    risk_score: float = 0.0
    risk_band: str = "LOW"
    sanitized_body: Any = None
    sanitized_url: str | None = None
    sanitized_headers: dict[str, str] | None = None
    approval_id: str | None = None
    trace_id: str | None = None
    findings: list[Finding] = field(default_factory=list)
    policy_version: str | None = None
    matched_rules: list[str] = field(default_factory=list)
    scanner: str = "embedded"
    raw: dict[str, Any] | None = None

    @property
    def allowed(self) -> bool:
        return self.decision == Decision.ALLOW

    @property
    def blocked(self) -> bool:
        return self.decision == Decision.DENY

    @property
    def needs_sanitization(self) -> bool:
        return self.decision == Decision.SANITIZE

    @property
    def needs_approval(self) -> bool:
        return self.decision == Decision.REQUIRE_APPROVAL

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": str(self.decision),
            "reason_codes": list(self.reason_codes),
            "risk_score": self.risk_score,
            "risk_band": str(self.risk_band),
            "sanitized_body": _jsonable(self.sanitized_body),
            "sanitized_url": self.sanitized_url,
            "sanitized_headers": self.sanitized_headers,
            "approval_id": self.approval_id,
            "trace_id": self.trace_id,
            "findings": [f.to_dict() for f in self.findings],
            "policy_version": self.policy_version,
            "matched_rules": list(self.matched_rules),
            "scanner": self.scanner,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            import base64

            return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def fingerprint_json(value: Any) -> bytes:
    """``value`` as JSON for a request fingerprint: keys sorted, so equal bodies hash alike. A body
    whose keys do not sort (``{"a": 1, 2: "x"}``, as a direct ``scan()`` caller may pass) is taken
    in its own order instead of raising out of the scan."""
    try:
        return json.dumps(value, sort_keys=True, default=str).encode()
    except TypeError:
        return json.dumps(value, default=str).encode()
