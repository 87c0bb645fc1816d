"""``run`` says which scanner decides and where, and refuses a choice that would surprise.

No test here sends a request: an agent that never makes one is enough to see whether ``run``
started it, so even a regression cannot reach the hosted service's address.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from runner_support import child_env, run, write_script

from interven_autoguard.runner import EXIT_CONFIG

HOSTED_GATEWAY_URL = "https://api.intervensecurity.com"
KEY = "iv_live_" + "Zq8RfT2mXw7Lp4Nv"  # never printed
AGENT = "print('PROGRAM RAN')\n"


def _dead_loopback_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_a_key_without_a_gateway_url_stops_the_launch(tmp_path: Path) -> None:
    agent = write_script(tmp_path / "agent.py", AGENT)
    res = run([str(agent)], env=child_env({"INTERVEN_API_KEY": KEY}))
    assert res.returncode == EXIT_CONFIG, res.stderr
    assert "PROGRAM RAN" not in res.stdout
    assert "INTERVEN_GATEWAY_URL" in res.stderr and HOSTED_GATEWAY_URL in res.stderr
    assert "Traceback" not in res.stderr
    assert KEY not in res.stderr + res.stdout


def test_a_local_policy_with_a_gateway_key_stops_the_launch(tmp_path: Path) -> None:
    policy = tmp_path / "payouts.toml"
    policy.write_text('[[rules]]\nid = "payouts"\nmethods = ["POST"]\npaths = ["/payouts*"]\n'
                      'decision = "REQUIRE_APPROVAL"\n')
    agent = write_script(tmp_path / "agent.py", AGENT)
    url = _dead_loopback_url()
    env = child_env({"INTERVEN_API_KEY": KEY, "INTERVEN_GATEWAY_URL": url})
    for args, extra in ((["--policy", str(policy)], {}), ([], {"INTERVEN_POLICY": str(policy)})):
        res = run([*args, str(agent)], env={**env, **extra})
        assert res.returncode == EXIT_CONFIG, res.stderr
        assert "PROGRAM RAN" not in res.stdout
        assert "no effect" in res.stderr and "gateway" in res.stderr and url in res.stderr
        assert KEY not in res.stderr + res.stdout


@pytest.mark.parametrize("gateway", [False, True])
def test_run_says_once_which_scanner_decides_and_where(tmp_path: Path, gateway: bool) -> None:
    agent = write_script(tmp_path / "agent.py", AGENT)
    url = _dead_loopback_url()  # nothing is sent: the agent makes no request
    extra = {"INTERVEN_API_KEY": KEY, "INTERVEN_GATEWAY_URL": url + "/some/path?k=v"} if gateway else {}
    res = run([str(agent)], env=child_env(extra))
    assert res.returncode == 0, res.stderr
    assert "PROGRAM RAN" in res.stdout
    lines = [line for line in res.stderr.splitlines() if "scanning with" in line]
    assert len(lines) == 1, res.stderr
    if gateway:
        assert f"the gateway at {url} " in lines[0] and "/some/path" not in lines[0]
    else:
        assert "embedded engine" in lines[0] and "built-in default" in lines[0]
    assert KEY not in res.stderr + res.stdout
