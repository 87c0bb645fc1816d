"""All three triages of the engine in one pass over ASCII bytes, in C.

``ascii_is_clean(data)`` is True only if ``secrets.may_match``, ``pii.may_match`` and
``decoding.needs_views`` are all False on ``data`` read as text: nothing any detector could report
and nothing to decode, in ``data`` or in any substring of it. The common request — an agent's JSON
prompt to its usual endpoint — is cleared by one RE2 pass instead of three triages in Python, each
encoding the text again.

The expressions come from the modules that own the triages (the secrets prefilter entries,
``pii.TRIAGE_EXPRESSIONS``, ``decoding_layers.ESCAPE_TRIAGE_EXPRESSIONS`` and
``BLOB_TRIAGE_EXPRESSIONS``), each a necessary condition of its module's answer, so a detector
change updates its own expressions. They go into one RE2 ``Set``, which says which of them occur:
none — clean; only the (deliberately loose) blob expressions — ``has_blob_candidate`` decides;
anything else — not clean, take the full path. Non-ASCII input is outside the contract
(normalisation alone would need views): callers check ``isascii()`` first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from . import decoding_layers, pii


def expressions() -> tuple[list[str], range]:
    """Every expression, and the indices of the blob ones (a match of those alone is confirmed)."""
    from .secrets import _engine

    exact = [*_engine.compiled().expressions, *pii.TRIAGE_EXPRESSIONS,
             *decoding_layers.ESCAPE_TRIAGE_EXPRESSIONS]
    return [*exact, *decoding_layers.BLOB_TRIAGE_EXPRESSIONS], range(
        len(exact), len(exact) + len(decoding_layers.BLOB_TRIAGE_EXPRESSIONS))


@functools.cache
def _set() -> tuple[Callable[[bytes], Sequence[int] | None], range]:
    import re2

    options = re2.Options()
    options.case_sensitive = False  # as the secrets prefilter; case-sensitive parts say (?-i:...)
    options.encoding = re2.Options.Encoding.LATIN1  # bytes semantics: one byte, one character
    every, blobs = expressions()
    matcher = re2.Set.SearchSet(options)
    for expression in every:
        matcher.Add(expression.encode("latin-1"))
    matcher.Compile()
    return matcher.Match, blobs


def ascii_is_clean(data: bytes) -> bool:
    """True: no detector's triage fires on ``data`` (ASCII bytes) nor on any part of it."""
    match, blobs = _set()
    found = match(data)
    if not found:
        return True
    if all(i in blobs for i in found):
        return not decoding_layers.has_blob_candidate(data.decode("ascii"))
    return False


def warm_up() -> None:
    """Compile now, off the request path."""
    _set()
