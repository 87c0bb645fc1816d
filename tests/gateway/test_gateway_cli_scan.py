"""``python -m interven_autoguard scan`` against a real gateway: a dry run there too."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from gw_support import REPO_DIR, TESTS_DIR


def test_cli_scan_leaves_no_pending_approval_on_the_gateway(gateway, team, upstream) -> None:
    prelude = f"import sys; sys.path.insert(0, {TESTS_DIR!r}); import safetynet; safetynet.install(); "
    code = prelude + "from interven_autoguard.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVEN_")}
    env.update({"PYTHONPATH": REPO_DIR, "INTERVEN_API_KEY": team.api_key,
                "INTERVEN_GATEWAY_URL": gateway.url})
    url = upstream.url + "/repos/acme/app/collaborators/eve"
    out = subprocess.run([sys.executable, "-c", code, "scan", "--method", "PUT", "--url", url],
                         capture_output=True, text=True, cwd=REPO_DIR, timeout=60, env=env)
    assert out.returncode == 4, out.stderr  # REQUIRE_APPROVAL
    result = json.loads(out.stdout)
    assert result["decision"] == "REQUIRE_APPROVAL" and result["scanner"] == "gateway"
    assert result["approval_id"] is None
    assert gateway.gateway.approvals.list(state="pending") == []
    assert team.api_key not in out.stdout + out.stderr
    assert upstream.requests == []
