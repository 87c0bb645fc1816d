"""Argument handling of ``run``: what gets exec'd, with which environment, and the errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from runner_support import ROOT, child_env

from interven_autoguard.errors import ConfigurationError
from interven_autoguard.runner import EXIT_CONFIG, EXIT_USAGE, UsageError, bootstrap_dir, build_command, main

BASE_ENV = {"PATH": "/usr/bin", "PYTHONPATH": "/opt/a" + os.pathsep + "/opt/b"}


def test_script_options_and_environment():
    cmd = build_command(["--mode", "monitor", "--fail-open", "--exclude-hosts", "a.test,b.test",
                         "agent.py", "--mode", "enforce", "x"], BASE_ENV)
    assert cmd.argv[0] == sys.executable and cmd.executable == sys.executable
    assert cmd.argv[-4:] == ["agent.py", "--mode", "enforce", "x"]  # the agent's own args are untouched
    assert cmd.env["INTERVEN_MODE"] == "monitor"
    assert cmd.env["INTERVEN_FAIL_OPEN"] == "1"
    assert cmd.env["INTERVEN_EXCLUDE_HOSTS"] == "a.test,b.test"
    assert cmd.env["PYTHONPATH"].split(os.pathsep) == [bootstrap_dir(), "/opt/a", "/opt/b"]
    assert cmd.env["PATH"] == "/usr/bin"


def test_module_and_double_dash_and_equals_forms():
    cmd = build_command(["--mode=monitor", "-m", "pkg.tool", "--traces", "nope"], BASE_ENV)
    assert cmd.argv[-4:] == ["-m", "pkg.tool", "--traces", "nope"]
    assert "INTERVEN_TRACES" not in cmd.env
    cmd = build_command(["--", "--weird-name.py", "arg"], BASE_ENV)
    assert cmd.argv[-2:] == ["--weird-name.py", "arg"]


def test_nested_run_does_not_stack_bootstrap_dirs():
    first = build_command(["agent.py"], BASE_ENV)
    second = build_command(["agent.py"], first.env)
    assert second.env["PYTHONPATH"] == first.env["PYTHONPATH"]


def test_environment_settings_are_kept_unless_overridden():
    cmd = build_command(["agent.py"], {**BASE_ENV, "INTERVEN_MODE": "monitor", "INTERVEN_API_KEY": "k",
                                       "INTERVEN_GATEWAY_URL": "http://127.0.0.1:9"})
    assert cmd.env["INTERVEN_MODE"] == "monitor"
    assert cmd.env["INTERVEN_API_KEY"] == "k"


def test_policy_path_is_made_absolute_and_must_exist(tmp_path, monkeypatch):
    policy = tmp_path / "policy.toml"
    policy.write_text("")
    monkeypatch.chdir(tmp_path)
    cmd = build_command(["--policy", "policy.toml", "agent.py"], BASE_ENV)
    assert cmd.env["INTERVEN_POLICY"] == str(policy)
    with pytest.raises(ConfigurationError, match="policy file not found"):
        build_command(["--policy", "missing.toml", "agent.py"], BASE_ENV)


def test_otlp_endpoint_implies_otlp_traces_and_gets_the_traces_path():
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="needs the [otel] extra")
    cmd = build_command(["--otlp-endpoint", "http://127.0.0.1:6006", "agent.py"], BASE_ENV)
    assert cmd.env["INTERVEN_TRACES"] == "otlp"
    assert cmd.env["INTERVEN_OTLP_ENDPOINT"] == "http://127.0.0.1:6006/v1/traces"
    cmd = build_command(["--traces", "console", "--otlp-endpoint", "http://127.0.0.1:1/x/v1/traces", "a.py"],
                        BASE_ENV)
    assert cmd.env["INTERVEN_TRACES"] == "console"
    with pytest.raises(ConfigurationError, match="http"):
        build_command(["--otlp-endpoint", "127.0.0.1:4317", "agent.py"], BASE_ENV)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "nothing to run"),
        (["--mode", "monitor"], "nothing to run"),
        (["-m"], "nothing to run"),
        (["--bogus", "agent.py"], "unknown option"),
        (["--policy"], "needs a value"),
    ],
)
def test_usage_errors(argv, message):
    with pytest.raises(UsageError, match=message):
        build_command(argv, BASE_ENV)


def test_main_exit_codes(capsys):
    assert main([]) == EXIT_USAGE
    assert "nothing to run" in capsys.readouterr().err
    assert main(["--mode", "sideways", "agent.py"]) == EXIT_USAGE  # argparse's choices check
    assert "invalid choice" in capsys.readouterr().err
    assert main(["--policy", "/nonexistent/p.toml", "agent.py"]) == EXIT_CONFIG
    assert "configuration error: policy file not found" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "--otlp-endpoint" in capsys.readouterr().out


def test_invalid_environment_is_reported_before_exec():
    with pytest.raises(ConfigurationError, match="mode"):
        build_command(["agent.py"], {**BASE_ENV, "INTERVEN_MODE": "loud"})


def test_flags_that_would_skip_the_bootstrap_are_not_forwarded(tmp_path):
    script = tmp_path / "show.py"
    script.write_text("import sys; f = sys.flags; print(f.ignore_environment, f.no_site, f.dev_mode)\n")
    res = subprocess.run(
        [sys.executable, "-E", "-X", "dev", "-c",
         "import sys; sys.path.insert(0, sys.argv[1]); from interven_autoguard.runner import main;"
         "sys.exit(main(['--fail-open', sys.argv[2]]))", str(ROOT), str(script)],
        env=child_env(), capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["0", "0", "True"]  # -E dropped, -X dev kept


def test_missing_sdk_gives_the_install_hint():
    code = ("import sys; sys.modules['opentelemetry.sdk'] = None\n"
            "from interven_autoguard.runner import main\n"
            "sys.exit(main(['--traces', 'otlp', 'agent.py']))")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=child_env(), capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == EXIT_CONFIG
    assert "pip install 'interven-autoguard[otel]'" in res.stderr


def test_empty_pythonpath_entries_are_kept_they_are_the_current_directory():
    """``export PYTHONPATH="$PYTHONPATH:/opt/lib"`` with PYTHONPATH unset gives ":/opt/lib": Python
    reads the empty entry as the current directory, and so must the command run under ``run``."""
    cmd = build_command(["agent.py"], {"PATH": "/usr/bin", "PYTHONPATH": os.pathsep + "/opt/lib"})
    assert cmd.env["PYTHONPATH"].split(os.pathsep) == [bootstrap_dir(), "", "/opt/lib"]
    cmd = build_command(["agent.py"], {"PATH": "/usr/bin"})
    assert cmd.env["PYTHONPATH"] == bootstrap_dir()  # none given: none added (not even the cwd)
    cmd = build_command(["agent.py"], {"PATH": "/usr/bin", "PYTHONPATH": ""})
    assert cmd.env["PYTHONPATH"] == bootstrap_dir()


def test_a_relative_policy_from_the_environment_is_made_absolute(tmp_path, monkeypatch):
    (tmp_path / "approve_policy.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    cmd = build_command(["agent.py"], {**BASE_ENV, "INTERVEN_POLICY": "approve_policy.toml"})
    assert cmd.env["INTERVEN_POLICY"] == str(tmp_path / "approve_policy.toml")


@pytest.mark.parametrize("fail_open", [[], ["--fail-open"]])
def test_an_invalid_policy_stops_the_launch_even_with_fail_open(tmp_path, fail_open):
    """Otherwise every child fails on it — or, failing open, runs unguarded."""
    bad = tmp_path / "policy.toml"
    bad.write_text("[destinations\nblock = 1\n")
    with pytest.raises(ConfigurationError, match="policy"):
        build_command([*fail_open, "--policy", str(bad), "agent.py"], BASE_ENV)
    with pytest.raises(ConfigurationError, match="policy"):
        build_command([*fail_open, "agent.py"], {**BASE_ENV, "INTERVEN_POLICY": str(bad)})
    assert main([*fail_open, "--policy", str(bad), "agent.py"]) == EXIT_CONFIG


@pytest.mark.parametrize("pattern", ["localhost:8080", "127.0.0.1:*", "[::1]:443", "api.test:80"])
def test_an_exclude_pattern_with_a_port_is_refused_not_ignored(pattern):
    with pytest.raises(ConfigurationError, match="not ports"):
        build_command(["--exclude-hosts", pattern, "agent.py"], BASE_ENV)


def test_exclude_patterns_are_matched_as_bare_hosts():
    from interven_autoguard.config import Settings

    settings = Settings.from_env({"INTERVEN_EXCLUDE_HOSTS": "[::1], Internal.Example ,*.corp.test,fe80::1"})
    assert settings.exclude_hosts == ("::1", "internal.example", "*.corp.test", "fe80::1")
    assert Settings(exclude_hosts=("[2001:db8::1]",)).exclude_hosts == ("2001:db8::1",)
