"""A raw "+" in a query or form: two readings of one field, and a rebuild that keeps both.

A form parser reads "+" as a space (``Field.text``); a receiver that logs the raw URL or decodes
it as RFC 3986 does keeps it a "+" (``Field.literal``). The readings are aligned character for
character, and a rebuild re-encodes only the stretch that changed, so each reading of the rest of
the parameter stays what it was.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, unquote_plus

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interven_autoguard.engine.body import parse_body, parse_query, rebuild_query
from interven_autoguard.engine.body_form import FormDoc

_settings = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FORM = "application/x-www-form-urlencoded"


def _read(raw: str, plus: bool) -> str:
    unq = unquote_plus if plus else unquote
    try:
        return unq(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return unq(raw, encoding="latin-1")


def test_a_raw_plus_gives_a_literal_reading() -> None:
    fields = parse_query("?k=AB+cd%2B/ef&q=plain&n+m=1&%41=x%20y")
    by_location = {f.location: f for f in fields}
    assert (by_location["query:k"].text, by_location["query:k"].literal) == ("AB cd+/ef", "AB+cd+/ef")
    assert by_location["query:q"].literal is None  # no "+": one reading
    assert by_location["query:A"].literal is None  # "%20" is a space either way
    name = by_location["query:n m<key>"]
    assert (name.text, name.literal, name.is_key) == ("n m", "n+m", True)
    assert by_location["query:n m"].literal is None


def test_names_that_only_one_reading_tells_apart_are_two_fields() -> None:
    doc = FormDoc("a+b=1&a%20b=2&a+b=3", "form:")
    names = [(f.text, f.literal) for f in doc.fields if f.is_key]
    assert names == [("a b", "a+b"), ("a b", None)]
    # Renaming the first renames its occurrences only, each spliced in its own raw text.
    assert doc.rebuild({0: "[R] b"}) == "%5BR%5D+b=1&a%20b=2&%5BR%5D+b=3"


def test_a_form_body_reads_the_same_way() -> None:
    parsed = parse_body(b"a=1&k=x+y", FORM)
    assert [(f.text, f.literal) for f in parsed.fields if not f.is_key] == [("1", None), ("x y", "x+y")]
    assert parsed.rebuild({3: "x [R]"}) == b"a=1&k=x+%5BR%5D"


def test_rebuild_re_encodes_only_what_changed() -> None:
    query = "a=keep+this&k=hello+world+AB+cd%2Bef+tail%21&z=%7E+last"
    fields = parse_query(query)
    i = next(i for i, f in enumerate(fields) if f.location == "query:k")
    text = fields[i].text
    start = text.index("AB")
    new = text[:start] + "[REDACTED:X]" + text[start + len("AB cd+ef") :]
    rebuilt = rebuild_query(query, {i: new})
    assert rebuilt == "a=keep+this&k=hello+world+%5BREDACTED%3AX%5D+tail%21&z=%7E+last"
    assert _read(rebuilt.split("&")[1][2:], plus=False) == "hello+world+[REDACTED:X]+tail!"


def test_a_literal_percent_before_the_change_is_re_encoded_with_it() -> None:
    # "%4" then "G" is no escape: three characters. Replacing "G" by "1" must not make "%41" ("A").
    doc = FormDoc("v=%4G", "form:")
    assert doc.fields[1].text == "%4G"
    rebuilt = doc.rebuild({1: "%41"})
    assert _read(rebuilt[2:], plus=True) == "%41" and _read(rebuilt[2:], plus=False) == "%41"


# Raw form text: literal characters, "+", valid and broken escapes, UTF-8 and non-UTF-8 escapes.
_raw_piece = st.sampled_from(["a", "Z", "9", "/", "+", "+", " ", "%2B", "%20", "%41", "%", "%4", "%zz",
                              "%C3%A9", "%E2%9C%93", "%FF", "é", "~", "=", "-", "_"])
raw_values = st.lists(_raw_piece, max_size=16).map("".join)


@_settings
@given(raw_values)
def test_the_two_readings_are_aligned(raw: str) -> None:
    doc = FormDoc("k=" + raw.replace("&", ""), "form:")
    value = doc.fields[-1]
    literal = value.literal if value.literal is not None else value.text
    assert (value.literal is not None) == ("+" in raw)
    assert len(literal) == len(value.text)
    assert all(a == b or (a, b) == (" ", "+") for a, b in zip(value.text, literal, strict=True))


@_settings
@given(raw_values, raw_values, st.data())
def test_a_redacted_span_leaves_both_readings_of_the_rest_alone(
        raw: str, other: str, data: st.DataObject) -> None:
    query = "x=" + other + "&k=" + raw + "&y=" + other
    fields = parse_query(query)
    i = next(i for i, f in enumerate(fields) if f.location == "query:k")
    text = fields[i].text
    literal = fields[i].literal if fields[i].literal is not None else text
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    placeholder = data.draw(st.sampled_from(["[REDACTED:X]", "[REDACTED:AWS_SECRET_KEY]", "", "a", "%41",
                                             "é"]))
    new = text[:start] + placeholder + text[end:]
    rebuilt = rebuild_query(query, {i: new})
    before, value, after = rebuilt.split("&")
    assert before == "x=" + other and after == "y=" + other  # the rest of the query, byte for byte
    value = value[2:]
    assert _read(value, plus=True) == new
    if placeholder.startswith("[REDACTED:"):
        # What changed is found by comparing texts: with an edit that could sit at more than one
        # place (a space deleted next to a space) the literal reading may keep another "+". A
        # redaction's placeholder has no space and starts with "[", so it sits where it was put.
        assert _read(value, plus=False) == literal[:start] + placeholder + literal[end:]


def test_a_splice_is_linear_in_the_value() -> None:
    raw = "A+b%2F" * 200_000  # 1.2 MB, read as "A b/" four characters a time
    doc = FormDoc("k=" + raw, "form:")
    text = doc.fields[-1].text
    new = text[:600_000] + "[R]" + text[600_010:]
    rebuilt = doc.rebuild({1: new})
    assert rebuilt == "k=" + raw[:900_000] + quote("[R]", safe="") + raw[900_014:]


def test_a_value_whose_codec_changes_is_encoded_whole_both_readings_kept() -> None:
    # Not UTF-8 ("%FF"): read one character per byte. Without "%FF" the rest would read as UTF-8
    # ("%C3%A9" as one "é", not "Ã©"), so every character is encoded; the raw "+" stays a "+".
    doc = FormDoc("k=%FF%C3%A9+x", "form:")
    assert (doc.fields[1].text, doc.fields[1].literal) == ("ÿÃ© x", "ÿÃ©+x")
    rebuilt = doc.rebuild({1: "[R]Ã© x"})
    assert rebuilt == "k=%5BR%5D%C3%83%C2%A9+x"
    assert _read(rebuilt[2:], plus=True) == "[R]Ã© x" and _read(rebuilt[2:], plus=False) == "[R]Ã©+x"
