"""The SQLite approval store: lifecycle, expiry, single use, binding to request hash and policy."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import threading
import time

import pytest
from approvals_testlib import make_record, request_hash

from interven_autoguard.approvals import store as store_mod
from interven_autoguard.approvals.store import (
    ApprovalNotFound,
    ApprovalStateError,
    ApprovalStore,
    SQLiteApprovalStore,
    await_release,
    default_db_path,
    default_store,
    describe_process,
    wait_for_release,
)
from interven_autoguard.errors import ConfigurationError

H1 = request_hash("request-1")
H2 = request_hash("request-2")


def test_create_returns_a_pending_record_with_everything_the_approver_needs(store, new_record):
    before = time.time()
    rec = new_record(ttl_seconds=600)
    assert isinstance(store, ApprovalStore)
    assert rec.id.startswith("apr_") and len(rec.id) >= 24
    assert rec.state == "pending" and not rec.terminal
    assert before <= rec.created_at <= time.time()
    assert rec.expires_at == pytest.approx(rec.created_at + 600)
    assert (
        rec.decided_at is None and rec.decided_by is None and rec.reason is None and rec.executed_at is None
    )
    assert rec.method == "POST" and rec.url == "http://127.0.0.1:9/payouts"
    assert rec.request_display == {
        "headers": {"Authorization": "[REDACTED]"},
        "body": {"amount": 125, "to": "acct_1"},
    }
    assert rec.request_hash == H1 and rec.policy_version == "policy-v1"
    assert rec.reason_codes == ["POLICY_RULE", "APPROVAL_REQUIRED"]
    assert (rec.risk_score, rec.risk_band, rec.agent_id) == (0.7, "HIGH", "payout-bot")
    assert store.get(rec.id) == rec
    assert rec.to_dict()["id"] == rec.id


def test_ids_are_unguessable_and_unique(new_record):
    ids = {new_record().id for _ in range(50)}
    assert len(ids) == 50
    assert all(i.startswith("apr_") for i in ids)


def test_get_unknown_is_none_and_deciding_unknown_raises(store):
    assert store.get("apr_nope") is None
    with pytest.raises(ApprovalNotFound):
        store.decide("apr_nope", approve=True, decided_by="alice", reason=None)
    with pytest.raises(ApprovalNotFound):
        store.wait("apr_nope", timeout=0.1)


def test_approve_then_consume_exactly_once(store, new_record):
    rec = new_record()
    decided = store.decide(rec.id, approve=True, decided_by="alice", reason="expected payout")
    assert (
        decided.state == "approved" and decided.decided_by == "alice" and decided.reason == "expected payout"
    )
    assert decided.decided_at is not None
    assert store.consume(rec.id, request_hash=H1, policy_version="policy-v1") is True
    after = store.get(rec.id)
    assert after.state == "executed" and after.executed_at is not None
    # Single use: the same request cannot ride on it again.
    assert store.consume(rec.id, request_hash=H1, policy_version="policy-v1") is False


def test_an_approval_does_not_release_a_different_request_or_policy(store, new_record):
    rec = new_record()
    store.decide(rec.id, approve=True, decided_by="alice", reason=None)
    assert store.consume(rec.id, request_hash=H2, policy_version="policy-v1") is False
    assert store.consume(rec.id, request_hash=H1, policy_version="policy-v2") is False
    assert store.get(rec.id).state == "approved"  # still usable by the request it was made for
    assert store.consume(rec.id, request_hash=H1.upper(), policy_version="policy-v1") is True


def test_pending_and_denied_approvals_are_never_consumed(store, new_record):
    pending = new_record()
    assert store.consume(pending.id, request_hash=H1, policy_version="policy-v1") is False
    denied = new_record()
    store.decide(denied.id, approve=False, decided_by="bob", reason="not today")
    assert store.consume(denied.id, request_hash=H1, policy_version="policy-v1") is False
    assert store.get(denied.id).state == "denied"
    assert store.consume("apr_missing", request_hash=H1, policy_version="policy-v1") is False


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("second", [True, False])
def test_deciding_twice_raises_a_typed_error_and_keeps_the_first_decision(store, new_record, first, second):
    rec = new_record()
    store.decide(rec.id, approve=first, decided_by="alice", reason="first")
    with pytest.raises(ApprovalStateError) as info:
        store.decide(rec.id, approve=second, decided_by="mallory", reason="second")
    state = "approved" if first else "denied"
    assert info.value.state == state and rec.id in str(info.value) and state in str(info.value)
    after = store.get(rec.id)
    assert (after.state, after.decided_by, after.reason) == (state, "alice", "first")


def test_pending_past_its_ttl_reads_as_expired_and_cannot_be_decided(store, new_record):
    rec = new_record(ttl_seconds=0.2)
    time.sleep(0.3)
    got = store.get(rec.id)
    assert got.state == "expired"
    assert got.decided_at == pytest.approx(rec.expires_at)  # expired at its deadline, not when read
    assert got.decided_by == "expiry"
    with pytest.raises(ApprovalStateError, match="expired"):
        store.decide(rec.id, approve=True, decided_by="alice", reason=None)
    assert store.consume(rec.id, request_hash=H1, policy_version="policy-v1") is False


def test_deciding_an_overdue_approval_records_the_expiry(store, new_record):
    rec = new_record(ttl_seconds=0.2)
    time.sleep(0.3)
    # No read in between: decide() itself must notice, refuse, and keep the expiry.
    with pytest.raises(ApprovalStateError):
        store.decide(rec.id, approve=True, decided_by="alice", reason=None)
    raw = sqlite3.connect(store.path).execute("SELECT state FROM approvals WHERE id=?", (rec.id,)).fetchone()
    assert raw == ("expired",)


def test_list_filters_by_state_newest_first_and_expires_lazily(store, new_record):
    a = new_record()
    b = new_record(ttl_seconds=0.2)
    c = new_record()
    store.decide(c.id, approve=False, decided_by="bob", reason="no")
    time.sleep(0.3)
    assert [r.id for r in store.list(state="pending")] == [a.id]
    assert [r.id for r in store.list(state="expired")] == [b.id]
    assert [r.id for r in store.list()] == [c.id, b.id, a.id]
    assert len(store.list(limit=2)) == 2
    with pytest.raises(ValueError):
        store.list(state="bogus")


def test_expire_gives_up_on_a_pending_approval_but_not_on_a_decided_one(store, new_record):
    rec = new_record()
    assert store.expire(rec.id).state == "expired"
    other = new_record()
    store.decide(other.id, approve=True, decided_by="alice", reason=None)
    assert store.expire(other.id).state == "approved"


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("request_hash", "abc", ValueError),
        ("request_display", "not a dict", TypeError),
        ("ttl_seconds", 0, ValueError),
    ],
)
def test_create_rejects_bad_input(store, field, value, error):
    with pytest.raises(error):
        make_record(store, **{field: value})


def test_decide_validates_who_and_why(store, new_record):
    rec = new_record()
    with pytest.raises(ValueError):
        store.decide(rec.id, approve=True, decided_by="  ", reason=None)
    with pytest.raises(ValueError):
        store.decide(rec.id, approve=True, decided_by="alice", reason="x" * 5000)
    assert store.get(rec.id).state == "pending"


def test_file_is_private_and_schema_versioned(store, db_path):
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(ConfigurationError, match="newer"):
        SQLiteApprovalStore(db_path)


def test_reopening_keeps_records(db_path, new_record):
    rec = new_record()
    assert SQLiteApprovalStore(db_path).get(rec.id) == rec


def test_unwritable_location_is_a_clear_configuration_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigurationError, match="INTERVEN_APPROVALS_DB"):
        SQLiteApprovalStore(blocker / "sub" / "approvals.sqlite3")


def test_default_path_follows_env_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("INTERVEN_APPROVALS_DB", str(tmp_path / "x.sqlite3"))
    assert default_db_path() == tmp_path / "x.sqlite3"
    assert default_store() is default_store()
    assert default_store().path == tmp_path / "x.sqlite3"
    monkeypatch.delenv("INTERVEN_APPROVALS_DB")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_db_path() == tmp_path / "state" / "interven-autoguard" / "approvals.sqlite3"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert (
        default_db_path()
        == tmp_path / "home" / ".local" / "state" / "interven-autoguard" / "approvals.sqlite3"
    )


def test_describe_process_names_the_program_but_not_its_arguments(monkeypatch):
    monkeypatch.setattr("sys.argv", ["/srv/agent.py", "--api-key", "do-not-show-me"])
    text = describe_process()
    assert text.startswith(f"pid {os.getpid()} on host ") and text.endswith(" agent.py")
    assert "do-not-show-me" not in text


# --------------------------------------------------------------------------- waiting


class DecideOnceWaiting:
    """An approver thread that decides once the waiter has seen "pending" (no sleeps, no races).

    Pass ``.states`` as the callback: it records every state and starts the decision on "pending".
    """

    def __init__(self, store_path, approval_id, approve):
        self.seen: list[str] = []
        self._waiting = threading.Event()

        def run():
            assert self._waiting.wait(30)
            SQLiteApprovalStore(store_path).decide(approval_id, approve=approve, decided_by="t", reason="r")

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def states(self, state: str) -> None:
        self.seen.append(state)
        if state == "pending":
            self._waiting.set()


def test_wait_returns_on_decision_and_reports_each_state_once(store, new_record):
    rec = new_record()
    approver = DecideOnceWaiting(store.path, rec.id, True)
    got = store.wait(rec.id, timeout=30, on_state=approver.states)
    approver.thread.join()
    assert got.state == "approved"
    assert approver.seen == ["pending", "approved"]


def test_wait_times_out_with_the_record_still_pending(store, new_record):
    rec = new_record()
    got = store.wait(rec.id, timeout=0.3)
    assert got.state == "pending"


def test_a_broken_callback_does_not_break_waiting(store, new_record, caplog):
    rec = new_record()
    store.decide(rec.id, approve=False, decided_by="bob", reason="no")

    def boom(state):
        raise RuntimeError("notifier down")

    assert store.wait(rec.id, timeout=5, on_state=boom).state == "denied"
    assert "RuntimeError" in caplog.text


@pytest.mark.parametrize(
    ("approve", "hash_", "policy", "expected"),
    [
        (True, H1, "policy-v1", "approved"),
        (False, H1, "policy-v1", "denied"),
        (True, H2, "policy-v1", "denied"),  # a different request: not released
        (True, H1, "policy-v2", "denied"),  # the policy changed since: not released
    ],
)
def test_wait_for_release_outcomes(store, new_record, approve, hash_, policy, expected):
    rec = new_record()
    approver = DecideOnceWaiting(store.path, rec.id, approve)
    outcome = wait_for_release(
        store, rec.id, request_hash=hash_, policy_version=policy, timeout=30, on_state=approver.states
    )
    approver.thread.join()
    assert outcome == expected
    final = store.get(rec.id).state
    if expected == "approved":
        assert final == "executed" and approver.seen == ["pending", "approved", "executed"]
    else:
        assert final == ("approved" if approve else "denied")


def test_wait_for_release_timeout_expires_the_record_so_a_late_approval_cannot_be_used(store, new_record):
    rec = new_record()
    states = []
    outcome = wait_for_release(
        store, rec.id, request_hash=H1, policy_version="policy-v1", timeout=0.3, on_state=states.append
    )
    assert outcome == "expired" and states == ["pending", "expired"]
    with pytest.raises(ApprovalStateError):
        store.decide(rec.id, approve=True, decided_by="late", reason=None)


def test_wait_for_release_ttl_expiry(store, new_record):
    rec = new_record(ttl_seconds=0.3)
    assert (
        wait_for_release(store, rec.id, request_hash=H1, policy_version="policy-v1", timeout=30) == "expired"
    )


def test_a_used_approval_is_not_released_twice(store, new_record):
    rec = new_record()
    store.decide(rec.id, approve=True, decided_by="alice", reason=None)
    assert (
        wait_for_release(store, rec.id, request_hash=H1, policy_version="policy-v1", timeout=5) == "approved"
    )
    assert wait_for_release(store, rec.id, request_hash=H1, policy_version="policy-v1", timeout=5) == "denied"


def test_await_release_keeps_the_event_loop_running(store, new_record):
    rec = new_record()

    async def main():
        ticks = 0

        async def approver():
            # Runs on the same loop: it only gets to decide if await_release does not block it.
            nonlocal ticks
            while ticks < 5:
                ticks += 1
                await asyncio.sleep(0.01)
            await asyncio.to_thread(store.decide, rec.id, approve=True, decided_by="a", reason=None)

        decide_task = asyncio.create_task(approver())
        outcome = await await_release(store, rec.id, request_hash=H1, policy_version="policy-v1", timeout=30)
        await decide_task
        return outcome

    assert asyncio.run(main()) == "approved"
    assert store.get(rec.id).state == "executed"


def test_await_release_denied_and_timeout(store, new_record):
    denied = new_record()
    store.decide(denied.id, approve=False, decided_by="b", reason="no")
    pending = new_record()

    async def main():
        return (
            await await_release(store, denied.id, request_hash=H1, policy_version="policy-v1", timeout=5),
            await await_release(store, pending.id, request_hash=H1, policy_version="policy-v1", timeout=0.2),
        )

    assert asyncio.run(main()) == ("denied", "expired")


def test_threads_share_one_store_instance(store, new_record):
    records = [new_record() for _ in range(20)]
    errors = []

    def decide(rec):
        try:
            store.decide(rec.id, approve=True, decided_by="t", reason=None)
            assert store.consume(rec.id, request_hash=H1, policy_version="policy-v1")
        except Exception as exc:  # collected: assertion below shows them
            errors.append(exc)

    threads = [threading.Thread(target=decide, args=(r,)) for r in records]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {r.state for r in store.list(limit=100)} == {"executed"}


def test_huge_displays_are_cut_for_the_approver(store, new_record):
    big = "x" * (2 * store_mod.MAX_DISPLAY_CHARS)
    rec = new_record(request_display={"headers": {"X-Big": "y" * 10_000}, "body": {"blob": big}})
    body = rec.request_display["body"]
    assert isinstance(body, str) and len(body) < store_mod.MAX_DISPLAY_CHARS
    assert body.startswith('{"blob": "xxx') and "more characters not shown" in body
    assert rec.request_display["headers"]["X-Big"].endswith("…")
    small = new_record(request_display={"headers": {}, "body": {"a": 1}})
    assert small.request_display == {"headers": {}, "body": {"a": 1}}


def test_purge_deletes_old_decided_records_and_keeps_pending_ones(store, new_record):
    pending = new_record()
    approved = new_record()
    store.decide(approved.id, approve=True, decided_by="a", reason=None)
    executed = new_record()
    store.decide(executed.id, approve=True, decided_by="a", reason=None)
    store.consume(executed.id, request_hash=H1, policy_version="policy-v1")
    denied = new_record()
    store.decide(denied.id, approve=False, decided_by="b", reason="no")
    assert store.purge(older_than=3600) == 0  # all recent
    assert store.purge(older_than=0) == 3
    assert [r.id for r in store.list()] == [pending.id]
    with pytest.raises(ValueError):
        store.purge(older_than=-1)


def test_a_file_that_is_not_a_database_is_a_clear_configuration_error(tmp_path):
    bogus = tmp_path / "approvals.sqlite3"
    bogus.write_bytes(b"this is not sqlite, just text that happens to be here" * 100)
    with pytest.raises(ConfigurationError, match="not a usable approvals database"):
        SQLiteApprovalStore(bogus)
