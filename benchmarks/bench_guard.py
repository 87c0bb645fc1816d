"""Cost of the guard on real loopback HTTP. Run on demand: ``python benchmarks/bench_guard.py``.

For requests and httpx, a 1 KB JSON POST to a keep-alive loopback server is timed unguarded and
guarded in back-to-back batches (machines are shared and noisy: only ratios of batches measured
side by side mean anything; the median of the per-pair ratios is reported). "guarded" uses the
embedded engine; "guard core" uses a scanner that allows everything without looking, isolating the
adapters + core from the engine (it has no quiet lane: every request builds its span bookkeeping).
Then, in a fresh interpreter, the RSS that ``install()`` adds with the embedded engine loaded.
Goals (issue 3): guarded/unguarded ≤ 1.10; ≤ 20 MB RSS added by install().
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import safetynet  # noqa: E402  - loopback only, even if the guard under test is broken

safetynet.install()

from interven_autoguard.model import Decision, ScanResponse  # noqa: E402

ROUNDS = 30
PER_ROUND = 100
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


def batch(send: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU) seconds per request over one batch."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(PER_ROUND):
        send()
    return (time.perf_counter() - wall) / PER_ROUND, (time.process_time() - cpu) / PER_ROUND


def compare(label: str, send: Callable[[], Any], scanner: Any, note: str = "(goal ≤ 1.10)") -> None:
    """Unguarded and guarded batches run back to back, in alternating order (ABBA: drift cancels);
    each pair gives a ratio and the median ratio is reported (wall clock and client CPU). A shared
    VM's speed drifts by 2× within a minute: only batches measured side by side compare."""
    import interven_autoguard
    from interven_autoguard.config import Settings

    def measured(guarded: bool) -> tuple[float, float]:
        if not guarded:
            return batch(send)
        interven_autoguard.install(Settings(), scanner=scanner)
        try:
            return batch(send)
        finally:
            interven_autoguard.uninstall()

    for guarded_warmup in (False, True):  # warm pools, caches and first-call imports of both modes
        measured(guarded_warmup)
    plain: list[tuple[float, float]] = []
    guarded: list[tuple[float, float]] = []
    for round_ in range(ROUNDS):
        first_guarded = round_ % 2 == 1
        a = measured(first_guarded)
        b = measured(not first_guarded)
        plain.append(b if first_guarded else a)
        guarded.append(a if first_guarded else b)
    pw, pc = (statistics.median(x[i] for x in plain) for i in (0, 1))
    gw, gc = (statistics.median(x[i] for x in guarded) for i in (0, 1))
    rw, rc = (statistics.median(g[i] / p[i] for p, g in zip(plain, guarded)) for i in (0, 1))
    # The middle half of the per-pair wall ratios: how far one run's median can be trusted.
    quartiles = statistics.quantiles((g[0] / p[0] for p, g in zip(plain, guarded)), n=4)
    print(f"  {label:<27} wall {pw * 1e6:7.1f} → {gw * 1e6:7.1f} µs  ratio {rw:4.2f} "
          f"(IQR {quartiles[0]:4.2f}–{quartiles[2]:4.2f})   "
          f"client CPU {pc * 1e6:7.1f} → {gc * 1e6:7.1f} µs  ratio {rc:4.2f}   {note}")


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
        import httpx
        import bench_guard as b
        from interven_autoguard.engine.scanner import LocalScanner

        server, port = b.start_server()
        url = f"http://127.0.0.1:{{port}}/v1/chat/completions"
        body, headers = b.body_1k(), {{"Content-Type": "application/json"}}
        client, tracer = httpx.Client(), trace.get_tracer("agent")

        def send():
            client.post(url, content=body, headers=headers)

        def send_in_a_span():
            with tracer.start_as_current_span("POST", attributes={{"url.full": url}}):
                send()

        b.compare("httpx, embedded, OTel SDK", send, LocalScanner(), note="(a span + metrics per call)")
        b.batch(send), b.batch(send_in_a_span)
        ratios = []
        for round_ in range(b.ROUNDS):
            plain, spanned = (b.batch(send), b.batch(send_in_a_span)) if round_ % 2 == 0 else \
                reversed((b.batch(send_in_a_span), b.batch(send)))
            ratios.append(spanned[0] / plain[0])
        print(f"  {{'no guard, one plain SDK span':<27}} wall ratio {{statistics.median(ratios):4.2f}}   "
              "(the floor of any span per call)")
        server.terminate()
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    print(out.stdout, end="")


def main() -> None:
    import httpx
    import requests

    from interven_autoguard.engine.scanner import LocalScanner

    server, port = start_server()
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    body = body_1k()
    headers = {"Content-Type": "application/json"}
    session = requests.Session()
    client = httpx.Client()
    engine = LocalScanner()

    def via_requests() -> None:
        session.post(url, data=body, headers=headers)

    def via_httpx() -> None:
        client.post(url, content=body, headers=headers)

    print(f"1 KB JSON POST to loopback, {ROUNDS} pairs of batches × {PER_ROUND} requests "
          "(medians; ratio = median of per-pair ratios)")
    compare("requests, embedded engine", via_requests, engine)
    compare("httpx, embedded engine", via_httpx, engine)
    turn = agent_turn_1k()
    compare("httpx, agent turn w/ tools", lambda: client.post(url, content=turn, headers=headers), engine,
            note="(informative: tool ids, dated model)")
    compare("requests, guard core only", via_requests, AllowAll())
    compare("httpx, guard core only", via_httpx, AllowAll())
    print("With tracing and metrics on (an OpenTelemetry SDK configured; a fresh interpreter):")
    with_tracing()
    added = rss_added_by_install()
    print(f"  RSS added by install() with the embedded engine: {added:.1f} MB (goal ≤ 20 MB)")
    client.close()
    session.close()
    server.terminate()
    server.wait()


if __name__ == "__main__":
    main()
