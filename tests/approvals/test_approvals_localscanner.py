"""The embedded engine's approval path: ``LocalScanner.scan`` creates the record, another process
decides, ``LocalScanner.wait_for_approval`` in a third process is released (or not)."""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from approvals_testlib import run_cli, subprocess_env

from interven_autoguard.approvals.store import SQLiteApprovalStore

try:
    from interven_autoguard.engine.scanner import LocalScanner
except ImportError as exc:  # the engine's modules land on main one by one
    pytest.skip(
        f"the embedded engine (LocalScanner) is incomplete on this branch: {exc}", allow_module_level=True
    )

WORKER = Path(__file__).resolve().parent / "approvals_worker.py"
POLICY = """
description = "payouts need a human"

[settings]
approval_ttl_seconds = 600
private_network = "ALLOW"

[[rules]]
id = "payouts-need-approval"
decision = "REQUIRE_APPROVAL"
methods = ["POST"]
hosts = ["127.0.0.1"]
paths = ["/payouts"]
{extra}
"""
EXTRA_RULE = """
[[rules]]
id = "refunds-denied"
decision = "DENY"
methods = ["POST"]
hosts = ["127.0.0.1"]
paths = ["/refunds"]
"""


def _policy(tmp_path: Path, name: str = "policy.toml", extra: str = "") -> Path:
    path = tmp_path / name
    path.write_text(POLICY.format(extra=extra))
    return path


def _held(tmp_path, db_path):
    from interven_autoguard.engine.secrets import validators

    body_part = "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0"  # a well-formed token (valid checksum), built at run time
    token = "ghp_" + body_part + validators.crc32_base62(body_part)
    body = {"amount": 125, "currency": "EUR", "note": f"use {token}"}
    # A GitHub token in the Authorization header to a non-GitHub host would be DENY (host mismatch);
    # an opaque bearer token is a normal credential for this host, masked for display all the same.
    bearer = secrets.token_hex(20)
    request_hash = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    scanner = LocalScanner(policy=str(_policy(tmp_path)), approvals=SQLiteApprovalStore(db_path))
    result = scanner.scan(
        method="POST",
        url="http://127.0.0.1:9/payouts",
        body=body,
        headers={"Authorization": f"Bearer {bearer}"},
        request_hash=request_hash,
    )
    assert result.decision == "REQUIRE_APPROVAL" and result.approval_id
    return result, request_hash, (token, bearer)


def _wait_in_subprocess(db_path, approval_id, request_hash, policy_file):
    proc = subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            "scanner-wait",
            str(db_path),
            approval_id,
            request_hash,
            str(policy_file),
            "60",
        ],
        env=subprocess_env(db_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert json.loads(proc.stdout.readline()) == {"waiting": approval_id}, proc.stderr.read()
    return proc


def _outcome(proc):
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_scan_creates_a_masked_record_and_an_approval_in_another_process_releases_it(tmp_path, db_path):
    result, request_hash, planted = _held(tmp_path, db_path)
    record = SQLiteApprovalStore(db_path).get(result.approval_id)
    assert record.state == "pending" and record.request_hash == request_hash
    assert record.policy_version == result.policy_version
    assert "[REDACTED:GITHUB_PAT]" in json.dumps(record.request_display)
    for value in planted:  # masked before it reached the store
        assert value not in json.dumps(record.to_dict())
        assert value.encode() not in db_path.read_bytes()
    waiter = _wait_in_subprocess(db_path, result.approval_id, request_hash, _policy(tmp_path))
    assert run_cli(db_path, "approve", result.approval_id, "--reason", "ok").returncode == 0
    done = _outcome(waiter)
    assert done["outcome"] == "approved" and done["states"][-1] == "executed"
    assert SQLiteApprovalStore(db_path).get(result.approval_id).state == "executed"


def test_an_approval_is_not_released_under_a_changed_policy(tmp_path, db_path):
    result, request_hash, _ = _held(tmp_path, db_path)
    changed = _policy(tmp_path, "changed.toml", EXTRA_RULE)
    assert LocalScanner(policy=str(changed)).policy.version != result.policy_version
    waiter = _wait_in_subprocess(db_path, result.approval_id, request_hash, changed)
    assert run_cli(db_path, "approve", result.approval_id).returncode == 0
    assert _outcome(waiter)["outcome"] == "denied"
    assert SQLiteApprovalStore(db_path).get(result.approval_id).state == "approved"  # not consumed


def test_a_denial_reaches_the_waiting_scanner(tmp_path, db_path):
    result, request_hash, _ = _held(tmp_path, db_path)
    waiter = _wait_in_subprocess(db_path, result.approval_id, request_hash, _policy(tmp_path))
    assert run_cli(db_path, "deny", result.approval_id, "--reason", "no").returncode == 0
    assert _outcome(waiter)["outcome"] == "denied"
