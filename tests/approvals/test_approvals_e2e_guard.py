"""End to end: a guarded agent's own HTTP call is held until a human decides in another process.

The agent (``approvals_agent.py``) runs ``interven_autoguard.install(policy=FILE)`` and POSTs to a
loopback server started here; the policy routes ``POST /payouts`` to REQUIRE_APPROVAL. The test
approves or denies through the CLI in a third process and asserts on what the server received.
"""

from __future__ import annotations

import importlib
import json
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from approvals_testlib import eventually, run_cli, subprocess_env

from interven_autoguard.approvals.store import SQLiteApprovalStore

AGENT = Path(__file__).resolve().parent / "approvals_agent.py"


def _guard_available() -> bool:
    try:
        package = importlib.import_module("interven_autoguard")
    except ImportError:
        return False
    return callable(getattr(package, "install", None))


pytestmark = pytest.mark.skipif(
    not _guard_available(),
    reason="interven_autoguard.install() is not available (the guard package is missing from this tree)",
)

POLICY = """
description = "approval e2e test: every payout needs a human"

[settings]
approval_ttl_seconds = {ttl}
private_network = "ALLOW"

[[rules]]
id = "payouts-need-approval"
description = "a human approves every payout"
decision = "REQUIRE_APPROVAL"
methods = ["POST"]
hosts = ["127.0.0.1"]
paths = ["/payouts"]
"""


class Recorder(BaseHTTPRequestHandler):
    received: list[dict]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.received.append(
            {"path": self.path, "body": body, "authorization": self.headers.get("Authorization")}
        )
        payload = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []
    handler = type("PayoutsHandler", (Recorder,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/payouts", received
    server.shutdown()
    server.server_close()


def _policy(tmp_path: Path, ttl: int = 600) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY.format(ttl=ttl))
    return path


class Agent:
    def __init__(self, db: Path, policy: Path, url: str, library: str = "requests", **env: str) -> None:
        self.body = json.dumps({"amount": 125, "currency": "EUR", "destination": "acct_7731"})
        self.auth = secrets.token_hex(20)  # a live-looking credential the display must never show
        self.proc = subprocess.Popen(
            [sys.executable, str(AGENT), str(policy), url, self.body, self.auth, library],
            env=subprocess_env(db, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self) -> tuple[dict, list[str]]:
        out, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, err
        lines = [json.loads(line) for line in out.strip().splitlines()]
        return lines[-1], lines[:-1]

    def held(self, store: SQLiteApprovalStore):
        def pending():
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                raise AssertionError(f"agent exited before an approval appeared: {out}\n{err}")
            return store.list(state="pending")

        records = eventually(pending, timeout=60, what="the held request's approval")
        assert len(records) == 1
        return records[0]


@pytest.mark.parametrize("library", ["requests", "httpx-async"])
def test_approved_call_is_sent_exactly_once_with_the_original_body(tmp_path, db_path, upstream, library):
    url, received = upstream
    store = SQLiteApprovalStore(db_path)
    agent = Agent(db_path, _policy(tmp_path), url, library)
    record = agent.held(store)
    assert received == []  # held: not a byte has left yet
    assert record.method == "POST" and record.url.endswith("/payouts")
    assert "POLICY_RULE" in record.reason_codes or "APPROVAL_REQUIRED" in record.reason_codes
    # The approver sees a masked request: the credential is neither on the record nor in the file.
    assert agent.auth not in json.dumps(record.to_dict())
    assert agent.auth.encode() not in db_path.read_bytes()
    assert "acct_7731" in json.dumps(record.request_display)

    approved = run_cli(db_path, "approve", record.id, "--reason", "expected payout", "--by", "alice")
    assert approved.returncode == 0, approved.stderr
    result, extra = agent.result()
    assert result == {"outcome": "sent", "status": 200}
    assert len(received) == 1
    assert received[0]["body"] == agent.body.encode()
    assert received[0]["authorization"] == f"Bearer {agent.auth}"
    assert store.get(record.id).state == "executed"
    if library == "httpx-async":
        assert extra and extra[0]["heartbeat_ticks"] > 1  # the event loop kept running meanwhile


def test_denied_call_raises_request_blocked_and_sends_nothing(tmp_path, db_path, upstream):
    url, received = upstream
    store = SQLiteApprovalStore(db_path)
    agent = Agent(db_path, _policy(tmp_path), url)
    record = agent.held(store)
    denied = run_cli(db_path, "deny", record.id, "--reason", "unknown destination account")
    assert denied.returncode == 0, denied.stderr
    result, _ = agent.result()
    assert result["outcome"] == "blocked"
    assert result["approval_id"] in (None, record.id)
    assert agent.auth not in result["message"]
    assert received == []
    assert store.get(record.id).state == "denied"


@pytest.mark.parametrize("how", ["policy ttl", "approval_timeout"])
def test_expired_call_raises_request_blocked_and_sends_nothing(tmp_path, db_path, upstream, how):
    url, received = upstream
    store = SQLiteApprovalStore(db_path)
    if how == "policy ttl":
        agent = Agent(db_path, _policy(tmp_path, ttl=1), url)
    else:
        agent = Agent(db_path, _policy(tmp_path), url, INTERVEN_APPROVAL_TIMEOUT="1")
    result, _ = agent.result()
    assert result["outcome"] == "blocked"
    assert received == []
    (record,) = store.list()
    assert record.state == "expired"
    late = run_cli(db_path, "approve", record.id)
    assert late.returncode == 1 and "expired" in late.stderr
    assert received == []
