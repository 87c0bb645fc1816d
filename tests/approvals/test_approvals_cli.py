"""``python -m interven_autoguard.approvals.cli`` as a separate process against a shared store file."""

from __future__ import annotations

import json
import queue
import secrets
import subprocess
import sys
import threading
import time

import pytest
from approvals_testlib import ROOT, RUNNER, eventually, make_record, popen_module, run_cli, subprocess_env

from interven_autoguard.approvals.store import SQLiteApprovalStore


def test_list_shows_pending_requests_and_all_with_flag(db_path, store, new_record):
    a = new_record(url="http://127.0.0.1:9/payouts")
    b = new_record(url="http://127.0.0.1:9/refunds")
    store.decide(b.id, approve=False, decided_by="bob", reason="no")
    out = run_cli(db_path, "list")
    assert out.returncode == 0, out.stderr
    assert a.id in out.stdout and "/payouts" in out.stdout and "pending" in out.stdout
    assert b.id not in out.stdout
    everything = run_cli(db_path, "list", "--all").stdout
    assert a.id in everything and b.id in everything and "denied by bob" in everything
    as_json = json.loads(run_cli(db_path, "list", "--state", "denied", "--json").stdout)
    assert [r["id"] for r in as_json] == [b.id] and as_json[0]["reason"] == "no"


def test_list_when_empty(db_path, store):
    out = run_cli(db_path, "list")
    assert out.returncode == 0 and "no pending approvals" in out.stdout


@pytest.mark.parametrize("command", [["list"], ["show", "apr_x"], ["approve", "apr_x"],
                                     ["deny", "apr_x", "--reason", "no"], ["purge", "--older-than", "0"]])
def test_a_database_that_does_not_exist_is_an_error_not_an_empty_queue(db_path, tmp_path, command):
    """A mistyped --db (or a different $INTERVEN_APPROVALS_DB in the approver's shell) must not
    look like an empty queue, nor leave a new database behind."""
    typo = tmp_path / "no-such-dir" / "aprovals.sqlite3"
    for args in ([*command, "--db", str(typo)], command):  # the option, then the variable
        out = run_cli(db_path, *args)
        missing = typo if "--db" in args else db_path
        assert out.returncode == 1, out.stdout + out.stderr
        assert f"error: no approvals database at {missing}" in out.stderr
        assert "no pending approvals" not in out.stdout
    assert not typo.parent.exists() and not db_path.exists()


def test_watch_on_a_database_that_does_not_exist_yet_says_so(db_path):
    proc = popen_module(db_path, "interven_autoguard.approvals.cli", "watch")
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"watching {db_path}" in first
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert f"note: no approvals database at {db_path} yet" in err


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_refuses_a_port_out_of_range_as_a_usage_error(db_path, store, port):
    out = run_cli(db_path, "serve", "--port", port)
    assert out.returncode == 2, out.stderr
    assert "argument --port" in out.stderr and "Traceback" not in out.stderr


def test_show_prints_the_masked_request(db_path, new_record):
    rec = new_record(
        request_display={
            "headers": {"Authorization": "[REDACTED:BEARER]", "Content-Type": "application/json"},
            "body": '{"amount": 125, "iban": "[REDACTED:IBAN]"}',
        },
    )
    out = run_cli(db_path, "show", rec.id)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for expected in (
        rec.id,
        "POST http://127.0.0.1:9/payouts",
        "Authorization: [REDACTED:BEARER]",
        '"iban": "[REDACTED:IBAN]"',
        "POLICY_RULE, APPROVAL_REQUIRED",
        "HIGH (0.70)",
        "payout-bot",
        rec.request_hash,
        "pid 1 on host test",
    ):
        assert expected in text, expected
    data = json.loads(run_cli(db_path, "show", rec.id, "--json").stdout)
    assert data["id"] == rec.id and data["request_display"]["headers"]["Authorization"] == "[REDACTED:BEARER]"


def test_show_escapes_terminal_control_sequences_from_the_agent_side(db_path, new_record):
    rec = new_record(url="http://127.0.0.1:9/x\x1b[2J\u202e", request_display={"body": "a\x1b]0;pwned\x07b"})
    out = run_cli(db_path, "show", rec.id).stdout
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "\\x1b[2J" in out and "\\u202e" in out


def test_approve_and_deny_record_who_and_why(db_path, new_record):
    a, b = new_record(), new_record()
    out = run_cli(db_path, "approve", a.id, "--reason", "expected payout", "--by", "alice")
    assert out.returncode == 0 and f"{a.id} approved by alice" in out.stdout
    out = run_cli(db_path, "deny", b.id, "--reason", "unknown recipient")
    assert out.returncode == 0 and "denied" in out.stdout
    store = SQLiteApprovalStore(db_path)
    got_a, got_b = store.get(a.id), store.get(b.id)
    assert (got_a.state, got_a.decided_by, got_a.reason) == ("approved", "alice", "expected payout")
    assert (got_b.state, got_b.reason) == ("denied", "unknown recipient")
    assert "@" in got_b.decided_by  # default approver: user@host


def test_decision_errors_are_clear_and_exit_1(db_path, new_record):
    rec = new_record()
    assert run_cli(db_path, "approve", rec.id).returncode == 0
    again = run_cli(db_path, "deny", rec.id, "--reason", "changed my mind")
    assert again.returncode == 1 and "already approved" in again.stderr and "Traceback" not in again.stderr
    missing = run_cli(db_path, "show", "apr_missing")
    assert missing.returncode == 1 and "no approval with id" in missing.stderr
    other = new_record()
    no_reason = run_cli(db_path, "deny", other.id)
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    blank = run_cli(db_path, "deny", other.id, "--reason", "  ")
    assert blank.returncode == 1 and "reason" in blank.stderr
    assert SQLiteApprovalStore(db_path).get(other.id).state == "pending"


def test_db_from_environment_or_flag(db_path, tmp_path, new_record):
    rec = new_record()
    elsewhere = tmp_path / "other.sqlite3"
    assert rec.id in run_cli(db_path, "list").stdout  # $INTERVEN_APPROVALS_DB
    assert rec.id not in run_cli(db_path, "list", "--db", str(elsewhere)).stdout


def test_watch_prints_new_requests_as_they_arrive_and_decisions(db_path, store):
    existing = make_record(store, url="http://127.0.0.1:9/already-there")
    proc = popen_module(db_path, "interven_autoguard.approvals.cli", "watch")
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    seen: list[str] = []

    def saw(text):
        def check():
            while not lines.empty():
                seen.append(lines.get())
            return any(text in line for line in seen)

        return check

    try:
        eventually(saw("watching"), what="watch banner")
        eventually(saw(existing.id), what="the approval pending before watch started")
        rec = make_record(store, url="http://127.0.0.1:9/new-payout")
        eventually(saw(rec.id), what="the new approval")
        new_line = next(line for line in seen if rec.id in line)
        assert new_line.startswith("NEW") and "/new-payout" in new_line
        # The hint is a line of its own, printed after the NEW line: it may not have been read yet.
        eventually(saw(f"approve {rec.id}"), what="the approve hint")
        store.decide(rec.id, approve=False, decided_by="bob", reason="no")
        eventually(saw(f"DENIED   {rec.id}"), what="the decision")
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()


def test_help_lists_every_command(db_path):
    out = run_cli(db_path, "--help")
    assert out.returncode == 0
    for command in ("list", "show", "approve", "deny", "watch", "serve"):
        assert command in out.stdout


def test_reachable_through_the_top_level_cli(db_path, new_record):
    if not (ROOT / "interven_autoguard" / "__main__.py").exists():
        pytest.skip("the top-level CLI is not on this branch")
    rec = new_record()
    out = subprocess.run(
        [sys.executable, str(RUNNER), "interven_autoguard", "approvals", "list"],
        env=subprocess_env(db_path),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(ROOT),
    )
    assert out.returncode == 0, out.stderr
    assert rec.id in out.stdout


def test_expired_approvals_say_so(db_path, new_record):
    rec = new_record(ttl_seconds=0.2)
    time.sleep(0.3)
    out = run_cli(db_path, "list", "--all").stdout
    assert f"{rec.id}  expired at " in out


def test_purge(db_path, store, new_record):
    kept = new_record()
    gone = new_record()
    store.decide(gone.id, approve=False, decided_by="b", reason="no")
    out = run_cli(db_path, "purge", "--older-than", "30")
    assert out.returncode == 0 and "deleted 0" in out.stdout
    out = run_cli(db_path, "purge", "--older-than", "0")
    assert out.returncode == 0 and "deleted 1" in out.stdout
    assert [r.id for r in store.list()] == [kept.id]


def test_list_into_a_closed_pipe_ends_quietly(db_path, store):
    """``approvals list | head -1``: the reader leaves early; no BrokenPipe traceback, status 0."""
    for i in range(400):
        make_record(store, url=f"http://127.0.0.1:9/payout/{i}")
    proc = popen_module(db_path, "interven_autoguard.approvals.cli", "list")
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as head does after its line
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=30) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_list_and_show_never_print_a_url_fragment(db_path, store):
    """The embedded engine holds a request whose URL ends in ``#access_token=…`` (never sent): the
    terminal shows the URL that would go out, without the fragment."""
    from interven_autoguard.engine.scanner import LocalScanner

    token = "ghp_" + secrets.token_hex(18)
    url = "https://api.github.com/repos/acme/app/collaborators/outsider"
    resp = LocalScanner(approvals=store).scan(
        method="PUT", url=f"{url}#t={token}", body={"permission": "push"}
    )
    assert resp.decision == "REQUIRE_APPROVAL" and resp.approval_id
    for args in (("list",), ("show", resp.approval_id), ("show", resp.approval_id, "--json")):
        out = run_cli(db_path, *args)
        assert out.returncode == 0, out.stderr
        assert token not in out.stdout and token[:12] not in out.stdout
    assert json.loads(run_cli(db_path, "show", resp.approval_id, "--json").stdout)["url"] == url
