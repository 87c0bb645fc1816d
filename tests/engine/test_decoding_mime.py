"""Reading the e-mail a base64 field decodes to: its header lines as sub-fields (``decoding_mime``),
what a mail reader decodes in it, and how decoded views carry the sub-fields (``View.subfield``)."""

from __future__ import annotations

import base64
import json
import re
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_samples import github

from interven_autoguard.engine import decoding
from interven_autoguard.engine.decoding_mime import decoded_message, read_headers
from interven_autoguard.engine.scanner import LocalScanner
from interven_autoguard.model import Decision

MESSAGE = (
    "From: Alice Example <alice@example.com>\n"
    "To: bob@example.org,\n"
    " Carol <carol@example.net>\n"
    "Subject: Lunch\n"
    "X-Team-Tag: blue\n"
    "\n"
    "Hi Bob, write to eve@example.com.\n"
)


def span(text: str, value: str, after: int = 0) -> tuple[int, int]:
    start = text.index(value, after)
    return start, start + len(value)


def test_each_header_value_is_its_own_sub_field_and_the_body_is_none() -> None:
    lines = read_headers(MESSAGE)
    assert lines is not None and len(lines) == 4
    assert lines(*span(MESSAGE, "alice@example.com")) == "<mime>.header:From"
    assert lines(*span(MESSAGE, "bob@example.org")) == "<mime>.header:To"
    assert lines(*span(MESSAGE, "carol@example.net")) == "<mime>.header:To"  # a folded continuation
    assert lines(*span(MESSAGE, "Lunch")) == "<mime>.header:Subject"
    assert lines(*span(MESSAGE, "blue")) == "<mime>.header#3"  # not a standard name: its position
    assert lines(*span(MESSAGE, "eve@example.com")) == ""  # the body
    assert lines(*span(MESSAGE, "Subject")) == ""  # a header name is not its value
    assert lines(*span(MESSAGE, "Lunch\nX-Team")) == ""  # across two fields


def test_crlf_lines_names_in_any_case_and_a_message_without_body() -> None:
    text = "to: bob@example.org\r\nREPLY-TO: desk@example.org\r\nsubject: x"
    lines = read_headers(text)
    assert lines is not None
    assert lines(*span(text, "bob@example.org")) == "<mime>.header:To"
    assert lines(*span(text, "desk@example.org")) == "<mime>.header:Reply-To"
    assert lines(*span(text, "x", text.index("subject:") + 8)) == "<mime>.header:Subject"


@pytest.mark.parametrize(
    "text",
    [
        "Hello Bob,\n\nTo: bob@example.org\n",  # prose first
        "aws_access_key_id: AKIAX\nregion: eu-west-1\n",  # key: value lines naming no sender or recipient
        "To: bob@example.org\nnot a header line\nCc: eve@example.com\n\nbody",  # a block not ending cleanly
        "To: bob@example.org\n   \nCc: eve@example.com\n\nbody",  # a blank line of spaces
        "To: bob@example.org\rCc: eve@example.com\n\nbody",  # a bare CR
        "To: bob@example.org\x0cCc: eve@example.com\n\nbody",  # a form feed
        "To: bob@example.org\u2028Cc: eve@example.com\n\nbody",  # a line separator
        "To : bob@example.org\n\nbody",  # a space before the colon
        "From bob@example.org Mon Jan  1 00:00:00 2024\nTo: bob@example.org\n\nbody",  # an mbox line
        "To: bob@example.org\nFrom alice@example.com\n\nbody",  # ... in the middle
        ": bob@example.org\nTo: x@example.org\n\nbody",  # an empty name
        " To: bob@example.org\n\nbody",  # a continuation first
    ],
)
def test_text_that_does_not_read_as_a_message_end_to_end_has_no_sub_fields(text: str) -> None:
    assert read_headers(text) is None


def test_decoded_message_joins_quoted_printable_soft_breaks_and_decodes_encoded_words() -> None:
    token = "ghp_" + "Ab1" * 12
    text = (
        "To: =?utf-8?q?J=C3=BCrgen?= <j@example.de>\n"
        "Subject: =?utf-8?q?R=C3=BCckruf_+1_415?=\n =?utf-8?q?_555_0132?=\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n"
        "\n"
        f"key {token[:10]}=\n{token[10:]} Gr=C3=BC=C3=9Fe\n"
    )
    lines = read_headers(text)
    assert lines is not None
    reading = decoded_message(text, lines)
    assert reading is not None
    decoded, parts = reading
    assert f"key {token} Grüße" in decoded
    assert parts(*span(decoded, "Jürgen <j@example.de>")) == "<mime>.header:To"
    assert parts(*span(decoded, "Rückruf +1 415 555 0132")) == "<mime>.header:Subject"  # words joined
    assert parts(*span(decoded, token)) == ""


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("cte", ["quoted-printable", "Quoted-Printable", "\n quoted-printable"])
def test_soft_breaks_are_joined_whatever_the_line_end_padding_or_folding(eol: str, cte: str) -> None:
    text = eol.join([
        "To: bob@example.org", "Content-Type: multipart/alternative; boundary=b1", "", "--b1",
        f"Content-Transfer-Encoding: {cte}".replace("\n", eol), "",
        "call 415 555=  ", "0132 soon", "--b1--", "",
    ])
    lines = read_headers(text)
    assert lines is not None
    reading = decoded_message(text, lines)
    assert reading is not None and "call 415 5550132 soon" in reading[0]


def test_a_declared_charset_does_not_hide_the_utf8_reading() -> None:
    text = (
        "To: bob@example.org\nContent-Type: text/plain; charset=utf-16\n"
        "Content-Transfer-Encoding: quoted-printable\n\ncall 415 555=\n 0132\n"
    )
    lines = read_headers(text)
    assert lines is not None
    reading = decoded_message(text, lines)
    assert reading is not None and "call 415 555 0132" in reading[0]


def test_decoded_message_is_none_when_a_reader_decodes_nothing() -> None:
    lines = read_headers(MESSAGE)
    assert lines is not None and decoded_message(MESSAGE, lines) is None


def b64url(text: str, *, pad: bool) -> str:
    blob = base64.urlsafe_b64encode(text.encode()).decode()
    return blob if pad else blob.rstrip("=")


@pytest.mark.parametrize("pad", [True, False])
def test_a_field_that_is_base64_of_a_message_gets_a_view_with_sub_fields(pad: bool) -> None:
    views = decoding.views(b64url(MESSAGE, pad=pad))
    assert views[0].subfield is None
    message = views[1]
    assert message.encoding == "base64" and message.text == MESSAGE and message.subfield is not None
    assert message.subfield(*span(MESSAGE, "carol@example.net")) == "<mime>.header:To"
    assert message.subfield(*span(MESSAGE, "eve@example.com")) == ""


@pytest.mark.parametrize(
    "field",
    [
        "raw=" + b64url(MESSAGE, pad=False),  # the blob is not the whole field
        b64url(MESSAGE, pad=False) + " sent",
        b64url("Hello Bob,\nTo: bob@example.org\n", pad=False),  # not a message
    ],
)
def test_other_base64_has_no_sub_fields(field: str) -> None:
    assert all(view.subfield is None for view in decoding.views(field))


def test_views_decoded_further_down_keep_the_header_line_of_their_copied_context() -> None:
    # A single-part message with a base64 body: the next layer copies the header line before it.
    token = "ghp_" + "Ab1" * 12
    inner = base64.b64encode(f"the key is {token}\n".encode()).decode()
    text = "Subject: hi\nCc: bob@example.org\n\n" + inner + "\n"
    deeper = [v for v in decoding.views(b64url(text, pad=False)) if v.encoding == "base64>base64"]
    assert len(deeper) == 1 and deeper[0].subfield is not None
    view = deeper[0]
    assert view.subfield(*span(view.text, "bob@example.org")) == "<mime>.header:Cc"
    assert view.subfield(*span(view.text, token)) == ""


def test_normalised_message_views_look_sub_fields_up_before_normalisation() -> None:
    text = "To: \uff2a\uff4f\u200bhn <john@example.org>\nSubject: \ufb01le\n\nbody eve@example.com\n"
    message = decoding.views(b64url(text, pad=False))[1]
    assert message.text != text and message.subfield is not None  # NFKC changed lengths
    assert message.subfield(*span(message.text, "john@example.org")) == "<mime>.header:To"
    assert message.subfield(*span(message.text, "eve@example.com")) == ""


def test_a_scan_locates_findings_in_header_lines_and_redacts_inside_the_blob() -> None:
    blob = b64url(MESSAGE, pad=False)
    response = LocalScanner().scan(method="POST", url="https://mail.example.com/send",
                                   headers={"content-type": "application/json"},
                                   body=json.dumps({"raw": blob}))
    assert response.decision == Decision.SANITIZE
    assert sorted((f.type, f.location, f.start, f.end, f.redacted) for f in response.findings) == [
        ("EMAIL", "body$.raw", 0, len(blob), True),
        ("EMAIL", "body$.raw<mime>.header:From", 0, len(blob), True),
        ("EMAIL", "body$.raw<mime>.header:To", 0, len(blob), True),
    ]
    # start/end are the blob (what is rewritten): re-encoded, unpadded base64url as it was sent.
    sent = json.loads(response.sanitized_body)["raw"]
    assert "=" not in sent and "+" not in sent and "/" not in sent
    assert base64.urlsafe_b64decode(sent + "=" * (-len(sent) % 4)).decode() == re.sub(
        r"[\w.]+@\w+\.\w+", "[REDACTED:EMAIL]", MESSAGE)


def test_a_scan_finds_a_token_split_by_a_quoted_printable_soft_break() -> None:
    token = github("ghp_")
    m = EmailMessage()
    m["To"] = "bob@example.org"
    m.set_content("Hello " + "word " * 13 + token + " and more" * 20 + "\n", cte="quoted-printable")
    assert token not in m.as_string()  # a soft break falls inside it
    response = LocalScanner().scan(method="POST", url="https://mail.example.com/send",
                                   headers={"content-type": "application/json"},
                                   body=json.dumps({"raw": b64url(m.as_string(), pad=True)}))
    found = {(f.type, f.location, f.encoding) for f in response.findings}
    assert ("GITHUB_PAT", "body$.raw", "base64>mime") in found
    # Only the mail reader's decoding shows it, which cannot be written back: nothing is sent.
    assert response.decision == Decision.DENY and response.sanitized_body is None


def test_only_body_fields_have_sub_fields() -> None:
    url = "https://mail.example.com/send?raw=" + b64url(MESSAGE, pad=False)
    response = LocalScanner().scan(method="GET", url=url)
    assert {f.location for f in response.findings} == {"query:raw"}


NAMES = st.sampled_from(["From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Subject", "Date", "X-Note"])
ADDRESS = st.from_regex(r"[a-z]{1,8}@[a-z]{2,8}\.(?:com|org|net)", fullmatch=True)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.lists(st.tuples(NAMES, st.lists(ADDRESS, min_size=1, max_size=3), st.booleans()),
                    min_size=1, max_size=8),
    crlf=st.booleans(),
    body=st.lists(ADDRESS, max_size=2),
)
def test_every_address_is_located_in_the_header_it_is_written_in(
    fields: list[tuple[str, list[str], bool]], crlf: bool, body: list[str]
) -> None:
    eol = "\r\n" if crlf else "\n"
    fields = [("To", ["first@example.org"], False), *fields]
    lines_out: list[str] = []
    for name, addresses, fold in fields:
        joiner = "," + eol + "\t" if fold else ", "
        lines_out.append(f"{name}: {joiner.join(addresses)}")
    text = eol.join(lines_out) + eol + eol + " ".join(f"see {a}" for a in body) + eol
    lines = read_headers(text)
    assert lines is not None
    pos = 0
    for name, addresses, _fold in fields:
        for address in addresses:
            start, end = span(text, address, pos)
            want = "<mime>.header:" + name if name != "X-Note" else "<mime>.header#"
            assert lines(start, end).startswith(want)
            pos = end
    for address in body:
        start, end = span(text, address, pos)
        assert lines(start, end) == ""
        pos = end


HEADER_LINE = st.tuples(
    st.one_of(NAMES, st.from_regex(r"[!-9;-~]{1,12}", fullmatch=True)),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30),
).map(lambda nv: f"{nv[0]}:{nv[1]}")
CONTINUATION = st.tuples(
    st.sampled_from([" ", "\t", "  "]),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20),
).map("".join)
# Mostly header lines and CRLF/LF, so that many texts read as messages; the rest is anything.
LINE = st.one_of(*[HEADER_LINE] * 6, CONTINUATION, st.text(max_size=30))
BREAK = st.sampled_from(["\n"] * 12 + ["\r\n"] * 12 + ["\r", "\x0c", "\u2028", "\x85"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=HEADER_LINE, lines_in=st.lists(st.tuples(BREAK, LINE), max_size=8), body=st.text(max_size=100))
def test_reading_never_raises_and_never_labels_the_body(first: str, lines_in: list[tuple[str, str]],
                                                        body: str) -> None:
    head = first + "".join(brk + line for brk, line in lines_in) + "\n"
    text = head + "\n" + body
    lines = read_headers(text)
    if lines is None:
        return
    # The block ends at the first empty line; nothing after it is a header, whatever it holds.
    first_empty = min([i + 1 for i in (text.find("\n\n"), text.find("\n\r\n")) if i >= 0] or [len(text)])
    assert all(end <= first_empty for _start, end, _part in lines.values())
    for start in range(first_empty, len(text)):
        assert lines(start, start + 1) == ""
    decoded_message(text, lines)  # never raises either
