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
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from bisect import bisect_right
from collections.abc import Iterator

__all__ = ["MIME_MARK", "HeaderLines", "read_headers"]

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
    parsed = email.parser.Parser(policy=email.policy.default).parsestr(block, headersonly=True)
    if parsed.defects or [key.lower() for key in parsed.keys()] != lowered:
        return None
    parts = [
        MIME_MARK + (".header:" + _SHOWN[name] if name in _SHOWN else f".header#{i}")
        for i, name in enumerate(lowered)
    ]
    return HeaderLines(starts, ends, parts)

