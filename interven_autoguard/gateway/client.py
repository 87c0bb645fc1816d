"""``Client`` / ``IntervenClient``: the Interven SDK's Bearer-key client, over stdlib HTTP.

Same constructor, methods and errors as ``interven.Client`` so code written for the seed SDK runs
unchanged; results are ``interven_autoguard.model.ScanResponse`` (a superset of the SDK's fields).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..model import ScanResponse
from . import _http, wire
from .errors import MAX_BODY_BYTES as MAX_BODY_BYTES
from .errors import (
    AifError,
    AuthenticationError,
    GatewayError,
    PayloadTooLargeError,
)
from .polling import status_from_response, wait_until_decided
from .wire import DEFAULT_GATEWAY_URL, DEFAULT_TIMEOUT, ApprovalStatus


class Client:
    """Bearer-key client of an Interven gateway (hosted, or ``python -m interven_autoguard serve``).

    ``api_key`` falls back to ``INTERVEN_API_KEY``; ``gateway_url`` to ``INTERVEN_GATEWAY_URL`` and
    then the hosted service. A missing key raises ``AuthenticationError`` at construction.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        gateway_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        agent_id: str | None = None,
        runtime_type: str = "python",
    ) -> None:
        key = (api_key or os.environ.get("INTERVEN_API_KEY", "")).strip()
        if not key:
            raise AuthenticationError("No API key provided. Pass api_key=... or set INTERVEN_API_KEY.")
        self.api_key = key
        self.gateway_url = (
            gateway_url or os.environ.get("INTERVEN_GATEWAY_URL", "").strip() or DEFAULT_GATEWAY_URL
        ).rstrip("/")
        self.timeout = timeout
        self.agent_id = agent_id
        self.runtime_type = runtime_type

    def __repr__(self) -> str:
        return f"{type(self).__name__}(gateway_url={self.gateway_url!r}, agent_id={self.agent_id!r})"

    # -- transport ---------------------------------------------------------------------------

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def _post_json(self, path: str, payload: dict[str, Any]) -> _http.HttpResult:
        data = wire.dumps(payload)
        if len(data) > MAX_BODY_BYTES:
            raise PayloadTooLargeError(len(data))
        headers = {**self._auth_headers(), "Content-Type": "application/json"}
        return _http.request(
            "POST", self.gateway_url + path, body=data, headers=headers, timeout=self.timeout
        )

    @staticmethod
    def _json_or_raise(result: _http.HttpResult) -> dict[str, Any]:
        """Map an HTTP result to the SDK's exceptions, or return its JSON object."""
        if result.status == 401:
            raise AuthenticationError("API key invalid, revoked, or missing")
        if result.status == 413:
            raise PayloadTooLargeError()
        try:
            data = result.json()
        except (ValueError, UnicodeDecodeError) as exc:
            raise GatewayError(
                f"Non-JSON response from gateway (status={result.status})", status=result.status
            ) from exc
        if result.status >= 400 or not isinstance(data, dict):
            text = data.get("error") if isinstance(data, dict) else None
            code = data.get("code") if isinstance(data, dict) else None
            retry = result.headers.get("retry-after")
            raise GatewayError(
                f"Gateway returned {result.status}: {text or 'unexpected answer'}",
                status=result.status,
                code=code,
                details={"retry_after": retry} if retry else None,
            )
        return data

    # -- SDK API -----------------------------------------------------------------------------

    def scan(
        self,
        *,
        method: str,
        url: str,
        body: Any | None = None,
        headers: Mapping[str, str] | None = None,
        agent_id: str | None = None,
        runtime_type: str | None = None,
        request_hash: str | None = None,
    ) -> ScanResponse:
        """Ask the gateway for a decision on one outbound request.

        Raises ``PayloadTooLargeError`` (before sending) when the request is over 256 KB,
        ``AuthenticationError`` on 401 and ``GatewayError`` on network errors, 5xx or non-JSON.
        """
        wire_body, encoding = wire.encode_body(body)
        payload: dict[str, Any] = {
            "method": method.upper(),
            "url": url,
            "body": wire_body if wire_body is not None else {},
            "runtime_type": runtime_type or self.runtime_type,
        }
        if body is None:
            payload["body_absent"] = True  # the SDK sends {} for "no body"; say which it was
        if encoding:
            payload["body_encoding"] = encoding
        if headers:
            payload["headers"] = dict(headers)
        effective_agent = agent_id or self.agent_id
        if effective_agent:
            payload["agent_id"] = effective_agent
        if request_hash:
            payload["request_hash"] = request_hash
        return wire.scan_response_from_wire(self._json_or_raise(self._post_json(wire.SCAN_PATH, payload)))

    def scan_response(
        self, *, trace_id: str, response_body: Any, response_status: int | None = None
    ) -> dict[str, Any]:
        """Report the upstream answer of an allowed call; returns ``data_classes`` and counts."""
        wire_body, encoding = wire.encode_body(response_body)
        payload: dict[str, Any] = {"trace_id": trace_id, "response_body": wire_body}
        if encoding:
            payload["response_body_encoding"] = encoding
        if response_status is not None:
            payload["response_status"] = response_status
        return self._json_or_raise(self._post_json(wire.SCAN_RESPONSE_PATH, payload))

    def poll_approval(self, approval_id: str) -> ApprovalStatus:
        """Current state of an approval. Network problems give ``status="unknown"`` (as the SDK)."""
        try:
            result = _http.request(
                "GET",
                self.gateway_url + wire.approval_status_path(approval_id),
                headers=self._auth_headers(),
                timeout=self.timeout,
            )
        except GatewayError as exc:
            return ApprovalStatus(approval_id=approval_id, status="unknown", error=str(exc))
        if result.status == 401:
            raise AuthenticationError("API key invalid, revoked, or missing")
        if result.status == 404:  # gone (another database, a purge): nothing left to wait for
            return ApprovalStatus(approval_id=approval_id, status="not_found", error="Unknown approval_id")
        return status_from_response(result, approval_id)

    def wait_for_approval(
        self,
        approval_id: str,
        *,
        poll_interval: float = 2.0,
        max_wait: float = 3600.0,
        raise_on_terminal: bool = True,
    ) -> ApprovalStatus:
        """Poll until approved/denied/expired/executed; raise on denied/expired unless told not to."""
        return wait_until_decided(
            self.poll_approval,
            approval_id,
            poll_interval=poll_interval,
            max_wait=max_wait,
            raise_on_terminal=raise_on_terminal,
        )

    def consume_approval(self, approval_id: str, *, request_hash: str | None = None) -> bool:
        """Mark an approved approval used (single use). True when this call consumed it."""
        payload: dict[str, Any] = {}
        if request_hash:
            payload["request_hash"] = request_hash
        result = self._post_json(f"/v1/approvals/{approval_id}/consume", payload)
        if result.status == 409:
            return False
        data = self._json_or_raise(result)
        return bool(data.get("consumed"))

    def cancel_approval(self, approval_id: str) -> ApprovalStatus:
        """Tell the gateway nobody waits for this approval any more (pending → expired)."""
        data = self._json_or_raise(self._post_json(f"/v1/approvals/{approval_id}/cancel", {}))
        return ApprovalStatus.from_dict(data)

    def health(self) -> bool:
        """True when the gateway answers 200 on ``/health``."""
        try:
            result = _http.request("GET", self.gateway_url + wire.HEALTH_PATH, timeout=min(self.timeout, 5.0))
        except AifError:
            return False
        return result.status == 200


IntervenClient = Client


def __getattr__(name: str) -> Any:
    # ``from interven_autoguard.gateway.client import GatewayScanner`` (the guard's import path)
    # without a circular import: the scanner module imports this one.
    if name == "GatewayScanner":
        from .scanner import GatewayScanner

        return GatewayScanner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
