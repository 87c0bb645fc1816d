"""Helpers shared by the approvals tests: records, and ways to reach one store from other processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from interven_autoguard.approvals.store import ApprovalRecord, SQLiteApprovalStore

TESTS_DIR = Path(__file__).resolve().parent.parent
ROOT = TESTS_DIR.parent
RUNNER = Path(__file__).resolve().parent / "run_module_netsafe.py"


def request_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def subprocess_env(db: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS_DIR)])
    env["INTERVEN_APPROVALS_DB"] = str(db)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def make_record(store: SQLiteApprovalStore, **overrides: Any) -> ApprovalRecord:
    fields: dict[str, Any] = dict(
        method="POST",
        url="http://127.0.0.1:9/payouts",
        request_display={"headers": {"Authorization": "[REDACTED]"}, "body": {"amount": 125, "to": "acct_1"}},
        request_hash=request_hash("request-1"),
        policy_version="policy-v1",
        reason_codes=["POLICY_RULE", "APPROVAL_REQUIRED"],
        risk_score=0.7,
        risk_band="HIGH",
        agent_id="payout-bot",
        process="pid 1 on host test, python agent.py",
        ttl_seconds=600,
    )
    fields.update(overrides)
    return store.create(**fields)


def run_cli(db: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m interven_autoguard.approvals.cli ARGS`` in a separate process, network-safe."""
    return subprocess.run(
        [sys.executable, str(RUNNER), "interven_autoguard.approvals.cli", *args],
        env=subprocess_env(db),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
    )


def popen_module(db: Path, module: str, *args: str, **extra_env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(RUNNER), module, *args],
        env=subprocess_env(db, **extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(ROOT),
    )


def eventually(check: Callable[[], Any], *, timeout: float = 30, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy (not a timing assertion: a generous deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
