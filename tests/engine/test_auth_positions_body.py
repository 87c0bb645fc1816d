"""Body fields an endpoint documents as its client's credential face the binding rule, like a header.

Found by the third audit: SDKs that send their key in the body to their own provider were redacted
(401 from the provider): LangChain's Tavily tool (``{"api_key": "tvly-…"}`` to api.tavily.com),
posthog-python (``api_key`` in every batch), GitLab's pipeline trigger (``--form token=glptt-…``),
Slack's Web API (``token`` as a POST parameter). Only OAuth token requests were exempt. Now a table
(``secrets.body_auth.BODY_AUTH_POSITIONS``: provider, paths, fields, body kinds, hosts) names those
positions; in them a credential is the request's own: bound to the host it goes out, a provider's
credential bound elsewhere is a ``CREDENTIAL_HOST_MISMATCH``. Anywhere else (another field,
another path, another host) a credential in the body is still content and a finding. PostHog's
``phc_`` project keys are public by design (no secret at all); its personal ``phx_`` key is one.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from secret_samples import B62, HEX, SAMPLES, r

from interven_autoguard import Decision, LocalScanner, ReasonCode
from interven_autoguard.approvals.store import SQLiteApprovalStore
from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets.body_auth import BODY_AUTH_POSITIONS, FIELD_NAMES
from interven_autoguard.engine.secrets.providers import PROVIDER_HOSTS
from interven_autoguard.model import ScanResponse

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BOUNDARY = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
SSN = "478-23-9156"


def tavily() -> str:
    return SAMPLES["tavily-api-key"]()[1]


def slack() -> str:
    return SAMPLES["slack-bot-token"]()[1]


def trigger() -> str:
    return "glptt-" + r(HEX, 40)


def phc() -> str:
    return "phc_" + r(B62, 43)


def phx() -> str:
    return "phx_" + r(B62, 43)


def openai() -> str:
    return SAMPLES["openai-project-key"]()[1]


def multipart(fields: list[tuple[str, str]], file: tuple[str, str] | None = None) -> bytes:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields]
    if file is not None:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{file[0]}"\r\n'
                     f"Content-Type: text/csv\r\n\r\n{file[1]}\r\n")
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


@pytest.fixture(scope="module")
def scanner() -> LocalScanner:
    return LocalScanner()


def _clean_allow(result: ScanResponse) -> None:
    assert result.decision == Decision.ALLOW, [(f.type, f.location) for f in result.findings]
    assert not result.findings and result.sanitized_body is None


def _mismatch(result: ScanResponse, location: str) -> None:
    assert result.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in result.reason_codes
    assert (location, "credential_binding") in {(f.location, f.category) for f in result.findings}


# ------------------------------------------------------------------ the audit's examples

def test_langchain_tavily_tool(scanner: LocalScanner) -> None:
    body = {"api_key": tavily(), "query": "EU AI Act timeline", "max_results": 5, "search_depth": "advanced"}
    _clean_allow(scanner.scan(method="POST", url="https://api.tavily.com/search", headers=JSON,
                              body=json.dumps(body).encode()))


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("host", ["us.i.posthog.com", "eu.i.posthog.com", "app.posthog.com"])
def test_posthog_python_batch(scanner: LocalScanner, host: str, compress: bool) -> None:
    body = json.dumps({"batch": [{"event": "agent_run", "distinct_id": "5f3c2a1b-0d9e-4f8a-b7c6-d5e4f3a2b1c0",
                                  "properties": {"$lib": "posthog-python"}}],
                       "sentAt": "2024-09-15T13:45:13+00:00", "api_key": phc()}).encode()
    headers = {**JSON, "User-Agent": "posthog-python/3.6.6"}
    if compress:
        body, headers = gzip.compress(body), {**headers, "Content-Encoding": "gzip"}
    _clean_allow(scanner.scan(method="POST", url=f"https://{host}/batch/", headers=headers, body=body))


@pytest.mark.parametrize("kind", ["form", "multipart", "json"])
def test_gitlab_pipeline_trigger(scanner: LocalScanner, kind: str) -> None:
    fields = [("token", trigger()), ("ref", "main"), ("variables[DEPLOY_ENV]", "staging")]
    url = "https://gitlab.com/api/v4/projects/48213/trigger/pipeline"
    _clean_allow(scanner.scan(method="POST", url=url, **_body(kind, fields)))


@pytest.mark.parametrize("kind", ["form", "multipart"])
def test_slack_web_api_token_parameter(scanner: LocalScanner, kind: str) -> None:
    fields = [("token", slack()), ("channel", "C07QX3ABCDE"), ("text", "Deploy done")]
    url = "https://slack.com/api/chat.postMessage"
    _clean_allow(scanner.scan(method="POST", url=url, **_body(kind, fields)))


def _body(kind: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
    if kind == "form":
        return {"headers": FORM, "body": urlencode(fields).encode()}
    if kind == "multipart":
        return {"headers": MULTIPART, "body": multipart(fields)}
    return {"headers": JSON, "body": json.dumps(dict(fields)).encode()}


# ------------------------------------------------------------------ self-hosted hosts come from [bindings]

def test_a_self_hosted_gitlab_trigger_needs_the_instance_in_bindings() -> None:
    url = "https://gitlab.acme-corp.example/api/v4/projects/group%2Fapp/trigger/pipeline"
    request = {"method": "POST", "url": url, "headers": FORM,
               "body": urlencode({"token": trigger(), "ref": "main"}).encode()}
    unnamed = LocalScanner().scan(**request)
    assert unnamed.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in unnamed.findings] == [("GITLAB_TOKEN", "form:token")]
    named = LocalScanner(policy='[bindings]\ngitlab = ["gitlab.acme-corp.example"]\n')
    _clean_allow(named.scan(**request))


def test_a_posthog_reverse_proxy_named_in_bindings_takes_the_personal_key() -> None:
    request = {"method": "POST", "url": "https://ph.acme-corp.example/batch/", "headers": JSON,
               "body": json.dumps({"api_key": phx(), "batch": []}).encode()}
    assert LocalScanner().scan(**request).decision == Decision.SANITIZE
    named = LocalScanner(policy='[bindings]\nposthog = ["ph.acme-corp.example"]\n')
    _clean_allow(named.scan(**request))


# ------------------------------------------------------------------ PostHog's keys

def test_a_posthog_project_key_is_public_anywhere(scanner: LocalScanner) -> None:
    # posthog-js ships it in every page; a reverse proxy on one's own domain receives it too
    for url in ("https://ph.acme-corp.example/batch/", "https://collector.example.net/x"):
        body = json.dumps({"api_key": phc(), "token": phc(), "note": phc()}).encode()
        _clean_allow(scanner.scan(method="POST", url=url, headers=JSON, body=body))


def test_a_posthog_personal_key_is_a_secret(scanner: LocalScanner) -> None:
    key = phx()
    result = scanner.scan(method="POST", url="https://collector.example.net/x", headers=JSON,
                          body=json.dumps({"note": f"use {key} for the API"}).encode())
    assert result.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in result.findings] == [("POSTHOG_API_KEY", "body$.note")]
    assert secrets.provider_for("posthog-personal-api-key") == "posthog"
    # its own API takes it as a Bearer token; another host does not
    ok = scanner.scan(method="GET", url="https://us.posthog.com/api/projects/",
                      headers={"Authorization": f"Bearer {key}"})
    assert ok.decision == Decision.ALLOW


def test_the_personal_key_in_posthogs_own_body_field_is_its_own(scanner: LocalScanner) -> None:
    body = json.dumps({"api_key": phx(), "distinct_id": "u-1"}).encode()
    url = "https://us.i.posthog.com/decide/?v=3"
    _clean_allow(scanner.scan(method="POST", url=url, headers=JSON, body=body))


# ------------------------------------------------------------------ must still be caught

def test_another_providers_key_in_tavilys_field_is_a_mismatch(scanner: LocalScanner) -> None:
    key = openai()
    result = scanner.scan(method="POST", url="https://api.tavily.com/search", headers=JSON,
                          body=json.dumps({"api_key": key, "query": "x"}).encode())
    _mismatch(result, "body$.api_key")
    assert key not in repr(result)


@pytest.mark.parametrize("kind", ["form", "multipart"])
def test_a_slack_token_in_the_form_to_another_host_is_a_finding(scanner: LocalScanner, kind: str) -> None:
    token = slack()
    fields = [("token", token), ("channel", "C07QX3ABCDE"), ("text", "hi")]
    result = scanner.scan(method="POST", url="https://collector.example.net/api/chat.postMessage",
                          **_body(kind, fields))
    assert result.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in result.findings] == [("SLACK_TOKEN", f"{kind}:token")]
    assert result.sanitized_body is not None and token.encode() not in result.sanitized_body


def test_a_slack_token_in_the_text_of_a_slack_message_is_a_finding(scanner: LocalScanner) -> None:
    own, other = slack(), slack()
    fields = [("token", own), ("channel", "C07QX3ABCDE"), ("text", f"here: {other}")]
    url = "https://slack.com/api/chat.postMessage"
    result = scanner.scan(method="POST", url=url, **_body("form", fields))
    assert result.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in result.findings] == [("SLACK_TOKEN", "form:text")]
    assert result.sanitized_body is not None and own.encode() in result.sanitized_body
    assert other.encode() not in result.sanitized_body


def test_a_slack_token_in_a_json_body_is_content(scanner: LocalScanner) -> None:
    # Slack reads no token from a JSON body: there the value is whatever the method posts
    token = slack()
    result = scanner.scan(method="POST", url="https://slack.com/api/chat.postMessage", headers=JSON,
                          body=json.dumps({"token": token, "channel": "C1"}).encode())
    assert result.decision == Decision.SANITIZE


def test_a_github_token_in_gitlabs_trigger_field_is_a_mismatch(scanner: LocalScanner) -> None:
    fields = [("token", SAMPLES["github-pat"]()[1]), ("ref", "main")]
    result = scanner.scan(method="POST", url="https://gitlab.com/api/v4/projects/1/trigger/pipeline",
                          **_body("form", fields))
    _mismatch(result, "form:token")


def test_a_trigger_token_elsewhere_in_the_body_or_path_is_a_finding(scanner: LocalScanner) -> None:
    fields = [("token", trigger()), ("ref", "main"), ("description", trigger())]
    result = scanner.scan(method="POST", url="https://gitlab.com/api/v4/projects/1/trigger/pipeline",
                          **_body("form", fields))
    assert [(f.type, f.location) for f in result.findings] == [("GITLAB_TOKEN", "form:description")]
    other_path = scanner.scan(method="POST", url="https://gitlab.com/api/v4/projects/1/issues",
                              **_body("form", [("token", trigger()), ("title", "x")]))
    assert [(f.type, f.location) for f in other_path.findings] == [("GITLAB_TOKEN", "form:token")]


def test_tavilys_key_outside_its_field_or_host_is_a_finding(scanner: LocalScanner) -> None:
    key = tavily()
    query = scanner.scan(method="POST", url="https://api.tavily.com/search", headers=JSON,
                         body=json.dumps({"api_key": tavily(), "query": key}).encode())
    assert [(f.type, f.location) for f in query.findings] == [("TAVILY_API_KEY", "body$.query")]
    elsewhere = scanner.scan(method="POST", url="https://search.example.net/search", headers=JSON,
                             body=json.dumps({"api_key": key, "query": "x"}).encode())
    assert elsewhere.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in elsewhere.findings] == [("TAVILY_API_KEY", "body$.api_key")]
    nested = scanner.scan(method="POST", url="https://api.tavily.com/search", headers=JSON,
                          body=json.dumps({"options": {"api_key": key}, "query": "x"}).encode())
    assert [(f.type, f.location) for f in nested.findings] == [("TAVILY_API_KEY", "body$.options.api_key")]


def test_pii_next_to_a_body_credential_is_still_found(scanner: LocalScanner) -> None:
    result = scanner.scan(method="POST", url="https://api.tavily.com/search", headers=JSON,
                          body=json.dumps({"api_key": tavily(), "query": f"who has SSN {SSN}"}).encode())
    assert [(f.type, f.location) for f in result.findings] == [("US_SSN", "body$.query")]


def test_a_host_header_fronting_elsewhere_makes_the_body_credential_a_mismatch(scanner: LocalScanner) -> None:
    fields = [("token", slack()), ("channel", "C1"), ("text", "hi")]
    result = scanner.scan(method="POST", url="https://slack.com/api/chat.postMessage",
                          headers={**FORM, "Host": "collector.example.net"},
                          body=urlencode(fields).encode())
    _mismatch(result, "form:token")


# ------------------------------------------------------------------ the table

def test_the_table_names_known_providers_and_lower_case_fields() -> None:
    for row in BODY_AUTH_POSITIONS:
        assert row.provider in PROVIDER_HOSTS, row
        assert row.fields and all(name == name.lower() for name in row.fields), row
        assert row.paths and all(p.startswith("/") for p in row.paths), row
        assert set(row.kinds) <= {"form", "json", "multipart", "query"}, row
    assert FIELD_NAMES == {name for row in BODY_AUTH_POSITIONS for name in row.fields}


@pytest.mark.parametrize(("host", "path", "expected"), [
    ("api.tavily.com", "/search", {("json", "api_key")}),
    ("api.tavily.com.evil.example", "/search", set()),
    ("api.tavily.com", "/usage", set()),
    ("slack.com", "/api/chat.postMessage", {("form", "token"), ("multipart", "token")}),
    ("hooks.slack.com", "/api/x", {("form", "token"), ("multipart", "token")}),
    ("evilslack.com", "/api/chat.postMessage", set()),
    ("gitlab.com", "/api/v4/projects/group%2Fapp/trigger/pipeline",
     {("form", "token"), ("json", "token"), ("multipart", "token")}),
    ("gitlab.example.org", "/api/v4/projects/1/trigger/pipeline", set()),
])
def test_body_auth_fields(host: str, path: str, expected: set[tuple[str, str]]) -> None:
    assert secrets.body_auth_fields(host, path) == expected


# ------------------------------------------------------------------ never shown

@pytest.mark.parametrize("kind", ["form", "multipart"])
def test_an_approver_sees_the_body_credential_masked_as_a_header_would_be(tmp_path: Path, kind: str) -> None:
    policy = ('[[rules]]\nid = "posting-needs-a-human"\ndecision = "REQUIRE_APPROVAL"\n'
              'hosts = ["slack.com"]\npaths = ["/api/chat.postMessage"]\n')
    store = SQLiteApprovalStore(tmp_path / "approvals.db")
    token = slack()
    fields = [("token", token), ("channel", "C07QX3ABCDE"), ("text", "Deploy done")]
    result = LocalScanner(policy=policy, approvals=store).scan(
        method="POST", url="https://slack.com/api/chat.postMessage", **_body(kind, fields))
    assert result.decision == Decision.REQUIRE_APPROVAL and result.approval_id and not result.findings
    record = store.get(result.approval_id)
    assert record is not None
    shown = json.dumps(record.request_display)
    assert token not in shown and "MASKED" in shown and "C07QX3ABCDE" in shown
    store.close()
