"""Offset maps from a decoded view back to the text it was decoded from.

A view is assembled from pieces. Each piece covers ``view[vs:ve]`` and came from ``src[os:oe]``:

* stride 1 — copied as is: view char ``i`` is source char ``os + i``;
* stride k > 1 — fixed-width escapes (``%41`` is 3, ``\\u0041`` is 6): view char ``i`` came from
  ``src[os + k*i : os + k*(i+1)]``;
* stride 0 — atomic: any part of the piece maps to the whole source span (a base64 blob, one
  multi-byte character, an entity);
* stride -1 — a separator between windows, mapping to the empty span where the gap is.

Maps compose: a view decoded from another view maps through its parent down to the field text.
"""

from __future__ import annotations

from bisect import bisect_right

SEPARATOR = "\n"


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
