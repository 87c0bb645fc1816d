"""``run`` end to end in subprocesses: exec semantics, child processes, chained sitecustomize, fail closed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from runner_support import (
    HAS_INSTALL,
    NEEDS_INSTALL,
    ROOT,
    child_env,
    loopback_server,
    run,
    runner_argv,
    write_script,
)

from interven_autoguard.runner import EXIT_CONFIG, EXIT_USAGE

posix_only = pytest.mark.skipif(os.name != "posix", reason="exec and signals are POSIX semantics")

# The exec/child/chaining mechanics must not depend on the engine being loadable, so those tests
# run fail-open (the guard is installed when it can be; when it cannot, the agent still runs).
# The tests at the end run fail-closed and need a working guard.
OPEN = ["--fail-open"]

REPORT = """
import json, os, sys
import interven_autoguard.runner as r
print(json.dumps({
    "pid": os.getpid(),
    "argv": sys.argv[1:],
    "bootstrap_loaded": "interven_autoguard.runner" in sys.modules and any(
        p.endswith(os.path.join("interven_autoguard", "_bootstrap")) for p in sys.path),
    "activated_by": r.activated_by(),
    "mode": os.environ.get("INTERVEN_MODE"),
}), flush=True)
"""


def test_exit_code_argv_and_streams_pass_through(tmp_path):
    agent = write_script(tmp_path / "agent.py", """
        import sys
        data = sys.stdin.read()
        sys.stdout.write(data.upper())
        sys.stderr.write("to-stderr\\n")
        sys.exit(int(sys.argv[1]))
    """)
    res = run([*OPEN, str(agent), "7", "--mode", "x"], input="hello stdin\n")
    assert res.returncode == 7, res.stderr
    assert res.stdout == "HELLO STDIN\n"
    assert "to-stderr" in res.stderr


@posix_only
def test_agent_replaces_the_launcher_process(tmp_path):
    agent = write_script(tmp_path / "agent.py", REPORT)
    proc = subprocess.Popen(runner_argv([*OPEN, "--mode", "monitor", str(agent), "a", "-m", "b"]),
                            env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert report["pid"] == proc.pid  # exec'd, not spawned: signals reach the agent directly
    assert report["argv"] == ["a", "-m", "b"]
    assert report["mode"] == "monitor"
    assert report["bootstrap_loaded"] is True


@posix_only
def test_signals_reach_the_agent(tmp_path):
    agent = write_script(tmp_path / "agent.py", """
        import signal, sys, time
        def on_term(signum, frame):
            print("got", signum, flush=True)
            sys.exit(42)
        signal.signal(signal.SIGTERM, on_term)
        print("ready", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen(runner_argv([*OPEN, str(agent)]), env=child_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 42
    assert f"got {int(signal.SIGTERM)}" in out

    killer = write_script(tmp_path / "killer.py", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    res = run([*OPEN, str(killer)])
    assert res.returncode == -signal.SIGKILL


def test_module_mode(tmp_path):
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    write_script(pkg / "tool.py", REPORT + "raise SystemExit(3)\n")
    res = run([*OPEN, "-m", "mypkg.tool", "x", "--policy", "y"], env=child_env(pythonpath=[tmp_path]))
    assert res.returncode == 3, res.stderr
    report = json.loads(res.stdout)
    assert report["argv"] == ["x", "--policy", "y"]
    assert report["bootstrap_loaded"] is True


def test_child_python_processes_are_bootstrapped_and_user_sitecustomize_is_chained(tmp_path):
    user_dir = tmp_path / "user_site"
    user_dir.mkdir()
    marker = tmp_path / "marker.txt"
    (user_dir / "sitecustomize.py").write_text(
        "import os\nUSER_SITECUSTOMIZE = True\n"
        f"with open({str(marker)!r}, 'a') as f:\n    f.write(str(os.getpid()) + '\\n')\n"
    )
    child = write_script(tmp_path / "child.py", REPORT)
    agent = write_script(tmp_path / "agent.py", f"""
        import json, subprocess, sys
        import sitecustomize
        assert getattr(sitecustomize, "USER_SITECUSTOMIZE", False), sitecustomize
        out = subprocess.run([sys.executable, {str(child)!r}, "child-arg"], capture_output=True, text=True,
                             check=True).stdout
        grandchild = subprocess.run([sys.executable, "-c", "import sitecustomize, os; "
                                     "print(getattr(sitecustomize, 'USER_SITECUSTOMIZE', False))"],
                                    capture_output=True, text=True, check=True).stdout
        print(out.strip())
        print(grandchild.strip())
    """)
    res = run([*OPEN, str(agent)], env=child_env(pythonpath=[user_dir]))
    assert res.returncode == 0, res.stderr
    child_report, grandchild_user_site = res.stdout.strip().splitlines()
    report = json.loads(child_report)
    assert report["argv"] == ["child-arg"]
    assert report["bootstrap_loaded"] is True
    assert grandchild_user_site == "True"
    # The launcher ran it (as Python does for any program), then agent, child and `-c` grandchild
    # once each; the launcher and the agent share one pid because the launcher exec'd the agent.
    pids = marker.read_text().split()
    assert len(pids) == 4 and len(set(pids)) == 3
    assert os.name != "posix" or pids[0] == pids[1]


def test_fail_closed_when_the_guard_cannot_be_installed(tmp_path):
    # The launcher validates its own options; a child with a broken setting must not run unguarded.
    child = write_script(tmp_path / "child.py", "print('CHILD RAN')\n")
    agent = write_script(tmp_path / "agent.py", f"""
        import os, subprocess, sys
        env = dict(os.environ, INTERVEN_MODE="bogus")
        env.pop("INTERVEN_FAIL_OPEN", None)
        res = subprocess.run([sys.executable, {str(child)!r}], env=env, capture_output=True, text=True)
        print(res.returncode)
        print(res.stdout.strip() or "-")
        sys.stderr.write(res.stderr)
        env["INTERVEN_DISABLED"] = "1"
        res = subprocess.run([sys.executable, {str(child)!r}], env=env, capture_output=True, text=True)
        print(res.returncode, res.stdout.strip())
    """)
    res = run([*OPEN, str(agent)])
    assert res.returncode == 0, res.stderr
    code, child_out, disabled = res.stdout.strip().splitlines()
    assert int(code) == EXIT_CONFIG
    assert child_out == "-"  # not one line of the program ran
    assert "FATAL: guard could not be installed" in res.stderr
    assert "refusing to run unguarded" in res.stderr
    assert disabled == "0 CHILD RAN"  # the kill switch runs the program, as documented


def test_fail_open_warns_loudly_when_unguarded(tmp_path):
    agent = write_script(tmp_path / "agent.py", "print('ran')\n")
    env = child_env({"INTERVEN_MODE": "bogus"})  # set behind the launcher's back
    res = subprocess.run(
        [sys.executable, str(agent)],
        env={**env, "PYTHONPATH": os.pathsep.join([_bootstrap(), env["PYTHONPATH"]]),
             "INTERVEN_FAIL_OPEN": "1"},
        capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 0
    assert res.stdout.strip() == "ran"
    assert "running UNGUARDED because INTERVEN_FAIL_OPEN is set" in res.stderr


def test_traces_console_configures_the_sdk_in_agent_and_children(tmp_path):
    probe = """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        print(type(trace.get_tracer_provider()).__name__)
    """
    child = write_script(tmp_path / "child.py", probe)
    agent = write_script(tmp_path / "agent.py", probe + f"""
        import subprocess, sys
        print(subprocess.run([sys.executable, {str(child)!r}], capture_output=True, text=True).stdout.strip())
        with trace.get_tracer("agent").start_as_current_span("agent-span"):
            pass
    """)
    res = run([*OPEN, "--traces", "console", str(agent)])
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["TracerProvider", "TracerProvider"]
    assert '"name": "agent-span"' in res.stderr  # console exporter writes to stderr, not the agent's stdout


@pytest.mark.skipif(not HAS_INSTALL, reason=NEEDS_INSTALL)
def test_guarded_requests_in_agent_and_child(tmp_path):
    with loopback_server() as server:
        base = f"http://127.0.0.1:{server.server_port}"
        check = f"""
            import sys
            import requests
            import interven_autoguard.runner
            from interven_autoguard.errors import RequestBlocked
            assert interven_autoguard.runner.activated_by() == "run bootstrap"
            r = requests.post({base!r} + "/ok", json={{"hello": "world"}}, timeout=10)
            assert r.status_code == 200, r.status_code
            try:
                requests.get("http://169.254.169.254/latest/meta-data/iam/", timeout=10)
            except RequestBlocked as exc:
                print("BLOCKED", exc.decision, ",".join(exc.reason_codes))
            else:
                print("NOT BLOCKED")
        """
        child = write_script(tmp_path / "child.py", check)
        agent = write_script(tmp_path / "agent.py", check + f"""
            import subprocess
            out = subprocess.run([sys.executable, {str(child)!r}], capture_output=True, text=True).stdout
            print(out.strip())
        """)
        res = run([str(agent)])
        assert res.returncode == 0, res.stderr
        lines = res.stdout.strip().splitlines()
        assert len(lines) == 2
        assert all(line.startswith("BLOCKED DENY") for line in lines), lines
        assert [p for _, p, _ in server.received] == ["/ok", "/ok"]  # nothing else reached any server


def _python_without_the_package() -> str | None:
    """A system python3 that has none of the package's dependencies (the user's case), if any."""
    import shutil

    for name in ("/usr/bin/python3", shutil.which("python3")):
        if not name or not os.path.exists(name) or os.path.realpath(name) == os.path.realpath(sys.executable):
            continue
        probe = subprocess.run([name, "-S", "-c", "import opentelemetry"], capture_output=True, timeout=30)
        if probe.returncode != 0:
            return name
    return None


@pytest.mark.parametrize("child", ["system-python3", "shadowed-dependency"])
@pytest.mark.skipif(not HAS_INSTALL, reason=NEEDS_INSTALL)
def test_a_child_python_without_the_package_is_told_to_install_it_or_be_disabled(tmp_path, child):
    """An interpreter that sees the package through the bootstrap but lacks its dependencies: the
    message names that interpreter and the two safe ways out; not INTERVEN_FAIL_OPEN, which would
    turn checking off for every process."""
    if child == "system-python3":
        python = _python_without_the_package()
        if python is None:
            pytest.skip("no python3 without opentelemetry on this machine")
        shadow = ""
    else:  # this very interpreter, with a dependency made unimportable ahead of site-packages
        python = sys.executable
        (tmp_path / "shadow" / "opentelemetry").mkdir(parents=True)
        (tmp_path / "shadow" / "opentelemetry" / "__init__.py").write_text(
            "raise ModuleNotFoundError(\"No module named 'opentelemetry'\", name='opentelemetry')\n")
        shadow = str(tmp_path / "shadow")
    program = write_script(tmp_path / "child.py", "print('CHILD RAN')\n")
    agent = write_script(tmp_path / "agent.py", f"""
        import os, subprocess, sys
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in [{shadow!r}, env.get("PYTHONPATH", "")] if p)
        res = subprocess.run([{python!r}, {str(program)!r}], env=env, capture_output=True, text=True)
        print(res.returncode, res.stdout.strip() or "-")
        sys.stderr.write(res.stderr)
    """)
    res = run([str(agent)])
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"{EXIT_CONFIG} -", res.stderr  # fail closed: not one line ran
    assert f"this Python ({python}) does not have interven-autoguard installed" in res.stderr
    assert f"{python} -m pip install interven-autoguard" in res.stderr
    assert "INTERVEN_DISABLED=1" in res.stderr
    assert "INTERVEN_FAIL_OPEN" not in res.stderr


def _bootstrap() -> str:
    from interven_autoguard.runner import bootstrap_dir

    return bootstrap_dir()


@pytest.mark.skipif(not HAS_INSTALL, reason=NEEDS_INSTALL)
def test_invalid_policy_stops_before_the_program(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[settings]\nsecrets = "MAYBE"\n')
    agent = write_script(tmp_path / "agent.py", "print('PROGRAM RAN')\n")
    res = run(["--policy", str(policy), str(agent)])
    assert res.returncode == EXIT_CONFIG
    assert "PROGRAM RAN" not in res.stdout
    # The launcher loads the policy itself: one line naming the file and the line, before exec.
    assert "invalid policy" in res.stderr and "line 2" in res.stderr and "FATAL" not in res.stderr


def test_the_current_directory_stays_importable_through_an_empty_pythonpath_entry(tmp_path):
    """``PYTHONPATH=":/x"`` makes the working directory importable; under ``run`` too."""
    (tmp_path / "localmod.py").write_text("VALUE = 'local'\n")
    (tmp_path / "scripts").mkdir()
    agent = write_script(tmp_path / "scripts" / "agent.py", "import localmod\nprint(localmod.VALUE)\n")
    env = child_env(pythonpath=[ROOT])  # the package itself, wherever the test runs from
    env["PYTHONPATH"] = os.pathsep + env["PYTHONPATH"]
    res = run([*OPEN, str(agent)], env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "local"


def test_monitor_mode_with_log_warning_shows_what_it_let_through(tmp_path):
    """``run --mode monitor --log warning``: the request goes out unchanged, and stderr says what
    enforce would have done (types and reasons, never the value)."""
    ssn = "478-23-9156"
    with loopback_server() as server:
        url = f"http://127.0.0.1:{server.server_port}/crm"
        agent = write_script(tmp_path / "agent.py", f"""
            import json, urllib.request
            body = json.dumps({{"note": "customer SSN {ssn}"}}).encode()
            req = urllib.request.Request({url!r}, data=body, headers={{"Content-Type": "application/json"}})
            print(urllib.request.urlopen(req, timeout=10).status)
        """)
        res = run(["--mode", "monitor", "--log", "warning", str(agent)])
        received = list(server.received)  # type: ignore[attr-defined]
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "200"
    assert received and ssn.encode() in received[0][2]  # monitor: sent unchanged
    lines = [line for line in res.stderr.splitlines() if line.startswith("interven-autoguard WARNING")]
    assert len(lines) == 1 and "mode=monitor" in lines[0] and "PII_DETECTED" in lines[0], res.stderr
    assert "decision=ALLOW would=SANITIZE" in lines[0] and "findings=US_SSN@body$.note" in lines[0]
    assert ssn not in res.stderr and "478-23" not in res.stderr


def test_log_warning_shows_a_redaction_in_enforce_mode(tmp_path):
    """``run --log warning``: a SANITIZE changed what was sent, so it is printed (with the field),
    while the ALLOWs around it are not."""
    email = "bob.lee@customer.io"
    with loopback_server() as server:
        url = f"http://127.0.0.1:{server.server_port}/api/contacts"
        agent = write_script(tmp_path / "agent.py", f"""
            import json, urllib.request
            headers = {{"Content-Type": "application/json"}}
            for contact in ({{"email": {email!r}}}, {{"name": "Bob"}}):
                body = json.dumps({{"contact": contact}}).encode()
                req = urllib.request.Request({url!r}, data=body, headers=headers)
                print(urllib.request.urlopen(req, timeout=10).status)
        """)
        res = run(["--log", "warning", str(agent)])
        received = list(server.received)  # type: ignore[attr-defined]
    assert res.returncode == 0, res.stderr
    assert len(received) == 2 and email.encode() not in received[0][2]  # redacted before sending
    lines = [line for line in res.stderr.splitlines() if line.startswith("interven-autoguard ")]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("interven-autoguard WARNING interven guard decision=SANITIZE mode=enforce")
    assert "findings=EMAIL@body$.contact.email" in lines[0]
    assert email not in res.stderr and "customer.io" not in res.stderr


def test_an_invalid_log_level_is_refused_before_exec(tmp_path):
    agent = write_script(tmp_path / "agent.py", "print('ran')\n")
    res = run(["--log", "loud", str(agent)])
    assert res.returncode == EXIT_USAGE and "ran" not in res.stdout
    res = run([str(agent)], env=child_env({"INTERVEN_LOG": "loud"}))
    assert res.returncode == EXIT_CONFIG and "INTERVEN_LOG" in res.stderr and "ran" not in res.stdout
