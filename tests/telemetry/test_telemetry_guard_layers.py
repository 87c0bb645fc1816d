"""With the real guard and engine: exactly one span per hop, for every library layer and decision."""

from __future__ import annotations

import asyncio
import secrets
import string
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator

import otel_harness
import pytest
from opentelemetry.trace import StatusCode
from runner_like_server import AppServer, app_server

import interven_autoguard
from interven_autoguard.errors import RequestBlocked

if not callable(getattr(interven_autoguard, "guarded", None)):  # pragma: no cover
    pytest.skip("interven_autoguard.guarded() is not available yet", allow_module_level=True)

METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


def _github_token() -> str:
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
    body = "".join(secrets.choice(alphabet) for _ in range(30))
    crc, check = zlib.crc32(body.encode()), ""
    while crc:
        crc, rem = divmod(crc, 62)
        check = alphabet[rem] + check
    return "ghp_" + body + check.rjust(6, "0")


def _post_requests(url: str, body: bytes) -> int:
    import requests

    return requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10).status_code


def _post_urllib3(url: str, body: bytes) -> int:
    import urllib3

    with urllib3.PoolManager() as pool:
        return pool.request("POST", url, body=body, headers={"Content-Type": "application/json"},
                            retries=False).status


def _post_httpx(url: str, body: bytes) -> int:
    import httpx

    with httpx.Client() as client:
        return client.post(url, content=body, headers={"Content-Type": "application/json"}).status_code


def _post_httpx2(url: str, body: bytes) -> int:
    httpx2 = pytest.importorskip("httpx2")
    with httpx2.Client() as client:
        return client.post(url, content=body, headers={"Content-Type": "application/json"}).status_code


def _post_httpx_async(url: str, body: bytes) -> int:
    import httpx

    async def go() -> int:
        async with httpx.AsyncClient() as client:
            r = await client.post(url, content=body, headers={"Content-Type": "application/json"})
            return r.status_code

    return asyncio.run(go())


def _post_urllib(url: str, body: bytes) -> int:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.URLError as exc:  # urllib wraps the guard's OSError subclass
        if isinstance(exc.reason, RequestBlocked):
            raise exc.reason from None
        raise


def _post_aiohttp(url: str, body: bytes) -> int:
    aiohttp = pytest.importorskip("aiohttp")

    async def go() -> int:
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
                return r.status

    return asyncio.run(go())


CLIENTS: dict[str, tuple[str, Callable[[str, bytes], int]]] = {
    "requests": ("requests", _post_requests),
    "urllib3": ("urllib3", _post_urllib3),
    "httpx": ("httpx", _post_httpx),
    "httpx-async": ("httpx", _post_httpx_async),
    "httpx2": ("httpx2", _post_httpx2),
    "urllib": ("http.client", _post_urllib),
    "aiohttp": ("aiohttp", _post_aiohttp),
}


# The http.client hook (HTTPConnection.request) and aiohttp's (ClientRequest.send) return before the
# response is read, so their spans end without a status code.
RECORDS_STATUS = {"requests", "urllib3", "httpx", "httpx2"}


@pytest.fixture
def otel() -> otel_harness.Harness:
    h = otel_harness.sdk()
    h.clear()
    return h


@pytest.fixture
def app() -> Iterator[AppServer]:
    with app_server() as server:
        yield server


@pytest.mark.parametrize("client", list(CLIENTS))
def test_one_span_per_hop_with_the_layer_and_decision(otel, app, client):
    layer, post = CLIENTS[client]
    token = _github_token()
    with interven_autoguard.guarded(mode="enforce"):
        assert post(app.url, b'{"q": "weather in Paris"}') == 200
        assert post(app.url, ('{"note": "use ' + token + '"}').encode()) == 200
        with pytest.raises(RequestBlocked):
            post(METADATA, b"{}")

    spans = otel.guard_spans()
    assert [s.attributes["interven.decision"] for s in spans] == ["ALLOW", "SANITIZE", "DENY"], [
        (s.name, s.attributes.get("interven.layer")) for s in spans]
    assert {s.attributes["interven.layer"] for s in spans} == {layer}
    allow, sanitize, deny = spans
    if layer in RECORDS_STATUS:
        assert allow.attributes["http.response.status_code"] == 200
    assert allow.attributes["server.port"] == app.port
    assert sanitize.attributes["interven.redactions"] >= 1
    assert "SECRET_DETECTED" in sanitize.attributes["interven.reason_codes"]
    assert deny.status.status_code is StatusCode.ERROR
    assert "SSRF_METADATA" in deny.attributes["interven.reason_codes"]
    assert "error.type" in deny.attributes and "http.response.status_code" not in deny.attributes
    # The server got the first two, the second without the token.
    assert len(app.received) == 2
    assert token.encode() not in app.received[1][2]
    assert all(token not in s.to_json() for s in spans)


def test_monitor_mode_span_says_what_enforce_would_have_done(otel, app):
    with interven_autoguard.guarded(mode="monitor"):
        _post_requests(app.url, ('{"note": "use ' + _github_token() + '"}').encode())
    (span,) = otel.guard_spans()
    assert span.attributes["interven.decision"] == "ALLOW"
    assert span.attributes["interven.would_be_decision"] == "SANITIZE"
    assert span.attributes["interven.mode"] == "monitor"


def test_direct_scan_emits_a_scan_span(otel):
    result = interven_autoguard.scan(method="GET", url=METADATA)
    (span,) = otel.guard_spans()
    assert span.name == "interven.scan GET"
    assert span.attributes["interven.decision"] == str(result.decision) == "DENY"
    assert span.attributes["interven.layer"] == "scan"
