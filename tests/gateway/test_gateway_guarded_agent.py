"""End to end: an agent process guarded by ``install()`` in gateway mode is held on REQUIRE_APPROVAL
until an approver decides through the gateway; the tool then receives the original body once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from gw_support import REPO_DIR, TESTS_DIR, GatewayThread, post_json

pytest.importorskip("requests")
try:
    from interven_autoguard.guard import install as _install
except ImportError:
    _install = None

pytestmark = pytest.mark.skipif(_install is None, reason="the guard's install() is not on this branch yet")

AGENT = """
import sys, json
sys.path.insert(0, {tests!r})
import safetynet
safetynet.install()
import requests
import interven_autoguard
from interven_autoguard.guard import install
install()
try:
    r = requests.put({url!r}, json={{"permission": "push"}}, timeout=60)
    print(json.dumps({{"status": r.status_code}}))
except Exception as exc:
    print(json.dumps({{"blocked": type(exc).__name__, "decision": getattr(exc, "decision", None)}}))
"""


def start_agent(team, gw_url: str, target: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": REPO_DIR,
        "INTERVEN_API_KEY": team.api_key,
        "INTERVEN_GATEWAY_URL": gw_url,
        "INTERVEN_APPROVAL_TIMEOUT": "60",
    }
    return subprocess.Popen(
        [sys.executable, "-c", AGENT.format(tests=TESTS_DIR, url=target)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_pending(gw, agent: subprocess.Popen[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = gw.gateway.approvals.list(state="pending")
        if pending:
            return pending[0].id
        if agent.poll() is not None:
            out, err = agent.communicate()
            raise AssertionError(f"agent ended without asking for approval: {out} {err[-3000:]}")
        time.sleep(0.05)
    raise AssertionError("no approval was requested")


@pytest.mark.parametrize("approve", [True, False])
def test_guarded_call_is_released_or_refused_by_the_gateway_approver(tmp_path, team, upstream, approve):
    with GatewayThread(team.config(), f"sqlite:///{tmp_path}/gw.db") as gw:  # team: TEST_POLICY
        agent = start_agent(team, gw.url, upstream.url + "/repos/acme/app/collaborators/eve")
        try:
            approval_id = wait_pending(gw, agent)
            assert upstream.requests == []  # held
            status, _ = post_json(
                f"{gw.url}/v1/approvals/{approval_id}/{'approve' if approve else 'deny'}",
                team.approver_token,
                {"reason": "test"},
            )
            assert status == 200
            out, err = agent.communicate(timeout=60)
        finally:
            agent.kill()
        result = json.loads(out.strip().splitlines()[-1])
        if approve:
            assert result == {"status": 201}, err
            assert len(upstream.requests) == 1
            assert json.loads(upstream.requests[0]["body"]) == {"permission": "push"}
            assert gw.gateway.approvals.get(approval_id).state == "executed"
        else:
            assert result["blocked"] and upstream.requests == []
