from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from guardkit import RecordingServer, RuleScanner

import interven_autoguard
from interven_autoguard.config import Settings
from interven_autoguard.guard.core import Guard


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    srv = RecordingServer()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture
def embedded() -> Iterator[Guard]:
    """The guard installed with the embedded engine (no scanner given), uninstalled afterwards."""
    guard = interven_autoguard.install(Settings())
    try:
        yield guard
    finally:
        interven_autoguard.uninstall()


@pytest.fixture
def scanner() -> RuleScanner:
    return RuleScanner()


@pytest.fixture
def guard_on(scanner: RuleScanner) -> Iterator[Callable[..., Guard]]:
    """``guard_on(**settings)`` installs the guard with the rule scanner; uninstalled afterwards."""

    def start(**settings: object) -> Guard:
        return interven_autoguard.install(Settings(**settings), scanner=scanner)  # type: ignore[arg-type]

    try:
        yield start
    finally:
        interven_autoguard.uninstall()
