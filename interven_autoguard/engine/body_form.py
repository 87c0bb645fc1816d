"""``application/x-www-form-urlencoded`` bodies and URL query strings.

A parameter written with a raw ``+`` has two readings, and both are scanned: the form encoding's
(``+`` is a space: what a form parser such as ``parse_qs`` reads) as ``Field.text``, and the literal
one (percent-escapes undone, ``+`` left a ``+``: RFC 3986's query, and what a receiver that logs the
raw URL or decodes it without the form rule reads) as ``Field.literal``. The two differ only where
the raw text has a ``+``, one character for one, so a span found in either reading is the same span
of the field and is redacted the same way.

Only replaced parameters are re-encoded, and within one only the stretch between the first and
the last changed character: every other byte of the original stays as it was, so order, repeated
keys, the sender's own escaping and its raw ``+`` (which each reading must go on reading as before)
survive a rebuild.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from urllib.parse import quote, unquote, unquote_plus

from .body_fields import Field, param_name


def _unescape(raw: str, plus: bool) -> str:
    if "%" not in raw and not (plus and "+" in raw):
        return raw
    unq = unquote_plus if plus else unquote
    try:
        return unq(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:  # not UTF-8 underneath: one character per byte keeps every byte visible
        return unq(raw, encoding="latin-1")


def _readings(raw: str, plus: bool) -> tuple[str, str | None]:
    """The text of a raw name or value, and its literal reading when the form rule changed it."""
    text = _unescape(raw, plus)
    return text, (_unescape(raw, False) if plus and "+" in raw else None)


class FormDoc:
    """``a=1&b=2`` as fields ``{prefix}a``, ``{prefix}b``; every distinct name is a field too.

    A bare ``token`` (no ``=``) is a name: ``urllib.request`` sends ``data=b"token"`` as a form.
    """

    __slots__ = ("_names", "_parts", "_slots", "fields", "plus", "text")

    def __init__(
        self, text: str, prefix: str, *, plus: bool = True, hidden: frozenset[str] = frozenset()
    ) -> None:
        self.text = text
        self.plus = plus
        self.fields: list[Field] = []
        # Per field: the parameter index of a value, or -1 for a name (renamed everywhere).
        self._slots: list[int] = []
        self._parts: list[tuple[str, str | None]] = []
        self._names: list[tuple[str, str | None]] = []  # both readings of each parameter's name
        if not text:
            return
        seen: set[tuple[str, str | None]] = set()
        for index, part in enumerate(text.split("&")):
            raw_name, eq, raw_value = part.partition("=")
            self._parts.append((raw_name, raw_value if eq else None))
            name, literal = readings = _readings(raw_name, plus)
            self._names.append(readings)
            shown = param_name(name, index, hidden)
            # One field per distinct name as either reading sees it ("a+b" and "a%20b" are both
            # "a b" to a form parser, not to a literal one).
            if name and readings not in seen:
                seen.add(readings)
                self.fields.append(Field(prefix + shown + "<key>", None, name, True, literal))
                self._slots.append(-1)
            if eq:
                value, literal = _readings(raw_value, plus)
                self.fields.append(Field(prefix + shown, name, value, False, literal))
                self._slots.append(index)

    def rebuild(self, replacements: dict[int, str]) -> str:
        if not replacements:
            return self.text
        parts = list(self._parts)
        renames: dict[tuple[str, str | None], str] = {}
        for i, new in replacements.items():
            index = self._slots[i]
            field = self.fields[i]
            if index < 0:
                renames[(field.text, field.literal)] = new
            else:
                raw_name, raw_value = parts[index]
                parts[index] = (raw_name, _splice(raw_value or "", field.text, new, field.literal))
        if renames:
            for index, readings in enumerate(self._names):
                new = renames.get(readings)
                if new is not None:
                    parts[index] = (_splice(parts[index][0], readings[0], new, readings[1]), parts[index][1])
        return "&".join(name if value is None else name + "=" + value for name, value in parts)


# -- re-encoding only what changed ------------------------------------------------------------------

_ESCAPE_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_SPACE = re.compile(" ")
_BLOCK = 4096  # compared a block at a time (in C), then character by character


def _common_head(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i : i + _BLOCK] == b[i : i + _BLOCK]:
        i += _BLOCK
    i = min(i, n)
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _common_tail(a: str, b: str, limit: int) -> int:
    la, lb = len(a), len(b)
    j = 0
    while j + _BLOCK <= limit and a[la - j - _BLOCK : la - j] == b[lb - j - _BLOCK : lb - j]:
        j += _BLOCK
    while j < limit and a[la - j - 1] == b[lb - j - 1]:
        j += 1
    return j


def _pieces(raw: str) -> Iterator[tuple[int, int, int, int]]:
    """How ``_unescape(raw, ...)`` reads ``raw``: (decoded start, raw start, decoded length, raw
    characters per decoded character). ``+`` and a space are one character either way."""
    codec = "utf-8"
    try:
        unquote(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        codec = "latin-1"
    dec = pos = 0
    for m in _ESCAPE_RUN.finditer(raw):
        start, end = m.span()
        if start > pos:
            yield dec, pos, start - pos, 1
            dec += start - pos
        decoded = bytes.fromhex(raw[start:end].replace("%", "")).decode(codec)
        if codec == "latin-1" or decoded.isascii():
            yield dec, start, len(decoded), 3
            dec += len(decoded)
        else:
            at = start
            for char in decoded:
                width = 3 * len(char.encode(codec))
                yield dec, at, 1, width
                dec += 1
                at += width
        pos = end
    if pos < len(raw):
        yield dec, pos, len(raw) - pos, 1


def _splice(raw: str, old: str, new: str, literal: str | None) -> str:
    """``raw`` (which reads as ``old``, and as ``literal`` with its "+" kept) rewritten to read as
    ``new``: the raw bytes of the head and tail ``old`` and ``new`` share are kept, only the stretch
    between them is percent-encoded, so both readings of the rest stay what they were."""
    if new == old:
        return raw
    head = _common_head(old, new)
    tail = _common_tail(old, new, min(len(old), len(new)) - head)
    if "%" not in raw:  # every character is one raw character
        return raw[:head] + quote(new[head : len(new) - tail], safe="") + raw[len(old) - tail :]
    literal = old if literal is None else literal
    new_literal = literal[:head] + new[head : len(new) - tail] + literal[len(old) - tail :]
    pieces = list(_pieces(raw))

    def offset(d: int) -> int:
        for dec, at, length, width in pieces:
            if d < dec + length:
                return at + (d - dec) * width
        return len(raw)

    cut, start = head, offset(head)
    # A "%" kept just before the new stretch (a literal one, "%4" of "%4G") could join what follows
    # into an escape: it is re-encoded with the stretch.
    while cut > 0 and "%" in raw[max(0, start - 2) : start]:
        cut -= 1
        start = offset(cut)
    middle = _encode(new[cut : len(new) - tail], new_literal[cut : len(new) - tail])
    spliced = raw[:start] + middle + raw[offset(len(old) - tail) :]
    if _unescape(spliced, True) == new:
        return spliced
    # What the kept escapes decode to changed with the codec: bytes that were not UTF-8 (read one
    # character per byte) now are, or the other way round. Every character is encoded then, and a
    # "+" stays a "+" where the literal reading had one.
    return _encode(new, new_literal)


def _encode(text: str, literal: str) -> str:
    """Percent-encoded text that a form parser reads as ``text`` and a literal reader as ``literal``
    (the same but for a "+" where ``text`` has a space)."""
    out: list[str] = []
    pos = 0
    for m in _SPACE.finditer(text):
        if literal[m.start()] == "+":
            out.append(quote(text[pos : m.start()], safe="") + "+")
            pos = m.end()
    out.append(quote(text[pos:], safe=""))
    return "".join(out)


def parse_query(query: str, hide_keys: Collection[str] = ()) -> list[Field]:
    """The parameters of a URL query string (with or without its ``?``) as ``query:name`` fields.

    ``hide_keys``: names written by position (``query:#2``) in locations, e.g. those that held a
    finding (see ``body_fields``).
    """
    text = query[1:] if query.startswith("?") else query
    return FormDoc(text, "query:", hidden=frozenset(hide_keys)).fields


def rebuild_query(query: str, replacements: dict[int, str]) -> str:
    """``query`` with the fields of ``parse_query(query)`` at the given indexes replaced."""
    if not replacements:
        return query
    mark = "?" if query.startswith("?") else ""
    return mark + FormDoc(query[len(mark) :], "query:").rebuild(replacements)
