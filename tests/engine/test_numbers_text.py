"""Numbers in plain text: CSV uploads with float columns, space-separated floats, numeric tables in
a prompt. ``pii`` drops a national/NANP phone candidate shaped as a decimal ("0.01234567") with its
shape and skips a shape pattern whose literals a long cluster lacks (``pii.NUMBER_SHORTCUTS``). Both
are meant to change no finding: these tests compare them with the full reading on random numeric
texts with phone numbers, cards, SSNs and IBANs planted. Speed: ``benchmarks/bench_numbers.py``.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interven_autoguard.engine import pii

# Findings that must survive in a CSV cell or among floats (phones need their context word).
PLANTED = [
    ("415-555-2671", "PHONE_NUMBER"),
    ("(415) 555-2671", "PHONE_NUMBER"),
    ("415.555.2671", "PHONE_NUMBER"),
    ("+1.415.555.2671", "PHONE_NUMBER"),
    ("+44 20 7946 1958", "PHONE_NUMBER"),
    ("020 7946 1958", "PHONE_NUMBER"),
    ("020.79461958", "PHONE_NUMBER"),  # a trunk 0, not a decimal
    ("+1.4155552671", "PHONE_NUMBER"),  # EPP form
    ("4539 1488 0343 6467", "CREDIT_CARD"),
    ("4539148803436467", "CREDIT_CARD"),
    ("123-45-6789", None),  # a published fake: not reported, either way
    ("078-05-1121", None),
    ("536-22-1234", "US_SSN"),
    ("536221234", None),  # a bare nine-digit run: an SSN or routing number only after its word
    ("021000021", None),
    ("DE89 3704 0044 0532 0130 00", None),  # the standard's example IBAN
    ("GB33BUKB20201555555555", "IBAN"),
]


def _both(text: str, key: str | None) -> tuple[list, list]:
    pii._shape_cache.clear()
    fast = pii.detect(text, key)
    pii._shape_cache.clear()
    pii.NUMBER_SHORTCUTS = False
    try:
        full = pii.detect(text, key)
    finally:
        pii.NUMBER_SHORTCUTS = True
        pii._shape_cache.clear()
    return fast, full


def _float(draw: st.DrawFn) -> str:
    value = draw(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False))
    style = draw(st.sampled_from(["repr", "fixed", "comma", "short"]))
    if style == "repr":
        return repr(value)
    if style == "short":
        return f"{value:.{draw(st.integers(0, 3))}f}"
    text = f"{value:.{draw(st.integers(1, 14))}f}"
    return text.replace(".", ",") if style == "comma" else text


@st.composite
def _cell(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["float", "float", "float", "int", "pii", "digits", "digits", "word"]))
    if kind == "float":
        return _float(draw)
    if kind == "int":
        return str(draw(st.integers(-(10**12), 10**12)))
    if kind == "pii":  # with a context word before it, often: the ambiguous shapes need one
        label = draw(st.sampled_from(["", "", "phone: ", "tel ", "ssn ", "card ", "routing ", "ssn,0,"]))
        return label + draw(st.sampled_from(PLANTED))[0]
    if kind == "digits":  # number-like runs with separators: dotted groups, dates, versions, "020.7946…"
        groups = draw(st.lists(st.text("0123456789", min_size=1, max_size=9), min_size=1, max_size=4))
        return draw(st.sampled_from([".", "-", " ", ""])).join(groups)
    return draw(st.sampled_from(["phone", "mobile:", "tel", "call me at", "ssn", "card", "id", "x", "0.",
                                 "-"]))


@st.composite
def _texts(draw: st.DrawFn) -> str:
    cells = draw(st.lists(_cell(), min_size=1, max_size=30))
    out = cells[0]
    for cell in cells[1:]:
        out += draw(st.sampled_from([",", ";", " ", "  ", "\t", "\n", " -", ", "])) + cell
    return out


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts(), st.sampled_from([None, "phone", "csv", "mobile_number", "card", "ssn", "values"]))
def test_shortcuts_change_no_finding(text: str, key: str | None) -> None:
    fast, full = _both(text, key)
    assert fast == full


def _floats_text(rng: random.Random, n: int, sep: str, fmt: str) -> str:
    return sep.join(format(rng.gauss(0, 0.05), fmt) for _ in range(n))


@pytest.mark.parametrize("value, kind", [p for p in PLANTED if p[1]])
@pytest.mark.parametrize("sep", [" ", ",", "\n", ";"])
def test_planted_pii_among_floats_is_found(value: str, kind: str, sep: str) -> None:
    rng = random.Random(3)
    before, after = _floats_text(rng, 40, sep, ".8f"), _floats_text(rng, 40, sep, ".8f")
    text = f"{before}{sep}phone{sep}{value}{sep}{after}"
    fast, full = _both(text, None)
    assert fast == full
    found = [(text[h.start : h.end], h.type) for h in fast]
    assert (value, kind) in found


UPLOAD_PLANTED = [("phone " + value, value, kind) for value, kind in PLANTED if kind] + [
    ("ssn 536221234", "536221234", "US_SSN"),
    ("routing 021000021", "021000021", "ABA_ROUTING"),
    ("tel 0044 20 7946 1958", "0044 20 7946 1958", "PHONE_NUMBER"),
    ("00 44 20 7946 1958", "00 44 20 7946 1958", "PHONE_NUMBER"),
]


@pytest.mark.parametrize("planted, value, kind", UPLOAD_PLANTED)
# Not decimal-comma numbers separated by spaces: "0,123456789 00 44 20 7946 1958" is one digit
# cluster whose first shape match swallows the number (as before these shortcuts).
@pytest.mark.parametrize("style, sep", [("repr", "\n"), ("repr", " "), ("comma", ";"), ("comma", "\n")])
def test_planted_pii_in_numeric_uploads_is_found_and_redacted(planted: str, value: str, kind: str,
                                                               style: str, sep: str) -> None:
    """Full-precision floats (the blob-run shortcut) and decimal-comma numbers with nine-digit
    fractions (the nine-digit and decimal-comma checks) around a planted value: found by ``scan``."""
    import interven_autoguard as autoguard

    rng = random.Random(9)

    def numbers(n: int) -> str:
        if style == "repr":
            return sep.join(repr(rng.gauss(0, 0.05)) for _ in range(n))
        return sep.join(f"{rng.uniform(0, 1):.9f}".replace(".", ",") for _ in range(n))

    text = f"{numbers(60)}{sep}{planted}{sep}{numbers(60)}"
    fast, full = _both(text, None)
    assert fast == full
    assert (value, kind) in [(text[h.start : h.end], h.type) for h in fast]
    r = autoguard.scan(method="POST", url="https://api.example-data.com/v1/upload",
                       headers={"Content-Type": "text/csv"}, body=text)
    assert kind in [f.type for f in r.findings]
    assert r.sanitized_body is not None and value not in r.sanitized_body


@pytest.mark.parametrize("fmt", [".8f", ".4f", "r", ".15f"])
@pytest.mark.parametrize("sep", [" ", ",", "\n", "\t", ", "])
def test_floats_alone_hold_nothing(fmt: str, sep: str) -> None:
    rng = random.Random(11)
    if fmt == "r":
        text = sep.join(repr(rng.gauss(0, 1)) for _ in range(300))
    else:
        text = _floats_text(rng, 300, sep, fmt)
    fast, full = _both(text, None)
    assert fast == full == []
    # Under a phone key, "0.0123 0.0456" (two short floats) is still read as a national number, as
    # before: the shortcuts only drop what the validators reject anyway.
    fast, full = _both(text, "phone")
    assert fast == full


def test_a_csv_with_a_phone_column() -> None:
    rows = ["name,phone,score,lat,lon"]
    rng = random.Random(2)
    for i in range(50):
        rows.append(f"user{i},415-555-{2600 + i:04d},{rng.random():.8f},{rng.uniform(-90, 90):.6f},"
                    f"{rng.uniform(-180, 180):.6f}")
    text = "\n".join(rows)
    fast, full = _both(text, None)
    assert fast == full
    assert sum(h.type == "PHONE_NUMBER" for h in fast) >= 40


@pytest.mark.parametrize("header, kind", [("ssn", "US_SSN"), ("aba routing", "ABA_ROUTING"), ("wert", None)])
def test_nine_digit_runs_among_comma_decimals(header: str, kind: str | None) -> None:
    rng = random.Random(4)
    rows = [f"datum;{header};wert"]
    rows += [f"{i};{rng.uniform(0, 1):.9f};{rng.uniform(1, 99):.9f}".replace(".", ",") for i in range(200)]
    # The word must stand within the context window before the number, not only in the header.
    rows.insert(50, f"x;{header} " + ("021000021" if kind == "ABA_ROUTING" else "536221234") + ";1")
    text = "\n".join(rows)
    fast, full = _both(text, None)
    assert fast == full
    if kind is not None:
        assert kind in {h.type for h in fast}


@settings(max_examples=300, deadline=None)
@given(st.text("0123456789abcdef+/", min_size=16, max_size=31) | st.text("0123456789ABCDEF+/", min_size=16,
                                                                          max_size=31),
       st.sampled_from(["", "\n", " ", "==", ","]))
def test_a_short_single_case_run_decodes_to_nothing(run: str, after: str) -> None:
    """``ascii_runs_decode_to_nothing`` skips such a run (the digits of "0.04567890123456789")
    without ``_decodes``: the shortcut holds when ``_decodes`` says so too."""
    from interven_autoguard.engine import decoding_layers as layers

    classes = run.encode().translate(layers._CLASS_TABLE)
    if after.startswith("="):
        return  # padded: always tried, not skipped
    assert not layers._decodes(run + after[:2], len(run), classes)
    text = ("x " + run + after).encode()
    assert layers.ascii_runs_decode_to_nothing(text)


# ----------------------------------------------------------------- decimal commas ("0,004316851")
# A CSV in a European locale writes "0,004316851": the fraction after the comma starts with "00" and
# was read as an "00" international number (here Austria's +43 1 6851…) and redacted from the
# upload. A fraction is one digit run glued to "<digits>,"; a phone number written after a comma is
# written in groups, or the comma separates a list.

COMMA_FRACTIONS = [
    "12;0,004316851;3,75",
    "datum;wert\n2024-01-05;-0,004316851\n",
    "x 0,004316851 y",
    "1.234,004316851",  # a thousands point
    "0,004316851 3,75 12,5",  # decimal-comma numbers separated by spaces: not "004316851 3"
    "0,004316851 12",
    "phone;wert\n1;0,0301234567",  # a national (trunk 0) candidate after a phone word, as a fraction
    "tel 0,02079461958",
]

STILL_PHONES = [
    ("00 44 20 7946 1958", "00 44 20 7946 1958"),
    ("0044 20 7946 1958", "0044 20 7946 1958"),
    ("tel 00 44 20 7946 1958", "00 44 20 7946 1958"),
    ("call me at 0044 20 7946 1958", "0044 20 7946 1958"),
    ("name;tel\nx;0044 20 7946 1958", "0044 20 7946 1958"),
    ("tel 0,0044 20 7946 1958", "0044 20 7946 1958"),  # a leading group of four: a row "0,<phone>"
    ("a,12,004316851", "004316851"),  # a comma-separated list: "12" and an "00" number
    ("12,004316851,7", "004316851"),
    ("tel;wert\n0301234567;1", "0301234567"),
    ("phone 0,020 7946 1958", "020 7946 1958"),
]


def _phones(text: str) -> list[str]:
    fast, full = _both(text, None)
    assert fast == full
    return [text[h.start : h.end] for h in fast if h.type == "PHONE_NUMBER"]


@pytest.mark.parametrize("text", COMMA_FRACTIONS)
def test_a_decimal_comma_fraction_is_no_phone_number(text: str) -> None:
    assert _phones(text) == []


@pytest.mark.parametrize("text, phone", STILL_PHONES)
def test_phone_numbers_after_a_comma_or_a_word_are_still_found(text: str, phone: str) -> None:
    assert _phones(text) == [phone]


def test_a_decimal_comma_csv_upload_is_sent_as_written() -> None:
    import interven_autoguard as autoguard

    rng = random.Random(5)
    rows = ["datum;wert;anteil;preis"]
    rows += [f"2024-01-{i % 28 + 1:02d};{rng.gauss(0, 1):.6f};{rng.uniform(0, 1):.9f};"
             f"{rng.uniform(1, 999):.2f}".replace(".", ",") for i in range(300)]
    rows.insert(7, "2024-01-08;0,114200000;0,004316851;3,75")
    body = "\n".join(rows)
    r = autoguard.scan(method="POST", url="https://api.example-data.com/v1/upload",
                       headers={"Content-Type": "text/csv"}, body=body)
    assert r.decision == "ALLOW" and r.findings == []
    # ... while a real "00" number in the same upload is still redacted.
    body = body.replace("0,004316851;", "0044 20 7946 1958;", 1)
    r = autoguard.scan(method="POST", url="https://api.example-data.com/v1/upload",
                       headers={"Content-Type": "text/csv"}, body=body)
    assert r.decision == "SANITIZE" and [f.type for f in r.findings] == ["PHONE_NUMBER"]
    assert r.sanitized_body is not None and "0044 20 7946 1958" not in r.sanitized_body


# Fractions whose digits are a valid "00" number (Austria, the UK, Germany, France, Spain).
PHONE_DIGIT_FRACTIONS = ["004316851", "00442079461958", "004930901820", "0033142685300", "0034912345678"]


@st.composite
def _comma_number(draw: st.DrawFn) -> str:
    integer = draw(st.integers(-(10**6), 10**6))
    lead = draw(st.sampled_from(["", "", "0", "00", "000"]))  # fractions starting "0"/"00" most of all
    fraction = draw(st.sampled_from(PHONE_DIGIT_FRACTIONS) |
                    st.text("0123456789", min_size=1, max_size=14).map(lambda digits: lead + digits))
    sign = "-" if integer == 0 and draw(st.booleans()) else ""
    return f"{sign}{integer},{fraction}"


@st.composite
def _comma_csv(draw: st.DrawFn) -> str:
    columns = draw(st.integers(1, 5))
    header = ";".join(draw(st.lists(st.sampled_from(["datum", "wert", "anteil", "preis", "menge", "id",
                                                     "x", "summe", "kurs"]), min_size=columns,
                                    max_size=columns)))
    rows = [header]
    for _ in range(draw(st.integers(1, 12))):
        cells = [draw(_comma_number() | st.integers(-(10**6), 10**6).map(str) |
                      st.sampled_from(["2024-01-05", "", "n/a"])) for _ in range(columns)]
        rows.append(draw(st.sampled_from([";", "\t"])).join(cells))
    return draw(st.sampled_from(["\n", "\r\n"])).join(rows)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_comma_csv(), st.sampled_from([None, "csv", "values", "file"]))
def test_decimal_comma_csvs_hold_no_phone_number(text: str, key: str | None) -> None:
    fast, full = _both(text, key)
    assert fast == full
    assert [h.type for h in fast if h.type == "PHONE_NUMBER"] == []


# ----------------------------------------------------------------- work done on numeric texts
# Deterministic counts of the per-number steps the shortcuts remove (speed itself:
# ``benchmarks/bench_numbers.py``); the answers are checked against the full work above and in
# ``test_full_precision_float_runs_decode_as_the_run_walk``.


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    """Count the calls of ``module.name`` (the real function still runs), or the items it yields."""
    import inspect

    real = getattr(module, name)
    count = [0]
    if inspect.isgeneratorfunction(real):
        def counted_gen(*args: object, **kwargs: object) -> object:
            for item in real(*args, **kwargs):
                count[0] += 1
                yield item
        monkeypatch.setattr(module, name, counted_gen)
    else:
        def counted(*args: object, **kwargs: object) -> object:
            count[0] += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, counted)
    return count


def _upload(body: str) -> str:
    import interven_autoguard as autoguard

    r = autoguard.scan(method="POST", url="https://api.example-data.com/v1/upload",
                       headers={"Content-Type": "text/plain"}, body=body)
    return str(r.decision)


def test_full_precision_floats_are_not_walked_run_by_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """"0.04567890123456789": 16 digits after the point, a blob run per line. A text without an
    upper-case letter (or without a lower-case one), "=" or a hex run has no run any decoder reads."""
    from interven_autoguard.engine import decoding_layers

    rng = random.Random(8)
    floats = "\n".join(repr(rng.gauss(0, 0.05)) for _ in range(2000))
    runs = _count_calls(monkeypatch, decoding_layers, "_runs_in")
    assert _upload(floats) == "ALLOW"
    assert 0 < runs[0] <= decoding_layers._RUNS_WALKED_FIRST + 1  # the first few, then none
    # With a mixed-case id among them the runs are walked (the counter sees them).
    assert _upload(floats + "\ncall_Zt2o1Ym5ZQhCxZ0K8w9C2WzF") == "ALLOW"
    assert runs[0] > 1000


def test_nine_digit_fractions_no_word_names_skip_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSV with decimal commas has a nine-digit fraction per cell: with no SSN/ITIN/routing word
    in the text, such a cluster is not validated at all."""
    rng = random.Random(6)
    rows = ["datum;wert;anteil"] + [f"{i};{rng.uniform(0.1, 1):.9f};{rng.uniform(1, 9):.2f}".replace(".", ",")
                                    for i in range(500)]
    numbers = _count_calls(monkeypatch, pii, "_numbers")
    fast, full = _both("\n".join(rows), None)
    assert fast == full == []
    assert numbers[0] == 500  # the full reading (NUMBER_SHORTCUTS off) validates every fraction
    rows[0] = "datum;ssn;anteil"  # a word that may name them: each is validated
    fast, full = _both("\n".join(rows), None)
    assert fast == full
    assert numbers[0] == 500 + 2 * 500


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["0123456789abcdef" * 2, "0123456789ABCDEF" * 2, "=", "==", "id", "ID", "Zt2o1Ym5",
                     "706c656173652073656e6420746865207265706f727421",  # hex of text: decoded
                     "cGxlYXNlIHNlbmQgdGhlIHJlcG9ydCEh", "cGxlYXNlIHNlbmQgdGhlIHJlcG9ydCEh=",
                     "-", "_", "+", "/", "e", "E", "\r"]),
), max_size=24), st.sampled_from(["\n", " ", ",", "", "\r\n", ";"]))
def test_full_precision_float_runs_decode_as_the_run_walk(parts: list[str], sep: str) -> None:
    from interven_autoguard.engine import decoding_layers

    raw = sep.join(parts).encode()
    expected = not any(
        decoding_layers._decodes(raw[start : end + 2].decode(), end - start, classes)
        for start, end, classes in decoding_layers._runs_in(raw, raw.translate(decoding_layers.RUN_TABLE))
    )
    assert decoding_layers.ascii_runs_decode_to_nothing(raw) == expected
