"""Exporting spans over OTLP/HTTP must not produce guard spans (no recursion, no feedback loop)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="needs the [otel] extra")

from otlp_collector import collector
from runner_like_server import app_server
from telemetry_subproc import has_install, run_snippet


def test_exporter_sends_run_suppressed_and_their_endpoint_is_known():
    # A hook on requests' send (where the guard sits) records what it sees while the real OTLP
    # exporter ships spans to a loopback collector: every exporter send must be suppressed, and the
    # collector's address must be in exporter_endpoints(), which the guard excludes.
    with collector() as col:
        res = run_snippet(f"""
            import json
            import requests.adapters
            from interven_autoguard import telemetry
            from interven_autoguard.model import ScanResponse

            seen = []
            original = requests.adapters.HTTPAdapter.send
            def send(self, request, **kw):
                seen.append((request.url, telemetry.instrumentation_suppressed()))
                return original(self, request, **kw)
            requests.adapters.HTTPAdapter.send = send

            telemetry.configure_tracing("otlp", {col.url!r})
            for i in range(3):
                with telemetry.guard_span("POST", "http://127.0.0.1:9/agent", layer="requests",
                                          scanner="embedded") as ds:
                    ds.record_decision(ScanResponse(decision="ALLOW"), mode="enforce", enforced="ALLOW")
            telemetry.shutdown_tracing()
            print(json.dumps({{"seen": seen, "endpoints": sorted(telemetry.exporter_endpoints())}}))
        """)
        assert res.returncode == 0, res.stderr
        out = json.loads(res.stdout)
        port = col.server_port
        assert out["seen"], "the exporter did not send through requests"
        for url, suppressed in out["seen"]:
            assert url.startswith(f"http://127.0.0.1:{port}/") and suppressed
        assert ["127.0.0.1", port] in out["endpoints"]
        assert [s.name for s in col.spans] == ["interven.guard POST"] * 3


@pytest.mark.skipif(not has_install(), reason="interven_autoguard.install() is not available yet")
def test_guard_installed_with_otlp_exporter_does_not_recurse():
    with collector() as col, app_server() as app:
        res = run_snippet(f"""
            import requests
            import interven_autoguard
            from interven_autoguard import telemetry
            telemetry.configure_tracing("otlp", {col.url!r})
            interven_autoguard.install()
            for i in range(5):
                assert requests.post({app.url!r}, json={{"i": i}}, timeout=10).status_code == 200
            telemetry.shutdown_tracing()
        """)
        assert res.returncode == 0, res.stderr
        guard = [s for s in col.spans if s.name.startswith("interven.guard")]
        assert len(guard) == 5, [(s.name, s.attributes.get("url.full")) for s in col.spans]
        assert all(str(app.port) == str(s.attributes["server.port"]) for s in guard)
        assert not [s for s in col.spans if s.attributes.get("server.port") == col.server_port]
        assert len(app.received) == 5
