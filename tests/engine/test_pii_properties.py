"""Hypothesis properties of ``engine.pii``: the triage guarantee and the shape of ``detect``'s output."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interven_autoguard.engine import pii

KEYS = [None, "phone", "ssn", "itin", "routingNumber", "customer.tel", "notes"]

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
        assert h.type in {"US_SSN", "CREDIT_CARD", "IBAN", "EMAIL", "PHONE_NUMBER", "US_ITIN", "ABA_ROUTING"}
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
