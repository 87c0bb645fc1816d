"""configure_tracing(): console/otlp, OTEL_* variables, the missing-SDK hint, exporter endpoints."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="needs the [otel] extra")

from otlp_collector import collector
from telemetry_subproc import run_snippet

from interven_autoguard import telemetry
from interven_autoguard.errors import ConfigurationError

EMIT = """
    from interven_autoguard.model import ScanResponse
    with telemetry.guard_span("DELETE", "http://127.0.0.1:5/x?k=v", layer="httpx", scanner="embedded") as ds:
        ds.record_decision(ScanResponse(decision="DENY", reason_codes=["POLICY_RULE"]), mode="enforce",
                           enforced="DENY")
"""


def parts(*chunks: str) -> str:
    return "\n".join(textwrap.dedent(c).strip("\n") for c in chunks) + "\n"


def test_console_writes_spans_to_stderr():
    res = run_snippet(parts("""
        from interven_autoguard import telemetry
        telemetry.configure_tracing("console")
    """, EMIT, "print('stdout stays clean')"))
    assert res.returncode == 0, res.stderr
    assert res.stdout == "stdout stays clean\n"
    assert '"name": "interven.guard DELETE"' in res.stderr
    assert '"interven.decision": "DENY"' in res.stderr
    assert "k=REDACTED" in res.stderr


def test_otlp_honours_standard_otel_variables():
    with collector() as col:
        res = run_snippet(parts("""
            from interven_autoguard import telemetry
            telemetry.configure_tracing("otlp")  # endpoint from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
        """, EMIT, "telemetry.shutdown_tracing()"), {
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": col.url,
            "OTEL_SERVICE_NAME": "billing-agent",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test",
        })
        assert res.returncode == 0, res.stderr
        assert len(col.spans) == 1
        span = col.spans[0]
        assert span.name == "interven.guard DELETE"
        assert span.resource["service.name"] == "billing-agent"
        assert span.resource["deployment.environment"] == "test"
        assert span.attributes["interven.reason_codes"] == ["POLICY_RULE"]
        assert span.status_code == 2  # STATUS_CODE_ERROR
        assert span.status_message == "blocked by interven-autoguard: POLICY_RULE"


def test_service_name_defaults_to_the_program_and_base_endpoint_gets_path(tmp_path):
    script = tmp_path / "my_agent.py"
    with collector() as col:
        base = f"http://127.0.0.1:{col.server_port}"
        head = "import safetynet; safetynet.install()\nfrom interven_autoguard import telemetry"
        script.write_text(parts(head,
                                f"telemetry.configure_tracing('otlp', {base!r})", EMIT,
                                "telemetry.shutdown_tracing()"))

        res = run_snippet("", argv=[sys.executable, str(script)])
        assert res.returncode == 0, res.stderr
        assert [s.resource["service.name"] for s in col.spans] == ["my_agent.py"]


def test_existing_sdk_provider_is_extended_not_replaced():
    with collector() as col:
        res = run_snippet(parts(f"""
            from opentelemetry import trace
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import SimpleSpanProcessor
            from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
            mine = TracerProvider()
            memory = InMemorySpanExporter()
            mine.add_span_processor(SimpleSpanProcessor(memory))
            trace.set_tracer_provider(mine)
            from interven_autoguard import telemetry
            assert telemetry.configure_tracing("otlp", {col.url!r}) is mine
        """, EMIT, """
            telemetry.shutdown_tracing()
            print(len(memory.get_finished_spans()))
        """))
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == "1"
        assert len(col.spans) == 1


def test_sdk_disabled_variable_makes_it_a_no_op():
    res = run_snippet("""
        from opentelemetry import trace
        from interven_autoguard import telemetry
        print(telemetry.configure_tracing("console"), type(trace.get_tracer_provider()).__name__)
    """, {"OTEL_SDK_DISABLED": "true"})
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["None", "ProxyTracerProvider"]


@pytest.mark.parametrize(("blocked", "kind"), [("opentelemetry.sdk", "console"),
                                                ("opentelemetry.exporter.otlp", "otlp")])
def test_missing_otel_extra_says_how_to_install_it(blocked, kind):
    res = run_snippet(f"""
        import sys
        sys.modules[{blocked!r}] = None  # as if the package were not installed
        from interven_autoguard import telemetry
        from interven_autoguard.errors import ConfigurationError
        try:
            telemetry.configure_tracing({kind!r})
        except ConfigurationError as exc:
            print(exc)
    """)
    assert res.returncode == 0, res.stderr
    assert "pip install 'interven-autoguard[otel]'" in res.stdout


def test_bad_kind_and_bad_endpoint():
    with pytest.raises(ConfigurationError, match="console, otlp"):
        telemetry.configure_tracing("zipkin")
    with pytest.raises(ConfigurationError, match="http"):
        telemetry.otlp_traces_url("grpc://127.0.0.1:4317")


def test_exporter_endpoints_from_environment():
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.internal:4318",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example.test/v1/traces",
    }
    found = telemetry.exporter_endpoints(env)
    assert ("traces.example.test", 443) in found
    assert ("collector.internal", 4318) in found  # metrics/logs still use the generic one
    grpc_default = telemetry.exporter_endpoints({"OTEL_TRACES_EXPORTER": "otlp",
                                                 "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    assert {("localhost", 4317), ("127.0.0.1", 4317)} <= grpc_default
    logs_only = telemetry.exporter_endpoints({"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "otel-gw:4317"})
    assert ("otel-gw", 4317) in logs_only
    assert json.dumps(sorted(telemetry.exporter_endpoints({})))  # hashable, serialisable pairs


def test_without_any_sdk_decisions_still_reach_the_log():
    # Users without tracing: no provider at all, logging configured by the application.
    res = run_snippet("""
        import logging, sys
        fmt = "%(name)s %(levelname)s %(message)s"
        logging.basicConfig(stream=sys.stdout, level=logging.INFO, format=fmt)
        from opentelemetry import trace
        from interven_autoguard import telemetry
        from interven_autoguard.model import ScanResponse
        for decision in ("ALLOW", "DENY"):
            url = "http://127.0.0.1:7/p?q=1"
            with telemetry.guard_span("GET", url, layer="urllib3", scanner="embedded") as ds:
                assert not ds.span.is_recording()
                ds.record_decision(ScanResponse(decision=decision, reason_codes=["POLICY_RULE"]),
                                   mode="enforce", enforced=decision)
        print(type(trace.get_tracer_provider()).__name__)
    """)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == ("interven_autoguard INFO interven guard decision=ALLOW mode=enforce "
                        "reasons=POLICY_RULE GET http://127.0.0.1:7/p?q=REDACTED")
    assert lines[1].startswith("interven_autoguard WARNING interven guard decision=DENY")
    assert lines[2] == "ProxyTracerProvider"


def test_is_exporter_endpoint_follows_the_environment(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:4999/v1/traces")
    assert telemetry.is_exporter_endpoint("http://127.0.0.1:4999/v1/traces")
    assert not telemetry.is_exporter_endpoint("http://127.0.0.1:5000/v1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:5000")
    assert telemetry.is_exporter_endpoint("http://127.0.0.1:5000/anything")
    assert not telemetry.is_exporter_endpoint("http://127.0.0.1:4999/v1/traces")
    assert not telemetry.is_exporter_endpoint("not a url")
