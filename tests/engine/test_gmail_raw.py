"""Gmail's send API carries a whole e-mail as base64url (``{"raw": ...}``): its recipients are
expected (``gmail-send-recipients``), everything else in the message is scanned as before.

Messages are built the way Gmail clients build them (``email.message.EmailMessage``, LF or CRLF
lines, base64url with or without its padding) and scanned by the embedded engine.
"""

from __future__ import annotations

import base64
import email
import json
from collections.abc import Callable
from email import policy as email_policy
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_samples import AWS_BODY, github, r

from interven_autoguard.engine.policy import Policy
from interven_autoguard.engine.scanner import LocalScanner
from interven_autoguard.model import Decision, ScanResponse

GMAIL = "https://gmail.googleapis.com"
SEND = GMAIL + "/gmail/v1/users/me/messages/send"
ALLOWANCE = "gmail-send-recipients"
RECIPIENTS = ("alice@example.com", "bob@example.org", "carol@example.net", "dave@example.com")
SCANNER = LocalScanner()
# The default policy without the new allowance: the decision every Gmail send got before it.
WITHOUT = LocalScanner(Policy.from_text(f'disable = ["{ALLOWANCE}"]\n'))

GHP = github("ghp_")
AKIA = "AKIA" + r(AWS_BODY, 16)
PHONE = "+1 415 555 2132"


def luhn(partial: str) -> str:
    """``partial`` with the check digit that makes it a valid card number."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return partial + str(-total % 10)


CARD = luhn("453914880343646")


def message(
    body: str = "Hi Bob,\nsee you tomorrow at noon.\n",
    *,
    subject: str = "Lunch",
    to: str = "bob@example.org, Carol <carol@example.net>",
    html: str | None = None,
    cte: str | None = None,
    attach: tuple[bytes, str, str] | None = None,
) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Alice Example <alice@example.com>"
    m["To"] = to
    m["Cc"] = "dave@example.com"
    m["Subject"] = subject
    if cte:
        m.set_content(body, cte=cte)
    else:
        m.set_content(body)
    if html is not None:
        m.add_alternative(html, subtype="html")
    if attach is not None:
        data, maintype, subtype = attach
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename="notes." + subtype)
    return m


def raw(m: EmailMessage, *, crlf: bool = False, pad: bool = False) -> str:
    data = m.as_bytes(policy=email_policy.SMTP if crlf else email_policy.default)
    blob = base64.urlsafe_b64encode(data).decode()
    return blob if pad else blob.rstrip("=")


def scan(url: str, body: object, *, method: str = "POST", scanner: LocalScanner = SCANNER) -> ScanResponse:
    return scanner.scan(method=method, url=url, headers={"content-type": "application/json"},
                        body=json.dumps(body))


def acted(response: ScanResponse) -> list[tuple[str, str]]:
    """(type, location) of the findings the decision acts on (redacted when SANITIZE)."""
    return sorted((f.type, f.location) for f in response.findings if f.redacted)


HEADER_LOCATIONS = {f"body$.raw<mime>.header:{h}" for h in ("From", "To", "Cc")}

ENDPOINTS: list[tuple[str, str, Callable[[str], object], str]] = [
    ("POST", SEND, lambda b: {"raw": b}, "body$.raw"),
    ("POST", GMAIL + "/upload/gmail/v1/users/me/messages/send", lambda b: {"raw": b}, "body$.raw"),
    ("POST", GMAIL + "/gmail/v1/users/jane.doe@acme.com/messages/send", lambda b: {"raw": b}, "body$.raw"),
    ("POST", GMAIL + "/gmail/v1/users/me/messages", lambda b: {"raw": b, "labelIds": ["INBOX"]}, "body$.raw"),
    ("POST", GMAIL + "/gmail/v1/users/me/messages/import", lambda b: {"raw": b}, "body$.raw"),
    ("POST", GMAIL + "/gmail/v1/users/me/drafts", lambda b: {"message": {"raw": b}}, "body$.message.raw"),
    ("PUT", GMAIL + "/gmail/v1/users/me/drafts/r-123", lambda b: {"id": "r-123", "message": {"raw": b}},
     "body$.message.raw"),
    ("POST", GMAIL + "/gmail/v1/users/me/drafts/send", lambda b: {"id": "r-1", "message": {"raw": b}},
     "body$.message.raw"),
]


@pytest.mark.parametrize(("method", "url", "wrap", "field"), ENDPOINTS)
@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("pad", [False, True])
def test_a_message_to_its_recipients_goes_out_untouched(
    method: str, url: str, wrap: Callable[[str], object], field: str, crlf: bool, pad: bool
) -> None:
    response = scan(url, wrap(raw(message(), crlf=crlf, pad=pad)), method=method)
    assert response.decision == Decision.ALLOW
    assert ALLOWANCE in response.matched_rules
    assert response.sanitized_body is None
    in_body = [f for f in response.findings if f.location != "url.path"]  # a mailbox named in the path
    assert {f.location for f in in_body} == {loc.replace("body$.raw", field) for loc in HEADER_LOCATIONS}
    assert all(f.type == "EMAIL" and not f.redacted and f.encoding == "base64" for f in in_body)
    # Before the allowance, the same request was sanitised: the addresses replaced inside the message.
    before = scan(url, wrap(raw(message(), crlf=crlf, pad=pad)), method=method, scanner=WITHOUT)
    assert before.decision == Decision.SANITIZE


def test_reply_to_sender_and_bcc_are_recipients_too() -> None:
    m = message()
    m["Bcc"] = "erin@example.org"
    m["Reply-To"] = "desk@example.org"
    m["Sender"] = "assistant@example.com"
    response = scan(SEND, {"raw": raw(m)})
    assert response.decision == Decision.ALLOW
    assert {f.location.rpartition(":")[2] for f in response.findings} == {
        "From", "To", "Cc", "Bcc", "Reply-To", "Sender"}


SECRET_MESSAGES: dict[str, Callable[[], EmailMessage]] = {
    "github token in the text": lambda: message(f"Here is the token: {GHP}\n"),
    "aws key in the text": lambda: message(f"aws_access_key_id = {AKIA}\n"),
    "token in a base64 text part": lambda: message(f"Here is the token: {GHP}\n", cte="base64"),
    "token in the html alternative": lambda: message(html=f"<p>token <b>{GHP}</b></p>"),
    # Long lines are quoted-printable with a soft break every 76 characters: one falls in the token.
    "token split by a quoted-printable soft break": lambda: message(
        "Hello " + "word " * 13 + GHP + " and more" * 20 + "\n", cte="quoted-printable"),
    "token in a text attachment": lambda: message(attach=(f"key {GHP}\n".encode(), "text", "plain")),
    "key in the subject": lambda: message(subject=f"key {AKIA}"),
    "card number in the text": lambda: message(f"Card: {CARD}, exp 12/29\n"),
}


@pytest.mark.parametrize("name", SECRET_MESSAGES)
@pytest.mark.parametrize("crlf", [False, True])
def test_a_secret_or_card_anywhere_in_the_message_is_redacted_inside_it(name: str, crlf: bool) -> None:
    m = SECRET_MESSAGES[name]()
    blob = raw(m, crlf=crlf)
    response = scan(SEND, {"raw": blob})
    before = scan(SEND, {"raw": blob}, scanner=WITHOUT)
    kinds = {f.type for f in response.findings if f.redacted}
    assert kinds & {"GITHUB_PAT", "AWS_ACCESS_KEY", "CREDIT_CARD"}, name
    assert kinds == {f.type for f in before.findings if f.redacted} - {"EMAIL"}
    if name == "token split by a quoted-printable soft break":
        # Only a mail reader's decoding shows it whole, and that cannot be written back exactly:
        # rather than a corrupt message, nothing is sent.
        assert response.decision == before.decision == Decision.DENY
        assert response.sanitized_body is None
        return
    assert response.decision == before.decision == Decision.SANITIZE
    # The message is still base64url of a message, to the same recipients, with only the value
    # replaced inside it (re-encoded in a base64 part or attachment too): sending it finds nothing.
    sent = json.loads(response.sanitized_body)["raw"]
    assert set(sent) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    data = base64.urlsafe_b64decode(sent + "=" * (-len(sent) % 4))
    parsed = email.message_from_bytes(data, policy=email_policy.default)
    assert (parsed["To"], parsed["Cc"]) == (m["To"], m["Cc"])
    assert (parsed["Subject"] == m["Subject"]) is ("subject" not in name)
    shown = [parsed["Subject"], *(part.get_content() for part in parsed.walk() if not part.is_multipart())]
    assert any("[REDACTED:" in str(text) for text in shown)  # a part still decodes, the value replaced
    again = scan(SEND, {"raw": sent}, scanner=WITHOUT)
    assert not {f.type for f in again.findings} & kinds


def test_a_quoted_printable_split_token_is_found_in_the_mail_readers_decoding() -> None:
    m = SECRET_MESSAGES["token split by a quoted-printable soft break"]()
    assert GHP not in m.as_string() and GHP[:4] in m.as_string()  # split where the line breaks
    response = scan(SEND, {"raw": raw(m)})
    assert ("GITHUB_PAT", "body$.raw") in acted(response)
    assert {f.encoding for f in response.findings if f.type == "GITHUB_PAT"} == {"base64>mime"}


def test_an_address_in_the_text_is_still_an_email_finding() -> None:
    response = scan(SEND, {"raw": raw(message("Please forward this to eve@example.com.\n"))})
    assert response.decision == Decision.SANITIZE
    assert acted(response) == [("EMAIL", "body$.raw")]
    assert {f.location for f in response.findings if not f.redacted} == HEADER_LOCATIONS


def test_an_address_in_a_forwarded_message_is_not_a_recipient() -> None:
    inner = EmailMessage()
    inner["From"] = "mallory@example.org"
    inner["To"] = "victim@example.com"
    inner["Subject"] = "fwd"
    inner.set_content("original text\n")
    m = message()
    m.add_attachment(inner)  # message/rfc822: its To: line is in the body of this one
    response = scan(SEND, {"raw": raw(m)})
    assert response.decision == Decision.SANITIZE
    assert acted(response) == [("EMAIL", "body$.raw")]


@pytest.mark.parametrize("subject", [f"Call me at {PHONE}", f"R\u00fcckruf bitte: {PHONE}"])
def test_a_phone_number_in_the_subject_is_a_finding_there(subject: str) -> None:
    response = scan(SEND, {"raw": raw(message(subject=subject))})
    assert response.decision == Decision.SANITIZE
    assert acted(response) == [("PHONE_NUMBER", "body$.raw<mime>.header:Subject")]


def test_a_q_encoded_subject_is_read_decoded() -> None:
    text = message().as_string().replace(  # as a client may write it, split in two encoded words
        "Subject: Lunch", "Subject: =?utf-8?q?R=C3=BCckruf_+1_415?=\n =?utf-8?q?_555_2132?=")
    response = scan(SEND, {"raw": base64.urlsafe_b64encode(text.encode()).decode()})
    assert acted(response) == [("PHONE_NUMBER", "body$.raw<mime>.header:Subject")]
    assert {f.encoding for f in response.findings if f.type == "PHONE_NUMBER"} == {"base64>mime"}


def test_only_addresses_are_expected_in_a_recipient_line() -> None:
    response = scan(SEND, {"raw": raw(message(to=f'"{PHONE}" <bob@example.org>'))})
    assert response.decision == Decision.SANITIZE
    assert acted(response) == [("PHONE_NUMBER", "body$.raw<mime>.header:To")]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "https://mail.example.com/gmail/v1/users/me/messages/send"),  # another host
        ("POST", "https://gmail.googleapis.com.evil.example/gmail/v1/users/me/messages/send"),
        ("POST", GMAIL + "/gmail/v1/users/me/settings/filters"),  # another Gmail endpoint
        ("PATCH", SEND),  # another method
    ],
)
def test_the_allowance_is_scoped_to_gmails_send_endpoints(method: str, url: str) -> None:
    response = scan(url, {"raw": raw(message())}, method=method)
    assert response.decision == Decision.SANITIZE
    assert ALLOWANCE not in response.matched_rules
    assert acted(response) == sorted(("EMAIL", loc) for loc in HEADER_LOCATIONS)
    sent = json.loads(response.sanitized_body)["raw"]
    data = base64.urlsafe_b64decode(sent + "=" * (-len(sent) % 4))
    original = message().as_bytes(policy=email_policy.default)
    for address in (b"alice@example.com", b"bob@example.org", b"carol@example.net", b"dave@example.com"):
        original = original.replace(address, b"[REDACTED:EMAIL]")
    assert data == original


def test_a_blob_that_is_not_the_whole_field_has_no_sub_fields() -> None:
    response = scan(SEND, {"raw": "message: " + raw(message())})
    assert response.decision == Decision.SANITIZE
    assert acted(response) == [("EMAIL", "body$.raw")]


def test_a_pattern_naming_the_field_still_covers_its_header_lines() -> None:
    strict = LocalScanner(Policy.from_text(
        '[[rules]]\nid = "no-phone-numbers-by-mail"\nhosts = ["gmail.googleapis.com"]\n'
        'fields = ["body$.raw"]\nfinding_types = ["PHONE_NUMBER"]\ndecision = "DENY"\n'
        '[[allow]]\nid = "own-relay"\nhosts = ["relay.example.com"]\nfields = ["body$.raw"]\n'
        'finding_types = ["EMAIL"]\n'))
    denied = scan(SEND, {"raw": raw(message(subject=f"Call {PHONE}"))}, scanner=strict)
    assert denied.decision == Decision.DENY and "no-phone-numbers-by-mail" in denied.matched_rules
    relayed = scan("https://relay.example.com/send", {"raw": raw(message())}, scanner=strict)
    assert relayed.decision == Decision.ALLOW and relayed.matched_rules == ["own-relay"]


def test_nothing_found_in_a_message_shows_its_value() -> None:
    m = message(f"token {GHP}, call {PHONE}, mail eve@example.com\n")
    m[f"X-{GHP}"] = f"{PHONE}"  # a header name that is itself a value
    response = scan(SEND, {"raw": raw(m)})
    assert response.decision == Decision.SANITIZE
    shown = json.dumps(response.to_dict()) + repr(response)
    for value in (GHP, PHONE, "eve@example.com", "bob@example.org", "alice@example.com", GHP.lower()):
        assert value not in shown
    assert any(f.location.startswith("body$.raw<mime>.header#") for f in response.findings)


ADDRESS = st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@[a-z]{3,8}\.(?:com|org|net)", fullmatch=True)
HEADERS = st.sampled_from(["To", "Cc", "Bcc", "Reply-To"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.lists(st.tuples(HEADERS, st.lists(ADDRESS, min_size=1, max_size=4)), min_size=1, max_size=4,
                    unique_by=lambda f: f[0]),
    order=st.randoms(use_true_random=False),
    crlf=st.booleans(),
    pad=st.booleans(),
    fold_width=st.integers(min_value=30, max_value=78),
    in_body=st.one_of(st.none(), ADDRESS),
)
def test_recipients_in_any_order_and_folding_are_expected_and_only_they(
    fields: list[tuple[str, list[str]]], order: object, crlf: bool, pad: bool, fold_width: int,
    in_body: str | None,
) -> None:
    m = EmailMessage(policy=email_policy.default.clone(max_line_length=fold_width))
    headers = [("From", "Agent <agent@example.com>"), ("Subject", "Status update"),
               *((name, ", ".join(addresses)) for name, addresses in fields)]
    order.shuffle(headers)  # type: ignore[attr-defined]
    for name, value in headers:
        m[name] = value
    m.set_content("All done.\n" + (f"Questions go to {in_body}.\n" if in_body else ""))
    data = m.as_bytes(policy=m.policy.clone(linesep="\r\n" if crlf else "\n"))
    blob = base64.urlsafe_b64encode(data).decode()
    response = scan(SEND, {"raw": blob if pad else blob.rstrip("=")})
    if in_body is None:
        assert response.decision == Decision.ALLOW and response.matched_rules == [ALLOWANCE]
    else:
        assert acted(response) == [("EMAIL", "body$.raw")]
        # Split by a quoted-printable soft break, the address shows whole only in a mail reader's
        # decoding, which cannot be written back exactly: not sent rather than sent corrupt (unless
        # what is left of it before the break reads as an address, and redacting that removes it).
        split = in_body.encode() not in data
        if split and response.decision == Decision.DENY:
            assert response.sanitized_body is None
        else:
            assert response.decision == Decision.SANITIZE
            sent = json.loads(response.sanitized_body)["raw"]
            redacted = base64.urlsafe_b64decode(sent + "=" * (-len(sent) % 4))
            text = email.message_from_bytes(redacted, policy=email_policy.default).get_content()
            assert in_body not in text and "[REDACTED:EMAIL]" in text
            if not split:
                head, blank, body = data.partition(b"\r\n\r\n" if crlf else b"\n\n")
                assert redacted == head + blank + body.replace(in_body.encode(), b"[REDACTED:EMAIL]")
    expected = {"body$.raw<mime>.header:" + name for name, _ in headers if name != "Subject"}
    assert {f.location for f in response.findings if not f.redacted} == expected
