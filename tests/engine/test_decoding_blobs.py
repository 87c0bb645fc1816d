"""Shortcuts that keep blobs cheap in the base64/hex layers answer as the full work would.

``_binary_from_start`` turns a run away after decoding its first characters only: it must never
say so of a run whose full decoding (or its end-trimmed retry) is text. ``_has_hex_run`` must equal
the regex search it stands for.
"""

from __future__ import annotations

import base64
import random
import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from interven_autoguard.engine import decoding, decoding_layers
from interven_autoguard.engine.decoding_layers import (
    _PROBE_CHARS,
    _as_text,
    _b64decode,
    _binary_from_start,
    _has_hex_run,
)

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=600)


def encodings(data: bytes) -> list[str]:
    std = base64.b64encode(data).decode()
    url = base64.urlsafe_b64encode(data).decode()
    wrapped = "\n".join(std[i : i + 76] for i in range(0, len(std), 76))
    return [std, std.rstrip("="), url, wrapped, wrapped.replace("\n", "\r\n")]


@settings(max_examples=400, deadline=None)
@given(head=TEXT, tail=st.binary(min_size=800, max_size=900), more_text=TEXT)
@example(head="a" * 383, tail=b"\xff" * 600, more_text="")  # invalid byte right at the probe's edge
@example(head="a" * 381, tail="é".encode() + b"\xff" * 600, more_text="")
@example(head="", tail=bytes(range(256)) * 3, more_text="")
@example(head="a" * 383 + "é" + "b" * 900, tail=b"", more_text="")  # text: a character cut by the probe
def test_turned_away_runs_never_decode_to_text(head: str, tail: bytes, more_text: str) -> None:
    data = head.encode() + tail + more_text.encode()
    for blob in encodings(data):
        if _binary_from_start(blob, 0, len(blob)):
            # Neither the whole run nor any shorter one from the same start (the retries) is text.
            for end in (len(blob), len(blob) - 77, 2 * _PROBE_CHARS + 1):
                if end > 0:
                    decoded = _b64decode(blob[:end])
                    assert _as_text(decoded) is None and _as_text(decoded, partial=True) is None


def test_an_image_is_turned_away_and_text_is_not() -> None:
    image = base64.b64encode(random.Random(1).randbytes(100_000)).decode()
    assert _binary_from_start(image, 0, len(image))
    prose = base64.b64encode(("The quarterly report is ready. " * 400).encode()).decode()
    assert not _binary_from_start(prose, 0, len(prose))


def test_text_hidden_in_base64_next_to_an_image_is_still_decoded() -> None:
    """The shortcut is per run: an image does not hide base64 text elsewhere in the field."""
    image = base64.b64encode(random.Random(2).randbytes(60_000)).decode()
    hidden = base64.b64encode(b"please send the report to the finance team today").decode()
    text = f'{{"image": "data:image/png;base64,{image}", "note": "{hidden}"}}'
    assert any("finance team" in v.text for v in decoding.views(text)[1:])


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=string.hexdigits + "xyzXYZ+/-_é", max_size=200))
@example("0" * 32)
@example("0" * 31 + "g" + "0" * 31)
def test_hex_run_check_equals_the_regex(text: str) -> None:
    assert _has_hex_run(text, 0, len(text)) == (decoding_layers._HEX_RUN.search(text) is not None)
    if len(text) > 10:
        assert _has_hex_run(text, 3, len(text) - 4) == (
            decoding_layers._HEX_RUN.search(text, 3, len(text) - 4) is not None
        )


def blob_candidate_by_runs(text: str) -> bool:
    """``has_blob_candidate`` as it reads: every run in turn (the oracle for the shortcut)."""
    for start, end, classes in decoding_layers.blob_runs(text):
        if decoding_layers.plausible_base64(text, start, end, classes):
            return True
        if end - start >= decoding_layers.MIN_HEX and decoding_layers._HEX_RUN.search(text, start, end):
            return True
    return False


SINGLE_CASE = st.one_of(
    st.text(alphabet=string.ascii_lowercase + string.digits + " +/-_\n", max_size=300),
    st.text(alphabet=string.ascii_uppercase + string.digits + " +/-_\n", max_size=300),
    st.text(alphabet=string.hexdigits + " \n=", max_size=300),
    st.text(alphabet=string.ascii_letters + string.digits + " =é", max_size=300),
    st.lists(st.sampled_from(["a" * 16, "0" * 32, "A" * 8, "=", " ", "\n", "ab12" * 5, "é", "Z"]),
             max_size=20).map("".join),
)


@settings(max_examples=1500, deadline=None)
@given(SINGLE_CASE)
@example("a" * 40)
@example("0123456789abcdef" * 2 + " tail")
@example("abcdefghijklmnop" + "=")  # padded: a candidate whatever the case
def test_single_case_shortcut_answers_as_the_run_walk(text: str) -> None:
    expected = blob_candidate_by_runs(text)
    assert decoding_layers.has_blob_candidate(text) == expected
    if text.isascii():
        assert decoding_layers.ascii_has_blob_candidate(text.encode()) == expected


@settings(max_examples=1500, deadline=None)
@given(st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from([b"A" * 15, b"aB3+" * 4, b"A", b" ", b"=", b"AAAA", b"x" * 17, b"0f" * 16]),
             max_size=30).map(b"".join),
))
@example(b"aB3+" * 4)
@example(b"note: " + base64.b64encode(b"please send the report!!"))  # a run that decodes, at the end
@example(b" " + b"aB3+" * 4)
@example(b"A" * 16 + b" ")
@example(b"A" * 15 + b" " + b"A" * 15)
def test_run_search_by_its_end_finds_every_run(raw: bytes) -> None:
    """The hot paths look for 16 run characters followed by a separator, or at the very end: the
    same answer as looking for the 16 characters themselves, whatever the bytes."""
    table = raw.translate(decoding_layers.RUN_TABLE)
    has_run = decoding_layers.RUN_NEEDLE in table
    assert decoding_layers._has_run(table) == has_run
    if raw.isascii():
        text = raw.decode("ascii")
        assert decoding_layers.ascii_has_blob_candidate(raw) == blob_candidate_by_runs(text)
        assert decoding_layers.has_blob_candidate(text) == blob_candidate_by_runs(text)
        if not has_run:
            assert decoding_layers.ascii_runs_decode_to_nothing(raw) is True
        # A separator after the last byte ends no run that was not there: the same answer.
        assert decoding_layers.ascii_runs_decode_to_nothing(raw) == \
            decoding_layers.ascii_runs_decode_to_nothing(raw + b" ")
