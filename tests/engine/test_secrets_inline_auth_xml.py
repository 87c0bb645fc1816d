"""Credentials written without ``key=value``: HTTP auth headers written out in a text (a curl
command, a requests/fetch snippet pasted into a prompt) and XML (element text, name/value
attributes). Read by ``rules.INLINE_RULES`` and reported under the generic kinds; the request's own
auth headers still face only the binding rule."""

from __future__ import annotations

import base64
import json
import random
import re
import string
import sys
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import interven_autoguard as autoguard
from interven_autoguard.engine import secrets, triage

_rnd = random.Random(4242)
B62 = string.ascii_letters + string.digits


def _token(n: int = 40) -> str:
    while True:
        s = "".join(_rnd.choice(B62) for _ in range(n))
        if any(c.isdigit() for c in s) and any(c.isupper() for c in s) and any(c.islower() for c in s):
            return s


TOK = _token()
PW = "Xk9!vL2" + "qR7wZpQ3"
BASIC = base64.b64encode(f"admin:{PW}".encode()).decode()
LLM = "https://api.openai.com/v1/chat/completions"


def _prompt(text: str) -> dict[str, object]:
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}


def _scan_prompt(text: str) -> autoguard.ScanResult:
    headers = {"Authorization": "Bearer " + TOK}
    return autoguard.scan(method="POST", url=LLM, headers=headers, body=_prompt(text))


def _found(text: str) -> list[tuple[str, str]]:
    hits = secrets.detect(text)
    assert not hits or secrets.may_match(text)
    return [(h.detector, text[h.start : h.end]) for h in hits]


# --------------------------------------------------------------------------- auth headers in text

AUTH_POSITIVES = [
    (f"why 401? curl -H 'Authorization: Bearer {TOK}' https://api.acme.io/v1/orders", TOK, "generic-token"),
    (f'requests.get(url, headers={{"Authorization": "Bearer {TOK}"}})', TOK, "generic-token"),
    (f"fetch(url, {{headers: {{Authorization: `Bearer {TOK}`}}}})", TOK, "generic-token"),
    (f"xhr.setRequestHeader('Authorization', 'bearer {TOK}');", TOK, "generic-token"),
    (f"GET /v1/me HTTP/1.1\r\nHost: api.acme.io\r\nAuthorization: Bearer {TOK}\r\n", TOK, "generic-token"),
    (f"Authorization: Basic {BASIC}", BASIC, "generic-password"),
    ("curl -H \"Authorization: Token dfdd5d401d4bda012f4d028c54949104a976a3cb\" https://x", None,
     "generic-token"),
    (f"curl -u admin:{PW} https://jenkins.acme-corp.com/api/json", PW, "generic-password"),
    (f"curl -sS https://jenkins.acme-corp.com/api/json \\\n  --user 'deploy:{PW}'", PW, "generic-password"),
    (f'curl --user="ci:{PW}" https://x', PW, "generic-password"),
]


@pytest.mark.parametrize(("text", "value", "detector"), AUTH_POSITIVES)
def test_auth_header_written_in_a_prompt_is_found(text: str, value: str | None, detector: str) -> None:
    found = _found(text)
    assert [d for d, _ in found] == [detector], found
    if value is not None:
        assert found[0][1] == value
    r = _scan_prompt(text)
    assert r.decision == "SANITIZE", (r.decision, r.findings)
    sanitized = json.dumps(r.sanitized_body)
    assert found[0][1] not in sanitized
    assert TOK not in "".join(str(f) for f in r.findings)  # findings never carry values


def test_basic_without_password_reports_the_user_part() -> None:
    blob = base64.b64encode(f"{TOK}:".encode()).decode()
    assert _found(f"Authorization: Basic {blob}") == [("generic-token", blob)]


AUTH_NEGATIVES = [
    "curl -H 'Authorization: Bearer $TOKEN' https://api.example.com",
    'curl -H "Authorization: Bearer ${OPENAI_API_KEY}" https://api.openai.com/v1/models',
    "Authorization: Bearer <your-token>",
    "Authorization: Bearer YOUR_API_KEY",
    "Authorization: Bearer YOUR_TOKEN_HERE",
    "Authorization: Bearer xxxxxxxxxxxxxxxxxxxxxxxx",
    "Authorization: Bearer ${{ secrets.GITHUB_TOKEN }}",
    "Authorization: Bearer {{token}}",
    'headers = {"Authorization": "Bearer " + token}',
    "headers = {'Authorization': f'Bearer {api_key}'}",
    "Authorization: Bearer access_token",
    "Authorization: Bearer MY_API_KEY",
    "Authorization: Bearer os.environ['TOKEN']",
    "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",  # RFC 7617's Aladdin:open sesame
    "Authorization: Basic dXNlcjpwYXNzd29yZA==",  # user:password
    "Authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW",  # RFC 6749's client s6BhdRkqt3
    "Authorization: Bearer mF_9.B5f-4.1JqM",  # RFC 6750's example
    "Authorization: Basic $(echo -n user:pass | base64)",
    "Authorization: Token token-based-auth",
    "Basic Authentication sends the password in every request.",
    "The bearer of this letter is authorised; bearer tokens are short-lived.",
    "Use Bearer authentication with a token from the dashboard.",
    "curl -u $USER:$PASS https://x",
    "curl -u elastic:changeme http://localhost:9200",
    "curl -u admin:admin http://localhost:8080",
    "curl -u user:password https://httpbin.org/basic-auth/user/password",
    "docker run -u 1000:1000 -v $(pwd):/src image",
    "sort -u a:b",
]


@pytest.mark.parametrize("text", AUTH_NEGATIVES)
def test_auth_placeholders_and_prose_stay_clean(text: str) -> None:
    assert _found(text) == []
    assert _scan_prompt(text).decision == "ALLOW"


def test_a_jwt_after_bearer_is_the_jwt_rules() -> None:
    example_jwt = (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0Ijo"
        "xNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    )
    assert {d for d, _ in _found("Authorization: Bearer " + example_jwt)} <= {"jwt"}


@pytest.mark.parametrize("header", [f"Bearer {TOK}", f"Basic {BASIC}", f"Token {TOK}"])
def test_the_requests_own_auth_header_is_unchanged(header: str) -> None:
    """The request's own Authorization header faces the binding rule only: a credential of no
    provider is the destination's own (docs/secrets.md)."""
    r = autoguard.scan(method="GET", url="https://api.acme.io/v1/orders", headers={"Authorization": header})
    assert r.decision == "ALLOW" and r.findings == []


def test_a_body_field_named_authorization_keeps_its_key_context_reading() -> None:
    hits = secrets.detect(f"Bearer {TOK}", key="Authorization")
    assert [h.detector for h in hits] == ["generic-token"]


# --------------------------------------------------------------------------- XML

SOAP = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
    "<soapenv:Header><wsse:Security><wsse:UsernameToken><wsse:Username>acme_integration</wsse:Username>"
    '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0'
    '#PasswordText">{pw}</wsse:Password></wsse:UsernameToken></wsse:Security></soapenv:Header>'
    "<soapenv:Body><GetOrderStatus><OrderId>48213</OrderId></GetOrderStatus></soapenv:Body></soapenv:Envelope>"
)

XML_POSITIVES = [
    (SOAP.format(pw=PW), PW, "generic-password"),
    ("<settings><servers><server><id>nexus</id><username>deploy</username>"
     f"<password>{PW}</password></server></servers></settings>", PW, "generic-password"),
    (f"<config><apiKey>{TOK}</apiKey></config>", TOK, "generic-api-key"),
    (f"<auth>\n  <token>{TOK}</token>\n</auth>", TOK, "generic-token"),
    (f"<client_secret>{TOK}</client_secret>", TOK, "generic-secret"),
    (f'<appSettings>\n  <add key="ApiKey" value="{TOK}" />\n</appSettings>', TOK, "generic-api-key"),
    (f'<bean id="ds"><property name="password" value="{PW}"/></bean>', PW, "generic-password"),
    (f"<property name='db.password' value='{PW}'/>", PW, "generic-password"),
    (f'<resources><string name="google_api_key">{TOK}</string></resources>', TOK, "generic-api-key"),
    (f'<entry key="mail.smtp.password">{PW}</entry>', PW, "generic-password"),
    (f'<setting name="ApiKey" serializeAs="String">\n  <value>{TOK}</value>\n</setting>', TOK,
     "generic-api-key"),
    (f"<dict>\n  <key>Password</key>\n  <string>{PW}</string>\n</dict>", PW, "generic-password"),
    (f"<password><![CDATA[{PW}]]></password>", PW, "generic-password"),
]


@pytest.mark.parametrize(("text", "value", "detector"), XML_POSITIVES)
def test_credential_in_xml_pasted_into_a_prompt_is_found(text: str, value: str, detector: str) -> None:
    assert _found(text) == [(detector, value)]
    r = _scan_prompt("why does this fail?\n" + text)
    assert r.decision == "SANITIZE", (r.decision, r.findings)
    assert value not in json.dumps(r.sanitized_body)


@pytest.mark.parametrize("content_type", ["text/xml; charset=utf-8", "application/soap+xml",
                                          "application/xml"])
def test_a_password_in_a_soap_body_payload_is_redacted_in_place(content_type: str) -> None:
    """The header's PasswordText is the call's own credential (``test_auth_positions_soap``); a
    password in the payload is content, redacted in place with the envelope intact."""
    new_pw = "Qz7!mW4" + "tY8nKp2R"
    body = SOAP.format(pw=PW).replace(
        "<GetOrderStatus><OrderId>48213</OrderId></GetOrderStatus>",
        f"<ResetUser><UserId>48213</UserId><newPassword>{new_pw}</newPassword></ResetUser>")
    r = autoguard.scan(method="POST", url="https://soap-debug.attacker-analytics.net/ws",
                       headers={"Content-Type": content_type}, body=body.encode())
    assert r.decision == "SANITIZE"
    assert [(f.type, f.location) for f in r.findings] == [("PASSWORD", "body")]
    out = r.sanitized_body.decode() if isinstance(r.sanitized_body, bytes) else r.sanitized_body
    assert new_pw not in out and PW in out
    assert out.replace(out[out.index("<newPassword>") + 13 : out.index("</newPassword>")], new_pw) == body


XML_NEGATIVES = [
    "<password>${DB_PASSWORD}</password>",
    "<password>changeme</password>",
    "<password>{{ vault_db_password }}</password>",
    "<password>********</password>",
    "<apiKey>YOUR_API_KEY</apiKey>",
    "<token>the token you got from the dashboard</token>",
    "<Token>{token}</Token>",
    "<Password>{password}</Password>",
    "<secret>secret</secret>",
    "<password/>",
    "<maxTokens>4096</maxTokens>",
    "<tokenType>Bearer</tokenType>",
    "<passwordPolicy>MinLength12Upper1Digit1</passwordPolicy>",
    "<author>Jane Q. Public</author><key_points>Rotate2025Quarterly</key_points>",
    '<xs:element name="password" type="xs:string" minOccurs="0"/>',
    '<add key="ApiKeyHeader" value="X-Api-Key" />',
    '<property name="password" value="${jdbc.password}"/>',
    '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0'
    '#PasswordDigest">weYI3nXd8LjMNVksCKFV8t3rgHh3Rw==</wsse:Password>',
    '<wsse:BinarySecurityToken ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-'
    'profile-1.0#X509v3" EncodingType="...#Base64Binary">MIIC2jCCAkMCAg38MA0GCSqGSIb3DQEBBQUAMIGbMQsw'
    "</wsse:BinarySecurityToken>",
    f'<input type="hidden" name="authenticity_token" value="{TOK}">',
    f'<meta name="csrf-token" content="{TOK}">',
    "<key>Password</key><string>$(PASSWORD)</string>",
]


@pytest.mark.parametrize("text", XML_NEGATIVES)
def test_xml_placeholders_schemas_and_prose_stay_clean(text: str) -> None:
    assert _found(text) == []
    assert _scan_prompt(text).decision == "ALLOW"


# --------------------------------------------------------------------------- cost and soundness

XMLISH = st.one_of(
    st.sampled_from(["<", ">", "</", "/>", "<password>", "</password>", "<wsse:Password ", "<apiKey>",
                     "<token>", " name=\"", " key='", " value=\"", "\"", "'", "=", "<key>", "</key>",
                     "<string>", "</string>", "<value>", "<![CDATA[", "]]>", "Bearer ", "Basic ",
                     "Authorization: ", "Token ", "curl ", " -u ", " --user=", ":", "\\\n", " ", "\n",
                     "PasswordDigest", "x509", "<input ", "api_key", "secret", "${X}"]),
    st.text(alphabet=B62 + "+/=!._-", min_size=1, max_size=30),
    st.text(max_size=8),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(XMLISH, max_size=40).map("".join))
@example(f"<a name='password' value='{PW}'/>")
@example(f"<key>pw</key><string>{PW}</string>")
def test_xmlish_text_never_crashes_and_stays_behind_the_triages(text: str) -> None:
    hits = secrets.detect(text)
    for h in hits:
        assert 0 <= h.start < h.end <= len(text)
    if hits:
        assert secrets.may_match(text)
    if text.isascii() and triage.ascii_is_clean(text.encode("ascii")):
        assert hits == []


@pytest.mark.parametrize("unit", [
    "<password ",  # a start tag that never ends
    "<a name='password' ",
    "<password>",
    "<password>" + "x" * 30,
    "<key>password</key>",
    "Bearer ",
    "Authorization: Token ",
    "curl " + "a" * 40 + " ",
    "curl -u a:",
    "Basic QWxh",
])
def test_pathological_inputs_cost_linear_time(unit: str) -> None:
    """A growth check in counted work, not seconds (a preempted CI machine cannot fail it): 4x the
    text may cost at most ~4x the work, where a quadratic reading costs ~16x."""
    from interven_autoguard.engine.secrets import _engine

    secrets.detect(unit * 200)  # tables compiled, caches warm
    _engine.wait_for_fast_prefilter()  # no back-end swap between the counts (Hyperscan, if asked for)
    small, large = _detect_work(unit * 2000), _detect_work(unit * 8000)
    assert large <= 4.5 * small, (unit, small, large)
    assert large <= 16 * len(unit * 8000), (unit, large)  # a few units per character today


def _unbounded_repeats(pattern: str) -> list[str]:
    """The repeats of ``pattern`` with no upper bound (``*``, ``+``, ``{n,}``), as parsed by ``re``."""
    try:
        from re import _constants as sre  # type: ignore[attr-defined]
        from re import _parser as parser
    except ImportError:  # Python 3.10
        import sre_constants as sre  # type: ignore[no-redef]
        import sre_parse as parser  # type: ignore[no-redef]
    found: list[str] = []

    def walk(items: Any) -> None:
        for op, av in items:
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
                if av[1] == sre.MAXREPEAT:
                    found.append(str(av[2]))
                walk(av[2])
            elif op == sre.SUBPATTERN:
                walk(av[-1])
            elif op == sre.BRANCH:
                for branch in av[1]:
                    walk(branch)
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                walk(av[1])
            elif op == getattr(sre, "ATOMIC_GROUP", None):
                walk(av)

    walk(parser.parse(pattern, re.ASCII))
    return found


def test_inline_patterns_bound_what_one_regex_call_reads() -> None:
    """What ``_detect_work`` cannot count: how far one regex call reads. Every repeat of the inline
    patterns has an upper bound, so each attempt at a located position reads a bounded stretch and
    the work is the attempts' count; the one exception is a run of one character (the "=" padding
    after a token), read once as far as it goes."""
    from interven_autoguard.engine.secrets import _engine
    from interven_autoguard.engine.secrets.rules import INLINE_RULES

    c = _engine.compiled()
    patterns = [c.regexes[c.rules.index(rule)].pattern for rule in INLINE_RULES]
    patterns += [p.pattern for p in (_engine._XML_TEXT, _engine._PLIST_STRING, _engine._XML_ATTR)]
    one_character = re.compile(r"\[\(LITERAL, \d+\)\]")
    for pattern in patterns:
        assert [r for r in _unbounded_repeats(pattern) if not one_character.fullmatch(r)] == [], pattern


def _detect_work(text: str) -> int:
    """The work of ``secrets.detect(text)``, counted: one unit per Python and per C function call,
    and a C call on a string (``text.lower()``, ``bytes.translate``, ``str.encode``) also one unit
    per character of that string, what it costs in proportion. No clock: the count moves only with
    the code path (a memo hit saves a few calls). A loop that rereads the text per candidate counts
    quadratically; what it cannot see is the inside of one regex call, which the inline patterns
    bound (``test_inline_patterns_bound_what_one_regex_call_reads``)."""
    units = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal units
        if event == "call":
            units += 1
        elif event == "c_call":
            owner = getattr(arg, "__self__", None)
            units += 1 + (len(owner) if isinstance(owner, (str, bytes, bytearray)) else 0)

    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        secrets.detect(text)
    finally:
        sys.setprofile(previous)
    return units
