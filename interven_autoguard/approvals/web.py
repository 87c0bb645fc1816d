"""A small local web page to approve or deny held requests.

``ApprovalsWebApp`` is transport-agnostic (``handle(WebRequest) -> WebResponse``): ``make_server``
serves it with the standard library (``approvals serve``), ``asgi_app`` lets the gateway mount it.

Access: open ``/?token=T`` once; the token is checked in constant time and exchanged for an
HttpOnly, SameSite=Strict cookie (or send ``Authorization: Bearer T``). Every POST also carries a
CSRF token derived from the access token and must come from the page's own origin. The page runs
no JavaScript; the Content-Security-Policy forbids it.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import ipaddress
import logging
import re
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from . import display
from .store import PENDING, ApprovalError, ApprovalRecord, ApprovalStore

log = logging.getLogger("interven_autoguard.approvals.web")

COOKIE = "interven_approvals"
MAX_FORM_BYTES = 64 * 1024
_ID_ROUTE = re.compile(r"^/approvals/(apr_[A-Za-z0-9_-]{1,64})(?:/(approve|deny))?$")
_SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    # Not "no-referrer": with it Chromium sends "Origin: null" on our own form posts.
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
)


@dataclass
class WebRequest:
    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""


@dataclass
class WebResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def _derive(token: str, purpose: str) -> str:
    return hmac.new(token.encode("utf-8"), purpose.encode("ascii"), hashlib.sha256).hexdigest()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def _e(value: Any) -> str:
    """HTML-escaped, with control/format characters shown escaped (see ``display.printable``)."""
    return html.escape(display.printable(value), quote=True)


class ApprovalsWebApp:
    def __init__(
        self,
        store: ApprovalStore,
        *,
        token: str,
        base_path: str = "",
        allowed_hosts: set[str] | None = None,
        on_decide: Callable[[ApprovalRecord, bool], None] | None = None,
    ) -> None:
        if not token or len(token) < 16:
            raise ValueError("the approvals page needs a token of at least 16 characters")
        self.store = store
        self._token = token
        self._session = _derive(token, "interven-approvals-session")
        self._csrf = _derive(token, "interven-approvals-csrf")
        self.base_path = base_path.rstrip("/")
        # Host names the page answers to (DNS-rebinding guard); None = any (behind a gateway).
        self.allowed_hosts = allowed_hosts
        # Called after each decision made on the page (the gateway audits it, drops a held request).
        self.on_decide = on_decide

    @staticmethod
    def loopback_only(host: str) -> bool:
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    # -- request handling --------------------------------------------------------------------

    def handle(self, req: WebRequest) -> WebResponse:
        try:
            return self._route(req)
        except Exception as exc:  # never a traceback (or a record) in the page
            log.exception("approvals page error")
            return self._page(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "Error",
                f"<p>Internal error ({_e(type(exc).__name__)}); see the server log.</p>",
            )

    def _route(self, req: WebRequest) -> WebResponse:
        if self.allowed_hosts is not None and req.headers.get("host", "").lower() not in self.allowed_hosts:
            return self._page(
                HTTPStatus.MISDIRECTED_REQUEST,
                "Wrong host",
                "<p>This page only answers on the address it was started with.</p>",
            )
        path = req.path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path) :] or "/"
        query = parse_qs(req.query, keep_blank_values=True)

        if req.method == "GET" and path == "/" and "token" in query:
            if not _same(query["token"][0], self._token):
                return self._page(HTTPStatus.FORBIDDEN, "Wrong token", "<p>That token is not valid.</p>")
            # Trade the token in the URL for a cookie, and drop it from the address bar/history.
            cookie = f"{COOKIE}={self._session}; HttpOnly; SameSite=Strict; Path={self.base_path or '/'}"
            return WebResponse(
                HTTPStatus.SEE_OTHER,
                headers=[("Location", self._url("/")), ("Set-Cookie", cookie), *_SECURITY_HEADERS],
            )

        auth = self._authenticated(req)
        if auth is None:
            return self._page(
                HTTPStatus.UNAUTHORIZED,
                "Sign in",
                "<p>Open the address printed by <code>approvals serve</code> "
                "(it ends in <code>?token=…</code>).</p>",
                extra_headers=[("WWW-Authenticate", 'Bearer realm="interven-approvals"')],
            )
        if auth is False:
            return self._page(HTTPStatus.FORBIDDEN, "Wrong token", "<p>That token is not valid.</p>")

        if path == "/" and req.method in ("GET", "HEAD"):
            return self._index(query)
        match = _ID_ROUTE.match(path)
        if match and match.group(2) is None and req.method in ("GET", "HEAD"):
            record = self.store.get(match.group(1))
            if record is None:
                return self._page(HTTPStatus.NOT_FOUND, "Not found", "<p>No such approval.</p>")
            return self._page(HTTPStatus.OK, f"Approval {record.id}", self._card(record, time.time()))
        if match and match.group(2) and req.method == "POST":
            return self._decide(req, match.group(1), match.group(2) == "approve")
        if match or path == "/":
            return self._page(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed", "")
        return self._page(HTTPStatus.NOT_FOUND, "Not found", "<p>No such page.</p>")

    def _authenticated(self, req: WebRequest) -> bool | None:
        """True: valid credentials; False: wrong ones; None: none given."""
        header = req.headers.get("authorization", "")
        if header:
            scheme, _, value = header.partition(" ")
            return scheme.lower() == "bearer" and _same(value.strip(), self._token)
        jar = SimpleCookie()
        try:
            jar.load(req.headers.get("cookie", ""))
        except Exception:
            return False
        morsel = jar.get(COOKIE)
        if morsel is None:
            return None
        return _same(morsel.value, self._session)

    def _same_origin(self, req: WebRequest) -> bool:
        origin = req.headers.get("origin")
        if origin is None:  # older clients send none; SameSite=Strict + CSRF token still hold
            return True
        parts = urlsplit(origin)
        return bool(parts.netloc) and parts.netloc.lower() == req.headers.get("host", "").lower()

    def _decide(self, req: WebRequest, approval_id: str, approve: bool) -> WebResponse:
        if len(req.body) > MAX_FORM_BYTES:
            return self._page(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Too large", "")
        form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        csrf = form.get("csrf", [""])[0]
        if not self._same_origin(req) or not _same(csrf, self._csrf):
            return self._page(
                HTTPStatus.FORBIDDEN,
                "Refused",
                "<p>This form did not come from this page. Reload it and try again.</p>",
            )
        reason = form.get("reason", [""])[0].strip() or None
        by = form.get("by", [""])[0].strip()
        decided_by = f"{by} (web)" if by else "web"
        if not approve and not reason:
            return self._page(
                HTTPStatus.BAD_REQUEST, "Reason needed", f"<p>Denying needs a reason. {self._back()}</p>"
            )
        try:
            record = self.store.decide(approval_id, approve=approve, decided_by=decided_by, reason=reason)
        except ApprovalError as exc:
            return self._page(HTTPStatus.CONFLICT, "Not decided", f"<p>{_e(exc)}</p><p>{self._back()}</p>")
        except ValueError as exc:
            return self._page(HTTPStatus.BAD_REQUEST, "Not decided", f"<p>{_e(exc)}</p><p>{self._back()}</p>")
        if self.on_decide is not None:
            self.on_decide(record, approve)
        return WebResponse(
            HTTPStatus.SEE_OTHER,
            headers=[("Location", self._url(f"/?done={quote(record.id)}")), *_SECURITY_HEADERS],
        )

    # -- rendering ---------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.base_path}{path}"

    def _back(self) -> str:
        return f'<a href="{_e(self._url("/"))}">Back to the list</a>'

    def _index(self, query: Mapping[str, list[str]]) -> WebResponse:
        now = time.time()
        notice = ""
        done = query.get("done", [""])[0]
        if done:
            record = self.store.get(done)
            if record is not None:
                notice = (
                    f'<p class="notice" id="notice">{_e(record.id)}: {_e(record.state)} '
                    f"by {_e(record.decided_by or '-')}</p>"
                )
        pending = self.store.list(state=PENDING, limit=200)
        recent = [r for r in self.store.list(limit=50) if r.state != PENDING][:20]
        cards = "".join(self._card(r, now) for r in pending) or '<p id="empty">Nothing is waiting.</p>'
        rows = "".join(
            f'<tr class="decided" data-id="{_e(r.id)}">'
            f'<td><a href="{_e(self._url("/approvals/" + r.id))}">'
            f'{_e(r.id)}</a></td><td class="state-{_e(r.state)}">{_e(r.state)}</td>'
            f"<td>{_e(r.method)} {_e(r.url)}</td><td>{_e(r.decided_by or '-')}</td>"
            f"<td>{_e(r.reason or '')}</td><td>{_e(display.utc(r.decided_at))}</td></tr>"
            for r in recent
        )
        history = (
            f"<h2>Recently decided</h2><table><tr><th>id</th><th>state</th><th>request</th>"
            f"<th>by</th><th>reason</th><th>when</th></tr>{rows}</table>"
            if rows
            else ""
        )
        body = (
            f'{notice}<p><a href="{_e(self._url("/"))}">Refresh</a> · {len(pending)} waiting</p>'
            f"{cards}{history}"
        )
        # Nothing to decide: look again every few seconds. Never while a form is open (it would
        # wipe a half-typed reason); the approver refreshes after deciding.
        refresh = None if pending else 5
        return self._page(HTTPStatus.OK, "Approvals", body, refresh=refresh)

    def _card(self, r: ApprovalRecord, now: float) -> str:
        headers = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in display.headers_of(r))
        body = html.escape(
            display.printable(display.body_text(r.request_display.get("body")), keep_newlines=True)
        )
        facts = [
            ("State", display.status_text(r, now)),
            ("Reasons", ", ".join(r.reason_codes) or "-"),
            ("Risk", f"{r.risk_band} ({r.risk_score:.2f})"),
            ("Agent", r.agent_id or "-"),
            ("Process", r.process or "-"),
            ("Created", display.utc(r.created_at)),
            ("Policy", r.policy_version),
            ("SHA-256", r.request_hash),
        ]
        if r.decided_at is not None:
            facts.append(("Decided", f"{r.state} by {r.decided_by or '-'}: {r.reason or ''}"))
        facts_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
        form = ""
        if r.state == PENDING:
            action = self._url(f"/approvals/{r.id}")
            form = (
                f'<form method="post" class="decide" action="{_e(action)}/approve">'
                f'<input type="hidden" name="csrf" value="{self._csrf}">'
                f'<label>Reason <input name="reason" class="reason" maxlength="2000" size="40"></label> '
                f'<label>Your name <input name="by" class="by" maxlength="200" size="16"></label> '
                f'<button type="submit" class="approve">Approve</button> '
                f'<button type="submit" class="deny" formaction="{_e(action)}/deny">Deny</button>'
                f"</form>"
            )
        return (
            f'<section class="approval" id="{_e(r.id)}" data-state="{_e(r.state)}">'
            f'<h2><span class="method">{_e(r.method)}</span> <code>{_e(r.url)}</code></h2>'
            f"<dl>{facts_html}</dl>"
            f"<h3>Headers (masked)</h3>"
            f'<table class="headers">{headers or "<tr><td>(none)</td></tr>"}</table>'
            f'<h3>Body (masked)</h3><pre class="body">{body}</pre>{form}</section>'
        )

    def _page(
        self,
        status: int,
        title: str,
        body: str,
        extra_headers: list[tuple[str, str]] | None = None,
        refresh: int | None = None,
    ) -> WebResponse:
        meta_refresh = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
        doc = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{_e(title)} · interven-autoguard</title>{meta_refresh}"
            '<meta name="viewport" content="width=device-width, initial-scale=1"><style>'
            "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}"
            "section.approval{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}"
            "dl{display:grid;grid-template-columns:8rem 1fr;gap:.2rem 1rem}dt{font-weight:600}"
            "pre.body{background:#f6f6f6;padding:.6rem;overflow:auto;max-height:30rem}"
            "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;"
            "vertical-align:top;overflow-wrap:anywhere}.approve{background:#1a7f37;color:#fff}"
            ".deny{background:#cf222e;color:#fff}button{padding:.4rem 1rem;border:0;border-radius:4px}"
            ".notice{background:#eef;padding:.5rem}code{word-break:break-all}"
            f"</style></head><body><h1>{_e(title)}</h1>{body}</body></html>"
        )
        headers = [("Content-Type", "text/html; charset=utf-8"), *_SECURITY_HEADERS, *(extra_headers or [])]
        return WebResponse(int(status), doc.encode("utf-8"), headers)


# --------------------------------------------------------------------------- standard-library server


class _Handler(BaseHTTPRequestHandler):
    server_version = "interven-approvals"
    sys_version = ""
    app: ApprovalsWebApp

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._write(WebResponse(HTTPStatus.BAD_REQUEST, b"bad Content-Length\n"))
            return
        if length > MAX_FORM_BYTES:
            self._write(WebResponse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"too large\n"))
            return
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        response = self.app.handle(WebRequest(self.command, parts.path or "/", parts.query, headers, body))
        self._write(response)

    def _write(self, response: WebResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        # The request line may hold ?token=…: log the path only.
        log.info("%s %s", self.command, urlsplit(self.path).path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser closing its connection early is routine, not a traceback on the console.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("client %s went away: %s", client_address[0], type(exc).__name__)
            return
        log.exception("approvals page: error serving %s", client_address[0])


class _ServerV6(_Server):
    address_family = socket.AF_INET6


def make_server(app: ApprovalsWebApp, *, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A threaded HTTP server for ``app``; on a loopback address it answers to loopback names only."""
    handler = type("ApprovalsHandler", (_Handler,), {"app": app})
    server_cls = _ServerV6 if ":" in host else _Server
    server = server_cls((host, port), handler)
    bound_port = server.server_address[1]
    if app.allowed_hosts is None and app.loopback_only(host):
        app.allowed_hosts = {f"{name}:{bound_port}" for name in ("127.0.0.1", "localhost", "[::1]")}
    return server


# --------------------------------------------------------------------------- ASGI adapter

ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]
ASGISend = Callable[[dict[str, Any]], Awaitable[None]]


def asgi_app(app: ApprovalsWebApp) -> Callable[[dict[str, Any], ASGIReceive, ASGISend], Awaitable[None]]:
    """The page as an ASGI application, e.g. ``Mount("/approvals-ui", asgi_app(web_app))``."""
    import asyncio

    async def application(scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_FORM_BYTES or not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "/")
        root = scope.get("root_path", "")
        if root and path.startswith(root) and not app.base_path:
            path = path[len(root) :] or "/"
        request = WebRequest(
            scope["method"], path, scope.get("query_string", b"").decode("latin-1"), headers, body
        )
        response = await asyncio.to_thread(app.handle, request)  # the store may block on a lock
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in [*response.headers, ("Content-Length", str(len(response.body)))]
                ],
            }
        )
        payload = response.body if scope["method"] != "HEAD" else b""
        await send({"type": "http.response.body", "body": payload})

    return application
