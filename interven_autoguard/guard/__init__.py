"""The guard: ``install()`` patches the HTTP libraries so every outbound request is scanned and the
decision enforced before a byte leaves. ``core`` is transport-agnostic; ``integrations`` adapt it."""

from .core import Guard, Hop, Rewrite, hop_key, internal_call, is_internal_call, redact_url, request_hash
from .install import (
    active_guard,
    current_guard,
    guarded,
    install,
    is_installed,
    make_scanner,
    patched_methods,
    uninstall,
)

__all__ = [
    "Guard",
    "Hop",
    "Rewrite",
    "active_guard",
    "current_guard",
    "guarded",
    "hop_key",
    "install",
    "internal_call",
    "is_installed",
    "is_internal_call",
    "make_scanner",
    "patched_methods",
    "redact_url",
    "request_hash",
    "uninstall",
]
