"""Property: any planted token, encoded any supported way (or two ways chained) and embedded in
random text, shows up in some view, and removing the span ``to_original`` gives for it removes every
decoded occurrence."""

from __future__ import annotations

import base64
import string

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from interven_autoguard.engine.decoding import needs_views, views, views_with_status


def _pct(s: str) -> str:
    return "".join(f"%{b:02X}" for b in s.encode())


def _pct_some(s: str) -> str:  # only the non-alphanumerics, as quote() would
    return "".join(c if c.isalnum() else _pct(c) for c in s)


ENCODERS = {
    "percent": _pct,
    "percent-some": _pct_some,
    "percent-alternate": lambda s: "".join(_pct(c) if i % 2 else c for i, c in enumerate(s)),
    "entity-first-last": lambda s: f"&#{ord(s[0])};{s[1:-1]}&#x{ord(s[-1]):x};",
    "u-escape": lambda s: "".join(f"\\u{ord(c):04x}" for c in s),
    "x-escape": lambda s: "".join(f"\\x{b:02x}" for b in s.encode()),
    "entity-dec": lambda s: "".join(f"&#{ord(c)};" for c in s),
    "entity-hex": lambda s: "".join(f"&#x{ord(c):X};" for c in s),
    "hex": lambda s: s.encode().hex(),
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64url": lambda s: base64.urlsafe_b64encode(s.encode()).decode().rstrip("="),
    "fullwidth": lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s),
    "zero-width": lambda s: "\u200b".join(s),
    "tags": lambda s: s[:3] + "".join(chr(0xE0000 + ord(c)) for c in "tag") + s[3:],
}
# Encoders whose output is ASCII again, fit to be wrapped by a second one.
ASCII_OUT = [name for name in ENCODERS if name not in ("fullwidth", "zero-width", "tags")]

_token_body = st.text(alphabet=string.ascii_letters + string.digits + "_-.", min_size=14, max_size=40)
_filler = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40) | st.text(
    alphabet=string.printable + "%&\\#;=+/\u200b\uff41", max_size=60
)
_settings = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(token: str, encoded: str, pre: str, post: str) -> None:
    text = f"{pre} {encoded} {post}"
    start = len(pre) + 1
    end = start + len(encoded)
    found = None
    for v in views(text):
        i = v.text.find(token)
        if i >= 0:
            found = v, v.to_original(i, i + len(token))
            break
    assert found is not None, [(v.encoding, v.text) for v in views(text)]
    view, (s, e) = found
    assert start <= s < e <= end, (view.encoding, text[s:e], encoded)
    scrubbed = text[:s] + text[e:]
    leftover = [v.encoding for v in views(scrubbed) if token in v.text]
    assert leftover == [], (view.encoding, text[s:e], encoded)


@_settings
@given(_token_body, st.sampled_from(sorted(ENCODERS)), _filler, _filler)
def test_single_encoding_is_revealed_and_removable(body, how, pre, post):
    token = "Zq9" + body
    assume(token not in pre and token not in post)
    _check(token, ENCODERS[how](token), pre, post)


@_settings
@given(_token_body, st.sampled_from(ASCII_OUT), st.sampled_from(sorted(ENCODERS)), _filler, _filler)
def test_two_chained_encodings_are_revealed_and_removable(body, inner, outer, pre, post):
    token = "Zq9" + body
    assume(token not in pre and token not in post)
    _check(token, ENCODERS[outer](ENCODERS[inner](token)), pre, post)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_views_never_raise_and_maps_stay_in_bounds(text):
    out, _ = views_with_status(text, budget=2048)
    assert out[0].encoding is None
    assert sum(len(v.text) for v in out[1:]) <= 2048
    for v in out:
        for s in range(0, len(v.text) + 1, max(1, len(v.text) // 7)):
            a, b = v.to_original(s, min(len(v.text), s + 3))
            assert 0 <= a <= b <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
def test_needs_views_false_means_identity(text):
    if not needs_views(text):
        out = views(text)
        assert len(out) == 1 and out[0].text == text


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.characters(min_codepoint=0xD000, max_codepoint=0xE0100)
        | st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"]),
        max_size=60,
    ),
    st.text(max_size=20),
)
def test_surrogates_and_exotic_planes_never_raise(exotic, plain):
    text = plain + exotic + "%41" + exotic + "&#66;"
    out, _ = views_with_status(text, budget=512)
    assert out[0].encoding is None
    assert any("A" in v.text for v in out)
