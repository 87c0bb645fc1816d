"""Exceptions. Messages carry decisions, reason codes and redacted URLs — never a secret value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class AutoguardError(Exception):
    """Base class of every error this package raises on its own behalf."""


class ConfigurationError(AutoguardError, ValueError):
    """A setting, argument or environment variable has a value we cannot use."""


class PolicyError(ConfigurationError):
    """A policy file is invalid. ``errors`` lists ``(line, message)`` pairs."""

    def __init__(self, message: str, errors: Sequence[tuple[int | None, str]] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


class ScannerError(AutoguardError):
    """The scanner could not produce a decision (engine bug, gateway down, ...).

    ``summary`` is a short cause safe to show in the guard's exception and log line ("gateway
    refused the key (HTTP 401)", "gateway unreachable at http://127.0.0.1:4000 (connection
    refused)"): built only from fixed words, status codes and the gateway's scheme, host and port,
    never from a key, a URL's path or query, or request content.
    """

    def __init__(self, message: str = "", *, summary: str | None = None) -> None:
        super().__init__(message)
        self.summary = summary


def failure_cause(exc: BaseException) -> str:
    """What the guard may say about a scanner failure: a ``ScannerError``'s safe ``summary``, else
    only the exception's class (its message may quote what was being scanned)."""
    summary = getattr(exc, "summary", None) if isinstance(exc, ScannerError) else None
    return summary or type(exc).__name__


class RequestBlocked(AutoguardError):
    """The guard refused to send a request (DENY, denied or expired approval, fail-closed error).

    Guarded libraries raise a subclass that is *also* the library's own connection error, so an
    agent's existing ``except requests.ConnectionError`` keeps working.
    """

    def __init__(
        self,
        message: str = "",
        *,
        decision: str = "DENY",
        reason_codes: Sequence[str] = (),
        trace_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
        approval_id: str | None = None,
    ) -> None:
        self.decision = decision
        self.reason_codes = list(reason_codes)
        self.trace_id = trace_id
        self.method = method
        self.url = url
        self.approval_id = approval_id
        if not message:
            target = f" {method} {url}" if method and url else ""
            codes = ",".join(self.reason_codes) or "-"
            message = f"interven-autoguard blocked{target}: decision={decision} reasons={codes}"
            if trace_id:
                message += f" trace_id={trace_id}"
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Keep the keyword-only attributes across pickling (multiprocessing, process pools).
        return (
            _rebuild_blocked,
            (type(self), self.message, self.decision, self.reason_codes, self.trace_id,
             self.method, self.url, self.approval_id),
        )


def _rebuild_blocked(cls: type[RequestBlocked], message: str, decision: str, reason_codes: list[str],
                     trace_id: str | None, method: str | None, url: str | None,
                     approval_id: str | None) -> RequestBlocked:
    exc = cls.__new__(cls)
    RequestBlocked.__init__(
        exc, message, decision=decision, reason_codes=reason_codes, trace_id=trace_id,
        method=method, url=url, approval_id=approval_id,
    )
    return exc
