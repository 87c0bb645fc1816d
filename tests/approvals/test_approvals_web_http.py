"""The approvals page over real HTTP on loopback: authentication, CSRF, masking, decisions, ASGI mount."""

from __future__ import annotations

import http.client
import logging
import re
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from interven_autoguard.approvals.web import ApprovalsWebApp, asgi_app, make_server

TOKEN = "t0ken-for-tests-" + "x" * 16


class Client:
    """A tiny HTTP client that never follows redirects and keeps one cookie."""

    def __init__(self, port: int, host_header: str | None = None) -> None:
        self.port = port
        self.host_header = host_header
        self.cookie: str | None = None

    def request(self, method, path, *, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = dict(headers or {})
        if self.cookie:
            hdrs.setdefault("Cookie", self.cookie)
        if self.host_header:
            hdrs["Host"] = self.host_header
        if body is not None:
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read().decode("utf-8")
        conn.close()
        return resp, data

    def login(self) -> None:
        resp, _ = self.request("GET", f"/?token={TOKEN}")
        assert resp.status == 303
        self.cookie = resp.getheader("Set-Cookie").split(";", 1)[0]

    def csrf(self) -> str:
        _, page = self.request("GET", "/")
        return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)

    def decide(self, approval_id, action, *, prefix="", origin=None, **form):
        headers = {"Origin": origin} if origin else {}
        return self.request(
            "POST", f"{prefix}/approvals/{approval_id}/{action}", body=urlencode(form), headers=headers
        )


@pytest.fixture
def server(store) -> Iterator[int]:
    app = ApprovalsWebApp(store, token=TOKEN)
    srv = make_server(app, host="127.0.0.1", port=0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_no_credentials_401_wrong_token_403(server):
    c = Client(server)
    resp, page = c.request("GET", "/")
    assert resp.status == 401 and "?token=" in page
    assert c.request("GET", "/?token=wrong")[0].status == 403
    assert c.request("GET", "/", headers={"Authorization": "Bearer wrong"})[0].status == 403
    assert c.request("GET", "/", headers={"Cookie": "interven_approvals=forged"})[0].status == 403
    assert c.request("POST", "/approvals/apr_x/approve", body="csrf=x")[0].status == 401


def test_token_login_sets_a_strict_httponly_cookie_and_drops_the_token_from_the_url(server):
    c = Client(server)
    resp, _ = c.request("GET", f"/?token={TOKEN}")
    assert resp.status == 303 and resp.getheader("Location") == "/"
    cookie = resp.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    c.cookie = cookie.split(";", 1)[0]
    resp, page = c.request("GET", "/")
    assert resp.status == 200 and "Nothing is waiting" in page
    assert "script-src" not in resp.getheader("Content-Security-Policy")  # default-src 'none': no JS
    assert resp.getheader("X-Frame-Options") == "DENY" and resp.getheader("Cache-Control") == "no-store"
    bearer = Client(server).request("GET", "/", headers={"Authorization": f"Bearer {TOKEN}"})[0]
    assert bearer.status == 200


def test_page_shows_the_masked_request_and_nothing_else(server, new_record):
    secret = "sk_live_" + "9f8e7d6c5b4a" * 2
    raw_body = f'{{"amount": 125, "api_key": "{secret}"}}'
    rec = new_record(
        request_display={
            "headers": {"Authorization": "[REDACTED:BEARER]"},
            "body": raw_body.replace(secret, "[REDACTED:STRIPE_KEY]"),
        },
        url="http://127.0.0.1:9/payouts?note=<script>alert(1)</script>",
    )
    c = Client(server)
    c.login()
    _, page = c.request("GET", "/")
    assert rec.id in page and "[REDACTED:STRIPE_KEY]" in page and "[REDACTED:BEARER]" in page
    assert secret not in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    _, detail = c.request("GET", f"/approvals/{rec.id}")
    assert rec.request_hash in detail and "payout-bot" in detail


def test_approve_and_deny_through_the_form(server, store, new_record):
    a, b = new_record(), new_record()
    c = Client(server)
    c.login()
    csrf = c.csrf()
    resp, _ = c.decide(a.id, "approve", csrf=csrf, reason="fine", by="alice")
    assert resp.status == 303 and resp.getheader("Location") == f"/?done={a.id}"
    got = store.get(a.id)
    assert (got.state, got.decided_by, got.reason) == ("approved", "alice (web)", "fine")
    resp, page = c.request("GET", resp.getheader("Location"))
    assert f"{a.id}: approved by alice (web)" in page
    resp, _ = c.decide(b.id, "deny", csrf=csrf, reason="")
    assert resp.status == 400 and store.get(b.id).state == "pending"
    resp, _ = c.decide(b.id, "deny", csrf=csrf, reason="unknown recipient")
    assert resp.status == 303 and store.get(b.id).state == "denied"
    resp, page = c.decide(b.id, "approve", csrf=csrf)
    assert resp.status == 409 and "already denied" in page and store.get(b.id).state == "denied"


def test_cross_site_posts_are_refused(server, store, new_record):
    rec = new_record()
    c = Client(server)
    c.login()
    assert c.decide(rec.id, "approve")[0].status == 403  # no CSRF token
    assert c.decide(rec.id, "approve", csrf="0" * 64)[0].status == 403
    csrf = c.csrf()
    assert c.decide(rec.id, "approve", csrf=csrf, origin="http://evil.example")[0].status == 403
    assert c.decide(rec.id, "approve", csrf=csrf, origin="null")[0].status == 403
    assert store.get(rec.id).state == "pending"
    ok = c.decide(rec.id, "approve", csrf=csrf, origin=f"http://127.0.0.1:{server}")[0]
    assert ok.status == 303 and store.get(rec.id).state == "approved"


def test_other_host_names_are_refused(server):
    # A DNS-rebinding page would reach us under its own name.
    resp, _ = Client(server, host_header=f"evil.example:{server}").request("GET", f"/?token={TOKEN}")
    assert resp.status == 421
    assert Client(server, host_header=f"localhost:{server}").request("GET", "/")[0].status == 401


def test_unknown_pages_and_methods(server):
    c = Client(server)
    c.login()
    assert c.request("GET", "/nope")[0].status == 404
    assert c.request("GET", "/approvals/apr_missing")[0].status == 404
    assert c.request("POST", "/", body="")[0].status == 405
    assert c.request("POST", "/approvals/apr_x/approve", body="csrf=" + "a" * 70_000)[0].status == 413


def test_the_token_never_reaches_the_log(server, caplog):
    caplog.set_level(logging.INFO, logger="interven_autoguard.approvals.web")
    Client(server).request("GET", f"/?token={TOKEN}")
    Client(server).request("GET", "/?token=wrong-token-value")
    deadline = time.monotonic() + 5
    while "GET /" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "GET /" in caplog.text
    assert TOKEN not in caplog.text and "wrong-token-value" not in caplog.text


def test_short_tokens_are_refused(store):
    with pytest.raises(ValueError):
        ApprovalsWebApp(store, token="short")


def test_mounted_under_a_prefix_in_an_asgi_app(store, new_record):
    uvicorn = pytest.importorskip("uvicorn")
    starlette_routing = pytest.importorskip("starlette.routing")
    from starlette.applications import Starlette

    rec = new_record()
    web = ApprovalsWebApp(store, token=TOKEN, base_path="/approvals-ui")
    app = Starlette(routes=[starlette_routing.Mount("/approvals-ui", app=asgi_app(web))])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        c = Client(port)
        resp, _ = c.request("GET", f"/approvals-ui/?token={TOKEN}")
        assert resp.status == 303 and resp.getheader("Location") == "/approvals-ui/"
        assert "Path=/approvals-ui" in resp.getheader("Set-Cookie")
        c.cookie = resp.getheader("Set-Cookie").split(";", 1)[0]
        _, page = c.request("GET", "/approvals-ui/")
        assert rec.id in page and f'action="/approvals-ui/approvals/{rec.id}/approve"' in page
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        resp, _ = c.decide(rec.id, "approve", prefix="/approvals-ui", csrf=csrf, reason="ok")
        assert resp.status == 303 and store.get(rec.id).state == "approved"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_malformed_content_length_is_a_400_not_a_crash(server):
    import socket

    with socket.create_connection(("127.0.0.1", server), timeout=30) as sock:
        sock.sendall(
            b"POST /approvals/apr_x/approve HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: nope\r\n\r\n"
        )
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.0 400")


def test_serve_on_a_busy_port_fails_with_a_clear_message(db_path):
    import socket

    from approvals_testlib import run_cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        out = run_cli(db_path, "serve", "--port", str(busy.getsockname()[1]))
    assert (
        out.returncode == 1 and "cannot listen on 127.0.0.1" in out.stderr and "Traceback" not in out.stderr
    )


def test_an_empty_page_refreshes_itself_a_page_with_forms_does_not(server, new_record):
    c = Client(server)
    c.login()
    _, empty = c.request("GET", "/")
    assert '<meta http-equiv="refresh" content="5">' in empty
    new_record()
    _, busy = c.request("GET", "/")
    assert 'http-equiv="refresh"' not in busy
