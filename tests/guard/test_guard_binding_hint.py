"""A credential blocked for its host says which ``[bindings]`` entry would allow it, without its value.

An OpenAI SDK pointed at a local model server or a company gateway is the most common first block a
new user meets; the reason code alone does not say that one policy line fixes it, nor which
provider id to write.
"""

from __future__ import annotations

import logging

import pytest
from guard_clients import DRIVERS, Driver
from guardkit import RecordingServer

import interven_autoguard
from interven_autoguard.config import Settings
from interven_autoguard.hints import binding_hint
from interven_autoguard.model import Finding

OPENAI_KEY = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0" * 3
AUTH = {"Authorization": f"Bearer {OPENAI_KEY}", "Content-Type": "application/json"}


def _scan(url: str, headers: dict[str, str] = AUTH, body: bytes = b'{"model": "llama"}') -> object:
    return interven_autoguard.scan(method="POST", url=url, headers=headers, body=body)


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_the_block_names_the_binding_that_would_allow_it(driver: Driver, server: RecordingServer,
                                                         embedded) -> None:
    with pytest.raises(driver.library_error()) as caught:
        driver.send("POST", server.url("/v1/chat/completions"), b'{"model": "llama"}', AUTH)
    message = str(driver.blocked(caught.value))
    assert 'hint: openai credentials' in message
    assert '[bindings] openai = ["127.0.0.1"]' in message
    assert OPENAI_KEY not in message and OPENAI_KEY[8:24] not in message
    assert server.connections == 0


def test_the_binding_it_names_does_allow_the_call(tmp_path, server: RecordingServer) -> None:
    import requests

    policy = tmp_path / "policy.toml"
    policy.write_text('[bindings]\nopenai = ["127.0.0.1"]\n')
    with interven_autoguard.guarded(Settings(policy=str(policy))):
        response = requests.post(server.url("/v1/chat/completions"), data=b'{"model": "llama"}',
                                 headers=AUTH, timeout=10)
    assert response.status_code == 200
    assert server.last().header("authorization") == f"Bearer {OPENAI_KEY}"


def test_the_log_line_carries_the_hint_in_enforce_and_monitor_mode(server: RecordingServer,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    import requests

    caplog.set_level(logging.WARNING, logger="interven_autoguard")
    with interven_autoguard.guarded(Settings(mode="monitor")):
        requests.post(server.url("/v1/chat/completions"), data=b"{}", headers=AUTH, timeout=10)
    assert server.connections == 1  # monitor mode sends it, and says what enforce would do
    with interven_autoguard.guarded(Settings()), pytest.raises(interven_autoguard.RequestBlocked):
        requests.post(server.url("/v1/chat/completions"), data=b"{}", headers=AUTH, timeout=10)
    lines = [record.getMessage() for record in caplog.records
             if "CREDENTIAL_HOST_MISMATCH" in record.getMessage()]
    modes = [("mode=monitor" in line, "mode=enforce" in line) for line in lines]
    assert modes == [(True, False), (False, True)]
    for line in lines:
        assert '[bindings] openai = ["127.0.0.1"]' in line
        assert OPENAI_KEY not in line


def test_no_hint_where_a_binding_cannot_help() -> None:
    # An exfiltration host stays denied whatever the policy binds: no advice to try.
    exfil = _scan("https://webhook.site/abc")
    assert "CREDENTIAL_HOST_MISMATCH" in exfil.reason_codes or "EXFIL_DESTINATION" in exfil.reason_codes
    assert binding_hint(exfil.reason_codes, exfil.findings, "https://webhook.site/abc") == ""
    # PII, not a credential: nothing to bind.
    ssn = _scan("http://127.0.0.1:9/crm", {"Content-Type": "application/json"}, b'{"ssn": "478-23-9156"}')
    assert binding_hint(ssn.reason_codes, ssn.findings, "http://127.0.0.1:9/crm") == ""
    # The provider's own host: allowed, no hint.
    own = _scan("https://api.openai.com/v1/chat/completions")
    assert own.decision == "ALLOW" and binding_hint(own.reason_codes, own.findings,
                                                    "https://api.openai.com/v1/x") == ""


def test_hint_from_a_gateway_response_and_for_an_ipv6_host() -> None:
    codes = ["CREDENTIAL_HOST_MISMATCH", "SECRET_DETECTED"]
    findings = [{"type": "ANTHROPIC_API_KEY", "category": "credential_binding", "provider": "anthropic"},
                Finding(type="OPENAI_API_KEY", detector="x", category="credential_binding",
                        location="header:authorization", provider="openai"),
                {"type": "GENERIC", "category": "secret", "provider": "ignored"}]
    hint = binding_hint(codes, findings, "http://[::1]:8080/v1/messages")
    assert 'anthropic = ["::1"], openai = ["::1"]' in hint and "ignored" not in hint
    # A provider id that is not a plain word is not echoed (a gateway's response is input too).
    odd = [{"category": "credential_binding", "provider": "x\nInjected: yes"}]
    assert binding_hint(codes, odd, "http://127.0.0.1/") == ""
    assert binding_hint(codes, findings, "not a url") == ""


def test_the_hint_points_where_a_pip_user_can_read_it() -> None:
    """An installed package has no ``docs/``: the hint names the section and the repository's page,
    and a command the user does have; that section exists in that page."""
    import re
    from pathlib import Path

    hint = binding_hint(["CREDENTIAL_HOST_MISMATCH"],
                        [{"category": "credential_binding", "provider": "openai"}], "http://127.0.0.1:1/")
    ref = re.search(r'\(see "([^"]+)" in docs/(\S+) of the interven-autoguard source repository; '
                    r"check the edited file with: python -m interven_autoguard policy check FILE\)$", hint)
    assert ref is not None, hint
    page = Path(__file__).resolve().parents[2] / "docs" / ref.group(2)
    assert f"### `{ref.group(1)}`" in page.read_text()
    assert "#bindings" not in hint
