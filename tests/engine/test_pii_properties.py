"""Hypothesis properties of ``engine.pii``: the triage guarantee and the shape of ``detect``'s output."""

from __future__ import annotations

import itertools
import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import interven_autoguard as autoguard
from interven_autoguard.engine import pii

KEYS = [None, "phone", "ssn", "itin", "routingNumber", "customer.tel", "notes", "aadhaar", "pan", "rrn",
        "my_number", "id_card", "手机号"]

# Pieces that look like PII (valid or nearly so) mixed with noise that shares its alphabet.
PII_LIKE = st.sampled_from(
    [
        "478-23-9156",
        "478239156",
        "912-70-3456",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5454545454545454",
        "3714 496353 98431",
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "john@acme.com",
        "(415) 555-2671",
        "+44 20 7946 0958",
        "0044 20 7946 0958",
        "021000021",
        "11010519491231002X",
        "2345 6789 0124",
        "800101-1234560",
        "123456789018",
        "ABCPD1234E",
        "13912345678",
        "8 (916) 123-45-67",
        "身份证 ",
        "手机 ",
        "PAN ",
        "routing ",
        "ssn ",
        "phone: ",
        "user:pw@",
        "https://",
    ]
)
NOISE = st.text(alphabet="0123456789 ().-+@:/AZDEGBaz_xé\n", max_size=24)
TEXTS = st.lists(st.one_of(PII_LIKE, NOISE, st.text(max_size=12)), max_size=8).map("".join)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.sampled_from(KEYS))
def test_every_hit_is_seen_by_triage(text, key):
    # Triage is monotone (translate-with-delete commutes with concatenation), so "every hit's own
    # text passes triage" implies "may_match(t) is False ⇒ detect(s) == [] for every substring s".
    for h in pii.detect(text, key):
        assert pii.may_match(text[h.start : h.end])
        assert pii.may_match(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.data())
def test_triage_negative_means_no_hit_in_any_substring(text, data):
    if pii.may_match(text):
        return
    for _ in range(5):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, len(text)))
        for key in KEYS:
            assert pii.detect(text[i:j], key) == []


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(TEXTS, st.text()), st.sampled_from(KEYS))
def test_detect_output_shape(text, key):
    hits = pii.detect(text, key)
    for h in hits:
        assert 0 <= h.start < h.end <= len(text)
        assert h.category == "pii"
        assert h.type in {"US_SSN", "CREDIT_CARD", "IBAN", "EMAIL", "PHONE_NUMBER", "US_ITIN", "ABA_ROUTING",
                          "CN_RESIDENT_ID", "IN_AADHAAR", "IN_PAN", "KR_RRN", "JP_MY_NUMBER"}
        assert text[h.start : h.end] == text[h.start : h.end].strip()
    for a, b in itertools.pairwise(hits):
        assert a.end <= b.start


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200) | st.text(max_size=200))
def test_detect_and_triage_never_raise(text):
    pii.may_match(text)
    pii.detect(text)
    pii.detect(text, "phone")


def test_lone_surrogates_do_not_crash():
    text = "ssn \ud800 478-23-9156 \udfff john@acme.com"
    assert [h.type for h in pii.detect(text)] == ["US_SSN", "EMAIL"]
    assert pii.may_match(text)


# ---------------------------------------------------------------- numbers that are no PII

# Floats as ``json.dumps`` writes them (shortest repr, exponents, negative): embedding components,
# scores, coordinates. Small ones are the dangerous ones: "0.00492…" once read as an "00" prefix.
FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1, max_value=1),
    st.floats(min_value=-1e-2, max_value=1e-2),
    st.floats(min_value=1, max_value=1e11),
)
PROSE = st.sampled_from(["{}", "value {}", "the score was {} today", "[{}, {}]", "x = {}; y = {}", "{} ± {}"])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FLOATS, min_size=2, max_size=2), PROSE, st.sampled_from([*KEYS, "embedding", "values"]))
def test_floats_in_prose_are_never_pii(pair, template, key):
    text = template.format(*map(json.dumps, pair))
    assert pii.detect(text, key) == [], text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FLOATS, min_size=1, max_size=64), st.sampled_from(["embedding", "values", "phone", "scores"]))
def test_floats_in_json_bodies_are_never_pii(values, key):
    body = json.dumps({"id": "doc-1", key: values})
    r = autoguard.scan(method="POST", url="https://collector.example.net/upsert", body=body)
    assert r.decision == "ALLOW", (r.decision, [(f.type, f.location) for f in r.findings])


def test_gaussian_embedding_upserts_are_allowed():
    # OpenAI-like 1536-dimensional vectors (components ~ N(0, 0.025)): every one of them used to
    # hold a "0.00…" component read as an international phone number, and SANITIZE rewrote it.
    rng = random.Random(42)
    for i in range(5):
        vec = [rng.gauss(0, 0.025) for _ in range(1536)]
        body = json.dumps({"vectors": [{"id": f"doc-{i}", "values": vec}]})
        url = "https://idx-abc123.svc.us-east-1.pinecone.io/vectors/upsert"
        r = autoguard.scan(method="POST", url=url, body=body)
        assert r.decision == "ALLOW", [(f.type, f.location) for f in r.findings]
        assert r.findings == []


@settings(max_examples=60, deadline=None)
@given(st.integers(2 * 10**9, 10**10 - 1), st.sampled_from(["cell_count", "sms_sent_bytes", "phone_id"]))
def test_measure_keys_in_json_bodies_are_not_phone_context(n, key):
    r = autoguard.scan(method="POST", url="https://api.example.com/v1/stats", body=json.dumps({key: n}))
    assert r.decision == "ALLOW", [(f.type, f.location) for f in r.findings]


def test_phone_keys_in_json_bodies_are_phone_context():
    for body in ({"phone": "4155552671"}, {"cell": 4155552671}, {"mobile_number": 4155552671}):
        r = autoguard.scan(method="POST", url="https://api.example.com/v1/contacts", body=json.dumps(body))
        assert [f.type for f in r.findings] == ["PHONE_NUMBER"], body
