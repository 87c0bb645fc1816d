"""A gateway answer has one deadline for the whole exchange: a gateway (or a proxy in front of it)
that trickles its answer a byte at a time used to hold the guarded call for as long as it kept
trickling, because a socket timeout only bounds each read."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from interven_autoguard.config import Settings
from interven_autoguard.errors import ConfigurationError
from interven_autoguard.gateway import _http
from interven_autoguard.gateway.errors import GatewayError
from interven_autoguard.gateway.scanner import GatewayScanner


class Trickler:
    """Accepts, then sends one byte of a never-ending header every 0.2 s, for at most ``lasts`` s."""

    def __init__(self, lasts: float = 15.0) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.lasts = lasts
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.recv(65536)
            end = time.monotonic() + self.lasts
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while time.monotonic() < end:
                    conn.sendall(b"a")
                    time.sleep(0.2)
            except OSError:
                pass  # the client gave up: what the test wants


def test_a_trickled_answer_ends_at_the_deadline_not_when_the_gateway_stops() -> None:
    server = Trickler()
    started = time.monotonic()
    with pytest.raises(GatewayError, match=r"No complete answer .* within 1 s"):
        _http.request("POST", f"http://127.0.0.1:{server.port}/v1/scan", body=b"{}", timeout=1.0)
    assert time.monotonic() - started < server.lasts  # the trickle was still going


def test_the_deadline_is_a_setting() -> None:
    assert Settings.from_env({}).gateway_timeout == 30.0
    settings = Settings.from_env({"INTERVEN_GATEWAY_TIMEOUT": "2.5", "INTERVEN_API_KEY": "k",
                                  "INTERVEN_GATEWAY_URL": "http://127.0.0.1:9"})
    assert settings.gateway_timeout == 2.5
    assert GatewayScanner(settings).client.timeout == 2.5
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ConfigurationError):
            Settings.from_env({"INTERVEN_GATEWAY_TIMEOUT": bad})
