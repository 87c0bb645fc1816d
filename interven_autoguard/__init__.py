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
    from .guard.install import guarded, install, uninstall

__version__ = "0.1.0"

_LAZY = {
    "scan": ("interven_autoguard.api", "scan"),
    "LocalScanner": ("interven_autoguard.engine.scanner", "LocalScanner"),
    "install": ("interven_autoguard.guard.install", "install"),
    "uninstall": ("interven_autoguard.guard.install", "uninstall"),
    "guarded": ("interven_autoguard.guard.install", "guarded"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'interven_autoguard' has no attribute {name!r}")
    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


__all__ = [
    "AutoguardError",
    "ConfigurationError",
    "Decision",
    "Finding",
    "LocalScanner",
    "PolicyError",
    "ReasonCode",
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
