"""The self-hosted gateway: one policy, one approval queue and one audit trail for a team's agents.

``python -m interven_autoguard serve [--host 127.0.0.1] [--port 4000] [--config FILE] [--db URL]``

Endpoints (JSON in and out):
  GET  /health                              liveness + database check
  POST /v1/scan                             Bearer API key → decision from the embedded engine
  POST /v1/scan/response                    Bearer API key → classify an upstream response
  GET  /v1/approvals/{id}/status            Bearer API key (the key that caused it)
  POST /v1/approvals/{id}/consume           Bearer API key: single-use release of an approved call
  POST /v1/approvals/{id}/cancel            Bearer API key: the waiting agent gave up (→ expired)
  GET  /v1/approvals[?state=pending]        Bearer approver token
  GET  /v1/approvals/{id}                   Bearer approver token: the masked request
  POST /v1/approvals/{id}/approve|deny      Bearer approver token, {"reason": "..."}
  POST /invoke                              HMAC-signed legacy flow (see ``invoke.py``)
  GET  /approvals/{id}/status               legacy status (approval id is the capability)
  POST /approvals/{id}/execute              legacy: perform the approved upstream call
  GET  /ui/?token=...                       the approvals web page (when a page token is configured)

The app keeps nothing in memory that matters: approvals, audit and rate counters live in the
database, so several processes can serve one team. (Refused requests are counted in memory for up
to a minute before their row is written, bounded: see ``refusals.py``.)
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import re
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from .. import telemetry
from ..approvals.store import STATES as APPROVAL_STATES
from ..errors import ConfigurationError
from ..model import ScanResponse
from . import wire
from ._asgi import HttpProblem, bearer_token, check_fields, check_headers, parse_object, read_body, redact_url
from .config import ApiKey, Approver, GatewayConfig
from .refusals import RefusalAudit, client_source, route_path
from .sql_store import ApprovalNotFound, ApprovalRecord, ApprovalStateError, SqlApprovalStore, requester
from .storage import AuditLog, AuditRecord, Database, HeldRequests, RateLimiter, SeenSignatures

log = logging.getLogger("interven_autoguard.gateway")

EngineFactory = Callable[[str | None, Any], Any]
_T = TypeVar("_T")  # the principal a Bearer token names: an API key or an approver

_SCAN_FIELDS = {
    "method": ((str,), True),
    "url": ((str,), True),
    "agent_id": ((str,), False),
    "runtime_type": ((str,), False),
    "body_encoding": ((str,), False),
    "body_absent": ((bool,), False),
    "request_hash": ((str,), False),
}
_SCAN_RESPONSE_FIELDS = {"trace_id": ((str,), True), "response_status": ((int,), False)}


def default_engine(policy: str | None, approvals: Any) -> Any:
    """The same embedded engine ``install()`` uses, with approvals going to the gateway's store."""
    from ..engine.scanner import LocalScanner

    return LocalScanner(policy=policy, approvals=approvals)


class _DiscardApprovals:
    """Approval sink for read-side classification: a response body never asks a human anything."""

    def create(self, **fields: Any) -> Any:
        return type("Discarded", (), {"id": ""})()


@dataclass
class Gateway:
    config: GatewayConfig
    db: Database
    audit: AuditLog
    rate: RateLimiter
    approvals: SqlApprovalStore
    held: HeldRequests
    seen: SeenSignatures
    engine: Any
    classifier: Any
    refusals: RefusalAudit

    # -- authentication ----------------------------------------------------------------------

    def api_key(self, request: Request) -> ApiKey:
        return self._bearer(
            request,
            self.config.match_api_key,
            "invalid or missing API key",
            "API key invalid, revoked, or missing",
        )

    def approver(self, request: Request) -> Approver:
        return self._bearer(
            request, self.config.match_approver, "invalid approver token", "Approver token invalid or missing"
        )

    def _bearer(self, request: Request, match: Callable[[str], _T | None], audited: str, answer: str) -> _T:
        """Who the Bearer token belongs to; a 401 (audited without the token, coalesced) when nobody."""
        token = bearer_token(request)
        found = match(token) if token else None
        if found is None:
            self.refusals.refused(endpoint=route_path(request), source=client_source(request), reason=audited)
            raise HttpProblem(401, answer, "UNAUTHORIZED", {"WWW-Authenticate": "Bearer"})
        return found

    def decided(self, rec: ApprovalRecord, approve: bool, *, endpoint: str, key_id: str,
                detail: str | None = None) -> None:
        """The bookkeeping of a decision, wherever an approver made it (API or approvals page)."""
        self.audit.append(
            AuditRecord(
                endpoint=endpoint,
                key_id=key_id,
                agent_id=rec.agent_id,
                method=rec.method,
                url=redact_url(rec.url),
                decision="APPROVED" if approve else "DENIED",
                reason_codes=tuple(rec.reason_codes),
                approval_id=rec.id,
                status=200,
                detail=detail,
            )
        )
        if not approve:
            self.held.drop(rec.id)  # a held /invoke request is never needed again

    def limit(self, subject: str, per_minute: int | None) -> None:
        limit = self.config.rate_limit_per_minute if per_minute is None else per_minute
        if limit <= 0:
            return
        allowed, retry_after = self.rate.hit(subject, limit)
        if not allowed:
            raise HttpProblem(
                429,
                f"Rate limit of {limit} requests per minute exceeded",
                "RATE_LIMITED",
                {"Retry-After": str(retry_after)},
            )

    # -- scanning ----------------------------------------------------------------------------

    def scan(
        self,
        *,
        key: ApiKey | None,
        agent_label: str | None,
        method: str,
        url: str,
        headers: dict[str, str] | None,
        body: Any,
        request_hash: str | None,
        endpoint: str,
    ) -> ScanResponse:
        # HMAC agents get their own namespace so no API key id can ever match their approvals.
        from ..engine.destinations import redact_url as engine_redact

        # One ``interven.scan`` span per decision, as for an embedded scan(), marked layer=gateway.
        with telemetry.scan_span(method, engine_redact(url), scanner="embedded", layer="gateway") as span:
            with requester(key.id if key else f"agent:{agent_label}"):
                resp = self.engine.scan(
                    method=method,
                    url=url,
                    headers=headers,
                    body=body,
                    agent_id=agent_label,
                    request_hash=request_hash,
                )
            span.record_decision(resp, mode="enforce", enforced=str(resp.decision))
        if not resp.trace_id:
            resp.trace_id = uuid.uuid4().hex
        self.audit.append(
            AuditRecord(
                endpoint=endpoint,
                key_id=key.id if key else None,
                agent_id=agent_label,
                method=method,
                url=audit_url(resp, url),
                decision=str(resp.decision),
                reason_codes=tuple(resp.reason_codes),
                findings=tuple(f.to_dict() for f in resp.findings),
                risk_score=resp.risk_score,
                approval_id=resp.approval_id,
                trace_id=resp.trace_id,
                status=200,
            )
        )
        return resp


def audit_url(resp: ScanResponse, url: str) -> str:
    """The URL as the audit log keeps it: no credentials, no query values, no path holding a finding."""
    from ..engine.destinations import redact_url as engine_redact

    redacted = redact_url(engine_redact(resp.sanitized_url or url))
    if any(f.location.startswith("url.path") for f in resp.findings):
        scheme, _, rest = redacted.partition("://")
        host = rest.split("/", 1)[0]
        redacted = f"{scheme}://{host}/[REDACTED:PATH]"
    return redacted


# ---------------------------------------------------------------------------- endpoints


async def health(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    try:
        await run_in_threadpool(gw.db.fetchone, "SELECT 1")
    except Exception as exc:  # a health check reports, it does not raise
        log.warning("health: database check failed: %s", type(exc).__name__)
        return JSONResponse({"status": "degraded", "database": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "service": "interven-autoguard-gateway"})


_METHOD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Z-]{1,32}")


async def scan(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    key = await run_in_threadpool(gw.api_key, request)
    await run_in_threadpool(gw.limit, f"key:{key.id}", key.rate_limit_per_minute)
    data = parse_object(await read_body(request, gw.config.max_body_bytes))
    check_fields(data, _SCAN_FIELDS)
    headers = check_headers(data.get("headers"))
    encoding = data.get("body_encoding")
    if encoding not in (None, "base64"):
        raise HttpProblem(400, "Field 'body_encoding' must be 'base64' when given", "BAD_REQUEST")
    try:
        body = None if data.get("body_absent") else wire.decode_body(data.get("body"), encoding)
    except ValueError:
        raise HttpProblem(400, "Field 'body' is not valid base64", "BAD_REQUEST") from None
    method = str(data["method"]).upper()
    if not _METHOD.fullmatch(method):  # a token (RFC 9110): no spaces, no CR/LF smuggled into logs
        raise HttpProblem(400, "Field 'method' must be an HTTP method token", "BAD_REQUEST")
    url = str(data["url"])
    agent = data.get("agent_id") or key.agent_id
    request_hash = data.get("request_hash")  # None: the engine fingerprints method, URL and body
    resp = await run_in_threadpool(
        gw.scan,
        key=key,
        agent_label=agent,
        method=method,
        url=url,
        headers=headers,
        body=body,
        request_hash=request_hash,
        endpoint="/v1/scan",
    )
    return JSONResponse(wire.scan_response_to_wire(resp))


async def scan_response(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    key = await run_in_threadpool(gw.api_key, request)
    await run_in_threadpool(gw.limit, f"key:{key.id}", key.rate_limit_per_minute)
    data = parse_object(await read_body(request, gw.config.max_body_bytes))
    check_fields(data, _SCAN_RESPONSE_FIELDS)
    if "response_body" not in data:
        raise HttpProblem(400, "Missing required field 'response_body'", "BAD_REQUEST")
    try:
        body = wire.decode_body(data["response_body"], data.get("response_body_encoding"))
    except ValueError:
        raise HttpProblem(400, "Field 'response_body' is not valid base64", "BAD_REQUEST") from None
    trace_id = str(data["trace_id"])

    def classify() -> dict[str, Any]:
        if not gw.audit.has_trace(trace_id, key.id):
            raise HttpProblem(404, "Unknown trace_id for this API key", "NOT_FOUND")
        result = gw.classifier.scan(method="RESPONSE", url=f"response://{key.id}/", body=body)
        findings = [f for f in result.findings if f.category in ("secret", "pii")]
        classes = sorted({f.type for f in findings})
        raw = body if isinstance(body, bytes) else json.dumps(body, sort_keys=True, default=str).encode()
        gw.audit.append(
            AuditRecord(
                endpoint="/v1/scan/response",
                key_id=key.id,
                decision="CLASSIFIED",
                reason_codes=tuple(sorted({c for c in result.reason_codes if c.endswith("_DETECTED")})),
                findings=tuple(f.to_dict() for f in findings),
                trace_id=trace_id,
                status=data.get("response_status"),
            )
        )
        return {
            "trace_id": trace_id,
            "data_classes": classes,
            "fields_redacted_count": len(findings),
            "content_fingerprint": "sha256:" + hashlib.sha256(raw).hexdigest()[:32],
        }

    return JSONResponse(await run_in_threadpool(classify))


def _own_approval(gw: Gateway, approval_id: str, key: ApiKey) -> ApprovalRecord:
    rec = gw.approvals.get(approval_id)
    if rec is None or rec.key_id != key.id:
        raise HttpProblem(404, "Unknown approval_id", "NOT_FOUND")
    return rec


async def approval_status(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    key = await run_in_threadpool(gw.api_key, request)
    # A guarded call waiting for a human polls about once a second: counted against the key's scan
    # budget, a few waiting calls ran it out and every other call of the key failed (429, closed).
    # Polls have a budget of their own, ten times the key's.
    per_minute = key.rate_limit_per_minute
    limit = gw.config.rate_limit_per_minute if per_minute is None else per_minute
    await run_in_threadpool(gw.limit, f"poll:{key.id}", limit * _POLLS_PER_SCAN)
    rec = await run_in_threadpool(_own_approval, gw, request.path_params["approval_id"], key)
    return JSONResponse(rec.status_dict())


_POLLS_PER_SCAN = 10


async def approval_consume(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    key = await run_in_threadpool(gw.api_key, request)
    raw = await read_body(request, gw.config.max_body_bytes)
    data = parse_object(raw) if raw.strip() else {}
    check_fields(data, {"request_hash": ((str,), False)})
    approval_id = request.path_params["approval_id"]

    def consume() -> Response:
        rec = _own_approval(gw, approval_id, key)
        ok = gw.approvals.consume(
            approval_id, request_hash=data.get("request_hash") or rec.request_hash, policy_version=None
        )
        gw.audit.append(
            AuditRecord(
                endpoint="/v1/approvals/consume",
                key_id=key.id,
                agent_id=rec.agent_id,
                method=rec.method,
                url=redact_url(rec.url),
                decision="RELEASED" if ok else "REFUSED",
                reason_codes=tuple(rec.reason_codes),
                approval_id=approval_id,
                trace_id=rec.id,
                status=200 if ok else 409,
            )
        )
        status = gw.approvals.get(approval_id) or rec
        return JSONResponse({"consumed": ok, **status.status_dict()}, status_code=200 if ok else 409)

    return await run_in_threadpool(consume)


async def approval_cancel(request: Request) -> Response:
    """The waiting agent gave up: pending → expired, so no approver acts on a call nobody awaits."""
    gw: Gateway = request.app.state.gateway
    key = await run_in_threadpool(gw.api_key, request)
    approval_id = request.path_params["approval_id"]

    def cancel() -> ApprovalRecord:
        _own_approval(gw, approval_id, key)
        return gw.approvals.expire(approval_id)

    rec = await run_in_threadpool(cancel)
    return JSONResponse(rec.status_dict())


async def approvals_list(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    await run_in_threadpool(gw.approver, request)
    state = request.query_params.get("state") or None
    if state is not None and state not in APPROVAL_STATES:
        raise HttpProblem(400, f"Query 'state' must be one of {', '.join(APPROVAL_STATES)}", "BAD_REQUEST")
    records = await run_in_threadpool(lambda: gw.approvals.list(state=state, limit=200))
    return JSONResponse({"approvals": [r.summary_dict() for r in records]})


async def approval_show(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    await run_in_threadpool(gw.approver, request)
    rec = await run_in_threadpool(gw.approvals.get, request.path_params["approval_id"])
    if rec is None:
        raise HttpProblem(404, "Unknown approval_id", "NOT_FOUND")
    return JSONResponse(rec.summary_dict())


def _decide_endpoint(approve: bool) -> Callable[[Request], Any]:
    async def decide(request: Request) -> Response:
        gw: Gateway = request.app.state.gateway
        approver = await run_in_threadpool(gw.approver, request)
        raw = await read_body(request, 16 * 1024)
        data = parse_object(raw) if raw.strip() else {}
        check_fields(data, {"reason": ((str,), False)})
        approval_id = request.path_params["approval_id"]

        def apply() -> ApprovalRecord:
            try:
                rec = gw.approvals.decide(
                    approval_id, approve=approve, decided_by=approver.id, reason=data.get("reason")
                )
            except ApprovalNotFound:
                raise HttpProblem(404, "Unknown approval_id", "NOT_FOUND") from None
            except ApprovalStateError as exc:
                raise HttpProblem(409, f"Approval is already {exc.state}", "CONFLICT") from None
            gw.decided(rec, approve, endpoint="/v1/approvals/decide", key_id=f"approver:{approver.id}")
            return rec

        rec = await run_in_threadpool(apply)
        return JSONResponse(rec.summary_dict())

    return decide


# ---------------------------------------------------------------------------- app


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpProblem)
    return exc.response()


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
    return JSONResponse(
        {"error": str(exc.detail), "code": code}, status_code=exc.status_code, headers=exc.headers
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Only the type: exception messages can quote request content.
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return JSONResponse({"error": "Internal gateway error", "code": "INTERNAL"}, status_code=500)


def create_app(
    config: GatewayConfig | None = None,
    *,
    db_url: str | None = None,
    engine_factory: EngineFactory | None = None,
) -> Starlette:
    """The ASGI app. ``engine_factory(policy_path, approval_store)`` builds the decision engine."""
    from .invoke import execute_approval, invoke, legacy_status

    config = config or GatewayConfig()
    factory = engine_factory or default_engine
    db = Database(db_url or config.db)
    approvals = SqlApprovalStore(db, max_ttl=config.approval_ttl_seconds)
    audit = AuditLog(db)
    gateway = Gateway(
        config=config,
        db=db,
        audit=audit,
        rate=RateLimiter(db),
        approvals=approvals,
        held=HeldRequests(db),
        seen=SeenSignatures(db),
        engine=factory(config.policy, approvals),
        classifier=factory(config.policy, _DiscardApprovals()),
        refusals=RefusalAudit(audit),
    )
    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/scan", scan, methods=["POST"]),
        Route("/v1/scan/response", scan_response, methods=["POST"]),
        Route("/v1/approvals", approvals_list, methods=["GET"]),
        Route("/v1/approvals/{approval_id}", approval_show, methods=["GET"]),
        Route("/v1/approvals/{approval_id}/status", approval_status, methods=["GET"]),
        Route("/v1/approvals/{approval_id}/consume", approval_consume, methods=["POST"]),
        Route("/v1/approvals/{approval_id}/cancel", approval_cancel, methods=["POST"]),
        Route("/v1/approvals/{approval_id}/approve", _decide_endpoint(True), methods=["POST"]),
        Route("/v1/approvals/{approval_id}/deny", _decide_endpoint(False), methods=["POST"]),
        Route("/invoke", invoke, methods=["POST"]),
        Route("/approvals/{approval_id}/status", legacy_status, methods=["GET"]),
        Route("/approvals/{approval_id}/execute", execute_approval, methods=["POST"]),
    ]
    if config.approvals_page_token:
        from ..approvals.web import ApprovalsWebApp, asgi_app

        def page_decided(rec: ApprovalRecord, approve: bool) -> None:
            # The page has one shared token: the credential is "the page", the name is the one typed.
            gateway.decided(rec, approve, endpoint="/ui/decide", key_id="approvals-page",
                            detail=f"decided_by {rec.decided_by or '-'} (as typed on the page)")

        page = ApprovalsWebApp(approvals, token=config.approvals_page_token, base_path="/ui",
                               on_decide=page_decided)
        routes.append(Mount("/ui", app=asgi_app(page)))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        # The refusals counted since the last row: written before the process goes away.
        await run_in_threadpool(gateway.refusals.close)

    app = Starlette(
        routes=routes,
        exception_handlers={HttpProblem: _problem, HTTPException: _http_exception, Exception: _unexpected},
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    return app


def _is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m interven_autoguard serve",
        description="Run the Interven gateway for a team of agents.",
    )
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=None, help="port (default 4000)")
    p.add_argument(
        "--config",
        default=os.environ.get("INTERVEN_GATEWAY_CONFIG"),
        help="gateway TOML: API keys, approvers, agents, tools (env INTERVEN_GATEWAY_CONFIG)",
    )
    p.add_argument(
        "--db",
        default=os.environ.get("INTERVEN_GATEWAY_DB"),
        help="sqlite:///path/file.db (default) or postgresql://user@host/db (env INTERVEN_GATEWAY_DB)",
    )
    p.add_argument("--policy", default=None, help="policy TOML (overrides the config's [server] policy)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        config = GatewayConfig.load(args.config) if args.config else GatewayConfig()
        if args.policy:
            from dataclasses import replace

            config = replace(config, policy=args.policy)
        app = create_app(config, db_url=args.db)
    except ConfigurationError as exc:
        print(f"interven gateway: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    host = args.host or config.host
    port = args.port if args.port is not None else config.port
    if not _is_loopback(host):
        print(
            f"interven gateway: WARNING binding {host}: reachable from other machines; put TLS in front",
            file=sys.stderr,
        )
    if not config.api_keys:
        print("interven gateway: no [[api_keys]] configured: every scan will get 401", file=sys.stderr)
    gw: Gateway = app.state.gateway
    shown_host = f"[{host}]" if ":" in host else host
    print(f"interven gateway: storage {gw.db.describe()}", file=sys.stderr)
    print(f"interven gateway: listening on http://{shown_host}:{port}", file=sys.stderr)
    logging.basicConfig(level=args.log_level.upper())
    uvicorn.run(app, host=host, port=port, log_level=args.log_level, server_header=False,
                log_config=_log_config())
    return 0


class QueryOmitted(logging.Filter):
    """Access-log lines without the query string: the approvals page is opened with
    ``/ui/?token=…``, and a client may put its key in ``?api_key=`` — neither belongs in a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?(query omitted)", *args[3:])
        return True


def _log_config() -> dict[str, Any]:
    """uvicorn's own logging set-up, its access lines passed through ``QueryOmitted``."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["query_omitted"] = {"()": QueryOmitted}
    config["handlers"]["access"]["filters"] = ["query_omitted"]
    return config


if __name__ == "__main__":
    sys.exit(main())
