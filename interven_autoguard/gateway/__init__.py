"""The Interven gateway protocol: seed-compatible clients and the self-hosted gateway server.

Client side (no third-party dependency): ``Client`` / ``IntervenClient``, legacy ``AifClient`` +
``InvokeParams``, the SDK's errors, and ``GatewayScanner`` (the guard's scanner in gateway mode).
The server (``server.create_app`` / ``server.main``) needs ``interven-autoguard[gateway]``.
"""

from __future__ import annotations

from .aif import AifClient
from .client import Client, IntervenClient
from .errors import (
    MAX_BODY_BYTES,
    AifError,
    ApprovalDeniedError,
    ApprovalExpiredError,
    ApprovalTimeoutError,
    AuthenticationError,
    GatewayError,
    PayloadTooLargeError,
    PolicyDeniedError,
    ReplayRejectedError,
)
from .scanner import GatewayScanner
from .wire import ApprovalStatus, InvokeParams, InvokeResponse

__all__ = [
    "MAX_BODY_BYTES",
    "AifClient",
    "AifError",
    "ApprovalDeniedError",
    "ApprovalExpiredError",
    "ApprovalStatus",
    "ApprovalTimeoutError",
    "AuthenticationError",
    "Client",
    "GatewayError",
    "GatewayScanner",
    "IntervenClient",
    "InvokeParams",
    "InvokeResponse",
    "PayloadTooLargeError",
    "PolicyDeniedError",
    "ReplayRejectedError",
]
