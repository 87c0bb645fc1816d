"""What a request looks like on the wire after the guard decided on it, for shapes the libraries
accept but the plain driver tests do not use: aiohttp's ``compress=``, non-ASCII header bytes,
repeated header lines, and a URL path the sanitized request rewrote (decided once, not twice).
Each test sends real HTTP to the loopback server and asserts on the bytes it received."""

from __future__ import annotations

import asyncio
import json
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from guardkit import MARKER, REPLACEMENT, RecordingServer, RuleScanner
from test_guard_subprocess import run_script

import interven_autoguard
from interven_autoguard.config import Settings
from interven_autoguard.model import ReasonCode, ScanResponse

SSN = "478-23-9156"


def _inflate(body: bytes) -> bytes:
    return zlib.decompress(body, wbits=47)  # 32 + 15: a zlib (deflate) or gzip stream


# ------------------------------------------------------------------------------------ aiohttp compress=
def _aiohttp_post(url: str, payload: dict[str, Any], compress: Any) -> int:
    import aiohttp

    async def run() -> int:
        async with aiohttp.ClientSession() as session, \
                session.post(url, json=payload, compress=compress) as response:
            await response.read()
            return response.status

    return asyncio.run(run())


COMPRESS = [True, "deflate", "gzip"]


@pytest.mark.parametrize("compress", COMPRESS, ids=str)
def test_aiohttp_compressed_upload_is_scanned_as_its_payload_and_allowed(
        compress: Any, server: RecordingServer) -> None:
    payload = {"msg": "build finished", "n": 3}
    assert _aiohttp_post(server.url("/logs"), payload, compress) == 200
    plain = server.last()
    interven_autoguard.install(Settings())  # the embedded engine: it inflates what it is told is deflated
    try:
        assert _aiohttp_post(server.url("/logs"), payload, compress) == 200
    finally:
        interven_autoguard.uninstall()
    guarded = server.last()
    assert guarded.body == plain.body and json.loads(_inflate(guarded.body)) == payload
    assert guarded.headers == plain.headers
    assert guarded.header("content-encoding") == ("deflate" if compress is True else compress)


@pytest.mark.parametrize("compress", COMPRESS, ids=str)
def test_aiohttp_compressed_upload_is_sanitized_then_compressed(compress: Any,
                                                                server: RecordingServer) -> None:
    interven_autoguard.install(Settings())
    try:
        assert _aiohttp_post(server.url("/crm"), {"customer": f"SSN {SSN}"}, compress) == 200
    finally:
        interven_autoguard.uninstall()
    got = server.last()
    assert got.header_count("content-encoding") == 1
    assert got.header("content-encoding") == ("deflate" if compress is True else compress)
    assert json.loads(_inflate(got.body)) == {"customer": "SSN [REDACTED:US_SSN]"}
    assert got.header("content-length") is None and got.chunks  # aiohttp streams it chunked


def test_aiohttp_compress_is_scanned_uncompressed(server: RecordingServer, scanner: RuleScanner,
                                                  guard_on) -> None:
    guard_on()
    assert _aiohttp_post(server.url("/ok"), {"note": MARKER}, "gzip") == 200
    [call] = scanner.calls
    assert json.loads(call.body or b"") == {"note": MARKER}
    assert not any(k.lower() == "content-encoding" for k in call.headers)
    assert json.loads(_inflate(server.last().body)) == {"note": REPLACEMENT}


# ------------------------------------------------------------------------------------ httpx byte headers
HTTPX = [("httpx", False), ("httpx", True), ("httpx2", False), ("httpx2", True)]


def _httpx_send(lib: str, is_async: bool, url: str, body: bytes, headers: Any) -> int:
    module = __import__(lib)
    if not is_async:
        with module.Client(timeout=10) as client:
            return int(client.post(url, content=body, headers=headers).status_code)

    async def run() -> int:
        async with module.AsyncClient(timeout=10) as client:
            return int((await client.post(url, content=body, headers=headers)).status_code)

    return asyncio.run(run())


@pytest.mark.parametrize(("lib", "is_async"), HTTPX, ids=[f"{n}{'-async' if a else ''}" for n, a in HTTPX])
@pytest.mark.parametrize("raw", ["José".encode(), "José".encode("latin-1")], ids=["utf-8", "latin-1"])
def test_httpx_sanitize_keeps_non_ascii_header_bytes(lib: str, is_async: bool, raw: bytes,
                                                    server: RecordingServer, guard_on) -> None:
    guard_on()
    headers = {"X-Agent-User": raw, "X-Note": b"by " + raw + b" " + MARKER.encode()}
    assert _httpx_send(lib, is_async, server.url("/crm"), b"note " + MARKER.encode(), headers) == 200
    got = server.last()
    assert got.body == b"note " + REPLACEMENT.encode()
    assert got.header("x-agent-user") == raw.decode("latin-1")  # the server reads bytes as latin-1
    assert got.header("x-note") == (b"by " + raw + b" " + REPLACEMENT.encode()).decode("latin-1")


# ------------------------------------------------------------------------------------ repeated header lines
COOKIES = [("Cookie", "a=1"), ("X-Trace", "t1"), ("Cookie", "b=2"), ("Cookie", "c=3")]


def _lines(got: Any, name: str) -> list[str]:
    return [v for k, v in got.headers if k.lower() == name]


def _send_repeated(library: str, url: str, body: bytes, pairs: list[tuple[str, str]]) -> None:
    if library.startswith("httpx"):
        lib, _, flavour = library.partition("-")
        _httpx_send(lib, flavour == "async", url, body, pairs)
    elif library == "urllib3":
        import urllib3

        headers = urllib3.HTTPHeaderDict()
        for name, value in pairs:
            headers.add(name, value)
        with urllib3.PoolManager() as pool:
            pool.request("POST", url, body=body, headers=headers)
    elif library == "urllib3-connection":
        import urllib3
        from urllib3.connection import HTTPConnection

        headers = urllib3.HTTPHeaderDict()
        for name, value in pairs:
            headers.add(name, value)
        parts = urlsplit(url)
        conn = HTTPConnection(parts.hostname or "", parts.port)
        try:
            conn.request("POST", parts.path, body=body, headers=headers)
            conn.getresponse().read()
        finally:
            conn.close()
    elif library == "http.client-putheader":
        import http.client

        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        try:
            conn.putrequest("POST", parts.path, skip_accept_encoding=True)
            for name, value in pairs:
                conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            conn.getresponse().read()
        finally:
            conn.close()
    elif library == "aiohttp":
        import aiohttp
        from multidict import CIMultiDict

        async def run() -> None:
            async with aiohttp.ClientSession() as session, \
                    session.post(url, data=body, headers=CIMultiDict(pairs)) as response:
                await response.read()

        asyncio.run(run())
    else:
        raise AssertionError(library)


REPEATING = ["httpx", "httpx-async", "httpx2", "httpx2-async", "urllib3", "urllib3-connection",
             "http.client-putheader", "aiohttp"]


@pytest.mark.parametrize("library", REPEATING)
def test_sanitize_keeps_repeated_header_lines_apart(library: str, server: RecordingServer,
                                                    guard_on) -> None:
    _send_repeated(library, server.url("/ok"), b"note", COOKIES)
    plain = server.last()
    assert _lines(plain, "cookie") == ["a=1", "b=2", "c=3"]
    guard_on()
    _send_repeated(library, server.url("/ok"), b"note " + MARKER.encode(), COOKIES)
    got = server.last()
    assert got.body == b"note " + REPLACEMENT.encode()
    assert _lines(got, "cookie") == ["a=1", "b=2", "c=3"]  # never one "a=1, b=2, c=3" cookie
    assert _lines(got, "x-trace") == ["t1"]


@pytest.mark.parametrize("library", ["httpx", "urllib3", "aiohttp"])
def test_a_redacted_repeated_header_keeps_its_other_lines(library: str, server: RecordingServer,
                                                          guard_on) -> None:
    guard_on()
    pairs = [("Cookie", "a=1"), ("Cookie", f"s={MARKER}"), ("Cookie", "c=3")]
    _send_repeated(library, server.url("/ok"), b"note", pairs)
    assert _lines(server.last(), "cookie") == ["a=1", f"s={REPLACEMENT}", "c=3"]


# ------------------------------------------------------------------------------------ one decision per hop
class _PathRules(RuleScanner):
    """The rule scanner, plus: the marker in the URL path is replaced (brackets and all, as the
    embedded engine's ``[REDACTED:TYPE]`` is): characters urllib3 percent-encodes on its way down."""

    def scan(self, **kwargs: Any) -> ScanResponse:
        response = super().scan(**kwargs)
        parts = urlsplit(kwargs["url"])
        if MARKER not in parts.path or response.decision != "ALLOW":
            return response
        path = parts.path.replace(MARKER, "[REDACTED:X] {1}")
        return ScanResponse(decision="SANITIZE", reason_codes=[ReasonCode.SECRET_DETECTED],
                            sanitized_url=urlunsplit(parts._replace(path=path)))


def test_requests_path_sanitized_is_decided_once(server: RecordingServer) -> None:
    import requests

    scanner = _PathRules()
    interven_autoguard.install(Settings(), scanner=scanner)  # type: ignore[arg-type]
    try:
        assert requests.get(server.url(f"/files/{MARKER}"), timeout=10).status_code == 200
    finally:
        interven_autoguard.uninstall()
    assert [urlsplit(c.url).path for c in scanner.calls] == [f"/files/{MARKER}"]
    assert server.last().target == "/files/%5BREDACTED:X%5D%20%7B1%7D"


@pytest.mark.parametrize("target", [f"/files/{MARKER}", f"/files/{MARKER}?page=2"])
def test_urllib3_sanitized_target_is_decided_once(server: RecordingServer, target: str) -> None:
    """urlopen sends the sanitized target through its connection's request(): that call is the
    hop urlopen decided, not a new one (nor one the scanner sees with the redaction in it)."""
    import urllib3

    scanner = _PathRules()
    interven_autoguard.install(Settings(), scanner=scanner)  # type: ignore[arg-type]
    try:
        with urllib3.PoolManager() as pool:
            assert pool.request("GET", server.url(target)).status == 200
    finally:
        interven_autoguard.uninstall()
    assert [urlsplit(c.url).path for c in scanner.calls] == [f"/files/{MARKER}"]
    assert server.last().target.startswith("/files/%5BREDACTED:X%5D%20%7B1%7D")


def test_hop_key_treats_percent_encoding_alike() -> None:
    from interven_autoguard.guard.core import hop_key

    base = "http://127.0.0.1:8080"
    assert hop_key("GET", base + "/f/[x] y") == hop_key("GET", base + "/f/%5bx%5D%20y")
    assert hop_key("GET", base + "/f?q=[é]") == hop_key("GET", base + "/f?q=%5B%C3%A9%5D")
    assert hop_key("GET", base + "/f/100%") == hop_key("GET", base + "/f/100%25")
    assert hop_key("GET", base + "/a%2Fb") != hop_key("GET", base + "/a/b")  # not the same resource
    assert hop_key("GET", base + "/f?a=1&b=2") != hop_key("GET", base + "/f?a=1%26b=2")


def test_requests_path_secret_is_one_span_with_the_engine(tmp_path: Path) -> None:
    results = run_script("""
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        import interven_autoguard, requests
        from interven_autoguard.engine.secrets import validators
        body = "Q4w8Er2tY6uI0oP3aS7dF1gH5jK9lZ"  # built at run time: no credential-shaped literal
        token = "ghp_" + body + validators.crc32_base62(body)
        interven_autoguard.install(Settings())
        requests.get(server.url("/files/" + token), timeout=5)
        results["spans"] = [(s.attributes["interven.layer"], s.attributes["interven.decision"])
                            for s in exporter.get_finished_spans()]
        results["target"] = server.requests[-1].target
    """, tmp_path)
    assert results["spans"] == [["requests", "SANITIZE"]]
    assert results["target"] == "/files/%5BREDACTED:GITHUB_PAT%5D"
