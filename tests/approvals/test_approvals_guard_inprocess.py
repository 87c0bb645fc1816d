"""In-process guard + embedded engine + SQLite store: what monitor mode and an approval send."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import interven_autoguard as autoguard
from interven_autoguard.approvals.store import SQLiteApprovalStore

SSN = "478-23-9156"
POLICY = """
[[rules]]
id = "payouts-need-a-human"
methods = ["POST"]
paths = ["/payouts"]
decision = "REQUIRE_APPROVAL"
"""


class _Recorder(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        type(self).received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.received = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SQLiteApprovalStore]:
    db = tmp_path / "approvals.sqlite3"
    monkeypatch.setenv("INTERVEN_APPROVALS_DB", str(db))
    s = SQLiteApprovalStore(db)
    yield s
    s.close()
    autoguard.uninstall()


def test_monitor_mode_sends_and_asks_no_human(server, store, tmp_path):
    import requests

    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    autoguard.install(mode="monitor", policy=str(policy))
    assert requests.post(server + "/payouts", json={"amount": 5}, timeout=10).status_code == 201
    assert len(_Recorder.received) == 1
    assert store.list() == []  # no pending record left behind for approvers


def test_an_approved_request_keeps_its_secrets_redacted(server, store, tmp_path):
    import requests

    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    autoguard.install(policy=str(policy), approval_timeout=30)
    outcome: dict[str, object] = {}

    def agent() -> None:
        r = requests.post(server + "/payouts", json={"amount": 5, "memo": f"ssn {SSN}"}, timeout=60)
        outcome["status"] = r.status_code

    t = threading.Thread(target=agent)
    t.start()
    deadline = time.monotonic() + 30
    while not store.list(state="pending") and time.monotonic() < deadline:
        time.sleep(0.05)
    (pending,) = store.list(state="pending")
    assert SSN not in json.dumps(pending.request_display)  # the approver sees it masked ...
    store.decide(pending.id, approve=True, decided_by="test", reason="ok")
    t.join(30)
    assert outcome["status"] == 201
    (sent,) = _Recorder.received  # ... and exactly that masked request is what goes out
    assert json.loads(sent) == {"amount": 5, "memo": "ssn [REDACTED:US_SSN]"}
