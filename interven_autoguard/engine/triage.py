"""All three triages of the engine over ASCII bytes: one RE2 pass and one byte translation, in C.

``ascii_is_clean(data)`` is True only if ``secrets.may_match``, ``pii.may_match`` and
``decoding.needs_views`` are all False on ``data`` read as text: nothing any detector could report
and nothing to decode, in ``data`` or in any substring of it. The common request — an agent's JSON
prompt to its usual endpoint — is cleared without three triages in Python, each encoding the text
again.

* Base64/hex blobs first, with ``decoding_layers.has_blob_candidate`` itself (a byte translation;
  Python only looks at runs of 16+ base64 characters): a prompt carrying an image stops here, at
  its first run, and never reaches the automaton below — whose many counted repeats make it crawl
  over base64 (seconds per megabyte, measured).
* Then one RE2 ``Set`` of the expressions the other triages own, each a necessary condition of its
  module's answer (the secrets prefilter entries and the sensitive names of fields,
  ``pii.TRIAGE_EXPRESSIONS``, ``decoding_layers.ESCAPE_TRIAGE_EXPRESSIONS``), so a detector change
  updates its own expressions.

Non-ASCII input is outside the contract (normalisation alone would need views): callers check
``isascii()`` first.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Callable, Sequence

from . import decoding_layers, pii
from .decoding_layers import RUN_END, RUN_NEEDLE, RUN_TABLE


def expressions() -> list[str]:
    from .secrets import _engine

    return [*_engine.compiled().expressions, *_engine.name_triage_expressions(), *pii.TRIAGE_EXPRESSIONS,
            *decoding_layers.ESCAPE_TRIAGE_EXPRESSIONS]


# An RE2 Set whose automaton runs out of memory mid-search reports no match at all, and the
# google-re2 binding drops the C++ call's failure flag: an empty answer would read as "clean" and the
# request would go out unscanned. The end of the text matches in every text, so a pass that worked
# always reports this entry; one that did not, reports nothing, and the request takes the full path.
CANARY = rb"\z"


@functools.cache
def _matches() -> Callable[[bytes], Sequence[int] | None]:
    import re2

    options = re2.Options()
    options.case_sensitive = False  # as the secrets prefilter; case-sensitive parts say (?-i:...)
    options.encoding = re2.Options.Encoding.LATIN1  # bytes semantics: one byte, one character
    matcher = re2.Set.SearchSet(options)
    for expression in expressions():
        matcher.Add(expression.encode("latin-1"))
    matcher.Add(CANARY)  # last: the one entry every successful pass reports (see CANARY)
    matcher.Compile()
    # The C++ Set's Match when this google-re2 exposes it: the wrapper adds a Python call.
    inner = getattr(matcher, "_set", None)
    return inner.Match if inner is not None and hasattr(inner, "Match") else matcher.Match


def ascii_is_clean(data: bytes, *, runs_as_is: bool = False) -> bool:
    """True: no detector's triage fires on ``data`` (ASCII bytes) nor on any part of it.

    ``runs_as_is``: the pipeline reads ``data`` as JSON or as text, so its blob runs are the ones
    in the raw bytes; a run that decodes to nothing (an agent's tool call ids) then does not rule
    the fast path out."""
    table = data.translate(RUN_TABLE)  # the blob checks' own first step, here: every request
    # find, not ``in``: ``bytes in bytes`` first tries the needle as an int (a TypeError formatted
    # and dropped on every call)
    if table.find(RUN_END) >= 0 or table.endswith(RUN_NEEDLE):  # a run of 16+ base64 characters
        if runs_as_is:
            if not decoding_layers.ascii_runs_decode_to_nothing(data, table):
                return False
        elif decoding_layers.ascii_has_blob_candidate(data, table):
            return False
    # The canary alone: nothing else matched. None at all: RE2 could not search (see CANARY).
    return len(_matches()(data) or ()) == 1  # the wrapper's own Match answers None for none


def warm_up() -> None:
    """Compile now, off the request path."""
    _matches()


# JSON's escapes but "\uXXXX" and "\/", which are triggers of their own (``ESCAPE_TRIAGE_EXPRESSIONS``)
_PLAIN_ESCAPES = re.compile(rb'\\[bfnrt"\\]')
_BACKSLASH = ord("\\")
_LAYERS = 8  # JSON in a string in a string...: deeper than this takes the full path


def clean_in_every_layer(data: bytes, is_clean: Callable[[bytes], bool]) -> bool:
    """``is_clean`` of ``data`` and of every text its JSON string escapes unfold to.

    The triages read raw bytes; the detectors read JSON strings, decoded, and strings holding JSON
    of their own (tool call arguments) decoded again. An escape's letter glued to what follows hides
    a boundary ("\\t039 8259" is a tab and a phone number; "\\tY29u..." a tab and a base64 run the raw
    bytes misalign), and an escaped quote hides a "key": "value" pair from the keyword expressions.
    So each layer — the bytes, then the bytes with one level of escapes read — must be clean. An
    escape outside JSON's set, or a deeper nesting, is not clean here (the full path reads it)."""
    layer = data
    for _ in range(_LAYERS):
        if not is_clean(layer):
            return False
        if _BACKSLASH not in layer:  # an int needle: see ascii_is_clean
            return True
        if _BACKSLASH in _PLAIN_ESCAPES.sub(b"", layer):
            return False
        layer = codecs.escape_decode(layer)[0]  # only JSON's plain escapes are left: no warning
    return False
