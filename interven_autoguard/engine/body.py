"""Request bodies as scannable fields, and back: ``parse_body`` → ``ParsedBody.rebuild``.

``rebuild`` returns a body of the type it was given (dict stays dict, bytes stay bytes, gzip stays
gzip) with only the replaced field text changed; with no replacements it returns the original
object itself. Anything that cannot be inspected raises ``BodyNotInspectable`` with a reason code
so the scanner can fail closed.

Bytes are read in every plausible way, not only the declared charset: a receiver may ignore it.
When the declared/BOM codec is not ASCII-compatible (UTF-16, UTF-32, EBCDIC, UTF-7...) the raw
bytes are read as UTF-8 (or latin-1) as well; when NULs in the bytes fall into the pattern of UTF-16/32
text without a BOM, the UTF-16 and UTF-32 readings are added. Fields of an extra reading are located under
``body<utf-16-le>``, ``body<utf-8>$...`` and so on. ``rebuild`` redacts whichever reading holds the
replacements and raises ``BodyNotInspectable`` when it cannot do so faithfully (replacements in
two readings at once, or in a reading that only decoded with substitutions).
"""

from __future__ import annotations

import codecs
import functools
import json
import re
import warnings
import zlib
from collections.abc import Callable, Collection
from typing import Any, NamedTuple, Protocol

from .body_fields import NOT_INSPECTABLE, TOO_LARGE, BodyNotInspectable, Field
from .body_form import FormDoc, parse_query, rebuild_query
from .body_json import JsonLinesDoc, JsonObjDoc, JsonTextDoc, Limits, looks_like_json_container

__all__ = [
    "BodyNotInspectable",
    "Field",
    "ParsedBody",
    "parse_body",
    "parse_query",
    "raw_text",
    "rebuild_query",
]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_DECOMPRESSED = 50 * 1024 * 1024
DEFAULT_MAX_DEPTH = 10_000


class _TextDoc(Protocol):
    fields: list[Field]

    def rebuild(self, replacements: dict[int, str]) -> Any: ...


class ParsedBody:
    """A body as fields, plus the means to rebuild it with some field texts replaced."""

    __slots__ = ("_args", "_doc", "_original", "_wrap", "charset", "fields", "kind")

    def __init__(
        self,
        kind: str,
        fields: list[Field],
        original: object,
        doc: _TextDoc | None = None,
        wrap: Callable[[Any], Any] | None = None,
        charset: str | None = None,
    ) -> None:
        self.kind = kind  # "json" | "form" | "multipart" | "text" | "binary" | "empty"
        self.fields = fields
        # The codec the text was read with; "latin-1" when the declared one could not decode it.
        self.charset = charset
        self._original = original
        self._doc = doc
        self._wrap = wrap
        # How parse_body was called (for hide_keys); set by parse_body.
        self._args: tuple[Any, ...] = ()

    def rebuild(self, replacements: dict[int, str]) -> Any:
        """The body with ``fields[i].text`` replaced by ``replacements[i]``, in the original type."""
        fields = self.fields
        changed = {}
        for i, new in replacements.items():
            if not 0 <= i < len(fields):
                raise IndexError(f"no field {i} in this body ({len(fields)} fields)")
            if new != fields[i].text:
                changed[i] = new
        if not changed or self._doc is None:
            return self._original
        rebuilt = self._doc.rebuild(changed)
        return self._wrap(rebuilt) if self._wrap is not None else rebuilt

    def hide_keys(self, keys: Collection[str]) -> ParsedBody:
        """The same body parsed again with every key/name whose text is in ``keys`` written by
        position in locations. Same fields in the same order; only ``location`` differs."""
        if not keys or not self._args:
            return self
        content_type, content_encoding, kw = self._args
        hidden = frozenset(keys) | kw.get("hide_keys", frozenset())
        return parse_body(self._original, content_type, content_encoding, **{**kw, "hide_keys": hidden})

    def __repr__(self) -> str:  # never the content
        return f"ParsedBody(kind={self.kind!r}, fields={len(self.fields)})"


# -- content type and charset ---------------------------------------------------------------------


def _media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    if not content_type:
        return "", {}
    mime, _, rest = content_type.partition(";")
    params: dict[str, str] = {}
    if rest:
        for item in rest.split(";"):
            name, eq, value = item.partition("=")
            if eq:
                params[name.strip().lower()] = value.strip().strip('"')
    return mime.strip().lower(), params


_JSON_LINES_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    }
)


def _is_json_type(mime: str) -> bool:
    return mime == "application/json" or mime.endswith("+json") or mime == "text/json"


_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/")
_BINARY_TYPES = frozenset(
    {
        "application/octet-stream",
        "application/pdf",
        "application/zip",
        "application/gzip",
        "application/x-tar",
    }
)


def _is_binary_type(mime: str) -> bool:
    return mime in _BINARY_TYPES or mime.startswith(_BINARY_PREFIXES)


# UTF-32-LE's BOM starts with UTF-16-LE's: the longer ones are tried first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDE_READINGS = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
# Every ASCII byte, plus the sequences that stateful or escaping codecs read differently: an
# ISO-2022 shift (ESC $ B), SO/SI, a backslash escape, an IDNA label. A codec must read them all as
# themselves to count as ASCII-compatible.
_ASCII_PROBE = bytes(range(0x01, 0x80)) + (
    b" \x1b$B#4\x1b(B \x0e!\x0f \\100 \\x41 \\u0041 a+AEA- x.xn--mnchen-3ya.y")


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str, bool]:
    """(text, codec used, whether the declared/default codec decoded it cleanly)."""
    codec = "utf-8"
    if charset:
        try:
            codec = codecs.lookup(charset).name
        except LookupError:
            codec = "utf-8"
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or data[:3] == codecs.BOM_UTF8:
        for bom, name in _BOMS:
            if data.startswith(bom):
                codec = name
                break
    try:
        return data.decode(codec), codec, True
    except (UnicodeDecodeError, LookupError):
        # One character per byte: lossless, every byte stays visible to the detectors.
        return data.decode("latin-1"), "latin-1", False


@functools.lru_cache(maxsize=64)
def _ascii_compatible(codec: str) -> bool:
    """Whether ASCII bytes read as themselves in ``codec`` (not UTF-16/32, EBCDIC, UTF-7, the
    ISO-2022 family, unicode_escape, IDNA...)."""
    try:
        with warnings.catch_warnings():  # unicode_escape warns about the probe's "\]"
            warnings.simplefilter("ignore")
            return _ASCII_PROBE.decode(codec) == _ASCII_PROBE.decode("ascii")
    except (UnicodeError, LookupError, ValueError):
        return False


# Codecs that read every ASCII byte as itself, statelessly, whatever follows: the only ones for
# which an ASCII body *is* its text (the engine's quiet lane relies on it). A probe can only sample;
# this list is what is known.
_ASCII_IDENTITY_CODECS = frozenset({"utf-8", "ascii", "utf-8-sig"})
_ASCII_IDENTITY_PREFIXES = ("iso8859-", "cp125", "latin")


@functools.lru_cache(maxsize=256)
def reads_ascii_as_is(content_type: str | None) -> bool:
    """Whether ``raw_text`` of an ASCII body without NULs sent with this Content-Type is just the
    body's characters: one reading (an ASCII-compatible charset, or none) and no multipart parts
    that could declare their own. Content types repeat on every call: cached."""
    mime, params = _media_type(content_type)
    if mime.startswith("multipart/"):
        return False
    charset = params.get("charset")
    if not charset:
        return True
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return True  # decode_bytes falls back to UTF-8 for an unknown charset
    return name in _ASCII_IDENTITY_CODECS or name.startswith(_ASCII_IDENTITY_PREFIXES)


FORM_TYPE = "application/x-www-form-urlencoded"  # read with "+" as a space (``text_doc``)


class AsciiReading(NamedTuple):
    """What the pipeline makes of an ASCII body without NULs sent with some Content-Type."""

    as_is: bool  # its text is its bytes (``reads_ascii_as_is``)
    form: bool  # a form: "+" reads as a space, and a name may run over a line break
    multipart: bool = False  # parts may name their fields in their own header lines


MULTIPART = AsciiReading(as_is=False, form=False, multipart=True)
_READINGS = {(as_is, form): AsciiReading(as_is, form) for as_is in (True, False) for form in (True, False)}


@functools.lru_cache(maxsize=256)
def ascii_reading(content_type: str | None) -> AsciiReading:
    """``media_type``, ``names_escape_triage`` and ``reads_ascii_as_is`` of a Content-Type in one
    cached answer, for the engine's quiet lane: ``MULTIPART``, or how the text is read."""
    mime = media_type(content_type)
    if mime.startswith("multipart/"):
        return MULTIPART
    return _READINGS[reads_ascii_as_is(content_type), mime == FORM_TYPE]


@functools.lru_cache(maxsize=256)
def media_type(content_type: str | None) -> str:
    """The lower-cased media type of a Content-Type (cached: a client repeats its own)."""
    return _media_type(content_type)[0]


def names_escape_triage(mime: str, text: bytes | str) -> bool:
    """Whether a body of this media type can name its fields in ways the request triages do not
    read (``secrets.name_triage_expressions`` knows ``"name":`` and ``name=``): a multipart part's
    ``name=`` parameter and its header lines; a form name running over a line break."""
    if mime.startswith("multipart/"):
        return True
    if mime != FORM_TYPE:
        return False
    return (b"\n" in text or b"\r" in text) if isinstance(text, bytes) else ("\n" in text or "\r" in text)


def _nul_pattern(data: bytes) -> bool:
    """NULs bunched at some byte positions mod 4, as ASCII text in UTF-16 or UTF-32 makes them.

    Binary data (images, archives, protobuf) has its NULs evenly spread over the positions, so it
    is not read four more times.
    """
    zeros = [data[k::4].count(0) for k in range(4)]
    most = max(zeros)
    # Dense (a quarter of that position's bytes at least) and lopsided (4x the emptiest position).
    return most >= 4 and most * 16 >= len(data) and most >= 4 * (min(zeros) + 1)


def other_readings(data: bytes, codec: str) -> list[tuple[str, str, bool]]:
    """Further ways a receiver may read ``data`` than ``codec``: (text, codec, exact).

    ``exact`` is False for a reading that only decoded with substitutions (U+FFFD): it is scanned
    but cannot be re-encoded faithfully.
    """
    readings: list[tuple[str, str, bool]] = []
    wide = codec.startswith(("utf-16", "utf-32"))
    if not _ascii_compatible(codec):
        try:
            readings.append((data.decode("utf-8"), "utf-8", True))
        except UnicodeDecodeError:
            readings.append((data.decode("latin-1"), "latin-1", True))
    if not wide and b"\x00" in data and _nul_pattern(data):  # UTF-16/32 text without a BOM?
        for name in _WIDE_READINGS:
            try:
                readings.append((data.decode(name), name, True))
            except UnicodeDecodeError:
                readings.append((data.decode(name, "replace"), name, False))
    return readings


# -- content encoding ------------------------------------------------------------------------------

# zlib window bits per Content-Encoding token; "deflate" may also arrive raw (no zlib header).
_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}


def _encodings(content_encoding: str | None) -> list[str]:
    if not content_encoding:
        return []
    tokens = [t.strip().lower() for t in content_encoding.split(",")]
    tokens = [t for t in tokens if t and t != "identity"]
    for t in tokens:
        if t not in _WBITS:
            raise BodyNotInspectable(NOT_INSPECTABLE, f"unsupported Content-Encoding {t[:32]!r}")
    return tokens


def _inflate(data: bytes, wbits: int, cap: int) -> bytes:
    """Decompress at most ``cap`` bytes; a bomb is stopped after ``cap + 1`` bytes, never allocated."""
    out = bytearray()
    while True:
        d = zlib.decompressobj(wbits)
        chunk = data
        while chunk:
            out += d.decompress(chunk, cap + 1 - len(out))
            if len(out) > cap:
                raise BodyNotInspectable(TOO_LARGE, f"decompressed body exceeds {cap} bytes")
            chunk = d.unconsumed_tail
            if d.eof:
                break
        if not d.eof:
            out += d.flush()
            if len(out) > cap:
                raise BodyNotInspectable(TOO_LARGE, f"decompressed body exceeds {cap} bytes")
            raise zlib.error("truncated compressed stream")
        data = d.unused_data
        if not data or wbits != 31:  # gzip may have several members; zlib streams have one
            if data:
                raise zlib.error("data after the end of the compressed stream")
            return bytes(out)


def _decompress(data: bytes, encodings: list[str], cap: int) -> tuple[bytes, list[int]]:
    """Undo Content-Encoding (applied in the listed order); returns the data and wbits used per layer."""
    used: list[int] = []
    for enc in reversed(encodings):
        wbits = _WBITS[enc]
        try:
            data = _inflate(data, wbits, cap)
        except zlib.error:
            if wbits != 15:
                raise BodyNotInspectable(NOT_INSPECTABLE, f"body is not valid {enc} data") from None
            try:  # "deflate" sent without the zlib wrapper, as some servers and clients do
                wbits = -15
                data = _inflate(data, wbits, cap)
            except zlib.error:
                raise BodyNotInspectable(NOT_INSPECTABLE, "body is not valid deflate data") from None
        used.append(wbits)
    return data, used


def _compress(data: bytes, used: list[int]) -> bytes:
    for wbits in reversed(used):
        c = zlib.compressobj(6, zlib.DEFLATED, wbits)
        data = c.compress(data) + c.flush()
    return data


# -- documents ---------------------------------------------------------------------------------------


class _PlainText:
    __slots__ = ("fields", "text")

    def __init__(self, text: str, location: str, key: str | None = None) -> None:
        self.text = text
        self.fields = [Field(location, key, text)]

    def rebuild(self, replacements: dict[int, str]) -> str:
        return replacements.get(0, self.text)


def text_doc(
    text: str,
    mime: str,
    limits: Limits,
    *,
    json_prefix: str,
    text_location: str,
    form_prefix: str | None,
    key: str | None = None,
) -> tuple[str, _TextDoc]:
    """Choose how to read a decoded body: form, JSON (declared or sniffed) or plain text."""
    if form_prefix is not None and mime == FORM_TYPE:
        # urllib.request declares every POST body a form unless told otherwise, so JSON is often
        # sent as one. Read as a form, a JSON document is one parameter named by its whole text:
        # a redaction would percent-encode all of it and the receiver would get no JSON at all.
        # Read as JSON, only the redacted span changes, and the rest stays what a form parser saw.
        if looks_like_json_container(text):
            try:
                return "json", JsonTextDoc(text, json_prefix, limits)
            except ValueError:
                pass  # not a JSON document after all: a form
            except BodyNotInspectable as exc:
                if exc.reason_code != NOT_INSPECTABLE:
                    raise
        return "form", FormDoc(text, form_prefix, hidden=limits.hidden)
    json_lines = mime in _JSON_LINES_TYPES
    if not json_lines and (_is_json_type(mime) or looks_like_json_container(text)):
        try:
            return "json", JsonTextDoc(text, json_prefix, limits)
        except ValueError:
            json_lines = "\n" in text  # several documents, one per line?
        except BodyNotInspectable as exc:
            if exc.reason_code != NOT_INSPECTABLE:
                raise
            # Nesting too deep to walk: every string is still in the text, so scan that.
    if json_lines:
        try:
            return "json", JsonLinesDoc(text, json_prefix, limits)
        except ValueError:
            pass  # malformed JSON is still scanned, as text
        except BodyNotInspectable as exc:
            if exc.reason_code != NOT_INSPECTABLE:
                raise
    return "text", _PlainText(text, text_location, key)


class _Encoded:
    """A text document read from bytes: rebuild encodes with the codec it was read with."""

    __slots__ = ("codec", "doc", "fields")

    def __init__(self, doc: _TextDoc, codec: str) -> None:
        self.doc = doc
        self.codec = codec
        self.fields = doc.fields

    def rebuild(self, replacements: dict[int, str]) -> bytes:
        text = self.doc.rebuild(replacements)
        try:
            return text.encode(self.codec)
        except UnicodeEncodeError:  # a replacement the original charset cannot carry
            return text.encode(self.codec, "xmlcharrefreplace")


def bytes_doc(
    data: bytes,
    content_type: str | None,
    limits: Limits,
    *,
    json_prefix: str = "body$",
    text_location: str = "body",
    form_prefix: str | None = "form:",
    key: str | None = None,
    multipart_depth: int = 0,
) -> tuple[str, _TextDoc, str | None]:
    """Read bytes (already decompressed) as a document whose rebuild returns bytes."""
    mime, params = _media_type(content_type)
    if mime.startswith("multipart/") and params.get("boundary") and multipart_depth < 3:
        from .body_multipart import MultipartDoc  # only multipart bodies pay for it

        doc = MultipartDoc.parse(data, params["boundary"], limits, multipart_depth + 1, text_location)
        if doc is not None:
            return "multipart", doc, None
    text, codec, clean = decode_bytes(data, params.get("charset"))

    def read(text: str, tag: str) -> tuple[str, _TextDoc]:
        if _is_binary_type(mime):
            return "binary", _PlainText(text, text_location + tag, key)
        return text_doc(
            text,
            mime,
            limits,
            json_prefix=_tagged(json_prefix, tag),
            text_location=text_location + tag,
            form_prefix=None if form_prefix is None else _tagged(form_prefix, tag),
            key=key,
        )

    kind, doc = read(text, "")
    if kind == "text" and not clean:
        kind = "binary"  # not text in its charset: read as one character per byte
    primary = _Encoded(doc, codec)
    others = other_readings(data, codec)
    if not others:
        return kind, primary, codec
    readings: list[tuple[_Encoded, bool]] = [(primary, True)]
    for other_text, other_codec, exact in others:
        readings.append((_Encoded(read(other_text, "<" + other_codec + ">")[1], other_codec), exact))
    return kind, _Readings(readings), codec


def _tagged(prefix: str, tag: str) -> str:
    """``body$`` -> ``body<utf-16-le>$``, ``form:`` -> ``form<utf-8>:``."""
    if tag and prefix[-1:] in ("$", ":"):
        return prefix[:-1] + tag + prefix[-1]
    return prefix + tag


class _Readings:
    """The same bytes read with several codecs: fields of every reading, rebuilt from one of them."""

    __slots__ = ("_slots", "fields", "readings")

    def __init__(self, readings: list[tuple[_Encoded, bool]]) -> None:
        self.readings = readings
        self.fields: list[Field] = []
        self._slots: list[tuple[int, int]] = []
        for r, (doc, _) in enumerate(readings):
            self.fields.extend(doc.fields)
            self._slots.extend((r, j) for j in range(len(doc.fields)))

    def rebuild(self, replacements: dict[int, str]) -> bytes:
        per_reading: dict[int, dict[int, str]] = {}
        for i, new in replacements.items():
            r, j = self._slots[i]
            per_reading.setdefault(r, {})[j] = new
        if len(per_reading) > 1:
            raise BodyNotInspectable(
                NOT_INSPECTABLE,
                "replacements in more than one reading of the body bytes (charsets disagree); "
                "they cannot be applied together",
            )
        ((r, repl),) = per_reading.items()
        doc, exact = self.readings[r]
        if not exact:
            raise BodyNotInspectable(
                NOT_INSPECTABLE,
                f"a replacement in the {doc.codec} reading of the body, which decodes only with "
                "substitutions; it cannot be redacted in place",
            )
        return doc.rebuild(repl)


# -- public API --------------------------------------------------------------------------------------


def parse_body(
    body: object,
    content_type: str | None = None,
    content_encoding: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
    max_depth: int = DEFAULT_MAX_DEPTH,
    hide_keys: Collection[str] = (),
) -> ParsedBody:
    """Split a request body into scannable fields. Raises ``BodyNotInspectable`` (fail closed).

    ``hide_keys``: key/parameter texts written by position in locations (see ``body_fields``).
    """
    parsed = _parse_body(
        body,
        content_type,
        content_encoding,
        max_bytes,
        max_decompressed,
        Limits(max_depth, max_bytes, frozenset(hide_keys)),
    )
    parsed._args = (
        content_type,
        content_encoding,
        {
            "max_bytes": max_bytes,
            "max_decompressed": max_decompressed,
            "max_depth": max_depth,
            "hide_keys": frozenset(hide_keys),
        },
    )
    return parsed


def _parse_body(
    body: object,
    content_type: str | None,
    content_encoding: str | None,
    max_bytes: int,
    max_decompressed: int,
    limits: Limits,
) -> ParsedBody:
    if body is None:
        return ParsedBody("empty", [], body)
    if isinstance(body, (dict, list, tuple)):
        doc = JsonObjDoc(body, "body$", limits)
        return ParsedBody("json", doc.fields, body, doc)
    if isinstance(body, str):
        if len(body) > max_bytes:
            raise BodyNotInspectable(TOO_LARGE, f"body of {len(body)} characters exceeds {max_bytes}")
        if not body:
            return ParsedBody("empty", [], body)
        mime = _media_type(content_type)[0]
        if mime.startswith("multipart/"):
            data = body.encode("utf-8", "surrogateescape")
            kind, bdoc, _ = bytes_doc(data, content_type, limits)
            return ParsedBody(kind, bdoc.fields, body, bdoc, _utf8_text, "utf-8")
        kind, tdoc = text_doc(
            body, mime, limits, json_prefix="body$", text_location="body", form_prefix="form:"
        )
        return ParsedBody(kind, tdoc.fields, body, tdoc)
    if isinstance(body, (bytes, bytearray, memoryview)):
        raw = bytes(body)
        if len(raw) > max_bytes:
            raise BodyNotInspectable(TOO_LARGE, f"body of {len(raw)} bytes exceeds {max_bytes}")
        data, used = _decompress(raw, _encodings(content_encoding), max_decompressed)
        if not data:
            return ParsedBody("empty", [], body)
        kind, bdoc, codec = bytes_doc(data, content_type, limits)
        return ParsedBody(kind, bdoc.fields, body, bdoc, _rewrap(type(body), used), codec)
    raise BodyNotInspectable(NOT_INSPECTABLE, f"body of type {type(body).__name__} cannot be inspected")


def _utf8_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _rewrap(kind: type, used: list[int]) -> Callable[[bytes], Any]:
    def wrap(data: bytes) -> Any:
        if used:
            data = _compress(data, used)
        if kind is bytearray:
            return bytearray(data)
        if kind is memoryview:
            return memoryview(data)
        return data

    return wrap


_CHARSET = re.compile(rb"charset", re.I)


def _parts_may_reread(data: bytes) -> bool:
    """Whether a multipart part may get readings the whole body's text lacks (a part's own
    charset, NULs of UTF-16/32 text): then only the full parse sees every reading."""
    return b"\x00" in data or _CHARSET.search(data) is not None


def raw_text(
    body: object, content_type: str | None = None, content_encoding: str | None = None
) -> str | None:
    """The whole body as text, cheaply, for a triage pass before field extraction.

    JSON escapes and form encoding are left as written. Bytes that read differently in other
    charsets (see ``other_readings``) give every reading, joined by newlines, so "no match in any
    substring" holds for each of them. None when the body cannot be read as text here (then
    ``parse_body`` says why).
    """
    if body is None:
        return ""
    multipart = _media_type(content_type)[0].startswith("multipart/")
    if isinstance(body, str):
        return None if multipart and _parts_may_reread(body.encode("utf-8", "surrogateescape")) else body
    if isinstance(body, (dict, list, tuple)):
        try:
            return json.dumps(body, ensure_ascii=False, default=str)
        except (ValueError, TypeError, RecursionError):
            return None
    if isinstance(body, (bytes, bytearray, memoryview)):
        data = bytes(body)
        try:
            if content_encoding:
                data, _ = _decompress(data, _encodings(content_encoding), DEFAULT_MAX_DECOMPRESSED)
        except BodyNotInspectable:
            return None
        if multipart and _parts_may_reread(data):
            return None
        text, codec, _ = decode_bytes(data, _media_type(content_type)[1].get("charset"))
        others = other_readings(data, codec)
        return "\n".join([text, *(t for t, _, _ in others)]) if others else text
    return None
