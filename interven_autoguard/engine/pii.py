"""Validated PII detectors: SSN, ITIN, payment card, IBAN, e-mail, phone number, ABA routing number.

Runs on every outbound request, so the shape is "triage, then candidates, then validate":

* ``may_match`` maps the text through one ``bytes.translate`` table (digits → ``0``, upper-case
  letters → ``A``, number separators deleted) and looks for three literals: ``@``, seven digits in a
  row, ``AA00`` (an IBAN's country code and check digits). Every hit ``detect`` can produce contains
  one of them, so ``False`` is a guarantee, not a guess.
* ``detect`` uses the same translation (without deleting, so offsets stay aligned) to find digit
  clusters of at least seven digits, ``@`` signs and ``AA00`` spots; only those small windows go
  through the real patterns and the validators (Luhn, mod-97, SSA rules, 3-7-1 checksum,
  ``phonenumbers``).

Context (the JSON key / header name in ``key``, or words just before the value) is required for the
ambiguous shapes: a bare nine-digit number is an SSN, ITIN or routing number only when something
says so; a bare ten-digit number is a phone number only under a "phone"-like key.

E-mail decision: an address needs a dotted domain with an alphabetic TLD, so ``user@localhost`` and
``pkg@1.2.3`` are not addresses; ``logo@2x.png``-style file names, ``git@host`` SSH remotes and the
``user:pass@host`` part of URLs (a credential, reported by the secret detectors) are skipped.
Documentation domains such as ``example.com`` *are* reported: they look exactly like real ones.
"""

from __future__ import annotations

import re

import phonenumbers

from interven_autoguard.engine import pii_tables as tables
from interven_autoguard.engine.types import Hit

__all__ = ["detect", "may_match"]

_DIGITS = b"0123456789"
_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SEPARATORS = b" ().-"  # what may sit between the digits of a card, SSN or phone number
_MIN_CLUSTER_DIGITS = 7  # the shortest thing we report (a short international phone number)


def _table(separator: bytes) -> bytes:
    out = bytearray(b"." * 256)
    for c in _DIGITS:
        out[c] = ord("0")
    for c in _UPPER:
        out[c] = ord("A")
    for c in _SEPARATORS:
        out[c] = separator[0]
    out[ord("@")] = ord("@")
    return bytes(out)


_TRIAGE_TABLE = _table(b".")  # separators are deleted anyway
_SHAPE_TABLE = _table(b"s")  # separators kept, as "s", so offsets match the text
_SEVEN_DIGITS = b"0" * _MIN_CLUSTER_DIGITS
_CLUSTER = re.compile(rb"0[0s]*0")

_A = re.ASCII
# Number boundaries: not glued to a word, not the tail or head of a longer dotted/dashed number.
_LB = r"(?<![0-9A-Za-z_])(?<![0-9][.\-])"
_RB = r"(?![0-9A-Za-z_])(?![.\-][0-9])"
_CARD = re.compile(
    _LB + r"(?:[0-9]{4}([ \-])[0-9]{4}\1[0-9]{4}\1[0-9]{1,4}"  # 4-4-4-4, 4-4-4-1..3
    r"|[0-9]{4}([ \-])[0-9]{6}\2[0-9]{4,5}"  # Amex 4-6-5, Diners 4-6-4
    r"|[0-9]{12,19})" + _RB,
    _A,
)
_SSN_SHAPED = re.compile(_LB + r"[0-9]{3}([\- .])[0-9]{2}\1[0-9]{4}" + _RB, _A)
_BARE9 = re.compile(_LB + r"[0-9]{9}" + _RB, _A)
_PHONE_INTL = re.compile(r"(?<![0-9A-Za-z_+])(?:\+|00)[1-9][0-9 ().\-]{5,22}[0-9]" + _RB, _A)
_PHONE_NANP = re.compile(
    r"(?<![0-9A-Za-z_+])(?<![0-9][ .\-])(?:\+?1[ .\-]?)?(?:\([2-9][0-9]{2}\)[ .\-]?|[2-9][0-9]{2}[ .\-]?)"
    r"[2-9][0-9]{2}[ .\-]?[0-9]{4}" + _RB,
    _A,
)
_PHONE_NATIONAL = re.compile(r"(?<![0-9A-Za-z_+])\(?0[0-9 ().\-]{6,16}[0-9]" + _RB, _A)
_IPV4_SHAPE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}", _A)
_DATE_SHAPE = re.compile(
    r"[0-9]{4}[\-./ ][0-9]{1,2}[\-./ ][0-9]{1,2}|[0-9]{1,2}[\-./ ][0-9]{1,2}[\-./ ][0-9]{4}", _A
)

_EMAIL_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
# Unicode-aware on purpose: internationalised addresses (``jürgen@bücher.de``) are PII too.
_EMAIL_DOMAIN = re.compile(r"(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+([^\W\d_]{2,63})(?![\w\-])")
_URL_AUTHORITY_STOP = frozenset("/?#\"' \t\r\n<>")

_CONTEXT_WINDOW = 40
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_PHONE_WORDS = re.compile(r"\b(?:phone|tel|telephone|mobile|cell|fax|call|sms|whatsapp)\b")
_SSN_WORDS = re.compile(r"\b(?:ssn|ss#|social\s+security|soc\.?\s*sec)")
_ITIN_WORDS = re.compile(r"\b(?:itin|tin|taxpayer|tax\s+id)\b")
_ABA_WORDS = re.compile(r"\b(?:routing|aba|rtn|transit)\b")

_SEVERITY = {
    "US_SSN": 0.9,
    "US_ITIN": 0.9,
    "CREDIT_CARD": 0.9,
    "IBAN": 0.8,
    "ABA_ROUTING": 0.6,
    "EMAIL": 0.5,
    "PHONE_NUMBER": 0.5,
}
_DETECTOR = {
    "US_SSN": "us-ssn",
    "US_ITIN": "us-itin",
    "CREDIT_CARD": "credit-card",
    "IBAN": "iban",
    "ABA_ROUTING": "aba-routing",
    "EMAIL": "email",
    "PHONE_NUMBER": "phone-number",
}


def _hit(kind: str, start: int, end: int) -> Hit:
    return Hit(
        type=kind, detector=_DETECTOR[kind], category="pii", start=start, end=end, severity=_SEVERITY[kind]
    )


def may_match(text: str) -> bool:
    """Cheap triage. ``False`` guarantees ``detect(t, key)`` is empty for every substring ``t``.

    Holds for any ``key`` too: context only ever widens what a *candidate* may be, and every
    candidate contains ``@``, an ``AA00`` spot or a cluster of seven digits.
    """
    if "@" in text:
        return True
    squeezed = text.encode("utf-8", "surrogatepass").translate(_TRIAGE_TABLE, _SEPARATORS)
    return _SEVEN_DIGITS in squeezed or b"AA00" in squeezed


def detect(text: str, key: str | None = None) -> list[Hit]:
    """Validated PII in ``text``: sorted, non-overlapping, ``text[h.start:h.end]`` is the value."""
    if not text:
        return []
    hits: list[Hit] = []
    if "@" in text:
        hits.extend(_emails(text))
    # One byte per character ("?" for anything non-ASCII) so shape offsets are text offsets.
    shape = text.encode("ascii", "replace").translate(_SHAPE_TABLE)
    ctx = _KeyContext(key)
    for m in _CLUSTER.finditer(shape):
        start, end = m.span()
        if shape.count(b"0", start, end) >= _MIN_CLUSTER_DIGITS:
            hits.extend(_numbers(text, start, end, ctx))
    pos = shape.find(b"AA00")
    while pos >= 0:
        hit = _iban_at(text, pos)
        if hit is not None:
            hits.append(hit)
        pos = shape.find(b"AA00", pos + 1)
    return _resolve(hits) if len(hits) > 1 else hits


def _resolve(hits: list[Hit]) -> list[Hit]:
    """Keep the most severe (then longest) of overlapping hits, return them in text order."""
    chosen: list[Hit] = []
    for h in sorted(hits, key=lambda h: (-h.severity, h.start - h.end, h.start)):
        if all(h.end <= c.start or c.end <= h.start for c in chosen):
            chosen.append(h)
    chosen.sort(key=lambda h: h.start)
    return chosen


# ---------------------------------------------------------------- context


class _KeyContext:
    """Which PII kinds the field name asks for; computed once per ``detect`` call, lazily."""

    __slots__ = ("_key", "_tokens")

    def __init__(self, key: str | None) -> None:
        self._key = key
        self._tokens: frozenset[str] | None = None

    def tokens(self) -> frozenset[str]:
        if self._tokens is None:
            if not self._key:
                self._tokens = frozenset()
            else:
                spaced = _CAMEL.sub(" ", self._key).lower()
                words = _WORD.findall(spaced)
                self._tokens = frozenset([*words, "".join(words)])
        return self._tokens

    def says(self, vocabulary: frozenset[str]) -> bool:
        toks = self.tokens()
        return bool(toks) and not toks.isdisjoint(vocabulary)


def _words_before(text: str, start: int) -> str:
    return text[max(0, start - _CONTEXT_WINDOW) : start].lower()


def _context(
    text: str, start: int, ctx: _KeyContext, vocabulary: frozenset[str], words: re.Pattern[str]
) -> bool:
    return ctx.says(vocabulary) or words.search(_words_before(text, start)) is not None


# ---------------------------------------------------------------- numbers


def _numbers(text: str, start: int, end: int, ctx: _KeyContext) -> list[Hit]:
    """All number-shaped PII inside one digit cluster ``text[start:end]``."""
    lo = max(0, start - 2)  # room for a leading "+" / "(" that the cluster does not include
    hi = min(len(text), end + 2)  # room for the right-boundary look-ahead
    out: list[Hit] = []
    for m in _CARD.finditer(text, lo, hi):
        if _valid_card(m.group()):
            out.append(_hit("CREDIT_CARD", m.start(), m.end()))
    for m in _SSN_SHAPED.finditer(text, lo, hi):
        kind = _ssn_kind(m.group(), text, m.start(), ctx, dashed=m.group(1) == "-")
        if kind:
            out.append(_hit(kind, m.start(), m.end()))
    for m in _BARE9.finditer(text, lo, hi):
        kind = _bare9_kind(m.group(), text, m.start(), ctx)
        if kind:
            out.append(_hit(kind, m.start(), m.end()))
    out.extend(_phones(text, lo, hi, ctx))
    return out


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _valid_card(raw: str) -> bool:
    digits = raw.replace(" ", "").replace("-", "")
    if len(set(digits)) == 1 or not _luhn(digits):
        return False
    n = len(digits)
    for lo, hi, lengths, _brand in tables.CARD_RANGES:
        width = len(str(lo))
        if n in lengths and lo <= int(digits[:width]) <= hi:
            return True
    return False


def _ssn_parts(digits: str) -> tuple[int, int, int]:
    return int(digits[:3]), int(digits[3:5]), int(digits[5:])


def _valid_ssn(digits: str) -> bool:
    area, group, serial = _ssn_parts(digits)
    return (
        area not in (0, 666)
        and area < 900
        and group != 0
        and serial != 0
        and digits not in tables.FAKE_SSNS
        and len(set(digits)) > 1
    )


def _valid_itin(digits: str) -> bool:
    area, group, _serial = _ssn_parts(digits)
    return area >= 900 and group in tables.ITIN_GROUPS


def _ssn_kind(raw: str, text: str, start: int, ctx: _KeyContext, *, dashed: bool) -> str | None:
    digits = raw[:3] + raw[4:6] + raw[7:]
    if _valid_itin(digits):
        if dashed or _context(text, start, ctx, tables.ITIN_KEY_TOKENS, _ITIN_WORDS):
            return "US_ITIN"
        return None
    if _valid_ssn(digits) and (dashed or _context(text, start, ctx, tables.SSN_KEY_TOKENS, _SSN_WORDS)):
        return "US_SSN"
    return None


def _valid_aba(digits: str) -> bool:
    if int(digits[:2]) not in tables.ABA_PREFIXES or len(set(digits)) == 1:
        return False
    d = [ord(c) - 48 for c in digits]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]) % 10 == 0


def _bare9_kind(digits: str, text: str, start: int, ctx: _KeyContext) -> str | None:
    """A nine-digit run is only PII when the key or the words before it say which kind."""
    if _valid_aba(digits) and _context(text, start, ctx, tables.ABA_KEY_TOKENS, _ABA_WORDS):
        return "ABA_ROUTING"
    if _valid_itin(digits) and _context(text, start, ctx, tables.ITIN_KEY_TOKENS, _ITIN_WORDS):
        return "US_ITIN"
    if _valid_ssn(digits) and _context(text, start, ctx, tables.SSN_KEY_TOKENS, _SSN_WORDS):
        return "US_SSN"
    return None


# ---------------------------------------------------------------- phone numbers


def _digit_count(s: str) -> int:
    return sum(c.isdigit() for c in s)


def _is_valid_phone(raw: str, region: str | None) -> bool:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def _looks_like_other_number(raw: str) -> bool:
    """IPs, dates and versions share the phone shapes; the phone validators alone let some through."""
    return _IPV4_SHAPE.fullmatch(raw) is not None or _DATE_SHAPE.fullmatch(raw) is not None


def _phones(text: str, lo: int, hi: int, ctx: _KeyContext) -> list[Hit]:
    out: list[Hit] = []
    for m in _PHONE_INTL.finditer(text, lo, hi):
        span = _longest_valid_prefix(text, m.start(), m.end())
        if span:
            out.append(_hit("PHONE_NUMBER", *span))
    phone_context: bool | None = None
    for m in _PHONE_NANP.finditer(text, lo, hi):
        raw = m.group()
        if _looks_like_other_number(raw) or not _is_valid_phone(raw, "US"):
            continue
        if raw.isdigit():  # a bare ten-digit number is an order id or an epoch unless told otherwise
            if phone_context is None:
                phone_context = _context(text, m.start(), ctx, tables.PHONE_KEY_TOKENS, _PHONE_WORDS)
            if not phone_context:
                continue
        out.append(_hit("PHONE_NUMBER", m.start(), m.end()))
    for m in _PHONE_NATIONAL.finditer(text, lo, hi):
        raw = m.group()
        if _digit_count(raw) < _MIN_CLUSTER_DIGITS or _looks_like_other_number(raw):
            continue
        if phone_context is None:
            phone_context = _context(text, m.start(), ctx, tables.PHONE_KEY_TOKENS, _PHONE_WORDS)
        if phone_context and any(_is_valid_phone(raw, r) for r in tables.PHONE_FALLBACK_REGIONS):
            out.append(_hit("PHONE_NUMBER", m.start(), m.end()))
    return out


def _longest_valid_prefix(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The candidate may have swallowed a following number; drop trailing groups until it validates."""
    for _ in range(4):
        raw = text[start:end]
        if _digit_count(raw) < _MIN_CLUSTER_DIGITS:
            return None
        number = "+" + raw[2:] if raw.startswith("00") else raw
        if not _looks_like_other_number(raw) and _is_valid_phone(number, None):
            return start, end
        cut = max(raw.rfind(" "), raw.rfind("-"), raw.rfind("."))
        if cut <= 1:
            return None
        end = start + len(raw[:cut].rstrip(" -.("))
    return None


# ---------------------------------------------------------------- e-mail


def _emails(text: str) -> list[Hit]:
    out: list[Hit] = []
    at = text.find("@")
    while at >= 0:
        hit = _email_at(text, at)
        if hit is not None:
            out.append(hit)
        at = text.find("@", at + 1)
    return out


def _email_at(text: str, at: int) -> Hit | None:
    start = at
    floor = max(0, at - 64)
    while start > floor and (text[start - 1] in _EMAIL_LOCAL_CHARS or text[start - 1].isalnum()):
        start -= 1
    while start < at and text[start] == ".":
        start += 1
    if start == at or text[at - 1] == "." or (start == floor and floor > 0):
        return None
    m = _EMAIL_DOMAIN.match(text, at + 1)
    if m is None or m.group(1).lower() in tables.EMAIL_FAKE_TLDS:
        return None
    if text[start:at] == "git" or _inside_url_authority(text, start):
        return None
    return _hit("EMAIL", start, m.end())


def _inside_url_authority(text: str, start: int) -> bool:
    """``scheme://user:pass@host``: the part before ``@`` is a URL credential, not a mailbox."""
    head = text[max(0, start - 256) : start]
    sep = head.rfind("://")
    if sep < 0:
        return False
    return not any(c in _URL_AUTHORITY_STOP for c in head[sep + 3 :])


# ---------------------------------------------------------------- IBAN


def _iban_at(text: str, pos: int) -> Hit | None:
    if pos > 0 and (text[pos - 1].isascii() and text[pos - 1].isalnum()):
        return None
    length = tables.IBAN_LENGTHS.get(text[pos : pos + 2])
    if length is None:
        return None
    chars: list[str] = []
    i, n = pos, len(text)
    while i < n and len(chars) < length:
        c = text[i]
        if ("0" <= c <= "9") or ("A" <= c <= "Z"):
            chars.append(c)
            i += 1
        elif c == " " and chars and i + 1 < n and text[i + 1] != " ":
            i += 1  # single spaces between groups are how IBANs are printed
        else:
            return None
    if len(chars) < length or (i < n and text[i].isascii() and text[i].isalnum()):
        return None
    compact = "".join(chars)
    if not any(c.isdigit() for c in compact[4:]):
        return None
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    if int(numeric) % 97 != 1:
        return None
    return _hit("IBAN", pos, i)
