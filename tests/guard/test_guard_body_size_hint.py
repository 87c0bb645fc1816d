"""A body blocked for its size (``BODY_TOO_LARGE``) says which setting decides it, without any of
its content.

A Docker layer, a release asset or a wheel over the policy's ``max_body_bytes`` (10 MiB by default)
is denied unscanned, by design; the reason code alone does not say that the policy's
``max_body_bytes`` / ``body_too_large`` decide it, or, for a streamed body the guard stopped
reading, the guard's own read limit.
"""

from __future__ import annotations

import logging
import random

import pytest
from guard_clients import DRIVERS, Driver
from guardkit import RecordingServer

import interven_autoguard
from interven_autoguard.config import Settings
from interven_autoguard.hints import GUARD_BODY_LIMIT, body_size_hint

OCTET = {"Content-Type": "application/octet-stream"}
POLICY_HINT = "[settings] max_body_bytes"
STREAM_HINT = 'install(extra={"max_body_bytes": ...})'


def _blob(size: int) -> bytes:
    # Random bytes with a recognisable marker that must never show in a message.
    rng = random.Random(size)
    return rng.randbytes(size // 2) + b"MARKER-Zq9vT4" + rng.randbytes(size - size // 2)


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_an_oversized_body_names_the_policy_settings(driver: Driver, server: RecordingServer,
                                                     embedded) -> None:
    body = _blob(10 * 1024 * 1024 + 1)  # the default policy's limit, plus one byte
    with pytest.raises(driver.library_error()) as caught:
        driver.send("PUT", server.url("/v2/acme/app/blobs/uploads/u?digest=sha256:" + "ab" * 32), body, OCTET)
    message = str(driver.blocked(caught.value))
    assert "reasons=BODY_TOO_LARGE" in message
    assert f"hint: the body was too large to scan (over the policy's {POLICY_HINT}" in message
    assert "body_too_large" in message and "\"Large uploads\" in docs/policy.md" in message
    assert "MARKER" not in message and "digest=sha256" not in message
    assert server.connections == 0


def test_the_settings_it_names_let_the_upload_through(tmp_path, server: RecordingServer) -> None:
    import requests

    policy = tmp_path / "policy.toml"
    policy.write_text("[settings]\nmax_body_bytes = 4096\n")
    body = _blob(8192)
    with interven_autoguard.guarded(Settings(policy=str(policy))), \
            pytest.raises(interven_autoguard.RequestBlocked) as caught:
        requests.put(server.url("/v2/acme/app/blobs/uploads/u"), data=body, headers=OCTET, timeout=10)
    assert POLICY_HINT in str(caught.value)
    policy.write_text('[settings]\nmax_body_bytes = 4096\nbody_too_large = "ALLOW"\n')
    with interven_autoguard.guarded(Settings(policy=str(policy))):
        response = requests.put(server.url("/v2/acme/app/blobs/uploads/u"), data=body, headers=OCTET,
                                timeout=10)
    assert response.status_code == 200
    assert server.last().body == body


def test_a_stream_past_the_guards_read_limit_names_that_limit(server: RecordingServer,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    import requests

    caplog.set_level(logging.WARNING, logger="interven_autoguard")
    chunks = [_blob(1024) for _ in range(4)]
    with interven_autoguard.guarded(Settings(extra={"max_body_bytes": 2048})), \
            pytest.raises(interven_autoguard.RequestBlocked) as caught:
        requests.put(server.url("/upload"), data=iter(chunks), headers=OCTET, timeout=10)
    message = str(caught.value)
    assert "reasons=BODY_TOO_LARGE" in message
    assert "larger than the guard reads to scan, 2048 bytes" in message and STREAM_HINT in message
    assert POLICY_HINT not in message.split("; hint:")[0]
    assert "MARKER" not in message
    assert server.connections == 0
    lines = [r.getMessage() for r in caplog.records if "BODY_TOO_LARGE" in r.getMessage()]
    assert lines and all(STREAM_HINT in line and "MARKER" not in line for line in lines)


def test_the_log_line_carries_the_hint_in_enforce_and_monitor_mode(tmp_path, server: RecordingServer,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    import requests

    policy = tmp_path / "policy.toml"
    policy.write_text("[settings]\nmax_body_bytes = 4096\n")
    body = _blob(8192)
    caplog.set_level(logging.WARNING, logger="interven_autoguard")
    with interven_autoguard.guarded(Settings(mode="monitor", policy=str(policy))):
        requests.put(server.url("/upload"), data=body, headers=OCTET, timeout=10)
    assert server.connections == 1  # monitor mode sends it, and says what enforce would do
    with interven_autoguard.guarded(Settings(policy=str(policy))), \
            pytest.raises(interven_autoguard.RequestBlocked):
        requests.put(server.url("/upload"), data=body, headers=OCTET, timeout=10)
    lines = [r.getMessage() for r in caplog.records if "BODY_TOO_LARGE" in r.getMessage()]
    assert [("mode=monitor" in line, "mode=enforce" in line) for line in lines] == [(True, False),
                                                                                    (False, True)]
    for line in lines:
        assert f"hint: the body was too large to scan (over the policy's {POLICY_HINT}" in line
        assert "MARKER" not in line


def test_no_size_hint_where_size_is_not_what_blocked() -> None:
    # Something stronger blocked it too: raising a size limit would not help.
    assert body_size_hint(["SSRF_METADATA", "BODY_TOO_LARGE"], "embedded") == ""
    assert body_size_hint(["SECRET_DETECTED"], "embedded") == ""
    assert body_size_hint([], "embedded") == ""
    # A gateway's size limit is its own: no local setting to name.
    assert body_size_hint(["BODY_TOO_LARGE"], "gateway") == ""
    # The guard's read limit is named whatever the scanner, and only as a plain number.
    assert STREAM_HINT in body_size_hint(["BODY_TOO_LARGE"], "gateway", {GUARD_BODY_LIMIT: 4096})
    assert POLICY_HINT in body_size_hint(["BODY_TOO_LARGE"], "embedded", {GUARD_BODY_LIMIT: "x\ny"})
    assert "x\ny" not in body_size_hint(["BODY_TOO_LARGE"], "embedded", {GUARD_BODY_LIMIT: "x\ny"})
    # The embedded engine's verdict on a body over its limit, straight from scan().
    r = interven_autoguard.scan(method="PUT", url="https://uploads.github.com/repos/a/b/releases/1/assets",
                                headers=OCTET, body=b"\0" * (10 * 1024 * 1024 + 1))
    assert r.reason_codes == ["BODY_TOO_LARGE"]
    assert POLICY_HINT in body_size_hint(r.reason_codes, r.scanner, r.raw)
