"""Evasion resistance: read a field as written *and* as every encoding hidden in it would decode.

``views(text)`` returns ``View``s:

* ``views[0]`` — the text normalised: NFKC, zero-width/format characters (Unicode ``Cf``),
  variation selectors and tag characters removed. Identical to ``text`` (identity map) when
  nothing changes, which ``needs_views`` tells in a few microseconds.
* then one view per decoding layer found — percent (``%41``), backslash escapes (``\\x41``,
  ``\\u0041``, ``\\U``, ``\\u{..}``), HTML entities, hex (≥ 32 digits) and base64/base64url
  (≥ 16 characters) that decode to printable UTF-8 — applied recursively (base64 of
  percent-encoded text, ...) up to ``max_depth`` layers and ``budget`` decoded characters in total.
  ``View.encoding`` names the chain in the order it was undone: ``"base64>percent"`` is base64
  that decoded to percent-encoded text.

A decoded view holds *windows*: each decoded stretch with a little context copied around it
(so ``password=%68%75...`` still shows its key), windows separated by a newline. Hits entirely
inside the copied context map to the same original spans as hits in ``views[0]``.

``View.to_original(start, end)`` maps a span of the view to the span of the original field text
that must be rewritten to remove the value: the exact escapes for percent/escape/entity layers, the
whole blob for base64/hex, composed through every layer and the normalisation.
``View.redaction(start, end, kind)`` says how: inside a base64/hex blob, replace the value in the
decoded text and re-encode it (``decoding_map``, ``decoding_redact``).

A field that is, whole, base64 of an e-mail (Gmail's ``raw``; ``decoding_mime``): its first-layer
view tells the header line a span lies in (``View.subfield``, ``"<mime>.header:To"``), and so do
the views decoded from it for the context they copy; a ``"base64>mime"`` view holds what a mail
reader decodes in it (encoded words in header values, quoted-printable parts), every character
mapped to the whole blob and not redactable inside it (``OPAQUE``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import deque
from collections.abc import Callable

from .decoding_layers import DECODERS, Item, blob_runs, has_blob_candidate, has_escape_candidate
from .decoding_map import OPAQUE, SEPARATOR, SpanMap, identity
from .decoding_mime import HeaderLines, decoded_message, read_headers
from .types import View

__all__ = ["needs_views", "normalise", "views", "views_with_status"]

# ``View.subfield``, and an entry of the breadth-first queue of ``_views``: a text, its map, the map
# of the layer that decoded it, the normalisation applied on top (if any), the chain of layers, how
# many, and its sub-fields (if any).
_Subfield = Callable[[int, int], str]
_Entry = tuple[str, "SpanMap | None", "SpanMap | None", "SpanMap | None", str, int, "_Subfield | None"]

DEFAULT_BUDGET = 64 * 1024
DEFAULT_MAX_DEPTH = 4

# Context copied around decoded stretches, and the gap below which two stretches share a window.
_LEFT_CONTEXT = 48
_TOKEN_REACH = 256  # how far copied context follows the word a decoded stretch sits in
_WINDOW_GAP = 64

# Invisible characters: every Unicode "Cf" (format) character, variation selectors, the
# combining grapheme joiner, Hangul/Mongolian fillers and the tag block (U+E0000-E0FFF).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_INVISIBLE_RUN = re.compile(_INVISIBLE.pattern + "+")

# The zero of every decimal digit block NFKC leaves alone (Arabic-Indic, Devanagari, Thai, ...):
# SSNs and card numbers written in them are folded to ASCII digits, one character for one.
_DIGIT_ZEROS = (
    0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50,
    0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0,
    0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0x104A0, 0x10D30, 0x11066,
    0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950,
    0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1E140, 0x1E2F0, 0x1E950,
)  # fmt: skip
_DIGIT_FOLD = {zero + d: 0x30 + d for zero in _DIGIT_ZEROS for d in range(10)}
_FOREIGN_DIGIT = re.compile("[" + "".join(f"{chr(z)}-{chr(z + 9)}" for z in _DIGIT_ZEROS) + "]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_WHITESPACE = re.compile(r"\s")


def needs_views(text: str) -> bool:
    """False only when ``views(text)`` is just ``[text as is]``: nothing to normalise or decode.

    Cheap enough to run on every field: ``isascii`` plus ``in`` tests, and a byte translation
    when the text has runs of base64/hex characters.
    """
    if not text.isascii():
        return True
    return has_escape_candidate(text) or has_blob_candidate(text)


def normalise(
    text: str, parent: SpanMap | None = None, *, work: int = DEFAULT_BUDGET
) -> tuple[str, SpanMap | None]:
    """NFKC without invisible characters, digits of every script as ASCII digits, with a map
    back to ``text`` (None when unchanged).

    Building an exact map costs a step per invisible character (or per non-ASCII character when
    NFKC changes lengths); past ``work`` steps the map becomes coarse instead — any span maps to
    the whole text — so the cost stays linear and nothing escapes redaction.
    """
    if text.isascii():
        return text, None
    latin1 = _latin1_normalised(text, parent, work)
    if latin1 is not None:
        return latin1
    invisible = _INVISIBLE.search(text) is not None
    digits = _FOREIGN_DIGIT.search(text) is not None
    if not invisible and unicodedata.is_normalized("NFKC", text):
        if not digits:
            return text, None
        span_map = SpanMap(parent)  # folding digits keeps every character in place
        span_map.add(0, len(text), 0, len(text), 1)
        return text.translate(_DIGIT_FOLD), span_map
    normal, span_map = _nfkc_without_invisible(text, parent, work, invisible)
    return (normal.translate(_DIGIT_FOLD) if digits else normal), span_map


def _nfkc_without_invisible(
    text: str, parent: SpanMap | None, work: int, invisible: bool
) -> tuple[str, SpanMap]:
    clean = _INVISIBLE_RUN.sub("", text) if invisible else text
    normal = _nfkc(clean)
    if len(normal) == len(clean) and "".join(map(_NFKC_CHAR, clean)) == normal:
        if len(text) - len(clean) > work:
            return normal, _whole_text_map(normal, text, parent)
        return normal, _skip_invisible_map(text, parent)  # full-width letters and the like
    if len(text) - len(text.encode("ascii", "ignore")) > work:
        return normal, _whole_text_map(normal, text, parent)
    span_map = SpanMap(parent)
    out: list[str] = []
    v = pos = 0
    combining = unicodedata.combining
    for run in _NON_ASCII.finditer(text):
        start, end = run.span()
        if start > pos and combining(text[start]):
            start -= 1  # a combining mark composes with the ASCII letter before it
        if start > pos:
            out.append(text[pos:start])
            span_map.add(v, v + start - pos, pos, start, 1)
            v += start - pos
        # Invisible characters split the run; each visible stretch is normalised on its own.
        a = start
        stops = [m.span() for m in _INVISIBLE.finditer(text, start, end)] if invisible else []
        for b, after in [*stops, (end, end)]:
            if b > a:
                v = _normalise_stretch(text, a, b, out, span_map, v)
            a = after
        pos = end
    if pos < len(text):
        out.append(text[pos:])
        span_map.add(v, v + len(text) - pos, pos, len(text), 1)
    return "".join(out), span_map


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# Normalising character by character in C (map + partial) to check a text maps one-to-one.
_NFKC_CHAR = functools.partial(unicodedata.normalize, "NFKC")


def _whole_text_map(normal: str, text: str, parent: SpanMap | None) -> SpanMap:
    span_map = SpanMap(parent)
    span_map.add(0, max(len(normal), 1), 0, len(text), 0)
    return span_map


def _skip_invisible_map(text: str, parent: SpanMap | None) -> SpanMap:
    """The map of a one-to-one normalisation that only dropped invisible characters."""
    span_map = SpanMap(parent)
    v = a = 0
    for m in _INVISIBLE_RUN.finditer(text):
        s, e = m.span()
        span_map.add(v, v + s - a, a, s, 1)
        v += s - a
        a = e
    span_map.add(v, v + len(text) - a, a, len(text), 1)
    return span_map


def _normalise_stretch(text: str, a: int, b: int, out: list[str], span_map: SpanMap, v: int) -> int:
    """Normalise ``text[a:b]`` (no invisible characters) into ``out``; returns the new view offset."""
    stretch = text[a:b]
    normal = _nfkc(stretch)
    if normal == stretch or (len(normal) == len(stretch) and "".join(map(_nfkc, stretch)) == normal):
        # Character for character (full-width letters and the like): an exact one-to-one map.
        out.append(normal)
        span_map.add(v, v + len(normal), a, b, 1)
        return v + len(normal)
    combining = unicodedata.combining
    i = a
    while i < b:  # length-changing forms (ligatures, compositions): cluster by cluster
        j = i + 1
        while j < b and combining(text[j]):
            j += 1
        cluster = text[i:j]
        normal = _nfkc(cluster)
        span_map.add(v, v + len(normal), i, j, 1 if normal == cluster else 0)
        out.append(normal)
        v += len(normal)
        i = j
    return v


# Text of Latin-1 characters only (a body that is not UTF-8 is read one character per byte) has
# a cheap normalisation: NFKC changes 14 of its characters, each on its own (none is a combining
# mark, and nothing NFKC makes of one composes with a neighbour), U+00AD is its only invisible
# character and it has no digits to fold. A translation table, and a map built from the few
# characters that change, give exactly what the general path gives, piece for piece.
_LATIN1_NFKC = {c: _nfkc(chr(c)) for c in range(0x80, 0x100) if _nfkc(chr(c)) != chr(c)}
_LATIN1_INVISIBLE = "".join(chr(c) for c in range(0x80, 0x100) if _INVISIBLE.match(chr(c)))
_LATIN1_TABLE = ["" if chr(c) in _LATIN1_INVISIBLE else _LATIN1_NFKC.get(c, chr(c)) for c in range(0x100)]
_LATIN1_CHANGING = "".join(map(chr, _LATIN1_NFKC))
_LATIN1_LONG = "".join(chr(c) for c, normal in _LATIN1_NFKC.items() if len(normal) != 1)
_LATIN1_CHANGED = re.compile("[" + re.escape(_LATIN1_CHANGING) + "]")
_LATIN1_HAS_LONG = re.compile("[" + re.escape(_LATIN1_LONG) + "]")
_LATIN1_CHANGED_OR_INVISIBLE = re.compile("[" + re.escape(_LATIN1_CHANGING + _LATIN1_INVISIBLE) + "]")
_LATIN1_LONG_OR_INVISIBLE = re.compile("[" + re.escape(_LATIN1_LONG + _LATIN1_INVISIBLE) + "]")
# Byte by byte: 0 where a stretch of visible non-ASCII characters (``_normalise_stretch``'s) stops.
_LATIN1_STOPS = bytes(0 if c < 0x80 or chr(c) in _LATIN1_INVISIBLE else 1 for c in range(0x100))


def _latin1_normalised(text: str, parent: SpanMap | None, work: int) -> tuple[str, SpanMap | None] | None:
    """``normalise`` of a text of Latin-1 characters only, in C but for a few steps per
    length-changing character; None for any other text."""
    data = text.encode("latin-1", "ignore")  # no exception to raise for every other text
    if len(data) != len(text):
        return None
    if _LATIN1_CHANGED_OR_INVISIBLE.search(text) is None:
        return text, None
    normal = text.translate(_LATIN1_TABLE)
    if _LATIN1_HAS_LONG.search(text) is None:  # one-to-one but for the invisible characters dropped
        if len(text) - len(normal) > work:
            return normal, _whole_text_map(normal, text, parent)
        return normal, _skip_invisible_map(text, parent)
    if len(text) - len(text.encode("ascii", "ignore")) > work:
        return normal, _whole_text_map(normal, text, parent)
    stops = data.translate(_LATIN1_STOPS)
    span_map = SpanMap(parent)
    add = span_map.add
    v = pos = stretch_end = 0
    for m in _LATIN1_LONG_OR_INVISIBLE.finditer(text):
        i = m.start()
        if i < stretch_end:
            continue  # in a stretch mapped already
        if text[i] in _LATIN1_INVISIBLE:
            add(v, v + i - pos, pos, i, 1)
            v += i - pos
            pos = i + 1
            continue
        # A stretch with a length-changing character: each changed character maps on its own.
        stretch_end = stops.find(0, i)
        if stretch_end < 0:
            stretch_end = len(text)
        for c in _LATIN1_CHANGED.finditer(text, stops.rfind(0, 0, i) + 1, stretch_end):
            j = c.start()
            add(v, v + j - pos, pos, j, 1)
            v += j - pos
            n = len(_LATIN1_NFKC[ord(text[j])])
            add(v, v + n, j, j + 1, 0)
            v += n
            pos = j + 1
    add(v, v + len(text) - pos, pos, len(text), 1)
    return normal, span_map


def _token_start(src: str, pos: int, floor: int) -> int:
    lo = max(floor, pos - _TOKEN_REACH)
    return max(lo, *(src.rfind(ws, lo, pos) + 1 for ws in " \n\t\r"))


def _left_edge(src: str, start: int, floor: int) -> int:
    """Where copied context before ``start`` begins: the word it sits in, plus up to 48 characters
    of the words before (cut at a word boundary), never before ``floor``."""
    head = _token_start(src, start, floor)
    lo = max(floor, head - _LEFT_CONTEXT)
    if lo > floor and not src[lo - 1].isspace():
        m = _WHITESPACE.search(src, lo, head)
        lo = m.end() if m is not None else head
    return lo


def _right_edge(src: str, end: int) -> int:
    """Where copied context after ``end`` stops: the end of the word it sits in (bounded)."""
    hi = min(len(src), end + _TOKEN_REACH)
    m = _WHITESPACE.search(src, end, hi)
    return m.start() if m is not None else hi


def _assemble(src: str, items: list[Item], limit: int, parent: SpanMap | None) -> tuple[str, SpanMap, bool]:
    """A view of ``src`` made of windows around the decoded items, at most ``limit`` characters."""
    span_map = SpanMap(parent)
    out: list[str] = []
    v = 0

    def put(text: str, start: int, end: int, stride: int) -> bool:
        """Append a piece, cut to what the limit leaves; False once the limit is reached."""
        nonlocal v
        room = limit - v
        if len(text) > room:
            text = text[: max(room, 0)]
            if stride > 0:
                end = start + stride * len(text)
        out.append(text)
        span_map.add(v, v + len(text), start, end, stride)
        v += len(text)
        return v < limit

    i, n = 0, len(items)
    prev_end = 0
    room_left = True
    while i < n and room_left:
        first_start = items[i][0]
        if out and not put(SEPARATOR, prev_end, prev_end, -1):
            break
        left = _left_edge(src, first_start, prev_end)
        room_left = put(src[left:first_start], left, first_start, 1)
        cur = first_start
        while i < n and room_left:
            start, end, text, stride = items[i]
            if start > cur + _WINDOW_GAP and start >= _right_edge(src, cur):
                break  # far away and not in the same word: a new window
            if start > cur and not put(src[cur:start], cur, start, 1):
                room_left = False
                break
            room_left = put(text, start, end, stride)
            cur = end
            i += 1
        if room_left:
            right = _right_edge(src, cur)
            room_left = put(src[cur:right], cur, right, 1)
            prev_end = right
    return "".join(out), span_map, i < n


def views_with_status(
    text: str, *, budget: int = DEFAULT_BUDGET, max_depth: int = DEFAULT_MAX_DEPTH
) -> tuple[list[View], bool]:
    """``views(text)`` plus whether decoding stopped early (budget or depth exhausted).

    A caller that must not miss anything can treat a stopped decode as not inspectable.
    Never raises: on an unexpected error it returns the text as is and ``True``.
    """
    try:
        return _views(text, budget, max_depth)
    except Exception:  # decoding is best effort; the caller still scans the text itself
        return [View(text, None, identity)], True


def views(text: str, *, budget: int = DEFAULT_BUDGET, max_depth: int = DEFAULT_MAX_DEPTH) -> list[View]:
    """The normalised text first, then one view per decoded layer (see the module docstring)."""
    return views_with_status(text, budget=budget, max_depth=max_depth)[0]


def _views(text: str, budget: int, max_depth: int) -> tuple[list[View], bool]:
    runs = list(blob_runs(text)) if text.isascii() else None
    if runs is not None and not has_escape_candidate(text) and not has_blob_candidate(text, runs):
        return [View(text, None, identity)], False
    base, base_map = normalise(text, work=budget)
    result = [View(base, None, base_map if base_map is not None else identity)]
    left = budget
    stopped = False
    # Breadth first, so shallow layers get the budget before deep ones (entries: ``_Entry``).
    queue: deque[_Entry] = deque([(base, base_map, None, None, "", 0, None)])
    while queue:
        src, src_map, layer_map, norm_map, chain, depth, src_part = queue.popleft()
        if runs is None or src is not text:
            runs = list(blob_runs(src))
        layers: list[tuple[str, list[Item]]] = []
        for name, decode in DECODERS:
            if left <= 0:
                return result, True
            items, cut = decode(src, left, runs)
            stopped |= cut
            if layer_map is not None:
                # Below the first layer only what was just decoded is new: the copied context
                # has been decoded already, one level up.
                items = [it for it in items if _is_new(it, layer_map, norm_map)]
            if items:
                layers.append((name, items))
        if layers and depth >= max_depth:
            stopped = True
            continue
        for name, items in _mix_escapes(layers):
            if left <= 0:
                return result, True
            view_text, view_map, cut = _assemble(src, items, left, src_map)
            stopped |= cut
            # Decoded text may itself hide characters (base64 of zero-width-split text).
            normal_text, normal_map = normalise(view_text, view_map, work=budget)
            if len(normal_text) > left:  # NFKC can lengthen text (ligatures, U+FDFA is 18 characters)
                normal_text = normal_text[:left]
                stopped = True
            left -= max(len(view_text), len(normal_text))
            layer = name if not chain else chain + ">" + name
            lines = _message_lines(src, name, items, view_text) if depth == 0 else None
            if lines is not None:
                part: _Subfield | None = _through(lines, normal_map)
            else:
                part = None if src_part is None else _inherited(src_part, view_map, normal_map)
            if normal_map is None:
                result.append(View(view_text, layer, view_map, part))
                queue.append((view_text, view_map, view_map, None, layer, depth + 1, part))
            else:
                result.append(View(normal_text, layer, normal_map, part))
                queue.append((normal_text, normal_map, view_map, normal_map, layer, depth + 1, part))
            if lines is not None and left > 0:
                # What a mail reader decodes in the message (encoded words, quoted-printable parts).
                final, final_map = (view_text, view_map) if normal_map is None else (normal_text, normal_map)
                reading = _message_reading(view_text, lines, final, final_map, layer, depth + 1, left, budget)
                if reading is not None:
                    view, entry, cost, cut = reading
                    stopped |= cut
                    left -= cost
                    result.append(view)
                    queue.append(entry)
    return result, stopped


def _message_lines(src: str, name: str, items: list[Item], view_text: str) -> HeaderLines | None:
    """The header lines of the e-mail message a first-layer view is, when the whole field is base64
    of one (Gmail's ``raw``), else None. One comparison for any other view."""
    if name != "base64" or len(items) != 1:
        return None
    start, end, decoded, _stride = items[0]
    # The blob is the whole field, so the view is exactly its decoded text, nothing copied around.
    if start != 0 or end != len(src) or view_text != decoded:
        return None
    return read_headers(view_text)


def _through(lines: _Subfield, normal_map: SpanMap | None) -> _Subfield:
    """``View.subfield`` of a view whose text, before ``normal_map``'s normalisation, is the one
    ``lines`` reads."""
    if normal_map is None:
        return lines
    local = normal_map.local
    return lambda s, e: lines(*local(s, e))


def _message_reading(
    message: str, lines: HeaderLines, final: str, final_map: SpanMap, chain: str, depth: int, left: int,
    budget: int,
) -> tuple[View, _Entry, int, bool] | None:
    """The view ``chain + ">mime"`` of what a mail reader decodes in a message view
    (``decoding_mime.decoded_message``; ``message`` before normalisation, ``final`` after, mapped by
    ``final_map``, ``depth`` layers down), its queue entry, its cost against the budget and whether
    it was cut at ``left`` characters. Each of its characters maps to the whole message, so to the
    whole blob."""
    reading = decoded_message(message, lines)
    if reading is None or not reading[0]:
        return None
    text, parts = reading
    cut = len(text) > left
    text = text[:left]
    layer_map = SpanMap(final_map)
    layer_map.add(0, len(text), 0, len(final), OPAQUE)
    normal, normal_map = normalise(text, layer_map, work=budget)
    if len(normal) > left:
        normal, cut = normal[:left], True
    layer = chain + ">mime"
    cost = max(len(text), len(normal))
    if normal_map is None:
        entry: _Entry = (text, layer_map, layer_map, None, layer, depth + 1, parts)
        return View(text, layer, layer_map, parts), entry, cost, cut
    part = _through(parts, normal_map)
    entry = (normal, normal_map, layer_map, normal_map, layer, depth + 1, part)
    return View(normal, layer, normal_map, part), entry, cost, cut


def _inherited(parent: _Subfield, view_map: SpanMap, normal_map: SpanMap | None) -> _Subfield:
    """``View.subfield`` of a view decoded from one that has them: a span maps one layer down (and
    through this view's normalisation) and is looked up there. Copied context keeps its header
    line; what was decoded maps to its whole encoded stretch, which lies in the body."""
    if normal_map is None:
        return lambda s, e: parent(*view_map.local(s, e))
    local, down = normal_map.local, view_map.local
    return lambda s, e: parent(*down(*local(s, e)))


_ESCAPE_LAYERS = frozenset({"percent", "escape", "html"})


def _mix_escapes(layers: list[tuple[str, list[Item]]]) -> list[tuple[str, list[Item]]]:
    """One view for all escape kinds found together (``&#103;hp%5F...`` mixes two in one token).

    Escapes decode character by character, so they can be undone in a single pass; the view is
    named after the kinds it undid, ``"html+percent"``.
    """
    escapes = [(name, items) for name, items in layers if name in _ESCAPE_LAYERS]
    if len(escapes) < 2:
        return layers
    merged: list[Item] = []
    for item in sorted(it for _, items in escapes for it in items):
        if not merged or item[0] >= merged[-1][1]:  # overlapping matches: the first one wins
            merged.append(item)
    name = "+".join(sorted(name for name, _ in escapes))
    return [(name, merged), *((n, items) for n, items in layers if n not in _ESCAPE_LAYERS)]


def _is_new(item: Item, layer_map: SpanMap, norm_map: SpanMap | None) -> bool:
    start, end = item[0], item[1]
    if norm_map is not None:
        start, end = norm_map.local(start, end)
    return layer_map.decoded_in(start, end)
