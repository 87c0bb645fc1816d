"""The decoders behind ``decoding.views``: each finds encoded stretches of a text and decodes them.

A decoder returns ``Item``s — ``(start, end, decoded, stride)``: ``src[start:end]`` decodes to
``decoded``; ``stride`` is the number of source characters per decoded character when that is
fixed (``%41`` → 3), or 0 when the decoded text can only be mapped to the whole span (a base64
blob, a multi-byte character). Every decoder is linear in the text and stops at ``limit``
decoded characters; it reports whether it had to stop (``truncated``).
"""

from __future__ import annotations

import binascii
import html.entities
import re
from collections.abc import Callable, Iterator

Item = tuple[int, int, str, int]
Run = tuple[int, int, bytes]  # (start, end, character classes) of a run of base64-alphabet characters
Decoder = Callable[[str, int, list[Run]], tuple[list[Item], bool]]

MIN_BASE64 = 16
MIN_HEX = 32

# -- printable check -------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


def mostly_printable(text: str) -> bool:
    """Decoded blobs must read as text: at most one control character in ten."""
    if len(text) < 4:
        return False
    return len(_CONTROL.findall(text)) * 10 <= len(text)


# -- percent and \x byte escapes ---------------------------------------------------------------------

PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
BACKSLASH = re.compile(r"(?:\\x[0-9A-Fa-f]{2})+|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}|\\u\{[0-9A-Fa-f]{1,6}\}")
ENTITY = re.compile(r"&(?:#[0-9]{1,8}|#[xX][0-9A-Fa-f]{1,7});?|&[A-Za-z][A-Za-z0-9]{1,31};")


def _matches(src: str, lead: str, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """``pattern.finditer`` for patterns that start with ``lead``: jumps between occurrences of
    ``lead`` with ``str.find`` instead of trying the pattern at every position (10x faster)."""
    pos = src.find(lead)
    while pos >= 0:
        m = pattern.match(src, pos)
        if m is None:
            pos = src.find(lead, pos + 1)
        else:
            yield m
            pos = src.find(lead, m.end())


def _byte_items(start: int, width: int, data: bytes) -> list[Item]:
    """Items for a run of escaped bytes: UTF-8 text when it is, else one character per byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [(start, start + width * len(data), data.decode("latin-1"), width)]
    if len(text) == len(data):
        return [(start, start + width * len(data), text, width)]
    items: list[Item] = []
    pos = start
    ascii_start = -1
    for ch in text:
        if ch < "\x80":
            if ascii_start < 0:
                ascii_start = pos
            pos += width
            continue
        if ascii_start >= 0:
            items.append((ascii_start, pos, text_slice(data, ascii_start, pos, start, width), width))
            ascii_start = -1
        n = len(ch.encode("utf-8"))
        items.append((pos, pos + width * n, ch, 0))
        pos += width * n
    if ascii_start >= 0:
        items.append((ascii_start, pos, text_slice(data, ascii_start, pos, start, width), width))
    return items


def text_slice(data: bytes, s: int, e: int, base: int, width: int) -> str:
    return data[(s - base) // width : (e - base) // width].decode("ascii")


def decode_percent(src: str, limit: int, runs: list[Run]) -> tuple[list[Item], bool]:
    if "%" not in src:
        return [], False
    items: list[Item] = []
    for m in _matches(src, "%", PERCENT):
        start, end = m.span()
        n = (end - start) // 3
        if n > limit:
            end, n = start + 3 * limit, limit
        if n <= 0:
            return items, True
        data = bytes.fromhex(src[start:end].replace("%", ""))
        items.extend(_byte_items(start, 3, data))
        limit -= n
    return items, False


def decode_backslash(src: str, limit: int, runs: list[Run]) -> tuple[list[Item], bool]:
    """``\\xNN`` runs (bytes, UTF-8 when valid), ``\\uNNNN`` (with surrogate pairs), ``\\U``, ``\\u{...}``."""
    if "\\" not in src:
        return [], False
    items: list[Item] = []
    pending_high: tuple[int, int] | None = None  # (start, code) of a high surrogate awaiting its pair
    for m in _matches(src, "\\", BACKSLASH):
        if limit <= 0:
            return items, True
        start, end = m.span()
        token = m.group()
        if token[1] == "x":
            n = min((end - start) // 4, limit)
            end = start + 4 * n
            data = bytes.fromhex(src[start:end].replace("\\x", ""))
            items.extend(_byte_items(start, 4, data))
            limit -= n
            pending_high = None
            continue
        code = int(token[2:].strip("{}"), 16)
        if 0xD800 <= code <= 0xDBFF:
            pending_high = (start, code) if end - start == 6 else None
            continue
        if 0xDC00 <= code <= 0xDFFF:
            if pending_high is not None and pending_high[0] + 6 == start:
                high = pending_high[1]
                ch = chr(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00))
                items.append((pending_high[0], end, ch, 0))
                limit -= 1
            pending_high = None
            continue
        pending_high = None
        if code > 0x10FFFF:
            continue
        items.append((start, end, chr(code), end - start))
        limit -= 1
    return items, False


def decode_entities(src: str, limit: int, runs: list[Run]) -> tuple[list[Item], bool]:
    if "&" not in src:
        return [], False
    items: list[Item] = []
    named = html.entities.html5
    for m in _matches(src, "&", ENTITY):
        if limit <= 0:
            return items, True
        token = m.group()
        if token[1] == "#":
            digits = token[2:].rstrip(";")
            code = int(digits[1:], 16) if digits[:1] in "xX" else int(digits)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                continue
            text = chr(code)
        else:
            text = named.get(token[1:])  # type: ignore[assignment]
            if text is None:
                continue
        start, end = m.span()
        items.append((start, end, text, 0))
        limit -= len(text)
    return items, False


# -- hex and base64 blobs --------------------------------------------------------------------------

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
# Every base64/base64url character to "A", anything else to " ": runs are found with bytes.find.
_RUN_TABLE = bytes(ord("A") if b in _B64_ALPHABET else ord(" ") for b in range(256))
# Character classes, to judge whether a run could be encoded data rather than a word.
_CLASS_TABLE = bytes(
    ord("U")
    if 65 <= b <= 90
    else ord("L")
    if 97 <= b <= 122
    else ord("D")
    if 48 <= b <= 57
    else ord("S")
    if b in b"+/-_"
    else ord(" ")
    for b in range(256)
)
_RUN_NEEDLE = b"A" * MIN_BASE64
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{32,}")


def blob_runs(src: str) -> Iterator[Run]:
    """Maximal runs of base64-alphabet characters at least 16 long: (start, end, class bytes)."""
    raw = src.encode("ascii") if src.isascii() else src.encode("latin-1", "replace")
    runs = raw.translate(_RUN_TABLE)
    pos = runs.find(_RUN_NEEDLE)
    if pos < 0:
        return
    classes = raw.translate(_CLASS_TABLE)
    while pos >= 0:
        start = runs.rfind(b" ", 0, pos) + 1
        end = runs.find(b" ", pos)
        if end < 0:
            end = len(runs)
        yield start, end, classes[start:end]
        pos = runs.find(_RUN_NEEDLE, end)


_HEXISH = re.compile(r"[0-9A-Fa-f\-]+")


def plausible_base64(src: str, start: int, end: int, classes: bytes) -> bool:
    """Could be base64 of text rather than a word, path, identifier, UUID or hex digest.

    Base64 of text mixes upper and lower case (each 6-bit group of ASCII spans both); paths,
    snake_case identifiers, dates and model names do not. Padded runs are always tried.
    """
    if src.startswith("=", end):
        return True
    return b"U" in classes and b"L" in classes and not _HEXISH.fullmatch(src, start, end)


def has_blob_candidate(src: str, runs: list[Run] | None = None) -> bool:
    for start, end, classes in blob_runs(src) if runs is None else runs:
        if plausible_base64(src, start, end, classes):
            return True
        if end - start >= MIN_HEX and _HEX_RUN.search(src, start, end):
            return True
    return False


def _b64decode(blob: str) -> bytes | None:
    if "-" in blob or "_" in blob:
        if "+" in blob or "/" in blob:
            return None
        blob = blob.translate(_URLSAFE)
    blob = blob.rstrip("=")
    if len(blob) % 4 == 1:
        blob = blob[:-1]
    blob += "=" * (-len(blob) % 4)
    try:
        return binascii.a2b_base64(blob, strict_mode=True)
    except (binascii.Error, ValueError):
        return None


_URLSAFE = str.maketrans("-_", "+/")


def _as_text(data: bytes | None) -> str | None:
    if not data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if mostly_printable(text) else None


def _base64_item(src: str, start: int, end: int, limit: int) -> Item | None:
    # Take the padding that follows the run.
    pad_end = end
    while pad_end < len(src) and pad_end - end < 2 and src[pad_end] == "=":
        pad_end += 1
    max_chars = (limit * 4 // 3) // 4 * 4 + 4
    text = _as_text(_b64decode(src[start : min(end, start + max_chars)]))
    if text is None:
        return None
    return (start, pad_end, text[:limit], 0)


_SEPARATORS = re.compile(r"[/+_\-]")


def decode_base64(src: str, limit: int, runs: list[Run]) -> tuple[list[Item], bool]:
    items: list[Item] = []
    for start, end, classes in runs:
        if limit <= 0:
            return items, True
        if not plausible_base64(src, start, end, classes):
            continue
        item = _base64_item(src, start, end, limit)
        if item is None:
            # A blob glued to a path or identifier ("collect/aGVsbG8..."): try a few suffixes.
            for n, m in enumerate(_SEPARATORS.finditer(src, start, end - MIN_BASE64)):
                if n >= 6:
                    break
                item = _base64_item(src, m.end(), end, limit)
                if item is not None:
                    break
        if item is not None:
            items.append(item)
            limit -= len(item[2])
    return items, False


def decode_hex(src: str, limit: int, runs: list[Run]) -> tuple[list[Item], bool]:
    items: list[Item] = []
    for start, end, _classes in runs:
        if end - start < MIN_HEX:
            continue
        for m in _HEX_RUN.finditer(src, start, end):
            if limit <= 0:
                return items, True
            s, e = m.span()
            digits = src[s : min(e, s + 2 * limit)]
            text = _as_text(bytes.fromhex(digits[: len(digits) // 2 * 2]))
            if text is not None:
                items.append((s, e, text, 0))
                limit -= len(text)
    return items, False


# Order matters only for the names of chains; each decoder sees the same source text.
DECODERS: tuple[tuple[str, Decoder], ...] = (
    ("percent", decode_percent),
    ("escape", decode_backslash),
    ("html", decode_entities),
    ("hex", decode_hex),
    ("base64", decode_base64),
)


def has_escape_candidate(src: str) -> bool:
    return any(
        lead in src and next(_matches(src, lead, pattern), None) is not None
        for lead, pattern in (("%", PERCENT), ("\\", BACKSLASH), ("&", ENTITY))
    )
