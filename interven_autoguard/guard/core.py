"""The transport-agnostic guard: scan one hop, decide, enforce, record a span.

Adapters (``integrations/``) translate a library's request into ``(method, url, headers, body)``,
open ``Guard.hop(...)`` (or ``ahop`` in async code), apply the returned ``Rewrite`` if any, and send
inside ``Hop.sending(...)`` so a lower layer handling the same hop (requests → urllib3) does not
scan it a second time. Nothing here imports an HTTP library.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .. import telemetry
from ..config import Settings
from ..digests import sha256
from ..errors import RequestBlocked, failure_cause
from ..hints import GUARD_BODY_LIMIT, block_hint
from ..model import Decision, ReasonCode, ScanResponse
from ..scanner import APPROVED, Scanner, approvals_off
from . import headers as hdrs
from .bodies import DEFAULT_LIMIT, Captured
from .errors import blocked_error

log = logging.getLogger("interven_autoguard.guard")

# What adapters hand over: a {name: value} mapping, or the library's own (name, value) pairs
# (httpx's raw bytes), turned into a dict only when the full path needs one.
Headers = Mapping[str, str] | list[tuple[Any, Any]]
_INTERNAL: ContextVar[bool] = ContextVar("interven_autoguard_internal_call", default=False)
_HOP: ContextVar[tuple[str, str] | None] = ContextVar("interven_autoguard_hop", default=None)
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
UNAVAILABLE = "unavailable"  # the scanner cannot resolve approvals: fail closed
# How long a refused approval (denied, expired, unresolvable) is remembered for the exact same
# request, so a retry loop around the call does not ask a human again and again.
REFUSAL_MEMORY_SECONDS = 60.0
_REFUSALS_KEPT = 1024


@contextlib.contextmanager
def internal_call() -> Iterator[None]:
    """Mark the calls made inside this block as the guard's own (gateway, exporters): not scanned."""
    token = _INTERNAL.set(True)
    try:
        yield
    finally:
        _INTERNAL.reset(token)


def is_internal_call() -> bool:
    return _INTERNAL.get()


def enter_hop(method: str, url: str) -> Token[tuple[str, str] | None]:
    """Mark ``(method, url)`` as decided while the original send runs: the layers below skip it.
    ``Hop.enter`` of a hop the adapter did not open (a request the guard quietly allowed)."""
    return _HOP.set(hop_key(method, url))


leave_hop = _HOP.reset  # the C method itself: this runs on every request


def hop_key(method: str, url: str) -> tuple[str, str]:
    """Identity of one hop across layers: method plus the URL with case and default port normalised."""
    if len(url) <= _HOP_KEY_CACHED_URL:
        return _cached_hop_key(method, url)
    return _hop_key(method, url)


def _hop_key(method: str, url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
        host = (parts.hostname or "").lower()
    except ValueError:
        return method.upper(), url
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not _PLAIN_TARGET(target):
        target = _ENCODED_OR_UNSAFE.sub(_canonical_escape, target)
    return method.upper(), f"{scheme}://{host}:{port}{target}"


# A lower layer may send the hop's URL percent-encoded where the layer above held it raw (urllib3
# encodes what RFC 3986 does not allow in a path or query, e.g. the "[" "]" of a sanitized
# "[REDACTED:...]"): same request, same hop. So the key encodes such characters (UTF-8) and
# upper-cases escapes, as urllib3 does; "%2F" and "/" stay apart (not the same resource).
_URL_CHARS = r"A-Za-z0-9\-._~!$&'()*+,;=:@/?"
_PLAIN_TARGET = re.compile(f"[{_URL_CHARS}]*").fullmatch
_ENCODED_OR_UNSAFE = re.compile(f"%[0-9A-Fa-f]{{2}}|[^{_URL_CHARS}]")


def _canonical_escape(match: re.Match[str]) -> str:
    text = match.group()
    if len(text) == 3:  # an escape
        return text.upper()
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8", "surrogatepass"))


# Layered libraries (requests → urllib3) ask for the same hop's key twice per request, and agents call
# the same endpoints over and over: a pure function of (method, URL), cached for short URLs only so the
# cache stays small (at most ~1 MB).
_HOP_KEY_CACHED_URL = 1024
_cached_hop_key = functools.lru_cache(maxsize=1024)(_hop_key)


def request_hash(
    method: str, url: str, headers: Mapping[str, str] | None, body: bytes | None
) -> str:
    """SHA-256 (hex) of the exact request: binds an approval to the very request that was approved.

    Method, URL, headers (names lower-cased, sorted; values stripped; one ``name:value`` per line)
    and the exact body bytes, each block length-prefixed so no two requests share an encoding.
    """
    lines = [f"{k.strip().lower()}:{v.strip()}" for k, v in (headers or {}).items()]
    lines.sort()
    digest = sha256()
    for block in (
        method.upper().encode("ascii", "replace"),
        url.encode("utf-8", "surrogatepass"),
        "\n".join(lines).encode("utf-8", "surrogatepass"),
    ):
        digest.update(len(block).to_bytes(8, "big"))
        digest.update(block)
    if body is None:
        digest.update(b"\x00\x00\x00\x00\x00\x00\x00\x01\x00")
    else:  # b"\x01" + body, length-prefixed, without copying the body
        digest.update((len(body) + 1).to_bytes(8, "big") + b"\x01")
        digest.update(body)
    return digest.hexdigest()


def _fallback_redact_url(url: str) -> str:
    """Userinfo removed, query values replaced, fragment dropped: safe to log and put on spans."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "<invalid url>"
    query = "&".join(
        f"{k}=REDACTED" if v else k for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _strict_redactor() -> Callable[[str], str]:
    # telemetry.redact_url replaces every query value (an SSN in ?q= must not reach an exception
    # message or a log line); engine.destinations.redact_url only redacts credential-looking names.
    strict = getattr(telemetry, "redact_url", None)
    return strict if callable(strict) else _fallback_redact_url


_redactor: Callable[[str], str] | None = None
_SpanScope = contextlib.AbstractContextManager[telemetry.DecisionSpan]


def redact_url(url: str) -> str:
    """``url`` fit for spans, exception messages and logs: no userinfo, no query values, no fragment."""
    global _redactor
    if _redactor is None:
        _redactor = _strict_redactor()
    try:
        return _redactor(url)
    except Exception:  # a redaction bug must never leak the raw URL or break the call
        return _fallback_redact_url(url)


@dataclass
class Rewrite:
    """What to send instead, on SANITIZE. ``body`` None: the body is unchanged (send the replay).
    ``headers``: the header lines to send, in order; a name repeats where the caller repeated it
    (values as str; a library given bytes sent them as latin-1, one character per byte)."""

    url: str
    headers: list[tuple[str, str]]
    body: bytes | None


class Hop:
    """One guarded hop, handed to the adapter by ``Guard.hop`` / ``Guard.ahop``."""

    __slots__ = ("_blocked", "body", "rewrite", "span")

    def __init__(self, span: telemetry.DecisionSpan, rewrite: Rewrite | None, body: Captured,
                 blocked: Callable[[str], RequestBlocked]) -> None:
        self.span = span
        self.rewrite = rewrite
        self.body = body
        self._blocked = blocked

    def rewrite_failed(self, exc: BaseException) -> RequestBlocked:
        """The sanitized request could not be put into the library's request object: the error to
        raise instead of sending the original (fail closed)."""
        self.span.record_error(exc)
        log.warning("interven-autoguard: could not apply the sanitized request (%s); blocked",
                    type(exc).__name__)
        return self._blocked(f"sanitization could not be applied: {type(exc).__name__}")

    # Mark ``(method, url)`` as scanned while the original send runs (lower layers skip it), and undo.
    enter = staticmethod(enter_hop)
    leave = staticmethod(leave_hop)

    @contextlib.contextmanager
    def sending(self, method: str, url: str) -> Iterator[None]:
        token = self.enter(method, url)
        try:
            yield
        finally:
            _HOP.reset(token)

    def response(self, status_code: int) -> None:
        self.span.record_response(status_code)


_OTLP_PATH = re.compile(r"/v1/(?:traces|metrics|logs)/?$|^/opentelemetry\.proto\.collector\.")


class _Call:
    """One hop being decided. The redacted URL and the request hash are computed on first use: a
    benign request on a quiet process needs neither (no span recording, no log line, no approval)."""

    __slots__ = ("_digest", "_redacted", "body", "headers", "library", "lines", "method", "scan_seconds",
                 "url")

    def __init__(self, library: str, method: str, url: str, headers: dict[str, str], body: Captured,
                 lines: Headers) -> None:
        self.library = library
        self.method = method
        self.url = url
        self.headers = headers  # what the scanner reads: a repeated name's values joined with ", "
        self.lines = lines  # the headers as the adapter handed them over: a SANITIZE keeps their lines
        self.body = body
        self.scan_seconds: float | None = None
        self._redacted: str | None = None
        self._digest: str | None = None

    @property
    def redacted(self) -> str:
        if self._redacted is None:
            self._redacted = redact_url(self.url)
        return self._redacted

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = request_hash(self.method, self.url, self.headers, self.body.data)
        return self._digest

    def redacted_url(self) -> str:  # a callable for telemetry, which redacts only what it records
        return self.redacted


class Guard:
    """Settings + scanner → a decision per hop, enforced. Shared by every adapter."""

    def __init__(self, settings: Settings, scanner: Scanner) -> None:
        self.settings = settings
        self.scanner = scanner
        self.body_limit = int(settings.extra.get("max_body_bytes", DEFAULT_LIMIT))
        self.refusal_memory = float(settings.extra.get("refusal_memory_seconds", REFUSAL_MEMORY_SECONDS))
        self._exclude = tuple(settings.exclude_hosts)
        # OTLP endpoints of this process: an exporter running outside OpenTelemetry's suppress
        # context must not recurse into the guard (read once, at install: configure tracing first).
        endpoints = getattr(telemetry, "exporter_endpoints", None)
        self._exporters: frozenset[tuple[str, int]] = endpoints() if callable(endpoints) else frozenset()
        self._refusals: dict[str, tuple[float, ScanResponse, str]] = {}  # request hash -> refusal
        self._deferred_scan = _deferred_hash_scan(scanner)
        self._quiet_allow = _entry(scanner, "quiet_allow_entry")

    def __repr__(self) -> str:
        return f"Guard(mode={self.settings.mode!r}, scanner={self.scanner.name!r})"

    # ---------------------------------------------------------------- what is not scanned
    def should_scan(self, method: str, url: str) -> bool:
        """False for the guard's own calls, suppressed instrumentation, excluded hosts, and a hop
        an upper layer already scanned."""
        if _INTERNAL.get():
            return False
        active = _HOP.get()
        if active is not None and active == hop_key(method, url):
            return False
        if (self._exclude or self._exporters) and self._excluded(url):
            return False
        return not telemetry.instrumentation_suppressed()

    def lets_through(self, method: str, url: str, headers: Headers, body: bytes | None) -> bool:
        """``not should_scan(method, url) or quietly_allows(method, url, headers, body)``: True sends
        the request as it is, with nothing to record; False takes ``hop(..., quiet_asked=True)``.
        For an adapter holding the whole body (``body``: it, or None for none). Both are spelled
        out in one call since this runs on every request, where a call costs more than the checks
        (tests/guard/test_guard_quiet_lane.py holds it equal to the two)."""
        if _INTERNAL.get():
            return True
        active = _HOP.get()
        if active is not None and active == hop_key(method, url):
            return True
        if (self._exclude or self._exporters) and self._excluded(url):
            return True
        state = telemetry.recording()
        if state is telemetry.SUPPRESSED:
            return True
        quiet = self._quiet_allow
        if quiet is None or self._refusals or state is not telemetry.UNRECORDED:
            return False
        try:
            return quiet(method, url, headers, body, self.settings.agent_id) is True
        except Exception:
            return False

    def _excluded(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
        except ValueError:
            return False
        # Only the export calls themselves: the agent's own calls to the same host (a vendor's API
        # next to its OTLP intake) are scanned like any other.
        if (host, port) in self._exporters and _OTLP_PATH.search(parts.path):
            return True
        return any(fnmatch.fnmatchcase(host, pattern) for pattern in self._exclude)

    # ---------------------------------------------------------------- sync hop
    def hop(
        self, *, library: str, layer: str, method: str, url: str, headers: Headers, body: Captured,
        quiet_asked: bool = False,
    ) -> contextlib.AbstractContextManager[Hop]:
        """Scan and enforce one hop. Raises the library's ``RequestBlocked`` subclass before yielding
        when the request must not be sent; otherwise yields a ``Hop`` whose ``rewrite`` is set on
        SANITIZE. Errors raised while sending are recorded on the span and re-raised.
        ``quiet_asked``: the adapter already asked ``quietly_allows`` (and got False)."""
        if not quiet_asked and self._quietly_allowed(method, url, headers, body):
            return _QuietHop(self, (library, method, url, headers), body)
        return _HopScope(self, self._call(library, method, url, headers, body), layer)

    # ---------------------------------------------------------------- async hop
    def ahop(
        self, *, library: str, layer: str, method: str, url: str, headers: Headers, body: Captured,
        quiet_asked: bool = False,
    ) -> contextlib.AbstractAsyncContextManager[Hop]:
        """``hop`` for event loops: an approval is awaited, never blocking the loop."""
        if not quiet_asked and self._quietly_allowed(method, url, headers, body):
            return _QuietHop(self, (library, method, url, headers), body)
        return _AsyncHopScope(self, self._call(library, method, url, headers, body), layer)

    def _quietly_allowed(self, method: str, url: str, headers: Headers, body: Captured) -> bool:
        return body.complete and self.quietly_allows(method, url, headers, body.data)

    def quietly_allows(self, method: str, url: str, headers: Headers, body: bytes | None) -> bool:
        """The quiet lane: the scanner allows the request outright and nothing would record that
        (no tracing, metrics or INFO logging), so it may be sent as is with no span bookkeeping.
        ``body``: the whole body, in memory. Any doubt — a refusal to remember, a scanner error —
        is False: take ``hop``. An adapter holding the body already may ask this before building
        anything for ``hop`` (then passing ``quiet_asked=True``)."""
        quiet = self._quiet_allow
        if quiet is None or self._refusals or not telemetry.allow_is_unrecorded():
            return False
        try:
            return quiet(method, url, headers, body, self.settings.agent_id) is True
        except Exception:
            return False

    def _open_span(self, call: _Call, layer: str) -> tuple[_SpanScope, telemetry.DecisionSpan]:
        # The URL is redacted only if something records it (a recording span, an enabled log level).
        scope = telemetry.guard_span(call.method, call.redacted_url, layer=layer, scanner=self.scanner.name)
        return scope, scope.__enter__()

    def _decide(self, span: telemetry.DecisionSpan, call: _Call) -> Rewrite | None:
        """The sync decision of one hop: None (send as is), a Rewrite, or raises RequestBlocked."""
        self._refuse_again(span, call)
        response = self._scan(span, call)
        if response is None:
            return None
        if self._must_wait(response):
            return self._after_approval(span, call, response, self._wait(span, call, response))
        return self._settle(span, call, response)

    async def _adecide(self, span: telemetry.DecisionSpan, call: _Call) -> Rewrite | None:
        self._refuse_again(span, call)
        response = await self._ascan(span, call)
        if response is None:
            return None
        if self._must_wait(response):
            state = await self._await(span, call, response)
            return self._after_approval(span, call, response, state)
        return self._settle(span, call, response)

    # ---------------------------------------------------------------- steps
    def _call(self, library: str, method: str, url: str, headers: Headers, body: Captured) -> _Call:
        # A str copy the scanner may keep. What adapters hand over as is (httpx's raw byte pairs,
        # requests' own header store) is read only now, when the quiet lane did not take the request.
        return _Call(library, method.upper(), url, hdrs.to_dict(headers), body, headers)

    def _scan_kwargs(self, call: _Call) -> dict[str, Any]:
        return {
            "method": call.method, "url": call.url, "headers": call.headers, "body": call.body.data,
            "agent_id": self.settings.agent_id, "request_hash": call.digest,
        }

    def _run_scan(self, call: _Call) -> ScanResponse:
        if self.settings.mode == "monitor":  # the request is sent anyway: ask no human about it
            with approvals_off():
                return self._run_scan_now(call)
        return self._run_scan_now(call)

    def _run_scan_now(self, call: _Call) -> ScanResponse:
        deferred = self._deferred_scan
        if deferred is not None:
            return deferred(call.method, call.url, call.headers, call.body.data, self.settings.agent_id,
                            lambda: call.digest)
        return self.scanner.scan(**self._scan_kwargs(call))

    def _scan(self, span: telemetry.DecisionSpan, call: _Call) -> ScanResponse | None:
        """The scanner's response; None when the request goes out unexamined (fail-open/monitor)."""
        if not call.body.complete:
            return self._too_large(call.body)
        started = time.perf_counter()
        try:
            response = self._run_scan(call)
        except Exception as exc:
            call.scan_seconds = time.perf_counter() - started
            return self._scanner_failed(span, call, exc)
        call.scan_seconds = time.perf_counter() - started
        return response

    async def _ascan(self, span: telemetry.DecisionSpan, call: _Call) -> ScanResponse | None:
        if not call.body.complete:
            return self._too_large(call.body)
        ascan = getattr(self.scanner, "ascan", None)  # a scanner doing network I/O may offer one
        started = time.perf_counter()
        # Monitor mode asks no human; the flag is a contextvar, so asyncio.to_thread carries it.
        quiet = approvals_off() if self.settings.mode == "monitor" else contextlib.nullcontext()
        try:
            with quiet:
                if ascan is not None:
                    response: ScanResponse = await ascan(**self._scan_kwargs(call))
                elif self.scanner.name == "embedded":  # CPU only, microseconds: inline
                    response = self._run_scan(call)
                else:  # e.g. the gateway: a network round trip must not stall the event loop
                    import asyncio  # already loaded: we are in a coroutine

                    scan = functools.partial(self.scanner.scan, **self._scan_kwargs(call))
                    response = await asyncio.to_thread(scan)
        except Exception as exc:
            call.scan_seconds = time.perf_counter() - started
            return self._scanner_failed(span, call, exc)
        call.scan_seconds = time.perf_counter() - started
        return response

    def _too_large(self, body: Captured) -> ScanResponse:
        # The unread rest of a stream cannot be judged: fail closed, as the engine does for bodies.
        reason = getattr(body, "reason", None) or ReasonCode.BODY_TOO_LARGE
        raw = {GUARD_BODY_LIMIT: self.body_limit} if reason == ReasonCode.BODY_TOO_LARGE else None
        return ScanResponse(decision=Decision.DENY, reason_codes=[reason],
                            risk_score=1.0, risk_band="HIGH", scanner=self.scanner.name, raw=raw)

    def _scanner_failed(self, span: telemetry.DecisionSpan, call: _Call, exc: Exception) -> None:
        span.record_error(exc)
        failure = ScanResponse(decision=Decision.DENY, reason_codes=[ReasonCode.SCANNER_ERROR],
                               risk_score=1.0, risk_band="HIGH", scanner=self.scanner.name)
        mode = self.settings.mode
        cause = failure_cause(exc)  # "gateway refused the key (HTTP 401)"; never request content
        if mode == "monitor" or self.settings.fail_open:
            log.warning("interven-autoguard: scanner failed (%s) on %s %s; sent anyway (%s)",
                        cause, call.method, call.redacted,
                        "monitor mode" if mode == "monitor" else "fail_open")
            _record(span, call, failure, mode, Decision.ALLOW.value)
            return None
        log.warning("interven-autoguard: scanner failed (%s) on %s %s; blocked (fail closed)",
                    cause, call.method, call.redacted)
        _record(span, call, failure, mode, Decision.DENY.value)
        raise self._blocked(call, failure, note=f"scanner error: {cause}") from None

    def _must_wait(self, response: ScanResponse) -> bool:
        return self.settings.mode == "enforce" and _decision(response) is Decision.REQUIRE_APPROVAL

    def _settle(self, span: telemetry.DecisionSpan, call: _Call, response: ScanResponse) -> Rewrite | None:
        """Enforce ALLOW / SANITIZE / DENY (and record what monitor mode would have done)."""
        mode = self.settings.mode
        decision = _decision(response)
        if mode == "monitor" or decision is Decision.ALLOW:
            _record(span, call, response, mode, Decision.ALLOW.value)
            return None
        if decision is Decision.SANITIZE:
            _record(span, call, response, mode, Decision.SANITIZE.value)
            return self._rewrite(call, response)
        _record(span, call, response, mode, Decision.DENY.value)
        raise self._blocked(call, response)

    def _rewrite(self, call: _Call, response: ScanResponse) -> Rewrite:
        body = _as_bytes(response.sanitized_body)
        if body is not None and body == call.body.data:
            body = None  # unchanged: keep the caller's body object and its framing
        return Rewrite(
            url=response.sanitized_url or call.url,
            headers=hdrs.rewritten(call.lines, call.headers, response.sanitized_headers,
                                   None if body is None else len(body)),
            body=body,
        )

    def _approval_kwargs(self, span: telemetry.DecisionSpan, call: _Call, approval_id: str) -> dict[str, Any]:
        return {
            "request_hash": call.digest,
            "timeout": float(self.settings.approval_timeout),
            "on_state": lambda state: span.approval_event(state, approval_id),
        }

    def _wait(self, span: telemetry.DecisionSpan, call: _Call, response: ScanResponse) -> str:
        if not response.approval_id:
            return self._unavailable(span, call, response, None)
        self._announce_hold(call, response.approval_id)
        try:
            return self.scanner.wait_for_approval(
                response.approval_id, **self._approval_kwargs(span, call, response.approval_id))
        except Exception as exc:  # NotImplementedError, ScannerError, store down: fail closed
            return self._unavailable(span, call, response, exc)

    async def _await(self, span: telemetry.DecisionSpan, call: _Call, response: ScanResponse) -> str:
        if not response.approval_id:
            return self._unavailable(span, call, response, None)
        self._announce_hold(call, response.approval_id)
        try:
            return await self.scanner.await_approval(
                response.approval_id, **self._approval_kwargs(span, call, response.approval_id))
        except Exception as exc:
            return self._unavailable(span, call, response, exc)

    def _announce_hold(self, call: _Call, approval_id: str) -> None:
        """One WARNING as the wait starts: otherwise the agent just looks frozen, for up to an hour.
        Says what to run to decide, and until when the guard waits (then the request is refused)."""
        if not log.isEnabledFor(logging.WARNING):
            return
        from ..approvals import display

        timeout = float(self.settings.approval_timeout)
        approvals_db = getattr(self.scanner, "approvals_db", None)
        try:
            db = approvals_db() if callable(approvals_db) else None
        except Exception:  # the wait itself will say what is wrong with the store
            db = None
        if callable(approvals_db):
            how = display.decide_commands(approval_id, db)
        else:  # e.g. the gateway: its approvers decide there
            how = (f"an approver decides it on the {self.scanner.name} "
                   f"(POST /v1/approvals/{display.printable(approval_id)}/approve or /deny, or its /ui page)")
        log.warning("interven-autoguard: %s %s is held for human approval %s; waiting up to %s (until %s, "
                    "then it is refused). %s", call.method, call.redacted, display.printable(approval_id),
                    display.duration(timeout), display.utc(time.time() + timeout), how)

    def _unavailable(self, span: telemetry.DecisionSpan, call: _Call, response: ScanResponse,
                     exc: BaseException | None) -> str:
        if exc is not None:
            span.record_error(exc)
        log.warning("interven-autoguard: approval for %s %s cannot be resolved (%s); blocked",
                    call.method, call.redacted, type(exc).__name__ if exc else "no approval id")
        span.approval_event(UNAVAILABLE, response.approval_id)
        return UNAVAILABLE

    def _after_approval(self, span: telemetry.DecisionSpan, call: _Call, response: ScanResponse,
                        state: str) -> None:
        if state == APPROVED:
            # A human approved this exact request (bound by its hash). What the approver saw was
            # masked: secrets and PII the policy sanitizes stay redacted in what is sent.
            if (response.sanitized_body is not None or response.sanitized_url is not None
                    or response.sanitized_headers is not None):
                _record(span, call, response, self.settings.mode, Decision.SANITIZE.value)
                return self._rewrite(call, response)
            _record(span, call, response, self.settings.mode, Decision.ALLOW.value)
            return None
        _record(span, call, response, self.settings.mode, Decision.DENY.value)
        self._remember_refusal(call, response, state)
        raise self._blocked(call, response, note=f"approval {state}")

    def _remember_refusal(self, call: _Call, response: ScanResponse, state: str) -> None:
        if self.refusal_memory <= 0:
            return
        now = time.monotonic()
        if len(self._refusals) >= _REFUSALS_KEPT:
            # No lock (a lock held at fork time would hang the child): snapshots, tolerant pops.
            for digest, (until, _, _) in list(self._refusals.items()):
                if until <= now:
                    self._refusals.pop(digest, None)
            for digest in list(self._refusals)[: max(0, len(self._refusals) - _REFUSALS_KEPT + 1)]:
                self._refusals.pop(digest, None)
        self._refusals[call.digest] = (now + self.refusal_memory, response, state)

    def _refuse_again(self, span: telemetry.DecisionSpan, call: _Call) -> None:
        """The exact same request was refused a moment ago (an SDK or tenacity retrying it): block
        it again without a new scan or a new approval request."""
        if not self._refusals:
            return
        refusal = self._refusals.get(call.digest)
        if refusal is None:
            return
        until, response, state = refusal
        if until <= time.monotonic():
            self._refusals.pop(call.digest, None)
            return
        span.approval_event(state, response.approval_id)
        _record(span, call, response, self.settings.mode, Decision.DENY.value)
        raise self._blocked(call, response, note=f"approval {state}, remembered")

    def _rewrite_blocked(self, call: _Call, note: str) -> RequestBlocked:
        failure = ScanResponse(decision=Decision.DENY, reason_codes=[ReasonCode.SCANNER_ERROR],
                               scanner=self.scanner.name)
        return self._blocked(call, failure, note=note)

    def _blocked(self, call: _Call, response: ScanResponse, *, note: str = "") -> RequestBlocked:
        cls = blocked_error(call.library)
        decision = _decision(response).value
        codes = list(response.reason_codes) or [ReasonCode.POLICY_RULE]
        message = (f"interven-autoguard blocked {call.method} {call.redacted}: decision={decision} "
                   f"reasons={','.join(codes)}")
        if note:
            message += f" ({note})"
        if response.approval_id:
            message += f" approval_id={response.approval_id}"
        if response.trace_id:
            message += f" trace_id={response.trace_id}"
        hint = block_hint(codes, response.findings, call.url, scanner=response.scanner, raw=response.raw)
        if hint:
            message += f"; {hint}"
        return cls(message, decision=decision, reason_codes=codes, trace_id=response.trace_id,
                   method=call.method, url=call.redacted, approval_id=response.approval_id)


class _HopScope:
    """``with guard.hop(...) as hop``: the span, the decision, then the send (a class rather than a
    generator-based context manager: this runs on every request)."""

    __slots__ = ("_call", "_guard", "_layer", "_scope", "_span")

    def __init__(self, guard: Guard, call: _Call, layer: str) -> None:
        self._guard = guard
        self._call = call
        self._layer = layer

    def __enter__(self) -> Hop:
        guard, call = self._guard, self._call
        self._scope, span = guard._open_span(call, self._layer)
        self._span = span
        try:
            rewrite = guard._decide(span, call)
        except BaseException:
            self._scope.__exit__(*sys.exc_info())  # records the error; never swallows it
            raise
        return Hop(span, rewrite, call.body, functools.partial(guard._rewrite_blocked, call))

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is not None:
            self._span.record_error(exc)
        self._scope.__exit__(exc_type, exc, tb)


class _AsyncHopScope(_HopScope):
    """``async with guard.ahop(...) as hop``: the same, awaiting the scanner and approvals."""

    __slots__ = ()

    async def __aenter__(self) -> Hop:
        guard, call = self._guard, self._call
        self._scope, span = guard._open_span(call, self._layer)
        self._span = span
        try:
            rewrite = await guard._adecide(span, call)
        except BaseException:
            self._scope.__exit__(*sys.exc_info())
            raise
        return Hop(span, rewrite, call.body, functools.partial(guard._rewrite_blocked, call))

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.__exit__(exc_type, exc, tb)


_RequestArgs = tuple[str, str, str, "Headers"]  # library, method, url, headers


class _QuietHop(Hop):
    """A hop the scanner quietly allowed: nothing to record, nothing to rewrite. Its own context
    manager (``with guard.hop(...) as hop`` yields it), one object per request."""

    __slots__ = ("_guard", "_request")

    def __init__(self, guard: Guard, request: _RequestArgs, body: Captured) -> None:
        self.span = telemetry.NULL_SPAN
        self.rewrite = None
        self.body = body
        self._guard = guard
        self._request = request  # (library, method, url, headers)

    def rewrite_failed(self, exc: BaseException) -> RequestBlocked:
        guard = self._guard
        return guard._rewrite_blocked(guard._call(*self._request, self.body),
                                      f"sanitization could not be applied: {type(exc).__name__}")

    def response(self, status_code: int) -> None:
        return None  # nothing records it

    def __enter__(self) -> Hop:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    async def __aenter__(self) -> Hop:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def _entry(scanner: Scanner, marker: str) -> Callable[..., Any] | None:
    """The scanner's method named by ``marker`` on its ``scan`` function, if ``scan`` is exactly that
    function (not overridden by a subclass, which might decide differently)."""
    entry = getattr(type(scanner).scan, marker, None)
    return getattr(scanner, entry, None) if isinstance(entry, str) else None


def _deferred_hash_scan(scanner: Scanner) -> Callable[..., ScanResponse] | None:
    """The scanner's entry point taking the request hash as a callable, if it has one and its
    ``scan`` is exactly that entry point (not overridden): the embedded engine needs the hash only
    to create an approval, so the guard does not hash every request for it. Other scanners (the
    gateway) may send the hash with every scan and get it up front."""
    return _entry(scanner, "deferred_hash_entry")


def _record(span: telemetry.DecisionSpan, call: _Call, response: ScanResponse, mode: str,
            enforced: str) -> None:
    span.record_decision(response, mode=mode, enforced=enforced, latency_s=call.scan_seconds)


def _decision(response: ScanResponse) -> Decision:
    """The response's decision; anything unknown counts as DENY (fail closed)."""
    if isinstance(response.decision, Decision):
        return response.decision
    try:
        return Decision(str(response.decision))
    except ValueError:
        return Decision.DENY


def _as_bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
