"""Evasions of the body codecs: a secret in a key, a parameter name, a charset the receiver reads
differently, or multipart framing must be a field (codec level) and never ALLOW (end to end)."""

from __future__ import annotations

import json
import random

import pytest

from interven_autoguard import LocalScanner
from interven_autoguard.engine.body import BodyNotInspectable, parse_body, parse_query, raw_text

AK = "AKIA" + "QYLPMN5HHHFPZAM2"  # built at run time: the repository holds no credential literal
URL = "https://example.com/api"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MP = "multipart/form-data; boundary=bb"


@pytest.fixture(scope="module")
def scanner() -> LocalScanner:
    return LocalScanner()


def _scan(scanner: LocalScanner, body: object = None, ctype: str | None = None, url: str = URL):
    headers = {"Content-Type": ctype} if ctype else {}
    return scanner.scan(method="POST", url=url, headers=headers, body=body)


def _not_allowed_and_clean(resp) -> None:
    assert resp.decision != "ALLOW"
    for finding in resp.findings:
        assert AK not in finding.location
    if resp.sanitized_body is not None:
        shown = resp.sanitized_body
        if isinstance(shown, (bytes, bytearray, memoryview)):
            shown = bytes(shown).decode("latin-1")
        assert AK not in repr(shown)
    assert AK not in (resp.sanitized_url or "")


def _key_fields(fields):
    return [f for f in fields if f.is_key]


# -- 1. keys and names ---------------------------------------------------------------------------

KEY_BODIES = [
    pytest.param({AK: 1}, None, id="dict-key-int-value"),
    pytest.param({AK: "x"}, None, id="dict-key-str-value"),
    pytest.param({"outer": [{AK: None}]}, None, id="dict-nested-key"),
    pytest.param(json.dumps({AK: 1}), JSON, id="json-str"),
    pytest.param(json.dumps({AK: 1}).encode(), JSON, id="json-bytes"),
    pytest.param(json.dumps({AK: 1}).encode(), None, id="json-sniffed"),
    pytest.param(b'{"\\u0041KIA' + AK[4:].encode() + b'": 1}', JSON, id="json-escaped-key"),
    pytest.param(json.dumps({"a": json.dumps({AK: 1})}), JSON, id="json-in-json-key"),
    pytest.param(
        (json.dumps({"a": 1}) + "\n" + json.dumps({AK: 2})).encode(), "application/x-ndjson", id="ndjson"
    ),
    pytest.param((AK + "=1&a=b").encode(), FORM, id="form-name"),
    pytest.param(AK.encode(), FORM, id="form-bare-token"),  # urllib.request's default for data=
    pytest.param(AK.encode(), None, id="bare-bytes"),
]


@pytest.mark.parametrize("body,ctype", KEY_BODIES)
def test_key_is_a_field(body, ctype):
    parsed = parse_body(body, ctype)
    keys = [f for f in parsed.fields if AK in f.text]
    assert keys, "the key is not scanned"
    for f in _key_fields(parsed.fields):
        assert f.location.endswith("<key>") and AK not in f.location


@pytest.mark.parametrize("body,ctype", KEY_BODIES)
def test_key_end_to_end(scanner, body, ctype):
    _not_allowed_and_clean(_scan(scanner, body, ctype))


@pytest.mark.parametrize("query", [f"?{AK}=1", f"?{AK}", f"?a=1&{AK}=2&{AK}=3", f"?x=1&%41KIA{AK[4:]}=y"])
def test_query_names(scanner, query):
    fields = parse_query(query)
    assert any(f.is_key and AK in f.text for f in fields)
    assert all(AK not in f.location for f in fields)
    _not_allowed_and_clean(_scan(scanner, url=URL + query))


def test_every_key_is_a_field_once_per_text():
    body = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
    parsed = parse_body(body)
    assert [f.text for f in _key_fields(parsed.fields)] == ["messages", "role", "content"]
    assert [f.location for f in _key_fields(parsed.fields)] == [
        "body$.messages<key>",
        "body$.messages[0].role<key>",
        "body$.messages[0].content<key>",
    ]
    hidden = parse_body(body, hide_keys={"role"})
    assert [f.location for f in _key_fields(hidden.fields)][1] == "body$.messages[0][#0]<key>"
    role = next(i for i, f in enumerate(parsed.fields) if f.text == "role")
    out = parsed.rebuild({role: "[R]"})
    assert out == {"messages": [{"[R]": "user", "content": "a"}, {"[R]": "assistant", "content": "b"}]}


@pytest.mark.parametrize("as_text", [False, True])
def test_renamed_key_stays_unique_in_its_object(as_text):
    body: object = {AK: 1, "[R]": 2, "inner": {AK: 3}}
    if as_text:
        body = json.dumps(body)
    parsed = parse_body(body, JSON)
    idx = next(i for i, f in enumerate(parsed.fields) if f.is_key and f.text == AK)
    out = parsed.rebuild({idx: "[R]"})
    doc = json.loads(out) if as_text else out
    assert doc == {"[R]#2": 1, "[R]": 2, "inner": {"[R]": 3}}
    if as_text:
        assert list(json.loads(out, object_pairs_hook=list)[0]) == ["[R]#2", 1]  # order kept


def test_duplicate_keys_in_json_text_are_all_renamed_and_made_distinct():
    text = f'{{"{AK}": 1, "{AK}": 2, "k": {{"{AK}": 3}}}}'
    parsed = parse_body(text, JSON)
    keys = [i for i, f in enumerate(parsed.fields) if f.is_key and f.text == AK]
    assert len(keys) == 1  # one field per distinct key text
    out = parsed.rebuild({keys[0]: "[R]"})
    assert AK not in out
    assert json.loads(out, object_pairs_hook=list) == [("[R]", 1), ("[R]#2", 2), ("k", [("[R]", 3)])]


def test_form_name_rename_everywhere_and_values_untouched():
    body = f"{AK}=1&a=2&{AK}=3"
    parsed = parse_body(body, FORM)
    idx = next(i for i, f in enumerate(parsed.fields) if f.is_key and f.text == AK)
    assert parsed.rebuild({idx: "[R]"}) == "%5BR%5D=1&a=2&%5BR%5D=3"
    assert parse_body(AK.encode(), FORM).rebuild({0: "[R]"}) == b"%5BR%5D"


def test_hide_keys_rewrites_locations_only():
    plain = "customer_name"  # shown in locations until the scanner asks to hide it (a finding in it)
    body = {"a": {plain: {"n": "v"}}, "b": {plain: 2}}
    parsed = parse_body(body)
    assert any(plain in f.location for f in parsed.fields)
    hidden = parsed.hide_keys({plain})
    assert [f.text for f in hidden.fields] == [f.text for f in parsed.fields]
    assert all(plain not in f.location for f in hidden.fields)
    assert [f.location for f in hidden.fields if not f.is_key] == ["body$.a[#0].n", "body$.b[#0]"]
    assert hidden.rebuild({}) is body
    text_body = json.dumps(body).encode()
    assert all(plain not in f.location for f in parse_body(text_body, JSON, hide_keys={plain}).fields)
    assert all(plain not in f.location for f in parse_body(f"{plain}=1", FORM, hide_keys={plain}).fields)
    query = parse_query(f"?{plain}=1", hide_keys={plain})
    assert [f.location for f in query] == ["query:#0<key>", "query:#0"]
    assert [f.location for f in parse_query(f"?{plain}=1")] == [f"query:{plain}<key>", f"query:{plain}"]


def test_token_like_keys_are_not_shown():
    assert all(AK not in f.location for f in parse_body({AK: {"x": 1}, "b": {AK: 1}}).fields)


# -- 2. charsets ---------------------------------------------------------------------------------

CHARSET_BODIES = [
    pytest.param(json.dumps({"a": AK}).encode(), JSON + "; charset=utf-16", id="declared-utf16-ascii-bytes"),
    pytest.param(json.dumps({"a": AK}).encode() + b" ", JSON + "; charset=utf-16", id="declared-utf16-odd"),
    pytest.param(json.dumps({"a": AK}).encode(), JSON + "; charset=utf-32", id="declared-utf32"),
    pytest.param(json.dumps({"a": AK}).encode(), "text/plain; charset=cp500", id="declared-ebcdic"),
    pytest.param(json.dumps({"a": AK}).encode("utf-16-le"), JSON, id="utf16le-no-bom"),
    pytest.param(json.dumps({"a": AK}).encode("utf-16-be"), JSON, id="utf16be-no-bom"),
    pytest.param(json.dumps({"a": AK}).encode("utf-16-le"), JSON + "; charset=utf-8", id="utf16le-said-utf8"),
    pytest.param(json.dumps({"a": AK}).encode("utf-32"), JSON, id="utf32-bom"),
    pytest.param(json.dumps({"a": AK}).encode("utf-32-le"), JSON, id="utf32le-no-bom"),
    pytest.param(json.dumps({AK: 1}).encode("utf-16-le"), JSON, id="utf16le-key"),
    pytest.param(("t " + AK).encode("utf-16-le"), None, id="utf16le-text"),
    pytest.param(("t " + AK).encode("utf-16-le"), "text/plain", id="utf16le-text-plain"),
    pytest.param(("t " + AK).encode("utf-16-be") + b"\x00", "text/plain", id="utf16be-text-trailing-byte"),
]


@pytest.mark.parametrize("body,ctype", CHARSET_BODIES)
def test_charset_readings_are_fields(body, ctype):
    parsed = parse_body(body, ctype)
    assert any(AK in f.text for f in parsed.fields)
    text = raw_text(body, ctype)
    assert text is None or AK in text  # the triage sees it too


@pytest.mark.parametrize("body,ctype", CHARSET_BODIES)
def test_charset_end_to_end(scanner, body, ctype):
    _not_allowed_and_clean(_scan(scanner, body, ctype))


def test_utf32_bom_is_not_read_as_utf16():
    body = json.dumps({"a": "x"}).encode("utf-32")
    parsed = parse_body(body, JSON)
    assert parsed.charset == "utf-32" and parsed.kind == "json"
    assert [f.text for f in parsed.fields if f.location == "body$.a"] == ["x"]


def test_alternate_reading_is_redacted_in_its_own_codec():
    body = json.dumps({"a": "k " + AK}).encode("utf-16-le")
    parsed = parse_body(body, JSON)
    idx = next(i for i, f in enumerate(parsed.fields) if AK in f.text)
    assert parsed.fields[idx].location == "body<utf-16-le>$.a"
    out = parsed.rebuild({idx: "k [R]"})
    assert json.loads(out.decode("utf-16-le")) == {"a": "k [R]"}


def test_reading_that_needs_substitutions_fails_closed_on_rebuild():
    body = ("t " + AK).encode("utf-16-le") + b"\x00\xd8"  # ends in half a surrogate pair
    parsed = parse_body(body, "text/plain")
    idx = next(i for i, f in enumerate(parsed.fields) if AK in f.text)
    with pytest.raises(BodyNotInspectable) as exc:
        parsed.rebuild({idx: "t [R]"})
    assert exc.value.reason_code == "BODY_NOT_INSPECTABLE" and AK not in str(exc.value)


def test_plain_bodies_get_no_extra_readings():
    for body, ctype in [
        (json.dumps({"a": "é"}).encode(), JSON),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(1).randbytes(4096), "image/png"),
        ("naïve".encode("latin-1"), "text/plain; charset=latin-1"),
    ]:
        parsed = parse_body(body, ctype)
        assert not any("<utf-" in f.location or "<latin-1>" in f.location for f in parsed.fields)
        assert raw_text(body, ctype) == parsed.fields[0].text or parsed.kind == "json"


# -- 3. multipart framing ------------------------------------------------------------------------


def _mp(head: bytes, content: bytes = b"hi", pre: bytes = b"", epi: bytes = b"", pad: bytes = b"") -> bytes:
    return pre + b"--bb" + pad + b"\r\n" + head + b"\r\n\r\n" + content + b"\r\n--bb--\r\n" + epi


_A = AK.encode()
_CD = b'Content-Disposition: form-data; name="a"'
MULTIPART_BODIES = {
    "preamble": (_mp(_CD, pre=_A + b"\r\n"), "multipart:preamble"),
    "epilogue": (_mp(_CD, epi=_A), "multipart:epilogue"),
    "header": (_mp(_CD + b"\r\nX-Meta: " + _A), "multipart:#0.header:x-meta"),
    "header-name": (_mp(_CD + b"\r\n" + _A + b": 1"), "multipart:#0.header:#1"),
    "name": (_mp(b'Content-Disposition: form-data; name="' + _A + b'"'), "multipart:#0<key>"),
    "filename": (_mp(_CD + b'; filename="' + _A + b'.txt"'), "multipart:a#*<key>"),
    "disposition-param": (_mp(_CD + b"; x=" + _A), "multipart:#0.header:content-disposition"),
    "content-type-param": (
        _mp(_CD + b"\r\nContent-Type: text/plain; x=" + _A),
        "multipart:#0.header:content-type",
    ),
    "json-key-in-part": (
        _mp(_CD + b"\r\nContent-Type: application/json", json.dumps({AK: 1}).encode()),
        "multipart:a$[#0]<key>",
    ),
    "delimiter-line": (_mp(_CD, pad=b" " + _A), "multipart:#0.delimiter"),
}


@pytest.mark.parametrize("name", sorted(MULTIPART_BODIES))
def test_multipart_framing_is_a_field_and_redactable(name):
    body, location = MULTIPART_BODIES[name]
    parsed = parse_body(body, MP)
    assert parsed.kind == "multipart"
    hits = [i for i, f in enumerate(parsed.fields) if AK in f.text]
    assert location in [parsed.fields[i].location for i in hits]
    out = parsed.rebuild({i: parsed.fields[i].text.replace(AK, "[R]") for i in hits})
    assert AK.encode() not in out
    again = parse_body(out, MP)
    assert again.kind == "multipart" and len(again.fields) == len(parsed.fields)


@pytest.mark.parametrize("name", sorted(MULTIPART_BODIES))
def test_multipart_framing_end_to_end(scanner, name):
    _not_allowed_and_clean(_scan(scanner, MULTIPART_BODIES[name][0], MP))


@pytest.mark.parametrize(
    "content,part_type",
    [
        (("k " + AK).encode("utf-16-le"), "text/plain"),
        (("k " + AK).encode("utf-16-le"), "application/octet-stream"),
        (json.dumps({"a": AK}).encode(), "application/json; charset=utf-16"),
    ],
)
def test_part_in_another_charset(scanner, content, part_type):
    filler = b"x" * 4000  # the part is a small share of the body: only the part's own reading shows it
    body = (
        b'--bb\r\nContent-Disposition: form-data; name="pad"\r\n\r\n' + filler + b"\r\n"
        b'--bb\r\nContent-Disposition: form-data; name="a"\r\nContent-Type: '
        + part_type.encode()
        + b"\r\n\r\n"
        + content
        + b"\r\n--bb--\r\n"
    )
    assert any(AK in f.text for f in parse_body(body, MP).fields)
    text = raw_text(body, MP)
    assert text is None or AK in text
    _not_allowed_and_clean(_scan(scanner, body, MP))


def test_header_line_replacement_stays_one_line():
    body = _mp(_CD + b"\r\nX-Meta: " + _A)
    parsed = parse_body(body, MP)
    idx = next(i for i, f in enumerate(parsed.fields) if f.location == "multipart:#0.header:x-meta")
    out = parsed.rebuild({idx: "X-Meta: a\r\nX-Injected: b"})
    assert b"X-Injected" in out and b"\r\nX-Injected" not in out


def test_secret_boundary_fails_closed(scanner):
    body = b"--" + _A + b'\r\nContent-Disposition: form-data; name="a"\r\n\r\nhi\r\n--' + _A + b"--\r\n"
    ctype = "multipart/form-data; boundary=" + AK
    parsed = parse_body(body, ctype)
    idx = next(i for i, f in enumerate(parsed.fields) if f.location == "multipart:boundary")
    with pytest.raises(BodyNotInspectable) as exc:
        parsed.rebuild({idx: "[R]"})
    assert exc.value.reason_code == "BODY_NOT_INSPECTABLE" and AK not in str(exc.value)
    resp = _scan(scanner, body, ctype)
    assert resp.decision == "DENY"


def test_multipart_round_trip_and_requests_style_body():
    body = (
        b"--bb\r\n"
        b'Content-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n"
        b"--bb--\r\n"
    )
    parsed = parse_body(body, MP)
    assert parsed.rebuild({}) is body
    assert parsed.rebuild({i: f.text for i, f in enumerate(parsed.fields)}) is body
    assert [f.text for f in parsed.fields if f.location == "multipart:f#a.txt"] == ["hello"]


# -- objects that are not JSON ---------------------------------------------------------------------


def test_enum_value_is_scanned(scanner):
    import enum

    class Member(enum.Enum):
        KEY = AK

    parsed = parse_body({"a": Member.KEY})
    assert [f.text for f in parsed.fields if not f.is_key] == [AK]
    _not_allowed_and_clean(_scan(scanner, {"a": Member.KEY}))


def test_unreadable_leaves_fail_closed(scanner):
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no")

    for body in ({"a": Unprintable()}, {"a": 10**5000}):
        with pytest.raises(BodyNotInspectable) as exc:
            parse_body(body)
        assert exc.value.reason_code == "BODY_NOT_INSPECTABLE"
        resp = _scan(scanner, body)
        assert resp.decision == "DENY" and "BODY_NOT_INSPECTABLE" in resp.reason_codes
