"""The legacy HMAC flow: ``POST /invoke``, ``GET /approvals/{id}/status``, ``POST /approvals/{id}/execute``.

A registered agent signs the exact body bytes with HMAC-SHA256 (base64 in ``X-AIF-Signature``).
The gateway verifies the signature, refuses stale (> 60 s) or replayed bodies, scans the upstream
request with the same engine as ``/v1/scan`` and, if allowed, performs it against the base URL
configured for ``tool_name``. A request that needs approval is held until ``execute``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..model import Decision
from . import _http, wire
from ._asgi import HttpProblem, check_fields, check_headers, parse_object, read_body, redact_url
from .config import Agent
from .errors import GatewayError
from .refusals import client_source, route_path
from .signing import replay_key, verify
from .storage import AuditRecord

if TYPE_CHECKING:
    from .server import Gateway

_INVOKE_FIELDS = {
    "tool_name": ((str,), True),
    "upstream_request": ((dict,), True),
    "agent_context": ((dict,), True),
    "ts": ((str,), True),
    "trace_id": ((str,), False),
    "operation": ((str,), False),
    "identity_context": ((dict,), False),
}
_UPSTREAM_FIELDS = {"method": ((str,), True), "url_path": ((str,), True)}
_EXECUTE_FIELDS = {
    "credential_token": ((str,), False),
    "credential_type": ((str,), False),
    "scopes": ((list,), False),
}
_STATUS_FOR_DECISION = {Decision.DENY: 403, Decision.REQUIRE_APPROVAL: 202}
_MAX_UPSTREAM_RESPONSE = 1024 * 1024


def _parse_ts(value: str) -> float:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HttpProblem(400, "Field 'ts' must be an ISO-8601 timestamp", "BAD_REQUEST") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _refused(gw: Gateway, request: Request, agent_id: str | None, detail: str, status: int) -> None:
    """Audited, coalesced (``refusals.py``). An agent id the config does not know is the caller's
    text: not kept."""
    known = agent_id if agent_id is not None and gw.config.agent(agent_id) is not None else None
    gw.refusals.refused(
        endpoint=route_path(request), source=client_source(request), reason=detail, status=status,
        agent_id=known,
    )


def _unauthorized(gw: Gateway, request: Request, agent_id: str | None, detail: str) -> HttpProblem:
    _refused(gw, request, agent_id, detail, 401)
    return HttpProblem(401, "HMAC signature verification failed or agent not recognized", "UNAUTHORIZED")


def _upstream_url(gw: Gateway, tool_name: str, url_path: str) -> str:
    tool = gw.config.tool(tool_name)
    if tool is None:
        raise HttpProblem(
            400, f"Unknown tool_name {tool_name!r}: not configured on this gateway", "UNKNOWN_TOOL"
        )
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url_path):
        raise HttpProblem(
            400, "Field 'upstream_request.url_path' contains spaces or control characters", "BAD_REQUEST"
        )
    if not url_path.startswith("/") or url_path.startswith("//") or "://" in url_path.split("?", 1)[0]:
        raise HttpProblem(
            400, "Field 'upstream_request.url_path' must be a path starting with '/'", "BAD_REQUEST"
        )
    return tool.base_url + url_path


def _call_upstream(
    url: str,
    method: str,
    headers: dict[str, str] | None,
    body: Any,
    credential_type: str | None,
    credential_token: str | None,
) -> dict[str, Any]:
    """Perform the (approved or allowed) call. The credential goes only to the configured tool."""
    send = dict(headers or {})
    if credential_token:
        scheme = "Basic" if (credential_type or "").lower() == "basic" else "Bearer"
        send["Authorization"] = f"{scheme} {credential_token}"
    data: bytes | None = None
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode("utf-8")
        send.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        data = body.encode("utf-8")
    elif isinstance(body, bytes):
        data = body
    try:
        result = _http.request(
            method, url, body=data, headers=send, timeout=30.0, max_response_bytes=_MAX_UPSTREAM_RESPONSE
        )
    except GatewayError as exc:
        raise HttpProblem(502, f"Upstream call failed: {exc}", "UPSTREAM_ERROR") from None
    content_type = result.headers.get("content-type", "")
    parsed: Any
    try:
        parsed = result.json() if "json" in content_type else result.body.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        parsed = {"base64": base64.b64encode(result.body).decode("ascii")}
    return {"status": result.status, "content_type": content_type, "body": parsed}


def _held_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _to_send(resp: Any, request: dict[str, Any]) -> dict[str, Any]:
    """The upstream request with whatever the scan redacted replaced (URL, headers, body): what a
    SANITIZE sends, and what an approved request sends after it was shown masked. Without the URL's
    fragment: it is never sent, so it is not held either (it can carry an OAuth token)."""
    return {
        "method": request["method"],
        "url": (resp.sanitized_url or request["url"]).partition("#")[0],
        "headers": resp.sanitized_headers or request["headers"],
        "body": request["body"] if resp.sanitized_body is None else resp.sanitized_body,
    }


def _invoke_answer(resp: Any, **extra: Any) -> dict[str, Any]:
    return {
        "decision": str(resp.decision),
        "risk": {
            "score": resp.risk_score,
            "band": str(resp.risk_band),
            "signals": [{"type": f.type, "location": f.location} for f in resp.findings],
        },
        "matched_policies": [
            {"policy_id": r, "rule_ids": [r], "policy_version": resp.policy_version}
            for r in resp.matched_rules
        ],
        "reason_codes": list(resp.reason_codes),
        "approval_id": resp.approval_id,
        "trace_id": resp.trace_id,
        **extra,
    }


async def invoke(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    raw = await read_body(request, gw.config.max_body_bytes)
    data = parse_object(raw)
    check_fields(data, _INVOKE_FIELDS)
    check_fields(data["upstream_request"], _UPSTREAM_FIELDS, "upstream_request.")
    check_fields(data["agent_context"], {"agent_id": ((str,), True)}, "agent_context.")
    signature = request.headers.get(wire.SIGNATURE_HEADER)

    def handle() -> Response:
        agent_id = str(data["agent_context"]["agent_id"])
        agent: Agent | None = gw.config.agent(agent_id)
        if agent is None:
            raise _unauthorized(gw, request, agent_id, "unknown agent")
        if not verify(raw, signature, agent.secret):
            raise _unauthorized(gw, request, agent_id, "bad signature")
        age = time.time() - _parse_ts(str(data["ts"]))
        window = gw.config.replay_window_seconds
        if age > window or age < -window:  # a captured body replayed later: refused like a bad key
            _refused(gw, request, agent_id, "stale timestamp", 400)
            raise HttpProblem(
                400, f"Replay rejected: timestamp outside the {window:.0f}s window", "REPLAY_REJECTED"
            )
        if not gw.seen.first_time(replay_key(signature), window):  # type: ignore[union-attr]
            _refused(gw, request, agent_id, "replayed body", 400)
            raise HttpProblem(
                400, "Replay rejected: this signed request was already received", "REPLAY_REJECTED"
            )
        gw.limit(f"agent:{agent_id}", None)

        upstream = data["upstream_request"]
        headers = check_headers(upstream.get("headers"), "upstream_request.headers")
        method = str(upstream["method"]).upper()
        tool_name = str(data["tool_name"])
        url = _upstream_url(gw, tool_name, str(upstream["url_path"]))
        body = upstream.get("body")
        held = {"method": method, "url": url, "headers": headers, "body": body}
        resp = gw.scan(
            key=None,
            agent_label=agent_id,
            method=method,
            url=url,
            headers=headers,
            body=body,
            request_hash=_held_hash(held),
            endpoint="/invoke",
        )
        identity = data.get("identity_context") or {}
        if resp.decision == Decision.REQUIRE_APPROVAL and resp.approval_id:
            if gw.held.get(resp.approval_id) is None:
                # What the approver saw is what goes out once approved: the request with the
                # policy's redactions, and only the original's hash (the approval is bound to it).
                gw.held.put(resp.approval_id, agent_id, tool_name,
                            {**_to_send(resp, held), "request_hash": _held_hash(held)})
            return JSONResponse(_invoke_answer(resp), status_code=202)
        if resp.decision not in (Decision.ALLOW, Decision.SANITIZE):
            return JSONResponse(
                _invoke_answer(resp, error="Denied by policy"),
                status_code=_STATUS_FOR_DECISION.get(resp.decision, 403),
            )
        send = _to_send(resp, held)
        upstream_response = _call_upstream(
            send["url"],
            method,
            send["headers"],
            send["body"],
            identity.get("credential_type"),
            identity.get("credential_token"),
        )
        return JSONResponse(_invoke_answer(resp, upstream_response=upstream_response))

    return await run_in_threadpool(handle)


async def legacy_status(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    approval_id = request.path_params["approval_id"]
    rec = await run_in_threadpool(gw.approvals.get, approval_id)
    if rec is None:
        return JSONResponse(
            {"approval_id": approval_id, "status": "unknown", "error": "Unknown approval_id"}, status_code=404
        )
    return JSONResponse(rec.status_dict())


async def execute_approval(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    raw = await read_body(request, gw.config.max_body_bytes)
    data = parse_object(raw) if raw.strip() else {}
    check_fields(data, _EXECUTE_FIELDS)
    approval_id = request.path_params["approval_id"]
    signature = request.headers.get(wire.SIGNATURE_HEADER)

    def handle() -> Response:
        rec = gw.approvals.get(approval_id)
        held = gw.held.get(approval_id)
        if rec is None:
            raise HttpProblem(404, "Unknown approval_id", "NOT_FOUND")
        if held is None:
            if rec.state == "executed":
                raise HttpProblem(409, "Approval was already executed (single use)", "ALREADY_EXECUTED")
            if rec.state in ("denied", "expired"):
                raise HttpProblem(403, f"Approval is {rec.state}", "APPROVAL_" + rec.state.upper())
            raise HttpProblem(404, "No held /invoke request for this approval", "NOT_FOUND")
        agent_id, tool_name, payload = held
        agent = gw.config.agent(agent_id)
        if signature is not None or gw.config.execute_requires_signature:
            if agent is None or not verify(raw, signature, agent.secret):
                raise _unauthorized(gw, request, agent_id, "bad execute signature")
        # Held since this release: the masked request and the original's hash; before: the original.
        request_hash = payload.get("request_hash") or _held_hash(payload)
        if not gw.approvals.consume(approval_id, request_hash=request_hash, policy_version=None):
            current = gw.approvals.get(approval_id) or rec
            status = 403 if current.state in ("denied", "expired") else 409
            if status == 403:
                gw.held.drop(approval_id)  # refused for good: do not keep the request body around
            return JSONResponse(
                {
                    "approval_id": approval_id,
                    "status": current.state,
                    "decision": current.decision,
                    "error": f"Approval is {current.state}, not approved",
                },
                status_code=status,
            )
        upstream_response = _call_upstream(
            payload["url"],
            payload["method"],
            payload.get("headers"),
            payload.get("body"),
            data.get("credential_type"),
            data.get("credential_token"),
        )
        gw.held.drop(approval_id)
        gw.audit.append(
            AuditRecord(
                endpoint="/approvals/execute",
                agent_id=agent_id,
                method=payload["method"],
                url=redact_url(rec.url),  # the record's URL has its findings redacted; the held one not
                decision="EXECUTED",
                reason_codes=tuple(rec.reason_codes),
                approval_id=approval_id,
                status=upstream_response["status"],
                detail=f"tool {tool_name}",
            )
        )
        return JSONResponse(
            {
                "decision": "ALLOW",
                "approval_id": approval_id,
                "reason_codes": rec.reason_codes,
                "upstream_response": upstream_response,
            }
        )

    return await run_in_threadpool(handle)
