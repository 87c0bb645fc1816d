from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import safetynet


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    """Every test: connect() to anything but loopback raises, even if the guard is broken."""
    safetynet.install()
    try:
        yield
    finally:
        safetynet.uninstall()
