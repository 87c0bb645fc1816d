"""A small rule engine with LocalScanner's interface, used only until the embedded engine is importable.

The gateway tests exercise the protocol (wire format, auth, limits, approvals, audit); which engine
decides does not change what they check. ``gw_support.engine_factory`` prefers the real
``interven_autoguard.engine.scanner.LocalScanner`` whenever it exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from interven_autoguard.model import Finding, ScanResponse

_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_GHP = re.compile(r"\bghp_[A-Za-z0-9]{36}\b")
_RULES = ((_SSN, "US_SSN", "pii", "PII_DETECTED"), (_GHP, "GITHUB_PAT", "secret", "SECRET_DETECTED"))


class EngineDouble:
    name = "embedded"

    def __init__(self, policy: Any = None, *, approvals: Any = None) -> None:
        self.approvals = approvals
        self.policy_version = "double-1"

    def _redact(self, value: Any, path: str, findings: list[Finding]) -> Any:
        if isinstance(value, dict):
            return {k: self._redact(v, f"{path}.{k}", findings) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redact(v, f"{path}[{i}]", findings) for i, v in enumerate(value)]
        if isinstance(value, str):
            for rx, kind, category, _ in _RULES:
                for m in rx.finditer(value):
                    digest = hashlib.sha256(m.group().encode()).hexdigest()[:12]
                    findings.append(Finding(kind, kind.lower(), category, path, m.start(), m.end(), digest))
                value = rx.sub(f"[REDACTED:{kind}]", value)
        return value

    def scan(
        self,
        *,
        method: str = "GET",
        url: str,
        headers: Any = None,
        body: Any = None,
        agent_id: str | None = None,
        request_hash: str | None = None,
    ) -> ScanResponse:
        parts = urlsplit(url)
        trace_id = uuid.uuid4().hex
        if parts.hostname == "169.254.169.254":
            return ScanResponse(
                "DENY",
                ["SSRF_METADATA"],
                1.0,
                "CRITICAL",
                trace_id=trace_id,
                policy_version=self.policy_version,
            )
        findings: list[Finding] = []
        as_text = isinstance(body, (bytes, str))
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        redacted = self._redact(text if as_text else body, "body$" if not as_text else "body", findings)
        if isinstance(body, bytes):
            redacted = redacted.encode()
        if method.upper() == "PUT" and "/collaborators/" in parts.path:
            resp = ScanResponse(
                "REQUIRE_APPROVAL",
                ["APPROVAL_REQUIRED"],
                0.7,
                "HIGH",
                trace_id=trace_id,
                findings=findings,
                policy_version=self.policy_version,
                matched_rules=["github-add-collaborator"],
            )
            rh = (
                request_hash
                or hashlib.sha256(
                    f"{method}\n{url}\n{json.dumps(body, sort_keys=True, default=str)}".encode()
                ).hexdigest()
            )
            rec = self.approvals.create(
                method=method.upper(),
                url=url,
                request_display={"headers": {}, "body": redacted},
                request_hash=rh,
                policy_version=self.policy_version,
                reason_codes=resp.reason_codes,
                risk_score=0.7,
                risk_band="HIGH",
                agent_id=agent_id,
                process=f"pid {os.getpid()}",
                ttl_seconds=3600.0,
            )
            resp.approval_id = str(rec.id)
            return resp
        if findings:
            codes = sorted({next(c for rx, k, _, c in _RULES if k == f.type) for f in findings})
            return ScanResponse(
                "SANITIZE",
                codes,
                0.6,
                "HIGH",
                sanitized_body=redacted,
                trace_id=trace_id,
                findings=findings,
                policy_version=self.policy_version,
            )
        return ScanResponse("ALLOW", [], 0.0, "LOW", trace_id=trace_id, policy_version=self.policy_version)
