"""A request held for approval says so, once, with the commands that decide it: otherwise the agent
just looks frozen for up to an hour. The commands it prints are run here as printed, from a shell
that does not share the agent's ``$INTERVEN_APPROVALS_DB``."""

from __future__ import annotations

import logging
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from approvals_testlib import ROOT as REPO_ROOT

import interven_autoguard as autoguard
from interven_autoguard.approvals.display import decide_commands
from interven_autoguard.approvals.store import ENV_DB, default_db_path

SSN = "478-23-9156"
POLICY = """
[[rules]]
id = "payouts-need-a-human"
methods = ["POST"]
paths = ["/payouts"]
decision = "REQUIRE_APPROVAL"
"""


def _held_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and "held for human approval" in r.getMessage()]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_held_request_prints_the_commands_that_decide_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture,
                                                           asynchronous: bool) -> None:
    import httpx

    db = tmp_path / "my approvals.sqlite3"  # a space: the printed command must quote it
    monkeypatch.setenv(ENV_DB, str(db))
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    caplog.set_level(logging.WARNING, logger="interven_autoguard")
    autoguard.install(policy=str(policy), approval_timeout=60)
    outcome: dict[str, object] = {}

    def agent() -> None:
        body = {"amount": 5, "memo": f"ssn {SSN}"}
        try:
            if asynchronous:
                import asyncio

                async def send() -> None:
                    async with httpx.AsyncClient() as client:
                        await client.post("http://127.0.0.1:9/payouts", json=body, timeout=60)

                asyncio.run(send())
            else:
                httpx.post("http://127.0.0.1:9/payouts", json=body, timeout=60)
        except autoguard.RequestBlocked as exc:
            outcome["blocked"] = str(exc)

    started = time.time()
    t = threading.Thread(target=agent)
    try:
        t.start()
        deadline = time.monotonic() + 30
        while not _held_lines(caplog) and time.monotonic() < deadline:
            time.sleep(0.05)
        (line,) = _held_lines(caplog)
        assert "POST http://127.0.0.1:9/payouts" in line and "waiting up to 1m00s (until " in line
        until = re.search(r"until (\S+ \S+Z)", line)
        assert until is not None
        left = time.mktime(time.strptime(until.group(1), "%Y-%m-%d %H:%M:%SZ")) - time.mktime(
            time.gmtime(started))
        assert 55 <= left <= 65
        approval_id = re.search(r"approval (apr_[\w-]+)", line).group(1)  # type: ignore[union-attr]
        deny = line.split("deny: ", 1)[1].replace("--reason '...'", "--reason 'not today'")
        assert f"approvals deny {approval_id} --db " in deny
        # The approver's shell: no INTERVEN_APPROVALS_DB, so only the printed --db finds the store.
        env = {k: v for k, v in os.environ.items() if k != ENV_DB}
        env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
        env["XDG_STATE_HOME"] = str(tmp_path / "elsewhere")
        argv = shlex.split(deny)
        assert argv[:3] == ["python", "-m", "interven_autoguard"]
        res = subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        t.join(30)
    finally:
        autoguard.uninstall()
    assert "approval denied" in str(outcome.get("blocked")), outcome
    assert len(_held_lines(caplog)) == 1  # once per hold, not per poll
    for record in caplog.records:
        assert SSN not in record.getMessage()


def test_the_default_store_needs_no_db_option(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setenv(ENV_DB, str(tmp_path / "custom.sqlite3"))
    assert "--db" not in decide_commands("apr_x", default_db_path(use_env=False))
    assert "--db" not in decide_commands("apr_x", None)
    assert f"--db {tmp_path / 'custom.sqlite3'}" in decide_commands("apr_x", default_db_path())
