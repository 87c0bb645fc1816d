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
that must be removed to remove the value: the exact escapes for percent/escape/entity layers, the
whole blob for base64/hex, composed through every layer and the normalisation.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import deque

from .decoding_layers import DECODERS, Item, blob_runs, has_blob_candidate, has_escape_candidate
from .decoding_map import SEPARATOR, SpanMap, identity
from .types import View

__all__ = ["needs_views", "normalise", "views", "views_with_status"]

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


def normalise(text: str, parent: SpanMap | None = None) -> tuple[str, SpanMap | None]:
    """NFKC without invisible characters, with a map back to ``text`` (None when unchanged)."""
    if text.isascii():
        return text, None
    invisible = _INVISIBLE.search(text) is not None
    if not invisible and unicodedata.is_normalized("NFKC", text):
        return text, None
    clean = _INVISIBLE_RUN.sub("", text) if invisible else text
    normal = _nfkc(clean)
    if len(normal) == len(clean) and "".join(map(_NFKC_CHAR, clean)) == normal:
        return normal, _skip_invisible_map(text, parent)  # full-width letters and the like
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
            if start > cur + _WINDOW_GAP:
                break
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
    base, base_map = normalise(text)
    result = [View(base, None, base_map if base_map is not None else identity)]
    left = budget
    stopped = False
    # Breadth first, so shallow layers get the budget before deep ones. Each entry: the text, its
    # map, the map of the layer that decoded it and the normalisation applied on top (if any).
    queue: deque[tuple[str, SpanMap | None, SpanMap | None, SpanMap | None, str, int]] = deque(
        [(base, base_map, None, None, "", 0)]
    )
    while queue:
        src, src_map, layer_map, norm_map, chain, depth = queue.popleft()
        if runs is None or src is not text:
            runs = list(blob_runs(src))
        for name, decode in DECODERS:
            if left <= 0:
                return result, True
            items, cut = decode(src, left, runs)
            stopped |= cut
            if layer_map is not None:
                # Below the first layer only what was just decoded is new: the copied context
                # has been decoded already, one level up.
                items = [it for it in items if _is_new(it, layer_map, norm_map)]
            if not items:
                continue
            if depth >= max_depth:
                stopped = True
                continue
            view_text, view_map, cut = _assemble(src, items, left, src_map)
            stopped |= cut
            # Decoded text may itself hide characters (base64 of zero-width-split text).
            normal_text, normal_map = normalise(view_text, view_map)
            left -= len(view_text)
            layer = name if not chain else chain + ">" + name
            if normal_map is None:
                result.append(View(view_text, layer, view_map))
                queue.append((view_text, view_map, view_map, None, layer, depth + 1))
            else:
                result.append(View(normal_text, layer, normal_map))
                queue.append((normal_text, normal_map, view_map, normal_map, layer, depth + 1))
    return result, stopped


def _is_new(item: Item, layer_map: SpanMap, norm_map: SpanMap | None) -> bool:
    start, end = item[0], item[1]
    if norm_map is not None:
        start, end = norm_map.local(start, end)
    return layer_map.decoded_in(start, end)
