"""A tiny "agent" (no LLM key needed) whose HTTP calls go through four libraries to a local server.

    python -m interven_autoguard run examples/demo_agent.py     # guarded by the runner
    python examples/demo_agent.py                               # installs the guard itself

Each call is printed as ALLOWED, SANITIZED or BLOCKED, with what the server actually received.
The demo only ever talks to 127.0.0.1: a call to the cloud metadata address is there to be
blocked, and a loopback-only socket check below refuses it even if the guard were missing.
"""

from __future__ import annotations

import asyncio
import http.server
import ipaddress
import json
import socket
import threading
import urllib.error
import urllib.request
from typing import Any

import interven_autoguard
from interven_autoguard.guard import is_installed

RECEIVED: list[bytes] = []


class _Handler(http.server.BaseHTTPRequestHandler):
    """Records each request body and answers ``{"ok": true}``."""

    def do_POST(self) -> None:
        RECEIVED.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        payload = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return


def start_server() -> str:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def loopback_only() -> None:
    """Demo safety: refuse any connection that is not to loopback, guard or no guard."""
    original = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not ipaddress.ip_address(host.split("%")[0]).is_loopback:
            raise ConnectionRefusedError(f"demo: refusing to connect to non-loopback {host}")
        original(sock, address)

    socket.socket.connect = connect  # type: ignore[method-assign]


def github_token() -> str:
    """A token of GitHub's shape with a valid checksum, built at run time (not a real credential)."""
    from interven_autoguard.engine.secrets import validators

    body = "Hx7Kp2Lm9Qr4Tv8Wz3Nb6Yc1Fd5Gs0"
    return "ghp_" + body + validators.crc32_base62(body)


def report(library: str, what: str, sent: bytes | None, call: Any) -> None:
    before = len(RECEIVED)
    try:
        call()
    except Exception as exc:  # each library raises its own error type; the reason is a RequestBlocked
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, interven_autoguard.RequestBlocked):
            codes = ",".join(reason.reason_codes)
            print(f"[BLOCKED  ] {library:<8} {what:<44} -> {codes} (nothing sent)")
        else:
            print(f"[ERROR    ] {library:<8} {what:<44} -> {type(exc).__name__}: {exc}")
        return
    received = RECEIVED[before] if len(RECEIVED) > before else b""
    verdict = "ALLOWED  " if received == sent else "SANITIZED"
    print(f"[{verdict}] {library:<8} {what:<44} -> server received {received.decode()}")


def main() -> None:
    loopback_only()
    if not is_installed():  # under `python -m interven_autoguard run` the runner installed it
        interven_autoguard.install()
    import aiohttp
    import httpx
    import requests

    base = start_server()
    clean = json.dumps({"note": "renewal call booked for Tuesday"}).encode()
    report("requests", "POST /crm (clean note)", clean,
           lambda: requests.post(f"{base}/crm", data=clean, headers={"Content-Type": "application/json"},
                                 timeout=5))

    with_ssn = json.dumps({"note": "customer SSN is 478-23-9156, call back"}).encode()
    report("httpx", "POST /crm (note with an SSN)", with_ssn,
           lambda: httpx.post(f"{base}/crm", content=with_ssn, headers={"Content-Type": "application/json"}))

    report("urllib", "GET 169.254.169.254 (cloud metadata)", None,
           lambda: urllib.request.urlopen("http://169.254.169.254/latest/meta-data/iam/", timeout=5))

    async def push_with_token() -> None:
        headers = {"Authorization": f"Bearer {github_token()}"}
        async with aiohttp.ClientSession() as session, \
                session.post(f"{base}/paste", data=b"build log", headers=headers) as response:
            await response.read()

    report("aiohttp", "POST /paste (GitHub token, non-GitHub host)", b"build log",
           lambda: asyncio.run(push_with_token()))


if __name__ == "__main__":
    main()
