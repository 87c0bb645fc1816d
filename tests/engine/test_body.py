"""Body codecs: fields out, the same body back (same type, only the replaced text changed)."""

from __future__ import annotations

import copy
import gzip
import json
import zlib

import pytest

from interven_autoguard.engine.body import BodyNotInspectable, parse_body, raw_text

FORM = "application/x-www-form-urlencoded"


def _loc(parsed):
    return {f.location: f.text for f in parsed.fields if not f.is_key}


def _values(parsed):
    """Value fields only (keys and names are fields too, see test_body_evasion_keys)."""
    return [f for f in parsed.fields if not f.is_key]


def _by_value(parsed, replacements):
    """rebuild() with replacements given by position among the value fields."""
    index = [i for i, f in enumerate(parsed.fields) if not f.is_key]
    return parsed.rebuild({index[n]: new for n, new in replacements.items()})


# -- JSON ----------------------------------------------------------------------------------------------


def test_dict_fields_and_locations():
    body = {"model": "m", "messages": [{"role": "user", "content": "SSN 478-23-9156"}], "max_tokens": 12}
    parsed = parse_body(body)
    assert parsed.kind == "json"
    assert _loc(parsed) == {
        "body$.model": "m",
        "body$.messages[0].role": "user",
        "body$.messages[0].content": "SSN 478-23-9156",
        "body$.max_tokens": "12",
    }
    assert [f.key for f in _values(parsed)] == ["model", "role", "content", "max_tokens"]


def test_dict_rebuild_is_new_object_and_input_untouched():
    body = {"a": {"b": ["x", "secret here"], "c": {"d": 1}}, "e": (1, "t")}
    before = copy.deepcopy(body)
    parsed = parse_body(body)
    assert parsed.rebuild({}) is body
    idx = next(i for i, f in enumerate(parsed.fields) if f.text == "secret here")
    out = parsed.rebuild({idx: "[REDACTED:X] here"})
    assert body == before
    assert out == {"a": {"b": ["x", "[REDACTED:X] here"], "c": {"d": 1}}, "e": (1, "t")}
    assert out is not body and out["a"] is not body["a"] and out["a"]["b"] is not body["a"]["b"]
    assert isinstance(out["e"], tuple)


def test_number_leaf_becomes_string_only_when_replaced():
    card = 4111111111111111
    parsed = parse_body({"card": card, "amount": 12.5})
    assert _loc(parsed) == {"body$.card": str(card)}  # a float is never a field
    out = _by_value(parsed, {0: "[REDACTED:CARD]"})
    assert out == {"card": "[REDACTED:CARD]", "amount": 12.5}


def test_floats_are_not_fields_and_are_never_rewritten():
    """An embedding is one type check, not 1536 fields; rewriting its neighbours keeps it byte for byte."""
    vector = [0.0123, -0.00254617, 6.77e-05, 1e300, 4155552671.0, 0.0]
    text = '{"id": "a", "values": [0.0123, -0.00254617, 6.77e-05, 1E300, 4155552671.0, 0.0], ' \
           '"n": [1, 2.5, -3], "deep": [[0.5, 7], {"x": -0.0}], "note": "tok SECRET"}'
    for body in (text, json.loads(text)):
        parsed = parse_body(body, "application/json")
        assert [(f.location, f.text) for f in _values(parsed)] == [
            ("body$.id", "a"), ("body$.n[0]", "1"), ("body$.n[2]", "-3"), ("body$.deep[0][1]", "7"),
            ("body$.note", "tok SECRET"),
        ]
        note = next(i for i, f in enumerate(parsed.fields) if f.text == "tok SECRET")
        out = parsed.rebuild({note: "tok [R]"})
        if isinstance(body, str):
            assert out == text.replace("SECRET", "[R]")  # every number token as it was written
        else:
            assert out["values"] is body["values"] and out["values"] == vector
    parsed = parse_body({"n": [1, 2.5, -3]})
    ints = [i for i, f in enumerate(parsed.fields) if not f.is_key]
    assert parsed.rebuild({ints[1]: "[R]"}) == {"n": [1, 2.5, "[R]"]}


def test_json_bytes_splice_keeps_formatting_and_other_tokens():
    text = '{\n  "a" : "keep",\n  "n": 1.50,\n  "s": "tok SECRET end",\n  "a": "dup"\n}'
    body = text.encode()
    parsed = parse_body(body, "application/json; charset=utf-8")
    assert parsed.kind == "json"
    assert [(f.location, f.text) for f in _values(parsed)] == [
        ("body$.a", "keep"),
        ("body$.s", "tok SECRET end"),  # body$.n: a float is never a field
        ("body$.a", "dup"),  # duplicate keys are all scanned
    ]
    assert parsed.rebuild({}) is body
    assert _by_value(parsed, {0: "keep"}) is body  # same text: nothing to rebuild
    out = _by_value(parsed, {1: "tok [R] end"})
    assert isinstance(out, bytes)
    assert out.decode() == text.replace("SECRET", "[R]")


def test_json_str_rebuild_returns_str_and_valid_json():
    text = json.dumps({"x": ["a", {"y": 'b\u00e9\n"q"'}]}, ensure_ascii=False)
    parsed = parse_body(text, "application/json")
    out = _by_value(parsed, {1: 'new "quoted" \\ value'})
    assert isinstance(out, str)
    assert json.loads(out) == {"x": ["a", {"y": 'new "quoted" \\ value'}]}


def test_number_token_replaced_in_text():
    parsed = parse_body(b'{"card": 4111111111111111, "n": -1.5e3, "m": -15}', "application/json")
    assert [f.text for f in _values(parsed)] == ["4111111111111111", "-15"]
    assert json.loads(_by_value(parsed, {0: "[R]"})) == {"card": "[R]", "n": -1.5e3, "m": -15}


def test_nested_json_string_walked_and_reserialised():
    inner = json.dumps({"password": "hunter2", "other": 1})
    for body in ({"payload": inner}, json.dumps({"payload": inner}).encode()):
        parsed = parse_body(body, "application/json")
        assert _loc(parsed)["body$.payload<json>$.password"] == "hunter2"
        idx = next(i for i, f in enumerate(parsed.fields) if f.text == "hunter2")
        out = parsed.rebuild({idx: "[R]"})
        outer = out if isinstance(out, dict) else json.loads(out)
        assert json.loads(outer["payload"]) == {"password": "[R]", "other": 1}


def test_sniffed_json_without_content_type():
    parsed = parse_body(b' [{"a": "b"}] ')
    assert parsed.kind == "json" and _loc(parsed) == {"body$[0].a": "b"}


@pytest.mark.parametrize(("data", "location", "expected"), [
    (b'{"note": "x y", "n": 1}', "body$.note", b'{"note": "[R]", "n": 1}'),
    (b' [1, {"a": "b"}]\n', "body$[1].a", b' [1, {"a": "[R]"}]\n'),
    ('{"a": "\u00e9 x"}', "body$.a", '{"a": "[R]"}'),
])
def test_json_declared_a_form_is_read_as_the_json_it_is(data, location, expected):
    """urllib.request declares every POST body a form: rebuilt as a form, a JSON document would be
    percent-encoded whole; read as JSON, only the replaced token changes."""
    parsed = parse_body(data, "application/x-www-form-urlencoded")
    assert parsed.kind == "json"
    index = next(i for i, f in enumerate(parsed.fields) if f.location == location)
    assert parsed.rebuild({index: "[R]"}) == expected


@pytest.mark.parametrize("data", [b"a=1&b=%7B2%7D", b"{a=1}", b"[x]=1", b'{"a": 1}&b=2'])
def test_forms_that_only_look_like_json_stay_forms(data):
    assert parse_body(data, "application/x-www-form-urlencoded").kind == "form"


def test_malformed_json_scanned_as_text():
    parsed = parse_body(b'{"a": "unterminated', "application/json")
    assert parsed.kind == "text"
    assert parsed.fields[0].location == "body"
    assert parsed.rebuild({0: "x"}) == b"x"


def test_value_like_keys_are_hidden_in_locations_and_scanned():
    body = {"john@acme.com": "v", "4111111111111111": 1, "plain key": 2, "normal_key": 3}
    parsed = parse_body(body)
    locs = [f.location for f in parsed.fields]
    assert all("john" not in loc and "4111" not in loc for loc in locs)
    assert "body$['plain key']" in locs and "body$.normal_key" in locs
    keys = [(i, f) for i, f in enumerate(parsed.fields) if f.is_key]
    assert [f.text for _, f in keys] == ["john@acme.com", "4111111111111111", "plain key", "normal_key"]
    assert all(f.location.endswith("<key>") for _, f in keys)
    out = parsed.rebuild({keys[0][0]: "[R]", keys[1][0]: "[R]"})
    assert list(out) == ["[R]", "[R]#2", "plain key", "normal_key"]
    assert list(body) == ["john@acme.com", "4111111111111111", "plain key", "normal_key"]


def test_hidden_key_in_json_text_is_rebuilt():
    parsed = parse_body('{"john@acme.com": "v"}', "application/json")
    idx = next(i for i, f in enumerate(parsed.fields) if f.is_key)
    assert json.loads(parsed.rebuild({idx: "[R]"})) == {"[R]": "v"}


@pytest.mark.parametrize("opener,closer", [("[", "]"), ('{"a":', "}")])
def test_ten_thousand_levels_of_nesting(opener, closer):
    text = opener * 10_000 + '"deep secret"' + closer * 10_000
    parsed = parse_body(text.encode(), "application/json")
    assert parsed.kind == "json"
    assert [f.text for f in _values(parsed)] == ["deep secret"]
    assert len(_values(parsed)[0].location) < 400
    out = _by_value(parsed, {0: "[R]"})
    assert out == text.replace("deep secret", "[R]").encode()


def test_nesting_beyond_max_depth_is_scanned_as_text():
    text = "[" * 50 + '"s"' + "]" * 50
    parsed = parse_body(text, "application/json", max_depth=20)
    assert parsed.kind == "text" and parsed.fields[0].text == text


def test_deep_python_object_and_cycles():
    obj: object = "leaf"
    for _ in range(5_000):  # 10 000 levels: a dict and a list each time
        obj = {"a": [obj]}
    parsed = parse_body(obj)
    assert [f.text for f in _values(parsed)] == ["leaf"]
    out = _by_value(parsed, {0: "R"})
    for _ in range(5_000):
        out = out["a"][0]
    assert out == "R"
    cyclic: dict = {}
    cyclic["me"] = [cyclic]
    with pytest.raises(BodyNotInspectable) as exc:
        parse_body(cyclic)
    assert exc.value.reason_code == "BODY_NOT_INSPECTABLE"
    shared = ["s"]
    assert len(_values(parse_body({"x": shared, "y": shared}))) == 2  # shared, not cyclic: fine


def test_python_object_too_deep_fails_closed():
    obj: object = 1
    for _ in range(30):
        obj = [obj]
    with pytest.raises(BodyNotInspectable):
        parse_body(obj, max_depth=10)


def test_bytes_leaves_and_other_types_in_dict():
    import decimal
    import uuid

    body = {"b": b"raw bytes", "d": decimal.Decimal("1.10"), "u": uuid.UUID(int=1)}
    parsed = parse_body(body)
    assert _loc(parsed)["body$.b"] == "raw bytes"
    assert _loc(parsed)["body$.d"] == "1.10"
    out = _by_value(parsed, {0: "[R]"})
    assert out["b"] == b"[R]"


# -- text, binary, charsets --------------------------------------------------------------------------


def test_plain_text_and_empty():
    parsed = parse_body("hello secret", "text/plain")
    assert parsed.kind == "text" and _loc(parsed) == {"body": "hello secret"}
    assert parsed.rebuild({0: "hello [R]"}) == "hello [R]"
    for empty in (None, b"", ""):
        p = parse_body(empty)
        assert p.kind == "empty" and p.fields == [] and p.rebuild({}) is empty


def test_bytes_types_are_preserved():
    for kind in (bytes, bytearray, memoryview):
        body = kind(b"some text")
        parsed = parse_body(body, "text/plain")
        out = parsed.rebuild({0: "other"})
        assert type(out) is kind and bytes(out) == b"other"
        assert parsed.rebuild({}) is body


def test_invalid_utf8_is_scanned_losslessly():
    body = b"token=abc\xff\xfe tail \xc3"
    parsed = parse_body(body, "text/plain")
    assert parsed.kind == "binary" and parsed.charset == "latin-1"
    assert parsed.fields[0].text == body.decode("latin-1")
    out = parsed.rebuild({0: parsed.fields[0].text.replace("abc", "[R]")})
    assert out == body.replace(b"abc", b"[R]")


def test_declared_charset():
    body = "na\u00efve secret".encode("latin-1")
    parsed = parse_body(body, "text/plain; charset=ISO-8859-1")
    assert parsed.kind == "text" and parsed.fields[0].text == "na\u00efve secret"
    assert parsed.rebuild({0: "na\u00efve [R]"}) == "na\u00efve [R]".encode("latin-1")


def test_binary_content_type_still_scanned():
    parsed = parse_body(b"\x89PNG\x00\x01 AKIA in the middle", "image/png")
    assert parsed.kind == "binary" and "AKIA" in parsed.fields[0].text


def test_too_large():
    with pytest.raises(BodyNotInspectable) as exc:
        parse_body(b"x" * 101, max_bytes=100)
    assert exc.value.reason_code == "BODY_TOO_LARGE"
    assert "x" * 5 not in str(exc.value)
    with pytest.raises(BodyNotInspectable):
        parse_body("x" * 101, max_bytes=100)
    with pytest.raises(BodyNotInspectable):
        parse_body({"a": ["x"] * 200}, max_bytes=100)


def test_unsupported_body_type():
    with pytest.raises(BodyNotInspectable) as exc:
        parse_body(object())
    assert exc.value.reason_code == "BODY_NOT_INSPECTABLE"


def test_rebuild_rejects_unknown_field():
    with pytest.raises(IndexError):
        parse_body("x").rebuild({3: "y"})


# -- forms -----------------------------------------------------------------------------------------


def test_form_fields_and_rebuild_keeps_everything_else():
    body = "a=1&tok=ghp+x%21&a=2&flag&empty="
    parsed = parse_body(body, FORM)
    assert parsed.kind == "form"
    assert [(f.location, f.text) for f in _values(parsed)] == [
        ("form:a", "1"),
        ("form:tok", "ghp x!"),
        ("form:a", "2"),
        ("form:empty", ""),
    ]
    assert (
        _by_value(parsed, {1: "[REDACTED:X] & more"})
        == "a=1&tok=%5BREDACTED%3AX%5D%20%26%20more&a=2&flag&empty="
    )
    assert _by_value(parse_body(body.encode(), FORM), {0: "9"}) == b"a=9&tok=ghp+x%21&a=2&flag&empty="


def test_form_value_like_names_hidden_and_scanned():
    parsed = parse_body("john%40acme.com=1", FORM)
    assert [(f.location, f.text, f.is_key) for f in parsed.fields] == [
        ("form:#0<key>", "john@acme.com", True),
        ("form:#0", "1", False),
    ]
    assert parsed.rebuild({0: "[R]"}) == "%5BR%5D=1"


def test_form_invalid_percent_utf8():
    parsed = parse_body(b"a=%ff%fe", FORM)
    assert _values(parsed)[0].text == "\xff\xfe"


# -- content encoding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding,compress,decompress",
    [
        ("gzip", gzip.compress, gzip.decompress),
        ("x-gzip", gzip.compress, gzip.decompress),
        ("deflate", zlib.compress, zlib.decompress),
        ("deflate", lambda b: zlib.compress(b)[2:-4], lambda b: zlib.decompress(b, -15)),  # raw deflate
    ],
)
def test_compressed_bodies_round_trip(encoding, compress, decompress):
    plain = json.dumps({"text": "SSN 478-23-9156", "n": 1}).encode()
    body = compress(plain)
    parsed = parse_body(body, "application/json", encoding)
    assert parsed.kind == "json" and _values(parsed)[0].text == "SSN 478-23-9156"
    assert parsed.rebuild({}) is body
    out = _by_value(parsed, {0: "SSN [R]"})
    assert json.loads(decompress(out)) == {"text": "SSN [R]", "n": 1}


def test_stacked_encodings_and_multi_member_gzip():
    plain = b"hello secret"
    body = gzip.compress(zlib.compress(plain))
    parsed = parse_body(body, "text/plain", "deflate, gzip")
    assert parsed.fields[0].text == "hello secret"
    assert zlib.decompress(gzip.decompress(parsed.rebuild({0: "hello [R]"}))) == b"hello [R]"
    two = gzip.compress(b"part one ") + gzip.compress(b"part two")
    assert parse_body(two, "text/plain", "gzip").fields[0].text == "part one part two"


def test_decompression_bomb_is_capped():
    bomb = zlib.compress(b"\0" * (20 * 1024 * 1024), 9)
    assert len(bomb) < 100_000
    with pytest.raises(BodyNotInspectable) as exc:
        parse_body(bomb, "text/plain", "deflate", max_decompressed=1024 * 1024)
    assert exc.value.reason_code in ("BODY_TOO_LARGE", "BODY_NOT_INSPECTABLE")


@pytest.mark.parametrize(
    "body,encoding",
    [
        (b"not gzip at all", "gzip"),
        (gzip.compress(b"data")[:-6], "gzip"),  # truncated
        (gzip.compress(b"data") + b"trailing junk", "gzip"),
        (b"whatever", "br"),
        (b"whatever", "zstd"),
    ],
)
def test_bad_or_unknown_encodings_fail_closed(body, encoding):
    with pytest.raises(BodyNotInspectable) as exc:
        parse_body(body, "text/plain", encoding)
    assert exc.value.reason_code == "BODY_NOT_INSPECTABLE"


# -- multipart -------------------------------------------------------------------------------------


def _multipart(boundary: str = "XyZ") -> bytes:
    return (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="comment"\r\n\r\n'
        "my SSN is 478-23-9156\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n'
        '{"api_key": "abc", "n": 2}\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="upload"; filename="notes.txt"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
        "\x00\x01binary then secret text\r\n"
        f"--{boundary}--\r\n"
    ).encode("latin-1")


def test_multipart_fields_and_rebuild():
    body = _multipart()
    parsed = parse_body(body, 'multipart/form-data; boundary="XyZ"')
    assert parsed.kind == "multipart"
    content = [f for f in _values(parsed) if ".header:" not in f.location and f.key != "boundary"]
    assert [(f.location, f.text) for f in content] == [
        ("multipart:comment", "my SSN is 478-23-9156"),
        ("multipart:meta$.api_key", "abc"),
        ("multipart:meta$.n", "2"),
        ("multipart:upload#notes.txt", "\x00\x01binary then secret text"),
    ]
    assert parsed.rebuild({}) is body
    index = {f.location: i for i, f in enumerate(parsed.fields)}
    out = parsed.rebuild(
        {
            index["multipart:comment"]: "my SSN is [R]",
            index["multipart:meta$.api_key"]: "[K]",
            index["multipart:upload#notes.txt"]: "\x00\x01binary then [R] text",
        }
    )
    assert out == (
        body.replace(b"478-23-9156", b"[R]").replace(b'"abc"', b'"[K]"').replace(b"secret text", b"[R] text")
    )


def test_multipart_value_like_filename_hidden():
    body = (
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="ssn_478-23-9156.txt"\r\n'
        b"\r\nx\r\n--b--\r\n"
    )
    parsed = parse_body(body, "multipart/form-data; boundary=b")
    assert all("9156" not in f.location for f in parsed.fields)
    idx = next(i for i, f in enumerate(parsed.fields) if f.is_key and f.key is None and "#" in f.location)
    assert parsed.fields[idx].text == "ssn_478-23-9156.txt"
    assert parsed.rebuild({idx: "[R]"}) == body.replace(b"ssn_478-23-9156.txt", b"[R]")


def test_malformed_multipart_scanned_as_text():
    parsed = parse_body(b"--b\r\nno end", "multipart/form-data; boundary=b")
    assert parsed.kind == "text" and "no end" in parsed.fields[0].text


def test_gzip_multipart():
    body = gzip.compress(_multipart())
    parsed = parse_body(bytearray(body), "multipart/form-data; boundary=XyZ", "gzip")
    out = parsed.rebuild({[f.location for f in parsed.fields].index("multipart:comment"): "[R]"})
    assert isinstance(out, bytearray)
    assert b'name="comment"\r\n\r\n[R]\r\n' in gzip.decompress(bytes(out))


# -- raw_text --------------------------------------------------------------------------------------


def test_raw_text():
    assert raw_text({"a": "é"}) == '{"a": "é"}'
    assert raw_text(b"abc") == "abc"
    assert raw_text(gzip.compress(b"zipped"), None, "gzip") == "zipped"
    assert raw_text(b"bad", None, "gzip") is None
    assert raw_text(b"\xff") == "\xff"
    assert raw_text(None) == ""
    loop: list = []
    loop.append(loop)
    assert raw_text(loop) is None


@pytest.mark.parametrize("ctype", ["application/x-ndjson", "application/jsonl", None, "application/json"])
def test_json_lines(ctype):
    body = '{"custom_id": "a", "body": {"text": "SSN 478-23-9156"}}\n\n{"custom_id": "b", "n": 1}\n'
    parsed = parse_body(body.encode(), ctype)
    assert parsed.kind == "json"
    assert _loc(parsed) == {
        "body[0]$.custom_id": "a",
        "body[0]$.body.text": "SSN 478-23-9156",
        "body[2]$.custom_id": "b",
        "body[2]$.n": "1",
    }
    assert _by_value(parsed, {1: "SSN [R]"}) == body.replace("478-23-9156", "[R]").encode()


def test_json_lines_with_a_bad_line_is_text():
    parsed = parse_body('{"a": 1}\nnot json\n{"b": 2}', "application/x-ndjson")
    assert parsed.kind == "text"


# -- query strings ---------------------------------------------------------------------------------


def test_parse_and_rebuild_query():
    from interven_autoguard.engine.body import parse_query, rebuild_query

    query = "?q=hello+world&token=abc%2Fdef&q=2&flag&john%40acme.com=x"
    fields = parse_query(query)
    assert [(f.location, f.text, f.is_key) for f in fields] == [
        ("query:q<key>", "q", True),
        ("query:q", "hello world", False),
        ("query:token<key>", "token", True),
        ("query:token", "abc/def", False),
        ("query:q", "2", False),
        ("query:flag<key>", "flag", True),
        ("query:#4<key>", "john@acme.com", True),
        ("query:#4", "x", False),
    ]
    assert rebuild_query(query, {}) is query
    assert rebuild_query(query, {3: "[R]"}) == "?q=hello+world&token=%5BR%5D&q=2&flag&john%40acme.com=x"
    assert rebuild_query(query[1:], {6: "[R]"}) == "q=hello+world&token=abc%2Fdef&q=2&flag&%5BR%5D=x"
    assert parse_query("") == [] and parse_query("?") == []
