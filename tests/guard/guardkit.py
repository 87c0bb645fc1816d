"""Test kit of the guard tests: a loopback HTTP server that records the exact bytes it receives,
a deterministic scanner implementing the Scanner protocol, and one send function per library."""

from __future__ import annotations

import gzip
import json
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from interven_autoguard.model import ReasonCode, ScanResponse
from interven_autoguard.scanner import APPROVED

MARKER = "SECRET-MARKER"  # what the test scanner sanitizes, wherever it appears
REPLACEMENT = "[REDACTED]"
BLOCKED_HOST = "127.0.0.9"  # loopback, nothing listens there: the test scanner denies it


# ------------------------------------------------------------------------------------ server
@dataclass
class Received:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes  # de-chunked
    chunks: list[int] | None  # chunk sizes as framed on the wire, None if not chunked
    connection: int

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    def header_count(self, name: str) -> int:
        return sum(1 for k, _ in self.headers if k.lower() == name.lower())


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        connection = self.server.connection_opened()
        while True:
            line = self.rfile.readline(65537)
            if not line or not line.strip():
                return
            method, target, _version = line.decode("latin-1").split(" ", 2)
            headers: list[tuple[str, str]] = []
            while True:
                raw = self.rfile.readline(65537)
                if raw in (b"\r\n", b"\n", b""):
                    break
                name, _, value = raw.decode("latin-1").partition(":")
                headers.append((name.strip(), value.strip()))
            lookup = {k.lower(): v for k, v in headers}
            chunks: list[int] | None = None
            if "chunked" in lookup.get("transfer-encoding", "").lower():
                chunks, parts = [], []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    parts.append(self.rfile.read(size))
                    chunks.append(size)
                    self.rfile.readline()
                body = b"".join(parts)
            else:
                body = self.rfile.read(int(lookup.get("content-length", "0") or 0))
            received = Received(method, target, headers, body, chunks, connection)
            self.server.record(received)
            status, extra, payload = self.server.respond(received)
            head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(payload)}",
                    "Content-Type: application/json"] + [f"{k}: {v}" for k, v in extra]
            self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)
            self.wfile.flush()
            if lookup.get("connection", "").lower() == "close":
                return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512  # 50 threads / 200 tasks connect at once

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests: list[Received] = []
        self.connections = 0

    def connection_opened(self) -> int:
        with self.lock:
            self.connections += 1
            return self.connections

    def record(self, received: Received) -> None:
        with self.lock:
            self.requests.append(received)

    def respond(self, received: Received) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urlsplit(received.target)
        if parts.path.startswith("/redirect/"):
            status = int(parts.path.split("/")[2])
            location = dict(parse_qsl(parts.query))["to"]
            return status, [("Location", location)], b"{}"
        return 200, [], json.dumps({"ok": True, "path": parts.path}).encode()


class RecordingServer:
    """Loopback HTTP/1.1 server (keep-alive, chunked uploads) recording every request's bytes."""

    def __init__(self) -> None:
        self._server = _Server()
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def requests(self) -> list[Received]:
        with self._server.lock:
            return list(self._server.requests)

    @property
    def connections(self) -> int:
        with self._server.lock:
            return self._server.connections

    def last(self) -> Received:
        return self.requests[-1]

    def reset(self) -> None:
        with self._server.lock:
            self._server.requests.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def redirect_path(status: int, to: str) -> str:
    return f"/redirect/{status}?" + urlencode({"to": to})


# ------------------------------------------------------------------------------------ scanner
@dataclass
class ScanCall:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    request_hash: str | None


@dataclass
class RuleScanner:
    """Deterministic rules, enough to drive every branch of the guard:

    - host ``127.0.0.9`` or a path under ``/deny`` → DENY
    - a path under ``/approve`` → REQUIRE_APPROVAL, resolved with ``approval_state``
    - a path under ``/explode`` → the scanner raises
    - ``SECRET-MARKER`` in the body (gzip understood), the query or a header value → SANITIZE
    - anything else → ALLOW
    """

    name: str = "rules"
    approval_state: str = APPROVED
    approvals_supported: bool = True
    calls: list[ScanCall] = field(default_factory=list)
    approvals: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def scan(self, *, method: str, url: str, headers: Any = None, body: Any = None,
             agent_id: str | None = None, request_hash: str | None = None) -> ScanResponse:
        headers = dict(headers or {})
        with self.lock:
            self.calls.append(ScanCall(method, url, headers, body, request_hash))
        parts = urlsplit(url)
        if parts.hostname == BLOCKED_HOST or parts.path.startswith("/deny"):
            return ScanResponse(decision="DENY", reason_codes=[ReasonCode.POLICY_RULE], trace_id="t-deny")
        if parts.path.startswith("/explode"):
            raise RuntimeError("scanner exploded")
        if parts.path.startswith("/approve"):
            return ScanResponse(decision="REQUIRE_APPROVAL", reason_codes=[ReasonCode.APPROVAL_REQUIRED],
                                approval_id=f"ap-{len(self.calls)}")
        new_url = url.replace(MARKER, REPLACEMENT) if MARKER in parts.query else None
        new_headers = None
        if any(MARKER in v for v in headers.values()):
            new_headers = {k: v.replace(MARKER, REPLACEMENT) for k, v in headers.items()}
        new_body = _sanitize_body(body, headers)
        if new_url or new_headers is not None or new_body is not None:
            return ScanResponse(decision="SANITIZE", reason_codes=[ReasonCode.SECRET_DETECTED],
                                sanitized_url=new_url, sanitized_headers=new_headers,
                                sanitized_body=new_body)
        return ScanResponse(decision="ALLOW")

    def wait_for_approval(self, approval_id: str, *, request_hash: str, timeout: float,
                          on_state: Any = None) -> str:
        if not self.approvals_supported:
            raise NotImplementedError("no approval store")
        with self.lock:
            self.approvals.append((approval_id, request_hash))
        if on_state is not None:
            on_state("pending")
            on_state(self.approval_state)
        return self.approval_state

    async def await_approval(self, approval_id: str, *, request_hash: str, timeout: float,
                             on_state: Any = None) -> str:
        return self.wait_for_approval(approval_id, request_hash=request_hash, timeout=timeout,
                                      on_state=on_state)


def _sanitize_body(body: bytes | None, headers: dict[str, str]) -> bytes | None:
    if not body:
        return None
    gzipped = any(k.lower() == "content-encoding" and "gzip" in v.lower() for k, v in headers.items())
    plain = gzip.decompress(body) if gzipped else body
    if MARKER.encode() not in plain:
        return None
    cleaned = plain.replace(MARKER.encode(), REPLACEMENT.encode())
    return gzip.compress(cleaned, mtime=0) if gzipped else cleaned


def sanitize_target(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=parts.query.replace(MARKER, REPLACEMENT)))


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
