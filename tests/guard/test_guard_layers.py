"""Patching: class level, exactly restorable, never twice; nested layers decide once per hop."""

from __future__ import annotations

import asyncio
import importlib
import inspect

import pytest
from guardkit import RecordingServer, RuleScanner, redirect_path

import interven_autoguard
from interven_autoguard import RequestBlocked
from interven_autoguard.config import Settings
from interven_autoguard.guard import patched_methods
from interven_autoguard.guard.patching import AlreadyGuarded, Patcher, is_guard_wrapper

EXPECTED = {
    "requests.adapters.HTTPAdapter.send",
    "urllib3.connectionpool.HTTPConnectionPool.urlopen",
    "httpx.HTTPTransport.handle_request",
    "httpx.AsyncHTTPTransport.handle_async_request",
    "httpx2.HTTPTransport.handle_request",
    "httpx2.AsyncHTTPTransport.handle_async_request",
    "urllib3.connection.HTTPConnection.request",
    "http.client.HTTPConnection.request",
    "http.client.HTTPConnection.endheaders",
    "http.client.HTTPConnection.send",
    "aiohttp.connector.BaseConnector.connect",
}


def _originals() -> dict[str, object]:
    import http.client

    import aiohttp.connector
    import httpx
    import httpx2
    import requests.adapters
    import urllib3.connection
    import urllib3.connectionpool

    owners = {
        "requests.adapters.HTTPAdapter.send": (requests.adapters.HTTPAdapter, "send"),
        "urllib3.connectionpool.HTTPConnectionPool.urlopen":
            (urllib3.connectionpool.HTTPConnectionPool, "urlopen"),
        "httpx.HTTPTransport.handle_request": (httpx.HTTPTransport, "handle_request"),
        "httpx.AsyncHTTPTransport.handle_async_request": (httpx.AsyncHTTPTransport, "handle_async_request"),
        "httpx2.HTTPTransport.handle_request": (httpx2.HTTPTransport, "handle_request"),
        "httpx2.AsyncHTTPTransport.handle_async_request": (httpx2.AsyncHTTPTransport, "handle_async_request"),
        "urllib3.connection.HTTPConnection.request": (urllib3.connection.HTTPConnection, "request"),
        "http.client.HTTPConnection.request": (http.client.HTTPConnection, "request"),
        "http.client.HTTPConnection.endheaders": (http.client.HTTPConnection, "endheaders"),
        "http.client.HTTPConnection.send": (http.client.HTTPConnection, "send"),
        "aiohttp.BaseConnector.connect": (aiohttp.connector.BaseConnector, "connect"),
    }
    return {name: vars(owner)[attr] for name, (owner, attr) in owners.items()}


def test_install_patches_each_hook_once_and_uninstall_restores_the_originals(scanner: RuleScanner) -> None:
    before = _originals()
    interven_autoguard.install(Settings(), scanner=scanner)
    try:
        assert set(patched_methods()) == EXPECTED
        assert all(is_guard_wrapper(v) for v in _originals().values())
        interven_autoguard.install(Settings(mode="monitor"), scanner=scanner)  # reconfigure: no re-patch
        assert sorted(patched_methods()) == sorted(EXPECTED)
    finally:
        interven_autoguard.uninstall()
    after = _originals()
    assert all(after[name] is before[name] for name in before)
    assert patched_methods() == []


def test_install_is_idempotent(scanner: RuleScanner) -> None:
    try:
        first = interven_autoguard.install(Settings(), scanner=scanner)
        assert interven_autoguard.install(Settings(), scanner=scanner) is first
    finally:
        interven_autoguard.uninstall()


def test_a_second_patcher_cannot_wrap_a_guarded_method(scanner: RuleScanner, guard_on) -> None:
    import requests.adapters

    guard_on()
    with pytest.raises(AlreadyGuarded):
        Patcher().wrap(requests.adapters.HTTPAdapter, "send", lambda w, i, a, k: w(*a, **k))


def test_inherited_attribute_is_deleted_again_on_unpatch() -> None:
    class Base:
        def go(self) -> str:
            return "base"

    class Child(Base):
        pass

    patcher = Patcher()
    patcher.wrap(Child, "go", lambda wrapped, instance, args, kwargs: "wrapped:" + wrapped(*args, **kwargs))
    assert Child().go() == "wrapped:base" and "go" in vars(Child)
    patcher.unpatch_all()
    assert "go" not in vars(Child) and Child().go() == "base"


def test_wrappers_keep_introspection() -> None:
    import httpx
    import requests.adapters

    signature = inspect.signature(requests.adapters.HTTPAdapter.send)
    coroutine = inspect.iscoroutinefunction(httpx.AsyncHTTPTransport.handle_async_request)
    interven_autoguard.install(Settings(), scanner=RuleScanner())
    try:
        assert inspect.signature(requests.adapters.HTTPAdapter.send) == signature
        assert requests.adapters.HTTPAdapter.send.__name__ == "send"
        assert inspect.iscoroutinefunction(httpx.AsyncHTTPTransport.handle_async_request) is coroutine is True
    finally:
        interven_autoguard.uninstall()


def test_another_tool_wrapping_over_the_guard_is_left_working(server: RecordingServer,
                                                              scanner: RuleScanner) -> None:
    import requests
    import requests.adapters
    import wrapt

    original = vars(requests.adapters.HTTPAdapter)["send"]
    seen: list[str] = []
    try:
        interven_autoguard.install(Settings(), scanner=scanner)

        def other(wrapped, instance, args, kwargs):
            seen.append(args[0].url)
            return wrapped(*args, **kwargs)

        wrapt.wrap_function_wrapper(requests.adapters.HTTPAdapter, "send", other)
        interven_autoguard.uninstall()  # cannot unwrap under the other tool: becomes inert
        assert requests.get(server.url("/deny"), timeout=10).status_code == 200
        interven_autoguard.install(Settings(), scanner=scanner)  # re-uses its inert wrapper
        with pytest.raises(RequestBlocked):
            requests.get(server.url("/deny"), timeout=10)
        assert len(seen) == 2
    finally:
        interven_autoguard.uninstall()
        requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]
        importlib.import_module("interven_autoguard.guard.install")._patcher._patches.clear()


def test_requests_over_urllib3_is_scanned_once_per_hop(server: RecordingServer, scanner: RuleScanner,
                                                       guard_on) -> None:
    import requests

    guard_on()
    requests.get(server.url(redirect_path(302, "/ok")), timeout=10)
    assert [c.url for c in scanner.calls] == [server.url(redirect_path(302, "/ok")), server.url("/ok")]


@pytest.mark.parametrize("via", ["requests", "urllib3"])
def test_urlopen_own_connection_call_is_known_without_rebuilding_its_url(
        via: str, server: RecordingServer, scanner: RuleScanner, guard_on,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Under urlopen (and requests above it), the connection's request() with urlopen's own method
    and target is that hop: recognised as such, not by building its URL and comparing hop keys."""
    import requests
    import urllib3

    adapter = importlib.import_module("interven_autoguard.integrations.urllib3")
    built: list[str] = []
    original = adapter.connection_url
    monkeypatch.setattr(adapter, "connection_url",
                        lambda conn, target: built.append(target) or original(conn, target))
    guard_on()
    if via == "requests":
        assert requests.post(server.url("/ok?a=1"), data=b"x", timeout=10).status_code == 200
    else:
        with urllib3.PoolManager() as pool:
            assert pool.request("POST", server.url("/ok?a=1"), body=b"x").status == 200
    assert built == [] and len(scanner.calls) == 1
    connection = urllib3.connection.HTTPConnection("127.0.0.1", server.port)  # no urlopen above it
    connection.request("GET", "/ok")
    assert connection.getresponse().status == 200 and built == ["/ok"] and len(scanner.calls) == 2
    connection.close()


def test_urllib3_pool_redirect_is_a_new_hop(server: RecordingServer, scanner: RuleScanner, guard_on) -> None:
    import urllib3

    guard_on()
    pool = urllib3.HTTPConnectionPool("127.0.0.1", server.port)
    assert pool.urlopen("GET", redirect_path(302, "/ok"), redirect=True).status == 200
    assert [c.url for c in scanner.calls] == [server.url(redirect_path(302, "/ok")), server.url("/ok")]
    with pytest.raises(RequestBlocked):
        pool.urlopen("GET", redirect_path(302, "/deny"), redirect=True)


def test_urllib3_blocked_error_is_not_retried(server: RecordingServer, scanner: RuleScanner,
                                              guard_on) -> None:
    import urllib3

    guard_on()
    pool = urllib3.PoolManager(retries=urllib3.Retry(total=5, connect=5, backoff_factor=0))
    with pytest.raises(urllib3.exceptions.HTTPError) as caught:
        pool.request("GET", server.url("/deny"))
    assert isinstance(caught.value, RequestBlocked)
    assert len(scanner.calls) == 1 and server.connections == 0


def test_clients_created_before_install_are_guarded(server: RecordingServer, guard_on) -> None:
    import aiohttp
    import httpx
    import requests

    session = requests.Session()
    client = httpx.Client()

    async def run_aiohttp() -> None:
        async with aiohttp.ClientSession() as early:
            guard_on()
            with pytest.raises(aiohttp.ClientConnectionError):
                await early.get(server.url("/deny"))

    session.get(server.url("/ok"), timeout=10)
    client.get(server.url("/ok"))
    assert server.connections == 2
    guard_on()
    with pytest.raises(requests.ConnectionError):
        session.get(server.url("/deny"), timeout=10)
    with pytest.raises(httpx.ConnectError):
        client.get(server.url("/deny"))
    asyncio.run(run_aiohttp())
    client.close()
    assert len(server.requests) == 2


def test_guarded_block_applies_only_inside_and_unpatches_after(server: RecordingServer,
                                                               scanner: RuleScanner) -> None:
    import requests

    with interven_autoguard.guarded(Settings(), scanner=scanner) as guard:
        assert interven_autoguard.guard.active_guard() is guard
        with pytest.raises(RequestBlocked):
            requests.get(server.url("/deny"), timeout=10)
        with interven_autoguard.guarded(Settings(mode="monitor"), scanner=scanner):
            assert requests.get(server.url("/deny"), timeout=10).status_code == 200
        with pytest.raises(RequestBlocked):
            requests.get(server.url("/deny"), timeout=10)
    assert patched_methods() == []
    assert requests.get(server.url("/deny"), timeout=10).status_code == 200


def test_guarded_as_a_decorator_guards_each_call_of_a_coroutine_function_and_a_function(
        server: RecordingServer, scanner: RuleScanner) -> None:
    """``@guarded(...)`` on an ``async def`` used to scope only the creation of the coroutine: its
    calls then ran unguarded. Each call, and its whole ``await``, is guarded now; ``async with`` too."""
    import asyncio

    import httpx

    @interven_autoguard.guarded(Settings(), scanner=scanner)
    async def agent_step() -> int:
        async with httpx.AsyncClient() as client:
            return (await client.get(server.url("/deny"))).status_code

    @interven_autoguard.guarded(Settings(), scanner=scanner)
    def sync_step() -> int:
        return httpx.get(server.url("/deny")).status_code

    async def with_async_block() -> None:
        async with interven_autoguard.guarded(Settings(), scanner=scanner) as guard:
            assert interven_autoguard.guard.active_guard() is guard
            async with httpx.AsyncClient() as client:
                await client.get(server.url("/deny"))

    for _ in range(2):  # each call opens its own scope
        with pytest.raises(RequestBlocked):
            asyncio.run(agent_step())
        with pytest.raises(RequestBlocked):
            sync_step()
    with pytest.raises(RequestBlocked):
        asyncio.run(with_async_block())
    assert agent_step.__name__ == "agent_step" and patched_methods() == []
    assert server.connections == 0
    assert httpx.get(server.url("/deny")).status_code == 200  # outside every scope: not guarded


def test_one_guarded_object_may_be_entered_again_inside_itself(scanner: RuleScanner) -> None:
    scope = interven_autoguard.guarded(Settings(), scanner=scanner)
    with scope as outer:
        with scope as inner:
            assert interven_autoguard.guard.active_guard() is inner
        assert interven_autoguard.guard.active_guard() is outer
    assert interven_autoguard.guard.active_guard() is None


def test_disabled_settings_patch_nothing(scanner: RuleScanner, server: RecordingServer) -> None:
    import requests

    guard = interven_autoguard.install(Settings(disabled=True), scanner=scanner)
    assert patched_methods() == [] and not interven_autoguard.guard.is_installed()
    assert requests.get(server.url("/deny"), timeout=10).status_code == 200
    assert guard.settings.disabled and scanner.calls == []


def test_http_client_inside_an_already_scanned_hop_is_not_rescanned(server: RecordingServer,
                                                                     scanner: RuleScanner, guard_on) -> None:
    """urllib3 1.x sends through http.client: the hop urllib3 scanned must not be scanned again,
    while a different request made underneath is."""
    import http.client

    from interven_autoguard.guard.bodies import Captured

    guard = guard_on()
    url = server.url("/ok/layered")
    with guard.hop(library="urllib3", layer="urllib3", method="POST", url=url, headers={},
                   body=Captured(b"x", b"x")) as hop, hop.sending("POST", url):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("POST", "/ok/layered", body=b"x")
        conn.getresponse().read()
        conn.request("POST", "/ok/other", body=b"y")
        conn.getresponse().read()
        conn.close()
    assert [c.url for c in scanner.calls] == [url, server.url("/ok/other")]
