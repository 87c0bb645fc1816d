"""50 threads and 200 concurrent async requests through the guard: no cross-talk, no deadlock, and
approvals awaited without blocking the event loop."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from guardkit import MARKER, REPLACEMENT, RecordingServer, RuleScanner

from interven_autoguard import RequestBlocked


def _plan(i: int) -> tuple[str, bytes, str]:
    """Request i: (path, body, expected outcome) cycling through allow / sanitize / deny."""
    kind = ("allow", "sanitize", "deny")[i % 3]
    path = f"/deny/{i}" if kind == "deny" else f"/ok/{i}"
    secret = MARKER if kind == "sanitize" else "clean"
    return path, json.dumps({"id": i, "data": f"{secret}-{i}", "pad": "p" * (i % 50)}).encode(), kind


def _check(server: RecordingServer, outcomes: dict[int, str], total: int) -> None:
    received = {int(r.target.rsplit("/", 1)[1]): r for r in server.requests}
    for i in range(total):
        _, body, kind = _plan(i)
        if kind == "deny":
            assert outcomes[i] == "blocked" and i not in received
            continue
        assert outcomes[i] == "sent"
        expected = body.replace(MARKER.encode(), REPLACEMENT.encode()) if kind == "sanitize" else body
        assert received[i].body == expected
        assert int(received[i].header("content-length") or 0) == len(expected)


@pytest.mark.parametrize("lib", ["requests", "httpx"])
def test_fifty_threads_no_cross_talk(lib: str, server: RecordingServer, guard_on) -> None:
    guard_on()
    total = 150
    if lib == "requests":
        import requests

        session: Any = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=50)
        session.mount("http://", adapter)
        post = lambda url, body: session.post(url, data=body, timeout=30)  # noqa: E731
    else:
        import httpx

        session = httpx.Client(limits=httpx.Limits(max_connections=50), timeout=30)
        post = lambda url, body: session.post(url, content=body)  # noqa: E731
    start = threading.Barrier(50)

    def one(i: int) -> tuple[int, str]:
        if i < 50:
            start.wait()  # the first 50 go at once
        path, body, _ = _plan(i)
        try:
            post(server.url(path), body)
            return i, "sent"
        except RequestBlocked:
            return i, "blocked"

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = dict(pool.map(one, range(total)))
    session.close()
    _check(server, outcomes, total)


@pytest.mark.parametrize("lib", ["httpx", "aiohttp"])
def test_two_hundred_concurrent_async_requests(lib: str, server: RecordingServer, guard_on) -> None:
    guard_on()
    total = 200

    async def run() -> dict[int, str]:
        if lib == "httpx":
            import httpx

            client: Any = httpx.AsyncClient(limits=httpx.Limits(max_connections=100), timeout=30)

            async def post(url: str, body: bytes) -> None:
                await client.post(url, content=body)
        else:
            import aiohttp

            client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))

            async def post(url: str, body: bytes) -> None:
                async with client.post(url, data=body) as response:
                    await response.read()

        async def one(i: int) -> tuple[int, str]:
            path, body, _ = _plan(i)
            try:
                await post(server.url(path), body)
                return i, "sent"
            except RequestBlocked:
                return i, "blocked"

        try:
            return dict(await asyncio.gather(*(one(i) for i in range(total))))
        finally:
            await (client.aclose() if lib == "httpx" else client.close())

    _check(server, asyncio.run(run()), total)


class SlowApprovals(RuleScanner):
    """Approvals that take a while: sync waits sleep, async waits await."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def await_approval(self, approval_id: str, *, request_hash: str, timeout: float,
                             on_state: Any = None) -> str:
        await self.release.wait()
        return "approved"


def test_async_approval_does_not_block_the_event_loop(server: RecordingServer) -> None:
    import httpx

    import interven_autoguard
    from interven_autoguard.config import Settings

    scanner = SlowApprovals()
    interven_autoguard.install(Settings(), scanner=scanner)

    async def run() -> list[int]:
        async with httpx.AsyncClient() as client:
            pending = [asyncio.create_task(client.post(server.url(f"/approve/{i}"), content=b"x"))
                       for i in range(20)]
            for _ in range(50):  # the loop keeps running while 20 requests wait for a human
                await asyncio.sleep(0)
            assert not any(task.done() for task in pending) and server.requests == []
            scanner.release.set()
            return [r.status_code for r in await asyncio.gather(*pending)]

    try:
        assert asyncio.run(run()) == [200] * 20
        assert len(server.requests) == 20
    finally:
        interven_autoguard.uninstall()


class SlowNetworkScanner(RuleScanner):
    """A scanner whose scan() blocks like a gateway round trip (sync API only)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def scan(self, **kwargs: Any) -> Any:
        self.gate.wait(timeout=30)
        return super().scan(**kwargs)


def test_a_blocking_scanner_does_not_stall_the_event_loop(server: RecordingServer) -> None:
    import httpx

    import interven_autoguard
    from interven_autoguard.config import Settings

    scanner = SlowNetworkScanner()
    interven_autoguard.install(Settings(), scanner=scanner)

    async def run() -> int:
        async with httpx.AsyncClient() as client:
            task = asyncio.create_task(client.get(server.url("/ok")))
            for _ in range(20):  # the loop keeps turning while the scan waits on the network
                await asyncio.sleep(0)
            assert not task.done()
            scanner.gate.set()
            return (await task).status_code

    try:
        assert asyncio.run(run()) == 200
    finally:
        interven_autoguard.uninstall()
