"""Shared pieces of the body codecs: the ``Field`` record, the error, and location formatting.

Every object key and parameter name is scanned as a field of its own (``is_key=True``): a key
can carry a credential as well as a value can. A key field's ``location`` is the location of the
value it names plus ``<key>`` (``body$.messages<key>``, ``body$.a[#3]<key>``, ``form:#2<key>``).
Locations show plain keys (``body$.messages[0].content``) and replace keys that could be values (an
e-mail, a long token, ``@``, digit runs) by their position (``[#3]``, ``#2``). Structured parameter
names built of letter-only words and short indexes (``Destination.ToAddresses.member.1`` of the AWS
Query APIs, ``shipping[phone]``, ``items[0][price]``) are shown: no piece of one can hold a value. A key
that looked plain may still hold a finding, and then it must not be shown either: parse again with
``hide_keys={that key text}`` (``parse_body``, ``parse_query``, ``ParsedBody.hide_keys``) and every
key with that text is written by position. Field order, count and texts do not change, only
locations, so field ``i`` of one parse is field ``i`` of the other.

Within one document each distinct key text is one field (the location of its first occurrence);
replacing it renames every occurrence, and JSON keys stay unique within their object.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(slots=True)
class Field:
    """One scannable piece of a request body, query or form."""

    location: str  # "body$.messages[2].content", "body", "form:name", "multipart:name#file"
    key: str | None  # last key / field name: context for detectors (never shown in findings)
    text: str  # the value as text (JSON numbers as their JSON text)
    is_key: bool = False  # True when ``text`` is an object key or parameter name, not a value
    # A second reading of the same characters, or None: a query/form parameter written with a raw
    # "+" as read by a receiver that keeps it a "+" (``text`` reads it as a space, the form rule).
    # Same length as ``text``, character for character, so a span found in it is that span of
    # ``text`` (see ``body_form``).
    literal: str | None = None


class BodyNotInspectable(Exception):
    """The body cannot be inspected; the scanner turns this into a fail-closed decision.

    The message says why (size, encoding, structure) and never contains body content.
    """

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code


TOO_LARGE = "BODY_TOO_LARGE"
NOT_INSPECTABLE = "BODY_NOT_INSPECTABLE"

# Keys shown as ``.key``; keys shown quoted as ``['a b']``; anything else is hidden.
_DOTTED_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$\-]{0,63}")
_QUOTABLE_KEY = re.compile(r"[A-Za-z0-9_$\-. :/]{1,64}")
_DIGIT_RUN = re.compile(r"\d{4}")
_MIXED_CASE_DIGIT = re.compile(r"(?=.*[a-z])(?=.*[A-Z])(?=.*\d)")
# 16+ letters and digits with no separator: the shape of access keys and other tokens.
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]{16,}")
# A structured parameter name: a letter-only word, then ``.piece`` or ``[piece]`` (``[]`` too), each
# piece a letter-only word or an index of 1-3 digits, no two indexes in a row. Digits only ever
# stand alone and short, so no piece can be a token, a digit run or a value cut into parts.
_NAME_WORD = r"[A-Za-z][A-Za-z_\-]*"
_NAME_PIECE = rf"(?:\.{_NAME_WORD}|\[{_NAME_WORD}\]|\[\])"
_NAME_INDEX = r"(?:\.\d{1,3}|\[\d{1,3}\])"
_STRUCTURED_NAME = re.compile(rf"{_NAME_WORD}(?:{_NAME_PIECE}|{_NAME_INDEX}(?!\.\d|\[\d))+")


def key_segment(key: str) -> str | None:
    """The location segment for an object key, or None when the key must not be shown.

    A key is hidden when it could be a value: long digit runs (cards, SSNs, phone numbers),
    token-like mixes of upper case, lower case and digits, 16+ letters and digits without a
    separator (``AKIA...``), or characters outside a plain set
    (``@`` of e-mail addresses, ``=`` of base64, ...), or longer than 64 characters. A structured
    name (``Destination.ToAddresses.member.1``, ``shipping[phone]``: letter-only words and short
    indexes, see ``_STRUCTURED_NAME``) is shown whatever its case and length up to 64.
    """
    return None if len(key) > 64 else _short_key_segment(key)


@functools.lru_cache(maxsize=4096)  # keys repeat across fields and requests; only short ones cached
def _short_key_segment(key: str) -> str | None:
    if _STRUCTURED_NAME.fullmatch(key):
        return "['" + key + "']"
    if _DIGIT_RUN.search(key) or (len(key) >= 16 and (_MIXED_CASE_DIGIT.match(key) or _has_token(key))):
        return None
    if _DOTTED_KEY.fullmatch(key):
        return "." + key
    if _QUOTABLE_KEY.fullmatch(key) and ".." not in key:
        return "['" + key + "']"
    return None


def _has_token(key: str) -> bool:
    """Whether a 16+ run of letters and digits mixes both (``AKIA...``, not ``maxtokensperuser``)."""
    return any(not run.isdigit() and not run.isalpha() for run in _ALNUM_RUN.findall(key))


def param_name(name: str, index: int, hidden: frozenset[str] = frozenset()) -> str:
    """How a form/query/multipart parameter name appears in a location."""
    if not name or name in hidden:
        return "#" + str(index)
    seg = key_segment(name)
    return name if seg is not None else "#" + str(index)


def unique_names(names: list[str], others: set[str]) -> list[str]:
    """``names`` made distinct from each other and from ``others``: ``[R]``, ``[R]#2``, ``[R]#3``."""
    taken = set(others)
    result = []
    for wanted in names:
        name, n = wanted, 1
        while name in taken:
            n += 1
            name = f"{wanted}#{n}"
        taken.add(name)
        result.append(name)
    return result
