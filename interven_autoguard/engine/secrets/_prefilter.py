"""Which rule prefilter expressions occur in a text — one pass in C, ASCII case-insensitive.

The expressions are the rules' literal keywords (escaped) and, for the context/generic rules, short
regexes that are necessary conditions for a match (RE2 ∩ Hyperscan syntax).

Two interchangeable back-ends (both give the same answer, the indices of the expressions that occur):

* google-re2 (the required dependency): compiles in ~40 ms; ~2.5 µs per 1 KB. A ``Set`` of the
  rules' *screens* (counter-free necessary conditions), then each reported entry confirmed with its
  exact expression alone: one Set of the counted expressions gave the same answer but crawled over
  base64 and random text (``_Re2Keywords``, ``docs/blob-performance.md``).
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
import threading
from collections.abc import Callable, Iterator, Sequence

_NO_MATCH = (-1, -1)  # google-re2's span of a group that did not take part (here: no match)


class _Re2Keywords:
    """Two passes, so that no automaton holds every rule's counted repeats at once.

    1. One ``Set`` of the *screens* (each entry's expression without long counted repeats, a
       necessary condition of it): small on any text, linear — prose, base64, hex, random words.
    2. Each entry the screen reports whose screen differs from its expression is confirmed with its
       own expression, alone (one small automaton, compiled on first need). Usually none or a few.

    The answer is exactly that of one Set of the expressions (what Hyperscan gives): an entry is
    reported iff its expression occurs. One Set of all the counted expressions answered the same but
    crawled over base64 or random text (0.3-3 s per 100 KB): its DFA states are combinations of
    every rule's count in progress.
    """

    name = "re2"

    def __init__(self, expressions: Sequence[str], screens: Sequence[str] | None = None) -> None:
        import re2

        screens = list(expressions if screens is None else screens)
        if len(screens) != len(expressions):
            raise ValueError("one screen per expression")
        self._set = re2.Set.SearchSet(_options())
        for expr in screens:
            self._set.Add(expr.encode("latin-1"))
        # Last, the end of the text: every pass that worked reports it; a Set whose automaton ran
        # out of memory reports nothing (the binding drops RE2's failure flag), which then means
        # "could not tell" and every entry is tried, never "none present" (triage.CANARY).
        self._canary = self._set.Add(rb"\z")
        self._set.Compile()
        self._maybe = compile_any(screens)
        # None: the screen is the expression itself; a str: confirm with it (compiled when needed).
        self._exact: list[str | Callable[[bytes], bool] | None] = [
            None if screen == expr else expr for screen, expr in zip(screens, expressions, strict=True)
        ]
        self.confirmations = 0  # how many single-expression passes ran (tests, benchmarks)

    def _occurs(self, entry: int, data: bytes) -> bool:
        exact = self._exact[entry]
        if exact is None:
            return True
        if isinstance(exact, str):
            # A race only compiles it twice; the list store is atomic.
            exact = self._exact[entry] = compile_any([exact])
        self.confirmations += 1
        return exact(data)

    # Encode ourselves: the wrapper's own str→UTF-8 step raises on lone surrogates (JSON "\\ud800").
    def present(self, text: str) -> Sequence[int]:
        data = text.encode("utf-8", "surrogatepass")
        return [e for e in self._screened(data) if self._occurs(e, data)]

    def any(self, text: str) -> bool:
        # The screens' alternation first: it stops at its first match (a prompt with a keyword
        # early is cleared at once), and clears most texts without reading them twice.
        data = text.encode("utf-8", "surrogatepass")
        if not self._maybe(data):
            return False
        return any(self._occurs(e, data) for e in self._screened(data))

    def _screened(self, data: bytes) -> Sequence[int]:
        """The entries whose screen occurs in ``data``; all of them when the Set could not search."""
        found = self._set.Match(data)
        if not found:  # not even the canary: the automaton failed, so every entry is a candidate
            return range(self._canary)
        return [e for e in found if e != self._canary]


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


def compile_any(expressions: Sequence[str]) -> Callable[[bytes], bool]:
    """``data -> does any expression occur`` (RE2, bytes, ASCII case-insensitive, in-line flags
    allowed): one alternation, stopping at the first match."""
    import re2

    regex = re2.compile("|".join(f"(?:{e})" for e in expressions).encode("latin-1"), _options())
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


def _options() -> object:
    import re2

    options = re2.Options()
    options.case_sensitive = False
    # Bytes semantics like Hyperscan's: "[^x]" is one byte, invalid UTF-8 is just bytes.
    options.encoding = re2.Options.Encoding.LATIN1
    return options


def build(expressions: Sequence[str], screens: Sequence[str] | None = None) -> Prefilter:
    """The back-end to use right now: re2 (compiles in tens of ms, so the first scan is not delayed).
    ``screens[i]``: a cheaper necessary condition of ``expressions[i]`` for the first pass."""
    return _Re2Keywords(expressions, screens)


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

    return re2.compile(expression.encode("latin-1"), _options())


def locate(locator: object, ascii_text: str) -> Iterator[int]:
    """Start positions of the locator's non-overlapping matches in an ASCII text, lazily."""
    for m in locator.finditer(ascii_text.encode("ascii")):  # type: ignore[attr-defined]
        yield m.start()
