"""The embedded scanner: one request in, one decision (with redactions) out.

Pipeline: destination → fields (URL, query, headers, body) → cheap triage → normalise/decode views →
detectors → map hits back to original spans → policy verdict → structure-preserving redaction.
Knows nothing of HTTP client libraries or OpenTelemetry.
"""

from __future__ import annotations

import functools
import operator
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..digests import blake2b, sha256
from ..errors import ScannerError
from ..model import Decision, Finding, ReasonCode, RiskBand, ScanResponse, fingerprint_json
from ..scanner import approvals_wanted
from . import decoding, destinations, pii, secrets, triage
from .auth_content import auth_content, credential_content
from .body import (
    BodyNotInspectable,
    Field,
    ParsedBody,
    ascii_reading,
    media_type,
    names_escape_triage,
    parse_body,
    parse_query,
    raw_text,
    rebuild_query,
)
from .decoding_map import Edit
from .decoding_redact import NotReencodable, apply_edits
from .policy import Policy, Verdict
from .secrets import Bindings
from .secrets.body_auth import FIELD_NAMES as BODY_AUTH_FIELD_NAMES
from .secrets.body_auth import FORM, JSON, MULTIPART, QUERY
from .secrets.rules import GENERIC_KINDS
from .types import DestinationAssessment, Hit, RequestContext

# Header values the HTTP library computes (the message's framing): never worth reading. Everything
# else — User-Agent, Content-Type, and Connection, Keep-Alive, TE, Expect, which are free text an
# agent could carry anything in — can carry data and is scanned.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})
_REDACTION_PASSES = 3
_STR_ONLY = frozenset({str})
_BYTES_ONLY = frozenset({bytes})
_CLEAN_VERDICTS_KEPT = 1024
_CACHED_URL_CHARS = 2048
_VerdictKey = tuple[str, str, "str | None"]
_CleanVerdict = tuple[Decision, tuple[str, ...], float, RiskBand, tuple[str, ...]]
_DECODE_BUDGET = 64 * 1024


@functools.lru_cache(maxsize=4096)
def _assess(url: str, private_network: str) -> DestinationAssessment:
    """Agents call the same endpoints over and over; the assessment is immutable, so reuse it."""
    return destinations.assess(url, private_network=private_network)


@functools.lru_cache(maxsize=1024)
def _text_is_clean(text: str) -> bool:
    """No detector's triage fires on ``text`` (so on no substring of it either), and no JSON key or
    form/query name in it makes a field under it worth a look of its own."""
    return not (secrets.may_match(text) or pii.may_match(text) or decoding.needs_views(text)
                or secrets.may_name_a_secret(text))


def _body_text_is_clean(text: str) -> bool:
    """No detector's triage fires on a body's text, nor on the text of any JSON string in it (each
    level of escapes read), and no JSON number in it is read as digits it does not show."""

    def layer_is_clean(layer: bytes) -> bool:
        decoded = layer.decode("utf-8", "surrogatepass")
        return _text_is_clean.__wrapped__(decoded) and not pii.EXPONENT_NUMBER.search(decoded)

    return triage.clean_in_every_layer(text.encode("utf-8", "surrogatepass"), layer_is_clean)


@functools.lru_cache(maxsize=1024)
def _url_is_clean(url: str) -> bool:
    """``_text_is_clean`` of a URL as the pipeline reads it: ``urlsplit`` drops tabs and line breaks,
    joining what they separate ("AK<TAB>IA…"), so a URL holding one is not judged here."""
    return not ("\t" in url or "\n" in url or "\r" in url) and _text_is_clean(url)


@functools.lru_cache(maxsize=1024)
def _key_is_sensitive(name: str) -> bool:
    return secrets.key_is_sensitive(name)


def _integer_digits(text: str) -> int:
    """How many digits ``text`` has if it is an integer as JSON writes it (``-?(0|[1-9][0-9]*)``),
    else 0."""
    digits = text[1:] if text[:1] == "-" else text
    if not (digits.isdigit() and digits.isascii()) or (digits[0] == "0" and len(digits) > 1):
        return 0
    return len(digits)


@functools.lru_cache(maxsize=4096)
def _integer_is_quiet(digits: int, key: str | None) -> bool:
    """No detector reads anything in an integer of that many digits under ``key`` once the secrets
    prefilter and the decoding triage are clear of it (``_integers_are_clean``)."""
    return not (key and _key_is_sensitive(key)) and not pii.integer_may_match(digits, key)


def _integers_are_clean(fields: list[Field]) -> bool:
    """The secrets prefilter and the decoding triage, once for all the integer fields of a list:
    both promise "False ⇒ nothing in any part of the text", and each integer is a part of the
    comma-joined text (the comma ends every run of blob characters)."""
    joined = ",".join([f.text for f in fields if f.literal is None and _integer_digits(f.text)])
    return not (secrets.may_match(joined) or decoding.needs_views(joined))


# What ``_looks_clean`` does with a header, by lower-cased name.
_SKIP, _CREDENTIAL, _SENSITIVE, _CONTENT_TYPE, _CONTENT_ENCODING, _SCAN = (
    "skip", "credential", "sensitive", "content-type", "content-encoding", "scan")
_Values = Callable[[Sequence[Any]], Sequence[Any]]
# (getter of the scanned values, their keys, Content-Type index, Content-Encoding indices,
#  credential indices with their keys, Host indices, the names' exact types, the tuples of scanned
#  values known clean)
_HeaderPlan = tuple[_Values, tuple[str, ...], int, tuple[int, ...], tuple[tuple[int, str], ...],
                    tuple[int, ...], tuple[type, ...], dict[tuple[Any, ...], bool]]
_HEADER_PLANS_KEPT = 256
_KNOWN_VALUES_KEPT = 256  # per plan: a client repeats a handful of value sets
_header_plans: dict[tuple[str, ...] | tuple[bytes, ...], _HeaderPlan | None] = {}


@functools.lru_cache(maxsize=1024)
def _header_role(lower: str) -> str:
    if lower in _FRAMING_HEADERS:  # what the HTTP library computes: never worth reading
        return _SKIP
    if lower == "cookie" or secrets.is_auth_header(lower):
        # The request's own credentials: they face the binding rule (an agent's key to its own API), and
        # an auth header what it carries besides (``auth_content``).
        return _CREDENTIAL
    if lower == "content-type":
        return _CONTENT_TYPE
    if lower == "content-encoding":
        return _CONTENT_ENCODING
    return _SENSITIVE if secrets.key_is_sensitive(lower) else _SCAN


def _getter(indices: list[int]) -> _Values:
    """``values -> the values at indices``, always a sequence (``itemgetter`` of one index is not)."""
    if len(indices) > 1:
        return operator.itemgetter(*indices)
    if indices:
        index = indices[0]
        return lambda values: (values[index],)
    return lambda values: ()


@functools.lru_cache(maxsize=1024)
def _name_is_clean(name: str) -> bool:
    """Nothing to find in a header name, read as the full pipeline reads it (a field of its own).

    Names repeat on every call; some look like base64 to the triage (``X-Stainless-Package-Version``
    mixes cases), so the detectors' own answer is cached rather than triaged again per request."""
    return _detect(name, None) == ([], False)


def _header_plan(names: tuple[str, ...] | tuple[bytes, ...]) -> _HeaderPlan | None:
    """For a header set's names, in order: a getter of the values the pipeline reads as fields and
    their keys (lower-cased names), where Content-Type is (-1: absent), where Content-Encoding,
    credential and Host headers are, the names' types, and (empty at first) the values seen clean. None when
    the names are not all exactly ``str`` or all exactly ``bytes``, when a name is sensitive (the
    full pipeline reads such a header) or holds something a detector reports, and for byte names
    (latin-1, as sent) repeated in any case."""
    plan = _header_plans.get(names, _header_plans)
    if plan is not _header_plans:
        return plan  # type: ignore[return-value]
    kinds = set(map(type, names))
    if not (kinds <= _STR_ONLY or kinds <= _BYTES_ONLY):
        return None  # not cached: names of other types are not worth a plan
    texts = [n.decode("latin-1") if isinstance(n, bytes) else n for n in names]
    roles = [_header_role(text.lower()) for text in texts]
    repeated = bool(names) and isinstance(names[0], bytes) and len({t.lower() for t in texts}) != len(texts)
    # Two Content-Type (or Content-Encoding) headers: which one a receiver honours is anyone's
    # guess, so the fast path does not pick one.
    framing_twice = roles.count(_CONTENT_TYPE) > 1 or roles.count(_CONTENT_ENCODING) > 1
    if repeated or framing_twice or _SENSITIVE in roles or not all(map(_name_is_clean, texts)):
        result = None
    else:
        scanned = [i for i, role in enumerate(roles) if role not in (_SKIP, _CREDENTIAL)]
        result = (
            _getter(scanned),
            tuple(texts[i].lower() for i in scanned),
            roles.index(_CONTENT_TYPE) if _CONTENT_TYPE in roles else -1,
            tuple(i for i, role in enumerate(roles) if role is _CONTENT_ENCODING),
            tuple((i, texts[i].lower()) for i, role in enumerate(roles) if role is _CREDENTIAL),
            tuple(i for i, text in enumerate(texts) if text.lower() == "host"),
            tuple(map(type, names)),
            {},
        )
    if len(_header_plans) >= _HEADER_PLANS_KEPT:
        _header_plans.clear()  # simple bound: a process has a handful of clients
    _header_plans[names] = result
    return result


# What ``_looks_clean`` learns from the headers: the Content-Type (or None), or that a header alone
# rules the fast path out.
_NUL, _LF, _CR, _BACKSLASH = 0, 10, 13, 92  # bytes looked for in every body, as ints (``_looks_clean``)
_UNCLEAN: Any = object()
_NOT_ENCODED = ("", "identity")


@functools.lru_cache(maxsize=4096)
def _value_is_clean(key: str, value: str) -> bool:
    """The full pipeline's own verdict on one header value — a field keyed by its lower-cased name —
    is "nothing": cached, because clients send the same values on every call (an SDK's user agent
    like ``Anthropic/Python`` reads as base64 to the triage, ``anthropic-version: 2023-06-01`` as a
    number to the PII triage; both are looked at once, not per request)."""
    return _detect(value, key) == ([], False)


@functools.lru_cache(maxsize=4096)
def _byte_value_is_clean(key: str, value: bytes) -> bool:
    return _value_is_clean.__wrapped__(key, value.decode("latin-1"))


def _latin1(value: bytes) -> str:
    return value.decode("latin-1")


def _as_is(value: str) -> str:
    return value


def _planned_head(names: tuple[Any, ...], values: Sequence[Any], host: str, *, raw: bool,
                  bindings: Bindings = ()) -> Any:
    """Names and values of a header set whose names are planned: all ``str`` (a dict the guard hands
    over), or with ``raw`` all ``bytes`` as httpx holds them — then nothing is decoded but the few
    values read here. Anything else (numbers, ``str`` subclasses, a mix) is for the full path: a
    subclass equal to a planned name or a known value could put other bytes on the wire."""
    plan = _header_plans.get(names, _header_plans)
    if plan is _header_plans:
        plan = _header_plan(names)
    if plan is None:
        return _UNCLEAN
    scanned, keys, content_type_at, encodings_at, credentials_at, hosts_at, types, known = plan
    if tuple(map(type, names)) != types or tuple(map(type, values)) != types or \
            (types and (types[0] is bytes) is not raw):
        return _UNCLEAN
    if raw:
        text, value_is_clean = _latin1, _byte_value_is_clean
    else:
        text, value_is_clean = _as_is, _value_is_clean
    for i, key in credentials_at:
        if _credential_unclean(text(values[i]), host, bindings, key):
            return _UNCLEAN
    for i in hosts_at:
        if not host_header_names(text(values[i]), host):
            return _UNCLEAN
    for i in encodings_at:
        if text(values[i]).strip().lower() not in _NOT_ENCODED:
            return _UNCLEAN
    picked = scanned(values)
    if picked not in known:  # these values not seen clean together with this plan yet
        if not all(map(value_is_clean, keys, picked)):
            return _UNCLEAN
        if len(known) >= _KNOWN_VALUES_KEPT:
            known.clear()
        known[picked] = True
    if content_type_at < 0:
        return None
    return values[content_type_at].decode("latin-1") if raw else values[content_type_at]


def _raw_head(pairs: list[tuple[bytes, bytes]], host: str, bindings: Bindings = ()) -> Any:
    """``_planned_head`` of httpx's raw pairs, remembered per (host, the policy's bindings, how
    many, the pairs but Content-Length).

    A client sends the same header set on every call but for Content-Length, which the pipeline
    does not read: one tuple built and looked up replaces splitting the pairs, checking every type
    and looking each value up. Equal pairs are equal bytes, so the same bytes on the wire; only
    sets the plan found clean are remembered (their Content-Type, or None)."""
    count = len(pairs)
    at, length_name = _raw_shapes.get(count) or _raw_shape(pairs)
    # Host and bindings in the key: they decide whether an Authorization value may go out.
    if at < 0:
        key = (host, bindings, count, *pairs)
    elif pairs[at][0] == length_name:
        # The count is in the key: a set without its Content-Length must not meet a shorter set.
        key = (host, bindings, count, *pairs[:at], *pairs[at + 1 :])
    else:  # another shape as long: not remembered
        return _planned_head(*zip(*pairs), host, raw=True, bindings=bindings)
    content_type = _raw_heads.get(key, _UNCLEAN)
    if content_type is _UNCLEAN:
        content_type = _planned_head(*zip(*pairs), host, raw=True, bindings=bindings)
        if content_type is not _UNCLEAN:
            if len(_raw_heads) >= _RAW_HEADS_KEPT:
                _raw_heads.clear()
            _raw_heads[key] = content_type
    return content_type


def _raw_shape(pairs: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    """Where the one Content-Length of the first set seen with this many pairs is, and its name as
    written; (-1, b"") when it has none or several (then its sets are remembered whole)."""
    lengths = [i for i, (name, _) in enumerate(pairs) if name.lower() == b"content-length"]
    shape = (lengths[0], pairs[lengths[0]][0]) if len(lengths) == 1 else (-1, b"")
    if len(_raw_shapes) >= _HEADER_PLANS_KEPT:
        _raw_shapes.clear()
    _raw_shapes[len(pairs)] = shape
    return shape


# For httpx's raw pairs, by their number: where Content-Length is and its name as written; and the
# header sets found clean, by (host, bindings, number of pairs, pairs but Content-Length).
_raw_shapes: dict[int, tuple[int, bytes]] = {}
_raw_heads: dict[tuple[Any, ...], str | None] = {}
_RAW_HEADS_KEPT = 1024


def _pairwise_head(items: Iterable[tuple[str, str]], host: str, bindings: Bindings = ()) -> Any:
    """Any other (name, value) pairs, one by one."""
    content_type = None
    for name, value in items:
        if type(name) is not str or type(value) is not str:
            return _UNCLEAN
        key = name.lower()
        role = _header_role(key)
        if not _name_is_clean(name) or role is _SENSITIVE:
            return _UNCLEAN
        if role is _SKIP:
            continue
        if role is _CREDENTIAL:
            if _credential_unclean(value, host, bindings, key):
                return _UNCLEAN
            continue
        if key == "host" and not host_header_names(value, host):
            return _UNCLEAN
        if role is _CONTENT_TYPE:
            if content_type is not None:
                return _UNCLEAN  # two of them: which one a receiver honours is anyone's guess
            content_type = value
        elif role is _CONTENT_ENCODING and value.strip().lower() not in _NOT_ENCODED:
            return _UNCLEAN
        if not _value_is_clean(key, value):
            return _UNCLEAN
    return content_type


def _credential_hits(value: str, *, auth: bool, key: str | None = None) -> list[tuple[Hit, int, int, str]]:
    """Provider credentials in the request's own credential (auth header value or URL userinfo),
    also when they are encoded (``Bearer <base64 of a token>``, percent-escapes): (hit, start, end in
    ``value``, the credential as decoded). ``key``: the auth header's lower-cased name, which names
    the provider of a context format (``DD-API-KEY``) or, failing any, of the whole value (a
    vendor's own header: ``X-Algolia-API-Key``)."""
    found = [
        (h, h.start, h.end, value[h.start : h.end])
        for h in (secrets.detect_auth_value(value, key) if auth else secrets.detect(value))
    ]
    if decoding.needs_views(value):
        for view in decoding.views(value)[1:]:
            for h in secrets.detect(view.text, key):
                if h.provider:
                    start, end = view.to_original(h.start, h.end)
                    found.append((h, start, end, view.text[h.start : h.end]))
    if not found and key is not None:
        named = secrets.vendor_hit(key, value)
        if named is not None:
            found.append((named, named.start, named.end, value[named.start : named.end]))
    return found


@functools.lru_cache(maxsize=1024)
def host_header_names(value: str, host: str) -> bool:
    """Whether a ``Host`` header value names ``host`` (a destination's normalised host), whatever
    its port, case, trailing dot or notation."""
    return _host_of_header(value) == host


def _host_of_header(value: str) -> str:
    """The host a ``Host`` header value names, normalised as destinations are; "" when empty."""
    text = value.strip()
    if text.startswith("[") and "]" in text:
        text = text[: text.index("]") + 1]
    else:
        name, colon, port = text.rpartition(":")
        if colon and port.isdigit() and ":" not in name:
            text = name
    return destinations.normalize_host(text) if text else ""


def _fronted(header_items: list[tuple[str, str]], dest: DestinationAssessment,
             private_network: str) -> DestinationAssessment | None:
    """Where a ``Host`` header naming another host than the URL's sends the request: a proxy, a CDN
    or a virtual host routes by it, not by the address connected to (domain fronting). None when
    every Host header names the URL's host (or there is none)."""
    for name, value in header_items:
        if name.lower() == "host" and value.strip() and not host_header_names(value, dest.host):
            return _assess(f"{dest.scheme or 'http'}://{value.strip()}/", private_network)
    return None


@functools.lru_cache(maxsize=1024)
def _binding_mismatch(value: str, host: str, bindings: Bindings = (), key: str | None = None) -> bool:
    """Whether an auth header value (of the header named ``key``, lower-cased) carries a provider
    credential not bound to ``host`` (by the provider's own domains or a policy's ``bindings``).

    Cached: an agent sends the same key to the same API on every call.
    """
    return any(
        hit.provider
        and not secrets.auth_header_allowed(hit.provider, host, bindings, detector=hit.detector, header=key)
        for hit, _s, _e, _raw in _credential_hits(value, auth=True, key=key)
    )


@functools.lru_cache(maxsize=1024)
def _credential_unclean(value: str, host: str, bindings: Bindings, key: str) -> bool:
    """Whether a credential header's value (of the header named ``key``, lower-cased) needs the full
    pipeline: a binding mismatch, or something in it that is no credential (``auth_content``).

    Cached, as ``_binding_mismatch``: one look-up per credential header and request, as before."""
    return _binding_mismatch(value, host, bindings, key) or bool(auth_content(key, value))


# How to redact one finding: the edits of its field's text (``decoding_map.SpanMap.redaction``;
# inside a base64/hex blob, a rewrite of the blob), and whether they remove every reading of it that
# was found (False when one could not be written back exactly: a value only a mail reader's
# decoding shows, base64 spelled with escapes).
_Redaction = tuple[list[Edit], bool]


@dataclass
class _FieldHits:
    """Findings of one field, with the original spans to redact."""

    field: Field
    # (start, end, type) in field.text, and the location of the finding: the field's, or a
    # sub-field of it (``body$.raw<mime>.header:To``) whose span is still one of field.text.
    spans: list[tuple[int, int, str, str]]
    redactions: list[_Redaction]  # one per span

    def kept(self, kept: set[tuple[str, int, int, str]] | None, *, strict: bool = False) -> list[Edit]:
        """The edits of findings the verdict acts on (all of them when ``kept`` is None). ``strict``:
        raise ``NotReencodable`` when one of them cannot be removed exactly (where no re-scan of the
        result follows to tell whether its exact edits removed it anyway)."""
        edits: list[Edit] = []
        for (s, e, t, loc), (found, exact) in zip(self.spans, self.redactions):
            if kept is None or (loc, s, e, t) in kept:
                if strict and not exact:
                    raise NotReencodable("a value inside an encoding that cannot be written back")
                edits.extend(found)
        return edits


# (hit, encoding, original span, decoded value, sub-field: "" or a suffix of the field's location,
# how to redact it)
_DetectHit = tuple[Hit, "str | None", tuple[int, int], str, str, _Redaction]


# ``Finding.encoding`` of what only a query/form parameter's literal reading shows (its raw "+" kept
# a "+", ``Field.literal``), prefixed to the decoding chain: "plus", "plus>base64".
LITERAL_READING = "plus"
# The key-name-only rules (``password=``, ``api_key=``) call a value with whitespace prose. In the
# literal reading a "+" stands where the form reading has that whitespace, so words joined by "+"
# ("not+a+real+key") are the same prose to them; a token with a "+" in it is not words.
_GENERIC_RULES = frozenset(rule_id for rule_id, _type in GENERIC_KINDS.values())
_WORD = r"(?:[A-Za-z]{1,16}|[A-Za-z0-9]{1,6})"
_PLUS_JOINED_WORDS = re.compile(_WORD + r"(?:\+" + _WORD + ")+")


# Readings of a field's own characters (no decoding): what they show is not inside anything.
_PLAIN_READINGS = frozenset({None, LITERAL_READING})


def _detect(text: str, key: str | None, literal: str | None = None, *,
            subfields: bool = False) -> tuple[list[_DetectHit], bool]:
    """All hits in ``text`` as (hit, encoding, original span, decoded value, sub-field), and
    whether decoding had to stop early (work budget or depth), i.e. part of the field could not be
    inspected.

    ``literal``: a second reading of the field, character for character (``Field.literal``): its
    hits are spans of ``text`` too, reported once when both readings show them.
    ``subfields``: say which part of a structured field a hit lies in (``View.subfield``: a header
    line of the e-mail a base64 field decodes to, ``"<mime>.header:To"``), reporting a type once
    per span and part; otherwise the sub-field is always ``""``."""
    found: list[_DetectHit] = []
    seen: dict[tuple[str, int, int, str], int] = {}
    stopped = _detect_reading(text, key, None, found, seen, subfields)
    if literal is not None:
        stopped |= _detect_reading(literal, key, LITERAL_READING, found, seen, subfields)
    return found, stopped


def _detect_reading(text: str, key: str | None, reading: str | None, found: list[_DetectHit],
                    seen: dict[tuple[str, int, int, str], int], subfields: bool) -> bool:
    """``_detect`` of one reading, into ``found``; whether decoding stopped early."""
    sensitive_key = bool(key) and secrets.key_is_sensitive(key)  # type: ignore[arg-type]
    layered = decoding.needs_views(text)
    if not (layered or sensitive_key or secrets.may_match(text) or pii.may_match(text)):
        return False
    stopped = False
    if layered:
        # The budget grows with the input so cost stays linear and only adversarial nesting runs out.
        views, stopped = decoding.views_with_status(text, budget=4 * len(text) + _DECODE_BUDGET)
    for view in views if layered else [None]:
        vtext = text if view is None else view.text
        if not (sensitive_key or secrets.may_match(vtext) or pii.may_match(vtext)):
            continue
        subfield = view.subfield if subfields and view is not None else None
        for hit in (*secrets.detect(vtext, key), *pii.detect(vtext, key)):
            span = (hit.start, hit.end) if view is None else view.to_original(hit.start, hit.end)
            part = "" if subfield is None else subfield(hit.start, hit.end)
            mark = (hit.type, span[0], span[1], part)
            if reading is not None and hit.detector in _GENERIC_RULES and \
                    _PLUS_JOINED_WORDS.fullmatch(vtext, hit.start, hit.end):
                continue
            edits = ((*span, hit.type),) if view is None else view.redaction(hit.start, hit.end, hit.type)
            at = seen.get(mark)
            if at is not None:
                # Reported once (same type, span and part: another value in the same blob, another
                # reading of the same one); each value is still removed where it is.
                known, exact = found[at][5]
                known.extend(edits or ())
                if exact and edits is None:
                    found[at] = (*found[at][:5], (known, False))  # type: ignore[assignment]
                continue
            seen[mark] = len(found)
            encoding = None if view is None else view.encoding
            if reading is not None:
                encoding = reading if encoding is None else reading + ">" + encoding
            redaction: _Redaction = (list(edits or ()), edits is not None)
            found.append((hit, encoding, span, vtext[hit.start : hit.end], part, redaction))
    return stopped


def _url_auth(field: Field, hit: Hit, start: int, end: int, host: str, bindings: Bindings) -> bool:
    """Whether a hit in a URL path or query field is the request's own auth to ``host``: a credential
    in an auth position (a parameter named for it, the provider's documented path segment; never a
    parameter's name) that passes the binding rule for a URL (``secrets.is_own_credential``), as it
    would in an auth header. One whose format names no provider (a key under ``?api_key=``) has no
    documented path segment and must be the parameter's whole value."""
    if field.location == "url.path":
        position = bool(hit.provider) and secrets.is_url_auth_position(
            hit.provider or "", path=field.text, span=(start, end))
    else:
        position = not field.is_key and field.key is not None and \
            secrets.is_url_auth_position(hit.provider or "", param=field.key) and \
            (hit.provider is not None or (start, end) == (0, len(field.text)))
    return position and secrets.is_own_credential(
        hit.provider, hit.detector, host, bindings, in_url=True, param=field.key)


def _query_auth_names(fields: list[Field], host: str, path: str, bindings: Bindings) -> frozenset[str]:
    """Lower-case names of the query parameters this endpoint documents as its client's credential
    (``secrets.body_auth_fields``, kind ``QUERY``: Telegram's ``setWebhook?secret_token=``)."""
    if not any(f.key is not None and f.key.lower() in BODY_AUTH_FIELD_NAMES for f in fields):
        return frozenset()
    return frozenset(name for kind, name in secrets.body_auth_fields(host, path, bindings) if kind == QUERY)


def _documented_query_auth(field: Field, hit: Hit, names: frozenset[str], host: str,
                           bindings: Bindings) -> bool:
    """Whether a hit is a documented query auth parameter's value (``_query_auth_names``) that is the
    request's own: one whose format names no provider, or a provider's bound to ``host`` (in a URL)."""
    return bool(names) and not field.is_key and field.key is not None and field.key.lower() in names and \
        (hit.provider is None or secrets.is_own_credential(
            hit.provider, hit.detector, host, bindings, in_url=True, param=field.key))


# An OAuth token request (RFC 6749 §4-6, and the grants of RFC 7523, 7636, 8628, 8693): a form or
# JSON body with a ``grant_type``, whose credential parameters carry the client's or user's own
# credentials to the authorization server — as an Authorization header does. They face the binding
# rule, not the detectors: google-auth refreshing a token sends its GOCSPX- secret and 1//0 refresh
# token to oauth2.googleapis.com on every refresh, and the same two to another host are a mismatch.
_TOKEN_REQUEST_CREDENTIALS = frozenset({
    "client_secret", "refresh_token", "client_assertion", "assertion", "code", "code_verifier",
    "device_code", "subject_token", "actor_token", "password",
})


def _top_level(location: str) -> tuple[str, str] | None:
    """(kind of body, name) of a field that is a form parameter, a multipart text part (not a file
    part, not a part's header) or a top-level JSON key: where a body carries a credential."""
    if location.startswith("form:"):
        return FORM, location[5:]
    if location.startswith("multipart:"):
        name = location[10:]
        return None if "#" in name or "$" in name or "<" in name else (MULTIPART, name)
    if location.startswith("body$."):  # per field of every JSON body: ``in`` tests, not a generator
        name = location[6:]
        return None if "." in name or "[" in name or "<" in name else (JSON, name)
    return None


def _own_credentials(fields: list[Field], host: str, path: str, bindings: Bindings) -> list[int]:
    """Indices of the body's fields that are the request's own credentials (its body auth positions):
    the credential parameters of an OAuth token request (a form or JSON body with a ``grant_type``,
    to any host), and the fields the endpoint documents for its client's credential
    (``secrets.body_auth_fields``: Tavily's ``api_key``, Slack's form ``token``, an S3 presigned
    POST's signing fields, ...)."""
    named = [(i, top) for i, f in enumerate(fields) if not f.is_key and (top := _top_level(f.location))]
    token_request = any(kind != MULTIPART and name == "grant_type" for _i, (kind, name) in named)
    documented = secrets.body_auth_fields(host, path, bindings) \
        if any(name.lower() in BODY_AUTH_FIELD_NAMES for _i, (_k, name) in named) else frozenset()
    return [
        i for i, (kind, name) in named
        if (token_request and kind != MULTIPART and name in _TOKEN_REQUEST_CREDENTIALS)
        or (kind, name.lower()) in documented
    ]


def _detected_fields(parsed: ParsedBody, own: list[int]) -> list[Field]:
    """The body's fields the detectors read: all but the request's own credentials (by index: a
    parse with keys hidden has the same fields in the same order)."""
    return [f for i, f in enumerate(parsed.fields) if i not in own] if own else parsed.fields


_JWK_VALUE = re.compile(secrets.JWK_MEMBER_VALUE)


def _jwk_private_fields(fields: list[Field]) -> list[int]:
    """Indices of the private members of the JSON Web Keys the body holds as JSON (a JWKS document,
    a key object nested in a body, a JSON string holding one: ``body$.keys[0].d``,
    ``body$.note<json>$.d``). The body reader gives each member its own field, so the inline JWK
    reading (``secrets`` rule ``jwk-private-key``, which needs ``kty`` and ``d`` in one text) never
    sees an object whole; members of one object are siblings by location. Public members (``n``,
    ``e``, ``x``, ``y``) are no finding."""
    kinds = {f.location[:-4]: f.text for f in fields
             if not f.is_key and f.key == "kty" and f.location.endswith(".kty")}
    if not kinds:
        return []
    found: list[int] = []
    for i, f in enumerate(fields):
        key = f.key
        if f.is_key or not isinstance(key, str) or not f.location.endswith("." + key):
            continue
        kind = kinds.get(f.location[: -len(key) - 1])
        if kind is not None and key in secrets.JWK_PRIVATE_MEMBERS.get(kind, ()) and \
                _JWK_VALUE.fullmatch(f.text) and secrets.jwk_private_value(f.text):
            found.append(i)
    return found


# Media types a SOAP envelope is sent with (1.1: text/xml; 1.2: application/soap+xml).
_SOAP_MEDIA_TYPES = frozenset({"text/xml", "application/soap+xml", "application/xml"})


def _soap_credentials(parsed: ParsedBody | None, content_type: str | None
                      ) -> dict[int, tuple[tuple[int, int], ...]]:
    """The body auth position of a SOAP request: index of each reading of the whole XML body ->
    the spans of its WS-Security ``PasswordText`` (``secrets.wsse_password_spans``: the envelope's
    header only). Nothing for any other body, a SOAP envelope inside a JSON or form field included."""
    if parsed is None or parsed.kind != "text" or media_type(content_type) not in _SOAP_MEDIA_TYPES:
        return {}
    found: dict[int, tuple[tuple[int, int], ...]] = {}
    for i, f in enumerate(parsed.fields):
        if f.key is None and not f.is_key and (f.location == "body" or f.location.startswith("body<")):
            spans = secrets.wsse_password_spans(f.text)
            if spans:
                found[i] = spans
    return found


def _flagged_keys(hits: list[_FieldHits]) -> set[str]:
    """Texts of key/name fields that held a finding."""
    return {fh.field.text for fh in hits if getattr(fh.field, "is_key", False)}


def _is_placeholder(value: str) -> bool:
    """Whether a value found again in a redacted field is a placeholder, as written or encoded: in a
    re-encoded blob it shows only decoded, and a key-name rule (``password:``) reads a blob that was
    re-encoded to hold nothing but one (a Kubernetes secret's value) as a value again."""
    if "[REDACTED:" in value:
        return True
    return decoding.needs_views(value) and any("[REDACTED:" in v.text for v in decoding.views(value)[1:])


def redact_text(text: str, spans: Iterable[Edit], source: str | None = None, *, in_url: bool = False) -> str:
    """Replace each span with a typed placeholder; overlapping spans merge into one. A span that is
    a base64/hex blob to rewrite (``decoding_map.Blob``) is re-encoded with only the values inside
    it replaced (``decoding_redact.apply_edits``; ``source``: the text blobs are read from, when
    not ``text``; ``in_url``: the text is part of a URL)."""
    return apply_edits(text, spans, source, in_url=in_url)


def _header_items(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if type(headers) is dict and {*map(type, headers), *map(type, headers.values())} <= _STR_ONLY:
        return list(headers.items())  # what the guard passes: str names and values
    items = headers.items() if isinstance(headers, Mapping) else headers
    result: list[tuple[str, str]] = []
    for item in items:
        try:
            name, value = item
        except (TypeError, ValueError):
            raise TypeError("headers must be a mapping or an iterable of (name, value) pairs") from None
        result.append((_as_text(name), _as_text(value)))
    return result


def _as_text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return str(value)


def _header(items: list[tuple[str, str]], name: str) -> str | None:
    for key, value in items:
        if key.lower() == name:
            return value
    return None


def request_fingerprint(method: str, url: str, body: Any) -> str:
    """SHA-256 of method, URL and body, for callers (direct ``scan()``) that give no request hash."""
    digest = sha256()
    digest.update(method.upper().encode() + b"\n" + url.encode("utf-8", "surrogatepass") + b"\n")
    if isinstance(body, (bytes, bytearray, memoryview)):
        digest.update(bytes(body))
    elif isinstance(body, str):
        digest.update(body.encode("utf-8", "surrogatepass"))
    elif body is not None:
        digest.update(fingerprint_json(body))
    return digest.hexdigest()


class LocalScanner:
    """The embedded engine behind ``interven_autoguard.scan()``. Thread-safe; compile once, scan many."""

    name = "embedded"

    def __init__(self, policy: Any = None, *, approvals: Any = None, salt: bytes | None = None) -> None:
        self.policy: Policy = Policy.load(policy)
        self._clean_verdicts: tuple[Policy | None, dict[_VerdictKey, _CleanVerdict]] = (None, {})
        self._quiet_urls: tuple[Policy | None, dict[_VerdictKey, str | bool]] = (None, {})
        self._approvals = approvals
        self._approvals_lock = threading.Lock()
        self._salt = salt if salt is not None else os.urandom(16)

    # ----------------------------------------------------------------- public

    def scan(
        self,
        *,
        method: str = "GET",
        url: str,
        headers: Any = None,
        body: Any = None,
        agent_id: str | None = None,
        request_hash: str | None = None,
    ) -> ScanResponse:
        def hash_of_request() -> str:
            return request_hash or request_fingerprint(method, url, body)

        return self._scan_deferred_hash(method, url, headers, body, agent_id, hash_of_request)

    # The guard calls ``_scan_deferred_hash`` directly while ``scan`` is this very function (a subclass
    # overriding ``scan`` is called through ``scan``): hashing a whole request costs more than
    # scanning a small benign one, and the hash is needed only when an approval is created.
    scan.deferred_hash_entry = "_scan_deferred_hash"  # type: ignore[attr-defined]

    def _scan_deferred_hash(
        self,
        method: str,
        url: str,
        headers: Any,
        body: Any,
        agent_id: str | None,
        request_hash: Callable[[], str],
    ) -> ScanResponse:
        """``scan`` with the request hash as a callable, called only if an approval is created."""
        if not isinstance(method, str) or not method:
            raise TypeError("method must be a non-empty string such as 'POST'")
        if not isinstance(url, str):
            raise TypeError(f"url must be a string, not {type(url).__name__}")
        header_items = _header_items(headers)
        trace_id = os.urandom(16).hex()
        try:
            response = self._scan(method.upper(), url, header_items, body, agent_id, trace_id)
        except Exception as exc:  # an engine bug must not let a request through uninspected
            return ScanResponse(
                decision=Decision.DENY,
                reason_codes=[ReasonCode.SCANNER_ERROR],
                risk_score=1.0,
                risk_band=RiskBand.CRITICAL,
                trace_id=trace_id,
                policy_version=self.policy.version,
                raw={"error": type(exc).__name__},
            )
        if response.decision == Decision.REQUIRE_APPROVAL and approvals_wanted():
            response.approval_id = self._create_approval(
                method.upper(),
                url,
                header_items,
                body,
                response,
                agent_id,
                request_hash(),
            )
        return response

    def warm_up(self) -> None:
        """Compile the detectors' automata now rather than on the first request (``install()``
        calls it): the secrets tables and the one-pass triage."""
        secrets.may_match("warm-up")
        triage.warm_up()

    # The guard asks ``quiet_allow`` first when nothing would record the decision (no tracing, no
    # metrics, no log level that shows an ALLOW): as long as ``scan`` is this very function.
    scan.quiet_allow_entry = "quiet_allow"  # type: ignore[attr-defined]

    def quiet_allow(
        self, method: str, url: str, headers: Iterable[tuple[str, str]] | Mapping[str, str],
        body: bytes | str | None, agent_id: str | None = None,
    ) -> bool:
        """True only if ``scan`` would return ALLOW for this request, without findings.

        The fast lane of a guarded request whose decision nobody records: the destination and the
        policy's verdict on a clean request are remembered per (method, URL, agent), then one
        triage pass over headers and body. False means "ask ``scan``", never "blocked".
        """
        if not isinstance(method, str) or not method or not isinstance(url, str):
            return False  # scan() refuses these with a TypeError: no lane either
        policy = self.policy  # read once: another thread may swap it while this runs
        key = (method, url, agent_id)
        cache = self._quiet_urls
        if cache[0] is not policy:
            cache = self._quiet_urls = (policy, {})
        try:
            host = cache[1].get(key)
        except TypeError:  # an unhashable agent id: scan() says what it makes of it
            return False
        if host is None:
            host = self._quiet_host(method, url, agent_id, policy)
            if len(url) <= _CACHED_URL_CHARS:
                if len(cache[1]) >= _CLEAN_VERDICTS_KEPT:
                    cache[1].clear()
                cache[1][key] = host
        if host is False:
            return False
        try:  # the host is known, so the URL is clean (``_quiet_host``)
            return self._looks_clean(host, headers, body, policy)
        except Exception:  # let ``scan`` meet it: it fails closed and says why
            return False

    def _quiet_host(self, method: str, url: str, agent_id: str | None, policy: Policy) -> str | bool:
        """The URL's host if a clean request to it is allowed (no userinfo, nothing in the URL);
        False otherwise."""
        try:
            dest = _assess(url, policy.private_network)
            if dest.userinfo or not _url_is_clean(url):
                return False
            verdict = self._clean_verdict(method.upper(), url, dest, agent_id, 0, policy)
        except Exception:
            return False
        return dest.host if verdict[0] is Decision.ALLOW else False

    def wait_for_approval(
        self, approval_id: str, *, request_hash: str, timeout: float, on_state: Any = None
    ) -> str:
        from ..approvals.store import wait_for_release

        return wait_for_release(
            self._store(),
            approval_id,
            request_hash=request_hash,
            policy_version=self.policy.version,
            timeout=timeout,
            on_state=on_state,
        )

    async def await_approval(
        self, approval_id: str, *, request_hash: str, timeout: float, on_state: Any = None
    ) -> str:
        from ..approvals.store import await_release

        return await await_release(
            self._store(),
            approval_id,
            request_hash=request_hash,
            policy_version=self.policy.version,
            timeout=timeout,
            on_state=on_state,
        )

    # --------------------------------------------------------------- pipeline

    def _scan(
        self,
        method: str,
        url: str,
        header_items: list[tuple[str, str]],
        body: Any,
        agent_id: str | None,
        trace_id: str,
    ) -> ScanResponse:
        policy = self.policy
        dest = _assess(url, policy.private_network)
        quick = self._quick_allow(method, url, dest, header_items, body, agent_id, trace_id, policy)
        if quick is not None:
            return quick
        parts = _split_url(url)
        findings: list[Finding] = []
        too_large = not_inspectable = False
        auth_mismatch = False
        own_fields: list[Field] = []  # the body's auth positions (``_own_credentials``)
        soap_own: list[tuple[Field, tuple[int, int]]] = []  # and a SOAP header's (``_soap_credentials``)
        undecoded: list[str] = []  # fields whose nested encodings ran past the work budget

        # The request's own credentials (URL userinfo, auth headers) face the binding rule; what an
        # auth header carries besides (PII, a private key) is read by ``_auth_content``.
        if dest.userinfo:
            auth_mismatch |= self._check_binding(dest.userinfo, "url.userinfo", dest, findings, auth=False,
                                                 bindings=policy.bindings)
        auth_mismatch |= self._headers_binding(header_items, dest, findings, policy.bindings)

        # URL path and query: a provider credential bound to this host is its auth; anything else leaks.
        url_hits = self._scan_fields(
            [Field(location="url.path", key=None, text=parts.path)] if parts else [],
            findings,
            dest,
            undecoded,
            bound=policy.bindings,
        )
        query_fields = parse_query(parts.query) if parts and parts.query else []
        query_auth = _query_auth_names(query_fields, dest.host, parts.path, policy.bindings) \
            if parts and query_fields else frozenset()
        mark = len(findings)
        query_hits = self._scan_fields(query_fields, findings, dest, undecoded, bound=policy.bindings,
                                       query_auth=query_auth)
        secret_names = _flagged_keys(query_hits)
        if secret_names:  # a parameter name that holds a value must not be written into locations
            del findings[mark:]
            query_fields = parse_query(parts.query, hide_keys=secret_names)  # type: ignore[union-attr]
            query_hits = self._scan_fields(query_fields, findings, dest, undecoded, bound=policy.bindings,
                                           query_auth=query_auth)

        # The host itself (as written): a value spelled into a DNS name leaks on the look-up alone.
        self._scan_fields(
            [Field(location="url.host", key=None, text=_raw_host(parts.netloc))] if parts else [],
            findings,
            dest,
            undecoded,
            bound=None,
        )

        # Header names are data too (a header named after a key leaks it); a flagged name is never
        # written into a location.
        name_hits = self._scan_fields(
            [
                Field(location=f"header#{i}.name", key=None, text=name)
                for i, (name, _v) in enumerate(header_items)
            ],
            findings,
            dest,
            undecoded,
            bound=None,
        )
        flagged_names = {int(fh.field.location[7:].split(".", 1)[0]) for fh in name_hits}
        header_fields: list[Field | None] = [
            None
            if _header_role(name.lower()) in (_SKIP, _CREDENTIAL)
            else Field(
                location=f"header#{i}" if i in flagged_names else f"header:{name.lower()}",
                key=None if i in flagged_names else name.lower(),
                text=value,
            )
            for i, (name, value) in enumerate(header_items)
        ]
        header_hits = self._scan_fields(
            [f for f in header_fields if f is not None], findings, dest, undecoded, bound=None
        )
        header_hits += self._auth_content(header_items, header_fields, findings)

        parsed: ParsedBody | None = None
        body_hits: list[_FieldHits] = []
        body_size = _body_size(body)
        if body_size > policy.max_body_bytes:
            too_large = True
        elif body is not None:
            ctype, cenc = _header(header_items, "content-type"), _header(header_items, "content-encoding")
            whole = None if isinstance(body, (dict, list, tuple)) else raw_text(body, ctype, cenc)
            clean = whole is not None and self._body_reads_clean(whole, media_type(ctype),
                                                                 policy.max_body_bytes)
            try:
                parsed = (
                    None
                    if clean
                    else parse_body(
                        body,
                        ctype,
                        cenc,
                        max_bytes=policy.max_body_bytes,
                    )
                )
            except BodyNotInspectable as exc:
                too_large = exc.reason_code == ReasonCode.BODY_TOO_LARGE
                not_inspectable = not too_large
            else:
                if parsed is not None:
                    own = _own_credentials(parsed.fields, dest.host, parts.path if parts else "",
                                           policy.bindings)
                    own_fields = [parsed.fields[i] for i in own]
                    for field in own_fields:  # the request's own credentials: the binding rule (and
                        # ``_credential_content`` below, for what they carry besides)
                        auth_mismatch |= self._check_binding(
                            field.text, field.location, dest, findings, auth=False, bindings=policy.bindings)
                    soap = _soap_credentials(parsed, ctype)
                    own_spans = {parsed.fields[i].location: spans for i, spans in soap.items()}
                    soap_own = [(parsed.fields[i], span) for i, spans in soap.items() for span in spans]
                    for field, (start, end) in soap_own:  # a WS-Security PasswordText: the same
                        auth_mismatch |= self._check_binding(field.text[start:end], field.location, dest,
                                                             findings, auth=False, bindings=policy.bindings,
                                                             offset=start)
                    mark = len(findings)
                    body_hits = self._scan_fields(_detected_fields(parsed, own), findings, dest, undecoded,
                                                  bound=None, subfields=True, own_spans=own_spans)
                    secret_keys = _flagged_keys(body_hits)
                    if secret_keys:  # same fields, same order: only the locations change
                        del findings[mark:]
                        parsed = parsed.hide_keys(secret_keys)
                        body_hits = self._scan_fields(_detected_fields(parsed, own), findings, dest,
                                                      undecoded, bound=None, subfields=True,
                                                      own_spans=own_spans)
                    # By index: ``hide_keys`` gave new fields, in the same order.
                    positions: list[tuple[int, tuple[int, int] | None]] = [(i, None) for i in own]
                    positions += [(i, span) for i, spans in soap.items() for span in spans]
                    if positions:
                        self._credential_content(parsed, positions, findings, body_hits)
                    jwk_members = _jwk_private_fields(parsed.fields)
                    if jwk_members:
                        self._jwk_private_keys(parsed, jwk_members, findings, body_hits)

        ctx = _request_context(method, url, dest, parts, agent_id, body_size)
        verdict: Verdict = policy.evaluate(
            ctx,
            findings,
            dest,
            auth_mismatch=auth_mismatch,
            body_too_large=too_large,
            not_inspectable=not_inspectable or bool(undecoded),
        )
        front = _fronted(header_items, dest, policy.private_network)
        if front is not None:
            # Judged as going to the Host header's host as well (its destination hits, host rules,
            # the binding of the request's own credentials); the stricter verdict stands.
            front_findings = list(findings)
            front_mismatch = self._headers_binding(header_items, front, front_findings, policy.bindings)
            url_fields = [Field(location="url.path", key=None, text=parts.path)] if parts else []
            front_mismatch |= self._bound_elsewhere(url_fields + query_fields, dest, front, front_findings,
                                                    policy.bindings)
            for field in own_fields:  # the body's own credentials face the binding rule there too
                front_mismatch |= self._check_binding(field.text, field.location, front, front_findings,
                                                      auth=False, bindings=policy.bindings)
            for field, (start, end) in soap_own:
                front_mismatch |= self._check_binding(field.text[start:end], field.location, front,
                                                      front_findings, auth=False, bindings=policy.bindings,
                                                      offset=start)
            other = policy.evaluate(
                replace(ctx, host=front.host, port=front.port if front.port is not None else ctx.port),
                front_findings,
                front,
                auth_mismatch=auth_mismatch or front_mismatch,
                body_too_large=too_large,
                not_inspectable=not_inspectable or bool(undecoded),
            )
            if Decision(other.decision).rank > Decision(verdict.decision).rank:
                verdict = other
        decision = Decision(verdict.decision)
        reasons = list(verdict.reason_codes)
        risk = verdict.risk_score
        unredactable = {"url.host", "header:host"} | {fh.field.location for fh in name_hits}
        if any(f.location in unredactable for f in verdict.findings):
            # A host name (the URL's or the Host header's) or a header name cannot be redacted
            # without changing where or what is sent.
            decision = Decision.DENY
            risk = max(risk, 0.9)

        kept = {(f.location, f.start, f.end, f.type) for f in verdict.findings}
        response = ScanResponse(
            decision=decision,
            reason_codes=reasons,
            risk_score=round(risk, 3),
            risk_band=RiskBand.for_score(risk),
            trace_id=trace_id,
            policy_version=policy.version,
            matched_rules=list(verdict.matched_rules),
        )
        redact = [
            h
            for h in (*url_hits, *query_hits, *header_hits, *body_hits)
            if any((loc, s, e, t) in kept for s, e, t, loc in h.spans)
        ]
        if redact:
            try:
                response.sanitized_url = _rebuild_url(url, parts, url_hits, query_fields, query_hits, kept)
                response.sanitized_headers = _rebuild_headers(header_items, header_fields, header_hits, kept)
            except NotReencodable:
                # A value inside an encoded blob of the URL or a header that cannot be rewritten
                # exactly (a value only a mail reader's decoding shows, base64 spelled with escapes):
                # as for a host name, nothing safe to send.
                response.sanitized_url = response.sanitized_headers = None
                response.decision = Decision.DENY
            try:
                response.sanitized_body = _rebuild_body(body, parsed, body_hits, kept)
                self._verify_redaction(response, header_items, dest, kept)
            except (BodyNotInspectable, NotReencodable):
                # The value sits where the body cannot be rewritten (a multipart boundary, two
                # charset readings at once, inside an encoding that cannot be written back exactly:
                # ``NotReencodable``): nothing safe to send, so nothing is sent.
                response.sanitized_body = None
                response.decision = Decision.DENY
                if ReasonCode.BODY_NOT_INSPECTABLE not in response.reason_codes:
                    response.reason_codes.append(ReasonCode.BODY_NOT_INSPECTABLE)
        marked = {(loc, s, e, t) for h in redact for s, e, t, loc in h.spans}
        # Allowed findings (allowances, ALLOW types) are reported too, never redacted.
        response.findings = [
            _with_redacted(f, (f.location, f.start, f.end, f.type) in marked) for f in verdict.findings
        ] + [_with_redacted(f, False) for f in verdict.allowed_findings]
        return response

    def _body_reads_clean(self, text: str, mime: str, max_body: int) -> bool:
        """The body's text as a whole holds nothing to look at, so it need not even be parsed. Not
        when it is longer than parsing allows (a node budget of ``max_body``: a compressed body),
        so that parsing's limits apply. (A method, so a test can compare the fast paths with a
        pipeline that reads every field.)"""
        return len(text) <= max_body and not names_escape_triage(mime, text) and _body_text_is_clean(text)

    def _quick_allow(
        self,
        method: str,
        url: str,
        dest: DestinationAssessment,
        header_items: list[tuple[str, str]],
        body: Any,
        agent_id: str | None,
        trace_id: str,
        policy: Policy,
    ) -> ScanResponse | None:
        """The common case without the field pipeline: nothing in the request could match anything
        (``_looks_clean``), so the verdict is the policy's on a request without findings."""
        if dest.userinfo or not _url_is_clean(url) or \
                not self._looks_clean(dest.host, header_items, body, policy):
            return None
        decision, reasons, risk, band, rules = self._clean_verdict(
            method, url, dest, agent_id, _body_size(body), policy)
        return ScanResponse(
            decision=decision,
            reason_codes=list(reasons),
            risk_score=risk,
            risk_band=band,
            trace_id=trace_id,
            policy_version=policy.version,
            matched_rules=list(rules),
        )

    def _looks_clean(self, host: str, headers: Iterable[tuple[Any, Any]] | Mapping[Any, Any], body: Any,
                     policy: Policy) -> bool:
        """True when no detector could report anything in headers or body (the caller has judged
        the URL).

        The raw body gets the triages (every detector's triage promises "False ⇒ no hit in any
        substring"; an ASCII body — nearly all of them — one pass over its bytes); each header name
        and value gets the pipeline's own verdict as a field, cached (clients repeat them).
        Anything that needs a closer look (a credential header, a sensitive header name, a
        compressed or structured body, something decodable) is not clean here and takes the full
        pipeline.
        """
        bindings = policy.bindings
        # Exact types first: an ABC isinstance on every request costs more than the rest of this.
        if type(headers) is list:
            if headers and type(headers[0][0]) is bytes:
                # httpx's raw pairs; a name repeated in any case is one merged field in the full
                # pipeline, so such a set is not planned (see _header_plan)
                content_type = _raw_head(headers, host, bindings)
            else:
                content_type = _pairwise_head(headers, host, bindings)
        elif type(headers) is dict:
            content_type = _planned_head(tuple(headers), list(headers.values()), host, raw=False,
                                         bindings=bindings)
        else:
            content_type = _pairwise_head(
                headers.items() if isinstance(headers, Mapping) else headers, host, bindings)
        if content_type is _UNCLEAN:
            return False
        # Header values were judged one by one (as the pipeline reads them): the body is what is left.
        if body is None:
            return True
        max_body = policy.max_body_bytes
        if isinstance(body, (bytes, str)):
            if len(body) > max_body:  # _body_size of bytes and str
                return False
            data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
            if not data:
                return True
            reading = ascii_reading(content_type)
            # Bytes as ints: ``bytes in bytes`` first tries the needle as an int, formatting a
            # TypeError on every call; an int needle is one memchr.
            if reading.multipart or (reading.form and (_LF in data or _CR in data)):
                return False  # names the triages do not read (``names_escape_triage``)
            if reading.as_is and data.isascii() and _NUL not in data:
                runs_as_is = not reading.form  # a form reads "+" as a space, splitting blob runs
                if _BACKSLASH not in data:  # no escape: the one layer there is
                    return triage.ascii_is_clean(data, runs_as_is=runs_as_is)
                return triage.clean_in_every_layer(
                    data, lambda layer: triage.ascii_is_clean(layer, runs_as_is=runs_as_is))
        elif isinstance(body, (dict, list, tuple)):
            return False
        elif _body_size(body) > max_body:
            return False
        text = raw_text(body, content_type, None)
        return text is not None and self._body_reads_clean(text, media_type(content_type), max_body)

    def _clean_verdict(
        self, method: str, url: str, dest: DestinationAssessment, agent_id: str | None, body_size: int,
        policy: Policy | None = None,
    ) -> _CleanVerdict:
        """The policy's verdict on a request with no findings, cached per (method, URL, agent).

        With no findings the policy reads only the destination (a function of the URL), the
        method, scheme, host, port, path and agent id — not the body size — so the verdict is a
        pure function of the key. Cached per policy object, bounded. ``policy``: the one the caller
        read (a policy swapped by another thread meanwhile must not be mixed in).
        """
        if policy is None:
            policy = self.policy
        cache = self._clean_verdicts
        if cache[0] is not policy:
            cache = self._clean_verdicts = (policy, {})
        key = (method, url, agent_id)
        known = cache[1].get(key)
        if known is not None:
            return known
        parts = _split_url(url)
        ctx = _request_context(method, url, dest, parts, agent_id, body_size)
        verdict = policy.evaluate(ctx, [], dest)
        known = (
            Decision(verdict.decision),
            tuple(verdict.reason_codes),
            round(verdict.risk_score, 3),
            RiskBand.for_score(verdict.risk_score),
            tuple(verdict.matched_rules),
        )
        if len(url) <= _CACHED_URL_CHARS:
            if len(cache[1]) >= _CLEAN_VERDICTS_KEPT:
                cache[1].clear()  # simple bound: agents use a handful of endpoints
            cache[1][key] = known
        return known

    def _scan_fields(
        self,
        fields: list[Field],
        findings: list[Finding],
        dest: DestinationAssessment,
        undecoded: list[str],
        *,
        bound: Bindings | None,
        subfields: bool = False,
        query_auth: frozenset[str] = frozenset(),
        own_spans: Mapping[str, tuple[tuple[int, int], ...]] | None = None,
    ) -> list[_FieldHits]:
        """Detect in each field; locations whose decoding ran out of budget go to ``undecoded``.
        ``bound``: where a credential may be the request's own auth (URL path and query), the
        policy's bindings; None elsewhere. It is auth only in an auth position of the URL and when it
        passes the binding rule for a URL (``_url_auth``): in ``text=`` it is data to its own
        provider too, and so is a self-hosted product's token, or one for a customer's server under
        the provider's domain, unless the policy names the host. What lies inside the request's own
        credential (a JWT's claims) is part of it, as in an auth header.
        ``subfields``: a finding in a header line of the e-mail a (body) field is base64 of is
        located in that line's sub-field, ``body$.raw<mime>.header:To`` (``decoding_mime``).
        ``query_auth``: query parameters the endpoint documents as its auth (``_query_auth_names``).
        ``own_spans``: per field location, spans that are the request's own credential (a SOAP
        header's ``PasswordText``, ``_soap_credentials``), already judged by the binding rule: what
        lies inside one is no finding."""
        result: list[_FieldHits] = []
        integers_clean: bool | None = None  # computed at the first integer field
        for field in fields:
            digits = _integer_digits(field.text) if field.literal is None else 0
            if digits:
                # A metric series or id list: one triage for all its numbers, then a cached
                # answer per (length, key), instead of every detector on every number.
                if integers_clean is None:
                    integers_clean = _integers_are_clean(fields)
                if integers_clean and _integer_is_quiet(digits, field.key):
                    continue
            spans: list[tuple[int, int, str, str]] = []
            redactions: list[_Redaction] = []
            if bound is not None and secrets.is_signed_url_scope(field.key, field.text, dest.host, bound):
                continue  # a signed URL's signer, date and service: the signature authorises
            hits, stopped = _detect(field.text, field.key, field.literal, subfields=subfields)
            if stopped:
                undecoded.append(field.location)
            # e.g. ?key=AIza… to googleapis.com, /bot<token>/ to api.telegram.org, ?token=<JWT>
            auth = [bound is not None and (_url_auth(field, hit, *span, dest.host, bound) or
                                           _documented_query_auth(field, hit, query_auth, dest.host, bound))
                    for hit, _e, span, _v, _p, _r in hits]
            own = [span for (_h, _e, span, _v, _p, _r), is_auth in zip(hits, auth) if is_auth]
            given = own_spans.get(field.location, ()) if own_spans and hits else ()
            for (hit, encoding, (start, end), value, part, redaction), is_auth in zip(hits, auth):
                inside = encoding not in _PLAIN_READINGS and any(s <= start and end <= e for s, e in own)
                if is_auth or inside or any(s <= start and end <= e for s, e in given):
                    continue  # the request's own auth, and what is encoded inside it (a JWT's claims)
                location = field.location + part
                findings.append(self._finding(hit, location, start, end, value, encoding))
                spans.append((start, end, hit.type, location))
                redactions.append(redaction)
            if spans:
                result.append(_FieldHits(field, spans, redactions))
        return result

    def _bound_elsewhere(self, fields: list[Field], dest: DestinationAssessment, front: DestinationAssessment,
                         findings: list[Finding], bindings: Bindings) -> bool:
        """Credentials in the URL's path or query that are the URL host's own auth (so no finding
        there) but not the fronted host's: a binding mismatch for the request sent there."""
        mismatch = False
        for field in fields:
            for hit, _enc, (start, end), value, _part, _r in _detect(field.text, field.key, field.literal)[0]:
                bound_to = functools.partial(_url_auth, field, hit, start, end, bindings=bindings)
                if bound_to(dest.host) and not bound_to(front.host):
                    mismatch = True
                    findings.append(self._binding_finding(hit, field.location, start, end, value))
        return mismatch

    def _headers_binding(self, header_items: list[tuple[str, str]], dest: DestinationAssessment,
                         findings: list[Finding], bindings: Bindings) -> bool:
        """The binding rule on the request's own credential headers (auth headers, Cookie)."""
        mismatch = False
        for i, (name, value) in enumerate(header_items):
            key = name.lower()
            if _header_role(key) is _CREDENTIAL:
                # A name the detectors flag is located by position, as for content headers: a name
                # shaped like an auth header may itself hold a secret (``X-ghp_…-Token``).
                location = f"header:{key}" if _name_is_clean(name) else f"header#{i}"
                mismatch |= self._check_binding(
                    value, location, dest, findings, auth=True, bindings=bindings, key=key)
        return mismatch

    def _auth_content(self, header_items: list[tuple[str, str]], header_fields: list[Field | None],
                      findings: list[Finding]) -> list[_FieldHits]:
        """Findings for what auth headers carry besides their credential (``auth_content``: PII, key
        material), located as their binding findings are; each such header gets its field in
        ``header_fields``, so that redaction rewrites it."""
        result: list[_FieldHits] = []
        for i, (name, value) in enumerate(header_items):
            key = name.lower()
            hits = auth_content(key, value) if header_fields[i] is None else ()
            if not hits:
                continue
            location = f"header:{key}" if _name_is_clean(name) else f"header#{i}"
            field = header_fields[i] = Field(location=location, key=key, text=value)
            found = [(hit, encoding, start, end, raw) for hit, encoding, (start, end), raw in hits]
            self._add_findings(field, found, findings, result)
        return result

    def _add_findings(self, field: Field, found: list[tuple[Hit, str | None, int, int, str]],
                      findings: list[Finding], hits: list[_FieldHits]) -> None:
        """Findings in ``field`` whose spans are its text's own (an encoded value's whole blob),
        replaced as they are; added to ``hits`` under one ``_FieldHits`` per field, since redaction
        rewrites a field from all of its spans at once."""
        fh = next((h for h in hits if h.field is field), None)
        for hit, encoding, start, end, raw in found:
            if fh is None:
                fh = _FieldHits(field, [], [])
                hits.append(fh)
            findings.append(self._finding(hit, field.location, start, end, raw, encoding))
            fh.spans.append((start, end, hit.type, field.location))
            fh.redactions.append(([(start, end, hit.type)], True))

    def _credential_content(self, parsed: ParsedBody, positions: list[tuple[int, tuple[int, int] | None]],
                            findings: list[Finding], hits: list[_FieldHits]) -> None:
        """Findings for what the body's auth positions (field index, and the span of a SOAP
        password in it, or None for the whole field) carry besides their credential
        (``credential_content``: PII, a private key), added to ``hits``: one ``_FieldHits`` per
        field, since redaction rewrites a field from all of its spans at once."""
        for i, span in positions:
            field = parsed.fields[i]
            start, end = span if span is not None else (0, len(field.text))
            found = credential_content(field.key if isinstance(field.key, str) else "", field.text[start:end])
            self._add_findings(field, [(hit, encoding, s + start, e + start, raw)
                                       for hit, encoding, (s, e), raw in found], findings, hits)

    def _jwk_private_keys(self, parsed: ParsedBody, members: list[int], findings: list[Finding],
                          hits: list[_FieldHits]) -> None:
        """A finding for each private member of a JSON Web Key the body holds as JSON
        (``_jwk_private_fields``), the whole value redacted; added to ``hits`` per field."""
        rule = secrets.JWK_RULE
        for i in members:
            field = parsed.fields[i]
            end = len(field.text)
            if any(h.field is field and any(s <= 0 and end <= e for s, e, _t, _l in h.spans) for h in hits):
                continue  # already a finding over the whole value
            hit = Hit(rule.type, rule.id, "secret", 0, end, None, rule.severity)
            self._add_findings(field, [(hit, None, 0, end, field.text)], findings, hits)

    def _check_binding(
        self, value: str, location: str, dest: DestinationAssessment, findings: list[Finding], *, auth: bool,
        bindings: Bindings, key: str | None = None, offset: int = 0,
    ) -> bool:
        """The binding rule on one credential position's ``value`` (at ``offset`` in the field at
        ``location``): a finding for each provider credential in it that is not bound to the host."""
        if auth and not _binding_mismatch(value, dest.host, bindings, key):
            return False  # the common case, cached: an agent sends its key to its provider every call
        mismatch = False
        for hit, start, end, raw in _credential_hits(value, auth=auth, key=key):
            # An auth header's name may make it a relay's module header (``auth_header_allowed``);
            # URL user info and the body's auth fields (``auth=False``) never are.
            if hit.provider and not secrets.auth_header_allowed(
                    hit.provider, dest.host, bindings, detector=hit.detector, header=key if auth else None):
                mismatch = True
                findings.append(self._binding_finding(hit, location, start + offset, end + offset, raw))
        return mismatch

    def _binding_finding(self, hit: Hit, location: str, start: int, end: int, value: str) -> Finding:
        """A provider credential going to a host it is not bound to: where it is, never what."""
        return Finding(
            type=hit.type,
            detector=hit.detector,
            category="credential_binding",
            location=location,
            start=start,
            end=end,
            value_hash=self._hash(value),
            provider=hit.provider,
        )

    def _finding(
        self, hit: Hit, location: str, start: int, end: int, value: str, encoding: str | None
    ) -> Finding:
        return Finding(
            type=hit.type,
            detector=hit.detector,
            category=hit.category,
            location=location,
            start=start,
            end=end,
            value_hash=self._hash(value),
            encoding=encoding,
            provider=hit.provider,
        )

    def _hash(self, value: str) -> str:
        return blake2b(
            value.encode("utf-8", "surrogatepass"), digest_size=6, key=self._salt
        ).hexdigest()

    def _verify_redaction(
        self,
        response: ScanResponse,
        header_items: list[tuple[str, str]],
        dest: DestinationAssessment,
        kept: set[tuple[str, int, int, str]],
    ) -> None:
        """Never the LLM-Guard failure mode: what we send after SANITIZE must not still carry a value.

        Re-scan the redacted body; whatever of a redacted kind still shows up in a redacted field (a
        second encoding of the same value, an overlap) is redacted again, a few passes at most.
        """
        targets = {(location, kind) for location, _s, _e, kind in kept}
        body = response.sanitized_body
        for _ in range(_REDACTION_PASSES):
            leftover = self._leftovers(body, header_items, targets)
            if leftover is None:
                response.sanitized_body = body
                return
            parsed, hits = leftover
            body = _rebuild_body(body, parsed, hits, None)
        raise ScannerError("redaction did not converge")

    def _leftovers(
        self, body: Any, header_items: list[tuple[str, str]], targets: set[tuple[str, str]]
    ) -> tuple[ParsedBody, list[_FieldHits]] | None:
        if body is None:
            return None
        parsed = parse_body(
            body,
            _header(header_items, "content-type"),
            _header(header_items, "content-encoding"),
            max_bytes=max(self.policy.max_body_bytes, _body_size(body)),
        )
        hits: list[_FieldHits] = []
        soap = _soap_credentials(parsed, _header(header_items, "content-type"))  # not content: left as is
        for i, field in enumerate(parsed.fields):
            own = soap.get(i, ())
            found = [
                ((s, e, h.type, field.location + part), redaction)
                for h, _enc, (s, e), value, part, redaction in _detect(field.text, field.key, field.literal,
                                                                       subfields=True)[0]
                if (field.location + part, h.type) in targets and "[REDACTED:" not in field.text[s:e]
                and not _is_placeholder(value) and not any(a <= s and e <= b for a, b in own)
            ]
            if any(not exact for _span, (_edits, exact) in found):
                # Still there after its exact edits, in a reading that cannot be written back.
                raise NotReencodable("a value inside an encoding that cannot be written back")
            if found:
                hits.append(_FieldHits(field, [span for span, _r in found], [r for _s, r in found]))
        return (parsed, hits) if hits else None

    # -------------------------------------------------------------- approvals

    def approvals_db(self) -> Any:
        """Where approvals are kept (the SQLite file's path), for the commands that decide them;
        None for a store that is not a file."""
        return getattr(self._store(), "path", None)

    def _store(self) -> Any:
        with self._approvals_lock:
            if self._approvals is None:
                from ..approvals.store import default_store

                self._approvals = default_store()
            return self._approvals

    def _create_approval(
        self,
        method: str,
        url: str,
        header_items: list[tuple[str, str]],
        body: Any,
        response: ScanResponse,
        agent_id: str | None,
        request_hash: str,
    ) -> str:
        from ..approvals.store import describe_process

        display_body = response.sanitized_body if response.sanitized_body is not None else body
        display_body = self._masked_own_credentials(url, header_items, display_body)
        record = self._store().create(
            method=method,
            url=destinations.redact_url(response.sanitized_url or url),
            request_display=display_request(header_items, display_body, response.sanitized_headers),
            request_hash=request_hash,
            policy_version=self.policy.version,
            reason_codes=list(response.reason_codes),
            risk_score=response.risk_score,
            risk_band=str(response.risk_band),
            agent_id=agent_id,
            process=describe_process(),
            ttl_seconds=float(self.policy.approval_ttl_seconds),
        )
        return str(record.id)

    def _masked_own_credentials(self, url: str, header_items: list[tuple[str, str]], body: Any) -> Any:
        """``body`` with its own credentials (``_own_credentials``: a token request's, the endpoint's
        documented body auth fields) masked for a human approver, as auth headers are."""
        if body is None:
            return body
        policy = self.policy
        try:
            parsed = parse_body(body, _header(header_items, "content-type"),
                                _header(header_items, "content-encoding"),
                                max_bytes=max(policy.max_body_bytes, _body_size(body)))
        except BodyNotInspectable:
            return body
        parts = _split_url(url)
        own = _own_credentials(parsed.fields, _assess(url, policy.private_network).host,
                               parts.path if parts else "", policy.bindings)
        masked = dict.fromkeys(own, "[MASKED]")
        for i, spans in _soap_credentials(parsed, _header(header_items, "content-type")).items():
            text, cuts = parsed.fields[i].text, [0, *(p for span in spans for p in span), None]
            masked[i] = "[MASKED]".join(text[cuts[j] : cuts[j + 1]] for j in range(0, len(cuts), 2))
        return parsed.rebuild(masked) if masked else body


def display_request(
    header_items: list[tuple[str, str]], body: Any, sanitized_headers: Mapping[str, str] | None
) -> dict[str, Any]:
    """The request as a human approver may see it: credentials masked, findings already redacted."""
    headers: dict[str, str] = {}
    for name, value in header_items:
        lower = name.lower()
        if _header_role(lower) is _CREDENTIAL:
            headers[name] = "[MASKED]"
        elif sanitized_headers is not None and name in sanitized_headers:
            headers[name] = sanitized_headers[name]
        else:
            headers[name] = value
    shown: Any = body
    if isinstance(body, (bytes, bytearray, memoryview)):
        shown = bytes(body).decode("utf-8", "replace")
    return {"headers": headers, "body": shown}


# ------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _UrlParts:
    scheme: str
    netloc: str
    path: str
    query: str
    fragment: str


def _request_context(
    method: str,
    url: str,
    dest: DestinationAssessment,
    parts: _UrlParts | None,
    agent_id: str | None,
    body_size: int,
) -> RequestContext:
    return RequestContext(
        method=method,
        url=url,
        scheme=dest.scheme,
        host=dest.host,
        port=dest.port,
        path=parts.path if parts else "",
        agent_id=agent_id,
        body_size=body_size,
    )


def _raw_host(netloc: str) -> str:
    """The host as written in the authority: no userinfo, no port, brackets kept."""
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.partition(":")[0]


def _split_url(url: str) -> _UrlParts | None:
    try:
        p = urlsplit(url)
    except ValueError:
        return None
    return _UrlParts(p.scheme, p.netloc, p.path, p.query, p.fragment)


def _body_size(body: Any) -> int:
    if body is None:
        return 0
    if isinstance(body, (bytes, bytearray)):
        return len(body)
    if isinstance(body, memoryview):
        return body.nbytes
    if isinstance(body, str):
        return len(body)  # characters: a cheap lower bound of the UTF-8 size, exact for ASCII
    return 0  # dict/list: parse_body measures while walking


def _replacements(
    hits: list[_FieldHits], fields: list[Field], kept: set[tuple[str, int, int, str]] | None, *,
    strict: bool = False, in_url: bool = False,
) -> dict[int, str]:
    index = {id(f): i for i, f in enumerate(fields)}
    result: dict[int, str] = {}
    for fh in hits:
        spans = fh.kept(kept, strict=strict)
        if spans:
            result[index[id(fh.field)]] = redact_text(fh.field.text, spans, fh.field.literal, in_url=in_url)
    return result


def _rebuild_body(
    body: Any, parsed: ParsedBody | None, hits: list[_FieldHits], kept: set[tuple[str, int, int, str]] | None
) -> Any:
    if parsed is None or not hits:
        return body
    replacements = _replacements(hits, parsed.fields, kept)
    return parsed.rebuild(replacements) if replacements else body


def _rebuild_url(
    url: str,
    parts: _UrlParts | None,
    url_hits: list[_FieldHits],
    query_fields: list[Field],
    query_hits: list[_FieldHits],
    kept: set[tuple[str, int, int, str]],
) -> str:
    if parts is None or not (url_hits or query_hits):
        return url
    path = parts.path
    for fh in url_hits:
        path = redact_text(path, fh.kept(kept, strict=True), in_url=True)
    query = parts.query
    if query_hits:
        replacements = _replacements(query_hits, query_fields, kept, strict=True, in_url=True)
        if replacements:
            query = rebuild_query(parts.query, replacements)
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def _rebuild_headers(
    header_items: list[tuple[str, str]],
    header_fields: list[Field | None],
    header_hits: list[_FieldHits],
    kept: set[tuple[str, int, int, str]],
) -> dict[str, str]:
    """The headers to send, findings redacted; each header redacted by its own spans (by position,
    not name), repeated names joined with ", " as HTTP allows."""
    by_field = {id(fh.field): fh for fh in header_hits}
    result: dict[str, str] = {}
    lower_to_name: dict[str, str] = {}
    for (name, value), field in zip(header_items, header_fields):
        fh = by_field.get(id(field)) if field is not None else None
        if fh is not None:
            value = redact_text(value, fh.kept(kept, strict=True))
        first = lower_to_name.setdefault(name.lower(), name)
        result[first] = f"{result[first]}, {value}" if first in result else value
    return result


def _with_redacted(finding: Finding, redacted: bool) -> Finding:
    if finding.redacted == redacted:
        return finding
    from dataclasses import replace

    return replace(finding, redacted=redacted)
