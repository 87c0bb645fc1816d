"""End to end against a real Arize Phoenix: decisions of a guarded agent, read back over REST.

Needs a running Phoenix: ``.ci/phoenix.sh`` starts one (its own venv, loopback only, no outbound
connections) and exports ``PHOENIX_URL``; without it this module is skipped.
"""

from __future__ import annotations

import http.server
import json
import os
import secrets
import string
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from pathlib import Path

import pytest

PHOENIX_URL = os.environ.get("PHOENIX_URL", "").rstrip("/")
pytestmark = pytest.mark.skipif(
    not PHOENIX_URL, reason="PHOENIX_URL is not set (start Phoenix with .ci/phoenix.sh)"
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TESTS = ROOT / "tests"


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append((self.path, body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def _github_token() -> str:
    """A token in GitHub's real format (checksummed), random, built at run time."""
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
    body = "".join(secrets.choice(alphabet) for _ in range(30))
    crc, check = zlib.crc32(body.encode()), ""
    while crc:
        crc, rem = divmod(crc, 62)
        check = alphabet[rem] + check
    return "ghp_" + body + check.rjust(6, "0")


def _planted() -> dict[str, str]:
    rnd = secrets.SystemRandom()
    ssn = f"{rnd.randint(100, 665):03d}-{rnd.randint(10, 99):02d}-{rnd.randint(1000, 9999):04d}"
    return {"token": _github_token(), "ssn": ssn}


def _launcher() -> list[str]:
    """`python -m interven_autoguard run` once the CLI has the subcommand, else the runner module."""
    probe = subprocess.run([sys.executable, "-m", "interven_autoguard", "run", "--help"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    if probe.returncode == 0 and "--otlp-endpoint" in probe.stdout:
        return [sys.executable, "-m", "interven_autoguard", "run"]
    return [sys.executable, "-m", "interven_autoguard.runner"]


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as resp:  # loopback Phoenix only
        return json.loads(resp.read())


def _spans(project: str, want: int, deadline_s: float = 60) -> tuple[list[dict], str]:
    url = f"{PHOENIX_URL}/v1/projects/{project}/spans?limit=100"
    end = time.monotonic() + deadline_s
    raw, spans = "", []
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                raw = resp.read().decode()
            spans = [s for s in json.loads(raw)["data"] if s["name"].startswith("interven.guard")]
        except urllib.error.HTTPError as exc:  # 404 until the project's first span arrives
            if exc.code != 404:
                raise
        if len(spans) >= want:
            return spans, raw
        time.sleep(0.5)
    return spans, raw


def test_decisions_reach_phoenix_without_the_planted_values():
    assert _get_json(f"{PHOENIX_URL}/v1/projects")["data"] is not None  # reachable, REST API on

    planted = _planted()
    project = "interven-e2e-" + secrets.token_hex(4)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.received = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVEN_", "OTEL_"))}
        env.update({
            "PYTHONPATH": str(TESTS),
            "E2E_PLANTED": json.dumps(planted),
            "OTEL_SERVICE_NAME": "phoenix-e2e-agent",
            "OTEL_RESOURCE_ATTRIBUTES": f"openinference.project.name={project}",
        })
        cmd = [*_launcher(), "--traces", "otlp", "--otlp-endpoint", f"{PHOENIX_URL}/v1/traces",
               str(HERE / "phoenix_agent.py"), f"http://127.0.0.1:{server.server_port}"]
        res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
        server.server_close()

    assert res.returncode == 0, res.stderr
    outcome = json.loads(res.stdout.strip().splitlines()[-1])
    assert outcome["allowed"] == 200 and outcome["sanitized"] == 200
    assert outcome["blocked"]["decision"] == "DENY"
    assert "SSRF_METADATA" in outcome["blocked"]["reason_codes"]

    # What the loopback server received: the allowed body intact, the sanitized one scrubbed,
    # nothing at all for the blocked call.
    received = dict(server.received)  # type: ignore[attr-defined]
    assert sorted(received) == ["/allowed", "/sanitized"]
    assert b"Paris" in received["/allowed"]
    for value in planted.values():
        assert value.encode() not in received["/sanitized"]

    spans, raw = _spans(project, 3)
    assert len(spans) == 3, raw[:2000]
    allowed = next(s for s in spans if s["attributes"]["url.full"].endswith("/allowed"))
    sanitized = next(s for s in spans if s["attributes"]["url.full"].endswith("/sanitized"))
    blocked = next(s for s in spans if s["attributes"]["server.address"] == "169.254.169.254")

    assert allowed["attributes"]["interven.decision"] == "ALLOW"
    assert allowed["attributes"]["http.response.status_code"] == 200
    assert allowed["status_code"] != "ERROR"

    a = sanitized["attributes"]
    assert a["interven.decision"] == "SANITIZE"
    assert {"SECRET_DETECTED", "PII_DETECTED"} <= set(a["interven.reason_codes"])
    assert a["interven.findings.count"] >= 2 and a["interven.redactions"] >= 2
    assert a["interven.layer"] and a["interven.scanner"] == "embedded"

    b = blocked["attributes"]
    assert b["interven.decision"] == "DENY"
    assert "SSRF_METADATA" in b["interven.reason_codes"]
    assert blocked["status_code"] == "ERROR"
    assert "http.response.status_code" not in b

    # The planted values appear nowhere in what Phoenix stored (span JSON as served by its API).
    for name, value in planted.items():
        assert value not in raw, f"planted {name} reached Phoenix"
    assert planted["token"][4:] not in raw
