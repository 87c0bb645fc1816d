"""PostgreSQL-backed approval store for gateways that share one database.

The SQL lives in ``sql_store.SqlApprovalStore`` (one dialect for SQLite and PostgreSQL); this module
is the explicit entry point for PostgreSQL, refusing anything else so a typo cannot silently fall
back to a local file that other gateway processes would never see.
"""

from __future__ import annotations

from ..errors import ConfigurationError
from .sql_store import SqlApprovalStore
from .storage import Database


class PgApprovalStore(SqlApprovalStore):
    """``ApprovalStore`` on PostgreSQL (psycopg 3): ``PgApprovalStore("postgresql://user@host/db")``."""

    def __init__(self, url: str, *, default_ttl: float = 3600.0, max_ttl: float | None = None) -> None:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigurationError("PgApprovalStore needs a postgresql:// URL")
        super().__init__(Database(url), default_ttl=default_ttl, max_ttl=max_ttl)
