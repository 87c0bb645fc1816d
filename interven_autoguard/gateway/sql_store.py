"""Approval store on the gateway's database (SQLite or PostgreSQL), shared by all its processes.

Implements the ``ApprovalStore`` interface of ``interven_autoguard.approvals.store`` — create / get /
list / decide / expire / consume / wait — with the same rules: an approval releases only the
request whose hash it holds, under the policy version it was created with, once; expiry counts as
deny. Every state change is one conditional UPDATE, so two gateways (or two approvers) racing on
one approval cannot both win.
"""

from __future__ import annotations

import builtins
import contextvars
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..approvals.store import (
    APPROVED,
    DENIED,
    EXECUTED,
    EXPIRED,
    PENDING,
    ApprovalNotFound,
    ApprovalStateError,
    StateCallback,
    apoll_until_settled,
    poll_until_settled,
)
from ..approvals.store import ApprovalRecord as StoreRecord
from .storage import Database

__all__ = ["ApprovalNotFound", "ApprovalRecord", "ApprovalStateError", "SqlApprovalStore", "requester"]
_MAX_TEXT = 2000
_COLUMNS = (
    "id",
    "state",
    "created_at",
    "expires_at",
    "decided_at",
    "decided_by",
    "reason",
    "method",
    "url",
    "display",
    "request_hash",
    "policy_version",
    "reason_codes",
    "risk_score",
    "risk_band",
    "agent_id",
    "process",
    "consumed_at",
    "key_id",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM gateway_approvals"
_INSERT = f"INSERT INTO gateway_approvals ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"

# Which API key the current request came in with: set by the server around an engine call so
# approvals the engine creates are scoped to that key (only it may poll and consume them).
_requester: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "interven_gateway_requester", default=None
)


@contextmanager
def requester(key_id: str | None) -> Iterator[None]:
    token = _requester.set(key_id)
    try:
        yield
    finally:
        _requester.reset(token)


def new_approval_id() -> str:
    """Unguessable (128 bits): the legacy status/execute endpoints treat the id as a capability."""
    return "apr_" + secrets.token_urlsafe(16)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class ApprovalRecord(StoreRecord):
    """The approvals store's record plus the API key it belongs to (only that key may poll it)."""

    key_id: str | None = None

    @property
    def decision(self) -> str | None:
        return {APPROVED: "APPROVE", EXECUTED: "APPROVE", DENIED: "DENY", EXPIRED: "EXPIRED"}.get(self.state)

    def status_dict(self) -> dict[str, Any]:
        """The wire answer of ``/v1/approvals/{id}/status``: state only, no request details."""
        remaining = max(0, int(self.expires_at - time.time())) if self.state == PENDING else 0
        return {
            "approval_id": self.id,
            "status": self.state,
            "decision": self.decision,
            "decided_at": iso(self.decided_at),
            "expires_at": iso(self.expires_at),
            "remaining_seconds": remaining,
            "poll_guidance": "Poll again in 2 seconds." if self.state == PENDING else None,
        }

    def summary_dict(self) -> dict[str, Any]:
        """For approvers: the masked request, the reasons and who decided."""
        return {
            **self.status_dict(),
            "created_at": iso(self.created_at),
            "method": self.method,
            "url": self.url,
            "request": self.request_display,
            "reason_codes": self.reason_codes,
            "risk_score": self.risk_score,
            "risk_band": self.risk_band,
            "agent_id": self.agent_id,
            "decided_by": self.decided_by,
            "reason": self.reason,
        }


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = "".join(ch for ch in str(value) if ch.isprintable() or ch == " ")
    return text[:_MAX_TEXT]


class SqlApprovalStore:
    """ApprovalStore over ``storage.Database`` (SQLite file or PostgreSQL)."""

    def __init__(self, db: Database, *, default_ttl: float = 3600.0, max_ttl: float | None = None) -> None:
        self.db = db
        self.default_ttl = default_ttl
        self.max_ttl = max_ttl

    def create(
        self,
        *,
        method: str,
        url: str,
        request_display: dict[str, Any],
        request_hash: str,
        policy_version: str,
        reason_codes: builtins.list[str],
        risk_score: float,
        risk_band: str,
        agent_id: str | None,
        process: str | None,
        ttl_seconds: float | None = None,
    ) -> ApprovalRecord:
        key_id = _requester.get()
        # A retried identical request (SDK retry, second gateway behind a balancer) joins the
        # pending approval instead of prompting the approvers again.
        existing = self._pending_for(request_hash, key_id, str(policy_version))
        if existing is not None:
            return existing
        now = time.time()
        ttl = self.default_ttl if ttl_seconds is None else float(ttl_seconds)
        if self.max_ttl is not None:
            ttl = min(ttl, self.max_ttl)
        rec = ApprovalRecord(
            id=new_approval_id(),
            state=PENDING,
            created_at=now,
            expires_at=now + ttl,
            decided_at=None,
            decided_by=None,
            reason=None,
            method=method,
            url=url,
            request_display=request_display,
            request_hash=request_hash,
            policy_version=str(policy_version),
            reason_codes=list(reason_codes),
            risk_score=float(risk_score),
            risk_band=str(risk_band),
            agent_id=agent_id,
            process=process,
            executed_at=None,
            key_id=key_id,
        )
        self.db.execute(
            _INSERT,
            self._row(rec),
        )
        return rec

    def get(self, approval_id: str) -> ApprovalRecord | None:
        self._expire_overdue(approval_id)
        row = self.db.fetchone(_SELECT + " WHERE id = ?", (approval_id,))
        return None if row is None else self._record(row)

    def list(self, *, state: str | None = None, limit: int = 100) -> builtins.list[ApprovalRecord]:
        self._expire_overdue(None)
        sql = _SELECT
        params: tuple[Any, ...] = ()
        if state:
            sql += " WHERE state = ?"
            params = (state,)
        sql += " ORDER BY created_at DESC LIMIT ?"
        return [self._record(r) for r in self.db.fetchall(sql, (*params, int(limit)))]

    def decide(
        self, approval_id: str, *, approve: bool, decided_by: str, reason: str | None
    ) -> ApprovalRecord:
        self._expire_overdue(approval_id)
        changed = self.db.execute(
            "UPDATE gateway_approvals SET state = ?, decided_at = ?, decided_by = ?, reason = ?"
            " WHERE id = ? AND state = ?",
            (
                APPROVED if approve else DENIED,
                time.time(),
                _clean(decided_by),
                _clean(reason),
                approval_id,
                PENDING,
            ),
        )
        rec = self.get(approval_id)
        if rec is None:
            raise ApprovalNotFound(approval_id)
        if not changed:
            raise ApprovalStateError(approval_id, rec.state, "approve" if approve else "deny")
        return rec

    def expire(self, approval_id: str) -> ApprovalRecord:
        now = time.time()
        self.db.execute(
            "UPDATE gateway_approvals SET state = ?, decided_at = ?, expires_at = ?"
            " WHERE id = ? AND state = ?",
            (EXPIRED, now, now, approval_id, PENDING),
        )
        rec = self.get(approval_id)
        if rec is None:
            raise ApprovalNotFound(approval_id)
        return rec

    def consume(self, approval_id: str, *, request_hash: str, policy_version: str | None) -> bool:
        """approved → executed, once, only for the request (and policy version) it was made for."""
        sql = (
            "UPDATE gateway_approvals SET state = ?, consumed_at = ?"
            " WHERE id = ? AND state = ? AND request_hash = ?"
        )
        params: builtins.list[Any] = [EXECUTED, time.time(), approval_id, APPROVED, request_hash]
        if policy_version is not None:
            sql += " AND policy_version = ?"
            params.append(str(policy_version))
        return self.db.execute(sql, params) == 1

    def wait(
        self, approval_id: str, *, timeout: float, on_state: StateCallback | None = None
    ) -> ApprovalRecord:
        return poll_until_settled(self.get, approval_id, timeout=timeout, on_state=on_state)

    async def await_(
        self, approval_id: str, *, timeout: float, on_state: StateCallback | None = None
    ) -> ApprovalRecord:
        return await apoll_until_settled(self.get, approval_id, timeout=timeout, on_state=on_state)

    # -- internals ---------------------------------------------------------------------------

    def _pending_for(
        self, request_hash: str, key_id: str | None, policy_version: str
    ) -> ApprovalRecord | None:
        self._expire_overdue(None)
        key_clause = "key_id = ?" if key_id is not None else "key_id IS NULL"
        params: tuple[Any, ...] = (request_hash, policy_version, PENDING) + (
            (key_id,) if key_id is not None else ()
        )
        row = self.db.fetchone(
            _SELECT + " WHERE request_hash = ? AND policy_version = ?"
            f" AND state = ? AND {key_clause} ORDER BY created_at DESC LIMIT 1",
            params,
        )
        return None if row is None else self._record(row)

    def _expire_overdue(self, approval_id: str | None) -> None:
        sql = (
            "UPDATE gateway_approvals SET state = ?, decided_at = expires_at"
            " WHERE state = ? AND expires_at <= ?"
        )
        params: builtins.list[Any] = [EXPIRED, PENDING, time.time()]
        if approval_id is not None:
            sql += " AND id = ?"
            params.append(approval_id)
        self.db.execute(sql, params)

    @staticmethod
    def _row(rec: ApprovalRecord) -> tuple[Any, ...]:
        return (
            rec.id,
            rec.state,
            rec.created_at,
            rec.expires_at,
            rec.decided_at,
            rec.decided_by,
            rec.reason,
            rec.method,
            rec.url,
            json.dumps(rec.request_display, default=str),
            rec.request_hash,
            rec.policy_version,
            json.dumps(rec.reason_codes),
            rec.risk_score,
            rec.risk_band,
            rec.agent_id,
            rec.process,
            rec.executed_at,
            rec.key_id,
        )

    @staticmethod
    def _record(row: tuple[Any, ...]) -> ApprovalRecord:
        d = dict(zip(_COLUMNS, row))
        return ApprovalRecord(
            id=d["id"],
            state=d["state"],
            created_at=d["created_at"],
            expires_at=d["expires_at"],
            decided_at=d["decided_at"],
            decided_by=d["decided_by"],
            reason=d["reason"],
            method=d["method"] or "",
            url=d["url"] or "",
            request_display=json.loads(d["display"] or "{}"),
            request_hash=d["request_hash"] or "",
            policy_version=d["policy_version"] or "",
            reason_codes=json.loads(d["reason_codes"] or "[]"),
            risk_score=float(d["risk_score"] or 0.0),
            risk_band=d["risk_band"] or "LOW",
            agent_id=d["agent_id"],
            process=d["process"],
            executed_at=d["consumed_at"],
            key_id=d["key_id"],
        )
