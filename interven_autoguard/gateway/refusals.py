"""Refused requests in the audit trail, bounded whatever the caller does.

Each request with a missing or wrong key, token or signature used to append one audit row, and the
audit table is append-only: anyone who could reach the port could fill the disk. Refusals are now
coalesced per (endpoint, source address, reason) and fixed time window:

* the first refusal of a key in a window is written at once, ``count`` 1 (an alert fires as before);
* later ones in the same window are only counted, and one row carrying that count is written when
  the window ends (by a timer, by the next refusal, or at shutdown);
* at most ``max_keys`` keys per window get rows of their own; refusals under further keys are
  counted under the source ``(other sources)`` (one key per route and reason, both fixed by the
  code), so an attacker rotating addresses or ports grows neither memory nor the table beyond a
  constant per window and gateway process.

``SUM(count)`` over the rows is the exact number of refusals. The source is the peer address the
server saw (an IPv6 address reduced to its /64, what one host controls); the endpoint is the route
(``/v1/approvals/{approval_id}/status``), never the path as sent, and an agent id is kept only when
it names a configured agent. Nothing else the caller sent reaches the table.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from starlette.requests import Request
from starlette.routing import Match, Route

from .storage import AuditLog, AuditRecord

log = logging.getLogger("interven_autoguard.gateway")

OTHER_SOURCES = "(other sources)"
UNKNOWN_SOURCE = "(unknown)"


@dataclass(frozen=True)
class _Key:
    endpoint: str
    source: str
    reason: str
    status: int
    agent_id: str | None


_Ended = tuple[float, list[tuple[_Key, int]]]  # a window's start and its keys' repeat counts


class RefusalAudit:
    """Writes refusals to ``audit`` as bounded, counted rows (see the module's docstring)."""

    def __init__(
        self,
        audit: AuditLog,
        *,
        window_seconds: float = 60.0,
        max_keys: int = 32,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if window_seconds <= 0 or max_keys < 1:
            raise ValueError("window_seconds must be > 0 and max_keys >= 1")
        self.audit = audit
        self.window = float(window_seconds)
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._start: float | None = None  # start of the current window
        self._repeats: dict[_Key, int] = {}  # refusals after the first, per key, in this window
        self._own = 0  # keys with a source of their own (not OTHER_SOURCES) in this window
        self._timer: threading.Timer | None = None

    # -- recording -----------------------------------------------------------------------------

    def refused(
        self, *, endpoint: str, source: str, reason: str, status: int = 401, agent_id: str | None = None
    ) -> None:
        """Count one refusal; writes a row only for the first of its key in the window."""
        now = self._clock()
        start = now - now % self.window
        key = _Key(endpoint, source, reason, status, agent_id)
        with self._lock:
            ended = self._roll(start)
            if key not in self._repeats:
                if self._own >= self.max_keys:
                    key = replace(key, source=OTHER_SOURCES, agent_id=None)
                else:
                    self._own += 1
            first = key not in self._repeats
            if first:
                self._repeats[key] = 0
            else:
                self._repeats[key] += 1
                self._arm()
        if ended is not None:
            self._write(ended)
        if first:
            self.audit.append(_record(key, 1, key.reason))

    def flush(self) -> None:
        """Write the counts of a window that has ended (the timer does this by itself)."""
        now = self._clock()
        with self._lock:
            ended = self._roll(now - now % self.window)
        if ended is not None:
            self._write(ended)

    def close(self) -> None:
        """Write every count held, the current window's too (at shutdown), and stop the timer."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            ended = self._take()
        if ended is not None:
            self._write(ended)

    def tracked(self) -> int:
        """How many keys are held in memory (at most ``max_keys`` + the overflow keys)."""
        with self._lock:
            return len(self._repeats)

    # -- internals -----------------------------------------------------------------------------

    def _roll(self, start: float) -> _Ended | None:
        """Under the lock: a new window begins at ``start`` → the ended one's counts, state reset."""
        if self._start is None:
            self._start = start
            return None
        if start <= self._start:  # same window (or the clock went back: stay in it)
            return None
        ended = self._take()
        self._start = start
        return ended

    def _take(self) -> _Ended | None:
        started, repeats = self._start, self._repeats
        self._start, self._repeats, self._own = None, {}, 0
        counted = [(key, n) for key, n in repeats.items() if n]
        return (started, counted) if counted and started is not None else None

    def _arm(self) -> None:
        """Under the lock: make sure a timer writes this window's counts once it has ended."""
        if self._timer is not None or self._start is None:
            return
        delay = max(0.0, self._start + self.window - self._clock()) + 0.05
        self._timer = threading.Timer(delay, self._tick)
        self._timer.daemon = True
        self._timer.start()

    def _tick(self) -> None:
        try:
            now = self._clock()
            with self._lock:
                self._timer = None
                ended = self._roll(now - now % self.window)
                if ended is None and any(self._repeats.values()):
                    self._arm()  # woke early (clock adjusted): try again at the window's end
            if ended is not None:
                self._write(ended, from_timer=True)
        finally:
            self.audit.db.close()  # this thread's connection: the timer thread ends here

    def _write(self, ended: _Ended, *, from_timer: bool = False) -> None:
        started, counted = ended
        stamp = datetime.fromtimestamp(started, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        for i, (key, n) in enumerate(counted):
            try:
                self.audit.append(
                    _record(key, n, f"{key.reason} (repeats in the {self.window:g} s window from {stamp})")
                )
            except Exception as exc:
                lost = sum(count for _key, count in counted[i:])
                log.error("audit: could not write %d refused requests: %s", lost, type(exc).__name__)
                if not from_timer:
                    raise
                return


def _record(key: _Key, count: int, detail: str) -> AuditRecord:
    return AuditRecord(
        endpoint=key.endpoint,
        agent_id=key.agent_id,
        status=key.status,
        detail=detail,
        source=key.source,
        count=count,
    )


def client_source(request: Request) -> str:
    """The peer address as the audit keeps it: IPv4 as is, IPv6 reduced to its /64."""
    host = request.client.host if request.client else ""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return UNKNOWN_SOURCE
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        if not (ip.is_loopback or ip.is_link_local):
            return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def route_path(request: Request) -> str:
    """The route the request matched (``/v1/approvals/{approval_id}/status``), not its path as sent:
    a path holds whatever the caller put in it."""
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.matches(request.scope)[0] != Match.NONE:
            return route.path
    return "(no route)"
