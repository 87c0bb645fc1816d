"""Wire format of the Interven gateway protocol (JSON field names as in the published SDK).

Shared by the clients and the server so both sides agree on one definition of every field.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from ..model import Finding, ScanResponse

DEFAULT_GATEWAY_URL = "https://api.intervensecurity.com"
DEFAULT_TIMEOUT = 30.0
SCAN_PATH = "/v1/scan"
SCAN_RESPONSE_PATH = "/v1/scan/response"
HEALTH_PATH = "/health"
INVOKE_PATH = "/invoke"
SIGNATURE_HEADER = "X-AIF-Signature"
TERMINAL_STATES = ("approved", "denied", "expired", "executed")


def approval_status_path(approval_id: str, *, legacy: bool = False) -> str:
    prefix = "" if legacy else "/v1"
    return f"{prefix}/approvals/{approval_id}/status"


def dumps(payload: Any) -> bytes:
    """Compact, deterministic JSON bytes (what gets signed is exactly what gets sent)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_body(body: Any) -> tuple[Any, str | None]:
    """A request body as a JSON value plus its encoding tag (``None`` = the value itself).

    Bytes travel as base64 so a binary or non-UTF-8 body reaches the engine byte for byte and the
    sanitized body can come back as bytes again.
    """
    if isinstance(body, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(body)).decode("ascii"), "base64"
    return body, None


def decode_body(value: Any, encoding: str | None) -> Any:
    if encoding == "base64" and isinstance(value, str):
        return base64.b64decode(value.encode("ascii"), validate=True)
    return value


def finding_from_dict(data: dict[str, Any]) -> Finding:
    return Finding(
        type=str(data.get("type", "")),
        detector=str(data.get("detector", "")),
        category=str(data.get("category", "")),
        location=str(data.get("location", "")),
        start=int(data.get("start") or 0),
        end=int(data.get("end") or 0),
        value_hash=str(data.get("hash") or ""),
        encoding=data.get("encoding"),
        provider=data.get("provider"),
        redacted=bool(data.get("redacted", False)),
    )


def scan_response_from_wire(data: dict[str, Any]) -> ScanResponse:
    """Parse a ``/v1/scan`` answer. Tolerates the hosted service's smaller field set."""
    findings = [finding_from_dict(f) for f in data.get("findings") or [] if isinstance(f, dict)]
    return ScanResponse(
        decision=str(data.get("decision", "")).upper(),
        reason_codes=[str(c) for c in data.get("reason_codes") or []],
        risk_score=float(data.get("risk_score") or 0.0),
        risk_band=str(data.get("risk_band") or "LOW").upper(),
        sanitized_body=decode_body(data.get("sanitized_body"), data.get("sanitized_body_encoding")),
        sanitized_url=data.get("sanitized_url"),
        sanitized_headers=data.get("sanitized_headers"),
        approval_id=data.get("approval_id"),
        trace_id=str(data.get("trace_id") or "") or None,
        findings=findings,
        policy_version=data.get("policy_version"),
        matched_rules=[str(r) for r in data.get("matched_rules") or []],
        scanner="gateway",
        raw=data,
    )


def scan_response_to_wire(resp: ScanResponse) -> dict[str, Any]:
    out = resp.to_dict()
    body, encoding = encode_body(resp.sanitized_body)
    out["sanitized_body"] = body
    if encoding:
        out["sanitized_body_encoding"] = encoding
    out["scanner"] = "gateway"
    return out


@dataclass
class ApprovalStatus:
    """``GET /v1/approvals/{id}/status``. ``status``: pending, approved, denied, expired, executed."""

    approval_id: str
    status: str
    decision: str | None = None
    decided_at: str | None = None
    expires_at: str | None = None
    remaining_seconds: int = 0
    poll_guidance: str | None = None
    retry_guidance: str | None = None
    error: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApprovalStatus:
        return cls(
            approval_id=str(data.get("approval_id") or ""),
            status=str(data.get("status") or "unknown"),
            decision=data.get("decision"),
            decided_at=data.get("decided_at"),
            expires_at=data.get("expires_at"),
            remaining_seconds=int(data.get("remaining_seconds") or 0),
            poll_guidance=data.get("poll_guidance"),
            retry_guidance=data.get("retry_guidance"),
            error=data.get("error"),
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATES

    @property
    def is_approved(self) -> bool:
        return self.status == "approved"


@dataclass
class InvokeParams:
    """One tool invocation for the legacy HMAC ``/invoke`` flow."""

    tool_name: str
    method: str
    url_path: str
    credential_type: str
    credential_token: str
    scopes: list[str]
    operation: str | None = None
    body: Any | None = None
    headers: dict[str, str] | None = None
    trace_id: str | None = None

    def __repr__(self) -> str:  # the credential never appears in logs or tracebacks
        return (
            f"InvokeParams(tool_name={self.tool_name!r}, method={self.method!r}, url_path={self.url_path!r}, "
            f"credential_type={self.credential_type!r}, credential_token='***', scopes={self.scopes!r})"
        )


@dataclass
class RiskInfo:
    score: float
    band: str
    signals: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class MatchedPolicy:
    policy_id: str
    rule_ids: list[str] = field(default_factory=list)
    policy_version: int | str | None = None


@dataclass
class InvokeResponse:
    decision: str | None = None
    risk: RiskInfo | None = None
    matched_policies: list[MatchedPolicy] = field(default_factory=list)
    reason_codes: list[str] = field(default_factory=list)
    approval_id: str | None = None
    error: str | None = None
    upstream_response: Any | None = None
    response_actions: list[dict[str, Any]] | None = None
    http_status: int = 200
    trace_id: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], http_status: int = 200) -> InvokeResponse:
        risk_data = data.get("risk")
        risk = None
        if isinstance(risk_data, dict):
            risk = RiskInfo(
                score=float(risk_data.get("score") or 0.0),
                band=str(risk_data.get("band") or "LOW"),
                signals=list(risk_data.get("signals") or []),
            )
        matched = [
            MatchedPolicy(
                policy_id=str(mp.get("policy_id", "")),
                rule_ids=list(mp.get("rule_ids") or []),
                policy_version=mp.get("policy_version"),
            )
            for mp in data.get("matched_policies") or []
            if isinstance(mp, dict)
        ]
        return cls(
            decision=data.get("decision"),
            risk=risk,
            matched_policies=matched,
            reason_codes=list(data.get("reason_codes") or []),
            approval_id=data.get("approval_id"),
            error=data.get("error"),
            upstream_response=data.get("upstream_response"),
            response_actions=data.get("response_actions"),
            http_status=http_status,
            trace_id=data.get("trace_id"),
        )
