"""A process-wide OpenTelemetry SDK for the telemetry tests: in-memory spans and metrics.

Global providers can be set only once per process, so the first caller installs them and later
callers reuse them; if some other test already installed an SDK tracer provider, our exporter is
added to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@dataclass
class Harness:
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader | None

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def guard_spans(self) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.name.startswith(("interven.guard", "interven.scan"))]

    def clear(self) -> None:
        self.exporter.clear()
        if self.reader is not None:
            self.reader.get_metrics_data()  # cumulative anyway; read to flush pending state

    def metric_points(self, name: str) -> list[Any]:
        if self.reader is None:
            return []
        data = self.reader.get_metrics_data()
        points: list[Any] = []
        for rm in data.resource_metrics if data else []:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name == name:
                        points.extend(m.data.data_points)
        return points


_HARNESS: Harness | None = None


def sdk() -> Harness:
    global _HARNESS
    if _HARNESS is not None:
        return _HARNESS
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    reader: InMemoryMetricReader | None = None
    if not isinstance(metrics.get_meter_provider(), MeterProvider):
        reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    _HARNESS = Harness(exporter, reader)
    return _HARNESS
