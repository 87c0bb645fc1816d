"""Validated PII detectors: SSN, ITIN, payment card, IBAN, e-mail, phone number, ABA routing number,
national identity numbers (China, India's Aadhaar and PAN, Korea, Japan's My Number).

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
says so; a bare ten-digit number is a phone number only under a "phone"-like key (not one naming a
count, size or id: ``cell_count``) or after words that speak of a phone ("call me at", not "tool
call took"; "mobile: …", not "Mobile checkout order …"). A number written as one (``415-555-2671``)
needs no context, but is the code its key or label names (``{"customer_id": …}``, "SKU …").

E-mail decision: an address needs a dotted domain ending in a real (IANA) top-level domain written
in one case or capitalised, so ``user@localhost``, ``pkg@1.2.3`` and matrix-product code (``x@self.weight``,
``q@k.mT``) are not addresses; ``logo@2x.png``-style file names, ``git@host`` SSH remotes and the
``user:pass@host`` part of URLs (a credential, reported by the secret detectors) are skipped.
Documentation domains such as ``example.com`` *are* reported: they look exactly like real ones.
Mailboxes that are nobody's are not: no-reply senders, GitHub's and GitLab's commit privacy
addresses and the fixed commit identities of coding agents and bots (tables in ``pii_tables``).
"""

from __future__ import annotations

import bisect
import datetime
import os
import re
from collections.abc import Callable

from interven_autoguard.digests import blake2b
from interven_autoguard.engine import pii_tables as tables
from interven_autoguard.engine.secrets import uri
from interven_autoguard.engine.types import Hit

__all__ = ["detect", "integer_may_match", "may_match"]

_DIGITS = b"0123456789"
_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = b"abcdefghijklmnopqrstuvwxyz_"
_SEPARATORS = b" ().-"  # what may sit between the digits of a card, SSN or phone number
# The triage also steps over "+": a query string or form body writes a space as "+", and the fields
# the pipeline reads are decoded ("4111+1111+1111+1111" is a card number once parsed).
_TRIAGE_SEPARATORS = _SEPARATORS + b"+"
_MIN_CLUSTER_DIGITS = 7  # the shortest thing we report (a short international phone number)


def _table(*, keep_separators: bool) -> bytes:
    out = bytearray(b"#" * 256)
    for c in _DIGITS:
        out[c] = ord("0")
    for c in _UPPER:
        out[c] = ord("A")
    for c in _LOWER:
        out[c] = ord("a")
    if keep_separators:
        for c in _SEPARATORS + b"+":
            out[c] = c
    out[ord("@")] = ord("@")
    return bytes(out)


# Triage: separators deleted, so "seven digits joined by separators" becomes seven "0"s in a row.
_TRIAGE_TABLE = _table(keep_separators=False)
# Shape: one byte per character, digits → "0", letters → "A"/"a", separators and "+" kept. Every
# candidate pattern below is a pattern over shapes, so a cluster's candidates depend only on its
# shape and can be cached: "2024-01-15" and "1999-12-31" cost one dict look-up between them.
_SHAPE_TABLE = _table(keep_separators=True)
_SEVEN_DIGITS = b"0" * _MIN_CLUSTER_DIGITS
# A maximal run of digits and separators, seven characters or longer (digits are counted after):
# the cheapest pattern Python's engine scans with, measured against stricter "seven digits" forms.
_CLUSTER = re.compile(rb"0[0 ().\-]{%d,}0" % (_MIN_CLUSTER_DIGITS - 2))
# RE2 expressions over ASCII bytes for the engine's one-pass triage (``engine/triage.py``): a text
# matches one of them whenever ``detect`` can report something in it or in a part of it, under any
# key. Narrower than ``may_match``'s seven digits, from the shapes below: every number ``detect``
# reports has nine digits or more (card, SSN, ITIN, routing number, NANP phone), or follows a "+"
# (international), or is a phone number starting with a trunk "0" or "(0" at the start of a digit
# group (national, "00" international). So a dated model name ("claude-3-5-sonnet-20241022",
# "gpt-4o-2024-08-06") or a timestamp of eight digits does not send a request down the full path.
# "+" also counts as a separator: form fields are read with "+" as a space. The IBAN spot is
# case-sensitive (upper-case letters only) inside the case-insensitive union.
_SEP_RUN = "[ ().+\\-]*"  # _TRIAGE_SEPARATORS
# A number token (not the digits inside an identifier or a hex id) with an exponent.
_EXPONENT_NUMBER = r"(?:^|[^0-9A-Za-z_.\-])-?[0-9]+(?:\.[0-9]*)?[eE][+\-]?[0-9]"
TRIAGE_EXPRESSIONS = (
    "@",
    f"[0-9](?:{_SEP_RUN}[0-9]){{8}}",
    f"\\+{_SEP_RUN}[0-9](?:{_SEP_RUN}[0-9]){{{_MIN_CLUSTER_DIGITS - 1}}}",
    "(?:^|[^0-9A-Za-z_])\\(?0[0-9 ().+\\-]{6}",
    f"(?-i:[A-Z]{_SEP_RUN}[A-Z]{_SEP_RUN}[0-9]{_SEP_RUN}[0-9])",
    # A JSON number in exponent form is read as its decimal expansion ("6.77e-2" -> "0.0677"):
    # digits the raw bytes do not hold.
    _EXPONENT_NUMBER,
)
# The same, for a body's text.
EXPONENT_NUMBER = re.compile(_EXPONENT_NUMBER)

# Number boundaries: not glued to a word, not the tail or head of a longer dotted/dashed number.
_LB = rb"(?<![0Aa])(?<!0[.\-])"
_RB = rb"(?![0Aa])(?![.\-]0)"
# A phone number may follow a dash ("tel-0044…") but, like a card or an SSN, never "digit.": digits
# after a decimal point are a fraction ("-0.004926…" is an embedding component, not an "00" prefix).
_PHONE_LB = rb"(?<![0Aa+])(?<!0\.)"
# (kind, shape pattern). Severe kinds first: phone candidates inside an accepted card/SSN are skipped.
_SHAPE_PATTERNS: tuple[tuple[str, re.Pattern[bytes]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            "card",
            _LB + rb"(?:0000([ \-])0000(?:\1)0000(?:\1)0{1,4}"  # 4-4-4-4, 4-4-4-1..3
            rb"|0000([ \-])000000(?:\2)0{4,5}"  # Amex 4-6-5, Diners 4-6-4
            rb"|0{12,19})" + _RB,
        ),
        ("ssn", _LB + rb"000([\- .])00(?:\1)0000" + _RB),
        ("bare9", _LB + rb"0{9}" + _RB),
        # National ids (``_NATIONAL_IDS``): China's 17 digits and a check digit or X, bare or 6-8-4;
        # 12 digits bare or in three groups of four (Aadhaar, My Number), not a card's first twelve;
        # Korea's YYMMDD-GNNNNNC.
        ("cn_id", _LB + rb"(?:0{17}|0{6} 0{8} 000)[0Aa]" + _RB),
        ("id12", _LB + rb"(?<!0[ \-])0000([ \-]?)0000(?:\1)0000(?![ \-]?0)" + _RB),
        ("kr_rrn", _LB + rb"000000-?0000000" + _RB),
        ("intl", _PHONE_LB + rb"\+0[0 ().\-]{5,22}0" + _RB),
        ("intl00", _PHONE_LB + rb"00[0 ().\-]{5,22}0" + _RB),
        ("nanp_bare", _PHONE_LB + rb"0{10,11}" + _RB),
        (
            "nanp",
            _PHONE_LB + rb"(?<!0[ .\-])(?:0[ .\-]?)?(?:\(000\)[ .\-]?|000[ .\-]?)000[ .\-]?0000" + _RB,
        ),
        ("national", _PHONE_LB + rb"\(?0[0 ().\-]{6,16}0" + _RB),
        # National mobile numbers without a trunk 0 (``NATIONAL_MOBILES``): Russia's 8 (916) 123-45-67
        # (11 digits, also bare), China's 139-1234-5678, India's 98765 43210 and 9876543210.
        (
            "mobile",
            _PHONE_LB + rb"(?:0[ \-]?(?:\(000\)|000)[ \-]?000[ \-]?00[ \-]?00|000([ \-])0000(?:\1)0000"
            rb"|00000[ \-]00000|0{10})" + _RB,
        ),
    )
)
# Literals every match of a shape pattern contains (one of them): a long cluster (a body of
# space-separated numbers is one cluster) skips the patterns that cannot match it in one C-level
# search each instead of a regex pass each. A 4-4-4-4 or 4-6-x card holds "0000 0000" or "0000-0000".
_NEEDS: dict[str, tuple[bytes, ...]] = {
    "card": (b"0" * 9, b"0000 0000", b"0000-0000"),
    "ssn": (b"00-00", b"00 00", b"00.00"),
    "bare9": (b"0" * 9,),
    "intl": (b"+",),
    "nanp_bare": (b"0" * 10,),
    "cn_id": (b"0" * 8,),
    "id12": (b"0000",),
    "kr_rrn": (b"0" * 7,),
    "mobile": (b"0" * 7, b"00-00", b"00 00"),
}
_SHAPE_PATTERNS_NEEDING = tuple((kind, pattern, _NEEDS.get(kind)) for kind, pattern in _SHAPE_PATTERNS)
_PHONE_KINDS = frozenset({"intl", "intl00", "nanp", "nanp_bare", "national", "mobile"})
# A national or NANP candidate shaped as a decimal number ("0.01234567", "123.4567890") is dropped
# with its shape: the value checks reject every such text. A national candidate starts with "0", so
# one digit, a point and digits reads "0.digits" (``_DECIMAL_SHAPE``; "020.79460958" has a trunk 0
# and stays); a NANP one with one point starts with its country code "1" or an area code 2-9 (a
# decimal too) or with "0" (no NANP number). So a body of
# floats ("0.01234567 -0.04918263 …", CSV columns) costs no per-number work. ``NUMBER_SHORTCUTS``
# = False restores the full reading, without this, ``_NEEDS`` and the nine-digit context gates of
# ``_clusters``, ``_numbers`` and ``_bare9_kind`` (the shape cache must be cleared with it):
# ``tests/engine/test_numbers_text.py`` compares both.
_DECIMAL_CANDIDATES = {"national": re.compile(rb"0\.0+"), "nanp": re.compile(rb"0+\.0+")}
NUMBER_SHORTCUTS = True
_LEFT_PAD = 4  # context bytes before a cluster in its cache key: look-behinds and a "+(" prefix
_RIGHT_PAD = 2  # context bytes after it: look-aheads
_PAD_LEFT = b"#" * _LEFT_PAD
_PAD_RIGHT = b"#" * _RIGHT_PAD
_MAX_CACHED_SHAPE = 64
_MAX_CACHE = 4096
_shape_cache: dict[bytes, tuple[tuple[str, int, int], ...]] = {}
_phone_cache: dict[tuple[bytes, str | None], bool] = {}
_MEMO_KEY = os.urandom(16)

_A = re.ASCII
_NON_DIGITS = str.maketrans("", "", " ().-+")  # what a phone-number candidate holds besides digits
_IPV4_SHAPE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}", _A)
_DATE_SHAPE = re.compile(
    r"[0-9]{4}[\-./ ][0-9]{1,2}[\-./ ][0-9]{1,2}|[0-9]{1,2}[\-./ ][0-9]{1,2}[\-./ ][0-9]{4}", _A
)
# A decimal number as programs and people write it: one point, no leading zero before a digit.
# "1.4155552671" and "0.578125" are fractions; "020.79460958" (trunk 0) and "+1.4155552671" (EPP
# form) are not written as numbers are, so they stay phone candidates.
_DECIMAL_SHAPE = re.compile(r"(?:0|[1-9][0-9]*)\.[0-9]+", _A)
_ASCII_DIGITS = frozenset("0123456789")
_LONGEST_INTEGER_PART = 32  # how far back ``_decimal_comma_fraction`` walks over an integer part
_FRACTION_DIGITS = 7  # a first group this long after "<digits>," is a fraction, not a phone's first group

_EMAIL_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
# Unicode-aware on purpose: internationalised addresses (``jürgen@bücher.de``) are PII too.
_EMAIL_DOMAIN = re.compile(r"(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+([^\W\d_]{2,63})(?![\w\-])")
_URL_AUTHORITY_STOP = frozenset("/?#\"' \t\r\n<>")
# How far before an address a "://" can stand and still own it: user name and password, at most.
_URI_HEAD = uri.MAX_USERNAME + 1 + uri.MAX_PASSWORD + 3

_CONTEXT_WINDOW = 40
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_ID_WORDS = frozenset({"id", "ids", "uuid", "guid", "uid", "oid", "snowflake"})
_HEX_ID = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"  # UUID / GUID
    r"|[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}",  # W3C traceparent
    re.ASCII,
)
_HEX_ID_REACH = 55  # the longest _HEX_ID match
_LONG_BARE_CARD = 17  # digits, no separators (13 too): see _severe_number


def _any_word(words: frozenset[str], unspaced: frozenset[str] = frozenset()) -> re.Pattern[str]:
    """``words`` between word boundaries; ``unspaced`` ones (zh, ja, ko) anywhere."""
    parts = [r"\b(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")\b"]
    if not words:
        parts = []
    parts.extend(sorted(map(re.escape, unspaced), key=len, reverse=True))
    return re.compile("|".join(parts))


_CARD_WORDS = _any_word(tables.CARD_WORDS)
_PHONE_WORDS = _any_word(tables.PHONE_WORDS - tables.PHONE_WORDS_UNSPACED, tables.PHONE_WORDS_UNSPACED)
_NOT_A_NUMBER_UNSPACED = _any_word(frozenset(), tables.PHONE_NOT_NUMBER_WORDS_UNSPACED)
# Key tokens naming a measure or a code of a phone, "手机型号" (phone model) included.
_PHONE_NOT_NUMBER_KEY_TOKENS = tables.PHONE_NOT_NUMBER_TOKENS | tables.PHONE_NOT_NUMBER_WORDS_UNSPACED
# The key tokens of each national id type, with its words of other scripts: a key is split into
# ASCII words, so "手机号" or "주민등록번호" as a key is matched against these words (``_KeyContext``).
_NATIONAL_ID_KEY_TOKENS = {
    kind: tokens | {w for w in tables.NATIONAL_ID_WORDS[kind] | tables.NATIONAL_ID_WORDS_UNSPACED[kind]
                    if not w.isascii()}
    for kind, tokens in tables.NATIONAL_ID_KEY_TOKENS.items()
}
_NATIONAL_ID_WORDS = {
    kind: _any_word(words, tables.NATIONAL_ID_WORDS_UNSPACED[kind])
    for kind, words in tables.NATIONAL_ID_WORDS.items()
}
# The same words without word boundaries, for a whole text (``_KeyContext.may_name_a_phone`` and
# ``may_name_a_national_id``): every window match is a match of these in the text.
_PHONE_WORDS_ANYWHERE = _any_word(frozenset(), tables.PHONE_WORDS)
_ALL_NATIONAL_ID_KEY_TOKENS = frozenset().union(*_NATIONAL_ID_KEY_TOKENS.values())
_NATIONAL_ID_WORDS_ANYWHERE = _any_word(frozenset(), frozenset().union(
    *tables.NATIONAL_ID_WORDS.values(), *tables.NATIONAL_ID_WORDS_UNSPACED.values()))
# Vocabulary of other scripts a key may hold, matched anywhere in it.
_NON_ASCII_KEY_WORDS = re.compile("|".join(sorted(
    (re.escape(w) for w in tables.PHONE_KEY_TOKENS | tables.PHONE_NOT_NUMBER_WORDS_UNSPACED
     | {w for words in _NATIONAL_ID_KEY_TOKENS.values() for w in words} if not w.isascii()),
    key=len, reverse=True)))
# "call"/"calling" with the word before it (a qualifier such as "tool" disqualifies it) and only
# ``CALL_FOLLOWERS`` up to the end of the window, i.e. right up to the number.
_CALL_FOLLOWER = "|".join(sorted(tables.CALL_FOLLOWERS))
_CALL_PHRASE = re.compile(rf"(?:\b([a-z]+)[\s\-]+)?\bcall(?:ing)?\b(?:[\s:,(+\-]|\b(?:{_CALL_FOLLOWER})\b)*$")
# The words that may stand between a phone word with other readings and its number (punctuation too).
_LEADS_TO_THE_NUMBER = re.compile(
    r"(?:[\W_]|\b(?:" + "|".join(sorted(map(re.escape, tables.PHONE_NUMBER_LEADS))) + r")\b)*"
)
# Words that cancel a phone word when they stand between it and the number.
_NOT_A_NUMBER_WORDS = tables.PHONE_NOT_NUMBER_TOKENS | tables.IDENTIFIER_TOKENS
_PHONE_OR_CODE_WORDS = tables.PHONE_KEY_TOKENS | tables.IDENTIFIER_TOKENS
# The word right before a number (past "#", ":", quotes, "no."/"number"): "SKU 415-555-2671",
# "order #415-555-2671", "customer ID: 415-555-2671", '"part_no": "415-555-2671"'.
_LABEL_GAP = r"[\s:#.=_\-\"']{0,4}"
_CODE_LABEL = re.compile(rf"(?<![a-z0-9])([a-z]+){_LABEL_GAP}(?:(?:number|no|num|nr){_LABEL_GAP})?$")
_CODE_LABELS = tables.IDENTIFIER_TOKENS | _ID_WORDS
_SSN_WORDS = re.compile(r"\b(?:ssn|ss#|social\s+security|soc\.?\s*sec)")
_ITIN_WORDS = re.compile(r"\b(?:itin|tin|taxpayer|tax\s+id)\b")
_ABA_WORDS = re.compile(r"\b(?:routing|aba|rtn|transit)\b")
_NINE_DIGIT_WORDS = re.compile("|".join(f"(?:{p.pattern})" for p in (_SSN_WORDS, _ITIN_WORDS, _ABA_WORDS)))
_NINE_DIGIT_KEY_TOKENS = tables.SSN_KEY_TOKENS | tables.ITIN_KEY_TOKENS | tables.ABA_KEY_TOKENS
# The same words without their word boundaries, for the whole text: every match of
# ``_NINE_DIGIT_WORDS`` in a window before a number is a match of this in the text (a window may cut
# a word, so "\b" could hold in it and not in the text), so "no match" rules out every window.
_NINE_DIGIT_WORDS_ANYWHERE = re.compile(_NINE_DIGIT_WORDS.pattern.replace("\\b", ""))
# Each of those words holds one of these (C-speed ``in`` checks before the regex search).
_NINE_DIGIT_WORD_PARTS = ("ss", "soc", "tin", "tax", "aba", "rtn", "transit")

_SEVERITY = {
    "US_SSN": 0.9,
    "US_ITIN": 0.9,
    "CN_RESIDENT_ID": 0.9,
    "IN_AADHAAR": 0.9,
    "IN_PAN": 0.9,
    "KR_RRN": 0.9,
    "JP_MY_NUMBER": 0.9,
    "CREDIT_CARD": 0.9,
    "IBAN": 0.8,
    "ABA_ROUTING": 0.6,
    "EMAIL": 0.5,
    "PHONE_NUMBER": 0.5,
}
_DETECTOR = {
    "US_SSN": "us-ssn",
    "US_ITIN": "us-itin",
    "CN_RESIDENT_ID": "cn-resident-id",
    "IN_AADHAAR": "in-aadhaar",
    "IN_PAN": "in-pan",
    "KR_RRN": "kr-rrn",
    "JP_MY_NUMBER": "jp-my-number",
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
    if len(text) < _MIN_CLUSTER_DIGITS or text.isalpha():  # too short for any hit, or no digit at all
        return False
    squeezed = text.encode("utf-8", "surrogatepass").translate(_TRIAGE_TABLE, _TRIAGE_SEPARATORS)
    return _SEVEN_DIGITS in squeezed or b"AA00" in squeezed


def integer_may_match(digits: int, key: str | None) -> bool:
    """``False`` guarantees ``detect(t, key)`` is empty for every integer ``t`` as JSON writes it
    (ASCII digits without a leading zero, optionally after a "-") of ``digits`` digits.

    Such a text is one digit run with nothing before it, so its key is its only context: nine
    digits are an SSN, ITIN or routing number only under such a key, ten or eleven a phone number
    only under a phone key, 13 or 17–19 a card only under a card key, 12 and 14–16 a card unless the
    key names an id; shorter or longer runs are never reported. Conservative where cheap: the
    validators decide the rest (``test_integer_may_match_is_a_guarantee``). A JSON body of metrics
    asks this once per key and length, not once per number."""
    if digits < 9 or digits > 19:
        return False
    ctx = _KeyContext(key)
    if digits == 9:
        return ctx.says(tables.SSN_KEY_TOKENS | tables.ITIN_KEY_TOKENS | tables.ABA_KEY_TOKENS)
    if digits <= 11:
        return ctx.says(tables.PHONE_KEY_TOKENS)
    if digits in _NATIONAL_ID_LENGTHS and any(ctx.says(_NATIONAL_ID_KEY_TOKENS[kind])
                                              for kind in _NATIONAL_ID_LENGTHS[digits]):
        return True
    if digits == 13 or digits >= _LONG_BARE_CARD:
        return ctx.says(tables.CARD_KEY_TOKENS)
    return not ctx.says(_ID_WORDS)


def detect(text: str, key: str | None = None) -> list[Hit]:
    """Validated PII in ``text``: sorted, non-overlapping, ``text[h.start:h.end]`` is the value."""
    if not text:
        return []
    hits: list[Hit] = []
    if "@" in text:
        hits.extend(_emails(text))
    # One byte per character ("?" for anything non-ASCII) so shape offsets are text offsets.
    raw = text.encode("ascii", "replace")
    squeezed = raw.translate(_TRIAGE_TABLE, _SEPARATORS)
    numbers, iban_spots = _SEVEN_DIGITS in squeezed, b"AA00" in squeezed
    if not (numbers or iban_spots):
        return _resolve(hits) if len(hits) > 1 else hits  # e-mail addresses only
    ibans: list[Hit] = []  # every valid IBAN, published examples too: their digits are no other number
    if iban_spots:
        shape = raw.translate(_SHAPE_TABLE)
        pos = shape.find(b"AA00")
        ctx = _KeyContext(key)
        while pos >= 0:
            hit = _iban_at(text, pos)
            if hit is not None:
                ibans.append(hit)
            elif pos >= 3:
                hit = _pan_at(text, pos - 3, ctx)
                if hit is not None:
                    hits.append(hit)
            pos = shape.find(b"AA00", pos + 1)
        hits.extend(h for h in ibans if not _published_example_iban(text, h))
    if numbers:
        _clusters(text, raw, _KeyContext(key), ibans, hits)
    return _resolve(hits) if len(hits) > 1 else hits


def _clusters(text: str, raw: bytes, ctx: _KeyContext, ibans: list[Hit], hits: list[Hit]) -> None:
    """Number-shaped PII: find digit clusters, look their shapes up, validate what survives.

    Text and shape are padded on both sides so every cluster's cache key has the same layout:
    ``_LEFT_PAD`` context bytes, the cluster, ``_RIGHT_PAD`` context bytes, then the cluster's first
    two characters as written. Offsets in ``padded`` are text offsets + ``_LEFT_PAD``. Written with
    comprehensions: this is the per-request hot path on JSON full of timestamps and ids.
    """
    padded_raw = _PAD_LEFT + raw + _PAD_RIGHT
    padded = padded_raw.translate(_SHAPE_TABLE)
    spans = [m.span() for m in _CLUSTER.finditer(padded)]
    keys = [padded[s - _LEFT_PAD : e + _RIGHT_PAD] + padded_raw[s : s + 2] for s, e in spans]
    for (s, e), key, found in zip(spans, keys, map(_shape_cache.get, keys)):
        candidates = _candidates(key) if found is None else found
        if not candidates:
            continue
        if len(candidates) == 1 and candidates[0][0] == "bare9" and NUMBER_SHORTCUTS and \
                not ctx.may_name_nine_digits(text):
            continue  # a nine-digit run no word names ("0,683433898"): ``_numbers`` skips it too
        start, end = s - _LEFT_PAD, e - _LEFT_PAD
        if ibans and _covering(ibans, start, end):  # an IBAN's digits are the IBAN's
            continue
        _numbers(text, start - _LEFT_PAD, candidates, ctx, hits)


def _resolve(hits: list[Hit]) -> list[Hit]:
    """Text order; of two overlapping hits keep the more severe (then the longer) one."""
    hits.sort(key=lambda h: (h.start, -h.end))
    chosen: list[Hit] = []
    for h in hits:
        if chosen and h.start < chosen[-1].end:
            last = chosen[-1]
            if (h.severity, h.end - h.start) > (last.severity, last.end - last.start):
                chosen[-1] = h
            continue
        chosen.append(h)
    return chosen


# ---------------------------------------------------------------- context


class _KeyContext:
    """Which PII kinds the field name asks for; computed once per ``detect`` call, lazily."""

    __slots__ = ("_key", "_national_id", "_nine", "_phone", "_tokens", "_words")

    def __init__(self, key: str | None) -> None:
        self._key = key
        self._tokens: frozenset[str] | None = None
        self._words: list[str] = []
        self._nine: bool | None = None
        self._phone: bool | None = None
        self._national_id: bool | None = None

    def may_name_a_phone(self, text: str) -> bool:
        """Can ``_phone_context`` hold anywhere in ``text``? Only if the key is a phone key, or a
        phone word or "call" stands somewhere in the text (searched without word boundaries: a
        window before a number may cut a word). A CSV or a list of floats has neither."""
        if self._phone is None:
            lower = text.lower()
            self._phone = self.says_phone() or "call" in lower or \
                _PHONE_WORDS_ANYWHERE.search(lower) is not None
        return self._phone

    def may_name_a_national_id(self, text: str) -> bool:
        """Can a bare national-id candidate of ``text`` have its context? (As above, for id words.)"""
        if self._national_id is None:
            self._national_id = self.says(_ALL_NATIONAL_ID_KEY_TOKENS) or \
                _NATIONAL_ID_WORDS_ANYWHERE.search(text.lower()) is not None
        return self._national_id

    def may_name_nine_digits(self, text: str) -> bool:
        """Can a nine-digit run of ``text`` (the text of this ``detect`` call) be an SSN, ITIN or
        routing number? Only if the key or a word of the text names one: one search per text, not
        one per number (a CSV with decimal commas has a nine-digit fraction per cell)."""
        if self._nine is None:
            lower = text.lower()
            self._nine = self.says(_NINE_DIGIT_KEY_TOKENS) or (
                any(part in lower for part in _NINE_DIGIT_WORD_PARTS)
                and _NINE_DIGIT_WORDS_ANYWHERE.search(lower) is not None
            )
        return self._nine

    def tokens(self) -> frozenset[str]:
        if self._tokens is None:
            if not self._key:
                self._tokens = frozenset()
            else:
                spaced = _CAMEL.sub(" ", self._key).lower()
                self._words = _WORD.findall(spaced)
                self._tokens = frozenset([*self._words, "".join(self._words)])
                if not spaced.isascii():  # "手机号", "телефон", "주민등록번호"
                    self._tokens |= frozenset(_NON_ASCII_KEY_WORDS.findall(spaced))
        return self._tokens

    def says(self, vocabulary: frozenset[str]) -> bool:
        toks = self.tokens()
        return bool(toks) and not toks.isdisjoint(vocabulary)

    def says_phone(self) -> bool:
        """A phone key ("cell", "mobile_number", "order_phone") that names no count, size or id of
        phones ("cell_count", "phone_number_id") and no code about one ("phone_serial", "sms_batch")."""
        if not self.says(tables.PHONE_KEY_TOKENS) or self.says(_PHONE_NOT_NUMBER_KEY_TOKENS):
            return False
        if not self.says(tables.IDENTIFIER_TOKENS):
            return True
        # both kinds of word: the last one is what the field is ("order_phone" vs "phone_order_no")
        last = next((w for w in reversed(self._words) if w in _PHONE_OR_CODE_WORDS), None)
        return last is None or last in tables.PHONE_KEY_TOKENS

    def names_a_code(self) -> bool:
        """The key names an identifier, a code or a count ("customer_id", "sku", "part_number",
        "item_count") and is no phone key: its value is that, whatever its shape."""
        return (self.says(tables.IDENTIFIER_TOKENS) or self.says(tables.PHONE_NOT_NUMBER_TOKENS)) and \
            not self.says_phone()


def _words_before(text: str, start: int) -> str:
    return text[max(0, start - _CONTEXT_WINDOW) : start].lower()


def _context(
    text: str, start: int, ctx: _KeyContext, vocabulary: frozenset[str], words: re.Pattern[str]
) -> bool:
    return ctx.says(vocabulary) or words.search(_words_before(text, start)) is not None


# ---------------------------------------------------------------- numbers


def _digit_class(c: int) -> str:
    return "z" if c == 48 else "o" if c == 49 else "n" if 50 <= c <= 57 else "-"


def _candidates(key: bytes) -> tuple[tuple[str, int, int], ...]:
    """Every (kind, start, end) whose *shape* fits the cluster and whose first digits can be right.

    ``key`` is laid out as ``_clusters`` builds it. The classes of the cluster's first two
    characters ("z"ero, "o"ne, "n" for 2-9, "-" otherwise) settle most value rules (area codes
    start 2-9, trunk prefixes are 0, no card starts with 0 or 1), so epochs, dates and versions
    come out of the cache as "no candidates". Values are validated later, per candidate.
    """
    shape, written = key[:-2], key[-2:]
    classes = _digit_class(written[0]) + _digit_class(written[1])
    cluster = shape[_LEFT_PAD:-_RIGHT_PAD]
    if cluster.count(b"0") < _MIN_CLUSTER_DIGITS:
        found: tuple[tuple[str, int, int], ...] = ()
    else:
        found = tuple(
            (kind, m.start(), m.end())
            for kind, pattern, needs in _SHAPE_PATTERNS_NEEDING
            if needs is None or not NUMBER_SHORTCUTS or any(literal in shape for literal in needs)
            for m in pattern.finditer(shape)
            if not (NUMBER_SHORTCUTS and kind in _DECIMAL_CANDIDATES
                    and _DECIMAL_CANDIDATES[kind].fullmatch(m.group()))
            and (shape.find(b"0", m.start()) != _LEFT_PAD or _first_digits_fit(kind, m.group(), classes))
        )
    if len(key) <= _MAX_CACHED_SHAPE:
        if len(_shape_cache) >= _MAX_CACHE:
            _shape_cache.clear()
        _shape_cache[key] = found
    return found


def _first_digits_fit(kind: str, candidate: bytes, classes: str) -> bool:
    """Value rules for a candidate that begins at the cluster's first digit (``classes`` of it)."""
    c0 = classes[0]
    if kind == "card":
        return c0 == "n"
    if kind == "mobile":  # ten digits: India's 6-9; eleven: China's 1, Russia's 8
        return c0 == "n" if candidate.count(b"0") == 10 else c0 != "z"
    if kind == "national":
        return c0 == "z"
    if kind == "intl":
        return c0 != "z"
    if kind == "intl00":
        return classes == "zz"
    if kind in ("nanp", "nanp_bare"):
        return c0 == ("o" if candidate.count(b"0") == 11 else "n")
    return True


def _covering(ibans: list[Hit], start: int, end: int) -> bool:
    """Does an IBAN (sorted by start) overlap ``[start, end)``? Its digits are no phone number."""
    i = bisect.bisect_left(ibans, end, key=lambda h: h.start) - 1
    return i >= 0 and ibans[i].end > start


def _numbers(
    text: str,
    base: int,
    candidates: tuple[tuple[str, int, int], ...],
    ctx: _KeyContext,
    hits: list[Hit],
) -> None:
    """Validate the shape candidates of one digit cluster (offsets relative to ``base``)."""
    severe: list[tuple[int, int]] = []
    for kind, rel_start, rel_end in candidates:
        a, b = base + rel_start, base + rel_end
        if kind in _PHONE_KINDS:
            if _cheap_phone_reject(kind, text, a, b):
                continue
            if kind == "mobile" and NUMBER_SHORTCUTS and not ctx.may_name_a_phone(text):
                continue
            if severe and any(a < e and s < b for s, e in severe):
                continue
            if _in_hex_id(text, a, b):
                continue
            hit = _phone(kind, text, a, b, ctx)
        else:
            if kind == "bare9" and NUMBER_SHORTCUTS and not ctx.may_name_nine_digits(text):
                continue
            # a bare national id needs words naming it (``_NATIONAL_IDS``): one search per text
            if kind in _NATIONAL_IDS and NUMBER_SHORTCUTS and text[a:b].isdigit() and \
                    not ctx.may_name_a_national_id(text):
                continue
            if _in_hex_id(text, a, b):
                continue
            hit = _severe_number(kind, text, a, b, ctx)
            if hit is not None:
                severe.append((hit.start, hit.end))
        if hit is not None:
            hits.append(hit)


def _in_hex_id(text: str, a: int, b: int) -> bool:
    """Are digits of ``text[a:b]`` part of a UUID (8-4-4-4-12 hex digits, any case, also inside a
    longer id or URN: ``run-…``, ``urn:uuid:…``) or a W3C trace context (2-32-16-2)? Then they are
    the id's, never a number: about one random UUID in 770,000 has an all-digit middle such as
    ``…-0025-4617-8189-…``, an "00" international number to the phone shapes. Digits in such an id
    always touch one of its dashes (groups are at most 32 characters and a candidate is never glued
    to a letter), so other candidates cost one slice."""
    if "-" not in text[a - 1 if a else 0 : b + 1]:
        return False
    lo, hi = max(0, a - _HEX_ID_REACH), min(len(text), b + _HEX_ID_REACH)
    return any(m.start() < b and a < m.end() for m in _HEX_ID.finditer(text, lo, hi))


def _cheap_phone_reject(kind: str, text: str, a: int, b: int) -> bool:
    """The first digits settle most shape-only candidates (epochs, dates, versions) for free."""
    c0 = text[a]
    if kind == "national":
        return c0 != "0" and not (c0 == "(" and text[a + 1] == "0")
    if kind == "intl00":
        return c0 != "0" or text[a + 1] != "0" or text[a + 2] == "0"
    if kind == "nanp_bare":  # NXX-NXX-XXXX, optionally after a country code 1
        return (c0 in "01") if b - a == 10 else (c0 != "1" or text[a + 1] in "01")
    if kind == "mobile":
        return c0 not in "16789"
    return False


def _severe_number(kind: str, text: str, a: int, b: int, ctx: _KeyContext) -> Hit | None:
    raw = text[a:b]
    if kind in _NATIONAL_IDS:
        return _national_id(kind, text, a, b, ctx)
    if kind == "card":
        # A bare digit run under an identifier key ("id", "message_id", "uuid") is an id that
        # happens to pass Luhn (about 1 in 30 random 16-digit ids); written with separators, or
        # under any other key, it is treated as a card.
        if raw.isdigit() and ctx.says(_ID_WORDS):
            return None
        # 17 to 19 bare digits is the shape of the snowflake ids of Discord, X and others (about one
        # in sixty passes Luhn and an IIN range), in every API path (/webhooks/<id>/…) and body; 13
        # is an EAN/GTIN barcode's (a German one starts 400-440: Visa's IIN) and a millisecond
        # epoch's. Cards that long or that short are rare, and are a card when something says so.
        if raw.isdigit() and (len(raw) == 13 or len(raw) >= _LONG_BARE_CARD) and \
                not _context(text, a, ctx, tables.CARD_KEY_TOKENS, _CARD_WORDS):
            return None
        return _hit("CREDIT_CARD", a, b) if _valid_card(raw) else None
    found = (
        _ssn_kind(raw, text, a, ctx, dashed=raw[3] == "-")
        if kind == "ssn"
        else _bare9_kind(raw, text, a, ctx)
    )
    return _hit(found, a, b) if found else None


_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")  # 2·d, digits summed (7 → 14 → 5)


def _luhn(digits: str) -> bool:
    rev = digits[::-1]
    return (sum(map(int, rev[0::2])) + sum(map(int, rev[1::2].translate(_LUHN_DOUBLED)))) % 10 == 0


def _valid_card(raw: str) -> bool:
    digits = raw.replace(" ", "").replace("-", "")
    if len(set(digits)) == 1 or digits in tables.TEST_CARD_NUMBERS or not _luhn(digits):
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
    # One context look for the three kinds first: most nine-digit runs have none (the fraction of
    # "0,123456789" in a CSV with decimal commas, an order number), and then no checksum is needed.
    if NUMBER_SHORTCUTS and not ctx.says(_NINE_DIGIT_KEY_TOKENS) and \
            _NINE_DIGIT_WORDS.search(_words_before(text, start)) is None:
        return None
    if _valid_aba(digits) and _context(text, start, ctx, tables.ABA_KEY_TOKENS, _ABA_WORDS):
        return "ABA_ROUTING"
    if _valid_itin(digits) and _context(text, start, ctx, tables.ITIN_KEY_TOKENS, _ITIN_WORDS):
        return "US_ITIN"
    if _valid_ssn(digits) and _context(text, start, ctx, tables.SSN_KEY_TOKENS, _SSN_WORDS):
        return "US_SSN"
    return None


# ---------------------------------------------------------------- phone numbers


def _digit_count(s: str) -> int:
    return len(s.translate(_NON_DIGITS))


def _is_valid_phone(raw: str, region: str | None) -> bool:
    """``phonenumbers`` validation, memoised: chat payloads resend the same numbers every turn.

    The memo is keyed by a keyed hash, so numbers do not outlive the request in process memory.
    """
    cache_key = (blake2b(raw.encode(), key=_MEMO_KEY, digest_size=16).digest(), region)
    known = _phone_cache.get(cache_key)
    if known is not None:
        return known
    import phonenumbers  # on first use: its metadata is megabytes, and most payloads hold no phone

    try:
        number = phonenumbers.parse(raw, region)
        valid = phonenumbers.is_valid_number(number) and not _fictional(
            number.country_code, phonenumbers.national_significant_number(number))
    except phonenumbers.NumberParseException:
        valid = False
    if len(_phone_cache) >= _MAX_CACHE:
        _phone_cache.clear()
    _phone_cache[cache_key] = valid
    return valid


def _fictional(country_code: int, national: str) -> bool:
    """A number reserved for fiction and documentation (``FICTIONAL_PHONE_NUMBERS``: NANP 555-01xx,
    Ofcom's drama ranges, ACMA's creative-works numbers): nobody's, like a test card. Asked only of
    numbers ``phonenumbers`` already found valid, so clean traffic never gets here."""
    pattern = _FICTIONAL.get(country_code)
    return pattern is not None and pattern.fullmatch(national) is not None


_FICTIONAL = {cc: re.compile("|".join(f"(?:{p})" for p in patterns))
              for cc, patterns in tables.FICTIONAL_PHONE_NUMBERS.items()}


def _looks_like_other_number(raw: str) -> bool:
    """IPs, dates, versions and decimal fractions share the phone shapes; the phone validators alone
    let some through."""
    return (
        _IPV4_SHAPE.fullmatch(raw) is not None
        or _DATE_SHAPE.fullmatch(raw) is not None
        or _DECIMAL_SHAPE.fullmatch(raw) is not None
    )


def _phone_context(text: str, start: int, ctx: _KeyContext) -> bool:
    """The key, or the words just before the number, say "this is a phone number"."""
    if ctx.says_phone():
        return True
    before = _words_before(text, start)
    for m in _PHONE_WORDS.finditer(before):
        if m.group() in tables.PHONE_WORDS_ONLY_BEFORE_A_NUMBER:
            # "mobile: 415…", "my cell is 415…"; not "cell C7 to 415…", "Mobile checkout order 415…"
            if _LEADS_TO_THE_NUMBER.fullmatch(before, m.end()):
                return True
        elif _NOT_A_NUMBER_WORDS.isdisjoint(_WORD.findall(before, m.end())) and \
                (before.isascii() or _NOT_A_NUMBER_UNSPACED.search(before, m.end()) is None):
            return True
    call = _CALL_PHRASE.search(before) if "call" in before else None
    return call is not None and call.group(1) not in tables.CALL_NOT_PHONE_QUALIFIERS


def _reads_as_code(text: str, a: int, b: int, ctx: _KeyContext) -> bool:
    """A number written like a phone number (``415-555-2671``) that is the code its key or label
    names (``{"sku": …}``, ``{"customer_id": …}``, "customer ID 415-555-2671"), or the middle of a
    longer code glued to it by dashes (``TF-650-253-0000-BLK``). The caller still lets phone
    context win: ``{"order_id": "call me at 415-555-2671"}``."""
    if ctx.names_a_code():
        return True
    if (a >= 2 and text[a - 1] == "-" and text[a - 2].isalnum()) or \
            (b + 1 < len(text) and text[b] == "-" and text[b + 1].isalnum()):
        return True
    label = _CODE_LABEL.search(_words_before(text, a))
    return label is not None and label.group(1) in _CODE_LABELS


def _phone(kind: str, text: str, a: int, b: int, ctx: _KeyContext) -> Hit | None:
    """Value checks for a phone-shaped candidate, cheapest first; ``phonenumbers`` decides last."""
    raw = text[a:b]
    if kind == "mobile":
        return _national_mobile(text, a, b, ctx)
    if kind == "intl" or kind == "intl00":
        if raw[1] == "0" if kind == "intl" else (raw[:2] != "00" or raw[2] == "0"):
            return None
        if kind == "intl00" and _decimal_comma_fraction(text, a, b):  # "12;0,004316851;3,75"
            return None
        span = _longest_valid_prefix(text, a, b)
        return _hit("PHONE_NUMBER", *span) if span else None
    digits = raw.translate(_NON_DIGITS)
    if kind == "nanp" or kind == "nanp_bare":
        if len(digits) == 11 and digits[0] != "1":
            return None
        if digits[-10] in "01" or digits[-7] in "01":  # area code and exchange start with 2-9
            return None
        # A bare ten-digit number is an order id or an epoch unless something says "phone"; one
        # written with separators is a phone number unless it is the code its key or label names.
        if raw.isdigit() and not _phone_context(text, a, ctx):
            return None
        if not raw.isdigit() and _reads_as_code(text, a, b, ctx) and not _phone_context(text, a, ctx):
            return None
        if _looks_like_other_number(raw) or not _is_valid_phone(raw, "US"):
            return None
        return _hit("PHONE_NUMBER", a, b)
    # National format with a trunk "0" ("020 7946 0958"): only where the context says "phone". The
    # shape counts separators too, so "01..0(415" fits it with six digits: too short to report, and
    # reporting it would break ``may_match``'s guarantee (every hit holds seven digits).
    if len(digits) < _MIN_CLUSTER_DIGITS or digits[0] != "0":
        return None
    if _decimal_comma_fraction(text, a, b):  # "0,0301234567"
        return None
    if not _phone_context(text, a, ctx) or _looks_like_other_number(raw):
        return None
    if any(_is_valid_phone(raw, region) for region in tables.PHONE_FALLBACK_REGIONS):
        return _hit("PHONE_NUMBER", a, b)
    return None


def _decimal_comma_fraction(text: str, a: int, b: int) -> bool:
    """Does the phone candidate ``text[a:b]`` (starting with "0") begin with the fraction of a
    number written with a decimal comma ("12;0,004316851;3,75", "-0,0301234567", "1.234,0044207946",
    "0,004316851 3,75 …")? It does when it is glued to "<digits>," and its first group of digits
    is seven long or more, a whole number's worth: a phone number written in groups begins with
    "00" and its country code or a trunk 0 and its area code, six digits at most ("0,0044 20 7946
    0958" stays a candidate: the "0044 20 7946 0958" of a comma-separated row). Not when the comma
    separates a list of numbers: an integer part after a comma ("a,12,0044207946095") or a comma
    and a digit after the group ("12,0044207946095,7").

    For the "0"-led kinds only ("00" international, national trunk 0): "12,4155552671" is as often
    an id and a US number in a comma-separated row, and a bare NANP number needs a phone word anyway.
    """
    if a < 2 or text[a - 1] != "," or text[a - 2] not in _ASCII_DIGITS:
        return False
    g = a
    while g < b and text[g] in _ASCII_DIGITS:
        g += 1
    if g - a < _FRACTION_DIGITS:
        return False
    i, floor = a - 2, max(0, a - 2 - _LONGEST_INTEGER_PART)
    while i > floor and text[i - 1] in _ASCII_DIGITS:
        i -= 1
    if i > 0 and text[i - 1] == ",":
        return False
    return not (text.startswith(",", g) and text[g + 1 : g + 2] in _ASCII_DIGITS)


_NATIONAL_MOBILES = tuple((region, re.compile(written, _A)) for region, written in tables.NATIONAL_MOBILES)


def _national_mobile(text: str, a: int, b: int, ctx: _KeyContext) -> Hit | None:
    """A mobile number in a national form without trunk 0 (China, India, Russia's trunk 8): only
    after a phone word or under a phone key, valid for a region whose form it has."""
    raw = text[a:b]
    regions = [region for region, pattern in _NATIONAL_MOBILES if pattern.fullmatch(raw)]
    if not regions or not _phone_context(text, a, ctx) or _looks_like_other_number(raw):
        return None
    if any(_is_valid_phone(raw, region) for region in regions):
        return _hit("PHONE_NUMBER", a, b)
    return None


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


# ---------------------------------------------------------------- national identity numbers


def _valid_date(year: int, month: int, day: int) -> bool:
    """A birth date: a real calendar day, not in the future."""
    try:
        return datetime.date(year, month, day) <= datetime.date.today()
    except ValueError:
        return False


_CN_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))


def _valid_cn_resident_id(compact: str) -> bool:
    """GB 11643: province code, birth date YYYYMMDD (1900 or later), ISO 7064 MOD 11-2 check (X = 10)."""
    if not compact[:17].isdigit() or int(compact[:2]) not in tables.CN_PROVINCE_CODES:
        return False
    if not (compact[6:8] in ("19", "20") and _valid_date(int(compact[6:10]), int(compact[10:12]),
                                                          int(compact[12:14]))):
        return False
    check = (12 - sum(w * int(c) for w, c in zip(_CN_WEIGHTS, compact)) % 11) % 11
    return compact[17].upper() == ("X" if check == 10 else str(check))


# Verhoeff's dihedral group D5: its multiplication table and the position permutation.
_VERHOEFF_D = tuple(
    tuple((j + k) % 5 if j < 5 and k < 5 else 5 + (j + k) % 5 if j < 5 else
          5 + (j - k) % 5 if k < 5 else (j - k) % 5 for k in range(10))
    for j in range(10)
)
_VERHOEFF_P1 = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)


def _verhoeff_permutations() -> tuple[tuple[int, ...], ...]:
    rows = [tuple(range(10))]
    for _ in range(7):
        rows.append(tuple(_VERHOEFF_P1[d] for d in rows[-1]))
    return tuple(rows)


_VERHOEFF_PERM = _verhoeff_permutations()


def _verhoeff(digits: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _VERHOEFF_D[c][_VERHOEFF_PERM[i % 8][ord(ch) - 48]]
    return c == 0


def _valid_aadhaar(compact: str) -> bool:
    """UIDAI: 12 digits, the first 2-9, Verhoeff check digit; not one repeated digit."""
    return compact[0] >= "2" and len(set(compact)) > 1 and _verhoeff(compact)


def _valid_my_number(compact: str) -> bool:
    """Japan's individual number: the check digit of the ordinance (weights 2-7, 2-6 from the right,
    mod 11; remainders 0 and 1 give 0)."""
    if len(set(compact)) == 1:
        return False
    total = sum(int(d) * (n + 1 if n <= 6 else n - 5) for n, d in enumerate(reversed(compact[:11]), 1))
    remainder = total % 11
    return int(compact[11]) == (0 if remainder <= 1 else 11 - remainder)


_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
# The seventh digit of a Korean RRN: century of birth (and sex; 5-8 for foreign residents).
_RRN_CENTURIES = {"1": 1900, "2": 1900, "3": 2000, "4": 2000, "5": 1900, "6": 1900, "7": 2000, "8": 2000}


def _rrn_checksum(compact: str) -> bool:
    total = sum(w * int(c) for w, c in zip(_RRN_WEIGHTS, compact))
    return (11 - total % 11) % 10 == int(compact[12])


def _valid_kr_rrn(compact: str) -> bool:
    """YYMMDD a real date in the century the seventh digit gives; the check digit for numbers issued
    before October 2020 (later ones end in random digits: those born 2020 or later may lack it)."""
    century = _RRN_CENTURIES.get(compact[6])
    if century is None:
        return False
    year = century + int(compact[:2])
    if not _valid_date(year, int(compact[2:4]), int(compact[4:6])):
        return False
    return year >= 2020 or _rrn_checksum(compact)


def _ends_in_x(raw: str) -> bool:
    return raw[-1] in "Xx"


def _never(raw: str) -> bool:
    return False


# National ids by shape kind: (finding type, validator of the compact value, "the value as written
# speaks for itself", and whether such a value is still the code its key or label names). Without
# that written form a value needs a key or words naming its type (``NATIONAL_ID_KEY_TOKENS``,
# ``NATIONAL_ID_WORDS``): a checksum alone lets one random number in ten or eleven through, and bare
# 12, 13 and 18 digits are account ids, millisecond epochs and snowflake ids. China's X check digit
# is no id's. An Aadhaar in groups of four and a dashed RRN need words too: 4-4-4 digits are also
# tracking numbers and gift-card codes, YYMMDD-NNNNNNN an invoice number, and one in ten passes the
# check digit. A PAN (letters, ``_pan_at``) and a My Number always need words.
_NationalIdRule = tuple[str, Callable[[str], bool], Callable[[str], bool], bool]
_NATIONAL_IDS: dict[str, tuple[_NationalIdRule, ...]] = {
    "cn_id": (("CN_RESIDENT_ID", _valid_cn_resident_id, _ends_in_x, False),),
    "id12": (
        ("IN_AADHAAR", _valid_aadhaar, _never, True),
        ("JP_MY_NUMBER", _valid_my_number, _never, True),
    ),
    "kr_rrn": (("KR_RRN", _valid_kr_rrn, _never, True),),
}
# Digits of the national ids a bare JSON integer can be (``integer_may_match``), and the types.
_NATIONAL_ID_LENGTHS: dict[int, tuple[str, ...]] = {
    12: ("IN_AADHAAR", "JP_MY_NUMBER"), 13: ("KR_RRN",), 18: ("CN_RESIDENT_ID",)}


def _id_context(kind: str, text: str, start: int, ctx: _KeyContext) -> bool:
    return _context(text, start, ctx, _NATIONAL_ID_KEY_TOKENS[kind], _NATIONAL_ID_WORDS[kind])


_NOT_NATIONAL_ID_WORDS = {kind: _any_word(frozenset(), words) if words else None
                          for kind, words in tables.NOT_NATIONAL_ID_WORDS.items()}


def _id_reads_as_code(text: str, a: int, b: int, ctx: _KeyContext) -> bool:
    """As a phone-shaped number: the code its key or label names, in English or, in the words of
    other scripts, after "订单" / "注文" / "주문" (order), "型号" (model), … (``_NOT_A_NUMBER_UNSPACED``)."""
    if _reads_as_code(text, a, b, ctx):
        return True
    before = _words_before(text, a)
    return not before.isascii() and _NOT_A_NUMBER_UNSPACED.search(before) is not None


def _national_id(shape: str, text: str, a: int, b: int, ctx: _KeyContext) -> Hit | None:
    raw = text[a:b]
    compact = raw.replace(" ", "").replace("-", "")
    for kind, valid, speaks_for_itself, may_be_a_code in _NATIONAL_IDS[shape]:
        if not valid(compact):
            continue
        if speaks_for_itself(raw) and not (may_be_a_code and _id_reads_as_code(text, a, b, ctx)):
            other = _NOT_NATIONAL_ID_WORDS.get(kind)
            if other is None or other.search(_words_before(text, a)) is None:
                return _hit(kind, a, b)
        if _id_context(kind, text, a, ctx):
            return _hit(kind, a, b)
    return None


# An Indian PAN: three letters, the holder type, the first letter of the holder's (sur)name, four
# digits (not 0000), a check letter; found at the "AA00" spot of its fifth letter and first digit.
_PAN = re.compile(r"[A-Z]{5}(?!0000)[0-9]{4}[A-Z](?![A-Za-z0-9])", _A)


def _pan_at(text: str, pos: int, ctx: _KeyContext) -> Hit | None:
    """A PAN's shape is every other product or booking code's: reported only under a PAN key or
    after words naming one ("PAN", "permanent account number", "पैन")."""
    if pos > 0 and text[pos - 1].isascii() and text[pos - 1].isalnum():
        return None
    m = _PAN.match(text, pos)
    if m is None or text[pos + 3] not in tables.PAN_HOLDER_TYPES or not _id_context("IN_PAN", text, pos, ctx):
        return None
    return _hit("IN_PAN", pos, m.end())


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
    if m is None:
        return None
    length = _registrable_length(m.group())
    if length is None or text[start:at] == "git" or _inside_url_authority(text, start, at):
        return None
    if _nobodys_mailbox(text[start:at], text[at + 1 : at + 1 + length]):
        return None
    return _hit("EMAIL", start, at + 1 + length)


def _nobodys_mailbox(local: str, domain: str) -> bool:
    """A no-reply sender, a code host's commit privacy address or a bot's fixed commit identity
    (``noreply@anthropic.com``, ``583231+octocat@users.noreply.github.com``): no one's personal data."""
    local, domain = local.lower(), domain.lower()
    return (
        local in tables.NO_REPLY_LOCAL_PARTS
        or domain in tables.NO_REPLY_DOMAINS
        or f"{local}@{domain}" in tables.BOT_COMMIT_ADDRESSES
    )


def _registrable_length(domain: str) -> int | None:
    """Length of the longest leading part of ``domain`` (two labels or more) ending in a real TLD.

    Trailing labels that are no TLD are dropped: "acme.com.Thanks" (a sentence glued on) is the
    address at "acme.com"; "self.weight.T" and "outer.value" (code) have no such part at all.
    """
    labels = domain.split(".")
    while len(labels) >= 2:
        if _is_email_tld(labels[-1]):
            return sum(map(len, labels)) + len(labels) - 1
        labels.pop()
    return None


def _is_email_tld(label: str) -> bool:
    """An IANA top-level domain, written as people write one: "com", "COM", "Com" (a capitalised
    address, "John.Smith@Company.Com"), "рф"; not "mT" (code: "q@k.mT" is not Malta), not "png"."""
    lower = label.lower()
    if lower != label and label.upper() != label and label != label.capitalize():
        return False
    if not lower.isascii():
        try:
            lower = "xn--" + lower.encode("punycode").decode("ascii")
        except UnicodeError:
            return False
    return lower in tables.EMAIL_TLDS and lower not in tables.EMAIL_FAKE_TLDS


def _inside_url_authority(text: str, start: int, at: int) -> bool:
    """``scheme://user:pass@host``: the part before ``@`` is a URL credential, not a mailbox.

    ``start``: where the address would begin, ``at``: its ``@``. For the credential schemes the
    password may hold a raw ``# / ? @`` (``postgres://app:Xk9#vL2q@db…``): the secret detector's
    own reading (``secrets.uri.userinfo_at``) says where that userinfo ends, so ``vL2q@db…`` is not
    reported as an address while ``…/db?contact=me@acme.com`` after the host still is.
    """
    floor = max(0, start - _URI_HEAD)
    sep = text.rfind("://", floor, start)
    if sep < 0:
        return False
    if not any(c in _URL_AUTHORITY_STOP for c in text[sep + 3 : start]):
        return True
    found = uri.userinfo_at(text, sep)
    return found is not None and at <= found[3]


# ---------------------------------------------------------------- IBAN


# IBAN body of exactly N alphanumerics (country code and check digits included), single spaces
# allowed between them, as IBANs are printed in groups of four.
_iban_bodies: dict[int, re.Pattern[str]] = {}  # compiled on first use, one per IBAN length


def _iban_body(length: int) -> re.Pattern[str]:
    pattern = _iban_bodies.get(length)
    if pattern is None:
        pattern = re.compile(
            r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){" + str(length - 4) + r"}(?![A-Za-z0-9])", re.ASCII
        )
        _iban_bodies[length] = pattern
    return pattern


_IBAN_LETTERS = str.maketrans({chr(c): str(c - 55) for c in range(65, 91)})  # A→10 … Z→35


def _iban_at(text: str, pos: int) -> Hit | None:
    if pos > 0 and text[pos - 1].isascii() and text[pos - 1].isalnum():
        return None
    length = tables.IBAN_LENGTHS.get(text[pos : pos + 2])
    if length is None:
        return None
    m = _iban_body(length).match(text, pos)
    if m is None:
        return None
    compact = m.group().replace(" ", "")
    if not any(c.isdigit() for c in compact[4:]):
        return None
    # ISO 13616 mod-97: move the first four characters to the end, letters become 10..35.
    if int((compact[4:] + compact[:4]).translate(_IBAN_LETTERS)) % 97 != 1:
        return None
    return _hit("IBAN", pos, m.end())


def _published_example_iban(text: str, hit: Hit) -> bool:
    """``GB82 WEST 1234 5698 7654 32`` and the other examples of the standards (``EXAMPLE_IBANS``)."""
    return text[hit.start : hit.end].replace(" ", "") in tables.EXAMPLE_IBANS
