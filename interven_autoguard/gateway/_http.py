"""Minimal stdlib HTTP for the gateway clients: no dependency on requests/httpx.

Every call runs inside the guard's internal-call bypass so the client's own traffic to the gateway
is never scanned by ``install()`` (which would recurse, or deadlock waiting on itself).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import GatewayError


@contextlib.contextmanager
def _bypass_guard() -> Iterator[None]:
    # Imported lazily: the guard imports the gateway (INTERVEN_API_KEY mode), not the other way round.
    try:
        from ..guard import internal_call  # type: ignore[attr-defined]
    except ImportError:
        yield
        return
    with internal_call():
        yield


@dataclass
class HttpResult:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float,
    max_response_bytes: int = 16 * 1024 * 1024,
) -> HttpResult:
    """One HTTP exchange. Network failures become ``GatewayError`` (message without the body)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GatewayError(f"Unsupported gateway URL scheme: {parts.scheme!r}")
    conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    send_headers = {"Accept": "application/json", "User-Agent": "interven-autoguard"}
    send_headers.update(headers or {})
    with _bypass_guard():
        conn = conn_cls(parts.hostname, parts.port, timeout=timeout)
        # ``timeout`` bounds the whole exchange, not each read: a gateway (or a proxy before it)
        # trickling its answer a byte at a time would otherwise hold the guarded call for ever.
        watchdog = _Watchdog(conn, timeout)
        try:
            conn.request(method, target, body=body, headers=send_headers)
            resp = conn.getresponse()
            data = resp.read(max_response_bytes + 1)
            if watchdog.fired:  # the shutdown can read as a clean end: an answer cut short is none
                raise _late(parts.hostname, timeout)
            if len(data) > max_response_bytes:
                raise GatewayError("Gateway response too large", status=resp.status)
            return HttpResult(resp.status, data, {k.lower(): v for k, v in resp.getheaders()})
        except OSError as exc:  # refused, reset, unreachable, TLS: the OS's words hold no request data
            if watchdog.fired:
                raise _late(parts.hostname, timeout) from None
            raise GatewayError(
                f"Network error contacting gateway at {parts.hostname}: {type(exc).__name__}: {exc}"
            ) from exc
        except (http.client.HTTPException, ValueError) as exc:
            if watchdog.fired:  # cut short mid-answer (IncompleteRead): the deadline, not the gateway
                raise _late(parts.hostname, timeout) from None
            # InvalidURL and "Invalid header value" quote the URL or header, which may hold a key or
            # token: name the type only, and drop the cause so no traceback carries it either.
            raise GatewayError(
                f"Network error contacting gateway at {parts.hostname}: {type(exc).__name__}"
            ) from None
        finally:
            watchdog.cancel()
            conn.close()


def _late(host: str, timeout: float) -> GatewayError:
    return GatewayError(f"No complete answer from the gateway at {host} within {timeout:g} s", code="TIMEOUT")


class _Watchdog:
    """Shuts the connection's socket down once ``seconds`` have passed: a read blocked on it then
    fails at once, whatever the per-read timeout."""

    def __init__(self, conn: http.client.HTTPConnection, seconds: float) -> None:
        self.fired = False
        self._conn = conn
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self._conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed: nothing is blocked on it

    def cancel(self) -> None:
        self._timer.cancel()
