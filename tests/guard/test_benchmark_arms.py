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
