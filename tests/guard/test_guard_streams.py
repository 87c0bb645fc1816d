"""Streaming, file, multipart and gzip bodies: scanned, then handed to the library equivalent."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import io
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from guard_clients import DRIVERS, Driver
from guardkit import MARKER, REPLACEMENT, RecordingServer, RuleScanner, redirect_path

from interven_autoguard.config import Settings

CHUNKS = [b"alpha-", b"bravo-bravo-", b"c" * 1000, b"-end"]


def _gen(chunks: list[bytes]) -> Iterator[bytes]:
    yield from chunks


async def _agen(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


# One streaming send per library: (name, send(url, chunks) -> status)
def _requests(url: str, chunks: list[bytes]) -> int:
    import requests

    return requests.post(url, data=_gen(chunks), timeout=10).status_code


def _urllib3(url: str, chunks: list[bytes]) -> int:
    import urllib3

    with urllib3.PoolManager() as pool:
        return pool.request("POST", url, body=_gen(chunks), chunked=True).status


def _http_client(url: str, chunks: list[bytes]) -> int:
    host, port = url.split("//")[1].split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("POST", "/" + url.split("/", 3)[3], body=_gen(chunks), encode_chunked=True,
                     headers={"Transfer-Encoding": "chunked"})
        return conn.getresponse().status
    finally:
        conn.close()


def _httpx(lib: str) -> Callable[[str, list[bytes]], int]:
    def send(url: str, chunks: list[bytes]) -> int:
        module = __import__(lib)
        with module.Client() as client:
            return client.post(url, content=_gen(chunks)).status_code

    return send


def _httpx_async(lib: str) -> Callable[[str, list[bytes]], int]:
    def send(url: str, chunks: list[bytes]) -> int:
        module = __import__(lib)

        async def run() -> int:
            async with module.AsyncClient() as client:
                return (await client.post(url, content=_agen(chunks))).status_code

        return asyncio.run(run())

    return send


def _aiohttp(url: str, chunks: list[bytes]) -> int:
    import aiohttp

    async def run() -> int:
        async with aiohttp.ClientSession() as session, session.post(url, data=_agen(chunks)) as r:
            return r.status

    return asyncio.run(run())


STREAMERS = {
    "requests": _requests, "urllib3": _urllib3, "http.client": _http_client,
    "httpx": _httpx("httpx"), "httpx2": _httpx("httpx2"),
    "httpx-async": _httpx_async("httpx"), "httpx2-async": _httpx_async("httpx2"), "aiohttp": _aiohttp,
}


@pytest.mark.parametrize("name", list(STREAMERS))
def test_allowed_stream_keeps_the_caller_chunk_boundaries(name: str, server: RecordingServer,
                                                          scanner: RuleScanner, guard_on) -> None:
    send = STREAMERS[name]
    send(server.url("/ok"), CHUNKS)
    unguarded = server.last()
    guard_on()
    assert send(server.url("/ok"), CHUNKS) == 200
    guarded = server.last()
    assert guarded.chunks == unguarded.chunks == [len(c) for c in CHUNKS]
    assert guarded.body == unguarded.body == b"".join(CHUNKS)
    assert guarded.header("content-length") is None
    assert scanner.calls[-1].body == b"".join(CHUNKS)


@pytest.mark.parametrize("name", list(STREAMERS))
def test_sanitized_stream_is_sent_with_a_content_length(name: str, server: RecordingServer, guard_on) -> None:
    guard_on()
    chunks = [b'{"k": "', MARKER.encode(), b'", "pad": "', b"p" * 500, b'"}']
    assert STREAMERS[name](server.url("/ok"), chunks) == 200
    got = server.last()
    assert got.body == b"".join(chunks).replace(MARKER.encode(), REPLACEMENT.encode())
    assert got.chunks is None and got.header("transfer-encoding") is None
    assert got.header_count("content-length") == 1 and int(got.header("content-length") or 0) == len(got.body)


@pytest.mark.parametrize("name", list(STREAMERS))
def test_stream_over_the_buffer_limit_fails_closed(name: str, server: RecordingServer,
                                                   scanner: RuleScanner) -> None:
    import interven_autoguard

    interven_autoguard.install(Settings(extra={"max_body_bytes": 1500}), scanner=scanner)
    try:
        with pytest.raises(interven_autoguard.RequestBlocked) as caught:
            STREAMERS[name](server.url("/ok"), [b"x" * 1000] * 3)
        assert caught.value.reason_codes == ["BODY_TOO_LARGE"]
        assert server.connections == 0 and scanner.calls == []
    finally:
        interven_autoguard.uninstall()


# ------------------------------------------------------------------------------- files
def test_requests_file_body_stays_the_caller_object_at_its_position(server: RecordingServer,
                                                                   guard_on) -> None:
    import requests

    guard_on()
    handle = io.BytesIO(b"skip:" + b"payload" * 50)
    handle.seek(5)
    response = requests.post(server.url("/ok"), data=handle, timeout=10)
    assert response.request.body is handle
    assert server.last().body == b"payload" * 50
    assert int(server.last().header("content-length") or 0) == 350


@pytest.mark.parametrize("status", [307, 308])
def test_requests_redirect_rewinds_the_file_body(status: int, server: RecordingServer,
                                                 scanner: RuleScanner, guard_on) -> None:
    import requests

    guard_on()
    handle = io.BytesIO(b"head|" + b"file-body" * 20)
    handle.seek(5)
    response = requests.post(server.url(redirect_path(status, "/ok")), data=handle, timeout=10)
    assert response.status_code == 200
    first, second = server.requests
    assert first.body == second.body == b"file-body" * 20
    assert [c.body for c in scanner.calls] == [b"file-body" * 20] * 2  # each hop scanned


@pytest.mark.parametrize("pool_kind", ["PoolManager", "HTTPConnectionPool"])
def test_urllib3_file_redirect_behaves_as_unguarded(pool_kind: str, server: RecordingServer,
                                                    scanner: RuleScanner, guard_on) -> None:
    """Whatever urllib3 does with a file body on a 307 (the pool rewinds it, the PoolManager does
    not), it still does it under the guard; each hop is scanned."""
    import urllib3

    def run() -> list[bytes]:
        server.reset()
        handle = io.BytesIO(b"urllib3-file" * 10)
        pool: Any = urllib3.PoolManager() if pool_kind == "PoolManager" else \
            urllib3.HTTPConnectionPool("127.0.0.1", server.port)
        url = redirect_path(307, "/ok")
        response = pool.request("POST", server.url(url) if pool_kind == "PoolManager" else url, body=handle)
        assert response.status == 200
        return [r.body for r in server.requests]

    unguarded = run()
    guard_on()
    assert run() == unguarded and unguarded[0] == b"urllib3-file" * 10
    assert len(scanner.calls) == 2


def test_requests_generator_redirect_behaves_as_unguarded(server: RecordingServer, guard_on) -> None:
    """A spent generator cannot be rewound: what requests sends on the 307 hop is unchanged."""
    import requests

    requests.post(server.url(redirect_path(307, "/ok")), data=_gen(CHUNKS), timeout=10)
    unguarded = [(r.body, r.chunks) for r in server.requests]
    server.reset()
    guard_on()
    requests.post(server.url(redirect_path(307, "/ok")), data=_gen(CHUNKS), timeout=10)
    assert [(r.body, r.chunks) for r in server.requests] == unguarded


def test_unseekable_file_is_replayed_in_full(server: RecordingServer, guard_on) -> None:
    import os

    import requests

    guard_on()
    read_fd, write_fd = os.pipe()
    payload = b"pipe-data" * 100
    os.write(write_fd, payload)
    os.close(write_fd)
    with open(read_fd, "rb") as pipe:
        requests.post(server.url("/ok"), data=pipe, timeout=10)
    assert server.last().body == payload


@pytest.mark.parametrize("lib", ["httpx", "httpx2"])
def test_httpx_file_content_is_reseeked_and_kept(lib: str, server: RecordingServer, guard_on) -> None:
    module = __import__(lib)
    guard_on()
    handle = io.BytesIO(b"httpx-file" * 30)  # at 0: httpx declares the whole length of a BytesIO
    with module.Client() as client:
        request = client.build_request("POST", server.url("/ok"), content=handle)
        stream = request.stream
        client.send(request)
    assert request.stream is stream
    assert server.last().body == b"httpx-file" * 30


# ------------------------------------------------------------------------------- multipart / gzip
def _multipart_requests(url: str, content: bytes) -> int:
    import requests

    return requests.post(url, files={"doc": ("a.txt", io.BytesIO(content))}, data={"f": "v"},
                         timeout=10).status_code


def _multipart_httpx(url: str, content: bytes) -> int:
    import httpx

    with httpx.Client() as client:
        return client.post(url, files={"doc": ("a.txt", io.BytesIO(content))}, data={"f": "v"}).status_code


def _multipart_aiohttp(url: str, content: bytes) -> int:
    import aiohttp

    async def run() -> int:
        form = aiohttp.FormData()
        form.add_field("f", "v")
        form.add_field("doc", io.BytesIO(content), filename="a.txt")
        async with aiohttp.ClientSession() as session, session.post(url, data=form) as r:
            return r.status

    return asyncio.run(run())


MULTIPART: dict[str, Callable[[str, bytes], int]] = {
    "requests": _multipart_requests, "httpx": _multipart_httpx, "aiohttp": _multipart_aiohttp,
}


@pytest.mark.parametrize("name", list(MULTIPART))
def test_multipart_allowed_as_scanned(name: str, server: RecordingServer, scanner: RuleScanner,
                                      guard_on) -> None:
    guard_on()
    assert MULTIPART[name](server.url("/ok"), b"file content " * 40) == 200
    got = server.last()
    assert got.body == scanner.calls[-1].body
    assert b"file content " * 40 in got.body and b'name="f"' in got.body


@pytest.mark.parametrize("name", list(MULTIPART))
def test_multipart_sanitized(name: str, server: RecordingServer, guard_on) -> None:
    guard_on()
    assert MULTIPART[name](server.url("/ok"), b"before " + MARKER.encode() + b" after") == 200
    got = server.last()
    assert MARKER.encode() not in got.body and b"before " + REPLACEMENT.encode() + b" after" in got.body
    assert int(got.header("content-length") or 0) == len(got.body)


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_gzip_body_is_sanitized_and_re_encoded(driver: Driver, server: RecordingServer, guard_on) -> None:
    guard_on()
    plain = json.dumps({"note": f"key {MARKER}", "pad": "z" * 400}).encode()
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    assert driver.send("POST", server.url("/ok"), gzip.compress(plain), headers) == 200
    got = server.last()
    assert gzip.decompress(got.body) == plain.replace(MARKER.encode(), REPLACEMENT.encode())
    assert int(got.header("content-length") or 0) == len(got.body)
    assert got.header("content-encoding") == "gzip"


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_gzip_body_allowed_unchanged(driver: Driver, server: RecordingServer, guard_on) -> None:
    guard_on()
    compressed = gzip.compress(b'{"clean": true}' * 30)
    driver.send("POST", server.url("/ok"), compressed,
                {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert server.last().body == compressed
