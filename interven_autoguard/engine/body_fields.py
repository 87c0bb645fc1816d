"""Shared pieces of the body codecs: the ``Field`` record, the error, and location formatting.

Locations are shown in findings and matched by policy, so a key that could itself be the
sensitive value (an e-mail, a token used as a JSON key) is never written into a location: it is
replaced by its position (``[#3]``) and scanned as a field of its own instead.
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


def key_segment(key: str) -> str | None:
    """The location segment for an object key, or None when the key must not be shown.

    A key is hidden when it could be a value: long digit runs (cards, SSNs, phone numbers),
    token-like mixes of upper case, lower case and digits, or characters outside a plain set
    (``@`` of e-mail addresses, ``=`` of base64, ...), or longer than 64 characters.
    """
    return None if len(key) > 64 else _short_key_segment(key)


@functools.lru_cache(maxsize=4096)  # keys repeat across fields and requests; only short ones cached
def _short_key_segment(key: str) -> str | None:
    if _DIGIT_RUN.search(key) or (len(key) >= 16 and _MIXED_CASE_DIGIT.match(key)):
        return None
    if _DOTTED_KEY.fullmatch(key):
        return "." + key
    if _QUOTABLE_KEY.fullmatch(key) and ".." not in key:
        return "['" + key + "']"
    return None


def param_name(name: str, index: int) -> str:
    """How a form/query/multipart parameter name appears in a location."""
    if not name:
        return "#" + str(index)
    seg = key_segment(name)
    return name if seg is not None else "#" + str(index)
