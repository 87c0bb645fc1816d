"""One ``send`` per library (and per sync/async flavour), so every test runs against all of them.

Each returns the response status and raises the library's own errors, exactly like agent code.
"""

from __future__ import annotations

import asyncio
import http.client
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from interven_autoguard.errors import RequestBlocked

Send = Callable[..., int]


def send_requests(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
    import requests

    return requests.request(method, url, data=body, headers=headers, timeout=10).status_code


def send_urllib3(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
    import urllib3

    with urllib3.PoolManager() as pool:
        return pool.request(method, url, body=body, headers=headers, timeout=10).status


def _httpx_sync(lib: str) -> Send:
    def send(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
        module = __import__(lib)
        with module.Client(timeout=10) as client:
            return client.request(method, url, content=body, headers=headers).status_code

    return send


def _httpx_async(lib: str) -> Send:
    def send(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
        module = __import__(lib)

        async def run() -> int:
            async with module.AsyncClient(timeout=10) as client:
                response = await client.request(method, url, content=body, headers=headers)
                return response.status_code

        return asyncio.run(run())

    return send


def send_urllib(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def send_http_client(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def send_aiohttp(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
    import aiohttp

    async def run() -> int:
        async with aiohttp.ClientSession() as session, \
                session.request(method, url, data=body, headers=headers) as response:
            await response.read()
            return response.status

    return asyncio.run(run())


def _errors() -> dict[str, type[BaseException]]:
    import aiohttp
    import httpx
    import httpx2
    import requests
    import urllib3

    return {
        "requests": requests.exceptions.ConnectionError,
        "urllib3": urllib3.exceptions.HTTPError,
        "httpx": httpx.ConnectError,
        "httpx-async": httpx.ConnectError,
        "httpx2": httpx2.ConnectError,
        "httpx2-async": httpx2.ConnectError,
        "urllib": urllib.error.URLError,
        "http.client": ConnectionError,
        "aiohttp": aiohttp.ClientConnectionError,
    }


@dataclass(frozen=True)
class Driver:
    name: str
    send: Send

    def library_error(self) -> type[BaseException]:
        return _errors()[self.name]

    def blocked(self, exc: BaseException) -> RequestBlocked:
        """The RequestBlocked inside what the library raised (urllib wraps it in URLError)."""
        if isinstance(exc, urllib.error.URLError) and not isinstance(exc, RequestBlocked):
            assert isinstance(exc.reason, RequestBlocked), exc
            return exc.reason
        assert isinstance(exc, RequestBlocked), type(exc).__mro__
        return exc


DRIVERS = [
    Driver("requests", send_requests),
    Driver("urllib3", send_urllib3),
    Driver("httpx", _httpx_sync("httpx")),
    Driver("httpx-async", _httpx_async("httpx")),
    Driver("httpx2", _httpx_sync("httpx2")),
    Driver("httpx2-async", _httpx_async("httpx2")),
    Driver("urllib", send_urllib),
    Driver("http.client", send_http_client),
    Driver("aiohttp", send_aiohttp),
]
