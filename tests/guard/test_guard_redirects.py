"""Redirects: every hop is a new request, scanned on its own; a hop to a blocked target raises."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Callable
from urllib.parse import unquote

import pytest
from guardkit import BLOCKED_HOST, RecordingServer, RuleScanner, redirect_path

from interven_autoguard import RequestBlocked


def _requests(url: str) -> int:
    import requests

    return requests.get(url, timeout=10).status_code


def _urllib3(url: str) -> int:
    import urllib3

    with urllib3.PoolManager() as pool:
        return pool.request("GET", url).status


def _httpx(lib: str) -> Callable[[str], int]:
    def send(url: str) -> int:
        with __import__(lib).Client(follow_redirects=True) as client:
            return client.get(url).status_code

    return send


def _httpx_async(lib: str) -> Callable[[str], int]:
    def send(url: str) -> int:
        async def run() -> int:
            async with __import__(lib).AsyncClient(follow_redirects=True) as client:
                return (await client.get(url)).status_code

        return asyncio.run(run())

    return send


def _urllib(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status


def _aiohttp(url: str) -> int:
    import aiohttp

    async def run() -> int:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status

    return asyncio.run(run())


FOLLOWERS = {
    "requests": _requests, "urllib3": _urllib3, "httpx": _httpx("httpx"), "httpx2": _httpx("httpx2"),
    "httpx-async": _httpx_async("httpx"), "httpx2-async": _httpx_async("httpx2"),
    "urllib": _urllib, "aiohttp": _aiohttp,
}


def _reason(exc: BaseException) -> RequestBlocked:
    reason = getattr(exc, "reason", exc)  # urllib's URLError wraps it
    assert isinstance(reason, RequestBlocked), repr(exc)
    return reason


@pytest.mark.parametrize("name", list(FOLLOWERS))
def test_each_redirect_hop_is_scanned_once(name: str, server: RecordingServer, scanner: RuleScanner,
                                           guard_on) -> None:
    guard_on()
    second = redirect_path(302, "/ok?final=1")
    assert FOLLOWERS[name](server.url(redirect_path(302, second))) == 200
    expected = [server.url(redirect_path(302, second)), server.url(second), server.url("/ok?final=1")]
    # compared unquoted: yarl (aiohttp) normalises the percent-encoding of the query
    assert [unquote(c.url) for c in scanner.calls] == [unquote(u) for u in expected]
    assert len(server.requests) == 3


@pytest.mark.parametrize("name", list(FOLLOWERS))
def test_redirect_to_a_denied_path_raises_on_that_hop(name: str, server: RecordingServer, guard_on) -> None:
    guard_on()
    with pytest.raises(Exception) as caught:
        FOLLOWERS[name](server.url(redirect_path(302, "/deny/after-redirect")))
    assert _reason(caught.value).decision == "DENY"
    assert [r.target.split("?")[0] for r in server.requests] == ["/redirect/302"]
    assert server.connections == 1


@pytest.mark.parametrize("name", list(FOLLOWERS))
def test_redirect_to_a_blocked_host_raises_without_connecting(name: str, server: RecordingServer,
                                                              scanner: RuleScanner, guard_on) -> None:
    guard_on()
    target = f"http://{BLOCKED_HOST}:{server.port}/metadata"
    with pytest.raises(Exception) as caught:
        FOLLOWERS[name](server.url(redirect_path(307, target)))
    assert _reason(caught.value).reason_codes == ["POLICY_RULE"]
    assert scanner.calls[-1].url == target
