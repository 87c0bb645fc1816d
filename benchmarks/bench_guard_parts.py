"""Where a guarded httpx request's extra time goes, in place: ``python benchmarks/bench_guard_parts.py``.

A part of the guard timed in a loop runs with its code and data in the caches; inside a real request
the HTTP stack, the kernel and the server's reply have pushed them out since its last call, and a
part costs several times its loop time. So each part here runs where the guard runs: in front of
httpx's own ``HTTPTransport.handle_request``, once per request, on the same 1 KB JSON POST to the
same keep-alive loopback server as ``bench_guard.py``. One client per arm; every round sends one
request through each arm in a shuffled order, and an arm's cost is the median over rounds of its
request's time minus the plain arm's in that round.

Arms: plain (no guard); an empty wrapper (one more Python frame); the blob check and the RE2 ``Set``
of the engine's triage (on the body, and on an empty input: the cost of calling it at all); the
engine's quiet lane (``quiet_allow``: URL, headers and body, no adapter or core); the whole guard.
A diagnosis, not a goal: the goal is ``bench_guard.py``'s ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import safetynet  # noqa: E402  - loopback only, even if the guard under test is broken

safetynet.install()

import bench_guard  # noqa: E402

HEADERS = {"Content-Type": "application/json"}


def arms(scanner: Any, body: bytes, url: str) -> dict[str, Callable[[Any], Any] | None]:
    """What runs before the library's own send, by arm; None: the guarded twin (the real hook)."""
    from interven_autoguard.engine import decoding_layers, triage

    match = triage._matches()
    return {
        "plain (no guard)": lambda request: None,
        "an empty wrapper": lambda request: None,
        "blob check": lambda request: decoding_layers.ascii_runs_decode_to_nothing(body),
        "RE2 Set, empty input": lambda request: match(b""),
        "RE2 Set, the body": lambda request: match(body),
        "engine's quiet lane": lambda request: scanner.quiet_allow("POST", url, request.headers.raw, body),
        "the whole guard": None,
    }


def client_running(part: Callable[[Any], Any] | None, plain: bool) -> Any:
    """An httpx client whose transport runs ``part`` before the library's original send (``plain``:
    the original alone; ``part`` None: the guarded twin)."""
    import httpx

    if part is None:
        return bench_guard.httpx_client(True)
    unguarded = bench_guard.twin(httpx.HTTPTransport, False)
    if plain:
        return httpx.Client(transport=unguarded())
    original = unguarded.handle_request

    def handle_request(self: Any, request: Any) -> Any:
        part(request)
        return original(self, request)

    return httpx.Client(transport=type("PartTransport", (unguarded,), {"handle_request": handle_request})())


def measure(url: str, rounds: int, warm_up: int = 200, seed: int = 1) -> tuple[float, dict[str, float]]:
    """The plain request's median seconds, and each other arm's median extra seconds over it."""
    from interven_autoguard.engine.scanner import LocalScanner

    body = bench_guard.body_1k()
    scanner = LocalScanner()
    scanner.warm_up()
    with bench_guard.installed(scanner):
        parts = arms(scanner, body, url)
        clients = {name: client_running(part, name.startswith("plain")) for name, part in parts.items()}
        names = list(clients)
        clock = time.perf_counter

        def send(name: str) -> float:
            t0 = clock()
            clients[name].post(url, content=body, headers=HEADERS)
            return clock() - t0

        for _ in range(warm_up):
            for name in names:
                send(name)
        times: dict[str, list[float]] = {name: [] for name in names}
        order = names[:]
        rng = random.Random(seed)
        for _ in range(rounds):
            rng.shuffle(order)
            for name in order:
                times[name].append(send(name))
        for client in clients.values():
            client.close()
    plain = times[names[0]]
    return statistics.median(plain), {
        name: statistics.median(t - p for t, p in zip(times[name], plain)) for name in names[1:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    server, port = bench_guard.start_server()
    try:
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        plain, extra = measure(url, args.rounds)
    finally:
        server.terminate()
    print(f"httpx, 1 KB JSON POST to loopback, {args.rounds} rounds: "
          f"plain request {plain * 1e6:.0f} µs (median)")
    for name, seconds in extra.items():
        print(f"  {name:<24} {seconds * 1e6:+6.1f} µs  ({seconds / plain * 100:+5.1f} % of a request)")


if __name__ == "__main__":
    main()
