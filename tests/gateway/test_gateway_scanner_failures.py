"""From the agent, a gateway failure says which kind it was: a wrong key, a gateway that is down or
one that does not answer in time — not only ``SCANNER_ERROR (ScannerError)``. Never the key, a path
or query of the gateway URL, or the request's content."""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import urllib.parse
from collections.abc import Iterator

import pytest
from gw_support import free_port, ssn

from interven_autoguard.errors import RequestBlocked
from interven_autoguard.guard import guarded

WRONG_KEY = "iv_live_" + "Wr0ngK3yQm8Zp2Lm7Vn3"


def _post(url: str, secret: str) -> None:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("POST", f"{parts.path}?{parts.query}", body=f'{{"note": "ssn {secret}"}}'.encode(),
                     headers={"Content-Type": "application/json"})
        conn.getresponse().read()
    finally:
        conn.close()


def _blocked(gateway_url: str, target: str, caplog: pytest.LogCaptureFixture, **kw: object) -> str:
    secret = ssn()
    caplog.set_level(logging.WARNING, logger="interven_autoguard")
    with guarded(api_key=WRONG_KEY, gateway_url=gateway_url, **kw), pytest.raises(RequestBlocked) as info:
        _post(target + "/crm?token=q5ecret", secret)
    message = str(info.value)
    assert "SCANNER_ERROR" in message
    for text in (message, caplog.text):
        assert WRONG_KEY not in text and secret not in text and "g4tewaypath" not in text
    return message


def test_a_wrong_key_is_named(gateway, upstream, caplog) -> None:
    message = _blocked(gateway.url, upstream.url, caplog)
    expected = f"gateway at {gateway.url} refused the key (HTTP 401)"
    assert expected in message
    assert expected in caplog.text
    assert upstream.requests == []


def test_a_gateway_that_is_down_is_named(upstream, caplog) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    message = _blocked(dead + "/g4tewaypath", upstream.url, caplog)
    assert f"gateway unreachable at {dead} (connection refused)" in message
    assert f"gateway unreachable at {dead} (connection refused)" in caplog.text
    assert upstream.requests == []


@pytest.fixture
def silent_gateway() -> Iterator[str]:
    """Accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


def test_a_gateway_that_does_not_answer_is_named(silent_gateway, upstream, caplog) -> None:
    message = _blocked(silent_gateway, upstream.url, caplog, gateway_timeout=1.0)
    assert f"gateway at {silent_gateway} timed out (no answer within 1 s)" in message
    assert upstream.requests == []
