"""``opentelemetry-instrument python agent.py`` loads IntervenInstrumentor through its entry point."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from runner_like_server import app_server
from telemetry_subproc import ROOT, TESTS, has_install, run_snippet

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

pytest.importorskip("opentelemetry.instrumentation")

from interven_autoguard.instrumentation import IntervenInstrumentor

OTEL_INSTRUMENT = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
ENTRY_POINT = "interven_autoguard = interven_autoguard.instrumentation:IntervenInstrumentor"
QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}
AGENT = """
import json, sys
import interven_autoguard.runner as r
print(json.dumps({"activated_by": r.activated_by(), "args": sys.argv[1:]}))
"""

needs_cli = pytest.mark.skipif(OTEL_INSTRUMENT is None, reason="opentelemetry-instrument is not installed")


@pytest.fixture
def site_with_entry_point(tmp_path: Path) -> Path:
    """The entry point as `pip install interven-autoguard` registers it (the repo is not installed here)."""
    site = tmp_path / "site"
    dist = site / "interven_autoguard-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: interven-autoguard\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text(f"[opentelemetry_instrumentor]\n{ENTRY_POINT}\n")
    return site


def _run(site: Path, agent: Path, extra: dict[str, str]):
    import os

    env = {**QUIET, **extra, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT), str(TESTS)])}
    return run_snippet("", env, argv=[str(OTEL_INSTRUMENT), sys.executable, str(agent), "x"], cwd=site)


def _agent(tmp_path: Path, body: str = AGENT) -> Path:
    path = tmp_path / "agent.py"
    path.write_text("import safetynet; safetynet.install()\n" + body)
    return path


@needs_cli
def test_entry_point_is_loaded_and_fails_closed(tmp_path, site_with_entry_point):
    # Loaded by opentelemetry-instrument; the guard cannot be installed with this setting, and the
    # program is not run unguarded: exit 78 before its first line.
    res = _run(site_with_entry_point, _agent(tmp_path), {"INTERVEN_MODE": "bogus"})
    assert res.returncode == 78, res.stderr
    assert "guard could not be installed (opentelemetry-instrument)" in res.stderr
    assert res.stdout == ""


@needs_cli
@pytest.mark.skipif(not has_install(), reason="interven_autoguard.install() is not available yet")
def test_entry_point_installs_the_guard(tmp_path, site_with_entry_point):
    res = _run(site_with_entry_point, _agent(tmp_path), {})
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {"activated_by": "opentelemetry-instrument", "args": ["x"]}


@needs_cli
def test_fail_open_runs_the_program_with_a_warning_when_install_fails(tmp_path, site_with_entry_point):
    res = _run(site_with_entry_point, _agent(tmp_path), {"INTERVEN_FAIL_OPEN": "1", "INTERVEN_MODE": "bogus"})
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["activated_by"] is None
    assert "running UNGUARDED" in res.stderr and "(opentelemetry-instrument)" in res.stderr


@needs_cli
def test_disabled_instrumentations_switches_it_off(tmp_path, site_with_entry_point):
    # With the instrumentor off, the broken setting is never even looked at.
    res = _run(site_with_entry_point, _agent(tmp_path), {
        "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "interven_autoguard", "INTERVEN_MODE": "bogus"})
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["activated_by"] is None
    assert "interven-autoguard" not in res.stderr


@needs_cli
@pytest.mark.skipif(not has_install(), reason="interven_autoguard.install() is not available yet")
def test_guarded_program_under_opentelemetry_instrument(tmp_path, site_with_entry_point):
    with app_server() as app:
        agent = _agent(tmp_path, f"""
import requests
from interven_autoguard.errors import RequestBlocked
assert requests.get({app.url!r}, timeout=10).status_code == 200
try:
    requests.get("http://169.254.169.254/latest/meta-data/", timeout=10)
    print("NOT BLOCKED")
except RequestBlocked as exc:
    print("BLOCKED", exc.decision)
""")
        # INTERVEN_TRACES works under opentelemetry-instrument too (with or without opentelemetry-distro).
        res = _run(site_with_entry_point, agent, {"INTERVEN_TRACES": "console"})
        assert res.returncode == 0, res.stderr
        assert res.stdout.splitlines()[0] == "BLOCKED DENY"
        assert len(app.received) == 1
        assert '"interven.decision": "DENY"' in res.stderr


def test_dependencies_match_the_instruments_extras():
    # The guard always covers the stdlib, so it requires no third-party library; an `instruments`
    # extra listing one would make opentelemetry-instrument skip the guard (fail open) without it.
    deps = list(IntervenInstrumentor().instrumentation_dependencies())
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("optional-dependencies", {})
    assert deps == list(extras.get("instruments", []))
    assert list(extras.get("instruments-any", [])) == []


def test_instrument_and_uninstrument_from_code():
    if not has_install():
        with pytest.raises(AttributeError):  # called from code, errors propagate (no exit)
            IntervenInstrumentor()._instrument()
        return
    import interven_autoguard

    inst = IntervenInstrumentor()
    inst.instrument()
    try:
        assert inst.is_instrumented_by_opentelemetry
    finally:
        inst.uninstrument()
        getattr(interven_autoguard, "uninstall", lambda: None)()
