"""Legacy ``AifClient``: HMAC-signed ``POST /invoke`` as in the Interven SDK, over stdlib HTTP.

The signature is HMAC-SHA256 of the exact JSON body bytes, base64-encoded in ``X-AIF-Signature``;
the body carries an ISO-8601 ``ts`` so the gateway can refuse replays older than 60 s.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from . import _http, wire
from .errors import MAX_BODY_BYTES as MAX_BODY_BYTES
from .errors import (
    AuthenticationError,
    GatewayError,
    PayloadTooLargeError,
    PolicyDeniedError,
    ReplayRejectedError,
)
from .polling import status_from_response, wait_until_decided
from .signing import sign
from .wire import ApprovalStatus, InvokeParams, InvokeResponse


def _utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class AifClient:
    """Client of the HMAC ``/invoke`` flow. ``agent_secret`` never appears in reprs or errors."""

    def __init__(
        self,
        gateway_url: str,
        agent_id: str,
        agent_name: str,
        agent_secret: str,
        *,
        runtime_type: str = "python",
        deployment_env: str = "dev",
        telemetry_url: str | None = None,
        timeout: float = 30.0,
        raise_on_deny: bool = False,
    ) -> None:
        if not agent_secret:
            raise AuthenticationError("agent_secret is required to sign requests")
        self.gateway_url = gateway_url.rstrip("/")
        self.agent_id = agent_id
        self.agent_name = agent_name
        self._secret = agent_secret
        self.runtime_type = runtime_type
        self.deployment_env = deployment_env
        # Our gateway serves approval status itself; a separate telemetry service is optional.
        self.telemetry_url = (telemetry_url or "").rstrip("/") or None
        self.timeout = timeout
        self.raise_on_deny = raise_on_deny

    def __repr__(self) -> str:
        return (
            f"AifClient(gateway_url={self.gateway_url!r}, agent_id={self.agent_id!r}, "
            f"agent_name={self.agent_name!r})"
        )

    def _signed_post(self, path: str, payload: dict[str, Any]) -> _http.HttpResult:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLargeError(len(body))
        headers = {"Content-Type": "application/json", wire.SIGNATURE_HEADER: sign(body, self._secret)}
        return _http.request(
            "POST", self.gateway_url + path, body=body, headers=headers, timeout=self.timeout
        )

    @staticmethod
    def _json(result: _http.HttpResult) -> dict[str, Any]:
        try:
            data = result.json()
        except (ValueError, UnicodeDecodeError):
            if result.status >= 500:
                raise GatewayError(f"Gateway returned {result.status}", status=result.status) from None
            return {"error": f"non-JSON answer (status {result.status})"}
        if not isinstance(data, dict):
            raise GatewayError(
                f"Unexpected answer from gateway (status {result.status})", status=result.status
            )
        if result.status >= 500:
            raise GatewayError(f"Gateway returned {result.status}: {data.get('error')}", status=result.status)
        return data

    def invoke(self, params: InvokeParams) -> InvokeResponse:
        """Send one tool invocation; returns the decision (and the upstream answer when allowed)."""
        upstream: dict[str, Any] = {"method": params.method, "url_path": params.url_path}
        if params.body is not None:
            upstream["body"] = params.body
        if params.headers:
            upstream["headers"] = params.headers
        payload: dict[str, Any] = {
            "tool_name": params.tool_name,
            "upstream_request": upstream,
            "agent_context": {
                "agent_id": self.agent_id,
                "agent_name": self.agent_name,
                "runtime_type": self.runtime_type,
                "deployment_env": self.deployment_env,
            },
            "identity_context": {
                "credential_type": params.credential_type,
                "credential_token": params.credential_token,
                "scopes": params.scopes,
            },
            "trace_id": params.trace_id or str(uuid.uuid4()),
            "ts": _utc_stamp(),
        }
        if params.operation:
            payload["operation"] = params.operation
        result = self._signed_post(wire.INVOKE_PATH, payload)
        if result.status == 401:
            raise AuthenticationError("HMAC signature verification failed or agent not recognized")
        if result.status == 413:
            raise PayloadTooLargeError()
        data = self._json(result)
        if result.status == 400 and "replay" in str(data.get("error", "")).lower():
            raise ReplayRejectedError()
        response = InvokeResponse.from_dict(data, http_status=result.status)
        if self.raise_on_deny and response.decision == "DENY":
            raise PolicyDeniedError(
                response.error or "Denied by policy",
                reason_codes=response.reason_codes,
                matched_policies=[mp.policy_id for mp in response.matched_policies],
            )
        return response

    def poll_approval(self, approval_id: str) -> ApprovalStatus:
        base = self.telemetry_url or self.gateway_url
        try:
            result = _http.request(
                "GET", base + wire.approval_status_path(approval_id, legacy=True), timeout=self.timeout
            )
        except GatewayError as exc:
            return ApprovalStatus(approval_id=approval_id, status="unknown", error=str(exc))
        return status_from_response(result, approval_id)

    def wait_for_approval(
        self,
        approval_id: str,
        *,
        poll_interval: float = 2.0,
        max_wait: float = 3600.0,
        raise_on_terminal: bool = True,
    ) -> ApprovalStatus:
        return wait_until_decided(
            self.poll_approval,
            approval_id,
            poll_interval=poll_interval,
            max_wait=max_wait,
            raise_on_terminal=raise_on_terminal,
        )

    def execute_approval(
        self, approval_id: str, credential_token: str, credential_type: str, scopes: list[str]
    ) -> InvokeResponse:
        """Perform an approved invocation through the gateway (signed, single use)."""
        payload = {"credential_token": credential_token, "credential_type": credential_type, "scopes": scopes}
        result = self._signed_post(f"/approvals/{approval_id}/execute", payload)
        if result.status == 401:
            raise AuthenticationError("HMAC signature verification failed or agent not recognized")
        return InvokeResponse.from_dict(self._json(result), http_status=result.status)
