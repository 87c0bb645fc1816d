"""Human approval: the store that holds REQUIRE_APPROVAL requests, its CLI and its web page."""

from __future__ import annotations

from .store import (
    APPROVED,
    DENIED,
    EXECUTED,
    EXPIRED,
    PENDING,
    STATES,
    ApprovalError,
    ApprovalNotFound,
    ApprovalRecord,
    ApprovalStateError,
    ApprovalStore,
    SQLiteApprovalStore,
    await_release,
    default_db_path,
    default_store,
    describe_process,
    wait_for_release,
)

__all__ = [
    "APPROVED",
    "DENIED",
    "EXECUTED",
    "EXPIRED",
    "PENDING",
    "STATES",
    "ApprovalError",
    "ApprovalNotFound",
    "ApprovalRecord",
    "ApprovalStateError",
    "ApprovalStore",
    "SQLiteApprovalStore",
    "await_release",
    "default_db_path",
    "default_store",
    "describe_process",
    "wait_for_release",
]
