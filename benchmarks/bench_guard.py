"""Cost of the guard on real loopback HTTP. Run on demand: ``python benchmarks/bench_guard.py``.

For requests and httpx, a 1 KB JSON POST to a keep-alive loopback server, sent by two clients of the
same process in strict alternation, request by request: one guarded, one unguarded. The guard is
installed throughout; the unguarded client's classes are subclasses of the library's in which every
method the guard patched is the library's original again, so it runs exactly the code of a process
without the guard (the guarded client's classes are plain subclasses, for symmetry). Machines are
shared and noisy and their speed drifts by 2x within a minute: two requests sent one after the other
see the same machine, so each pair gives a ratio and the median of thousands of them is reported,
with the middle half of them (IQR). An A/A row, no guard on either side, shows the method's zero.

"guarded" uses the embedded engine; "guard core only" a scanner that allows everything without
looking, isolating the adapters + core from the engine (it has no quiet lane: every request builds
its span bookkeeping). Then, in a fresh interpreter, the RSS that ``install()`` adds with the
embedded engine loaded. Goals (issue 3): guarded/unguarded ≤ 1.10; ≤ 20 MB RSS added by install().
"""

from __future__ import annotations

import inspect
import json
import random
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import safetynet  # noqa: E402  - loopback only, even if the guard under test is broken

safetynet.install()

from interven_autoguard.model import Decision, ScanResponse  # noqa: E402

PAIRS = 2000  # per row, after WARM_UP pairs
WARM_UP = 200
WORDS = ("the agent asked for the quarterly report and summarised the customer feedback about "
         "shipping delays in the northern region while the team reviewed pricing tiers").split()


def body_1k() -> bytes:
    rng = random.Random(3)
    messages: list[dict[str, Any]] = []
    while len(json.dumps({"model": "gpt-x", "messages": messages})) < 1024:
        messages.append({"role": "user", "content": " ".join(rng.choice(WORDS) for _ in range(12))})
    return json.dumps({"model": "gpt-x", "messages": messages}).encode()


def agent_turn_1k() -> bytes:
    """~1 KB of an agent's turn as an SDK sends it: a dated model name, tool calls with their ids
    (which read like encoded data), a tool result carried back."""
    turn = {"model": "claude-3-5-sonnet-20241022", "max_tokens": 1024, "messages": [
        {"role": "user",
         "content": "What is the weather in Paris and in Berlin, and should I pack an umbrella?"},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Let me check both cities."},
            {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather",
             "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_01Bx7Rk2nDqW3cYhZ5mLpT8v", "name": "get_weather",
             "input": {"city": "Berlin"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9",
             "content": "Paris: 14 degrees, cloudy, light rain expected in the evening."},
            {"type": "tool_result", "tool_use_id": "toolu_01Bx7Rk2nDqW3cYhZ5mLpT8v",
             "content": "Berlin: 9 degrees, overcast, showers likely through the afternoon."}]}],
        "tools": [{"name": "get_weather", "description": "Current weather for a city.",
                   "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                    "required": ["city"]}}]}
    return json.dumps(turn).encode()


SERVER = """
import socketserver, sys

class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            length = 0
            if not self.rfile.readline():
                return
            while (header := self.rfile.readline()) not in (b"\\r\\n", b""):
                if header.lower().startswith(b"content-length:"):
                    length = int(header.split(b":")[1])
            self.rfile.read(length)
            self.wfile.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n"
                             b"Content-Type: application/json\\r\\n\\r\\n{}")

class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True

server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def start_server() -> tuple[subprocess.Popen[str], int]:
    """The server runs in its own process, so the client's CPU time is the client's alone."""
    process = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, int(process.stdout.readline())


class AllowAll:
    """Scanner that allows everything without looking: measures the guard's own overhead.

    Like the embedded engine, it takes the request hash lazily (it would need it only to create an
    approval), so the guard does not hash the request for it either."""

    name = "allow-all"

    def scan(self, **_: Any) -> Any:
        return self._scan_deferred_hash()

    scan.deferred_hash_entry = "_scan_deferred_hash"  # type: ignore[attr-defined]

    def _scan_deferred_hash(self, *_: Any) -> Any:
        return ScanResponse(decision=Decision.ALLOW)

    def wait_for_approval(self, approval_id: str, **_: Any) -> str:
        raise NotImplementedError

    async def await_approval(self, approval_id: str, **_: Any) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Pairs:
    plain: float  # median seconds per request
    guarded: float
    ratio: float  # median of the per-pair ratios guarded / plain
    q1: float  # their middle half: how far one run's median can be trusted
    q3: float

    def row(self, label: str, note: str = "(goal ≤ 1.10)") -> str:
        return (f"  {label:<28} {self.plain * 1e6:7.1f} → {self.guarded * 1e6:7.1f} µs  "
                f"ratio {self.ratio:5.3f} (IQR {self.q1:5.3f}–{self.q3:5.3f})   {note}")


def pairs(plain: Callable[[], Any], guarded: Callable[[], Any], count: int = PAIRS,
          warm_up: int = WARM_UP) -> Pairs:
    """Time ``plain`` and ``guarded`` one request each, ``count`` times, in alternating order (AB,
    BA: neither always runs on what the other left in the caches)."""
    for _ in range(warm_up):  # pools, caches, first-call imports of both
        plain()
        guarded()
    clock = time.perf_counter
    plain_times: list[float] = []
    guarded_times: list[float] = []
    for i in range(count):
        first, second = (plain, guarded) if i % 2 else (guarded, plain)
        t0 = clock()
        first()
        t1 = clock()
        second()
        t2 = clock()
        a, b = (t1 - t0, t2 - t1) if i % 2 else (t2 - t1, t1 - t0)
        plain_times.append(a)
        guarded_times.append(b)
    ratios = [g / p for p, g in zip(plain_times, guarded_times)]
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return Pairs(statistics.median(plain_times), statistics.median(guarded_times),
                 statistics.median(ratios), q1, q3)


def twin(cls: type, guarded: bool, **attributes: Any) -> type:
    """A subclass of ``cls``. Unguarded: every method the guard patched (in ``cls`` or inherited) is
    the library's original again, so its instances run the library's code as if nothing were
    installed. Guarded: a plain subclass, the guard's patches inherited."""
    from interven_autoguard.guard.patching import is_guard_wrapper

    namespace = dict(attributes)
    if not guarded:
        for name in dir(cls):
            method = inspect.getattr_static(cls, name)
            if is_guard_wrapper(method):
                namespace[name] = method.__wrapped__  # the patch keeps the original there
    return type(("Guarded" if guarded else "Unguarded") + cls.__name__, (cls,), namespace)


def requests_session(guarded: bool) -> Any:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection
    from urllib3.connectionpool import HTTPConnectionPool

    connection = twin(HTTPConnection, guarded)  # urllib3's, and http.client's methods it inherits
    adapter = twin(HTTPAdapter, guarded)()
    adapter.poolmanager.pool_classes_by_scheme = {"http": twin(HTTPConnectionPool, guarded,
                                                                ConnectionCls=connection)}
    session = requests.Session()
    session.mount("http://", adapter)
    return session


def httpx_client(guarded: bool) -> Any:
    import httpx

    return httpx.Client(transport=twin(httpx.HTTPTransport, guarded)())


class Counting(AllowAll):
    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def _scan_deferred_hash(self, *_: Any) -> Any:
        self.calls += 1
        return super()._scan_deferred_hash()


def check_arms(url: str) -> None:
    """The guarded clients reach the guard, the unguarded ones never do; raises if not."""
    scanner = Counting()
    with installed(scanner):
        for make in (requests_session, httpx_client):
            for guarded in (False, True):
                before = scanner.calls
                with make(guarded) as client:
                    client.post(url, content=b"{}") if make is httpx_client else client.post(url, data=b"{}")
                if scanner.calls - before != int(guarded):
                    raise AssertionError(f"{make.__name__}(guarded={guarded}) scanned "
                                         f"{scanner.calls - before} times")


@contextmanager
def installed(scanner: Any) -> Iterator[None]:
    import interven_autoguard
    from interven_autoguard.config import Settings

    interven_autoguard.install(Settings(), scanner=scanner)
    try:
        yield
    finally:
        interven_autoguard.uninstall()


def compare(label: str, make: Callable[[bool], Any], send: Callable[[Any], Any], scanner: Any | None,
            note: str = "(goal ≤ 1.10)") -> Pairs:
    """One row: ``send(client)`` through a guarded and an unguarded client (``make(guarded)``),
    with ``scanner`` installed (None: nothing installed, the A/A row)."""
    with installed(scanner) if scanner is not None else nullcontext():
        with make(False) as plain, make(True) as guarded:
            result = pairs(lambda: send(plain), lambda: send(guarded))
    print(result.row(label, note), flush=True)
    return result


def rss_added_by_install() -> float:
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "tests")!r}]
        import safetynet; safetynet.install()
        import requests, httpx  # the libraries an agent already has loaded

        def rss():
            with open("/proc/self/status") as f:
                return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

        before = rss()
        import interven_autoguard
        interven_autoguard.install()
        print((rss() - before) / 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def with_tracing() -> None:
    """In a fresh interpreter (OpenTelemetry providers are global and set once): httpx with an SDK
    tracer provider (batch processor, spans dropped at export) and meter provider — every decision
    then builds a span, its attributes and metric points — next to the cost of one plain SDK span
    around the same call, the floor any per-call span sets."""
    script = textwrap.dedent(f"""
        import sys, statistics
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "tests")!r}, {str(ROOT / "benchmarks")!r}]
        import safetynet; safetynet.install()
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

        class Dropped(SpanExporter):
            def export(self, spans):
                return SpanExportResult.SUCCESS

        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(Dropped()))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
        import bench_guard as b
        from interven_autoguard.engine.scanner import LocalScanner

        server, port = b.start_server()
        url = f"http://127.0.0.1:{{port}}/v1/chat/completions"
        body, headers = b.body_1k(), {{"Content-Type": "application/json"}}
        tracer = trace.get_tracer("agent")

        def send(client):
            client.post(url, content=body, headers=headers)

        def in_a_span(client):
            with tracer.start_as_current_span("POST", attributes={{"url.full": url}}):
                send(client)

        b.compare("httpx, embedded, OTel SDK", b.httpx_client, send, LocalScanner(),
                  note="(a span + metrics per call)")
        with b.httpx_client(False) as client:
            floor = b.pairs(lambda: send(client), lambda: in_a_span(client))
        print(floor.row("no guard, one plain SDK span", "(the floor of any span per call)"))
        server.terminate()
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    print(out.stdout, end="")


def main() -> None:
    from interven_autoguard.engine.scanner import LocalScanner

    server, port = start_server()
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    body, turn = body_1k(), agent_turn_1k()
    headers = {"Content-Type": "application/json"}
    engine = LocalScanner()

    def via_requests(session: Any) -> None:
        session.post(url, data=body, headers=headers)

    def via_httpx(client: Any) -> None:
        client.post(url, content=body, headers=headers)

    check_arms(url)
    print(f"1 KB JSON POST to loopback, {PAIRS} pairs of requests, unguarded → guarded "
          "(medians; ratio = median of the per-pair ratios)")
    compare("requests, embedded engine", requests_session, via_requests, engine)
    compare("httpx, embedded engine", httpx_client, via_httpx, engine)
    compare("httpx, agent turn w/ tools", httpx_client,
            lambda client: client.post(url, content=turn, headers=headers), engine,
            note="(informative: tool ids, dated model)")
    compare("requests, guard core only", requests_session, via_requests, AllowAll())
    compare("httpx, guard core only", httpx_client, via_httpx, AllowAll())
    compare("requests, A/A: no guard", requests_session, via_requests, None, note="(the method's zero)")
    compare("httpx, A/A: no guard", httpx_client, via_httpx, None, note="(the method's zero)")
    print("With tracing and metrics on (an OpenTelemetry SDK configured; a fresh interpreter):")
    with_tracing()
    added = rss_added_by_install()
    print(f"  RSS added by install() with the embedded engine: {added:.1f} MB (goal ≤ 20 MB)")
    server.terminate()
    server.wait()


if __name__ == "__main__":
    main()
