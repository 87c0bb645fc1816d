"""Bad answers from a scanner never turn into a crash inside the user's HTTP call: fail closed."""

from __future__ import annotations

from typing import Any

import pytest
from guard_clients import DRIVERS, Driver
from guardkit import RecordingServer, RuleScanner

import interven_autoguard
from interven_autoguard.config import Settings
from interven_autoguard.model import ScanResponse


class BrokenSanitizer(RuleScanner):
    """Answers SANITIZE with a rewrite the library cannot carry out (bad URL, non-str header)."""

    def scan(self, **kwargs: Any) -> ScanResponse:
        super().scan(**kwargs)
        return ScanResponse(decision="SANITIZE", sanitized_url="http://[zz/x",
                            sanitized_headers={"X-Broken": None},  # type: ignore[dict-item]
                            sanitized_body=b"clean")


class UnknownDecision(RuleScanner):
    def scan(self, **kwargs: Any) -> ScanResponse:
        super().scan(**kwargs)
        return ScanResponse(decision="MAYBE")


STRICT = [d for d in DRIVERS if d.name.split("-")[0] in ("httpx", "httpx2", "aiohttp")]


@pytest.mark.parametrize("driver", STRICT, ids=[d.name for d in STRICT])
def test_a_rewrite_that_cannot_be_applied_fails_closed(driver: Driver, server: RecordingServer) -> None:
    interven_autoguard.install(Settings(), scanner=BrokenSanitizer())
    try:
        with pytest.raises(driver.library_error()) as caught:
            driver.send("POST", server.url("/ok"), b"{}", {"Content-Type": "application/json"})
        blocked = driver.blocked(caught.value)
        assert blocked.reason_codes == ["SCANNER_ERROR"] and "could not be applied" in str(blocked)
        assert server.connections == 0
    finally:
        interven_autoguard.uninstall()


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_an_unknown_decision_is_treated_as_deny(driver: Driver, server: RecordingServer) -> None:
    interven_autoguard.install(Settings(), scanner=UnknownDecision())
    try:
        with pytest.raises(driver.library_error()) as caught:
            driver.send("GET", server.url("/ok"))
        assert driver.blocked(caught.value).decision == "DENY"
        assert server.connections == 0
    finally:
        interven_autoguard.uninstall()
