"""OAuth token requests carry the client's own credentials in the body: a refresh through
google-auth sends its GOCSPX- client secret and 1//0 refresh token to oauth2.googleapis.com on
every refresh. They face the binding rule, like an Authorization header: allowed to their
provider, a mismatch anywhere else; everything else in the body is scanned as always."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from secret_samples import SAMPLES

import interven_autoguard

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def _google() -> dict[str, str]:
    return {"client_secret": SAMPLES["google-oauth-client-secret"]()[1],
            "refresh_token": SAMPLES["google-oauth-refresh-token"]()[1]}


def _scan(url: str, params: dict[str, str], as_json: bool):
    body = json.dumps(params) if as_json else urlencode(params)
    return interven_autoguard.scan(method="POST", url=url, headers=JSON if as_json else FORM,
                                   body=body.encode())


@pytest.mark.parametrize("as_json", [False, True])
def test_a_token_refresh_to_its_provider_goes_out_unchanged(as_json: bool) -> None:
    params = {"grant_type": "refresh_token", "client_id": "123-abc.apps.googleusercontent.com", **_google()}
    response = _scan("https://oauth2.googleapis.com/token", params, as_json)
    assert response.decision == "ALLOW" and response.findings == []


@pytest.mark.parametrize("as_json", [False, True])
def test_the_same_credentials_to_another_host_are_a_binding_mismatch(as_json: bool) -> None:
    secrets = _google()
    response = _scan("https://collector.example.net/token", {"grant_type": "refresh_token", **secrets},
                     as_json)
    assert response.decision == "DENY" and "CREDENTIAL_HOST_MISMATCH" in response.reason_codes
    prefix = "body$." if as_json else "form:"
    assert {(f.location, f.category) for f in response.findings} == {
        (prefix + "client_secret", "credential_binding"), (prefix + "refresh_token", "credential_binding")}
    assert not any(value in repr(response.findings) for value in secrets.values())


@pytest.mark.parametrize("as_json", [False, True])
def test_without_a_grant_type_the_body_is_read_as_any_other(as_json: bool) -> None:
    response = _scan("https://oauth2.googleapis.com/token", _google(), as_json)
    assert response.decision == "SANITIZE"
    assert {f.type for f in response.findings} == {"GOOGLE_OAUTH_SECRET", "GOOGLE_OAUTH_TOKEN"}


def test_other_parameters_of_a_token_request_are_still_scanned() -> None:
    params = {"grant_type": "refresh_token", **_google(), "note": "customer SSN 478-23-9156"}
    response = _scan("https://oauth2.googleapis.com/token", params, as_json=False)
    assert response.decision == "SANITIZE"
    assert [(f.type, f.location) for f in response.findings] == [("US_SSN", "form:note")]
    assert b"client_secret=" + params["client_secret"].encode() in response.sanitized_body


def test_a_nested_credential_is_not_the_request_s_own() -> None:
    secrets = _google()
    body = json.dumps({"grant_type": "refresh_token", "extra": {"client_secret": secrets["client_secret"]}})
    response = interven_autoguard.scan(method="POST", url="https://oauth2.googleapis.com/token",
                                       headers=JSON, body=body.encode())
    assert [(f.type, f.location) for f in response.findings] == [
        ("GOOGLE_OAUTH_SECRET", "body$.extra.client_secret")]
