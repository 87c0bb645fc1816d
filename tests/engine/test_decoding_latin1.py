"""The Latin-1 lane of ``decoding.normalise``: a body that is not UTF-8 (a Docker layer, a wheel, any
``application/octet-stream`` upload) is read one character per byte, and that reading is normalised
by a translation table and a map built from the few characters NFKC changes, not character by
character. Properties: it gives exactly the text and the map of the general path, so every finding
(type, field, start/end, decision, redaction) is the same either way."""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interven_autoguard import LocalScanner
from interven_autoguard.engine import decoding

LATIN1 = [chr(c) for c in range(0x100)]
# What NFKC changes in Latin-1 (NBSP, ¨ ª ¯ ² ³ ´ µ ¸ ¹ º ¼ ½ ¾), the soft hyphen it drops, and a
# few characters around them, weighted so that stretches mixing them are common.
CHANGING = "\xa0\xa8\xaa\xaf\xb2\xb3\xb4\xb5\xb8\xb9\xba\xbc\xbd\xbe"
SPECIAL = CHANGING + "\xad"
AWS_KEY = "AKIA" + "QYLPMN5HHHFPZAM2"
SSN = "478-23-9156"
EMAIL = "jane.doe@corp-mail.example.org"
PLANTED = [AWS_KEY, SSN, EMAIL, "password=Qz7!vR2pLx9#tK4m"]

_latin1_text = st.text(alphabet=st.sampled_from(LATIN1), max_size=80) | st.text(
    alphabet=st.sampled_from(SPECIAL + "ab 1é\x80\xff\n"), max_size=80
)
_settings = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _both(monkeypatch: pytest.MonkeyPatch, fn):
    fast = fn()
    with monkeypatch.context() as m:
        m.setattr(decoding, "_latin1_normalised", lambda *_args: None)
        general = fn()
    return fast, general


def _same_map(text: str, fast, general) -> None:
    if fast is None or general is None:
        assert fast is None and general is None
        return
    n = len(text) + 2
    for s in range(n):
        for e in range(s, n):
            assert fast(s, e) == general(s, e), (s, e)
            assert fast.local(s, e) == general.local(s, e), (s, e)
            assert fast.decoded_in(s, e) == general.decoded_in(s, e), (s, e)


def test_nfkc_of_latin1_is_that_of_each_character():
    """What the lane rests on, checked for every pair of Latin-1 characters: NFKC changes exactly
    the 14 characters above, each on its own; U+00AD is the only invisible one; no combining mark."""
    changed = "".join(c for c in LATIN1 if unicodedata.normalize("NFKC", c) != c)
    assert changed == CHANGING
    assert [c for c in LATIN1 if decoding._INVISIBLE.match(c)] == ["\xad"]
    assert not any(unicodedata.combining(c) for c in LATIN1)
    one = {c: unicodedata.normalize("NFKC", c) for c in LATIN1}
    for a in LATIN1:
        for b in LATIN1:
            assert unicodedata.normalize("NFKC", a + b) == one[a] + one[b], (a, b)


@_settings
@given(_latin1_text, st.sampled_from([0, 1, 2, 3, 7, 64 * 1024]))
def test_latin1_normalisation_is_the_general_one(text, work):
    with pytest.MonkeyPatch.context() as mp:
        (fast_text, fast_map), (text2, map2) = _both(mp, lambda: decoding.normalise(text, work=work))
    assert fast_text == text2
    _same_map(text, fast_map, map2)


@_settings
@given(st.binary(max_size=120), st.sampled_from(PLANTED), st.binary(max_size=120))
def test_views_of_a_binary_reading_are_the_general_ones(pre, token, post):
    text = (pre + b" " + token.encode() + b" " + post).decode("latin-1")
    with pytest.MonkeyPatch.context() as mp:
        fast, general = _both(mp, lambda: decoding.views_with_status(text, budget=4 * len(text) + 65536))
    assert fast[1] == general[1]
    assert [(v.text, v.encoding) for v in fast[0]] == [(v.text, v.encoding) for v in general[0]]
    for v, g in zip(fast[0], general[0]):
        for s in range(0, len(v.text) + 1, 3):
            for e in (s, s + 1, s + 17, len(v.text)):
                assert v.to_original(s, e) == g.to_original(s, e)


def test_large_binary_reading_is_normalised_without_the_per_character_path(monkeypatch):
    """1 MB of random bytes read as Latin-1: the general path, character by character, is never
    taken (it made a binary upload cost about 1 s of CPU per MB); the text is still NFKC."""
    text = random.Random(11).randbytes(1 << 20).decode("latin-1")

    def refuse(*_args):
        raise AssertionError("per-character normalisation of a Latin-1 text")

    monkeypatch.setattr(decoding, "_normalise_stretch", refuse)
    monkeypatch.setattr(decoding, "_nfkc", refuse)
    monkeypatch.setattr(decoding, "_NFKC_CHAR", refuse)
    normal, span_map = decoding.normalise(text, work=4 * len(text))
    assert "\xad" not in normal and not any(c in normal for c in CHANGING)
    assert span_map is not None
    monkeypatch.undo()
    assert normal == unicodedata.normalize("NFKC", text.replace("\xad", ""))


# -- through the whole engine -----------------------------------------------------------------------

SCANNER = LocalScanner()
DOCKER = "https://registry-1.docker.io/v2/acme/app/blobs/uploads/u?digest=sha256:" + "ab" * 32
BOUNDARY = "d3b07384d113edec49eaa6238ad5ff00"


def _multipart(data: bytes) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="content"; filename="a.whl"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def _request(kind: str, data: bytes) -> dict:
    octet = {"Content-Type": "application/octet-stream"}
    latin1 = {"Content-Type": "text/plain; charset=iso-8859-1"}
    multipart = {"Content-Type": "multipart/form-data; boundary=" + BOUNDARY}
    method, url, headers, body = {
        "octet-stream": ("PUT", DOCKER, octet, data),
        "none": ("PUT", DOCKER, {}, data),
        "latin-1 text": ("POST", "https://api.example.com/notes", latin1, data),
        "multipart": ("POST", "https://upload.pypi.org/legacy/", multipart, _multipart(data)),
    }[kind]
    return {"method": method, "url": url, "headers": headers, "body": body}


def _outcome(r) -> tuple:
    findings = [(f.type, f.detector, f.location, f.start, f.end, f.encoding, f.value_hash)
                for f in r.findings]
    return r.decision, sorted(r.reason_codes), r.sanitized_body, sorted(findings)


_noise = st.binary(max_size=400) | st.text(alphabet=st.sampled_from(SPECIAL + "xyz \n"), max_size=200).map(
    lambda s: s.encode("latin-1")
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_noise, st.sampled_from(PLANTED), _noise, st.sampled_from(["octet-stream", "none", "multipart",
                                                                  "latin-1 text"]))
def test_findings_in_binary_bodies_are_those_of_the_general_path(pre, token, post, kind):
    """Planted secrets/PII inside random bytes, or inside Latin-1 text full of what NFKC changes:
    the same findings, at the same offsets, with the same decision and redaction either way."""
    data = pre + b"\xbc\xad " + token.encode() + b" \xa0\xb4" + post
    with pytest.MonkeyPatch.context() as mp:
        fast, general = _both(mp, lambda: SCANNER.scan(**_request(kind, data)))
    assert _outcome(fast) == _outcome(general)


@pytest.mark.parametrize("kind", ["octet-stream", "none", "multipart", "latin-1 text"])
def test_a_secret_in_a_binary_body_is_found_at_its_offset(kind):
    """After length-changing characters (¼ is three after NFKC, ´ two) and a dropped soft hyphen,
    the finding's offsets still point at the secret in the body as sent."""
    rng = random.Random(kind)
    blob = rng.randbytes(50_000).replace(b"\xad", b"\xbc") + b"\xbc\xb4\xad\xa8 "
    data = blob + AWS_KEY.encode() + b" \xbe" + rng.randbytes(20_000)
    r = SCANNER.scan(**_request(kind, data))
    hits = [f for f in r.findings if f.type == "AWS_ACCESS_KEY"]
    assert hits, r.findings
    assert [(f.start, f.end) for f in hits] == [(len(blob), len(blob) + len(AWS_KEY))]
    assert data.decode("latin-1")[hits[0].start : hits[0].end] == AWS_KEY
