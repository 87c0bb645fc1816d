"""Offset maps from a decoded view back to the text it was decoded from.

A view is assembled from pieces. Each piece covers ``view[vs:ve]`` and came from ``src[os:oe]``:

* stride 1 — copied as is: view char ``i`` is source char ``os + i``;
* stride k > 1 — fixed-width escapes (``%41`` is 3, ``\\u0041`` is 6): view char ``i`` came from
  ``src[os + k*i : os + k*(i+1)]``;
* stride 0 — atomic: any part of the piece maps to the whole source span (a base64 blob, one
  multi-byte character, an entity);
* stride -1 — a separator between windows, mapping to the empty span where the gap is;
* ``BASE64`` / ``HEX`` — a decoded blob: maps to the whole blob like stride 0, and view char
  ``i`` is char ``i - vs`` of the blob's decoded text, so ``redaction`` can edit inside it;
* ``OPAQUE`` — a reading of the whole source that cannot be written back (what a mail reader
  decodes in an e-mail): maps to the whole source like stride 0; ``redaction`` gives up.

Maps compose: a view decoded from another view maps through its parent down to the field text.

``redaction(start, end, kind)`` says how to remove a span of the view from the field text without
corrupting it: ``Edit``s of the field text, each either ``(start, end, kind)`` (replace that span
with the placeholder of ``kind``) or ``(start, end, Blob)`` (that span is a base64/hex blob:
decode it, apply ``Blob.edits`` to the decoded text, re-encode it the same way;
``decoding_redact.apply_edits``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

SEPARATOR = "\n"
# Strides of decoded pieces besides the fixed widths, 0 (atomic) and -1 (separator).
BASE64 = -2
HEX = -3
OPAQUE = -4
BLOBS = (BASE64, HEX)


@dataclass(frozen=True, slots=True)
class Blob:
    """An encoded blob to rewrite: decode it (``codec``: ``BASE64`` or ``HEX``), apply ``edits`` to
    the decoded text, re-encode it as it was written."""

    codec: int
    edits: tuple[Edit, ...]


# ``(start, end, kind)``: replace with the placeholder of ``kind``; ``(start, end, Blob)``: rewrite inside.
Edit = tuple[int, int, str | Blob]


class SpanMap:
    """Callable ``(start, end) -> (start, end)`` into the parent text (or the original field)."""

    __slots__ = ("_k", "_oe", "_os", "_parent", "_ve", "_vs")

    def __init__(self, parent: SpanMap | None = None) -> None:
        self._vs: list[int] = []
        self._ve: list[int] = []
        self._os: list[int] = []
        self._oe: list[int] = []
        self._k: list[int] = []
        self._parent = parent

    def add(self, vs: int, ve: int, os_: int, oe: int, stride: int) -> None:
        if ve <= vs:
            return
        if stride == 1 and self._k and self._k[-1] == 1 and self._ve[-1] == vs and self._oe[-1] == os_:
            self._ve[-1] = ve  # contiguous copy: extend the previous piece
            self._oe[-1] = oe
            return
        self._vs.append(vs)
        self._ve.append(ve)
        self._os.append(os_)
        self._oe.append(oe)
        self._k.append(stride)

    def _piece(self, pos: int) -> int:
        return max(0, min(bisect_right(self._vs, pos) - 1, len(self._vs) - 1))

    def _start(self, pos: int) -> int:
        i = self._piece(pos)
        vs, k = self._vs[i], self._k[i]
        if pos >= self._ve[i]:
            return self._oe[i]
        if pos < vs:
            return self._os[i]
        if k > 0:
            return self._os[i] + (pos - vs) * k
        return self._os[i]

    def _end(self, pos: int) -> int:
        i = self._piece(pos - 1)
        vs, k = self._vs[i], self._k[i]
        if pos <= vs:
            return self._os[i]
        if pos > self._ve[i]:
            return self._oe[i]
        if k > 0:
            return self._os[i] + (pos - vs) * k
        return self._oe[i]

    def local(self, start: int, end: int) -> tuple[int, int]:
        """The span in the immediate source text (one layer down, not down to the field)."""
        if not self._vs:
            return start, end
        if end <= start:
            s = self._start(start)
            return s, s
        return self._start(start), self._end(end)

    def __call__(self, start: int, end: int) -> tuple[int, int]:
        span = self.local(start, end)
        if self._parent is not None:
            return self._parent(*span)
        return span

    def redaction(self, start: int, end: int, kind: str) -> tuple[Edit, ...] | None:
        """The edits of the field text that remove ``view[start:end]`` (see the module docstring),
        or None when that cannot be done exactly: the span lies in a reading that cannot be written
        back (``OPAQUE``), or a blob to rewrite was itself written with escapes or across pieces
        (base64 spelled with ``%2B``), so re-encoding it would change more than the value."""
        edits: tuple[Edit, ...] | None = ((start, end, kind),)
        span_map: SpanMap | None = self
        while span_map is not None and edits is not None:
            edits = span_map._down(edits)
            span_map = span_map._parent
        return edits

    def _down(self, edits: tuple[Edit, ...]) -> tuple[Edit, ...] | None:
        """``edits`` of this map's view as edits of its source text (one layer down)."""
        if not self._vs:
            return edits
        out: list[Edit] = []
        n = len(self._vs)
        for s, e, what in edits:
            if e <= s:
                continue
            i = self._piece(s)
            vs, ve, os_, k = self._vs[i], self._ve[i], self._os[i], self._k[i]
            if isinstance(what, Blob):
                # A blob found in this view: exact only when copied as is, or inside a decoded blob.
                if not (vs <= s and e <= ve):
                    return None
                if k == 1:
                    out.append((os_ + s - vs, os_ + e - vs, what))
                elif k in BLOBS:
                    out.append((os_, self._oe[i], Blob(k, ((s - vs, e - vs, what),))))
                else:
                    return None
                continue
            covered = 0
            while i < n and self._vs[i] < e:
                vs, ve, os_, oe, k = self._vs[i], self._ve[i], self._os[i], self._oe[i], self._k[i]
                a, b = max(s, vs), min(e, ve)
                i += 1
                if b <= a:
                    continue
                covered += b - a
                if k == OPAQUE:
                    return None
                if k in BLOBS:
                    out.append((os_, oe, Blob(k, ((a - vs, b - vs, what),))))
                elif k > 0:
                    out.append((os_ + (a - vs) * k, os_ + (b - vs) * k, what))
                elif k == 0:
                    out.append((os_, oe, what))  # atomic: an entity, a multi-byte escape, a cluster
            if covered < e - s:
                return None  # not every character mapped: never redact less than was found
        return tuple(out)

    def decoded_in(self, start: int, end: int) -> bool:
        """Whether ``view[start:end]`` touches anything decoded (not copied, not a separator)."""
        i = self._piece(start)
        n = len(self._vs)
        while i < n and self._vs[i] < end:
            if self._k[i] not in (1, -1) and self._ve[i] > start:
                return True
            i += 1
        return False


def identity(start: int, end: int) -> tuple[int, int]:
    return start, end
