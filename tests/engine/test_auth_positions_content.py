"""A body auth position's credential faces the binding rule only; PII or a private key in it does not.

A WS-Security ``PasswordText``, Tavily's ``api_key`` field or an OAuth token request's ``password`` is
the call's own credential, so the secret detectors leave it alone (their tests: test_auth_positions_soap,
test_auth_positions_body). That made those fields a channel for anything: an SSN "as the password"
went to any host, while the same value in ``Authorization: Basic`` is found
(``engine.auth_content``: the same reading, ``credential_content``, now covers body auth positions).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
from secret_samples import SAMPLES
from test_auth_positions_soap import PW, envelope, scan

from interven_autoguard import Decision, LocalScanner

SSN = "478-23-9156"
CARD = "4539 1488 0343 6467"
EMAIL = "jane.doe@acme-corp.com"


def _pem() -> str:
    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" * 4  # built at run time
    return "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----"


SMUGGLED = [(SSN, "US_SSN"), (CARD, "CREDIT_CARD"), (EMAIL, "EMAIL"),
            ("Aadhaar 2345 6789 0124", "IN_AADHAAR")]


@pytest.mark.parametrize(("value", "kind"), [*SMUGGLED, (_pem(), "PRIVATE_KEY")])
def test_pii_or_a_key_as_a_soap_password_is_found_and_removed(value: str, kind: str) -> None:
    response = scan(envelope(value))
    assert response.decision == Decision.SANITIZE
    assert [f.type for f in response.findings] == [kind]
    sent = response.sanitized_body.decode() if isinstance(response.sanitized_body, bytes) \
        else response.sanitized_body
    assert f"[REDACTED:{kind}]" in sent and "acme_integration" in sent and "<OrderId>48213</OrderId>" in sent
    assert value.splitlines()[0] not in sent


@pytest.mark.parametrize(("value", "kind"), SMUGGLED)
def test_pii_in_a_documented_body_auth_field_is_found(value: str, kind: str) -> None:
    body = {"api_key": f"tvly-{value}", "query": "EU AI Act timeline"}
    response = LocalScanner().scan(method="POST", url="https://api.tavily.com/search",
                                   headers={"Content-Type": "application/json"}, body=body)
    assert response.decision == Decision.SANITIZE and [f.type for f in response.findings] == [kind]
    assert [f.location for f in response.findings] == ["body$.api_key"]
    sent = response.sanitized_body
    sent = json.loads(sent) if isinstance(sent, (str, bytes)) else sent
    assert sent["query"] == "EU AI Act timeline" and f"[REDACTED:{kind}]" in sent["api_key"]


def test_pii_as_an_oauth_password_grant_password_is_found() -> None:
    form = f"grant_type=password&username=acme_bot&password={SSN}&client_id=cli"
    response = LocalScanner().scan(method="POST", url="https://login.acme-corp.example/oauth/token",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"}, body=form)
    assert response.decision == Decision.SANITIZE and [f.type for f in response.findings] == ["US_SSN"]
    sent = dict(parse_qsl(response.sanitized_body if isinstance(response.sanitized_body, str)
                          else response.sanitized_body.decode()))
    assert sent["username"] == "acme_bot" and SSN not in sent["password"]


@pytest.mark.parametrize("password", [
    PW, "Summer2024!", "correct horse battery staple", "p@ssw0rd-4471-xk", "4471920385", "Zq8#" * 6,
])
def test_ordinary_credentials_in_body_auth_positions_stay_untouched(password: str) -> None:
    """Real passwords and keys: nothing to report, the call goes out as written."""
    response = scan(envelope(password))
    assert response.decision == Decision.ALLOW and response.findings == []
    key = SAMPLES["tavily-api-key"]()[1]
    tavily = LocalScanner().scan(method="POST", url="https://api.tavily.com/search",
                                 headers={"Content-Type": "application/json"},
                                 body={"api_key": key, "query": "q"})
    assert tavily.decision == Decision.ALLOW and tavily.findings == []
    form = f"grant_type=password&username=acme_bot&password={password}&client_id=cli"
    grant = LocalScanner().scan(method="POST", url="https://login.acme-corp.example/oauth/token",
                                headers={"Content-Type": "application/x-www-form-urlencoded"}, body=form)
    assert grant.decision == Decision.ALLOW and grant.findings == []
