"""A separate process acting as an agent or an approver on one approvals store (see the concurrency tests).

    python approvals_worker.py agent DB N TAG        create N approvals, consume each one approved
    python approvals_worker.py approver DB TOTAL TAG decide pending approvals until TOTAL are decided
    python approvals_worker.py release DB ID HASH POLICY TIMEOUT   wait_for_release, print the outcome
    python approvals_worker.py scanner-wait DB ID HASH POLICY_FILE TIMEOUT   LocalScanner.wait_for_approval

Prints one JSON line with what it did.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time

import safetynet

safetynet.install()

from interven_autoguard.approvals.store import (  # noqa: E402
    ApprovalStateError,
    SQLiteApprovalStore,
    wait_for_release,
)

DEADLINE = 120.0


def approve_this(approval_id: str) -> bool:
    """A deterministic coin so the parent knows which way each approval went."""
    return hashlib.sha256(approval_id.encode()).digest()[0] % 2 == 0


def agent(db: str, count: int, tag: str) -> dict:
    store = SQLiteApprovalStore(db)
    created: dict[str, str] = {}
    for i in range(count):
        h = hashlib.sha256(f"{tag}-{i}".encode()).hexdigest()
        rec = store.create(
            method="POST",
            url=f"http://127.0.0.1:9/{tag}/{i}",
            request_display={"body": i},
            request_hash=h,
            policy_version="v1",
            reason_codes=["POLICY_RULE"],
            risk_score=0.5,
            risk_band="MEDIUM",
            agent_id=tag,
            process=None,
            ttl_seconds=600,
        )
        created[rec.id] = h
    consumed: list[str] = []
    open_ids = set(created)
    end = time.monotonic() + DEADLINE
    while open_ids and time.monotonic() < end:
        for approval_id in list(open_ids):
            rec = store.get(approval_id)
            if rec.state == "approved":
                if store.consume(approval_id, request_hash=created[approval_id], policy_version="v1"):
                    consumed.append(approval_id)
                # a second consume of the same approval must fail
                assert not store.consume(approval_id, request_hash=created[approval_id], policy_version="v1")
                open_ids.discard(approval_id)
            elif rec.state != "pending":
                open_ids.discard(approval_id)
        time.sleep(0.02)
    return {"created": sorted(created), "consumed": consumed, "unfinished": sorted(open_ids)}


def approver(db: str, total: int, tag: str) -> dict:
    store = SQLiteApprovalStore(db)
    decided: dict[str, str] = {}
    conflicts = 0
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        pending = store.list(state="pending", limit=1000)
        everything = store.list(limit=10_000)
        if len(everything) >= total and not pending:
            break
        for rec in pending:
            approve = approve_this(rec.id)
            try:
                store.decide(rec.id, approve=approve, decided_by=tag, reason=f"by {tag}")
                decided[rec.id] = "approved" if approve else "denied"
            except ApprovalStateError:
                conflicts += 1
        time.sleep(0.01)
    return {"decided": decided, "conflicts": conflicts}


def release(db: str, approval_id: str, request_hash: str, policy: str, timeout: str) -> dict:
    store = SQLiteApprovalStore(db)
    states: list[str] = []
    print(json.dumps({"waiting": approval_id}), flush=True)
    outcome = wait_for_release(
        store,
        approval_id,
        request_hash=request_hash,
        policy_version=policy,
        timeout=float(timeout),
        on_state=states.append,
    )
    return {"outcome": outcome, "states": states, "woke_at": time.time()}


def scanner_wait(db: str, approval_id: str, request_hash: str, policy_file: str, timeout: str) -> dict:
    from interven_autoguard.engine.scanner import LocalScanner

    scanner = LocalScanner(policy=policy_file)  # its store: $INTERVEN_APPROVALS_DB (= db)
    states: list[str] = []
    print(json.dumps({"waiting": approval_id}), flush=True)
    outcome = scanner.wait_for_approval(
        approval_id, request_hash=request_hash, timeout=float(timeout), on_state=states.append
    )
    return {"outcome": outcome, "states": states}


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    if role == "scanner-wait":
        result = scanner_wait(*args)
    elif role == "agent":
        result = agent(args[0], int(args[1]), args[2])
    elif role == "approver":
        result = approver(args[0], int(args[1]), args[2])
    else:
        result = release(*args)
    print(json.dumps(result), flush=True)
