"""WS-Security UsernameToken: a SOAP envelope's header PasswordText is the call's own credential.

Every SOAP client that authenticates with a UsernameToken and a plain password (zeep's
``UsernameToken(user, password)``, CXF, .NET WCF ``UserName`` credentials) sends
``Envelope/Header/Security/UsernameToken/Password`` with Type ``…#PasswordText``; redacting it broke
every such call. It is now a body auth position (``secrets.body_auth.wsse_password_spans``,
``scanner._soap_credentials``): it faces the binding rule only, as a documented body auth field does —
a provider's credential there must be bound to the host (else ``CREDENTIAL_HOST_MISMATCH``); one whose
format names no provider (a password) is the credential of the service it is sent to. Anywhere else
(the SOAP Body, a non-SOAP XML document, a JSON field or prompt, a non-XML request, a header that is
not the envelope's, a document the reader does not follow) it is content, and found as before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from secret_samples import SAMPLES

from interven_autoguard import Decision, LocalScanner, ReasonCode
from interven_autoguard.approvals.store import SQLiteApprovalStore
from interven_autoguard.engine import secrets
from interven_autoguard.model import ScanResponse

PW = "Xk9!vL2" + "qR7wZpQ3"
PAYLOAD_PW = "Qz7!mW4" + "tY8nKp2R"
SERVICE = "https://erp.acme-corp.example/ws/OrderService"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
DIGEST = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
XML = "text/xml; charset=utf-8"


def envelope(password: str = PW, *, soap: str = SOAP11, wsse: str = WSSE, type_: str | None = TEXT,
             payload: str = "<GetOrderStatus><OrderId>48213</OrderId></GetOrderStatus>",
             root: str = "Envelope", header: str = "Header") -> str:
    kind = "" if type_ is None else f' Type="{type_}"'
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<soapenv:{root} xmlns:soapenv="{soap}" xmlns:wsse="{wsse}">\n'
        f"  <soapenv:{header}>\n"
        '    <wsse:Security soapenv:mustUnderstand="1">\n'
        "      <wsse:UsernameToken><wsse:Username>acme_integration</wsse:Username>"
        f"<wsse:Password{kind}>{password}</wsse:Password></wsse:UsernameToken>\n"
        "    </wsse:Security>\n"
        f"  </soapenv:{header}>\n"
        f"  <soapenv:Body>{payload}</soapenv:Body>\n"
        f"</soapenv:{root}>\n"
    )


def scan(body: str | bytes, content_type: str = XML, url: str = SERVICE,
         scanner: LocalScanner | None = None) -> ScanResponse:
    return (scanner or LocalScanner()).scan(method="POST", url=url, headers={"Content-Type": content_type},
                                            body=body.encode() if isinstance(body, str) else body)


def sent(r: ScanResponse) -> str:
    body = r.sanitized_body
    return body.decode() if isinstance(body, bytes) else str(body)


# --------------------------------------------------------------------------- the call goes out

@pytest.mark.parametrize(("body", "content_type"), [
    (envelope(), XML),  # SOAP 1.1, as zeep sends it
    (envelope(soap=SOAP12), "application/soap+xml; charset=utf-8"),  # SOAP 1.2
    (envelope(), "application/xml"),
    (envelope(type_=None), XML),  # Type absent: PasswordText is the default
    (envelope(f"<![CDATA[{PW}]]>"), XML),
    (envelope(wsse="http://schemas.xmlsoap.org/ws/2002/07/secext", type_="wsse:PasswordText"), XML),
    # default namespaces instead of prefixes (.NET WCF)
    (f'<s:Envelope xmlns:s="{SOAP11}"><s:Header><Security xmlns="{WSSE}"><UsernameToken>'
     "<Username>u</Username>"
     f'<Password Type="{TEXT}">{PW}</Password></UsernameToken></Security></s:Header>'
     "<s:Body><Ping/></s:Body></s:Envelope>", XML),
    (envelope().encode("utf-16"), "text/xml; charset=utf-16"),
])
def test_a_soap_username_token_password_goes_to_its_service_untouched(body: str | bytes,
                                                                      content_type: str) -> None:
    r = scan(body, content_type)
    assert r.decision == Decision.ALLOW, [(f.type, f.location) for f in r.findings]
    assert r.findings == [] and r.sanitized_body is None


def test_the_spans_are_the_password_element_s_content() -> None:
    text = envelope()
    assert [text[s:e] for s, e in secrets.wsse_password_spans(text)] == [PW]
    cdata = envelope(f"<![CDATA[{PW}]]>")
    assert [cdata[s:e] for s, e in secrets.wsse_password_spans(cdata)] == [f"<![CDATA[{PW}]]>"]


# --------------------------------------------------------------------------- still found elsewhere

def test_a_password_in_the_soap_body_payload_is_redacted_and_the_header_s_is_not() -> None:
    body = envelope(payload=f"<ResetUser><UserId>48213</UserId><newPassword>{PAYLOAD_PW}</newPassword>"
                            "</ResetUser>")
    r = scan(body)
    assert r.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in r.findings] == [("PASSWORD", "body")]
    out = sent(r)
    assert PAYLOAD_PW not in out and PW in out
    assert out == body.replace(PAYLOAD_PW, "[REDACTED:PASSWORD]")


@pytest.mark.parametrize("body", [
    envelope(payload=f'<wsse:Security><wsse:UsernameToken><wsse:Password Type="{TEXT}">{PAYLOAD_PW}'
                     "</wsse:Password></wsse:UsernameToken></wsse:Security>"),  # a token in the Body
    envelope(PAYLOAD_PW, root="Config"),  # not a SOAP envelope
    envelope(PAYLOAD_PW, soap="urn:acme:not-soap"),  # an "Envelope" of another namespace
    envelope(PAYLOAD_PW, wsse="urn:acme:not-wsse"),  # a "Security" of another namespace
    envelope(PAYLOAD_PW, header="Body"),  # the token under the Body
    envelope(PAYLOAD_PW).replace("<wsse:UsernameToken>", "<wsse:UsernameToken><Extra>")
    .replace("</wsse:UsernameToken>", "</Extra></wsse:UsernameToken>"),  # one level deeper
    '<!DOCTYPE x [<!ENTITY e "x">]>' + envelope(PAYLOAD_PW).split("\n", 1)[1],  # a DOCTYPE
    envelope(PAYLOAD_PW) + "<second/>",  # a second root
    envelope(PAYLOAD_PW) + "trailing text",
    "note: " + envelope(PAYLOAD_PW),  # text before the root
    envelope(PAYLOAD_PW).replace("</soapenv:Header>", "</soapenv:Headr>"),  # mismatched tags
    envelope(PAYLOAD_PW).replace("</soapenv:Envelope>", ""),  # unclosed
    envelope(PAYLOAD_PW, type_="http://example.com/custom#Token"),  # another password type
    envelope(PAYLOAD_PW).replace('<wsse:Security soapenv:mustUnderstand="1">', "<wsse:Security a=>"),
    envelope(PAYLOAD_PW).replace("</soapenv:Body>", "<" * 3 + "</soapenv:Body>"),
    envelope(PAYLOAD_PW).replace("<soapenv:Body>", "<!-- unclosed <soapenv:Body>"),
    "<a>" + envelope(PAYLOAD_PW).split("\n", 1)[1] + "</a>",  # an envelope inside another document
    envelope(PAYLOAD_PW, payload="<x>" * 300 + "</x>" * 300),  # deeper than this reader follows
])
def test_a_password_text_outside_a_soap_header_s_username_token_is_still_redacted(body: str) -> None:
    assert all(PAYLOAD_PW not in body[s:e] for s, e in secrets.wsse_password_spans(body))
    r = scan(body)
    assert r.decision == Decision.SANITIZE, body
    assert {(f.type, f.location) for f in r.findings} == {("PASSWORD", "body")}
    assert PAYLOAD_PW not in sent(r)


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", None])
def test_a_soap_envelope_in_a_request_that_is_not_soap_is_content(content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    r = LocalScanner().scan(method="POST", url=SERVICE, headers=headers, body=envelope().encode())
    assert r.decision == Decision.SANITIZE
    assert [f.type for f in r.findings] == ["PASSWORD"]


def test_a_soap_envelope_pasted_into_a_json_field_or_a_prompt_is_content() -> None:
    prompt = {"model": "gpt-4o", "messages": [{"role": "user", "content": "why 500?\n" + envelope()}]}
    r = LocalScanner().scan(method="POST", url="https://api.example-llm.net/v1/chat/completions",
                            headers={"Content-Type": "application/json"}, body=json.dumps(prompt))
    assert r.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in r.findings] == [("PASSWORD", "body$.messages[0].content")]
    form = LocalScanner().scan(method="POST", url=SERVICE,
                               headers={"Content-Type": "application/x-www-form-urlencoded"},
                               body="xml=" + envelope().replace("&", "%26").replace("+", "%2B"))
    assert form.decision == Decision.SANITIZE


def test_a_digest_has_no_finding_either_way() -> None:
    assert scan(envelope("weYI3nXd8LjMNVksCKFV8t3rgHh3Rw==", type_=DIGEST)).decision == Decision.ALLOW


# --------------------------------------------------------------------------- the binding rule

def test_a_provider_credential_as_the_password_must_be_bound_to_the_host() -> None:
    token = SAMPLES["github-pat"]()[1]
    r = scan(envelope(token))
    assert r.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in r.reason_codes
    assert [(f.type, f.location, f.provider) for f in r.findings] == [("GITHUB_PAT", "body", "github")]
    body = envelope(token)
    finding = r.findings[0]
    assert body[finding.start : finding.end] == token  # located in the body, never shown
    assert token not in repr(r) and token not in repr(r.findings)


def test_a_host_header_fronting_another_host_judges_the_password_there_too() -> None:
    token = SAMPLES["github-pat"]()[1]
    url = "https://api.github.com/ws"
    assert scan(envelope(token), url=url).decision == Decision.ALLOW  # bound to the URL's host
    r = LocalScanner().scan(method="POST", url=url,
                            headers={"Content-Type": XML, "Host": "logs.attacker-analytics.net"},
                            body=envelope(token).encode())
    assert r.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in r.reason_codes


# --------------------------------------------------------------------------- never shown

def test_an_approver_sees_the_password_masked(tmp_path: Path) -> None:
    policy = ('[[rules]]\nid = "erp-needs-a-human"\ndecision = "REQUIRE_APPROVAL"\n'
              'hosts = ["erp.acme-corp.example"]\n')
    store = SQLiteApprovalStore(tmp_path / "approvals.db")
    r = scan(envelope(), scanner=LocalScanner(policy=policy, approvals=store))
    assert r.decision == Decision.REQUIRE_APPROVAL and r.approval_id and not r.findings
    record = store.get(r.approval_id)
    assert record is not None
    shown = json.dumps(record.request_display)
    assert PW not in shown and "[MASKED]</wsse:Password>" in shown and "acme_integration" in shown
    store.close()
