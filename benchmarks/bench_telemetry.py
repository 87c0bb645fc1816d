"""Cost of the telemetry of one decision: span + attributes + metrics + log check.

Each configuration runs in a fresh interpreter (OpenTelemetry's global providers are set once per
process):

- ``api-only``: only ``opentelemetry-api`` configured (what a library user gets without an SDK);
- ``sdk-simple``: SDK tracer + meter providers, spans exported synchronously to a dropping exporter;
- ``sdk-batch``: SDK providers with the batch processor (what ``--traces otlp`` installs).

    python benchmarks/bench_telemetry.py [--n 20000]

Prints one line per configuration: µs per decision (best of 5 runs), next to the cost of an empty
span in the same set-up, which keeps the comparison meaningful on a noisy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ("api-only", "sdk-simple", "sdk-batch")


def _setup(config: str) -> None:
    if config == "api-only":
        return
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SimpleSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class Drop(SpanExporter):
        def export(self, spans):  # type: ignore[no-untyped-def]
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    processor = SimpleSpanProcessor(Drop()) if config == "sdk-simple" else BatchSpanProcessor(Drop())
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))


def _measure(config: str, n: int) -> tuple[float, float]:
    _setup(config)
    from interven_autoguard import telemetry
    from interven_autoguard.model import Finding, ScanResponse

    response = ScanResponse(
        decision="SANITIZE", reason_codes=["SECRET_DETECTED"], risk_score=0.8, risk_band="HIGH",
        findings=[Finding("github_pat", "secrets", "secret", "body$.token", 0, 40, "ab12", redacted=True)],
    )
    url = "http://127.0.0.1:8080/v1/chat/completions?model=x"

    def one() -> None:
        with telemetry.guard_span("POST", url, layer="requests", scanner="embedded") as span:
            span.record_decision(response, mode="enforce", enforced="SANITIZE")
            span.record_response(200)

    from opentelemetry import trace

    tracer = trace.get_tracer("bench")

    def bare() -> None:  # the same set-up's cost for an empty span, as a yardstick
        with tracer.start_as_current_span("bare"):
            pass

    def best_of(fn: object) -> float:
        assert callable(fn)
        for _ in range(min(n, 2000)):  # warm-up
            fn()
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            best = min(best, (time.perf_counter() - start) / n)
        return best * 1e6

    return best_of(one), best_of(bare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--config", choices=CONFIGS, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.config:
        ours, bare = _measure(args.config, args.n)
        print(json.dumps({"us": ours, "bare": bare}))
        return
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path)
    results = {}
    for config in CONFIGS:
        out = subprocess.run([sys.executable, __file__, "--config", config, "--n", str(args.n)], env=env,
                             check=True, capture_output=True, text=True).stdout
        results[config] = json.loads(out)
    for config, r in results.items():
        print(f"telemetry per decision  {config:<10}  {r['us']:7.2f} µs  "
              f"(an empty span in the same set-up: {r['bare']:6.2f} µs, x{r['us'] / r['bare']:4.1f})")


if __name__ == "__main__":
    main()
