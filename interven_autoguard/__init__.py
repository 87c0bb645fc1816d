"""interven-autoguard: an in-process firewall for AI agents.

    import interven_autoguard as autoguard
    autoguard.install()                       # every outbound HTTP call is scanned first
    r = autoguard.scan(method="POST", url=..., body=...)   # or decide on one request yourself

Heavy parts (the engine, the gateway client) load on first use, so ``import interven_autoguard``
stays cheap for ``sitecustomize`` start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    AutoguardError,
    ConfigurationError,
    PolicyError,
    RequestBlocked,
    ScannerError,
)
from .model import Decision, Finding, ReasonCode, RiskBand, ScanResponse

if TYPE_CHECKING:
    from .api import scan
    from .engine.scanner import LocalScanner
    from .gateway import (
        AifClient,
        AifError,
        ApprovalDeniedError,
        ApprovalExpiredError,
        ApprovalTimeoutError,
        AuthenticationError,
        Client,
        GatewayError,
        IntervenClient,
        InvokeParams,
        PayloadTooLargeError,
        PolicyDeniedError,
        ReplayRejectedError,
    )
    from .guard.install import guarded, install, uninstall

__version__ = "0.1.0"

_LAZY = {
    "scan": ("interven_autoguard.api", "scan"),
    "LocalScanner": ("interven_autoguard.engine.scanner", "LocalScanner"),
    "install": ("interven_autoguard.guard.install", "install"),
    "uninstall": ("interven_autoguard.guard.install", "uninstall"),
    "guarded": ("interven_autoguard.guard.install", "guarded"),
    "Client": ("interven_autoguard.gateway", "Client"),
    "IntervenClient": ("interven_autoguard.gateway", "IntervenClient"),
    "AifClient": ("interven_autoguard.gateway", "AifClient"),
    "InvokeParams": ("interven_autoguard.gateway", "InvokeParams"),
    "AifError": ("interven_autoguard.gateway", "AifError"),
    "AuthenticationError": ("interven_autoguard.gateway", "AuthenticationError"),
    "GatewayError": ("interven_autoguard.gateway", "GatewayError"),
    "PayloadTooLargeError": ("interven_autoguard.gateway", "PayloadTooLargeError"),
    "ApprovalDeniedError": ("interven_autoguard.gateway", "ApprovalDeniedError"),
    "ApprovalExpiredError": ("interven_autoguard.gateway", "ApprovalExpiredError"),
    "ApprovalTimeoutError": ("interven_autoguard.gateway", "ApprovalTimeoutError"),
    "ReplayRejectedError": ("interven_autoguard.gateway", "ReplayRejectedError"),
    "PolicyDeniedError": ("interven_autoguard.gateway", "PolicyDeniedError"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'interven_autoguard' has no attribute {name!r}")
    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


__all__ = [
    "AifClient",
    "AifError",
    "ApprovalDeniedError",
    "ApprovalExpiredError",
    "ApprovalTimeoutError",
    "AuthenticationError",
    "AutoguardError",
    "Client",
    "ConfigurationError",
    "Decision",
    "Finding",
    "GatewayError",
    "IntervenClient",
    "InvokeParams",
    "LocalScanner",
    "PayloadTooLargeError",
    "PolicyDeniedError",
    "PolicyError",
    "ReasonCode",
    "ReplayRejectedError",
    "RequestBlocked",
    "RiskBand",
    "ScanResponse",
    "ScannerError",
    "__version__",
    "guarded",
    "install",
    "scan",
    "uninstall",
]
