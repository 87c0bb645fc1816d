"""The guard's quiet lane: a request the embedded engine allows outright, while nothing would record
the decision, goes out without the span bookkeeping — and only then.

Checked on what the server received (byte-identical) for every library, and on when the lane is
taken: never with a tracer or meter provider, an INFO log level, a remembered refusal, or another
scanner.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from guard_clients import DRIVERS, Driver
from guardkit import RecordingServer
from test_guard_subprocess import run_script

import interven_autoguard
from interven_autoguard import RequestBlocked, telemetry
from interven_autoguard.config import Settings
from interven_autoguard.guard import core
from interven_autoguard.guard.bodies import Captured

BODY = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "Summarise the report."}]}'
SSN = "478-23-9156"


@pytest.fixture
def span_scopes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the decision spans the guard opened (recording or not)."""
    opened: list[str] = []
    original = telemetry._SpanScope.__enter__

    def counting(self: Any) -> Any:
        opened.append(self._name)
        return original(self)

    monkeypatch.setattr(telemetry._SpanScope, "__enter__", counting)
    return opened


@pytest.fixture(autouse=True)
def no_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a process without an OpenTelemetry SDK: providers are global and set once, and other
    tests of this session set some (the real thing is checked in fresh interpreters below)."""
    monkeypatch.setattr(telemetry, "_backends_set", lambda: False)


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
def test_allowed_requests_take_the_lane_and_go_out_unchanged(
        driver: Driver, server: RecordingServer, embedded: core.Guard, span_scopes: list[str]) -> None:
    assert telemetry.allow_is_unrecorded()
    headers = {"Content-Type": "application/json", "X-Stainless-Package-Version": "1.52.0"}
    assert driver.send("POST", server.url("/v1/chat/completions"), BODY, headers) == 200
    assert server.last().body == BODY
    assert server.last().header("X-Stainless-Package-Version") == "1.52.0"
    assert span_scopes == []


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
def test_a_quiet_hop_is_decided_once_across_the_layers(
        driver: Driver, server: RecordingServer, embedded: core.Guard, span_scopes: list[str]) -> None:
    """requests sends through urllib3, urllib3 through its connection and http.client: the layers
    below a hop decided in the lane recognise it, and neither ask the engine again nor open a span."""
    asked: list[tuple[str, str]] = []
    quiet = embedded._quiet_allow
    assert quiet is not None

    def counting(method: str, url: str, *rest: Any) -> Any:
        asked.append((method, url))
        return quiet(method, url, *rest)

    embedded._quiet_allow = counting
    url = server.url("/v1/chat/completions")
    assert driver.send("POST", url, BODY, {"Content-Type": "application/json"}) == 200
    assert asked == [("POST", url)] and span_scopes == []
    assert server.last().body == BODY


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
def test_findings_still_take_the_full_path(
        driver: Driver, server: RecordingServer, embedded: core.Guard, span_scopes: list[str]) -> None:
    body = BODY.replace(b"the report", f"SSN {SSN}".encode())
    assert driver.send("POST", server.url("/v1/chat/completions"), body,
                       {"Content-Type": "application/json"}) == 200
    assert SSN.encode() not in server.last().body and b"[REDACTED:US_SSN]" in server.last().body
    assert span_scopes == ["interven.guard"]


def test_requests_bytes_header_values_are_read_as_sent(
        server: RecordingServer, embedded: core.Guard, span_scopes: list[str]) -> None:
    """requests hands its header store over as is: a bytes value is not a str the lane could plan,
    so it takes the full path, where it is read (latin-1, as sent) and sanitized like a str one."""
    import requests

    headers = {"Content-Type": "application/json", "X-Customer-Note": f"SSN {SSN}".encode()}
    assert requests.post(server.url("/ok"), data=BODY, headers=headers, timeout=10).status_code == 200
    assert SSN not in (server.last().header("X-Customer-Note") or "")
    assert "[REDACTED:US_SSN]" in (server.last().header("X-Customer-Note") or "")
    assert span_scopes == ["interven.guard"]
    clean = {"Content-Type": "application/json", "X-Request-Kind": b"summary"}
    assert requests.post(server.url("/ok"), data=BODY, headers=clean, timeout=10).status_code == 200
    assert server.last().header("X-Request-Kind") == "summary" and server.last().body == BODY


def test_an_info_log_level_takes_the_full_path_and_logs_the_allow(
        server: RecordingServer, embedded: core.Guard, span_scopes: list[str],
        caplog: pytest.LogCaptureFixture) -> None:
    import requests

    with caplog.at_level(logging.INFO, logger="interven_autoguard"):
        assert not telemetry.allow_is_unrecorded()
        assert requests.post(server.url("/ok"), data=BODY, timeout=10).status_code == 200
    assert span_scopes == ["interven.guard"]
    assert any("decision=ALLOW" in r.getMessage() for r in caplog.records)
    assert telemetry.allow_is_unrecorded()


def test_a_remembered_refusal_takes_the_full_path(
        server: RecordingServer, embedded: core.Guard, span_scopes: list[str]) -> None:
    import requests

    embedded._refusals["some-other-request"] = (float("inf"), None, "denied")  # type: ignore[assignment]
    try:
        assert requests.post(server.url("/ok"), data=BODY, timeout=10).status_code == 200
    finally:
        embedded._refusals.clear()
    assert span_scopes == ["interven.guard"]


def test_another_scanner_never_takes_the_lane(server: RecordingServer, span_scopes: list[str]) -> None:
    import requests
    from guardkit import RuleScanner

    interven_autoguard.install(Settings(), scanner=RuleScanner())
    try:
        assert requests.post(server.url("/ok"), data=BODY, timeout=10).status_code == 200
    finally:
        interven_autoguard.uninstall()
    assert span_scopes == ["interven.guard"]


def test_a_stream_cut_at_the_limit_never_takes_the_lane(span_scopes: list[str]) -> None:
    guard = core.Guard(Settings(), interven_autoguard.LocalScanner())
    with pytest.raises(RequestBlocked):
        with guard.hop(library="requests", layer="requests", method="POST", url="http://127.0.0.1:9/x",
                       headers={}, body=Captured(b"partial", None, complete=False)):
            pass
    assert span_scopes == ["interven.guard"]


def test_a_quiet_hop_that_cannot_be_sent_blocks_with_the_library_error() -> None:
    guard = core.Guard(Settings(), interven_autoguard.LocalScanner())
    with guard.hop(library="httpx", layer="httpx", method="POST", url="http://127.0.0.1:9/x",
                   headers={"Content-Type": "application/json"}, body=Captured(BODY, BODY)) as hop:
        assert isinstance(hop, core._QuietHop) and hop.rewrite is None
        error = hop.rewrite_failed(ValueError("boom"))
    import httpx

    assert isinstance(error, RequestBlocked) and isinstance(error, httpx.ConnectError)
    assert "ValueError" in str(error) and "boom" not in str(error)


def test_providers_take_the_lane_away(tmp_path: Path) -> None:
    """With an SDK tracer (or meter) provider every allowed request has its span again."""
    results = run_script("""
        import interven_autoguard, requests
        from interven_autoguard import telemetry
        interven_autoguard.install(Settings())
        results["before"] = telemetry.allow_is_unrecorded()
        def agree():
            return telemetry._backends_set() == (telemetry._tracing_enabled() or telemetry._metrics_enabled())
        results["agree"] = [agree()]
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        results["traced"] = telemetry.allow_is_unrecorded()
        results["agree"].append(agree())
        requests.post(server.url("/ok"), data=b'{"a": "plain words"}', timeout=5)
        results["spans"] = [(s.name, dict(s.attributes).get("interven.decision"))
                            for s in exporter.get_finished_spans()]
    """, tmp_path)
    assert results["before"] is True and results["traced"] is False and results["agree"] == [True, True]
    assert results["spans"] == [["interven.guard POST", "ALLOW"]]
    results = run_script("""
        from interven_autoguard import telemetry
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        results["before"] = telemetry.allow_is_unrecorded()
        metrics.set_meter_provider(MeterProvider())
        results["metered"] = telemetry.allow_is_unrecorded()
        results["agree"] = telemetry._backends_set() is telemetry._metrics_enabled() is True
    """, tmp_path)
    assert results == {"before": True, "metered": False, "agree": True}


def test_install_compiles_the_engine_before_the_first_request(tmp_path: Path) -> None:
    """The agent's first request does not wait tens of milliseconds for the automata (the HTTP
    library is imported before ``install()`` here; after it, see the next test)."""
    results = run_script("""
        import requests
        import interven_autoguard
        from interven_autoguard.engine import triage
        from interven_autoguard.engine.secrets import _engine
        results["before"] = [_engine._compiled is not None, triage._matches.cache_info().currsize]
        interven_autoguard.install(Settings())
        results["after"] = [_engine._compiled is not None, triage._matches.cache_info().currsize]
    """, tmp_path)
    assert results == {"before": [False, 0], "after": [True, 1]}


def test_a_process_without_an_http_library_never_compiles_the_engine() -> None:
    """``run`` guards every Python child; one that loads no HTTP library pays nothing for the
    engine's automata, one that does gets them compiled when the library is patched."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, interven_autoguard\n"
        "from interven_autoguard.engine import triage\n"
        "from interven_autoguard.engine.secrets import _engine\n"
        "heavy = ('requests', 'httpx', 'httpx2', 'urllib3', 'aiohttp', 'http.client')\n"
        "assert not any(m in sys.modules for m in heavy), [m for m in heavy if m in sys.modules]\n"
        "interven_autoguard.install()\n"
        "state = lambda: [_engine._compiled is not None, triage._matches.cache_info().currsize]\n"
        "before = state()\n"
        "import requests\n"
        "print(before, state())\n"
    )
    env = {"PYTHONPATH": f"{root}{__import__('os').pathsep}{root / 'tests'}", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", "import safetynet; safetynet.install()\n" + code],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "[False, 0] [True, 1]"


def _contexts() -> dict[str, Any]:
    """Each thing that keeps a request from the lane or from the guard, as a context to ask in."""
    import contextlib

    @contextlib.contextmanager
    def info_logging() -> Any:
        logger = logging.getLogger("interven_autoguard")
        level = logger.level
        logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            logger.setLevel(level)

    @contextlib.contextmanager
    def hop_decided_above(method: str, url: str) -> Any:
        token = core.enter_hop(method, url)
        try:
            yield
        finally:
            core.leave_hop(token)

    return {
        "plain": lambda m, u: contextlib.nullcontext(),
        "internal call": lambda m, u: core.internal_call(),
        "suppressed": lambda m, u: telemetry.suppressed(),
        "hop decided above": hop_decided_above,
        "another hop above": lambda m, u: hop_decided_above("PUT", u),
        "info logging": lambda m, u: info_logging(),
    }


@pytest.mark.parametrize("context", list(_contexts()))
@pytest.mark.parametrize("body", [BODY, BODY.replace(b"the report", f"SSN {SSN}".encode()), None, b""])
@pytest.mark.parametrize("url", ["http://127.0.0.1:9/v1/chat/completions", "http://skip.internal/x",
                                 "http://127.0.0.1:9/x?token=ghp_0123456789abcdefghijABCDEFGHIJ012345"])
def test_lets_through_is_not_scanned_or_quietly_allowed(context: str, body: bytes | None, url: str) -> None:
    """The one call adapters make on every request answers what the two it stands for answer."""
    guard = core.Guard(Settings(exclude_hosts=("*.internal",)), interven_autoguard.LocalScanner())
    headers = {"Content-Type": "application/json"}
    with _contexts()[context]("POST", url):
        expected = not guard.should_scan("POST", url) or guard.quietly_allows("POST", url, headers, body)
        assert guard.lets_through("POST", url, headers, body) is expected
        assert telemetry.recording() == (
            telemetry.SUPPRESSED if telemetry.instrumentation_suppressed()
            else telemetry.UNRECORDED if telemetry.allow_is_unrecorded() else telemetry.RECORDED)
    guard._refusals["another request"] = (float("inf"), None, "denied")  # type: ignore[assignment]
    assert guard.lets_through("POST", url, headers, body) is (not guard.should_scan("POST", url)) is \
        (url == "http://skip.internal/x")
