"""Errors of the gateway protocol, named and shaped like the Interven SDK's (``aif_sdk.exceptions``).

Code written as ``except AuthenticationError`` / ``except PayloadTooLargeError`` against the seed SDK
keeps working against ours. Every class also derives from ``AutoguardError`` so one ``except``
catches everything this package raises. Messages never contain a key, secret or request body.
"""

from __future__ import annotations

from typing import Any

from ..errors import AutoguardError

MAX_BODY_BYTES = 256 * 1024


class AifError(AutoguardError):
    """Base of every gateway-protocol error. ``code`` is a stable upper-case identifier."""

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.details = details or {}


class AuthenticationError(AifError):
    """The API key is missing, invalid or revoked (HTTP 401), or an HMAC signature did not verify."""


class GatewayError(AifError):
    """The gateway could not be reached, answered 5xx / an unexpected status, or not with JSON."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.status = status


class PolicyDeniedError(AifError):
    """An invocation was denied by policy (``AifClient(raise_on_deny=True)``)."""

    def __init__(
        self,
        message: str,
        *,
        reason_codes: list[str],
        matched_policies: list[str],
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code="POLICY_DENIED", details=details)
        self.reason_codes = reason_codes
        self.matched_policies = matched_policies


class ApprovalExpiredError(AifError):
    """The approval expired before anyone decided."""

    def __init__(self, approval_id: str, message: str | None = None) -> None:
        super().__init__(
            message or f"Approval {approval_id} expired before a decision was made", code="APPROVAL_EXPIRED"
        )
        self.approval_id = approval_id


class ApprovalDeniedError(AifError):
    """An approver denied the request."""

    def __init__(self, approval_id: str, message: str | None = None) -> None:
        super().__init__(
            message or f"Approval {approval_id} was denied by an approver", code="APPROVAL_DENIED"
        )
        self.approval_id = approval_id


class ApprovalTimeoutError(AifError):
    """The client gave up waiting (``max_wait``) before the approval reached a final state."""

    def __init__(self, approval_id: str, waited_seconds: float) -> None:
        super().__init__(
            f"Timed out after {waited_seconds:.0f}s waiting for approval {approval_id}",
            code="APPROVAL_TIMEOUT",
        )
        self.approval_id = approval_id
        self.waited_seconds = waited_seconds


class ReplayRejectedError(AifError):
    """The gateway rejected a signed request whose timestamp is too old (replay protection)."""

    def __init__(self) -> None:
        super().__init__("Request rejected: timestamp too old (>60s)", code="REPLAY_REJECTED")


class PayloadTooLargeError(AifError):
    """The request body exceeds the gateway's limit (256 KB). Raised before anything is sent."""

    def __init__(self, size: int | None = None, limit: int = MAX_BODY_BYTES) -> None:
        suffix = f" ({size} bytes)" if size is not None else ""
        super().__init__(f"Request body exceeds {limit // 1024}KB limit{suffix}", code="PAYLOAD_TOO_LARGE")
        self.size = size
        self.limit = limit
