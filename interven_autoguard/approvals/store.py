"""Approval records and the store that holds them while a human decides.

The store never sees a raw secret: callers hand it the request *as masked for display* plus a
SHA-256 of the exact original request. An approval releases only the request with that hash, only
under the policy version it was created with, and only once.

``ApprovalStore`` is the interface both the embedded SQLite store (here) and the gateway's
PostgreSQL store implement; ``wait_for_release`` / ``await_release`` are what a scanner calls to
hold a guarded request until it is released or refused.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
import os
import secrets
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from ..errors import AutoguardError, ConfigurationError

log = logging.getLogger("interven_autoguard.approvals")

PENDING = "pending"
APPROVED = "approved"
DENIED = "denied"
EXPIRED = "expired"
EXECUTED = "executed"
STATES = (PENDING, APPROVED, DENIED, EXPIRED, EXECUTED)
TERMINAL_STATES = frozenset({APPROVED, DENIED, EXPIRED, EXECUTED})

DEFAULT_TTL_SECONDS = 3600.0
# A waiting agent must notice a decision made by another process within a second.
POLL_INTERVAL_SECONDS = 0.15
ENV_DB = "INTERVEN_APPROVALS_DB"
SCHEMA_VERSION = 1
_MAX_TEXT = 2000  # decided_by / reason: enough for a sentence, not a dumping ground
MAX_DISPLAY_CHARS = 256 * 1024  # stored request display; longer bodies are cut for the approver

StateCallback = Callable[[str], None]
_Record = TypeVar("_Record", bound="ApprovalRecord")  # a store's own record subclass


class ApprovalError(AutoguardError):
    """Base of the errors the approval store raises."""


class ApprovalNotFound(ApprovalError, LookupError):
    """No approval with that id in this store."""

    def __init__(self, approval_id: str) -> None:
        super().__init__(f"no approval with id {approval_id!r}")
        self.approval_id = approval_id


class ApprovalStateError(ApprovalError):
    """The approval is not in a state that allows the operation (e.g. deciding it twice)."""

    def __init__(self, approval_id: str, state: str, action: str) -> None:
        super().__init__(f"cannot {action} approval {approval_id}: it is already {state}")
        self.approval_id = approval_id
        self.state = state


@dataclass(frozen=True)
class ApprovalRecord:
    id: str
    state: str  # one of STATES
    created_at: float  # seconds since the epoch (UTC)
    expires_at: float
    decided_at: float | None
    decided_by: str | None
    reason: str | None
    method: str
    url: str  # already redacted for display
    request_display: dict[str, Any]  # {"headers": {...masked}, "body": masked body} — built by the caller
    request_hash: str  # SHA-256 hex of the exact original request
    policy_version: str
    reason_codes: list[str]
    risk_score: float
    risk_band: str
    agent_id: str | None
    process: str | None  # "pid 1234 on host x, python agent.py"
    executed_at: float | None

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@runtime_checkable
class ApprovalStore(Protocol):
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
        ttl_seconds: float,
    ) -> ApprovalRecord: ...

    def get(self, approval_id: str) -> ApprovalRecord | None:
        """The record, or None. A pending record past ``expires_at`` comes back (and stays) expired."""
        ...

    def list(self, *, state: str | None = None, limit: int = 100) -> builtins.list[ApprovalRecord]:
        """Newest first."""
        ...

    def decide(
        self, approval_id: str, *, approve: bool, decided_by: str, reason: str | None
    ) -> ApprovalRecord:
        """pending → approved/denied. Anything else raises ApprovalStateError / ApprovalNotFound."""
        ...

    def expire(self, approval_id: str) -> ApprovalRecord:
        """pending → expired now (the waiting caller gave up). Other states are returned unchanged."""
        ...

    def consume(self, approval_id: str, *, request_hash: str, policy_version: str) -> bool:
        """Atomically approved → executed iff hash and policy version match. Single use."""
        ...

    def wait(
        self, approval_id: str, *, timeout: float, on_state: StateCallback | None = None
    ) -> ApprovalRecord: ...

    async def await_(
        self, approval_id: str, *, timeout: float, on_state: StateCallback | None = None
    ) -> ApprovalRecord: ...


# --------------------------------------------------------------------------- SQLite implementation

_SCHEMA = (
    """
    CREATE TABLE approvals (
        id              TEXT PRIMARY KEY,
        state           TEXT NOT NULL CHECK (state IN ('pending','approved','denied','expired','executed')),
        created_at      REAL NOT NULL,
        expires_at      REAL NOT NULL,
        decided_at      REAL,
        decided_by      TEXT,
        reason          TEXT,
        method          TEXT NOT NULL,
        url             TEXT NOT NULL,
        request_display TEXT NOT NULL,
        request_hash    TEXT NOT NULL,
        policy_version  TEXT NOT NULL,
        reason_codes    TEXT NOT NULL,
        risk_score      REAL NOT NULL,
        risk_band       TEXT NOT NULL,
        agent_id        TEXT,
        process         TEXT,
        executed_at     REAL
    )
    """,
    "CREATE INDEX approvals_by_state ON approvals (state, expires_at)",
    "CREATE INDEX approvals_by_created ON approvals (created_at)",
)

_COLUMNS = (
    "id, state, created_at, expires_at, decided_at, decided_by, reason, method, url, request_display, "
    "request_hash, policy_version, reason_codes, risk_score, risk_band, agent_id, process, executed_at"
)


def default_db_path(*, use_env: bool = True) -> Path:
    """``$INTERVEN_APPROVALS_DB``, else the user's state directory (XDG_STATE_HOME or ~/.local/state).
    ``use_env=False``: the latter only (where the CLI looks when that variable is not set)."""
    explicit = os.environ.get(ENV_DB) if use_env else None
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "interven-autoguard" / "approvals.sqlite3"


def _row_to_record(row: tuple[Any, ...]) -> ApprovalRecord:
    (
        id_,
        state,
        created,
        expires,
        decided,
        by,
        reason,
        method,
        url,
        display,
        rhash,
        policy,
        codes,
        score,
        band,
        agent,
        process,
        executed,
    ) = row
    return ApprovalRecord(
        id=id_,
        state=state,
        created_at=created,
        expires_at=expires,
        decided_at=decided,
        decided_by=by,
        reason=reason,
        method=method,
        url=url,
        request_display=json.loads(display),
        request_hash=rhash,
        policy_version=policy,
        reason_codes=list(json.loads(codes)),
        risk_score=score,
        risk_band=band,
        agent_id=agent,
        process=process,
        executed_at=executed,
    )


def _json_text(value: Any) -> str:
    """Keys sorted for a stable display; a body whose keys do not sort (``{"a": 1, 2: "x"}``, from a
    direct ``scan()`` caller) keeps its own order rather than failing the approval."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, default=str)


def _display_json(request_display: dict[str, Any]) -> str:
    """The display as stored: a 10 MB body is not something an approver reads, nor the file should hold."""
    text = _json_text(request_display)
    if len(text) <= MAX_DISPLAY_CHARS:
        return text
    capped = dict(request_display)
    body = capped.get("body")
    body_text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    keep = MAX_DISPLAY_CHARS // 2
    if len(body_text) > keep:
        capped["body"] = body_text[:keep] + f"\n… [{len(body_text) - keep} more characters not shown]"
    headers = capped.get("headers")
    if isinstance(headers, dict):
        capped["headers"] = {
            str(k)[:200]: (str(v)[:2000] + "…" if len(str(v)) > 2000 else str(v))
            for k, v in list(headers.items())[:200]
        }
    text = _json_text(capped)
    if len(text) > MAX_DISPLAY_CHARS:  # pathological headers: keep what identifies the request
        text = json.dumps({"headers": {}, "body": capped["body"], "note": "headers too large to show"})
    return text


def _clean_text(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a string")
    value = value.strip()
    if len(value) > _MAX_TEXT:
        raise ValueError(f"{field} is longer than {_MAX_TEXT} characters")
    return value or None


class SQLiteApprovalStore:
    """Approval store in one SQLite file, shared by agent processes and approvers.

    WAL journal (readers never block the writer), every write in ``BEGIN IMMEDIATE`` so two
    processes deciding or consuming the same approval serialise, and a busy timeout instead of
    "database is locked" errors. One connection per thread (and per process: a forked child
    opens its own), so the store can be shared by the guard's threads.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        self._busy_ms = int(busy_timeout * 1000)
        self._local = threading.local()
        self._prepare_file()
        try:
            with self._write() as conn:
                self._migrate(conn)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise ConfigurationError(
                f"{self.path} is not a usable approvals database ({exc}); "
                f"move it away or set {ENV_DB} to another path"
            ) from None

    def __repr__(self) -> str:
        return f"SQLiteApprovalStore({str(self.path)!r})"

    # -- connections -------------------------------------------------------------------------

    def _prepare_file(self) -> None:
        # Masked requests are still nobody else's business: private directory and file.
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot create the approvals database {self.path} ({exc.strerror}); "
                f"set {ENV_DB} to a writable path"
            ) from None

    def _conn(self) -> sqlite3.Connection:
        local = self._local
        pid = os.getpid()
        conn = getattr(local, "conn", None)
        if conn is None or local.pid != pid:
            conn = sqlite3.connect(
                str(self.path), timeout=self._busy_ms / 1000, isolation_level=None, check_same_thread=True
            )
            conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("approvals database %s: WAL unavailable, journal_mode=%s", self.path, mode)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            local.conn = conn
            local.pid = pid
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their thread's store is collected)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.close()
        self._local.conn = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise ConfigurationError(
                f"approvals database {self.path} has schema version {version}, newer than this "
                f"interven-autoguard understands ({SCHEMA_VERSION}); upgrade the package"
            )
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- reads -------------------------------------------------------------------------------

    def _select(self, conn: sqlite3.Connection, approval_id: str) -> ApprovalRecord | None:
        row = conn.execute(f"SELECT {_COLUMNS} FROM approvals WHERE id = ?", (approval_id,)).fetchone()
        return _row_to_record(row) if row else None

    def get(self, approval_id: str) -> ApprovalRecord | None:
        record = self._select(self._conn(), approval_id)
        if record is not None and record.state == PENDING and record.expires_at <= time.time():
            self._expire_overdue()
            record = self._select(self._conn(), approval_id)
        return record

    def list(self, *, state: str | None = None, limit: int = 100) -> builtins.list[ApprovalRecord]:
        if state is not None and state not in STATES:
            raise ValueError(f"state must be one of {STATES}, got {state!r}")
        conn = self._conn()
        overdue = conn.execute(
            "SELECT 1 FROM approvals WHERE state = 'pending' AND expires_at <= ? LIMIT 1", (time.time(),)
        ).fetchone()
        if overdue:
            self._expire_overdue()
        where, args = ("WHERE state = ?", [state]) if state else ("", [])
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM approvals {where} ORDER BY created_at DESC, id LIMIT ?",
            (*args, max(0, int(limit))),
        ).fetchall()
        return [_row_to_record(r) for r in rows]

    # -- writes ------------------------------------------------------------------------------

    def _expire_overdue(self) -> None:
        now = time.time()
        with self._write() as conn:
            # Expired at its deadline, not when someone happened to look.
            conn.execute(
                "UPDATE approvals SET state = 'expired', decided_at = expires_at, decided_by = 'expiry' "
                "WHERE state = 'pending' AND expires_at <= ?",
                (now,),
            )

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
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
    ) -> ApprovalRecord:
        if not (isinstance(request_hash, str) and len(request_hash) == 64):
            raise ValueError("request_hash must be the 64-character SHA-256 hex digest of the request")
        if not isinstance(request_display, dict):
            raise TypeError("request_display must be a dict ({'headers': ..., 'body': ...})")
        if not ttl_seconds > 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds!r}")
        display = _display_json(request_display)
        now = time.time()
        approval_id = "apr_" + secrets.token_urlsafe(18)
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO approvals ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    approval_id,
                    PENDING,
                    now,
                    now + float(ttl_seconds),
                    None,
                    None,
                    None,
                    str(method).upper(),
                    str(url),
                    display,
                    request_hash.lower(),
                    str(policy_version),
                    json.dumps([str(c) for c in reason_codes]),
                    float(risk_score),
                    str(risk_band),
                    agent_id,
                    process,
                    None,
                ),
            )
            record = self._select(conn, approval_id)
        assert record is not None
        return record

    def decide(
        self, approval_id: str, *, approve: bool, decided_by: str, reason: str | None = None
    ) -> ApprovalRecord:
        by = _clean_text(decided_by, "decided_by")
        if not by:
            raise ValueError("decided_by must name who decided")
        why = _clean_text(reason, "reason")
        now = time.time()
        expired = False
        with self._write() as conn:
            record = self._select(conn, approval_id)
            if record is None:
                raise ApprovalNotFound(approval_id)
            if record.state == PENDING and record.expires_at <= now:
                conn.execute(
                    "UPDATE approvals SET state = 'expired', decided_at = expires_at, decided_by = 'expiry' "
                    "WHERE id = ?",
                    (approval_id,),
                )
                expired = True
            elif record.state == PENDING:
                conn.execute(
                    "UPDATE approvals SET state = ?, decided_at = ?, decided_by = ?, reason = ? WHERE id = ?",
                    (APPROVED if approve else DENIED, now, by, why, approval_id),
                )
                record = self._select(conn, approval_id)
                assert record is not None
                return record
        # Raised after COMMIT so that the expiry we noticed is kept.
        raise ApprovalStateError(
            approval_id, EXPIRED if expired else record.state, "approve" if approve else "deny"
        )

    def expire(self, approval_id: str) -> ApprovalRecord:
        with self._write() as conn:
            record = self._select(conn, approval_id)
            if record is None:
                raise ApprovalNotFound(approval_id)
            if record.state != PENDING:
                return record
            now = time.time()
            conn.execute(
                "UPDATE approvals SET state = 'expired', decided_at = ?, decided_by = 'expiry' WHERE id = ?",
                (min(now, record.expires_at), approval_id),
            )
            record = self._select(conn, approval_id)
        assert record is not None
        return record

    def consume(self, approval_id: str, *, request_hash: str, policy_version: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE approvals SET state = 'executed', executed_at = ? "
                "WHERE id = ? AND state = 'approved' AND request_hash = ? AND policy_version = ?",
                (time.time(), approval_id, str(request_hash).lower(), str(policy_version)),
            )
            return cursor.rowcount == 1

    def purge(self, *, older_than: float) -> int:
        """Delete decided/expired/executed records whose last event is older than ``older_than`` seconds.

        Pending approvals are never purged. Returns how many records were deleted.
        """
        if older_than < 0:
            raise ValueError(f"older_than must not be negative, got {older_than!r}")
        self._expire_overdue()
        cutoff = time.time() - older_than
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM approvals WHERE state != 'pending' "
                "AND COALESCE(executed_at, decided_at, created_at) < ?",
                (cutoff,),
            )
            return cursor.rowcount

    # -- waiting -----------------------------------------------------------------------------

    def wait(
        self, approval_id: str, *, timeout: float, on_state: StateCallback | None = None
    ) -> ApprovalRecord:
        return poll_until_settled(self.get, approval_id, timeout=timeout, on_state=on_state)

    async def await_(
        self, approval_id: str, *, timeout: float, on_state: StateCallback | None = None
    ) -> ApprovalRecord:
        return await apoll_until_settled(self.get, approval_id, timeout=timeout, on_state=on_state)


def poll_until_settled(
    get: Callable[[str], _Record | None],
    approval_id: str,
    *,
    timeout: float,
    on_state: StateCallback | None = None,
) -> _Record:
    """The wait loop of every store: poll ``get`` until the record is terminal or ``timeout`` passes."""
    watcher = _Watcher(approval_id, on_state)
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        record = get(approval_id)
        if watcher.observe(record):
            return record  # type: ignore[return-value]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return record  # type: ignore[return-value]
        time.sleep(min(POLL_INTERVAL_SECONDS, remaining))


async def apoll_until_settled(
    get: Callable[[str], _Record | None],
    approval_id: str,
    *,
    timeout: float,
    on_state: StateCallback | None = None,
) -> _Record:
    """``poll_until_settled`` for async callers."""
    watcher = _Watcher(approval_id, on_state)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.0, timeout)
    while True:
        # A database read may wait on another process's lock: never on the event loop's thread.
        record = await asyncio.to_thread(get, approval_id)
        if watcher.observe(record):
            return record  # type: ignore[return-value]
        remaining = deadline - loop.time()
        if remaining <= 0:
            return record  # type: ignore[return-value]
        await asyncio.sleep(min(POLL_INTERVAL_SECONDS, remaining))


class _Watcher:
    """Reports each new state once to the caller's callback; says when waiting is over."""

    def __init__(self, approval_id: str, on_state: StateCallback | None) -> None:
        self.approval_id = approval_id
        self.on_state = on_state
        self.last: str | None = None

    def report(self, state: str) -> None:
        if state == self.last:
            return
        self.last = state
        if self.on_state is not None:
            try:
                self.on_state(state)
            except Exception as exc:  # a broken notifier must not break the held request
                log.warning("approval %s: on_state callback raised %s", self.approval_id, type(exc).__name__)

    def observe(self, record: ApprovalRecord | None) -> bool:
        if record is None:
            raise ApprovalNotFound(self.approval_id)
        self.report(record.state)
        return record.terminal


# --------------------------------------------------------------------------- release (guard side)


def _outcome(
    store: ApprovalStore, record: ApprovalRecord, request_hash: str, policy_version: str, watcher: _Watcher
) -> str:
    """Turn the record at the end of a wait into what the guard does: approved | denied | expired."""
    if record.state == PENDING:
        # The caller stops waiting: make the record say so, unless a decision landed meanwhile.
        record = store.expire(record.id)
        watcher.report(record.state)
    if record.state == APPROVED:
        if store.consume(record.id, request_hash=request_hash, policy_version=policy_version):
            watcher.report(EXECUTED)
            return APPROVED
        log.warning(
            "approval %s does not match this request or policy version (or was used): refused", record.id
        )
        return DENIED
    if record.state == EXPIRED:
        return EXPIRED
    # denied, or executed already (single use: a replay is refused)
    return DENIED


def wait_for_release(
    store: ApprovalStore,
    approval_id: str,
    *,
    request_hash: str,
    policy_version: str,
    timeout: float,
    on_state: StateCallback | None = None,
) -> str:
    """Hold the caller until a human decides. ``"approved"`` means released *and consumed*.

    Returns ``"approved"``, ``"denied"`` (also for a hash/policy mismatch or an approval already
    used) or ``"expired"`` (the approval's TTL or ``timeout`` ran out first).
    """
    watcher = _Watcher(approval_id, on_state)
    record = store.wait(approval_id, timeout=timeout, on_state=watcher.report)
    return _outcome(store, record, request_hash, policy_version, watcher)


async def await_release(
    store: ApprovalStore,
    approval_id: str,
    *,
    request_hash: str,
    policy_version: str,
    timeout: float,
    on_state: StateCallback | None = None,
) -> str:
    """``wait_for_release`` for async callers: the event loop keeps running while we wait."""
    watcher = _Watcher(approval_id, on_state)
    record = await store.await_(approval_id, timeout=timeout, on_state=watcher.report)
    return await asyncio.to_thread(_outcome, store, record, request_hash, policy_version, watcher)


# --------------------------------------------------------------------------- helpers

_DEFAULT_STORES: dict[Path, SQLiteApprovalStore] = {}
_DEFAULT_LOCK = threading.Lock()


def default_store() -> SQLiteApprovalStore:
    """The store at ``default_db_path()``, one instance per path per process."""
    path = default_db_path()
    with _DEFAULT_LOCK:
        store = _DEFAULT_STORES.get(path)
        if store is None:
            store = _DEFAULT_STORES[path] = SQLiteApprovalStore(path)
        return store


def describe_process() -> str:
    """``"pid 1234 on host x, python agent.py"`` — program names only: arguments may hold secrets."""
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "-"
    interpreter = os.path.basename(sys.executable or "python")
    return f"pid {os.getpid()} on host {socket.gethostname()}, {interpreter} {program}"
