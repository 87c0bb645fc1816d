"""A SANITIZE changes the body length: the next request on the same kept-alive connection must
still be framed correctly (a stale Content-Length would desynchronise the connection)."""

from __future__ import annotations

import asyncio
import http.client
from collections.abc import Callable

import pytest
from guardkit import MARKER, REPLACEMENT, RecordingServer

SHORT_TO_LONG = b'{"k": "' + MARKER.encode() + b'"}'  # "[REDACTED]" is shorter than the marker
FOLLOW_UP = b'{"next": "request", "pad": "' + b"q" * 64 + b'"}'


def _requests(url: str, bodies: list[bytes], headers: dict[str, str]) -> None:
    import requests

    with requests.Session() as session:
        for body in bodies:
            session.post(url, data=body, headers=headers, timeout=10).raise_for_status()


def _httpx(url: str, bodies: list[bytes], headers: dict[str, str]) -> None:
    import httpx

    with httpx.Client() as client:
        for body in bodies:
            client.post(url, content=body, headers=headers).raise_for_status()


def _http_client(url: str, bodies: list[bytes], headers: dict[str, str]) -> None:
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for body in bodies:
        conn.request("POST", "/ok", body=body, headers=headers)
        conn.getresponse().read()
    conn.close()


def _aiohttp(url: str, bodies: list[bytes], headers: dict[str, str]) -> None:
    import aiohttp

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            for body in bodies:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()

    asyncio.run(run())


SENDERS: dict[str, Callable[[str, list[bytes], dict[str, str]], None]] = {
    "requests": _requests, "httpx": _httpx, "http.client": _http_client, "aiohttp": _aiohttp,
}


@pytest.mark.parametrize("name", list(SENDERS))
def test_sanitized_request_then_next_request_on_the_same_connection(name: str, server: RecordingServer,
                                                                    guard_on) -> None:
    guard_on()
    bodies = [SHORT_TO_LONG, FOLLOW_UP, SHORT_TO_LONG]
    SENDERS[name](server.url("/ok"), bodies, {"Content-Type": "application/json"})
    first, second, third = server.requests
    assert first.connection == second.connection == third.connection  # kept alive throughout
    assert first.body == third.body == SHORT_TO_LONG.replace(MARKER.encode(), REPLACEMENT.encode())
    assert second.body == FOLLOW_UP
    for got in (first, second, third):
        assert got.header_count("content-length") == 1
        assert int(got.header("content-length") or 0) == len(got.body)


def test_caller_lowercase_content_length_is_replaced_not_duplicated(server: RecordingServer,
                                                                    guard_on) -> None:
    """The caller set ``content-length`` in lower case: the rewrite must not add a second one."""
    guard_on()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for body in (SHORT_TO_LONG, FOLLOW_UP):
        conn.request("POST", "/ok", body=body, headers={"content-length": str(len(body)),
                                                        "transfer-encoding": "identity"})
        conn.getresponse().read()
    conn.close()
    first, second = server.requests
    assert first.header_count("content-length") == 1 and first.header("transfer-encoding") is None
    assert int(first.header("content-length") or 0) == len(first.body)
    assert second.body == FOLLOW_UP and first.connection == second.connection
