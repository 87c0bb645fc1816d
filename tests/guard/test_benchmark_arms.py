"""The method of ``benchmarks/bench_guard.py``: its unguarded client really runs without the guard,
its guarded one really through it, and its pairs alternate. (Timings are the benchmark's business,
never asserted here.)"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from guardkit import RecordingServer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import bench_guard


def test_the_arms_reach_the_guard_as_labelled(server: RecordingServer) -> None:
    bench_guard.check_arms(server.url("/bench"))
    assert len(server.requests) == 4  # every arm's request was sent and received


def test_the_check_fails_when_the_unguarded_twin_keeps_the_patches(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def untouched(cls: type, guarded: bool, **attributes: Any) -> type:
        return type("Twin" + cls.__name__, (cls,), attributes)

    monkeypatch.setattr(bench_guard, "twin", untouched)
    with pytest.raises(AssertionError, match="guarded=False"):
        bench_guard.check_arms(server.url("/bench"))


def test_unguarded_twins_hold_the_originals_and_nothing_else() -> None:
    import http.client

    import httpx
    import urllib3.connection

    from interven_autoguard.guard.patching import is_guard_wrapper

    with bench_guard.installed(bench_guard.AllowAll()):
        stock = {name: getattr(urllib3.connection.HTTPConnection, name)
                 for name in ("request", "endheaders", "send")}
        assert all(is_guard_wrapper(method) for method in stock.values())
        plain = bench_guard.twin(urllib3.connection.HTTPConnection, False)
        assert {name for name in vars(plain) if not name.startswith("__")} == set(stock)
        assert plain.endheaders is http.client.HTTPConnection.endheaders.__wrapped__
        assert bench_guard.twin(httpx.HTTPTransport, False).handle_request is \
            httpx.HTTPTransport.handle_request.__wrapped__
        assert not any(name for name in vars(bench_guard.twin(httpx.HTTPTransport, True))
                       if not name.startswith("__"))


def test_pairs_alternate_their_order_after_the_warm_up() -> None:
    calls: list[str] = []
    result = bench_guard.pairs(lambda: calls.append("p"), lambda: calls.append("g"), count=6, warm_up=2)
    assert "".join(calls) == "pgpg" + "gp" + "pg" + "gp" + "pg" + "gp" + "pg"
    assert result.q1 <= result.ratio <= result.q3


def test_the_parts_benchmark_times_what_it_names(server: RecordingServer) -> None:
    """``bench_guard_parts.py``: its lane arm is the quiet lane allowing the benchmark's body (not a
    refusal, which would time something else), its triage arms find nothing, every arm sends the
    request, and only the last arm goes through the guard."""
    import bench_guard_parts

    from interven_autoguard.engine.scanner import LocalScanner

    url = server.url("/v1/chat/completions")
    scanner, body = LocalScanner(), bench_guard.body_1k()
    parts = bench_guard_parts.arms(scanner, body, url)
    assert list(parts)[-1] == "the whole guard" and parts["the whole guard"] is None

    class Raw:
        class headers:  # stands for an httpx request's headers
            raw = [(b"Host", server.url("").split("//")[1].rstrip("/").encode()),
                   (b"Content-Type", b"application/json"), (b"Content-Length", str(len(body)).encode())]

    assert parts["engine's quiet lane"](Raw) is True
    assert parts["blob check"](Raw) is True  # no run that decodes to anything
    # Only the triage's canary, the entry every pass that worked reports (triage.CANARY).
    assert len(parts["RE2 Set, the body"](Raw)) == len(parts["RE2 Set, empty input"](Raw)) == 1

    scanned = bench_guard.Counting()
    with bench_guard.installed(scanned):
        for name, part in parts.items():
            before = scanned.calls
            with bench_guard_parts.client_running(part, name.startswith("plain")) as client:
                client.post(url, content=body, headers=bench_guard_parts.HEADERS)
            assert scanned.calls - before == (part is None), name
    assert len(server.requests) == len(parts)
    assert all(request.body == body for request in server.requests)

    plain, extra = bench_guard_parts.measure(url, rounds=2, warm_up=1)
    assert plain > 0 and list(extra) == list(parts)[1:]
    assert len(server.requests) == len(parts) * 4
