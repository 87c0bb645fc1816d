"""Fixtures of the approvals tests: a private store file per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from approvals_testlib import make_record

from interven_autoguard.approvals.store import ApprovalRecord, SQLiteApprovalStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "approvals.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[SQLiteApprovalStore]:
    s = SQLiteApprovalStore(db_path)
    yield s
    s.close()


@pytest.fixture
def new_record(store: SQLiteApprovalStore) -> Callable[..., ApprovalRecord]:
    return lambda **kw: make_record(store, **kw)
