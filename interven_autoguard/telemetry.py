"""OpenTelemetry spans, metrics and log records for every decision.

One span per guarded hop (``guard_span``) or direct ``scan()`` call (``scan_span``), a counter and a
latency histogram through the metrics API, and one structured record on the ``interven_autoguard``
logger. Only ``opentelemetry-api`` is needed: without an SDK no span is even started.

Nothing here may record a secret/PII value. Callers pass redacted URLs; ``redact_url`` is applied
again anyway (belt and braces), findings contribute only their types and categories, and
exceptions contribute only their type name — never their message, which for HTTP libraries often
contains the full URL with its query string.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace

from .errors import ConfigurationError
from .hints import block_hint
from .model import ScanResponse

_SCOPE = "interven_autoguard"
_TRACER = trace.get_tracer(_SCOPE)
_METER = metrics.get_meter(_SCOPE)
_SCAN_DURATION = _METER.create_histogram(
    "interven.scan.duration", unit="s", description="Time from the start of a guarded hop to its decision."
)

# ``interven.decisions`` is a counter the SDK reads when it collects: each decision adds one to a
# count kept here (under a microsecond), where a synchronous ``Counter.add`` costs the SDK an
# attribute validation and an aggregation lookup per call (10-20 µs measured). Same data points.
_COUNT_KEYS = ("interven.decision", "interven.reason", "interven.mode", "interven.layer", "interven.scanner")
_decision_counts: dict[tuple[str, str, str, str, str], int] = {}
_counts_lock = threading.Lock()


def _count_decision(key: tuple[str, str, str, str, str]) -> None:
    with _counts_lock:
        _decision_counts[key] = _decision_counts.get(key, 0) + 1


def _observe_decisions(_options: metrics.CallbackOptions) -> Iterator[metrics.Observation]:
    with _counts_lock:
        counted = list(_decision_counts.items())
    for key, total in counted:
        yield metrics.Observation(total, dict(zip(_COUNT_KEYS, key)))


_DECISIONS = _METER.create_observable_counter(
    "interven.decisions", callbacks=[_observe_decisions], unit="{decision}",
    description="Decisions taken, by decision and reason codes.",
)


def _reset_counts_lock() -> None:
    global _counts_lock
    _counts_lock = threading.Lock()  # one held by another thread at fork would stay held


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_counts_lock)

logger = logging.getLogger(_SCOPE)
# A library must not print through logging's last-resort handler; users opt in with their config.
logger.addHandler(logging.NullHandler())

REDACTED = "REDACTED"
_OTEL_EXTRA_HINT = "pip install 'interven-autoguard[otel]'"

# A guard span is open in this context: a nested scan() must not open a second span for the same hop.
_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("interven_span_active", default=False)


# --------------------------------------------------------------------------------------------------
# Redaction
# --------------------------------------------------------------------------------------------------

# A path segment this long mixing letters and digits is treated as a credential (webhook tokens,
# bot tokens, signed-URL parts). UUIDs are caught too: losing them is cheaper than leaking a token.
_TOKENISH = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9_\-.:~+=%]{20,}$")


def redact_url(url: str) -> str:
    """``url.full`` as the semantic conventions want it, stricter: no credentials, no values.

    Agents call the same URLs over and over: short ones are redacted once (a pure function)."""
    if len(url) <= _CACHED_URL_CHARS:
        return _cached_redaction(url)
    return _redact_url(url)


def _redact_url(url: str) -> str:
    """``redact_url`` itself.

    Userinfo becomes ``REDACTED:REDACTED``; every query value becomes ``REDACTED`` (keys stay, they
    say what was sent); credential-looking path segments become ``REDACTED``; the fragment is dropped.
    Idempotent, and never raises: an unparsable URL is replaced entirely.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        netloc = host
        if parts.port is not None:
            netloc = f"{host}:{parts.port}"
        if parts.username is not None or parts.password is not None:
            netloc = f"{REDACTED}:{REDACTED}@{netloc}"
        if ":" not in host:
            host_labels = [REDACTED if label == REDACTED.lower() else label for label in host.split(".")]
            if REDACTED in host_labels or any(_sensitive_piece(label) for label in host_labels):
                host = ".".join(REDACTED if _sensitive_piece(label) else label for label in host_labels)
                netloc = host if parts.port is None else f"{host}:{parts.port}"
                if parts.username is not None or parts.password is not None:
                    netloc = f"{REDACTED}:{REDACTED}@{netloc}"
        path = "/".join(_redact_segment(seg) for seg in parts.path.split("/"))
        query = "&".join(_redact_pair(p) for p in parts.query.split("&")) if parts.query else ""
        return urlunsplit((parts.scheme, netloc, path, query, ""))
    except ValueError:  # e.g. a bad port: say nothing rather than something wrong
        return REDACTED


_CACHED_URL_CHARS = 2048
_cached_redaction = functools.lru_cache(maxsize=1024)(_redact_url)


def _sensitive_piece(piece: str) -> bool:
    """A URL piece that may itself be a value: token-like, an address, or a long number (SSN,
    card, phone, account). Over-redacts dates and numeric ids; spans lose little by it."""
    if not piece:
        return False
    text = unquote(piece) if "%" in piece else piece
    return bool(_TOKENISH.match(text)) or "@" in text or sum(c.isdigit() for c in text) >= 7


def _redact_segment(segment: str) -> str:
    name, sep, params = segment.partition(";")  # ";jsessionid=..." path parameters are values too
    shown = REDACTED if _sensitive_piece(name) else name
    if sep:
        shown += ";" + ";".join(_redact_pair(p) for p in params.split(";"))
    return shown


def _redact_pair(pair: str) -> str:
    key, sep, _ = pair.partition("=")
    key = REDACTED if _sensitive_piece(key) else key
    return f"{key}={REDACTED}" if sep else key


def _server_of(url: str) -> tuple[str | None, int | None]:
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
        return parts.hostname, port
    except ValueError:
        return None, None


# --------------------------------------------------------------------------------------------------
# Recursion safety
# --------------------------------------------------------------------------------------------------


try:
    from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY as _SUPPRESS_KEY
except ImportError:  # pragma: no cover - very old API
    _SUPPRESS_KEY = "suppress_instrumentation"
_LEGACY_SUPPRESS_KEY = "suppress_instrumentation"


# The runtime context's own reader when the API exposes it (``get_current`` is a wrapper around
# it): this is asked on every request.
_current_context = getattr(getattr(otel_context, "_RUNTIME_CONTEXT", None), "get_current", None)
if not callable(_current_context):  # pragma: no cover - an API without it
    _current_context = otel_context.get_current


def instrumentation_suppressed() -> bool:
    """True inside OpenTelemetry's suppress-instrumentation context (e.g. an exporter's own send)."""
    current = _current_context()  # one context read, two look-ups
    return bool(current.get(_SUPPRESS_KEY) or current.get(_LEGACY_SUPPRESS_KEY))


# What a decision on a request would leave behind (``recording``).
SUPPRESSED = "suppressed"  # inside OpenTelemetry's suppress-instrumentation context: not the guard's
UNRECORDED = "unrecorded"  # ``allow_is_unrecorded``: an ALLOW would leave no trace at all
RECORDED = "recorded"


def recording() -> str:
    """SUPPRESSED, UNRECORDED or RECORDED: ``instrumentation_suppressed`` and then
    ``allow_is_unrecorded`` in one call, since the guard asks both on every request (spelled out:
    a call costs more there than the checks; tests/guard/test_guard_quiet_lane.py holds them equal)."""
    current = _current_context()
    if current.get(_SUPPRESS_KEY) or current.get(_LEGACY_SUPPRESS_KEY):
        return SUPPRESSED
    if logger.isEnabledFor(_ALLOW_LEVEL) or _backends_set():
        return RECORDED
    return UNRECORDED


@contextlib.contextmanager
def suppressed() -> Iterator[None]:
    """Run a block with instrumentation (and so the guard) suppressed, the way OTel exporters do."""
    from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY

    token = otel_context.attach(otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        yield
    finally:
        otel_context.detach(token)


_SIGNALS = ("TRACES", "METRICS", "LOGS")
_DEFAULT_OTLP_PORTS = {"grpc": 4317, "http/protobuf": 4318, "http/json": 4318}
_configured_endpoints: set[tuple[str, int]] = set()


def exporter_endpoints(env: Mapping[str, str] | None = None) -> frozenset[tuple[str, int]]:
    """``(host, port)`` of every OTLP endpoint this process exports to.

    From ``configure_tracing`` and the standard ``OTEL_EXPORTER_OTLP[_<SIGNAL>]_ENDPOINT`` variables;
    when a signal's exporter is ``otlp`` with no endpoint set, the SDK's default on localhost. The
    guard excludes these so that an exporter running outside the suppress context (a custom
    processor, a third-party SDK) cannot recurse into it.
    """
    env = os.environ if env is None else env
    found = set(_configured_endpoints)
    generic = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    protocol = env.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf").strip() or "http/protobuf"
    for signal in _SIGNALS:
        specific = env.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT", "").strip()
        chosen = specific or generic
        if chosen:
            found.update(_endpoint_of(chosen))
        elif "otlp" in env.get(f"OTEL_{signal}_EXPORTER", ""):
            sig_protocol = env.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL", protocol).strip()
            port = _DEFAULT_OTLP_PORTS.get(sig_protocol, 4318)
            found.update({("localhost", port), ("127.0.0.1", port)})
    return frozenset(found)


_ENDPOINT_VARS = tuple(
    f"OTEL_EXPORTER_OTLP{sig}_{kind}" for sig in ("", "_TRACES", "_METRICS", "_LOGS")
    for kind in ("ENDPOINT", "PROTOCOL")
) + tuple(f"OTEL_{signal}_EXPORTER" for signal in _SIGNALS)
_endpoint_cache: tuple[tuple[object, ...], frozenset[tuple[str, int]]] | None = None


def is_exporter_endpoint(url: str) -> bool:
    """Whether ``url`` goes to a configured OTLP endpoint (cheap enough to ask on every request)."""
    global _endpoint_cache
    key = (len(_configured_endpoints), *(os.environ.get(v) for v in _ENDPOINT_VARS))
    if _endpoint_cache is None or _endpoint_cache[0] != key:
        _endpoint_cache = (key, exporter_endpoints())
    host, port = _server_of(url)
    return bool(host) and (host.lower(), port) in _endpoint_cache[1]


def _endpoint_of(url: str) -> set[tuple[str, int]]:
    if "://" not in url:  # gRPC endpoints are often given as host:port
        url = "http://" + url
    host, port = _server_of(url)
    return {(host.lower(), port)} if host and port else set()


# --------------------------------------------------------------------------------------------------
# Spans
# --------------------------------------------------------------------------------------------------

# state -> (span status is ERROR, log level). Unknown states are recorded as events only.
_APPROVAL_STATES: dict[str, tuple[bool, int]] = {
    "pending": (False, logging.INFO),
    "approved": (False, logging.INFO),
    "denied": (True, logging.WARNING),
    "expired": (True, logging.WARNING),
    "error": (True, logging.WARNING),
    "unavailable": (True, logging.WARNING),  # the scanner cannot resolve approvals: fail closed
}
# enforced decision -> log level of its record. A SANITIZE changed what was sent (a CRM stores
# ``[REDACTED:EMAIL]``, a prompt loses an address): a user must see it at the usual WARNING level.
# It never takes the quiet lane (``recording`` asks the ALLOW level only), so this costs ALLOWs nothing.
_LOG_LEVELS = {"ALLOW": logging.INFO, "SANITIZE": logging.WARNING, "REQUIRE_APPROVAL": logging.WARNING,
               "DENY": logging.WARNING}
_ALLOW_LEVEL = _LOG_LEVELS["ALLOW"]
_ERROR = trace.StatusCode.ERROR


def _metrics_enabled() -> bool:
    """False while only the API's proxy meter exists: then no point is built at all.

    The API's proxy instruments get a real one once a provider is set (and providers are set only
    once); if the API ever stops exposing that, assume metrics are on.
    """
    return getattr(_SCAN_DURATION, "_real_instrument", True) is not None


# A provider named by OTEL_PYTHON_TRACER_PROVIDER is created lazily by the API: take the full path.
_PROVIDER_FROM_ENV = "OTEL_PYTHON_TRACER_PROVIDER" in os.environ


def _tracing_enabled() -> bool:
    """False while no tracer provider is set: the API would hand out no-op spans, skip even those.

    Relies on the API's proxy tracer and global (stable for years); if either is missing, assume on.
    """
    if _PROVIDER_FROM_ENV:
        return True
    real = getattr(_TRACER, "_real_tracer", None)
    if real is not None:
        return not isinstance(real, trace.NoOpTracer)
    return getattr(trace, "_TRACER_PROVIDER", True) is not None


def allow_is_unrecorded() -> bool:
    """True when an ALLOW decision would leave no trace at all: no tracer provider (spans would be
    the API's no-ops), no meter provider, and no log level that shows an ALLOW. The guard then
    lets a request its scanner quietly allows through without building the span's bookkeeping.
    Asked per request, so a provider or log level set later takes effect at once."""
    return not (logger.isEnabledFor(_ALLOW_LEVEL) or _backends_set())


def _backends_set() -> bool:
    """A tracer or meter provider is set (tests of the quiet lane stand one in for it):
    ``_metrics_enabled() or _tracing_enabled()``, spelled out since it is asked on every request and
    a call costs more there than the checks (tests/guard/test_guard_quiet_lane.py holds them equal)."""
    if getattr(_SCAN_DURATION, "_real_instrument", True) is not None or _PROVIDER_FROM_ENV:
        return True
    real = getattr(_TRACER, "_real_tracer", None)
    if real is not None:
        return not isinstance(real, trace.NoOpTracer)
    return getattr(trace, "_TRACER_PROVIDER", True) is not None


def _decision_attributes(response: ScanResponse, mode: str, enforced: str) -> dict[str, Any]:
    decision = str(response.decision)
    findings = response.findings or []
    attrs: dict[str, Any] = {
        "interven.decision": enforced,
        "interven.mode": mode,
        "interven.risk_score": float(response.risk_score),
        "interven.risk_band": str(response.risk_band),
        "interven.findings.count": len(findings),
        "interven.redactions": sum(1 for f in findings if f.redacted),
    }
    # Lists only when there is something in them: each attribute costs the SDK a validation pass,
    # and an ALLOW has neither reasons nor findings.
    if response.reason_codes:
        attrs["interven.reason_codes"] = [str(c) for c in response.reason_codes]
    if findings:
        attrs["interven.findings.types"] = sorted({f.type for f in findings})
        attrs["interven.findings.categories"] = sorted({f.category for f in findings})
    # In monitor mode, and when an approval turned REQUIRE_APPROVAL into ALLOW/DENY: what the
    # scanner said, next to what was done.
    if mode == "monitor" or decision != enforced:
        attrs["interven.would_be_decision"] = decision
    optional = {
        "interven.approval_id": response.approval_id,
        "interven.trace_id": response.trace_id,
        "interven.policy_version": response.policy_version,
        "interven.matched_rules": list(response.matched_rules) or None,
    }
    attrs.update({k: v for k, v in optional.items() if v})
    return attrs


_LISTED_FINDINGS = 6  # a log line names this many distinct TYPE@location pairs, then "+N more"
_LOCATION_CHARS = 80
_LOCATION_PIECES = re.compile(r"([.\[\]':$<>#*])")
_FINDING_TYPE = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")
_LOCATION_ROOT = re.compile(r"^[a-z.]{1,12}?[$:#]")
_LONG_DIGITS = re.compile(r"\d{7}")
# engine/body_fields._ALNUM_RUN and _has_token, restated: telemetry serves the gateway client too and
# does not import the embedded engine for one expression.
_ALNUM_16 = re.compile(r"[A-Za-z0-9]{16,}")


def findings_summary(findings: Any) -> str:
    """``EMAIL@body$.contact.email,AWS_ACCESS_KEY@header:x-api-key``: what a log line says of the
    findings, deduplicated and bounded, so that an ``[[allow]]`` entry can be written from it.

    Types and locations only, never a value. Locations are built not to hold one (a JSON key or
    header name that could be a value is shown by position: ``header#3``); each piece is still
    checked as a URL's are, since a remote scanner's locations are not ours, and cut to a length."""
    seen: dict[str, None] = {}
    for finding in findings or ():
        if isinstance(finding, dict):
            kind, location = finding.get("type"), finding.get("location")
        else:
            kind, location = getattr(finding, "type", None), getattr(finding, "location", None)
        kind = str(kind) if kind is not None else ""
        if not _FINDING_TYPE.match(kind):
            kind = "FINDING"
        seen[f"{kind}@{_safe_location(str(location))}" if location else kind] = None
    listed = list(seen)
    shown = ",".join(listed[:_LISTED_FINDINGS])
    if len(listed) > _LISTED_FINDINGS:
        shown += f",+{len(listed) - _LISTED_FINDINGS} more"
    return shown


def _value_like(piece: str) -> bool:
    """A location piece that could be a value, by the rules the engine hides a key by
    (``engine/body_fields.key_segment``): an ``@``, a 7+ digit run, or 16+ letters and digits
    mixing both. The engine's own locations never have one; nothing it shows is hidden here."""
    return ("@" in piece or bool(_LONG_DIGITS.search(piece))
            or any(not run.isdigit() and not run.isalpha() for run in _ALNUM_16.findall(piece)))


@functools.lru_cache(maxsize=512)  # the same few fields come back request after request
def _safe_location(location: str) -> str:
    text = location
    if any(_value_like(piece) for piece in _LOCATION_PIECES.split(location)[::2]):
        # Only where the field is (body, query, header), not which: the pieces around the one that
        # looks like a value may be parts of it (``bob.lee@customer.io`` split at its dots).
        root = _LOCATION_ROOT.match(location)
        text = (root.group(0) if root else "") + REDACTED
    # Whitespace, commas and control characters would break the line's own syntax.
    text = "".join("_" if ch.isspace() or ch == "," or not ch.isprintable() else ch for ch in text)
    return text if len(text) <= _LOCATION_CHARS else text[: _LOCATION_CHARS - 3] + "..."


class DecisionSpan:
    """Handle to the span of one guarded hop or one direct scan.

    The same (already safe) attributes feed the span, the metric points and the log record. They
    are only computed when something consumes them: with no SDK and logging at its default level a
    decision costs little more than the API's no-op span.
    """

    def __init__(self, span: trace.Span, method: str, url: str | Callable[[], str], base: Mapping[str, Any],
                 *, kind: str, request: dict[str, Any] | None = None) -> None:
        """``request``: the request attributes when they were already put on the span at its start.
        ``url`` may be a callable returning it, called only when the URL is recorded."""
        self._span = span
        self._method = (method or "GET").upper()
        self._url = url
        self._base = dict(base)
        self._kind = kind  # "guard" | "scan"
        self._recording = span.is_recording()
        self._started = time.perf_counter()
        self._request = request
        self._attrs: dict[str, Any] = {}
        self._decision: tuple[ScanResponse, str, str] | None = None
        self._blocked = False
        if self._recording and request is None:
            span.set_attributes(self._request_attributes())

    # -- what the guard calls ------------------------------------------------------------------

    def record_decision(
        self, response: ScanResponse, *, mode: str, enforced: str, latency_s: float | None = None
    ) -> None:
        """``enforced`` is what the guard actually did (in monitor mode: always ALLOW).

        ``latency_s`` is the scanner's own time when the caller measured it; otherwise the time
        since the span started.
        """
        enforced = str(enforced)
        self._decision = (response, mode, enforced)
        if self._recording:
            self._span.set_attributes(_decision_attributes(response, mode, enforced))
        if response.scanner and "interven.scanner" not in self._base:
            self._base["interven.scanner"] = response.scanner
        if enforced == "DENY":
            codes = ",".join(map(str, response.reason_codes)) or "DENY"
            self._block(f"blocked by interven-autoguard: {codes}")
        if _metrics_enabled():
            elapsed = time.perf_counter() - self._started if latency_s is None else latency_s
            layer = str(self._base.get("interven.layer", ""))
            scanner = str(self._base.get("interven.scanner", ""))
            reason = ",".join(sorted(map(str, response.reason_codes))) or "NONE"
            _count_decision((enforced, reason, mode, layer, scanner))
            _SCAN_DURATION.record(elapsed, {"interven.decision": enforced, "interven.scanner": scanner,
                                            "interven.layer": layer})

    def record_response(self, status_code: int) -> None:
        # Only the code: a 404 or 503 is the server's answer to a request the guard let through, not
        # a failure of this (INTERNAL, decision) span; the HTTP client's own span reports it.
        self._set({"http.response.status_code": int(status_code)})

    def record_error(self, exc: BaseException) -> None:
        """Only the exception's type is recorded: messages of HTTP errors often embed the full URL."""
        name = _type_name(exc)
        self._set({"error.type": name})
        self._error(name)

    def approval_event(self, state: str, approval_id: str | None) -> None:
        attrs: dict[str, Any] = {"interven.approval.state": state}
        if approval_id:
            attrs["interven.approval_id"] = approval_id
        self._span.add_event("interven.approval", attrs)
        self._set(attrs)
        is_error, level = _APPROVAL_STATES.get(state, (False, logging.INFO))
        if is_error:
            self._block(f"approval {state}")
        if logger.isEnabledFor(level):
            req = self._request_attributes()
            logger.log(
                level, "interven approval %s approval_id=%s %s %s", state, approval_id or "-",
                req["http.request.method"], req["url.full"], extra={"interven": self.attributes},
            )

    # -- internals -----------------------------------------------------------------------------

    @property
    def span(self) -> trace.Span:
        return self._span

    @property
    def attributes(self) -> dict[str, Any]:
        """Everything recorded so far (also what the log record carries under ``interven``)."""
        attrs = dict(self._request_attributes())
        if self._decision is not None:
            attrs.update(_decision_attributes(*self._decision))
        attrs.update(self._attrs)
        return attrs

    def _request_attributes(self) -> dict[str, Any]:
        if self._request is None:
            self._request = _request_attributes(self._method, _resolve(self._url), self._base)
        return self._request

    def _set(self, attrs: Mapping[str, Any]) -> None:
        self._attrs.update(attrs)
        if self._recording:
            self._span.set_attributes(attrs)

    def _block(self, description: str) -> None:
        self._blocked = True
        self._span.set_status(trace.Status(_ERROR, description))

    def _error(self, description: str) -> None:
        if not self._blocked:  # a block's description is the more useful one
            self._span.set_status(trace.Status(_ERROR, description))

    def _finish(self) -> None:
        if self._decision is None and "error.type" not in self._attrs:
            return
        enforced = self._decision[2] if self._decision else "NONE"
        level = _LOG_LEVELS.get(enforced, logging.WARNING)
        scanned = str(self._decision[0].decision) if self._decision else None
        if scanned in ("DENY", "REQUIRE_APPROVAL") or (scanned is not None and scanned != enforced):
            # Also what monitor mode let through unchanged: a secret it would have redacted left.
            level = max(level, logging.WARNING)
        if not logger.isEnabledFor(level):
            return
        a = self.attributes
        response = self._decision[0] if self._decision else None
        hint = block_hint(response.reason_codes, response.findings, _resolve(self._url),
                          scanner=response.scanner, raw=response.raw) \
            if scanned == "DENY" and response is not None else ""
        decision = a.get("interven.decision", "NONE")
        # What enforce mode would have done, where that is not what was done: monitor mode's point.
        would = scanned if a.get("interven.mode") == "monitor" and scanned not in (None, decision) else None
        listed = findings_summary(response.findings) if response is not None else ""
        logger.log(
            level,
            "interven %s decision=%s%s mode=%s reasons=%s%s %s %s%s%s",
            self._kind,
            decision,
            f" would={would}" if would else "",
            a.get("interven.mode", "-"),
            ",".join(a.get("interven.reason_codes", ())) or "-",
            f" findings={listed}" if listed else "",
            a["http.request.method"],
            a["url.full"],
            f" error={a['error.type']}" if "error.type" in a else "",
            f"; {hint}" if hint else "",
            extra={"interven": a},
        )


def _request_attributes(method: str, url: str, base: Mapping[str, Any]) -> dict[str, Any]:
    safe_url = redact_url(url)
    host, port = _server_of(safe_url)
    attrs: dict[str, Any] = {
        "http.request.method": method,
        "url.full": safe_url,
        # OpenInference's span kind, so Phoenix and Arize show these as guardrail steps.
        "openinference.span.kind": "GUARDRAIL",
        **base,
    }
    if host:
        attrs["server.address"] = host
    if port:
        attrs["server.port"] = port
    return attrs


def _resolve(url: str | Callable[[], str]) -> str:
    return url if isinstance(url, str) else url()


def _type_name(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


class _NullDecisionSpan(DecisionSpan):
    """Used for a scan nested inside a guard span: the outer span already tells the story."""

    def __init__(self) -> None:
        super().__init__(trace.INVALID_SPAN, "GET", "", {}, kind="scan")

    def record_decision(
        self, response: ScanResponse, *, mode: str, enforced: str, latency_s: float | None = None
    ) -> None:
        return None

    def record_response(self, status_code: int) -> None:
        return None

    def record_error(self, exc: BaseException) -> None:
        return None

    def approval_event(self, state: str, approval_id: str | None) -> None:
        return None

    def _finish(self) -> None:
        return None


NULL_SPAN: DecisionSpan  # set below: records nothing, shared by every unrecorded hop


class _SpanScope:
    """Context manager of one decision span (a class, not a generator: this is on every request)."""

    __slots__ = ("_attached", "_base", "_handle", "_kind", "_method", "_name", "_span", "_start_time",
                 "_token", "_url")

    def __init__(self, name: str, method: str, url: str | Callable[[], str], base: dict[str, Any], *,
                 kind: str, start_time: int | None = None) -> None:
        self._name = name
        self._method = method
        self._url = url
        self._base = base
        self._kind = kind
        self._start_time = start_time

    def __enter__(self) -> DecisionSpan:
        method = (self._method or "GET").upper()
        request: dict[str, Any] | None = None
        if _tracing_enabled():
            # Request attributes at the start (samplers see them; one attribute pass, not two).
            # Exceptions are handled in __exit__: the SDK's own recording would copy the message
            # (often the full URL) into an event. Started and made current by hand: the API's
            # ``start_as_current_span`` adds two generator-based context managers per decision.
            request = _request_attributes(method, _resolve(self._url), self._base)
            span = _TRACER.start_span(
                f"{self._name} {method}", kind=trace.SpanKind.INTERNAL, attributes=request,
                record_exception=False, set_status_on_exception=False, start_time=self._start_time,
            )
            self._span = span
            self._attached = otel_context.attach(trace.set_span_in_context(span))
        else:
            self._span = None
            span = trace.INVALID_SPAN
        self._handle = DecisionSpan(span, method, self._url, self._base, kind=self._kind, request=request)
        self._token = _ACTIVE.set(True)
        return self._handle

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        handle = self._handle
        try:
            if exc is not None and "error.type" not in handle._attrs:
                handle.record_error(exc)
            _ACTIVE.reset(self._token)
            handle._finish()
        finally:
            span = self._span
            if span is not None:
                otel_context.detach(self._attached)
                span.end()


NULL_SPAN = _NullDecisionSpan()


def guard_span(
    method: str, redacted_url: str | Callable[[], str], *, layer: str, scanner: str
) -> contextlib.AbstractContextManager[DecisionSpan]:
    """One span ``interven.guard <METHOD>`` per guarded hop, parented to the current span.

    ``redacted_url`` may be a callable returning it: it is then called only if the URL is recorded
    (a recording span, a log record at an enabled level), so unrecorded hops skip the redaction."""
    return _SpanScope("interven.guard", method, redacted_url,
                      {"interven.layer": layer, "interven.scanner": scanner}, kind="guard")


@contextlib.contextmanager
def scan_span(
    method: str, redacted_url: str, *, scanner: str = "embedded", layer: str = "scan"
) -> Iterator[DecisionSpan]:
    """One span ``interven.scan <METHOD>`` for a direct ``scan()`` call.

    Inside a guard span (the guard calling the scanner) it yields a handle that records nothing, so
    a hop is never counted twice.
    """
    if _ACTIVE.get():
        yield _NullDecisionSpan()
        return
    with _SpanScope("interven.scan", method, redacted_url,
                    {"interven.layer": layer, "interven.scanner": scanner}, kind="scan") as handle:
        yield handle


def record_scan(method: str, url: str, response: ScanResponse, *, scanner: str, seconds: float) -> None:
    """One span for a direct ``scan()`` call that already happened (it took ``seconds``).

    The span is back-dated to when the scan started, so its duration is the scan's.
    """
    if _ACTIVE.get():
        return
    started = time.time_ns() - int(max(seconds, 0.0) * 1e9)
    with _SpanScope("interven.scan", method, url, {"interven.layer": "scan", "interven.scanner": scanner},
                    kind="scan", start_time=started) as handle:
        handle.record_decision(response, mode="enforce", enforced=str(response.decision), latency_s=seconds)

# --------------------------------------------------------------------------------------------------
# SDK configuration (optional ``otel`` extra)
# --------------------------------------------------------------------------------------------------

TRACE_KINDS = ("console", "otlp")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def otlp_traces_url(endpoint: str) -> str:
    """A full OTLP/HTTP traces URL: a bare ``http://host:port`` gets the ``/v1/traces`` path."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            "OTLP endpoint must be an http(s) URL like http://127.0.0.1:4318/v1/traces, "
            f"got {redact_url(endpoint)!r}"
        )
    if parts.path in ("", "/"):
        return urlunsplit((parts.scheme, parts.netloc, "/v1/traces", parts.query, ""))
    return endpoint


def configure_tracing(kind: str, endpoint: str | None = None) -> Any:
    """Install an SDK ``TracerProvider`` exporting to the console (stderr) or over OTLP/HTTP.

    Standard variables apply: ``OTEL_SERVICE_NAME``/``OTEL_RESOURCE_ATTRIBUTES`` (resource),
    ``OTEL_TRACES_SAMPLER``, ``OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT``/``_HEADERS``/``_TIMEOUT`` (when
    ``endpoint`` is not given), ``OTEL_BSP_*``; ``OTEL_SDK_DISABLED=true`` turns this into a no-op.
    If an SDK provider is already installed (``opentelemetry-instrument``, the user's own code) the
    exporter is added to it instead of replacing it. Returns the provider (or ``None`` if disabled).
    """
    kind = (kind or "").strip().lower()
    if kind not in TRACE_KINDS:
        raise ConfigurationError(f"traces must be one of {', '.join(TRACE_KINDS)}, got {kind!r}")
    if _truthy(os.environ.get("OTEL_SDK_DISABLED")):
        return None
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError:
        raise ConfigurationError(
            f"--traces {kind} needs the OpenTelemetry SDK, which is not installed: {_OTEL_EXTRA_HINT}"
        ) from None

    if kind == "console":
        import sys

        processor: Any = SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr))
    else:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            raise ConfigurationError(
                f"--traces otlp needs the OTLP/HTTP exporter, which is not installed: {_OTEL_EXTRA_HINT}"
            ) from None
        url = otlp_traces_url(endpoint) if endpoint else None
        exporter = OTLPSpanExporter(endpoint=url)
        _configured_endpoints.update(_endpoint_of(getattr(exporter, "_endpoint", None) or url or ""))
        processor = BatchSpanProcessor(exporter)

    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        current.add_span_processor(processor)
        return current
    provider = TracerProvider(resource=Resource.create(_default_resource(os.environ)))
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    return provider


def _default_resource(env: Mapping[str, str]) -> dict[str, str]:
    """``service.name`` defaults to the program, not ``unknown_service``, unless the user set one."""
    if env.get("OTEL_SERVICE_NAME") or "service.name=" in env.get("OTEL_RESOURCE_ATTRIBUTES", ""):
        return {}
    import sys

    # At sitecustomize time ``-m pkg`` and ``-c`` have not been resolved to a file name yet.
    first = sys.argv[0] if sys.argv else ""
    program = os.path.basename(first) if first and not first.startswith("-") else ""
    return {"service.name": program or "python"}


def shutdown_tracing(timeout_s: float = 5.0) -> None:
    """Flush and stop the SDK provider, if one is installed (spans of short scripts would be lost)."""
    provider = trace.get_tracer_provider()
    flush = getattr(provider, "force_flush", None)
    if flush is not None:
        flush(int(timeout_s * 1000))
    stop = getattr(provider, "shutdown", None)
    if stop is not None:
        stop()

