"""Shared state: the SQL approval store, audit and rate limits on SQLite and PostgreSQL, and two
gateway processes serving one team from one database.

PostgreSQL cases run when ``INTERVEN_TEST_PG_URL`` points at a server (``source .ci/postgres.sh``).
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from gw_support import free_port, post_json, start_gateway_process

from interven_autoguard.gateway import Client, GatewayError, GatewayScanner
from interven_autoguard.gateway.sql_store import ApprovalStateError, SqlApprovalStore, requester
from interven_autoguard.gateway.storage import AuditLog, AuditRecord, Database, RateLimiter
from interven_autoguard.scanner import APPROVED

PG_URL = os.environ.get("INTERVEN_TEST_PG_URL")
COLLAB = "https://api.github.com/repos/acme/app/collaborators/outsider"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/shared.db"
        return
    if not PG_URL:
        pytest.skip("INTERVEN_TEST_PG_URL not set (source .ci/postgres.sh)")
    import psycopg

    name = "gw_" + secrets.token_hex(6)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(PG_URL)
    yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def new_approval(store: SqlApprovalStore, request_hash: str = "h", key: str | None = "team"):
    with requester(key):
        return store.create(
            method="PUT",
            url=COLLAB,
            request_display={"body": {"p": 1}},
            request_hash=request_hash,
            policy_version="v1",
            reason_codes=["APPROVAL_REQUIRED"],
            risk_score=0.7,
            risk_band="HIGH",
            agent_id="a1",
            process="pid 1",
            ttl_seconds=60,
        )


def test_store_rules_hold(db_url):
    from interven_autoguard.approvals.store import ApprovalRecord as StoreRecord
    from interven_autoguard.approvals.store import ApprovalStore

    store = SqlApprovalStore(Database(db_url))
    assert isinstance(store, ApprovalStore)  # the approvals helper's interface
    rec = new_approval(store)
    assert rec.state == "pending" and rec.key_id == "team" and isinstance(rec, StoreRecord)
    assert new_approval(store).id == rec.id  # a retry joins the pending approval
    assert new_approval(store, key="other").id != rec.id
    assert store.consume(rec.id, request_hash="h", policy_version="v1") is False  # not approved yet
    store.decide(rec.id, approve=True, decided_by="alice", reason="fine")
    with pytest.raises(ApprovalStateError):
        store.decide(rec.id, approve=False, decided_by="bob", reason=None)
    assert store.consume(rec.id, request_hash="h", policy_version="v2") is False  # policy changed
    assert store.get(rec.id).state == "approved"
    assert [r.id for r in store.list(state="approved")] == [rec.id]


def test_only_one_of_many_racing_consumers_wins(db_url):
    db = Database(db_url)
    store = SqlApprovalStore(db)
    rec = new_approval(store, request_hash="race")
    store.decide(rec.id, approve=True, decided_by="alice", reason=None)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def consume() -> None:
        mine = SqlApprovalStore(Database(db_url))  # its own connections, like another process
        barrier.wait()
        results.append(mine.consume(rec.id, request_hash="race", policy_version="v1"))

    threads = [threading.Thread(target=consume) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


def test_racing_approvers_one_decision(db_url):
    store = SqlApprovalStore(Database(db_url))
    rec = new_approval(store, request_hash="dec")
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def decide(approve: bool) -> None:
        mine = SqlApprovalStore(Database(db_url))
        barrier.wait()
        try:
            outcomes.append(mine.decide(rec.id, approve=approve, decided_by="x", reason=None).state)
        except ApprovalStateError:
            outcomes.append("refused")

    threads = [threading.Thread(target=decide, args=(i % 2 == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("refused") == 5
    assert store.get(rec.id).state in ("approved", "denied")


def test_audit_is_append_only_and_rate_counts_are_shared(db_url):
    db = Database(db_url)
    AuditLog(db).append(AuditRecord(endpoint="/v1/scan", decision="ALLOW"))
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE audit_log SET decision = 'DENY'")
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM audit_log")
    first, second = RateLimiter(db), RateLimiter(Database(db_url))
    assert [first.hit("k", 3)[0], second.hit("k", 3)[0], first.hit("k", 3)[0], second.hit("k", 3)[0]] == [
        True,
        True,
        True,
        False,
    ]


def test_two_gateway_processes_share_one_database(db_url, tmp_path, team):
    config = team.write_toml(str(tmp_path / "gateway.toml"))
    port_a, port_b = free_port(), free_port()
    procs = [
        start_gateway_process(config, db_url, port_a),
        start_gateway_process(config, db_url, port_b, via_cli=True),
    ]
    try:
        url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
        resp = Client(api_key=team.api_key, gateway_url=url_a).scan(
            method="PUT", url=COLLAB, body={"permission": "push"}, request_hash="shared"
        )
        assert resp.needs_approval
        # The agent polls the other process; the approver talks to the first one.
        waiting = GatewayScanner(api_key=team.api_key, gateway_url=url_b, poll_interval=0.05)
        result: list[str] = []
        waiter = threading.Thread(
            target=lambda: result.append(
                waiting.wait_for_approval(resp.approval_id, request_hash="shared", timeout=30)
            )
        )
        waiter.start()
        status, decided = post_json(
            f"{url_a}/v1/approvals/{resp.approval_id}/approve", team.approver_token, {"reason": "ok"}
        )
        assert status == 200 and decided["status"] == "approved"
        waiter.join(30)
        assert result == [APPROVED]
        assert (
            Client(api_key=team.api_key, gateway_url=url_a).poll_approval(resp.approval_id).status
            == "executed"
        )
        # One rate budget for both processes.
        limited = [Client(api_key=team.limited_key, gateway_url=u) for u in (url_a, url_b, url_a)]
        for client in limited:
            client.scan(method="GET", url="https://api.example.com/x")
        with pytest.raises(GatewayError) as info:
            Client(api_key=team.limited_key, gateway_url=url_b).scan(
                method="GET", url="https://api.example.com/x"
            )
        assert info.value.status == 429
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)


def test_pg_store_entry_point_refuses_other_urls(tmp_path):
    from interven_autoguard.errors import ConfigurationError
    from interven_autoguard.gateway.pg_store import PgApprovalStore

    with pytest.raises(ConfigurationError):
        PgApprovalStore(f"sqlite:///{tmp_path}/x.db")
    if PG_URL:
        store = PgApprovalStore(PG_URL)
        rec = new_approval(store, request_hash="pg-entry-" + secrets.token_hex(4))
        assert rec.id.startswith("apr_") and store.get(rec.id).state == "pending"


def test_an_audit_table_from_before_counted_refusals_gains_its_columns(db_url):
    """A database made by an earlier release: ``source`` and ``count`` are added at start-up, old
    rows read count 1, and the table still refuses UPDATE and DELETE."""
    old = Database(db_url)
    old.execute("DROP TABLE audit_log")  # its triggers go with it; rebuilt as the old release made it
    old.execute(
        "CREATE TABLE audit_log (id {} PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, endpoint TEXT NOT NULL,"
        " key_id TEXT, agent_id TEXT, method TEXT, url TEXT, decision TEXT,"
        " reason_codes TEXT NOT NULL DEFAULT '[]', findings TEXT NOT NULL DEFAULT '[]',"
        " risk_score DOUBLE PRECISION, approval_id TEXT, trace_id TEXT, status INTEGER, detail TEXT)"
        .format("BIGSERIAL" if old.is_postgres else "INTEGER")
    )
    old.execute("INSERT INTO audit_log (ts, endpoint, status, detail) VALUES (1, '/v1/scan', 401, 'x')")
    old.close()

    db = Database(db_url)
    Database(db_url)  # a second process starting on the migrated table changes nothing
    audit = AuditLog(db)
    audit.append(AuditRecord(endpoint="/v1/scan", status=401, detail="y", source="192.0.2.1", count=7))
    rows = audit.rows()
    assert [(r["detail"], r["source"], r["count"]) for r in rows] == [("y", "192.0.2.1", 7), ("x", None, 1)]
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE audit_log SET count = 0")
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM audit_log")


def test_counted_refusals_on_the_shared_database(db_url):
    from interven_autoguard.gateway.refusals import RefusalAudit

    audit = AuditLog(Database(db_url))
    refusals = RefusalAudit(audit, clock=lambda: 1_000_000.0)
    for i in range(250):
        refusals.refused(endpoint="/v1/scan", source=f"192.0.2.{i % 3}", reason="invalid or missing API key")
    assert len(audit.rows()) == 3
    refusals.close()
    rows = audit.rows()
    assert len(rows) == 6 and sum(r["count"] for r in rows) == 250
