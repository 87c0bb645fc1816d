"""Choosing the gateway is explicit: a key needs a gateway URL, and a local policy cannot ride along.

Nothing here sends a request (the choice is made before any), so even a regression cannot reach
the hosted service's address.
"""

from __future__ import annotations

import logging
import re

import pytest

import interven_autoguard
from interven_autoguard import api
from interven_autoguard.config import Settings
from interven_autoguard.errors import ConfigurationError
from interven_autoguard.guard.install import active_guard

KEY = "iv_live_" + "Zq8RfT2mXw7Lp4Nv"
LOOPBACK = "http://127.0.0.1:9"  # discard port: never contacted here


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INTERVEN_API_KEY", "INTERVEN_GATEWAY_URL", "INTERVEN_POLICY", "INTERVEN_DISABLED"):
        monkeypatch.delenv(name, raising=False)


def test_a_key_alone_never_implies_the_hosted_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVEN_API_KEY", KEY)
    for attempt in (interven_autoguard.install, Settings.from_env, api.default_scanner,
                    lambda: api.make_scanner(api_key=KEY)):
        with pytest.raises(ConfigurationError, match="INTERVEN_GATEWAY_URL is not") as info:
            attempt()
        assert KEY not in str(info.value)
    assert active_guard() is None


def test_a_local_policy_with_a_key_is_refused_not_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('extends = "default"\n')
    monkeypatch.setenv("INTERVEN_API_KEY", KEY)
    monkeypatch.setenv("INTERVEN_GATEWAY_URL", LOOPBACK)
    with pytest.raises(ConfigurationError, match="no effect when INTERVEN_API_KEY is set"):
        interven_autoguard.install(policy=str(policy))
    monkeypatch.setenv("INTERVEN_POLICY", str(policy))
    for attempt in (interven_autoguard.install, api.default_scanner):
        with pytest.raises(ConfigurationError, match=re.escape("gateway at http://127.0.0.1:9 decides")):
            attempt()
    assert active_guard() is None


def test_the_kill_switch_still_works_with_a_half_set_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVEN_API_KEY", KEY)
    monkeypatch.setenv("INTERVEN_DISABLED", "1")
    assert interven_autoguard.install().settings.disabled


def test_install_logs_which_scanner_and_where(monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("INTERVEN_API_KEY", KEY)
    caplog.set_level(logging.INFO, logger="interven_autoguard")
    try:  # an argument completes what the environment lacks
        interven_autoguard.install(gateway_url=LOOPBACK + "/base?token=t0ps3cret")
    finally:
        interven_autoguard.uninstall()
    lines = [r.getMessage() for r in caplog.records if "scanning with" in r.getMessage()]
    assert lines == ["interven-autoguard: installed, enforce mode, scanning with the gateway at "
                     "http://127.0.0.1:9 (its policy decides)"]
    assert KEY not in caplog.text and "t0ps3cret" not in caplog.text
