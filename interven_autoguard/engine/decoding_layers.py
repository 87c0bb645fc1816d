"""The decoders behind ``decoding.views``: each finds encoded stretches of a text and decodes them.

A decoder returns ``Item``s — ``(start, end, decoded, stride)``: ``src[start:end]`` decodes to
``decoded``; ``stride`` is the number of source characters per decoded character when that is
fixed (``%41`` → 3), or 0 when the decoded text can only be mapped to the whole span (a
multi-byte character, an entity), or ``BASE64`` / ``HEX`` (``decoding_map``) for a blob: mapped to
the whole span too, and rewritable inside. Every decoder is linear in the text and stops at ``limit``
decoded characters; it reports whether it had to stop (``truncated``).
"""

from __future__ import annotations

import binascii
import html.entities
import re
from collections.abc import Callable, Iterable, Iterator

from .decoding_map import BASE64, HEX

Item = tuple[int, int, str, int]
Run = tuple[int, int, bytes]  # (start, end, character classes) of a run of base64-alphabet characters
Decoder = Callable[[str, int, list[Run]], tuple[list[Item], bool]]

MIN_BASE64 = 16
MIN_HEX = 32
# Most items one decoder returns for one text: keeps the Python work per view bounded even when
# every character is its own escape of a different width.
MAX_ITEMS = 4096


def _add(items: list[Item], start: int, end: int, text: str, stride: int) -> None:
    """Append an item, merging it into the previous one when both are same-width escapes."""
    if items:
        ps, pe, ptext, pstride = items[-1]
        if stride > 0 and pstride == stride and pe == start:
            items[-1] = (ps, end, ptext + text, stride)
            return
    items.append((start, end, text, stride))


# -- printable check -------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


def mostly_printable(text: str) -> bool:
    """Decoded blobs must read as text: at most one control character in ten."""
    if len(text) < 4:
        return False
    return len(_CONTROL.findall(text)) * 10 <= len(text)


# -- percent and \x byte escapes ---------------------------------------------------------------------

# Runs of escapes are matched at most 4096 at a time, so no single match outgrows the budget;
# every pattern starts with a literal character, which the regex engine skips to quickly.
PERCENT = re.compile(r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2}){0,4095}")
BACKSLASH = re.compile(
    r"\\(?:x[0-9A-Fa-f]{2}(?:\\x[0-9A-Fa-f]{2}){0,4095}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|u\{[0-9A-Fa-f]{1,6}\})"
)
ENTITY = re.compile(r"&(?:#[0-9]{1,8};?|#[xX][0-9A-Fa-f]{1,7};?|[A-Za-z][A-Za-z0-9]{1,31};)")


def _matches(src: str, lead: str, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """``pattern.finditer`` from the first ``lead`` character on (every pattern here starts with
    a literal, which the regex engine skips to quickly; nothing before the first one can match)."""
    first = src.find(lead)
    return iter(()) if first < 0 else pattern.finditer(src, first)


def _byte_items(start: int, width: int, data: bytes) -> list[Item]:
    """Items for a run of escaped bytes: UTF-8 text when it is, else one character per byte.

    Each character maps to exactly its own escapes (``%C3%BC`` for ``ü``); neighbours of the same
    encoded width share one item.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [(start, start + width * len(data), data.decode("latin-1"), width)]
    if len(text) == len(data):
        return [(start, start + width * len(data), text, width)]
    items: list[Item] = []
    pos = start
    for ch in text:
        n = width * len(ch.encode("utf-8"))
        _add(items, pos, pos + n, ch, n)
        pos += n
    return items


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
        if len(items) >= MAX_ITEMS:
            return items, True
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
                _add(items, pending_high[0], end, ch, end - pending_high[0])
                limit -= 1
            pending_high = None
            continue
        pending_high = None
        if code > 0x10FFFF:
            continue
        _add(items, start, end, chr(code), end - start)
        limit -= 1
        if len(items) >= MAX_ITEMS:
            return items, True
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
        _add(items, start, end, text, end - start if len(text) == 1 else 0)
        limit -= len(text)
        if len(items) >= MAX_ITEMS:
            return items, True
    return items, False


# -- hex and base64 blobs --------------------------------------------------------------------------

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
# Every base64/base64url character to "A", anything else to " ": runs are found with bytes.find.
RUN_TABLE = bytes(ord("A") if b in _B64_ALPHABET else ord(" ") for b in range(256))
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
RUN_NEEDLE = b"A" * MIN_BASE64
# A run of 16 ends before a " " or at the end. CPython's search for "A" * 16 alone compares a long
# word again from each of its positions; with the " " last, it compares once per position (about
# half the instructions on prose). ``_has_run(table)`` is ``RUN_NEEDLE in table``.
RUN_END = RUN_NEEDLE + b" "
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{32,}")

# ``has_escape_candidate`` as RE2 expressions over ASCII bytes, for the engine's one-pass triage
# (``engine/triage.py``): an ASCII text matches one of them whenever it is True (each is the leading
# part of a pattern above).
ESCAPE_TRIAGE_EXPRESSIONS = (
    r"%[0-9A-Fa-f]{2}",
    r"\\/",
    r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|u\{[0-9A-Fa-f])",
    r"&(?:#[0-9]|#[xX][0-9A-Fa-f]|[A-Za-z][A-Za-z0-9]{1,31};)",
)
def blob_runs(src: str) -> Iterator[Run]:
    """Maximal runs of base64-alphabet characters at least 16 long: (start, end, class bytes).

    Lines of whole base64 quanta (length a multiple of 4) continue across a line break while
    they keep the first line's width, so MIME/PEM-style wrapped base64 is one run.
    """
    raw = _one_byte_per_char(src)
    return _runs_in(raw, raw.translate(RUN_TABLE))


def _one_byte_per_char(src: str) -> bytes:
    return src.encode("ascii") if src.isascii() else src.encode("latin-1", "replace")


def _runs_in(raw: bytes, runs: bytes) -> Iterator[Run]:
    """``blob_runs`` of ``raw``, given ``runs`` = ``raw.translate(RUN_TABLE)``."""
    pos = runs.find(RUN_NEEDLE)
    n = len(runs)
    while pos >= 0:
        start = runs.rfind(b" ", 0, pos) + 1
        end = runs.find(b" ", pos)
        if end < 0:
            end = n
        line_start, width = start, end - start
        while end - line_start == width and width % 4 == 0 and end < n:
            nxt = end + (2 if raw.startswith(b"\r\n", end) else 1 if raw[end] == 10 else 0)
            if nxt == end or nxt >= n or runs[nxt] != 65:  # 65: "A", a base64 character
                break
            line_start = nxt
            end = runs.find(b" ", nxt)
            if end < 0:
                end = n
        # Classes of this run only: a text is mostly not runs.
        yield start, end, raw[start:end].translate(_CLASS_TABLE)
        pos = runs.find(RUN_NEEDLE, end)


_HEXISH = re.compile(r"[0-9A-Fa-f\-]+")


def plausible_base64(src: str, start: int, end: int, classes: bytes) -> bool:
    """Could be base64 of text rather than a word, path, identifier, UUID or hex digest.

    Base64 of text mixes upper and lower case (each 6-bit group of ASCII spans both); paths,
    snake_case identifiers, dates and model names do not. Padded runs are always tried.
    """
    if src.startswith("=", end):
        return True
    return b"U" in classes and b"L" in classes and not _HEXISH.fullmatch(src, start, end)


def _has_run(table: bytes) -> bool:
    """Whether ``table`` (text translated by ``RUN_TABLE``) holds a run of 16 "A"."""
    return RUN_END in table or table.endswith(RUN_NEEDLE)


def has_blob_candidate(src: str, runs: Iterable[Run] | None = None) -> bool:
    if runs is None:
        raw = _one_byte_per_char(src)
        table = raw.translate(RUN_TABLE)
        if not _has_run(table):
            return False  # the common case, without starting a generator
        if _single_case(raw):
            return _HEX_NEEDLE in raw.translate(_HEX_TABLE)
        runs = _runs_in(raw, table)
    for start, end, classes in runs:
        if plausible_base64(src, start, end, classes):
            return True
        if end - start >= MIN_HEX and _HEX_RUN.search(src, start, end):
            return True
    return False


def ascii_has_blob_candidate(raw: bytes, table: bytes | None = None) -> bool:
    """``has_blob_candidate`` of ASCII bytes, without decoding them unless a run is found.
    ``table``: ``raw.translate(RUN_TABLE)`` when the caller has it."""
    if table is None:
        table = raw.translate(RUN_TABLE)
    if not _has_run(table):
        return False
    if _single_case(raw):
        return _HEX_NEEDLE in raw.translate(_HEX_TABLE)
    return has_blob_candidate(raw.decode("ascii"), _runs_in(raw, table))


def ascii_runs_decode_to_nothing(raw: bytes, table: bytes | None = None) -> bool:
    """True when no blob run of the ASCII text ``raw`` decodes to anything: neither
    ``decode_base64`` nor ``decode_hex`` makes an item of it, so the views of ``raw`` — and of
    every JSON string in it — are the text itself. Without a candidate run this is
    ``not ascii_has_blob_candidate(raw)``; with some, each is decoded as the views pipeline would.
    What makes a run look like encoded data is mostly an identifier an agent repeats every turn: a
    tool call id (``call_Zt2o1Ym5ZQhCxZ0K8w9C2WzF``, ``toolu_01A09q90qw90lq917835lq9``), a trace
    id. Remembered per run and the two bytes after it (all ``decode_*`` read of its surroundings:
    "=" padding).

    For text whose fields are its own characters: JSON with its escapes read (see
    ``triage.clean_in_every_layer``) or plain text; not form bodies, where "+" is read as a space
    and splits runs. ``table``: ``raw.translate(RUN_TABLE)`` when the caller has it.
    """
    if table is None:
        table = raw.translate(RUN_TABLE)
    if RUN_END not in table and not table.endswith(RUN_NEEDLE):  # _has_run, inlined: every request
        return True  # the common case: no run at all
    for walked, (start, end, classes) in enumerate(_runs_in(raw, table)):
        if walked == _RUNS_WALKED_FIRST and _single_case(raw) and \
                _HEX_NEEDLE not in raw.translate(_HEX_TABLE):
            # No run is padded or mixes cases and none holds a hex run: ``_decodes`` is False for
            # each (``has_blob_candidate`` is), so the rest need no walk. A text of floats written in
            # full, one per line ("0.04567890123456789\n"), has a run per number and no upper-case
            # letter. Asked only past a few runs: an agent's turn (a handful of tool call ids, a
            # dated model name) pays no whole-text pass for it.
            return True
        if end - start > _LONGEST_PROVED:  # an image, say: not hashed, copied or decoded here
            if raw.startswith(b"=", end) or (b"U" in classes and b"L" in classes) or \
                    _HEX_NEEDLE in raw[start:end].translate(_HEX_TABLE):
                return False  # a candidate (or, rarely, a hex-like run that is not): encoded data
            continue  # single-case, no hex run: no decoder reads it
        if end - start < MIN_HEX and not (b"U" in classes and b"L" in classes) and \
                not raw.startswith(b"=", end):
            # ``has_blob_candidate`` of the run alone is False (too short for hex, one case, not
            # padded), so ``_decodes`` is: the digits of a float written in full
            # ("0.04567890123456789"), one per number of a numeric text, cost no window or cache.
            continue
        window = raw[start : end + 2]
        decodes = _run_decodes.get(window)
        if decodes is None:
            decodes = _decodes(window.decode("ascii"), end - start, classes)
            if len(window) <= _RUN_VERDICT_CACHED:
                if len(_run_decodes) >= _RUN_VERDICTS_KEPT:
                    _run_decodes.clear()
                _run_decodes[window] = decodes
        if decodes:
            return False
    return True


_RUNS_WALKED_FIRST = 16  # runs walked one by one before asking whether any run could decode
_RUN_VERDICTS_KEPT = 4096
_RUN_VERDICT_CACHED = 256  # longest run (plus its two following bytes) remembered
_LONGEST_PROVED = 1024  # a longer candidate (an image) is taken for encoded data, unproved
_run_decodes: dict[bytes, bool] = {}


def _decodes(src: str, end: int, classes: bytes) -> bool:
    """Whether a decoder makes an item of the run ``src[:end]`` (``src[end:]``: what follows it, two
    characters at most)."""
    runs = [(0, end, classes)]
    if not has_blob_candidate(src, runs):
        return False  # no decoder reads it
    # As the views pipeline calls the decoders on a field: its whole budget ahead (4x the text
    # plus a constant), so nothing is cut short. No item means no view.
    limit = 4 * len(src) + 65536
    return decode_base64(src, limit, runs) != ([], False) or decode_hex(src, limit, runs) != ([], False)


_UPPER_TABLE = bytes(ord("U") if 65 <= b <= 90 else ord(" ") for b in range(256))
_LOWER_TABLE = bytes(ord("L") if 97 <= b <= 122 else ord(" ") for b in range(256))


def _single_case(raw: bytes) -> bool:
    """No run of ``raw`` can be plausible base64: no "=" at all (no padded run) and no upper- or no
    lower-case letter anywhere (no run mixes both). Only a hex run can then make a candidate, and
    that is one ``find`` — where walking each run in Python cost ~30x the prose scan over lower-case
    logs or random identifiers."""
    if b"=" in raw:
        return False
    return b"U" not in raw.translate(_UPPER_TABLE) or b"L" not in raw.translate(_LOWER_TABLE)


def _b64decode(blob: str) -> bytes | None:
    if "\n" in blob:
        blob = blob.replace("\r", "").replace("\n", "")
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


def _as_text(data: bytes | None, partial: bool = False) -> str | None:
    """Decoded bytes as text, if they are printable UTF-8. ``partial``: the bytes were cut at the
    budget, so a multi-byte character split at the end is dropped rather than failing."""
    if not data:
        return None
    for cut in range(4 if partial else 1):
        try:
            text = data[: len(data) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return text if mostly_printable(text) else None
    return None


_PROBE_CHARS = 512  # base64 characters decoded first, to turn binary (an image) away cheaply


def _binary_from_start(src: str, start: int, end: int) -> bool:
    """True only if the bytes that ``src[start:end]`` decodes to cannot be UTF-8, whatever its end.

    An agent's prompt carrying an image is a long run of base64 of binary: decoding all of it, once
    and again for every retry below, just to learn it is not text cost more than every detector over
    the same request. Its first ``_PROBE_CHARS`` characters decode to a prefix of the whole run's
    bytes (same alphabet, whole 4-character quanta); an invalid UTF-8 sequence that ends before the
    last quantum of that prefix is invalid in every longer decoding too. Anything else (a short run,
    a prefix that does not decode, no error early enough) says False and the run is decoded in full.
    """
    if end - start <= 2 * _PROBE_CHARS:
        return False
    head = _b64decode(src[start : start + _PROBE_CHARS])
    if head is None:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.end <= len(head) - 3
    return False


def _base64_item(src: str, start: int, end: int, limit: int) -> tuple[Item | None, bool]:
    """The decoded blob ``src[start:end]`` (plus its padding), and whether it was cut at ``limit``."""
    if _binary_from_start(src, start, end):
        return None, False
    pad_end = end
    while pad_end < len(src) and pad_end - end < 2 and src[pad_end] == "=":
        pad_end += 1
    max_chars = (limit * 4 // 3) // 4 * 4 + 4
    cut = end - start > max_chars
    text = _as_text(_b64decode(src[start : min(end, start + max_chars)]), cut)
    if text is None:
        last_break = src.rfind("\n", start, end)
        if last_break < 0:
            return None, False
        # A wrapped blob whose last line was full may have swallowed the next line: drop it.
        end = pad_end = last_break - (src[last_break - 1] == "\r")
        cut = end - start > max_chars
        text = _as_text(_b64decode(src[start : min(end, start + max_chars)]), cut)
        if text is None:
            return None, False
    if len(text) > limit:
        text, cut = text[:limit], True
    return (start, pad_end, text, BASE64), cut


_SEPARATORS = re.compile(r"[/+_\-]")


def decode_base64(src: str, limit: int, runs: list[Run]) -> tuple[list[Item], bool]:
    items: list[Item] = []
    truncated = False
    for start, end, classes in runs:
        if limit <= 0:
            return items, True
        if not plausible_base64(src, start, end, classes):
            continue
        item, cut = _base64_item(src, start, end, limit)
        if item is None:
            # A blob glued to a path or identifier ("collect/aGVsbG8..."): try a few suffixes.
            for n, m in enumerate(_SEPARATORS.finditer(src, start, end - MIN_BASE64)):
                if n >= 6:
                    break
                item, cut = _base64_item(src, m.end(), end, limit)
                if item is not None:
                    break
        if item is not None:
            items.append(item)
            limit -= len(item[2])
            truncated |= cut
    return items, truncated


_HEX_TABLE = bytes(ord("h") if b in b"0123456789abcdefABCDEF" else ord(" ") for b in range(256))
_HEX_NEEDLE = b"h" * MIN_HEX


def _has_hex_run(src: str, start: int, end: int) -> bool:
    """``_HEX_RUN.search(src, start, end) is not None``, in C: ``re`` walking a base64 image to find
    no hex run cost a third of the whole scan. Runs are ASCII; anything else is not a hex digit."""
    return _HEX_NEEDLE in src[start:end].encode("latin-1", "replace").translate(_HEX_TABLE)


def decode_hex(src: str, limit: int, runs: list[Run]) -> tuple[list[Item], bool]:
    items: list[Item] = []
    truncated = False
    for start, end, _classes in runs:
        if end - start < MIN_HEX or not _has_hex_run(src, start, end):
            continue
        for m in _HEX_RUN.finditer(src, start, end):
            if limit <= 0:
                return items, True
            s, e = m.span()
            cut = e - s > 2 * limit
            digits = src[s : min(e, s + 2 * limit)]
            text = _as_text(bytes.fromhex(digits[: len(digits) // 2 * 2]), cut)
            if text is not None:
                if len(text) > limit:
                    text, cut = text[:limit], True
                items.append((s, e, text, HEX))
                limit -= len(text)
                truncated |= cut
    return items, truncated


# Order matters only for the names of chains; each decoder sees the same source text.
DECODERS: tuple[tuple[str, Decoder], ...] = (
    ("percent", decode_percent),
    ("escape", decode_backslash),
    ("html", decode_entities),
    ("hex", decode_hex),
    ("base64", decode_base64),
)


def has_escape_candidate(src: str) -> bool:
    # Written out rather than looped: this runs on every field and every triage text.
    i = src.find("%")
    if i >= 0 and PERCENT.search(src, i) is not None:
        return True
    i = src.find("\\")
    # "\/" is JSON's optional escape of "/": raw JSON text may hide base64 behind it.
    if i >= 0 and ("\\/" in src or BACKSLASH.search(src, i) is not None):
        return True
    i = src.find("&")
    return i >= 0 and ENTITY.search(src, i) is not None
