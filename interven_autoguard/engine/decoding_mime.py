"""The header lines of an e-mail that a base64 field decodes to, as sub-fields of that field.

Gmail's API takes a whole message as one JSON string: ``{"raw": "<base64url of the RFC 2822
text>"}`` (``messages/send``, ``messages/insert``, ``messages/import``, ``drafts``). Decoded, the
recipients' addresses sit in its ``To:``/``Cc:`` lines next to the subject and body. So that a
policy can tell them apart, a finding inside one header line of such a message is located in a
sub-field of the field: ``body$.raw<mime>.header:To``; everything else — the body, every MIME part
and attachment, whatever is decoded further down — keeps the field's own location
(``body$.raw``). A field pattern covers the sub-fields of the field it names (``body$.raw`` matches
``body$.raw<mime>.header:To``), see ``policy_globs.FieldMatcher``.

A decoded text is read as a message only when all of this holds, and otherwise not at all (its
findings keep the field's location, as before this reading existed):

* it starts with a header field, ``Name:`` (RFC 5322: printable ASCII but ``:``) — the cheap
  check, one anchored match, made before anything else;
* every line up to the first empty one is a header field or a folded continuation of one
  (starting with a space or tab, not blank); lines end in CRLF or LF, and the header block holds
  no other line break (a bare CR, form feed, U+2028, NUL...), on which readers disagree;
* it names a sender or recipient (From, Sender, Reply-To, To, Cc or Bcc): no other kind of
  text has a reason to be read as a message;
* the standard library's parser (``email.parser``, policy ``default``) reads the same header
  names in the same order, without a defect.

Names of the standard header fields are shown in their usual spelling (``header:Reply-To``);
any other name is data and is shown as its position in the header block (``header#4``).

``decoded_message`` is what a mail reader decodes that the text does not show as such: header
values written as RFC 2047 encoded words (``=?utf-8?q?...?=``) and the bodies of
quoted-printable parts, whose soft line breaks (``=`` at a line end, every 76 characters) split
whatever long line they fall in — a token among them. Base64 parts need nothing of the kind: the
decoding layers read them as they read any base64.
"""

from __future__ import annotations

import binascii
import re
from bisect import bisect_right
from collections.abc import Iterator

__all__ = ["MIME_MARK", "HeaderLines", "decoded_message", "read_headers"]

MIME_MARK = "<mime>"

_FIELD_NAME = re.compile(r"[!-9;-~]+:")
# Line breaks other than CRLF and LF (and NUL): the standard library splits lines at a bare CR,
# other readers at a form feed or U+2028; a header block with one is not read as one.
_ODD_BREAK = re.compile("\r(?!\n)|[\x00\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_ADDRESS_FIELDS = frozenset({"from", "sender", "reply-to", "to", "cc", "bcc"})
_SHOWN = {
    name.lower(): name
    for name in (
        "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "In-Reply-To",
        "References", "Comments", "Keywords", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
        "Content-Disposition", "Content-ID", "Content-Description", "Content-Language", "Return-Path",
        "Received", "Resent-Date", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc",
        "Resent-Bcc", "Resent-Message-ID", "Disposition-Notification-To", "List-Unsubscribe",
        "Importance", "Priority", "X-Priority", "X-Mailer", "User-Agent", "Organization",
        "Auto-Submitted", "Precedence", "Thread-Topic", "Thread-Index",
    )
}  # fmt: skip


class HeaderLines:
    """Where the header fields' values are in a message text: ``lines(start, end)`` is the
    sub-field ``text[start:end]`` lies in (``"<mime>.header:To"``), or ``""`` when the span is not
    inside one header field's value (the body, a header name, across two lines)."""

    __slots__ = ("_ends", "_parts", "_starts")

    def __init__(self, starts: list[int], ends: list[int], parts: list[str]) -> None:
        self._starts = starts
        self._ends = ends
        self._parts = parts

    def __call__(self, start: int, end: int) -> str:
        i = bisect_right(self._starts, start) - 1
        if i >= 0 and end <= self._ends[i]:
            return self._parts[i]
        return ""

    def __len__(self) -> int:
        return len(self._parts)

    def values(self) -> Iterator[tuple[int, int, str]]:
        """(start, end, sub-field) of each header field's value, in order."""
        return zip(self._starts, self._ends, self._parts)


def read_headers(text: str) -> HeaderLines | None:
    """The header fields of ``text`` read as an e-mail message, or None when it is not one (see
    the module docstring). Linear in the header block; the body is never read."""
    if _FIELD_NAME.match(text) is None:
        return None  # the common case for a decoded blob: not even a header line first
    starts: list[int] = []
    ends: list[int] = []
    names: list[str] = []
    n = len(text)
    pos = 0
    while pos < n:
        nl = text.find("\n", pos)
        line_end = n if nl < 0 else nl
        content_end = line_end - 1 if line_end > pos and text[line_end - 1] == "\r" else line_end
        if content_end == pos:
            break  # the empty line that ends the header block
        if text[pos] in " \t":  # a folded continuation of the field above
            if not text[pos:content_end].strip(" \t"):
                return None  # a blank line of spaces: a header/body separator to some readers
            ends[-1] = content_end
        else:
            m = _FIELD_NAME.match(text, pos, content_end)
            if m is None:
                return None  # neither a field nor a continuation: not a header block
            names.append(text[pos : m.end() - 1])
            starts.append(m.end())
            ends.append(content_end)
        pos = line_end + 1
    block = text[:pos]
    if _ODD_BREAK.search(block) is not None:
        return None
    lowered = [name.lower() for name in names]
    if _ADDRESS_FIELDS.isdisjoint(lowered):
        return None
    import email.parser  # here, not at import: only a text that looks like a message gets this far
    import email.policy

    parsed = email.parser.Parser(policy=email.policy.default).parsestr(block, headersonly=True)
    if parsed.defects or [key.lower() for key in parsed.keys()] != lowered:
        return None
    parts = [
        MIME_MARK + (".header:" + _SHOWN[name] if name in _SHOWN else f".header#{i}")
        for i, name in enumerate(lowered)
    ]
    return HeaderLines(starts, ends, parts)


_QUOTED_PRINTABLE = re.compile("quoted-printable", re.IGNORECASE)
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
# Whitespace between two encoded words is not part of the text (RFC 2047, 6.2); folding is not either.
_BETWEEN_WORDS = re.compile(r"(?<=\?=)[ \t\r\n]+(?==\?[^?\s]+\?[bBqQ]\?)")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def decoded_message(text: str, lines: HeaderLines) -> tuple[str, HeaderLines] | None:
    """The message ``text`` (whose header fields are ``lines``) as a mail reader decodes it, where
    that differs from the text: each header value holding encoded words, decoded (a line each,
    located in its header's sub-field), then the body of each quoted-printable part (no sub-field:
    the message body). Each is read in its declared charset, and also as UTF-8 when that reads
    differently (a charset must not hide what the bytes say). None when there is neither; cheap
    checks first."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    parts: list[str] = []
    pos = 0
    for start, end, part in lines.values():
        if text.find("=?", start, end) < 0:
            continue
        unfolded = _FOLD.sub("", text[start:end])
        declared = _decode_words(unfolded, None)
        as_utf8 = _decode_words(unfolded, "utf-8")
        for value in (declared,) if as_utf8 == declared else (declared, as_utf8):
            starts.append(pos)
            ends.append(pos + len(value))
            parts.append(part)
            out.append(value)
            pos += len(value) + 1
    if _QUOTED_PRINTABLE.search(text) is not None:
        # compat32: header values stay the strings they are (nothing parsed but what is asked for)
        import email
        import email.policy

        message = email.message_from_string(text, policy=email.policy.compat32)
        for piece in message.walk():
            payload = piece.get_payload()
            if not isinstance(payload, str) or not _says_quoted_printable(piece.get_all(_CTE, [])):
                continue
            data = binascii.a2b_qp(_PADDED_SOFT_BREAK.sub("=", payload).encode("utf-8", "surrogateescape"))
            declared = _as_text(data, piece.get_content_charset())
            out.append(declared)
            as_utf8 = _as_text(data, "utf-8")
            if as_utf8 != declared:  # a charset that hides what the bytes say in UTF-8
                out.append(as_utf8)
    if not out:
        return None
    return "\n".join(out), HeaderLines(starts, ends, parts)


_CTE = "content-transfer-encoding"
# "=" then transport padding then the line end is a soft break too (RFC 2045, 6.7); binascii keeps it.
_PADDED_SOFT_BREAK = re.compile(r"=[ \t]+(?=\r?\n)")


def _says_quoted_printable(values: list[object]) -> bool:
    """Whether any of a part's Content-Transfer-Encoding fields says quoted-printable, folded or
    not (the standard library's own ``get_payload(decode=True)`` misses a folded one)."""
    return any("".join(str(value).split()).lower() == "quoted-printable" for value in values)


def _decode_words(value: str, charset: str | None) -> str:
    """``value`` with its encoded words decoded, each in its own charset or in ``charset``."""
    return _ENCODED_WORD.sub(lambda m: _decode_word(m, charset), _BETWEEN_WORDS.sub("", value))


def _decode_word(m: re.Match[str], charset: str | None) -> str:
    declared, kind, data = m.groups()
    raw = data.encode("utf-8", "surrogatepass")
    try:
        if kind in "qQ":
            decoded = binascii.a2b_qp(raw, header=True)  # "_" is a space
        else:
            decoded = binascii.a2b_base64(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        return m.group()  # not an encoded word after all: read as written
    return _as_text(decoded, charset or declared.partition("*")[0])  # "utf-8*en": RFC 2231 language


def _as_text(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(charset or "utf-8", "replace")
    except (LookupError, ValueError):  # a charset Python does not know, or whose codec refuses
        return data.decode("utf-8", "replace")
