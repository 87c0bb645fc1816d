"""``GatewayScanner``: the guard's ``Scanner`` backed by a gateway instead of the embedded engine.

Used when ``INTERVEN_API_KEY`` is set. Identical requests within ``cache_ttl`` seconds reuse the
decision (an SDK or agent retry must not hammer the gateway or prompt approvers twice). Any failure
to get a decision raises ``ScannerError``; the guard then fails closed unless ``fail_open``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from ..config import Settings, gateway_origin
from ..errors import ScannerError
from ..model import Decision, ReasonCode, RiskBand, ScanResponse, fingerprint_json
from ..scanner import APPROVED, DENIED, EXPIRED, ApprovalStateCallback, approvals_wanted
from .client import Client
from .errors import AifError, AuthenticationError, GatewayError, PayloadTooLargeError

# "not_found": the gateway no longer knows the approval (purged, another database): blocked now,
# not after waiting out the approval timeout (an hour by default) for a decision that cannot come.
_FINAL = {"denied": DENIED, "expired": EXPIRED, "executed": DENIED, "not_found": DENIED}


_NETWORK_CAUSES: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (socket.gaierror, "host name not resolved"),
    (ssl.SSLError, "TLS failed"),
)


def failure_summary(exc: AifError, gateway_url: str, timeout: float) -> str:
    """A gateway failure in a few safe words for the agent's exception and log: which class of
    problem, the gateway's scheme, host and port, a status code. Never the key, a path, a query or
    anything the gateway or the OS said in free text."""
    where = gateway_origin(gateway_url)
    if isinstance(exc, AuthenticationError):
        return f"gateway at {where} refused the key (HTTP 401)"
    status = getattr(exc, "status", None)
    if isinstance(exc, GatewayError) and status is not None:
        plain = isinstance(exc.code, str) and re.fullmatch(r"[A-Z][A-Z0-9_]{0,39}", exc.code)
        code = exc.code if plain else None
        return f"gateway at {where} answered HTTP {status}" + (f" ({code})" if code else "")
    cause = exc.__cause__
    if exc.code == "TIMEOUT" or isinstance(cause, TimeoutError):
        return f"gateway at {where} timed out (no answer within {timeout:g} s)"
    if isinstance(cause, OSError):
        known = (text for kind, text in _NETWORK_CAUSES if isinstance(cause, kind))
        reason = next(known, type(cause).__name__)
        return f"gateway unreachable at {where} ({reason})"
    return f"no usable answer from the gateway at {where} ({type(exc).__name__})"


def _cache_key(
    method: str, url: str, headers: Mapping[str, str] | None, body: Any, agent_id: str | None
) -> str:
    digest = hashlib.sha256()
    digest.update(f"{method.upper()}\n{url}\n{agent_id or ''}\n".encode("utf-8", "surrogatepass"))
    for name, value in sorted((str(k).lower(), str(v)) for k, v in (headers or {}).items()):
        digest.update(f"{name}:{value}\n".encode("utf-8", "surrogatepass"))
    if isinstance(body, (bytes, bytearray, memoryview)):
        digest.update(b"b" + bytes(body))
    elif isinstance(body, str):
        digest.update(b"s" + body.encode("utf-8", "surrogatepass"))
    elif body is not None:
        digest.update(b"j" + fingerprint_json(body))
    return digest.hexdigest()


class _DecisionCache:
    """A small TTL + LRU map of request digest → decision. Holds digests, never request content."""

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[str, tuple[float, ScanResponse]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> ScanResponse | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if time.monotonic() - item[0] > self.ttl:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: str, resp: ScanResponse) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic(), resp)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def forget_approval(self, approval_id: str) -> None:
        with self._lock:
            for key in [k for k, (_, r) in self._items.items() if r.approval_id == approval_id]:
                del self._items[key]


class GatewayScanner:
    """The ``Scanner`` protocol over ``Client``."""

    name = "gateway"

    def __init__(
        self,
        client: Client | Settings | None = None,
        *,
        api_key: str | None = None,
        gateway_url: str | None = None,
        timeout: float | None = None,
        agent_id: str | None = None,
        runtime_type: str = "python",
        cache_ttl: float = 5.0,
        cache_size: int = 1024,
        poll_interval: float = 1.0,
    ) -> None:
        if isinstance(client, Settings):  # what install() passes: GatewayScanner(settings)
            api_key = api_key or client.api_key
            gateway_url = gateway_url or client.gateway_url
            agent_id = agent_id or client.agent_id
            timeout = timeout or client.gateway_timeout  # INTERVEN_GATEWAY_TIMEOUT
            client = None
        try:
            self.client = client or Client(
                api_key,
                gateway_url=gateway_url,
                timeout=timeout or 30.0,
                agent_id=agent_id,
                runtime_type=runtime_type,
            )
        except AifError as exc:
            raise ScannerError(f"gateway scanner not usable: {exc}") from exc
        self.poll_interval = poll_interval
        self._cache = _DecisionCache(cache_ttl, cache_size)
        self.gateway_calls = 0  # scans that actually reached the gateway (observability, tests)

    @classmethod
    def from_settings(cls, settings: Any, **kw: Any) -> GatewayScanner:
        """The scanner ``install()`` uses when ``INTERVEN_API_KEY`` is set (``config.Settings``)."""
        kw.setdefault("timeout", getattr(settings, "gateway_timeout", None))
        return cls(
            api_key=settings.api_key, gateway_url=settings.gateway_url, agent_id=settings.agent_id, **kw
        )

    def __repr__(self) -> str:
        return f"GatewayScanner(gateway_url={self.client.gateway_url!r})"

    def scan(
        self,
        *,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        agent_id: str | None = None,
        request_hash: str | None = None,
    ) -> ScanResponse:
        key = _cache_key(method, url, headers, body, agent_id)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            self.gateway_calls += 1
            resp = self.client.scan(
                method=method,
                url=url,
                body=body,
                headers=dict(headers) if headers else None,
                agent_id=agent_id,
                request_hash=request_hash,
            )
        except PayloadTooLargeError:
            # A decision, not an outage: the gateway cannot inspect it, so it is not sent.
            return ScanResponse(
                decision=Decision.DENY,
                reason_codes=[ReasonCode.BODY_TOO_LARGE],
                risk_score=1.0,
                risk_band=RiskBand.CRITICAL,
                scanner=self.name,
            )
        except AifError as exc:
            summary = failure_summary(exc, self.client.gateway_url, self.client.timeout)
            raise ScannerError(f"gateway scan failed: {exc}", summary=summary) from exc
        if resp.decision not in {d.value for d in Decision}:
            raise ScannerError(f"gateway answered an unknown decision {resp.decision!r}",
                               summary=f"gateway at {gateway_origin(self.client.gateway_url)} answered an "
                                       "unknown decision")
        if resp.approval_id and not approvals_wanted():
            # Monitor mode sends the request anyway: withdraw the approval the gateway opened.
            with contextlib.suppress(AifError):
                self.client.cancel_approval(resp.approval_id)
            resp.approval_id = None
            return resp
        self._cache.put(key, resp)
        return resp

    # -- approvals ---------------------------------------------------------------------------

    def _step(self, approval_id: str, request_hash: str) -> tuple[str, str | None]:
        """One poll: (state seen, final result or None while pending)."""
        try:
            status = self.client.poll_approval(approval_id)
            if status.status == "approved":
                released = self.client.consume_approval(approval_id, request_hash=request_hash)
                self._cache.forget_approval(approval_id)
                return status.status, APPROVED if released else DENIED
        except AifError as exc:
            raise ScannerError(f"gateway approval polling failed: {exc}") from exc
        if status.status in _FINAL:
            self._cache.forget_approval(approval_id)
            return status.status, _FINAL[status.status]
        return status.status, None  # pending, or "unknown" while the gateway is briefly unreachable

    def _give_up(self, approval_id: str) -> str:
        """Timeout counts as deny; expire it on the gateway so nobody approves an unawaited call."""
        self._cache.forget_approval(approval_id)
        try:
            self.client.cancel_approval(approval_id)
        except AifError:
            pass  # best effort: the approval still expires on its own
        return EXPIRED

    def wait_for_approval(
        self,
        approval_id: str,
        *,
        request_hash: str,
        timeout: float,
        on_state: ApprovalStateCallback | None = None,
    ) -> str:
        deadline = time.monotonic() + timeout
        last: str | None = None
        while True:
            state, final = self._step(approval_id, request_hash)
            if on_state is not None and state != last and state != "unknown":
                on_state(state)
            last = state
            if final is not None:
                return final
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._give_up(approval_id)
            time.sleep(min(self.poll_interval, remaining))

    async def await_approval(
        self,
        approval_id: str,
        *,
        request_hash: str,
        timeout: float,
        on_state: ApprovalStateCallback | None = None,
    ) -> str:
        deadline = time.monotonic() + timeout
        last: str | None = None
        while True:
            state, final = await asyncio.to_thread(self._step, approval_id, request_hash)
            if on_state is not None and state != last and state != "unknown":
                on_state(state)
            last = state
            if final is not None:
                return final
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return await asyncio.to_thread(self._give_up, approval_id)
            await asyncio.sleep(min(self.poll_interval, remaining))
