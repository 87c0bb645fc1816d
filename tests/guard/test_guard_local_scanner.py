"""The guard with the embedded engine (``install()`` with no scanner): real detections end to end."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from guard_clients import DRIVERS, Driver
from guardkit import RecordingServer

import interven_autoguard
from interven_autoguard import RequestBlocked
from interven_autoguard.config import Settings

SSN = "478-23-9156"


def _github_token() -> str:
    from interven_autoguard.engine.secrets import validators

    body = "Q4w8Er2tY6uI0oP3aS7dF1gH5jK9lZ"  # built at run time: no credential-shaped literal
    return "ghp_" + body + validators.crc32_base62(body)


def test_install_without_a_scanner_uses_the_embedded_engine(embedded) -> None:
    from interven_autoguard.engine.scanner import LocalScanner

    assert isinstance(embedded.scanner, LocalScanner) and embedded.scanner.name == "embedded"


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_ssn_in_a_json_body_is_redacted_before_it_leaves(driver: Driver, server: RecordingServer,
                                                         embedded) -> None:
    body = json.dumps({"customer": f"SSN {SSN}", "ok": True}).encode()
    assert driver.send("POST", server.url("/crm"), body, {"Content-Type": "application/json"}) == 200
    got = server.last()
    assert json.loads(got.body) == {"customer": "SSN [REDACTED:US_SSN]", "ok": True}
    assert SSN.encode() not in got.body
    assert int(got.header("content-length") or 0) == len(got.body)


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_cloud_metadata_is_blocked_without_a_connection_attempt(driver: Driver, embedded) -> None:
    # If the guard failed, the safety net would raise NonLoopbackConnect instead of RequestBlocked.
    with pytest.raises(driver.library_error()) as caught:
        driver.send("GET", "http://169.254.169.254/latest/meta-data/iam/security-credentials/")
    blocked = driver.blocked(caught.value)
    assert "SSRF_METADATA" in blocked.reason_codes and blocked.decision == "DENY"


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_github_token_sent_to_another_host_is_blocked(driver: Driver, server: RecordingServer,
                                                      embedded) -> None:
    token = _github_token()
    with pytest.raises(driver.library_error()) as caught:
        driver.send("GET", server.url("/upload"), None, {"Authorization": f"Bearer {token}"})
    blocked = driver.blocked(caught.value)
    assert "CREDENTIAL_HOST_MISMATCH" in blocked.reason_codes
    assert token not in str(blocked) and token not in repr(blocked.url)
    assert server.connections == 0


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_pii_smuggled_in_an_auth_header_is_redacted_and_a_login_is_not(driver: Driver,
                                                                       server: RecordingServer,
                                                                       embedded) -> None:
    """An auth header's credential is the request's own; an SSN in it is not (engine/auth_content.py)."""
    import base64

    login = "Basic " + base64.b64encode(b"jane.doe@acme-corp.com:Q4w8Er2tY6uI0oP3").decode()
    headers = {"X-Foo-Token": f"tok-{SSN}", "Authorization": login}
    assert driver.send("GET", server.url("/items"), None, headers) == 200
    got = server.last()
    assert got.header("x-foo-token") == "tok-[REDACTED:US_SSN]"
    assert got.header("authorization") == login


def test_urllib_surfaces_the_block_as_urlerror(embedded) -> None:
    with pytest.raises(urllib.error.URLError) as caught:
        urllib.request.urlopen("http://169.254.169.254/latest/meta-data/", timeout=5)
    assert isinstance(caught.value.reason, RequestBlocked)


def test_monitor_mode_with_the_engine_sends_unchanged(server: RecordingServer) -> None:
    import requests

    with interven_autoguard.guarded(Settings(mode="monitor")):
        body = json.dumps({"customer": f"SSN {SSN}"}).encode()
        requests.post(server.url("/crm"), data=body, timeout=10)
    assert server.last().body == body


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_ssn_in_query_and_header_is_redacted(driver: Driver, server: RecordingServer, embedded) -> None:
    status = driver.send("GET", server.url(f"/search?q=ssn+{SSN}&page=2"), None, {"X-Note": f"ssn {SSN}"})
    assert status == 200
    got = server.last()
    assert SSN not in got.target and "REDACTED" in got.target and got.target.endswith("&page=2")
    assert got.header("x-note") == "ssn [REDACTED:US_SSN]"


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_a_policy_binding_lets_a_key_reach_its_gateway_unchanged(driver: Driver, server: RecordingServer,
                                                                  tmp_path: Path) -> None:
    """An OpenAI key to an LLM gateway on this host: blocked by default, sent unchanged once the
    policy binds the gateway's host to OpenAI (``[bindings]``)."""
    key = "sk-proj-" + "Ab3dE_f6-H" * 7 + "Xy1z" + "T3BlbkFJ" + "Qr7sT_u9-W" * 7 + "Kl2m"  # built at run time
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    body = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}'
    interven_autoguard.install(Settings())
    try:
        with pytest.raises(driver.library_error()) as caught:
            driver.send("POST", server.url("/v1/chat/completions"), body, headers)
        assert "CREDENTIAL_HOST_MISMATCH" in driver.blocked(caught.value).reason_codes
        assert server.connections == 0
    finally:
        interven_autoguard.uninstall()
    policy = tmp_path / "policy.toml"
    policy.write_text('[bindings]\nopenai = ["127.0.0.1"]  # our LLM gateway\n')
    interven_autoguard.install(Settings(policy=str(policy)))
    try:
        assert driver.send("POST", server.url("/v1/chat/completions"), body, headers) == 200
    finally:
        interven_autoguard.uninstall()
    got = server.last()
    assert got.header("authorization") == f"Bearer {key}" and got.body == body


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_an_oauth_token_refresh_reaches_its_server_unchanged(driver: Driver, server: RecordingServer,
                                                            tmp_path: Path) -> None:
    """google-auth's refresh carries the client secret and refresh token in a form body: allowed to
    the provider's token endpoint (here bound to this host by the policy), byte for byte."""
    from urllib.parse import urlencode

    secret = "GOCSPX-" + "Ab3dE_f6-H" * 2 + "Xy1zQr7s"  # built at run time: no credential-shaped literal
    refresh = "1//0" + "gLk2Mn8Pq_Rs-Tu4Vw6Xy" * 3
    body = urlencode({"grant_type": "refresh_token", "client_id": "1-a.apps.googleusercontent.com",
                      "client_secret": secret, "refresh_token": refresh}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    policy = tmp_path / "policy.toml"
    policy.write_text('[bindings]\ngoogle = ["127.0.0.1"]  # stands for oauth2.googleapis.com\n')
    interven_autoguard.install(Settings(policy=str(policy)))
    try:
        assert driver.send("POST", server.url("/token"), body, headers) == 200
    finally:
        interven_autoguard.uninstall()
    assert server.last().body == body


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_a_host_header_fronting_an_exfiltration_host_is_blocked(driver: Driver, server: RecordingServer,
                                                               embedded) -> None:
    """The address is this machine's, the Host header a request catcher's: a proxy or CDN in
    between would deliver it there. Blocked before a connection; the same call naming this host in
    its Host header goes out."""
    body = b'{"report": "quarterly numbers"}'
    with pytest.raises(driver.library_error()) as caught:
        driver.send("POST", server.url("/collect"), body,
                    {"Host": "abc.webhook.site", "Content-Type": "application/json"})
    assert "EXFIL_DESTINATION" in driver.blocked(caught.value).reason_codes
    assert server.connections == 0
    own = f"127.0.0.1:{server.port}"
    assert driver.send("POST", server.url("/collect"), body,
                       {"Host": own, "Content-Type": "application/json"}) == 200
    assert server.last().header("host") == own and server.last().body == body
