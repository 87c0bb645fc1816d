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


@pytest.mark.parametrize(
    "text",
    [
        "&#65;" * 50_000,
        "&#65;&#103;" * 30_000,
        "\\u0041" * 40_000,
        "%E4%B8%AD" * 30_000,
        "%" * 200_000,
        "a\u200b" * 100_000,
        "e\u0301\ufb01" * 50_000,
    ],
)
def test_adversarial_inputs_stay_within_budget(text):
    out, _ = views_with_status(text, budget=8192)
    assert sum(len(v.text) for v in out[1:]) <= 8192
    for v in out:
        s, e = v.to_original(0, len(v.text))
        assert 0 <= s <= e <= len(text)


def test_coarse_map_when_normalisation_is_too_costly():
    token_zw = "\u200b".join(TOKEN)
    text = "pad\u200b" * 3000 + " " + token_zw + " tail"
    base, base_map = normalise(text, work=100)
    assert TOKEN in base
    i = base.index(TOKEN)
    assert base_map is not None and base_map(i, i + len(TOKEN)) == (0, len(text))
    exact = views(text)[0]  # default work: exact map
    i = exact.text.index(TOKEN)
    assert text[slice(*exact.to_original(i, i + len(TOKEN)))] == token_zw


def test_same_width_escapes_share_one_piece():
    u = "".join(f"\\u{ord(c):04x}" for c in TOKEN)
    view = views(u)[1]
    i = view.text.index(TOKEN) + 5
    assert view.to_original(i, i + 2) == (6 * i, 6 * (i + 2))


def test_wrapped_base64_is_one_blob():
    blob = base64.encodebytes(("lead text " * 8 + TOKEN + " trailing words").encode()).decode()
    assert "\n" in blob.strip()
    text = f"attachment:\n{blob}end"
    hit = find(text)
    assert hit is not None
    s, e = hit[1]
    assert text[s:e] == blob.rstrip("\n")


def test_json_escaped_slash_needs_views():
    assert needs_views('{"v": "abc\\/def"}')


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_wrapped_base64_with_full_last_line(newline):
    plain = (TOKEN + " " + "x" * 200)[:114]  # exactly two 76-character lines
    blob = base64.encodebytes(plain.encode()).decode().strip().replace("\n", newline)
    assert blob.count(newline) == 1
    text = f"begin{newline}{blob}{newline}endmarker and more"
    hit = find(text)
    assert hit is not None and text[slice(*hit[1])] == blob


def test_escapes_far_apart_in_one_word_share_a_window():
    word = "%5F" + "k" * 100 + TOKEN.replace("_", "%5F")
    text = f"start {word} end"
    assert_found(text, TOKEN.replace("_", "%5F"), "percent")
    view = views(text)[1]
    assert "_" + "k" * 100 + TOKEN in view.text


def test_mixed_escape_kinds_in_one_token():
    mixed = "&#103;h\\x70%5F" + TOKEN[4:]
    assert_found(f"x {mixed} y", mixed, "escape+html+percent")


def test_blob_cut_at_the_budget_still_decodes_and_says_so():
    plain = ("ünïcödé text " * 2000).encode()
    for blob in (base64.b64encode(plain).decode(), plain.hex()):
        out, stopped = views_with_status(f"x {blob} y", budget=1001)
        assert stopped
        assert len(out) == 2 and out[1].text.count("ünïcödé") > 10
        s, e = out[1].to_original(5, 9)
        assert (s, e) == (2, 2 + len(blob))


def test_digits_of_other_scripts_fold_to_ascii():
    arabic = "".join(chr(0x660 + int(c)) if c.isdigit() else c for c in "478-23-9156")
    devanagari_card = "".join(chr(0x966 + int(c)) for c in "4111111111111111")
    text = f"ssn {arabic} card {devanagari_card} ok"
    view = views(text)[0]
    assert "478-23-9156" in view.text and "4111111111111111" in view.text
    i = view.text.index("478-23-9156")
    assert text[slice(*view.to_original(i, i + 11))] == arabic
    fullwidth_and_arabic = "\uff14" + arabic  # NFKC path and folding together
    assert "4478-23-9156" in views(fullwidth_and_arabic)[0].text


def test_every_unicode_decimal_digit_folds():
    missing = [
        hex(cp)
        for cp in range(0x80, sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) == "Nd"
        and normalise(chr(cp))[0] != str(unicodedata.decimal(chr(cp)))
    ]
    assert missing == []
