"""http.client (and so urllib.request, xmlrpc.client, slack_sdk, httplib2, stdlib users).

Three hooks on ``HTTPConnection``, one decision per hop:

- ``request`` — the whole request. While it runs, the connection is marked as being sent by a
  guarded layer above, so the low-level calls it makes itself (``endheaders``, ``send``) are not
  scanned again. urllib3 2.x overrides ``request`` (its adapter guards that one the same way);
  urllib3 1.x calls this one and the hop it already scanned is recognised and not re-scanned.
- ``endheaders`` — the low-level API (``putrequest`` / ``putheader`` / ``endheaders(message_body)``,
  used by xmlrpc.client and hand-written clients). Method, target and header lines are read back
  from the connection's pending output buffer, exactly as they will go out (``Host`` included),
  with ``message_body``. SANITIZE rewrites that buffer and the body.
- ``send`` — body bytes written after the headers are out (``conn.send(data)`` after
  ``endheaders()`` or ``request()``). Each payload is scanned with the request's method, URL and
  headers, together with the last ``SEND_OVERLAP`` bytes written before it (a secret split across
  two writes is still seen). The headers and their ``Content-Length`` are already on the wire, so
  a payload that would need SANITIZE cannot be rewritten: it is refused like DENY, with the
  scanner's reason codes. Whenever a payload is refused the connection is closed first (the server
  sees a truncated request, never the payload; the next request reconnects).

A blocked request raises an ``OSError`` subclass that is also ``RequestBlocked``: urllib.request
turns it into ``URLError(reason=<it>)`` like a refused connection. ``request()`` only sends; the
response status is read later by ``getresponse()`` and is not on the span.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import weakref
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from ..errors import RequestBlocked
from ..guard import headers as hdrs
from ..guard.bodies import Captured, capture
from ..guard.core import Guard
from ..guard.install import active_guard
from ..guard.patching import Patcher
from ..model import Decision, ScanResponse

LIBRARY = "http.client"
SEND_OVERLAP = 4096  # bytes of the previous writes scanned again with the next send() payload
_signature: inspect.Signature | None = None
_STATE = "_HTTPConnection__state"  # http.client's private request state, name-mangled
_REQ_STARTED = "Request-started"
_REQ_SENT = "Request-sent"
_OPEN = "_interven_autoguard_open"  # instance attribute: the request whose body send() may write

# The connection a guarded layer above is sending right now (its request was decided there).
_SENDING: ContextVar[Any] = ContextVar("interven_autoguard_http_client_sending", default=None)

_LEGAL_NAME = re.compile(rb"[^:\s][^:\r\n]*").fullmatch  # as http.client validates putheader()
_ILLEGAL_VALUE = re.compile(rb"\n(?![ \t])|\r(?![ \t\n])").search
_ILLEGAL_TARGET = re.compile(r"[\x00-\x20\x7f]").search


def patch(patcher: Patcher, module: ModuleType) -> None:
    global _signature, _REQ_STARTED, _REQ_SENT
    signature = inspect.signature(module.HTTPConnection.request)
    _signature = signature.replace(parameters=list(signature.parameters.values())[1:])
    _REQ_STARTED = getattr(module, "_CS_REQ_STARTED", _REQ_STARTED)
    _REQ_SENT = getattr(module, "_CS_REQ_SENT", _REQ_SENT)
    patcher.wrap(module.HTTPConnection, "request", _request)
    patcher.wrap(module.HTTPConnection, "endheaders", _endheaders)
    patcher.wrap(module.HTTPConnection, "send", _send)


# ------------------------------------------------------------------------------------ URLs
def connection_url(connection: Any, target: str) -> str:
    """Absolute URL of a request ``target`` sent on an http.client (or urllib3) connection."""
    if "://" in target[:16]:
        return target  # absolute-form: a request to a forward proxy
    tunnel_host = getattr(connection, "_tunnel_host", None)
    if tunnel_host:  # CONNECT tunnel through a proxy: the destination is the tunnel's end
        host, port, scheme = tunnel_host, getattr(connection, "_tunnel_port", None), "https"
    else:
        # HTTPS connection classes of http.client and urllib3 (not related by inheritance) both
        # default to 443; a plain HTTP connection to port 443 stays http.
        https = getattr(type(connection), "default_port", None) == 443
        # urllib3's ``host`` drops a trailing dot its pool keeps: the unaltered name, as urlopen saw it.
        host = getattr(connection, "_dns_host", None) or connection.host
        port, scheme = connection.port, "https" if https else "http"
    if len(target) <= REMEMBERED_TARGET:  # absolute_url, without its call: this runs on every request
        return remembered_url(scheme, host, port, target)
    return _joined_url(scheme, host, port, target)


def absolute_url(scheme: str, host: str, port: int | None, target: str) -> str:
    """The URL of an origin-form ``target`` sent to ``host``:``port``. Remembered for short targets:
    a connection sends to the same few, and every layer under a guarded one builds the URL again
    to see whether its call is the hop already decided above."""
    if len(target) <= REMEMBERED_TARGET:
        return remembered_url(scheme, host, port, target)
    return _joined_url(scheme, host, port, target)


def _joined_url(scheme: str, host: str, port: int | None, target: str) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    suffix = f":{port}" if port else ""
    return f"{scheme}://{host}{suffix}{target if target.startswith('/') else '/' + target}"


remembered_url = functools.lru_cache(maxsize=1024)(_joined_url)
REMEMBERED_TARGET = 512


def target_of(original_target: str, url: str) -> str:
    """Put a rewritten absolute URL back in the form the caller used (origin-form or absolute)."""
    if "://" in original_target[:16]:
        return url
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def sent_above(connection: Any, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)`` with ``connection`` marked as sent by a guarded layer above: its
    ``endheaders``/``send`` are not scanned again. (A plain function: this runs on every request.)"""
    token = _SENDING.set(connection)
    try:
        return call(*args, **kwargs)
    finally:
        _SENDING.reset(token)


def header_fields(headers: Any) -> dict[str, str] | list[tuple[str, str]]:
    """Headers for the guard. A mapping that can repeat a name (urllib3's ``HTTPHeaderDict``,
    ``email.message.Message``) yields every pair from ``items()``: handed over as those pairs, so
    that a repeated header's values are all scanned instead of the last one hiding the others, and
    a SANITIZE sends its lines apart as they came."""
    if not headers:
        return {}
    if headers.__class__ is dict or not hasattr(headers, "items"):
        return hdrs.to_dict(headers)
    return hdrs.lines(headers)


class _HeaderLines:
    """A rewrite's header lines as http.client's ``request()`` reads its ``headers`` mapping (names
    when iterated, every line from ``items()``): a name may repeat, as in the caller's mapping."""

    __slots__ = ("_lines",)

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        self._lines = lines

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._lines)

    def __len__(self) -> int:
        return len(self._lines)

    def items(self) -> list[tuple[str, str]]:
        return list(self._lines)


def _request_headers(lines: list[tuple[str, str]]) -> Any:
    """A plain dict unless a name repeats (code wrapping ``request()`` may expect the usual dict)."""
    if len({name.lower() for name, _ in lines}) == len(lines):
        return dict(lines)
    return _HeaderLines(lines)


# ------------------------------------------------------------------------------------ request()
def _request(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    guard = active_guard()
    if guard is None or _signature is None:
        return wrapped(*args, **kwargs)
    try:
        bound = _signature.bind(*args, **kwargs)
    except TypeError:
        return wrapped(*args, **kwargs)  # the library raises its own TypeError
    arguments = bound.arguments
    method, target = arguments["method"], arguments["url"]
    url = connection_url(instance, target)
    if not guard.should_scan(method, url):
        return sent_above(instance, wrapped, *args, **kwargs)
    body = arguments.get("body")
    headers = arguments.get("headers") or {}
    # http.client encodes a str body as ISO-8859-1: scan the bytes that will really go out.
    captured = capture(body, str_encoding="iso-8859-1", limit=guard.body_limit)
    with guard.hop(library=LIBRARY, layer=LIBRARY, method=method, url=url,
                   headers=header_fields(headers), body=captured) as hop:
        rewrite = hop.rewrite
        changed = False
        if rewrite is not None:
            arguments["url"] = target_of(target, rewrite.url)
            arguments["headers"] = _request_headers(rewrite.headers)
            url = rewrite.url
            if rewrite.body is not None:
                arguments["body"] = rewrite.body
                arguments["encode_chunked"] = False
            else:
                arguments["body"] = captured.replay
            changed = True
        elif captured.replay is not body:
            arguments["body"] = captured.replay
            changed = True
        if changed:
            args, kwargs = bound.args, bound.kwargs
        token = hop.enter(method, url)
        try:
            return sent_above(instance, wrapped, *args, **kwargs)
        finally:
            hop.leave(token)


# ------------------------------------------------------------------------------------ endheaders()
class _OpenRequest:
    """A request whose headers are out: what a later ``send()`` payload is scanned against."""

    __slots__ = ("_parsed", "lines", "tail")

    def __init__(self, lines: list[bytes], tail: bytes = b"") -> None:
        self.lines = lines  # request line, then header lines, as they went out
        self.tail = tail  # the end of the body bytes written so far
        self._parsed: tuple[str, str, list[tuple[str, str]]] | None = None

    def parsed(self, connection: Any) -> tuple[str, str, list[tuple[str, str]]]:
        """(method, absolute URL, headers)."""
        if self._parsed is None:
            method, target, _ = _request_line(self.lines[0])
            self._parsed = (method, connection_url(connection, target), _headers(self.lines[1:]))
        return self._parsed


def _request_line(line: bytes) -> tuple[str, str, str]:
    # putrequest() wrote "METHOD TARGET VERSION"; the target and version hold no space, the method may.
    method, target, version = line.decode("latin-1").rsplit(" ", 2)
    return method, target, version


def _headers(lines: list[bytes]) -> list[tuple[str, str]]:
    """The header lines, each apart (a name put twice is two lines; the guard joins them to scan)."""
    pairs = []
    for line in lines:
        name, _, value = line.partition(b":")
        pairs.append((name.decode("latin-1"), value.lstrip(b" \t").decode("latin-1")))
    return pairs


def _pending_lines(connection: Any) -> list[bytes] | None:
    """The buffered request and header lines of a request started with putrequest(), if any."""
    buffer = getattr(connection, "_buffer", None)
    if vars(connection).get(_STATE) != _REQ_STARTED or not isinstance(buffer, list) or not buffer:
        return None  # endheaders() raises CannotSendHeader itself
    if not all(isinstance(line, bytes) for line in buffer) or buffer[0].count(b" ") < 2:
        return None
    return list(buffer)


def _rebuilt_lines(request_line: bytes, target: str, rewrite_url: str,
                   headers: list[tuple[str, str]]) -> list[bytes]:
    method, _, version = _request_line(request_line)
    new_target = target_of(target, rewrite_url)
    if _ILLEGAL_TARGET(new_target):
        raise ValueError("sanitized request target holds a space or control character")
    lines = [f"{method} {new_target} {version}".encode("ascii")]
    for name, value in headers:
        raw_name, raw_value = name.encode("ascii"), value.encode("latin-1")
        if not _LEGAL_NAME(raw_name) or _ILLEGAL_VALUE(raw_value):
            raise ValueError("sanitized header is not a legal header line")
        lines.append(raw_name + b": " + raw_value)
    return lines


def _endheaders(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    guard = active_guard()
    if guard is None:
        return wrapped(*args, **kwargs)
    state = vars(instance)
    state.pop(_OPEN, None)
    if _SENDING.get() is instance:  # request() or urllib3 is sending it: decided above
        lines = list(getattr(instance, "_buffer", ()))  # what goes out; a later send() meets it
        result = wrapped(*args, **kwargs)
        if lines and lines[0].__class__ is bytes and lines[0].count(b" ") >= 2:
            body = args[0] if args else kwargs.get("message_body")  # _tail(body), spelled out:
            tail = bytes(body[-SEND_OVERLAP:]) if isinstance(body, (bytes, bytearray)) else b""
            state[_OPEN] = (lines, tail)  # every request: an _OpenRequest only if a send() meets it
        return result
    pending = _pending_lines(instance)
    if pending is None or len(args) > 1 or not set(kwargs) <= {"message_body", "encode_chunked"}:
        return wrapped(*args, **kwargs)  # nothing pending, or a call the library itself rejects
    lines = pending
    message_body = args[0] if args else kwargs.get("message_body")
    method, target, _ = _request_line(lines[0])
    url = connection_url(instance, target)
    if not guard.should_scan(method, url):
        result = sent_above(instance, wrapped, *args, **kwargs)
        state[_OPEN] = _OpenRequest(lines, _tail(message_body))
        return result
    encode_chunked = kwargs.get("encode_chunked", False)
    captured = capture(message_body, str_encoding="iso-8859-1", limit=guard.body_limit)
    with guard.hop(library=LIBRARY, layer=LIBRARY, method=method, url=url,
                   headers=_headers(lines[1:]), body=captured) as hop:
        rewrite = hop.rewrite
        body, sent = captured.replay, captured.data
        if rewrite is not None:
            try:
                lines = _rebuilt_lines(lines[0], target, rewrite.url, rewrite.headers)
            except Exception as exc:
                raise hop.rewrite_failed(exc) from None
            instance._buffer[:] = lines
            url = rewrite.url
            if rewrite.body is not None:
                body, sent, encode_chunked = rewrite.body, rewrite.body, False
        if rewrite is None and body is message_body:  # ALLOW: the caller's very call
            call_args, call_kwargs = args, kwargs
        else:
            call_args, call_kwargs = (body,), {"encode_chunked": encode_chunked}
        token = hop.enter(method, url)
        try:
            result = sent_above(instance, wrapped, *call_args, **call_kwargs)
        finally:
            hop.leave(token)
    state[_OPEN] = _OpenRequest(lines, _tail(sent))
    return result


def _tail(body: Any) -> bytes:
    return bytes(body[-SEND_OVERLAP:]) if isinstance(body, (bytes, bytearray)) else b""


# ------------------------------------------------------------------------------------ send()
def _send(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    guard = active_guard()
    if guard is None or _SENDING.get() is instance:
        return wrapped(*args, **kwargs)
    state = vars(instance)
    open_request = state.get(_OPEN)
    if open_request is None or state.get(_STATE) != _REQ_SENT:
        return wrapped(*args, **kwargs)  # not a body write of a request whose headers are out
    if open_request.__class__ is tuple:  # as endheaders() recorded it under a guarded layer
        open_request = state[_OPEN] = _OpenRequest(*open_request)
    if len(args) == 1 and not kwargs:
        data = args[0]
    elif not args and set(kwargs) == {"data"}:
        data = kwargs["data"]
    else:
        return wrapped(*args, **kwargs)  # the library raises its own TypeError
    method, url, headers = open_request.parsed(instance)
    if not guard.should_scan(method, url):
        return sent_above(instance, wrapped, *args, **kwargs)
    captured = capture(data, str_encoding="iso-8859-1", limit=guard.body_limit)
    if captured.complete and not captured.data:  # nothing to write (or nothing it can write)
        return sent_above(instance, wrapped, captured.replay)
    scanned = Captured(open_request.tail + (captured.data or b""), captured.replay,
                       captured.complete, captured.reason)
    passed = False
    try:
        with _headers_sent_guard(guard).hop(library=LIBRARY, layer=LIBRARY, method=method, url=url,
                                            headers=headers, body=scanned):
            passed = True
            open_request.tail = (scanned.data or b"")[-SEND_OVERLAP:]
            return sent_above(instance, wrapped, captured.replay)
    except RequestBlocked:
        if not passed:
            instance.close()  # a half-sent request must not be completed by a later write
        raise


class _HeadersSent:
    """The guard's scanner for body bytes whose headers are already on the wire: SANITIZE cannot be
    applied there, so it is returned as DENY with the same reason codes (and enforced as such)."""

    def __init__(self, scanner: Any) -> None:
        self._scanner = scanner
        self.name = scanner.name

    def scan(self, **kwargs: Any) -> ScanResponse:
        response: ScanResponse = self._scanner.scan(**kwargs)
        if response.decision == Decision.SANITIZE:
            return dataclasses.replace(response, decision=Decision.DENY, sanitized_body=None,
                                       sanitized_url=None, sanitized_headers=None)
        return response

    def wait_for_approval(self, approval_id: str, **kwargs: Any) -> str:
        return str(self._scanner.wait_for_approval(approval_id, **kwargs))

    async def await_approval(self, approval_id: str, **kwargs: Any) -> str:
        return str(await self._scanner.await_approval(approval_id, **kwargs))


_strict_guards: weakref.WeakKeyDictionary[Guard, Guard] = weakref.WeakKeyDictionary()


def _headers_sent_guard(guard: Guard) -> Guard:
    """A guard with ``guard``'s settings and scanner, for payloads that can no longer be sanitized."""
    strict = _strict_guards.get(guard)
    if strict is None:
        strict = Guard(guard.settings, _HeadersSent(guard.scanner))  # type: ignore[arg-type]
        _strict_guards[guard] = strict
    return strict
