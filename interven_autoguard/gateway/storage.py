"""Shared state of a gateway: audit log, rate-limit counters, held requests, approvals.

SQLite by default; PostgreSQL when the URL starts with ``postgresql://`` (psycopg 3, optional
dependency ``interven-autoguard[postgres]``). Nothing that matters lives in process memory, so
several gateway processes can share one database. Every write is a single statement, so each is
atomic on both engines without explicit transactions.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ..errors import ConfigurationError


def default_sqlite_path() -> str:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "interven-autoguard", "gateway.db")


def sqlite_path(url: str) -> str:
    """The absolute file a SQLite URL or path names.

    ``sqlite:///abs/path.db`` and ``sqlite:////abs/path.db`` (SQLAlchemy's spelling) are both
    ``/abs/path.db``; ``sqlite:rel.db``, ``sqlite://rel.db`` and a plain path are relative to the
    working directory at start-up, resolved once so the startup line names the real file; ``~`` is
    expanded (a TOML config gets no shell expansion). Refuses what is no SQLite location: another URL
    scheme or a libpq ``key=value`` string would otherwise become a file named after it, password
    included.
    """
    if url.startswith("sqlite:"):
        path = url[len("sqlite:") :]
        if path.startswith("//"):
            path = path[2:]
    elif _OTHER_SCHEME.match(url) or _KEYWORD_DSN.match(url):
        raise ConfigurationError(
            "the gateway database must be sqlite:///path/file.db, a file path, or postgresql://user@host/db"
        )
    else:
        path = url
    if path == ":memory:":
        raise ConfigurationError("use a file for the gateway database: processes and threads share it")
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    return os.path.abspath(os.path.expanduser(path))


_OTHER_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_KEYWORD_DSN = re.compile(r"\s*(host|hostaddr|port|dbname|user|password|service|sslmode)\s*=", re.IGNORECASE)


def redacted_dsn(url: str) -> str:
    """A PostgreSQL URL fit to print: the user, host, port, database and options stay; any password
    (in the userinfo or a ``password=`` option) becomes ``***``. Never raises.

    Everything before the last ``@`` is taken as userinfo, so a password with an unencoded ``/``,
    ``?`` or ``@`` in it is still masked whole (at worst the rest prints oddly).
    """
    _scheme, sep, rest = url.partition("://")
    if not sep:
        return "[unparseable]"
    rest = rest.split("#", 1)[0]
    userinfo, at, location = rest.rpartition("@")
    auth = ""
    if at:
        user, colon, _password = userinfo.partition(":")
        auth = user + (":***" if colon else "") + "@"
    where, question, query = location.partition("?")
    if question:
        params = []
        for item in query.split("&"):
            name, eq, _value = item.partition("=")
            params.append(f"{name}=***" if eq and "pass" in name.lower() else item)
        where += "?" + "&".join(params)
    return f"postgresql://{auth}{where}"


def scrub_password(text: str, url: str) -> str:
    """``text`` (a driver's error message) fit to print: the URL's password, raw or percent-decoded,
    becomes ``***``; if any piece of it is still there (a parser that split the URL elsewhere quotes
    a part of it), the whole message is withheld."""
    secrets: set[str] = set()
    rest = url.partition("://")[2].split("#", 1)[0]
    userinfo, at, location = rest.rpartition("@")
    if at and ":" in userinfo:
        secrets.add(userinfo.partition(":")[2])
    for item in location.partition("?")[2].split("&"):
        name, eq, value = item.partition("=")
        if eq and "pass" in name.lower():
            secrets.add(value)
    secrets = {s for s in secrets | {unquote(s) for s in secrets} if s}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    for secret in secrets:
        size = min(4, len(secret))
        if any(secret[i : i + size] in text for i in range(len(secret) - size + 1)):
            return "(message withheld: it quotes part of the connection string)"
    return text


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit_log (
        id {serial} PRIMARY KEY,
        ts DOUBLE PRECISION NOT NULL,
        endpoint TEXT NOT NULL,
        key_id TEXT,
        agent_id TEXT,
        method TEXT,
        url TEXT,
        decision TEXT,
        reason_codes TEXT NOT NULL DEFAULT '[]',
        findings TEXT NOT NULL DEFAULT '[]',
        risk_score DOUBLE PRECISION,
        approval_id TEXT,
        trace_id TEXT,
        status INTEGER,
        detail TEXT,
        source TEXT,
        count INTEGER NOT NULL DEFAULT 1
    )""",
    "CREATE INDEX IF NOT EXISTS audit_log_trace ON audit_log (trace_id)",
    """CREATE TABLE IF NOT EXISTS rate_counters (
        key_id TEXT NOT NULL,
        window_start BIGINT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (key_id, window_start)
    )""",
    """CREATE TABLE IF NOT EXISTS gateway_approvals (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('pending','approved','denied','expired','executed')),
        created_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        decided_at DOUBLE PRECISION,
        decided_by TEXT,
        reason TEXT,
        method TEXT NOT NULL,
        url TEXT NOT NULL,
        display TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        policy_version TEXT NOT NULL,
        reason_codes TEXT NOT NULL,
        risk_score DOUBLE PRECISION NOT NULL,
        risk_band TEXT NOT NULL,
        agent_id TEXT,
        process TEXT,
        consumed_at DOUBLE PRECISION,
        key_id TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS gateway_approvals_state ON gateway_approvals (state, expires_at)",
    "CREATE INDEX IF NOT EXISTS gateway_approvals_hash ON gateway_approvals (request_hash)",
    # Signatures of /invoke requests already served: an exact replay inside the window is refused.
    """CREATE TABLE IF NOT EXISTS seen_signatures (
        signature TEXT PRIMARY KEY,
        seen_at DOUBLE PRECISION NOT NULL
    )""",
    # The upstream request behind an /invoke approval, kept only until it is executed or refused.
    """CREATE TABLE IF NOT EXISTS held_requests (
        approval_id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        tool_name TEXT NOT NULL,
        payload TEXT NOT NULL
    )""",
)

# Columns added to audit_log after its first release: added to an existing table at start-up (ADD
# COLUMN is no UPDATE: the append-only triggers do not fire, old rows read the default).
_AUDIT_ADDED_COLUMNS = (("source", "TEXT"), ("count", "INTEGER NOT NULL DEFAULT 1"))

_SQLITE_APPEND_ONLY = (
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
)

_PG_APPEND_ONLY = (
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
    """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
)


class Database:
    """A thread-safe handle on SQLite or PostgreSQL with one SQL dialect (``?`` placeholders)."""

    def __init__(self, url: str | None = None) -> None:
        url = url or default_sqlite_path()
        self.url = url
        self.is_postgres = url.startswith(("postgresql://", "postgres://"))
        self._local = threading.local()
        if self.is_postgres:
            try:
                import psycopg  # noqa: F401
            except ImportError:
                raise ConfigurationError(
                    "PostgreSQL storage needs psycopg 3: pip install 'interven-autoguard[postgres]'"
                ) from None
            self.path = None
        else:
            self.path = sqlite_path(url)
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
        try:
            self._init_schema()
        except Exception as exc:  # the driver's message can quote the URL: scrubbed, and no cause kept
            raise ConfigurationError(
                f"cannot open the gateway database ({self.describe()}): "
                f"{type(exc).__name__}: {' '.join(scrub_password(str(exc), url).split())}"
            ) from None

    def describe(self) -> str:
        """The database for logs and the startup line: engine and location, never a password."""
        if self.is_postgres:
            return f"PostgreSQL {redacted_dsn(self.url)}"
        return f"SQLite file {self.path}"

    def _connect(self) -> Any:
        if self.is_postgres:
            import psycopg

            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        _private_file(self.path)
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or (self.is_postgres and conn.closed):
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.is_postgres else sql

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        conn = self._conn()
        cur = conn.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        with self._cursor() as cur:
            cur.execute(self._sql(sql), tuple(params))
            return cur.rowcount

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._cursor() as cur:
            cur.execute(self._sql(sql), tuple(params))
            return cur.fetchone()

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._cursor() as cur:
            cur.execute(self._sql(sql), tuple(params))
            return list(cur.fetchall())

    def _init_schema(self) -> None:
        serial = "BIGSERIAL" if self.is_postgres else "INTEGER"
        with self._cursor() as cur:
            if self.is_postgres:
                # Two gateways starting at once must not race on CREATE TABLE.
                cur.execute("SELECT pg_advisory_lock(74110001)")
            try:
                for stmt in _SCHEMA:
                    cur.execute(stmt.format(serial=serial))
                self._add_audit_columns(cur)
                for stmt in _PG_APPEND_ONLY if self.is_postgres else _SQLITE_APPEND_ONLY:
                    cur.execute(stmt)
            finally:
                if self.is_postgres:
                    cur.execute("SELECT pg_advisory_unlock(74110001)")

    def _add_audit_columns(self, cur: Any) -> None:
        if self.is_postgres:  # under the advisory lock
            for name, decl in _AUDIT_ADDED_COLUMNS:
                cur.execute(f"ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS {name} {decl}")
            return
        cur.execute("PRAGMA table_info(audit_log)")
        present = {row[1] for row in cur.fetchall()}
        for name, decl in _AUDIT_ADDED_COLUMNS:
            if name in present:
                continue
            try:
                cur.execute(f"ALTER TABLE audit_log ADD COLUMN {name} {decl}")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):  # another process added it first: fine
                    raise

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _private_file(path: str) -> None:
    """Create the database file readable by its owner only, before SQLite creates it 0644: it holds
    the audit trail and the requests held for approval (redacted, but not for everyone's eyes)."""
    if path == ":memory:" or path.startswith("file:") or os.path.exists(path):
        return
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass  # another process made it first


@dataclass(frozen=True)
class AuditRecord:
    """One decision. Only metadata: never a body, header value, key or secret."""

    endpoint: str
    key_id: str | None = None
    agent_id: str | None = None
    method: str | None = None
    url: str | None = None  # already redacted (no userinfo, no query values)
    decision: str | None = None
    reason_codes: tuple[str, ...] = ()
    findings: tuple[dict[str, Any], ...] = ()  # type, location, offsets, salted hash
    risk_score: float | None = None
    approval_id: str | None = None
    trace_id: str | None = None
    status: int | None = None
    detail: str | None = None
    source: str | None = None  # peer address of a refused request (IPv6: its /64); see refusals.py
    count: int = 1  # how many requests the row stands for (refusals are coalesced)


class AuditLog:
    """Append-only: this class has no update or delete, and the table refuses both."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def append(self, rec: AuditRecord) -> None:
        self.db.execute(
            "INSERT INTO audit_log (ts, endpoint, key_id, agent_id, method, url, decision, reason_codes,"
            " findings, risk_score, approval_id, trace_id, status, detail, source, count)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                rec.endpoint,
                rec.key_id,
                rec.agent_id,
                rec.method,
                rec.url,
                rec.decision,
                json.dumps(list(rec.reason_codes)),
                json.dumps(list(rec.findings)),
                rec.risk_score,
                rec.approval_id,
                rec.trace_id,
                rec.status,
                rec.detail,
                rec.source,
                int(rec.count),
            ),
        )

    def has_trace(self, trace_id: str, key_id: str | None) -> bool:
        row = self.db.fetchone(
            "SELECT 1 FROM audit_log WHERE trace_id = ? AND endpoint = '/v1/scan' AND key_id = ? LIMIT 1",
            (trace_id, key_id),
        )
        return row is not None

    def rows(self, limit: int = 1000) -> list[dict[str, Any]]:
        cols = (
            "id",
            "ts",
            "endpoint",
            "key_id",
            "agent_id",
            "method",
            "url",
            "decision",
            "reason_codes",
            "findings",
            "risk_score",
            "approval_id",
            "trace_id",
            "status",
            "detail",
            "source",
            "count",
        )
        raw = self.db.fetchall(f"SELECT {', '.join(cols)} FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
        out = []
        for row in raw:
            item = dict(zip(cols, row))
            item["reason_codes"] = json.loads(item["reason_codes"] or "[]")
            item["findings"] = json.loads(item["findings"] or "[]")
            out.append(item)
        return out


class RateLimiter:
    """Fixed one-minute windows counted in the shared database (so N gateways share one budget)."""

    def __init__(self, db: Database, window_seconds: int = 60) -> None:
        self.db = db
        self.window = window_seconds
        self._last_sweep = 0.0

    def hit(self, key_id: str, limit: int) -> tuple[bool, int]:
        """Count one request; returns (allowed, seconds until the window resets)."""
        now = time.time()
        window = int(now // self.window) * self.window
        row = self.db.fetchone(
            "INSERT INTO rate_counters (key_id, window_start, count) VALUES (?, ?, 1)"
            " ON CONFLICT (key_id, window_start) DO UPDATE SET count = rate_counters.count + 1"
            " RETURNING count",
            (key_id, window),
        )
        if now - self._last_sweep > self.window:
            self._last_sweep = now
            self.db.execute("DELETE FROM rate_counters WHERE window_start < ?", (window - self.window,))
        count = int(row[0]) if row else 1
        return count <= limit, max(1, int(window + self.window - now))


class HeldRequests:
    """Upstream requests waiting for approval (``/invoke`` → ``/approvals/{id}/execute``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, approval_id: str, agent_id: str, tool_name: str, payload: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO held_requests (approval_id, agent_id, tool_name, payload) VALUES (?, ?, ?, ?)",
            (approval_id, agent_id, tool_name, json.dumps(payload)),
        )

    def get(self, approval_id: str) -> tuple[str, str, dict[str, Any]] | None:
        row = self.db.fetchone(
            "SELECT agent_id, tool_name, payload FROM held_requests WHERE approval_id = ?", (approval_id,)
        )
        if row is None:
            return None
        return str(row[0]), str(row[1]), json.loads(row[2])

    def drop(self, approval_id: str) -> None:
        self.db.execute("DELETE FROM held_requests WHERE approval_id = ?", (approval_id,))


class SeenSignatures:
    """Signed ``/invoke`` bodies already accepted: a byte-identical replay inside the window is refused."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._last_sweep = 0.0

    def first_time(self, signature: str, window_seconds: float) -> bool:
        now = time.time()
        if now - self._last_sweep > window_seconds:
            self._last_sweep = now
            self.db.execute("DELETE FROM seen_signatures WHERE seen_at < ?", (now - 2 * window_seconds,))
        row = self.db.fetchone(
            "INSERT INTO seen_signatures (signature, seen_at) VALUES (?, ?)"
            " ON CONFLICT (signature) DO NOTHING RETURNING signature",
            (signature, now),
        )
        return row is not None
