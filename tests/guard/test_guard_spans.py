"""One span per guarded hop, carrying the decision (checked with the OpenTelemetry SDK's in-memory
exporter, in a fresh interpreter so the global tracer provider is ours)."""

from __future__ import annotations

from pathlib import Path

from test_guard_subprocess import run_script


def test_one_span_per_hop_with_the_decision(tmp_path: Path) -> None:
    results = run_script("""
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        import interven_autoguard, requests, httpx
        from guardkit import redirect_path, MARKER
        interven_autoguard.install(Settings(), scanner=scanner)
        requests.get(server.url(redirect_path(302, "/ok")), timeout=5)   # 2 hops
        requests.post(server.url("/ok"), data=MARKER, timeout=5)          # sanitized
        outcome(lambda: httpx.get(server.url("/deny?token=" + MARKER)))   # blocked
        requests.get(server.url("/approve"), timeout=5)                   # approved
        spans = []
        for span in exporter.get_finished_spans():
            attrs = dict(span.attributes)
            spans.append({
                "name": span.name, "layer": attrs.get("interven.layer"),
                "decision": attrs.get("interven.decision"), "status": attrs.get("http.response.status_code"),
                "url": attrs.get("url.full"), "events": [e.name for e in span.events],
            })
        results["spans"] = spans
    """, tmp_path)
    spans = results["spans"]
    assert isinstance(spans, list)
    assert [(s["name"], s["layer"], s["decision"], s["status"]) for s in spans] == [
        ("interven.guard GET", "requests", "ALLOW", 302),
        ("interven.guard GET", "requests", "ALLOW", 200),
        ("interven.guard POST", "requests", "SANITIZE", 200),
        ("interven.guard GET", "httpx", "DENY", None),
        ("interven.guard GET", "requests", "ALLOW", 200),
    ]
    assert all("SECRET-MARKER" not in (s["url"] or "") for s in spans)
    assert "interven.approval" in spans[-1]["events"]
