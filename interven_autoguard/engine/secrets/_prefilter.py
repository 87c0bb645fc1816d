"""Which rule prefilter expressions occur in a text — one pass in C, ASCII case-insensitive.

The expressions are the rules' literal keywords (escaped) and, for the context/generic rules, short
regexes that are necessary conditions for a match (RE2 ∩ Hyperscan syntax).

Two interchangeable back-ends (both give the same answer, the indices of the expressions that occur):

* google-re2 ``Set`` (the required dependency): compiles in ~40 ms; ~2.5 µs per 1 KB.
* Hyperscan (opt-in: ``INTERVEN_SECRETS_PREFILTER=hyperscan`` and ``pip install hyperscan``; x86-64):
  one automaton, ``SINGLEMATCH`` so each expression is reported at most once — ~1 µs per 1 KB, 2-3×
  faster than RE2 on large bodies — but 150+ ms to compile (built in a background thread and swapped
  in when ready) and ~9 MB more RSS, which is why it is not the default.

pyahocorasick was measured too (~14 µs per 1 KB because it yields every occurrence to Python) and is
not used.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence

_NO_MATCH = (-1, -1)  # google-re2's span of a group that did not take part (here: no match)


class _Re2Keywords:
    name = "re2"

    def __init__(self, expressions: Sequence[str]) -> None:
        import re2

        options = re2.Options()
        options.case_sensitive = False
        # Bytes semantics like Hyperscan's: "[^x]" is one byte, invalid UTF-8 is just bytes.
        options.encoding = re2.Options.Encoding.LATIN1
        self._set = re2.Set.SearchSet(options)
        for expr in expressions:
            self._set.Add(expr.encode("latin-1"))
        self._set.Compile()
        self._maybe = compile_any([uncounted(e) for e in expressions])

    # Encode ourselves: the wrapper's own str→UTF-8 step raises on lone surrogates (JSON "\\ud800").
    def present(self, text: str) -> Sequence[int]:
        return self._set.Match(text.encode("utf-8", "surrogatepass")) or ()

    def any(self, text: str) -> bool:
        # First the counter-free alternation (a necessary condition of the Set's answer): it stops at
        # its first match and stays linear on any text, so prose and blobs are cleared in one cheap
        # pass. Only when it fires does the Set give the exact answer. The alternation of the counted
        # expressions was tried and dropped: its leftmost-first DFA runs out of memory on random
        # words and falls back to the NFA (100+ ms per 100 KB).
        data = text.encode("utf-8", "surrogatepass")
        return self._maybe(data) and bool(self._set.Match(data))


class _HyperscanKeywords:
    name = "hyperscan"

    def __init__(self, expressions: Sequence[str]) -> None:
        import hyperscan

        self._hs = hyperscan
        self._db = hyperscan.Database()
        flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH
        self._db.compile(
            expressions=[e.encode() for e in expressions],
            ids=list(range(len(expressions))),
            flags=[flags] * len(expressions),
        )
        self._proto = hyperscan.Scratch(self._db)
        self._local = threading.local()  # scratch space is per thread in Hyperscan

    def _scratch(self) -> object:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._proto.clone()
        return scratch

    def present(self, text: str) -> Sequence[int]:
        found: list[int] = []
        self._db.scan(
            text.encode("utf-8", "surrogatepass"),
            match_event_handler=_collect,
            context=found,
            scratch=self._scratch(),
        )
        return found

    def any(self, text: str) -> bool:
        try:
            self._db.scan(
                text.encode("utf-8", "surrogatepass"),
                match_event_handler=_stop,
                scratch=self._scratch(),
            )
        except self._hs.ScanTerminated:
            return True
        return False


def _collect(kw_id: int, _from: int, _to: int, _flags: int, found: list[int]) -> None:
    found.append(kw_id)


def _stop(_id: int, _from: int, _to: int, _flags: int, _ctx: object) -> bool:
    return True


Prefilter = _Re2Keywords | _HyperscanKeywords


def uncounted(expression: str) -> str:
    """``expression`` with every counted repeat made plain: ``X{0,n}`` → ``X*``, ``X{k,…}`` → ``X+``.

    A necessary condition of ``expression`` (each ``X{k,…}`` match is an ``X+`` one), with no
    counter for the automaton to track: a set of such expressions stays a small DFA on any text.
    Escapes and character classes are copied as they are (``[{}]`` is no repeat).
    """
    out: list[str] = []
    i, n = 0, len(expression)
    in_class = False
    while i < n:
        ch = expression[i]
        if ch == "\\":
            out.append(expression[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]" or (out[-1] in ("[", "[^"))
            out.append(ch)
        elif ch == "[":
            in_class = True
            out.append("[^" if expression.startswith("[^", i) else "[")
            i += 2 if expression.startswith("[^", i) else 1
            continue
        else:
            m = _COUNTED.match(expression, i)
            if m is None:
                out.append(ch)
            else:
                out.append("*" if int(m.group(1)) == 0 else "+")
                i = m.end()
                continue
        i += 1
    return "".join(out)


_COUNTED = re.compile(r"\{(\d+)(?:,\d*)?\}")


def compile_any(expressions: Sequence[str]) -> Callable[[bytes], bool]:
    """``data -> does any expression occur`` (RE2, bytes, ASCII case-insensitive, in-line flags
    allowed): one alternation, stopping at the first match."""
    import re2

    options = re2.Options()
    options.case_sensitive = False
    options.encoding = re2.Options.Encoding.LATIN1
    regex = re2.compile("|".join(f"(?:{e})" for e in expressions).encode("latin-1"), options)
    # ``search`` runs a Python generator around the C++ match and builds a match object; "is there
    # one" only needs the C++ match, called directly when this google-re2 version exposes it.
    regexp, anchor = getattr(regex, "_regexp", None), getattr(re2, "_Anchor", None)
    unanchored = getattr(anchor, "UNANCHORED", None)
    if regexp is not None and unanchored is not None and hasattr(regexp, "Match"):
        match = functools.partial(regexp.Match, unanchored)

        def matches(data: bytes) -> bool:
            return match(data, 0, len(data))[0] != _NO_MATCH  # type: ignore[no-any-return]

        return matches
    return lambda data: regex.search(data) is not None


def build(expressions: Sequence[str]) -> Prefilter:
    """The back-end to use right now: re2 (compiles in tens of ms, so the first scan is not delayed)."""
    return _Re2Keywords(expressions)


def hyperscan_wanted() -> bool:
    return os.environ.get("INTERVEN_SECRETS_PREFILTER", "").strip().lower() == "hyperscan"


def build_fast(expressions: Sequence[str]) -> Prefilter | None:
    """Hyperscan, if installed; its compile takes 150+ ms, so callers do it off the request path and
    swap it in when ready (both back-ends answer identically). None when unavailable."""
    try:
        return _HyperscanKeywords(expressions)
    except Exception:  # not installed, or no build for this CPU/platform: stay on re2
        return None


def compile_locator(expression: str) -> object:
    """An RE2 regex (bytes, case-insensitive) used to list where a rule's match can start."""
    import re2

    options = re2.Options()
    options.case_sensitive = False
    options.encoding = re2.Options.Encoding.LATIN1
    return re2.compile(expression.encode("latin-1"), options)


def locate(locator: object, ascii_text: str) -> Iterator[int]:
    """Start positions of the locator's non-overlapping matches in an ASCII text, lazily."""
    for m in locator.finditer(ascii_text.encode("ascii")):  # type: ignore[attr-defined]
        yield m.start()
