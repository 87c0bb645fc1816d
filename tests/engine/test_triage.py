"""The one-pass triage never clears what a detector could report or a decoder would unfold.

``triage.ascii_is_clean(b)`` True must imply ``secrets.may_match`` and ``decoding.needs_views``
False on ``b``, and ``pii.detect`` finding nothing in it under any key (the PII expressions are
narrower than ``pii.may_match``'s seven digits: they follow the shapes ``detect`` reports).
Hypothesis drives texts built from the fragments each triage reacts to (digit runs with separators,
"+" and trunk "0" prefixes, phone words, escapes, base64 runs wrapped over lines, every prefilter
keyword), plus every secret sample of the detector tests.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from secret_samples import SAMPLES, URI_SAMPLES, uri_sample

from interven_autoguard.engine import decoding, decoding_layers, pii, secrets, triage


def module_triages(text: str) -> bool:
    return secrets.may_match(text) or pii.may_match(text) or decoding.needs_views(text)


# Keys under which the pipeline reads a field: context words make ambiguous numbers PII.
PII_KEYS = (None, "phone", "phoneNumber", "mobile_phone", "contact.tel", "fax", "ssn", "itin",
            "routing_number", "aba", "card_number", "iban", "email", "id", "message_id", "mobile", "aadhaar",
            "pan", "rrn", "my_number", "sfzh", "id_card")


def worth_a_look(text: str) -> bool:
    """What the one-pass triage must never clear."""
    return (secrets.may_match(text) or decoding.needs_views(text)
            or any(pii.detect(text, key) for key in PII_KEYS))


def keywords() -> list[str]:
    """The prefilter entries that are plain (escaped) keywords, unescaped."""
    out = []
    for expression in triage.expressions():
        plain = re.sub(r"\\(.)", r"\1", expression)
        if re.escape(plain) == expression or plain.isalnum():
            out.append(plain)
    return out


B64 = string.ascii_letters + string.digits + "+/-_"
FRAGMENTS = st.one_of(
    st.sampled_from(["@", "%", "%4", "%41", "\\", "\\/", "\\x4", "\\x41", "\\u00e9", "\\U0001F600",
                     "\\u{1F6", "&", "&#", "&#6", "&#x4", "&amp;", "&a;", "=", "\n", "\r\n", " ", ".",
                     "(", ")", "-", "+", "_", "/", ":", '"', "{", "}", ","]),
    st.sampled_from(keywords()),
    st.text(alphabet=string.digits + " ().-", min_size=1, max_size=12),
    st.text(alphabet=string.ascii_uppercase + string.digits + " .-", min_size=1, max_size=6),
    st.text(alphabet=B64, min_size=1, max_size=40),
    st.text(alphabet=string.ascii_uppercase + string.digits, min_size=12, max_size=20),
    st.text(alphabet=string.ascii_lowercase + string.digits, min_size=12, max_size=20),
    st.text(alphabet="0123456789abcdefABCDEF", min_size=8, max_size=40),
    st.text(alphabet=string.ascii_lowercase + " ", min_size=1, max_size=30),
)
texts = st.lists(FRAGMENTS, max_size=24).map("".join)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
@example("A" * 16 + "\n" + "a" * 16)  # wrapped base64: upper-case line, then lower-case line
@example("A" + "0" * 15 + "\r\n" + "0" * 15 + "b")  # the case change only across the line break
@example("0" * 16 + "\n" + "1" * 15 + "a")
@example("a" * 20 + "=")  # padded run
@example("call_abc123 AB12")  # an IBAN spot is upper-case only
def test_clean_means_nothing_to_find(text: str) -> None:
    if triage.ascii_is_clean(text.encode("ascii")):
        assert not worth_a_look(text), text


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=string.printable, max_size=400))
def test_clean_means_nothing_to_find_in_any_ascii(text: str) -> None:
    if triage.ascii_is_clean(text.encode("ascii")):
        assert not worth_a_look(text)


PHONES = ["(415) 555-2671", "415-555-2671", "+1 415 555 2671", "+44 20 7946 0958", "+33 6 12 34 56 78",
          "+49 30 901820", "+14155552671", "0044 20 7946 0958", "020 7946 0958", "(415)555-2671",
          "+49 (0)30 901820", "1-800-555-0199", "4155552671", "0171 2345678", "030 901820",
          # national forms without trunk 0: China, India, Russia (trunk 8)
          "13912345678", "139-1234-5678", "9876543210", "98765 43210", "8 (916) 123-45-67", "89161234567"]
# National ids: China (X check digit), Aadhaar, Korea's RRN, My Number, and a PAN (letters).
NATIONAL_IDS = ["11010519491231002X", "110105198001011000", "2345 6789 0124", "234567890124",
                "800101-1234560", "8001011234560", "123456789018", "1234 5678 9018", "ABCPD1234E"]
NUMBERS = st.one_of(
    st.sampled_from(PHONES),
    st.sampled_from(NATIONAL_IDS),
    st.sampled_from(["PAN ", "aadhaar ", "rrn ", "my number ", "id card ", "mobile: ", "ABCPD", "X"]),
    st.sampled_from(["478-23-9156", "478 23 9156", "478239156", "912-70-1234", "4111 1111 1111 1111",
                     "4111-1111-1111-1111", "378282246310005", "021000021", "20241022", "2024-08-06",
                     "1700000000", "+", "(", "(0", "0", "00", "phone ", "call ", "tel:", "ssn ", "routing ",
                     "card ", "_", "x", "A", '"', ": ", "=", "+1", "0044"]),
    st.text(alphabet=string.digits, min_size=1, max_size=11),
    st.text(alphabet=string.digits + " ().-+", min_size=1, max_size=14),
)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NUMBERS, max_size=8).map("".join))
@example("claude-3-5-sonnet-20241022")
@example("x+0123456")
@example("a-0123456")
def test_clean_numbers_are_no_pii_under_any_key(text: str) -> None:
    """The narrower PII expressions: whatever ``detect`` reports, in any part of a text and under
    any key, keeps the text off the fast path."""
    if triage.ascii_is_clean(text.encode("ascii")):
        assert not any(pii.detect(text, key) for key in PII_KEYS), text


@pytest.mark.parametrize("text", PHONES + NATIONAL_IDS)
def test_every_phone_shape_is_not_clean(text: str) -> None:
    for framed in (text, f'{{"phone": "{text}"}}', f"call {text} now", f"a={text.replace(' ', '+')}"):
        assert not triage.ascii_is_clean(framed.encode("ascii")), framed


def _name_words() -> list[str]:
    from interven_autoguard.engine.secrets import _engine, context

    c = _engine.compiled()
    provider_words = (w for i in c.key_rules for w in c.rules[i].key_words)
    return sorted({*context._PASSWORD_WORDS, *context._TOKEN_WORDS, *context._SECRET_WORDS,
                   *context._COMPOUNDS, *context._META_LAST, *provider_words,
                   "api", "key", "access", "private", "client", "id", "x", "my", "db", "tokens", "keyboard"})


NAME_PARTS = st.sampled_from(_name_words())
SPLIT_NAMES = st.builds(  # classify_key joins two adjacent words: "ses_sionid", "servicek-ey"
    lambda word, at, sep: word[:at % (len(word) + 1)] + sep + word[at % (len(word) + 1):],
    NAME_PARTS, st.integers(0, 30), st.sampled_from(["_", "-", ".", " ", "[", "+", "__"]))
NAMES = st.builds(
    lambda parts, seps, upper: "".join(
        (p.upper() if u == 1 else p.capitalize() if u == 2 else p) + sep
        for p, sep, u in zip(parts, seps, upper)),
    st.lists(NAME_PARTS, min_size=1, max_size=3),
    st.lists(st.sampled_from(["", "_", "-", ".", " ", "[", "]", "+"]), min_size=3, max_size=3),
    st.lists(st.integers(0, 2), min_size=3, max_size=3),
)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(NAMES, SPLIT_NAMES))
@example("password ")
@example("my password is")
@example("data[password]")
@example("mistral api key ")
@example("ses_sionid")
@example("d.sn")
def test_every_sensitive_name_is_seen_as_a_key_and_as_a_form_name(name: str) -> None:
    """A field under a sensitive name is checked whole, whatever its value looks like: the triage
    must see the name itself, as a JSON key or as a form/query name."""
    from interven_autoguard.engine.secrets import key_is_sensitive, may_name_a_secret

    if key_is_sensitive(name):
        as_key = json.dumps({name: ["x"]})
        assert may_name_a_secret(as_key), as_key
        assert not triage.ascii_is_clean(as_key.encode("ascii"))
        if "=" not in name and "&" not in name:
            assert may_name_a_secret(f"{name}=x"), name
        as_query_name = name.replace(" ", "+")
        if key_is_sensitive(as_query_name.replace("+", " ")) and "=" not in name and "&" not in name:
            assert may_name_a_secret(f"a=1&{as_query_name}=x"), as_query_name


@pytest.mark.parametrize("name", ["model", "messages", "max_tokens", "max_completion_tokens", "tool_choice",
                                  "input_schema", "tool_use_id", "tool_call_id", "arguments", "temperature"])
def test_everyday_request_names_are_not_sensitive_looking(name: str) -> None:
    from interven_autoguard.engine.secrets import may_name_a_secret

    assert not may_name_a_secret(json.dumps({name: "x"})) and not may_name_a_secret(f"{name}=x")


@pytest.mark.parametrize("rule", sorted(SAMPLES))
def test_every_secret_sample_is_not_clean(rule: str) -> None:
    text, _ = SAMPLES[rule]()
    if text.isascii():
        assert not triage.ascii_is_clean(text.encode("ascii"))
        assert not triage.ascii_is_clean(b'{"messages": [{"content": "' + text.encode("ascii") + b'"}]}')


@pytest.mark.parametrize("scheme", sorted(URI_SAMPLES.values()))
def test_every_uri_sample_is_not_clean(scheme: str) -> None:
    text, _ = uri_sample(scheme)
    assert not triage.ascii_is_clean(text.encode("ascii"))


@pytest.mark.parametrize("text", [
    "478-23-9156", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "john@acme.com",
    "+1 (415) 555-0132", "%68%75", "\\x68\\x75", "\\u0068", "&#104;", "&lt;", "aGVsbG8gd29ybGQgaGVsbG8=",
    "QUtJQUlPU0ZPRE5ON0VYQU1QTEU", "d41d8cd98f00b204e9800998ecf8427e",
])
def test_each_kind_of_trigger_is_not_clean(text: str) -> None:
    assert module_triages(text)
    assert not triage.ascii_is_clean(text.encode("ascii"))


@pytest.mark.parametrize("text", [
    '{"model": "gpt-4o", "messages": [{"role": "user", "content": "Summarise the quarterly report."}]}',
    "Content-Type\n\nUser-Agent\n\napplication/json\n\nOpenAI/Python 1.52.0",  # as the engine joins headers
    "call_abc123 src/components/button_group.tsx /v1/chat/completions",
    '{"model": "claude-3-5-sonnet-20241022", "max_tokens": 1024, "messages": []}',
    '{"model": "gpt-4o-2024-08-06", "seed": 12345678, "messages": []}',
])
def test_everyday_agent_text_is_clean(text: str) -> None:
    """Not a safety property: the fast path must apply to what agents send all day (dated model
    names included: seven digits in a row are no PII by themselves)."""
    assert not worth_a_look(text)
    assert triage.ascii_is_clean(text.encode("ascii"))


def test_expressions_are_owned_by_the_modules() -> None:
    every = triage.expressions()
    for expression in (*pii.TRIAGE_EXPRESSIONS, *decoding_layers.ESCAPE_TRIAGE_EXPRESSIONS):
        assert expression in every


@pytest.mark.parametrize("blob", [
    b'{"url": "data:image/png;base64,' + base64.b64encode(bytes(range(256)) * 1200) + b'"}',
    base64.b64encode(random.Random(7).randbytes(300_000)),
])
def test_base64_payloads_never_reach_the_keyword_automaton(
        blob: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """An image in a prompt: the blob check answers first; the RE2 Set, whose counted repeats make
    it crawl over base64, is not even asked."""
    def crawl() -> None:
        raise AssertionError("the keyword automaton ran over a base64 payload")

    monkeypatch.setattr(triage, "_matches", crawl)
    assert not triage.ascii_is_clean(blob)


def test_a_triage_pass_that_could_not_search_is_not_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    """RE2's Set reports nothing at all when its automaton fails (the binding drops the failure
    flag); the canary tells that apart from "nothing matched", and the request takes the full path.
    The failure cannot be provoked on demand, so it is injected."""
    prose = b'{"messages": [{"role": "user", "content": "summarise the quarterly report"}]}'
    assert triage.ascii_is_clean(prose)
    assert list(triage._matches()(prose)) == [len(triage.expressions())]  # the canary, last
    monkeypatch.setattr(triage, "_matches", lambda: lambda _data: [])
    assert not triage.ascii_is_clean(prose)


def test_the_full_scan_still_catches_a_secret_when_both_sets_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    import interven_autoguard as autoguard
    from interven_autoguard.engine.secrets import _engine

    class OutOfMemory:
        def Match(self, _data: bytes) -> list[int]:
            return []

    token = SAMPLES["github-pat"]()[0]
    body = json.dumps({"note": f"use {token} for the deploy"}).encode()
    before = autoguard.scan(method="POST", url="http://127.0.0.1:9/notes",
                            headers={"Content-Type": "application/json"}, body=body)
    monkeypatch.setattr(triage, "_matches", lambda: lambda _data: [])
    monkeypatch.setattr(_engine.compiled().prefilter, "_set", OutOfMemory())
    after = autoguard.scan(method="POST", url="http://127.0.0.1:9/notes",
                           headers={"Content-Type": "application/json"}, body=body)
    assert before.decision != "ALLOW" and after.decision == before.decision
    assert [f.type for f in after.findings] == [f.type for f in before.findings]
