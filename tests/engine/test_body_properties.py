"""Properties of the body codecs on arbitrary input: never crash, round-trip, stay valid."""

from __future__ import annotations

import gzip
import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interven_autoguard.engine.body import BodyNotInspectable, parse_body
from interven_autoguard.engine.body_json import looks_like_json_container

_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_text = st.text(st.characters(codec="utf-8"), max_size=12).filter(lambda s: not looks_like_json_container(s))
_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text
json_values = st.recursive(
    _leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=20,
)


def _expected(value, counter, keys=None):
    """The value with every scanned leaf replaced by its field index, in document order (the oracle).
    Floats are not fields: they stay as they are.

    Each distinct key of the document is one field, just before the first value it names, and
    renaming it renames every occurrence.
    """
    keys = {} if keys is None else keys
    if isinstance(value, (bool, float)) or value is None:  # a float is never a field
        return value
    if isinstance(value, (str, int)):
        return f"<{next(counter)}>"
    if isinstance(value, list):
        return [_expected(v, counter, keys) for v in value]
    out = {}
    for k, v in value.items():
        if k not in keys:
            keys[k] = f"<{next(counter)}>"
        out[keys[k]] = _expected(v, counter, keys)
    return out


def _count():
    i = 0
    while True:
        yield i
        i += 1


@_settings
@given(json_values, st.sampled_from([None, 2]), st.booleans())
def test_json_text_round_trip_and_replace_every_field(value, indent, ensure_ascii):
    body = json.dumps(value, indent=indent, ensure_ascii=ensure_ascii).encode()
    parsed = parse_body(body, "application/json")
    assert parsed.rebuild({}) is body
    assert parsed.rebuild({i: f.text for i, f in enumerate(parsed.fields)}) is body
    if not isinstance(value, (dict, list)):
        return
    out = parsed.rebuild({i: f"<{i}>" for i in range(len(parsed.fields))})
    assert json.loads(out) == _expected(value, _count())


@_settings
@given(json_values)
def test_python_objects_round_trip_and_replace_every_field(value):
    if not isinstance(value, (dict, list)):
        value = [value]
    snapshot = json.dumps(value)
    parsed = parse_body(value)
    assert parsed.rebuild({}) is value
    out = parsed.rebuild({i: f"<{i}>" for i in range(len(parsed.fields))})
    assert json.dumps(value) == snapshot  # input untouched
    if parsed.fields:
        assert out == _expected(value, _count())
    # Field texts of numbers are what json.dumps would send.
    texts = [f.text for f in parsed.fields]
    assert all(isinstance(t, str) for t in texts)


@_settings
@given(json_values, st.integers(min_value=0, max_value=50))
def test_single_replacement_changes_only_that_leaf(value, pick):
    body = json.dumps({"wrap": value})
    parsed = parse_body(body, "application/json")
    strings = [i for i, f in enumerate(parsed.fields) if not f.is_key]
    if not strings:
        return
    idx = strings[pick % len(strings)]
    old = parsed.fields[idx].text
    out = parsed.rebuild({idx: old + "!"})
    reparsed = parse_body(out, "application/json")
    assert len(reparsed.fields) == len(parsed.fields)
    for i, (a, b) in enumerate(zip(parsed.fields, reparsed.fields)):
        assert a.location == b.location
        assert b.text == (old + "!" if i == idx else a.text)


@_settings
@given(
    st.binary(max_size=300),
    st.sampled_from(
        [
            None,
            "application/json",
            "text/plain; charset=utf-16",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=b",
            "image/png",
            "x/y; charset=nope",
        ]
    ),
    st.sampled_from([None, "gzip", "deflate", "identity"]),
)
def test_arbitrary_bytes_never_crash(data, ctype, encoding):
    try:
        parsed = parse_body(data, ctype, encoding)
    except BodyNotInspectable as exc:
        assert exc.reason_code in ("BODY_TOO_LARGE", "BODY_NOT_INSPECTABLE")
        return
    assert parsed.rebuild({}) is data
    try:
        out = parsed.rebuild({i: f.text + "x" for i, f in enumerate(parsed.fields)})
    except BodyNotInspectable as exc:
        # Replacements in the multipart boundary or in two readings of the bytes: fail closed.
        assert exc.reason_code == "BODY_NOT_INSPECTABLE"
        return
    assert isinstance(out, bytes)


@_settings
@given(
    st.text(max_size=200),
    st.sampled_from(
        [None, "application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b"]
    ),
)
def test_arbitrary_text_never_crashes_and_round_trips(text, ctype):
    parsed = parse_body(text, ctype)
    assert parsed.rebuild({}) is text
    out = parsed.rebuild({i: f.text for i, f in enumerate(parsed.fields)})
    assert out == text
    if parsed.fields:
        assert isinstance(parsed.rebuild({0: parsed.fields[0].text + "!"}), str)


@_settings
@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=12)), max_size=6), st.integers(0, 20))
def test_form_round_trip(pairs, pick):
    from urllib.parse import parse_qsl, urlencode

    body = urlencode(pairs)
    parsed = parse_body(body, "application/x-www-form-urlencoded")
    assert parsed.rebuild({}) is body
    values = [i for i, f in enumerate(parsed.fields) if not f.is_key]
    if not values:
        return
    idx = values[pick % len(values)]
    out = parsed.rebuild({idx: "new & = value"})
    decoded = parse_qsl(out, keep_blank_values=True)
    expected = [(k, v) for k, v in pairs]
    pos = values.index(idx)
    expected[pos] = (expected[pos][0], "new & = value")
    assert decoded == expected


@_settings
@given(st.binary(max_size=200))
def test_gzip_round_trip(data):
    body = gzip.compress(data)
    parsed = parse_body(body, "application/octet-stream", "gzip")
    if not data:
        assert parsed.kind == "empty"
        return
    out = parsed.rebuild({0: "[R]"})
    assert gzip.decompress(out) == "[R]".encode(parsed.charset or "utf-8")


@_settings
@given(st.dictionaries(_text, json_values, min_size=1, max_size=4), st.booleans())
def test_nested_json_strings_round_trip(inner, as_text):
    body: object = {"meta": 1, "payload": json.dumps(inner)}
    if as_text:
        body = json.dumps(body)
    parsed = parse_body(body, "application/json")
    nested = [i for i, f in enumerate(parsed.fields) if "<json>$" in f.location]
    outer = [f for f in parsed.fields if "<json>$" not in f.location and not f.is_key]
    assert len(outer) == 1
    out = parsed.rebuild({i: f"<{n}>" for n, i in enumerate(nested)})
    outer = json.loads(out) if as_text else out
    assert outer["meta"] == 1
    if nested:
        assert json.loads(outer["payload"]) == _expected(inner, _count())
    else:
        assert outer["payload"] == json.dumps(inner)


_part_name = st.text(alphabet=string.ascii_letters + "_", min_size=1, max_size=10)
_part_text = st.text(alphabet=string.printable.replace("\r", ""), max_size=40).filter(
    lambda s: "--" not in s and not looks_like_json_container(s)
)


def _multipart(parts, boundary="zZ9boundary"):
    out = []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n{content}\r\n")
    out.append(f"--{boundary}--\r\n")
    return "".join(out).encode()


@_settings
@given(
    st.lists(
        st.tuples(_part_name, st.none() | st.sampled_from(["a.txt", "data.bin"]), _part_text),
        min_size=1,
        max_size=5,
    ),
    st.data(),
)
def test_multipart_rebuild_matches_a_fresh_build(parts, data):
    body = _multipart(parts)
    parsed = parse_body(body, "multipart/form-data; boundary=zZ9boundary")
    assert parsed.kind == "multipart"
    content = [
        i
        for i, f in enumerate(parsed.fields)
        if not f.is_key and ".header:" not in f.location and f.key != "boundary"
    ]
    assert [parsed.fields[i].text for i in content] == [c for _, _, c in parts]
    chosen = data.draw(st.sets(st.integers(0, len(parts) - 1)))
    new_parts = [(n, f, f"<{i}>" if i in chosen else c) for i, (n, f, c) in enumerate(parts)]
    assert parsed.rebuild({content[i]: f"<{i}>" for i in chosen}) == _multipart(new_parts)


_content_types = st.none() | st.sampled_from([
    "application/json", "application/json; charset=utf-8", "text/plain; charset=latin-1",
    "application/x-www-form-urlencoded", "Application/X-WWW-Form-URLEncoded; charset=utf-16",
    "multipart/form-data; boundary=x", "text/plain; charset=utf-16", "text/plain; charset=cp1252",
    "application/json; charset=no-such-codec", "text/csv; charset=shift_jis",
]) | st.text(max_size=40)


@_settings
@given(_content_types, st.binary(max_size=64).map(lambda b: bytes(c % 128 or 32 for c in b)))
def test_ascii_reading_answers_as_the_helpers_it_stands_for(content_type, data):
    """The quiet lane's one cached answer agrees with the three questions it replaces, and "as is"
    holds: the text ``raw_text`` reads from an ASCII body without NULs is then its bytes."""
    from interven_autoguard.engine.body import (
        FORM_TYPE,
        MULTIPART,
        ascii_reading,
        media_type,
        names_escape_triage,
        raw_text,
        reads_ascii_as_is,
    )

    reading = ascii_reading(content_type)
    mime = media_type(content_type)
    assert (reading is MULTIPART) == mime.startswith("multipart/") == names_escape_triage(mime, b"x")
    if reading is not MULTIPART:
        assert reading.form == (mime == FORM_TYPE) == names_escape_triage(mime, b"a\nb")
    assert reading.as_is == reads_ascii_as_is(content_type)
    if reading.as_is:
        assert raw_text(data, content_type) == data.decode("ascii")
