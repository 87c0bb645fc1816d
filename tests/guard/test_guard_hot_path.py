"""The per-request shortcuts of the guard and the embedded engine keep every decision unchanged:
a request hash computed only when an approval needs it (and then the same hash), verdict and hop-key
caches that cannot hand one request another request's answer."""

from __future__ import annotations

from typing import Any

import pytest
from guardkit import RecordingServer
from hypothesis import given, settings
from hypothesis import strategies as st

import interven_autoguard
from interven_autoguard.config import Settings
from interven_autoguard.engine.policy import Policy
from interven_autoguard.engine.scanner import LocalScanner
from interven_autoguard.guard import core
from interven_autoguard.guard.core import hop_key, request_hash
from interven_autoguard.guard.headers import to_dict
from interven_autoguard.model import Decision, ReasonCode, ScanResponse
from interven_autoguard.scanner import APPROVED


class DeferredHashScanner:
    """Takes the request hash as a callable, like the embedded engine; records what it saw."""

    name = "deferred"

    def __init__(self, decision: str) -> None:
        self.decision = decision
        self.hashes: list[str] = []
        self.waited_with: list[str] = []

    def scan(self, **kwargs: Any) -> ScanResponse:
        digest = kwargs.get("request_hash")
        return self._scan_deferred_hash(kwargs["method"], kwargs["url"], kwargs.get("headers"),
                                        kwargs.get("body"), kwargs.get("agent_id"), lambda: digest)

    scan.deferred_hash_entry = "_scan_deferred_hash"  # type: ignore[attr-defined]

    def _scan_deferred_hash(self, method: str, url: str, headers: Any, body: Any, agent_id: Any,
                            hash_of: Any) -> ScanResponse:
        if self.decision != "REQUIRE_APPROVAL":
            return ScanResponse(decision=self.decision)
        self.hashes.append(hash_of())
        return ScanResponse(decision="REQUIRE_APPROVAL", reason_codes=[ReasonCode.APPROVAL_REQUIRED],
                            approval_id="ap-1")

    def wait_for_approval(self, approval_id: str, *, request_hash: str, timeout: float,
                          on_state: Any = None) -> str:
        self.waited_with.append(request_hash)
        return APPROVED

    async def await_approval(self, approval_id: str, **kwargs: Any) -> str:
        return self.wait_for_approval(approval_id, **kwargs)


@pytest.fixture
def counted_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = core.request_hash

    def counting(*args: Any) -> str:
        seen.append(original(*args))
        return seen[-1]

    monkeypatch.setattr(core, "request_hash", counting)
    return seen


def test_allowed_request_is_not_hashed_for_a_deferred_hash_scanner(
        server: RecordingServer, counted_hashes: list[str]) -> None:
    import requests

    scanner = DeferredHashScanner("ALLOW")
    interven_autoguard.install(Settings(), scanner=scanner)
    try:
        assert requests.post(server.url("/ok"), data=b'{"a": 1}', timeout=10).status_code == 200
    finally:
        interven_autoguard.uninstall()
    assert counted_hashes == [] and scanner.hashes == []
    assert server.last().body == b'{"a": 1}'


def test_approval_is_bound_to_the_same_hash_the_guard_waits_with(
        server: RecordingServer, counted_hashes: list[str]) -> None:
    import requests

    scanner = DeferredHashScanner("REQUIRE_APPROVAL")
    interven_autoguard.install(Settings(), scanner=scanner)
    try:
        assert requests.post(server.url("/pay"), data=b"x=1", timeout=10).status_code == 200
    finally:
        interven_autoguard.uninstall()
    assert len(counted_hashes) == 1  # once, shared by the approval and the wait
    assert scanner.hashes == scanner.waited_with == counted_hashes


def test_a_local_scanner_subclass_overriding_scan_is_called_through_scan() -> None:
    calls: list[str | None] = []

    class Recording(LocalScanner):
        def scan(self, **kwargs: Any) -> ScanResponse:  # type: ignore[override]
            calls.append(kwargs.get("request_hash"))
            return super().scan(**kwargs)

    assert core._deferred_hash_scan(Recording()) is None
    assert core._deferred_hash_scan(LocalScanner()) is not None
    guard = core.Guard(Settings(), Recording())
    from interven_autoguard.guard.bodies import Captured

    with guard.hop(library="requests", layer="requests", method="POST", url="http://127.0.0.1:9/x",
                   headers={"A": "1"}, body=Captured(b"hi", b"hi")) as hop:
        assert hop.rewrite is None
    assert calls == [request_hash("POST", "http://127.0.0.1:9/x", {"A": "1"}, b"hi")]


POLICY = """
[settings]
private_network = "ALLOW"

[[rules]]
id = "agent-x-may-not-post"
decision = "DENY"
methods = ["POST"]
agent_ids = ["agent-x"]
hosts = ["127.0.0.1"]
paths = ["/jobs"]
"""


def test_cached_clean_verdicts_follow_method_agent_url_and_policy() -> None:
    scanner = LocalScanner(policy=POLICY)
    url = "http://127.0.0.1:8080/jobs"

    def decide(method: str, agent: str | None, target: str = url) -> Decision:
        return Decision(scanner.scan(method=method, url=target, body=b"plain words", agent_id=agent).decision)

    for _ in range(2):  # the second round is answered from the cache
        assert decide("POST", "agent-x") is Decision.DENY
        assert decide("POST", "agent-y") is Decision.ALLOW
        assert decide("POST", None) is Decision.ALLOW
        assert decide("GET", "agent-x") is Decision.ALLOW
        assert decide("POST", "agent-x", url + "/../other") is Decision.ALLOW
    scanner.policy = Policy.load(None)  # another policy: nothing cached under the old one applies
    assert decide("POST", "agent-x") is Decision.ALLOW


def test_clean_verdict_cache_is_bounded() -> None:
    scanner = LocalScanner()
    for i in range(1100):
        scanner.scan(method="GET", url=f"https://api.example.com/items/{i}")
    assert len(scanner._clean_verdicts[1]) <= 1024


def test_hop_keys_are_the_same_cached_or_not() -> None:
    short = "HTTP://Example.COM:80/a?b=1"
    assert hop_key("get", short) == hop_key("GET", "http://example.com/a?b=1") == core._hop_key("get", short)
    long_url = "http://example.com/" + "a" * 5000
    assert hop_key("POST", long_url) == core._hop_key("POST", long_url)
    assert hop_key("GET", "http://[::1/") == ("GET", "http://[::1/")  # unparsable: as given


def test_raw_byte_headers_keep_names_and_join_repeats() -> None:
    raw = [(b"Host", b"h"), (b"X-A", b"1"), (b"x-a", b"2"), (b"X-B", b"\xe9")]
    assert to_dict(raw) == {"Host": "h", "X-A": "1, 2", "X-B": "\xe9"}
    assert to_dict([(b"Host", b"h"), (b"Accept", b"*/*")]) == {"Host": "h", "Accept": "*/*"}


URL_PARTS = st.tuples(
    st.sampled_from(["http", "https"]),
    st.sampled_from(["", "user@", "user:pw@"]),
    st.sampled_from(["127.0.0.1", "[::1]", "api.example.com", "xn--caf-dma.example"]),
    st.sampled_from(["", ":80", ":443", ":8443"]),
    st.text(alphabet="/ab%20é?=&#", max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(URL_PARTS, min_size=1, max_size=6))
def test_httpx_url_text_is_str_of_the_url(parts: list[tuple[str, str, str, str, str]]) -> None:
    """The adapter remembers ``str(url)`` by the URL's parsed parts: each answer, remembered or
    not, is what ``str()`` gives (httpx and httpx2)."""
    import httpx
    import httpx2

    from interven_autoguard.integrations import httpx as adapter

    for lib in (httpx, httpx2):
        for scheme, userinfo, host, port, rest in parts:
            try:
                url = lib.URL(f"{scheme}://{userinfo}{host}{port}/{rest}")
            except lib.InvalidURL:
                continue
            assert adapter._url_text(url, lib) == str(url)
            joined = url.join("../x?y=1")
            assert adapter._url_text(joined, lib) == str(joined)
            assert adapter._url_text(url.copy_with(path="/other"), lib) == str(url.copy_with(path="/other"))


def test_httpx_url_text_asks_a_url_subclass_itself() -> None:
    import httpx

    from interven_autoguard.integrations import httpx as adapter

    class Shown(httpx.URL):
        def __str__(self) -> str:
            return "http://127.0.0.1/shown"

    plain = httpx.URL("http://127.0.0.1/x")
    assert adapter._url_text(plain, httpx) == "http://127.0.0.1/x"
    assert adapter._url_text(Shown("http://127.0.0.1/x"), httpx) == "http://127.0.0.1/shown"


def test_absolute_urls_are_the_same_remembered_or_not() -> None:
    from interven_autoguard.integrations import http_client

    for target in ("/a?b=1", "a", "/" + "x" * 600):
        for host, port in (("127.0.0.1", 8080), ("::1", None), ("[::1]", 443)):
            assert http_client.absolute_url("http", host, port, target) == \
                http_client._joined_url("http", host, port, target)
    assert http_client.absolute_url("https", "::1", 8443, "/p") == "https://[::1]:8443/p"
