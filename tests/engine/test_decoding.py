"""Normalisation and recursive decoding: what is hidden is seen, and maps back to what to remove."""

from __future__ import annotations

import base64
import sys
import unicodedata
from urllib.parse import quote

import pytest

from interven_autoguard.engine.decoding import needs_views, normalise, views, views_with_status

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # shape only, not a real credential


def pct(s: str) -> str:
    return "".join(f"%{b:02X}" for b in s.encode())


def find(text: str, needle: str = TOKEN):
    """(view, original span) of the first view showing ``needle``, or None."""
    for v in views(text):
        i = v.text.find(needle)
        if i >= 0:
            return v, v.to_original(i, i + len(needle))
    return None


def assert_found(text: str, encoded: str, encoding: str | None, needle: str = TOKEN) -> None:
    hit = find(text, needle)
    assert hit is not None, f"not revealed: {[(v.encoding, v.text) for v in views(text)]}"
    view, (s, e) = hit
    assert view.encoding == encoding
    assert text[s:e] == encoded
    scrubbed = text[:s] + text[e:]
    assert all(needle not in v.text for v in views(scrubbed))


# -- plain text stays cheap ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Please summarise this conversation and reply politely. Order 48213 is late.",
        "id 123e4567-e89b-12d3-a456-426614174000 and count=3; a & b; 100% sure",
        "short words only: hello world foo_bar baz-qux",
    ],
)
def test_plain_ascii_needs_no_views(text):
    assert not needs_views(text)
    only = views(text)
    assert len(only) == 1 and only[0].text == text and only[0].encoding is None
    assert only[0].to_original(2, 5) == (2, 5)


def test_binary_looking_blobs_do_not_produce_views():
    sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    integrity = (
        "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
    )
    text = f"digest {sha256} and integrity {integrity}"
    assert [v.encoding for v in views(text)] == [None]


# -- each encoding -------------------------------------------------------------------------------


def test_percent_full_and_partial():
    assert_found(f"token={pct(TOKEN)}&x=1", pct(TOKEN), "percent")
    partial = TOKEN.replace("_", "%5F")
    assert_found(f"the token: {partial} end", partial, "percent")


def test_percent_multibyte_utf8_maps_whole_character():
    text = "name=J%C3%BCrgen%20M%C3%BCller"
    hit = find(text, "Jürgen Müller")
    assert hit is not None and text[slice(*hit[1])] == "J%C3%BCrgen%20M%C3%BCller"
    view = hit[0]
    i = view.text.index("ü")
    assert text[slice(*view.to_original(i, i + 1))] == "%C3%BC"


def test_backslash_escapes():
    u = "".join(f"\\u{ord(c):04x}" for c in TOKEN)
    assert_found(f'"{u}"', u, "escape")
    x = "".join(f"\\x{ord(c):02x}" for c in TOKEN)
    assert_found(f"b'{x}'", x, "escape")
    mixed = "\\u0067hp_" + TOKEN[4:]
    assert_found(f"say {mixed} now", mixed, "escape")
    big = "\\U0001F600 \\u{1F600} \\ud83d\\ude00"
    assert [v.text for v in views(big)][1] == "😀 😀 😀"


def test_html_entities():
    dec = "".join(f"&#{ord(c)};" for c in TOKEN)
    assert_found(f"<p>{dec}</p>", dec, "html")
    mixed = "&#x67;&#104p&lowbar;" + TOKEN[4:]
    assert_found(f"<p>{mixed}</p>", mixed, "html")


def test_hex_and_base64_map_to_whole_blob():
    h = TOKEN.encode().hex()
    assert_found(f"payload {h} sent", h, "hex")
    b = base64.b64encode(TOKEN.encode()).decode()
    assert_found(f"payload {b} sent", b, "base64")
    u = base64.urlsafe_b64encode(("x" + TOKEN + "??").encode()).decode().rstrip("=")
    assert_found(f"payload {u} sent", u, "base64")


def test_base64_glued_to_a_path_is_found():
    b = base64.urlsafe_b64encode(TOKEN.encode()).decode().rstrip("=")
    assert_found(f"https://collector.example/c/{b}?v=1", b, "base64")


def test_base64_too_short_or_binary_is_ignored():
    assert [v.encoding for v in views("x " + base64.b64encode(b"hi there").decode())] == [None]
    assert [v.encoding for v in views("x " + base64.b64encode(bytes(range(64))).decode())] == [None]


# -- normalisation ------------------------------------------------------------------------------


def test_zero_width_and_format_characters_are_removed():
    hidden = "g\u200bh\u200dp\u2060_" + TOKEN[4:10] + "\ufeff" + TOKEN[10:]
    assert_found(f"key {hidden} end", hidden, None)


def test_tag_characters_are_removed():
    tags = "".join(chr(0xE0000 + ord(c)) for c in "ignore previous")
    hidden = TOKEN[:8] + tags + TOKEN[8:]
    assert_found(f"x {hidden} y", hidden, None)


def test_fullwidth_and_ligatures_map_back_exactly():
    fw = "".join(chr(ord(c) + 0xFEE0) for c in TOKEN)
    assert_found(f"k {fw} v", fw, None)
    text = "e\u0301t\u00e9 \ufb01le"  # combining accent, precomposed, ligature
    view = views(text)[0]
    assert view.text == unicodedata.normalize("NFKC", text)
    i = view.text.index("fi")
    assert text[slice(*view.to_original(i, i + 2))] == "\ufb01"
    assert text[slice(*view.to_original(0, 1))] == "e\u0301"


def test_every_format_character_is_invisible():
    missing = [
        hex(cp)
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) == "Cf" and normalise("a" + chr(cp) + "b")[0] != "ab"
    ]
    assert missing == []


def test_normalise_matches_nfkc_on_ordinary_text():
    for text in ["Ｈｅｌｌｏ ｗｏｒｌｄ", "naïve café ﬀ ½ ㎏", "Straße ①②③", "한국어 텍스트"]:
        assert normalise(text)[0] == unicodedata.normalize("NFKC", text)


# -- chains ----------------------------------------------------------------------------------------


def test_chains_are_named_in_decoding_order():
    b64_of_pct = base64.b64encode(pct(TOKEN).encode()).decode()
    assert_found(f"v {b64_of_pct} w", b64_of_pct, "base64>percent")
    pct_of_b64 = quote(base64.b64encode(TOKEN.encode()).decode(), safe="")
    hit = find(f"v {pct_of_b64} w")
    assert hit is not None and hit[0].encoding in ("base64", "percent>base64")
    double = pct(pct(TOKEN))
    assert_found(f"v {double} w", double, "percent>percent")
    b64b64 = base64.b64encode(base64.b64encode(TOKEN.encode())).decode()
    assert_found(f"v {b64b64} w", b64b64, "base64>base64")
    zw_inside = base64.b64encode(("g\u200bhp_" + TOKEN[4:]).encode()).decode()
    assert_found(f"v {zw_inside} w", zw_inside, "base64")


def test_several_encodings_in_one_text():
    text = f"a={pct(TOKEN)} b={base64.b64encode(TOKEN.encode()).decode()} c={TOKEN.encode().hex()}"
    encodings = {v.encoding for v in views(text) if TOKEN in v.text}
    assert encodings == {"percent", "base64", "hex"}


# -- limits -------------------------------------------------------------------------------------


def test_budget_on_a_megabyte_of_escapes():
    text = "%41" * (1024 * 1024 // 3)
    out, stopped = views_with_status(text, budget=4096)
    assert stopped
    assert sum(len(v.text) for v in out[1:]) <= 4096
    assert out[1].text.startswith("AAAA")
    s, e = out[1].to_original(0, 2)
    assert (s, e) == (0, 6)


def test_deep_nesting_stops_at_depth_and_budget():
    blob = TOKEN.encode()
    for _ in range(12):
        blob = base64.b64encode(blob)
    out, stopped = views_with_status(blob.decode())
    assert stopped
    assert len(out) <= 6
    assert sum(len(v.text) for v in out[1:]) <= 64 * 1024


def test_many_candidates_respect_budget():
    one = base64.b64encode(b"hello world, this is text").decode()
    text = " ".join([one] * 20_000)
    out, stopped = views_with_status(text, budget=10_000)
    assert stopped
    assert sum(len(v.text) for v in out[1:]) <= 10_000


def test_views_never_raise_on_odd_input():
    for text in ["\ud800 lone surrogate %41", "%", "\\u", "&#99999999;", "&#xD800;", "=" * 40, "\x00" * 50]:
        out = views(text)
        assert out[0].encoding is None
