"""OpenTelemetry spans, metrics and log records for every decision.

Contract used by the guard (``guard/``) and by ``scan()``; the telemetry issue owns the details.
Nothing here may receive or record a secret/PII value: callers pass redacted URLs and findings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from .model import ScanResponse

_TRACER = trace.get_tracer("interven_autoguard")


def instrumentation_suppressed() -> bool:
    """True inside OpenTelemetry's suppress-instrumentation context (e.g. an exporter's own send)."""
    try:
        from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY

        if otel_context.get_value(_SUPPRESS_INSTRUMENTATION_KEY):
            return True
    except ImportError:  # pragma: no cover - very old API
        pass
    return bool(otel_context.get_value("suppress_instrumentation"))


class DecisionSpan:
    """Handle to the span of one guarded hop or one direct scan."""

    def __init__(self, span: trace.Span) -> None:
        self._span = span

    def record_decision(self, response: ScanResponse, *, mode: str, enforced: str) -> None:
        """``enforced`` is what the guard actually did (in monitor mode: always ALLOW)."""
        s = self._span
        s.set_attribute("interven.decision", enforced)
        s.set_attribute("interven.mode", mode)
        if mode == "monitor":
            s.set_attribute("interven.would_be_decision", str(response.decision))
        s.set_attribute("interven.reason_codes", list(response.reason_codes))
        s.set_attribute("interven.risk_score", float(response.risk_score))
        s.set_attribute("interven.risk_band", str(response.risk_band))
        s.set_attribute("interven.findings.count", len(response.findings))
        if response.approval_id:
            s.set_attribute("interven.approval_id", response.approval_id)
        if response.trace_id:
            s.set_attribute("interven.trace_id", response.trace_id)
        if enforced == "DENY":
            s.set_status(trace.Status(trace.StatusCode.ERROR, "blocked by interven-autoguard"))

    def record_response(self, status_code: int) -> None:
        self._span.set_attribute("http.response.status_code", int(status_code))

    def record_error(self, exc: BaseException) -> None:
        self._span.set_attribute("error.type", type(exc).__qualname__)

    def approval_event(self, state: str, approval_id: str | None) -> None:
        attrs: dict[str, Any] = {"interven.approval.state": state}
        if approval_id:
            attrs["interven.approval_id"] = approval_id
        self._span.add_event("interven.approval", attrs)
        if state in ("denied", "expired"):
            self._span.set_status(trace.Status(trace.StatusCode.ERROR, f"approval {state}"))


@contextlib.contextmanager
def guard_span(method: str, redacted_url: str, *, layer: str, scanner: str) -> Iterator[DecisionSpan]:
    """One span per guarded hop, parented to the current span."""
    with _TRACER.start_as_current_span(
        f"interven.guard {method}",
        kind=trace.SpanKind.INTERNAL,
        attributes={
            "http.request.method": method,
            "url.full": redacted_url,
            "interven.layer": layer,
            "interven.scanner": scanner,
        },
    ) as span:
        yield DecisionSpan(span)


def record_scan(method: str, url: str, response: ScanResponse, *, scanner: str, seconds: float) -> None:
    """One span for a direct ``scan()`` call (no request is sent)."""
    from .engine.destinations import redact_url

    with _TRACER.start_as_current_span(
        f"interven.scan {method.upper()}",
        kind=trace.SpanKind.INTERNAL,
        attributes={
            "http.request.method": method.upper(),
            "url.full": redact_url(url),
            "interven.layer": "scan",
            "interven.scanner": scanner,
        },
    ) as span:
        DecisionSpan(span).record_decision(response, mode="enforce", enforced=str(response.decision))
