"""The rule tables compile once, lazily, and concurrent first use from many threads is safe."""

from __future__ import annotations

import threading

from secret_samples import SAMPLES

from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets import _engine


def test_concurrent_first_use_and_prefilter_swap(monkeypatch) -> None:
    texts = [SAMPLES[rule_id]()[0] for rule_id in sorted(SAMPLES)]
    expected = [[(h.detector, h.start, h.end) for h in secrets.detect(t)] for t in texts]
    _engine.wait_for_fast_prefilter()
    saved = _engine._compiled
    _engine._compiled = None  # force a fresh compile raced by all threads (and a background swap)
    builds: list[int] = []
    original_init = _engine._Compiled.__init__

    def counting_init(self: _engine._Compiled) -> None:
        builds.append(1)
        original_init(self)

    monkeypatch.setattr(_engine._Compiled, "__init__", counting_init)
    errors: list[BaseException] = []
    results: dict[int, list[list[tuple[str, int, int]]]] = {}
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            start.wait()
            out = []
            for _ in range(3):
                out = [[(h.detector, h.start, h.end) for h in secrets.detect(t)] for t in texts]
            results[n] = out
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors
        assert all(results[n] == expected for n in range(8))
        assert len(builds) == 1
        _engine.wait_for_fast_prefilter()
        assert [[(h.detector, h.start, h.end) for h in secrets.detect(t)] for t in texts] == expected
    finally:
        _engine.wait_for_fast_prefilter()
        _engine._compiled = saved
