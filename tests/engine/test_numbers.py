"""JSON bodies made of numbers: vector upserts, embeddings, metric series (audit 4, S1).

A float is never a field (``body_json``); an integer is read through a lane that asks the secrets
prefilter and the decoding triage once for all the integers of a body and ``pii.integer_may_match``
once per (length, key). These tests hold the lane to the full detectors: same findings, same
decision, the same rewritten body. Speed is measured in ``benchmarks/bench_numbers.py``, not here.
"""

from __future__ import annotations

import json
import random
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interven_autoguard.engine import pii, pii_tables
from interven_autoguard.engine import scanner as scanner_module
from interven_autoguard.engine.scanner import LocalScanner
from interven_autoguard.model import Decision

URL = "https://api.example-metrics.com/v1/series"


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        if pii._luhn(body + check):
            return body + check
    raise AssertionError("unreachable")


_RNG = random.Random(5)
CARDS = [_luhn_complete(p, n, _RNG) for p, n in
         [("4539", 16), ("5425", 16), ("3714", 15), ("6011", 16), ("4", 13), ("6200", 19), ("3530", 17),
          ("30", 14), ("5018", 12)]]
SAMPLES = [*CARDS, "4155552671", "14155552671", "2125550199", "478239156", "912703456", "021000021",
           "1726567512", "1726567512123", "4111111111111111", "0", "7", "12345678",
           # national mobiles (China, India, Russia) and ids (Aadhaar, My Number, RRN, China)
           "13912345678", "9876543210", "89161234567", "234567890124", "123456789018", "8001011234560",
           "110105198001011000"]
KEYS = sorted({
    "phone", "cell", "mobile_number", "cell_count", "phone_number_id", "card_number", "cc", "pan",
    "ssn", "routing_number", "itin", "tin", "id", "customer_id", "order_id", "value", "points",
    "timestamp", "values", "password", "api_key", "xi_api_key", "cloudflare", "elevenlabs", "pin",
    "secret", "token", "sms", "fax", "whatsapp", "creditCard", "accountNumber", "",
    "aadhaar", "aadhaar_id", "my_number", "rrn", "sfzh", "id_card", "idNumber", "手机号", "주민등록번호",
    *list(pii_tables.PHONE_KEY_TOKENS)[:8], *list(pii_tables.CARD_KEY_TOKENS)[:8],
})
INTEGERS = st.one_of(
    st.sampled_from(SAMPLES).map(int),
    st.integers(-(10**25), 10**25),
    st.integers(10**8, 10**20),
    st.integers(10**30, 10**40),
)


def _full_detectors() -> Any:
    """The lane switched off: every integer field goes through every detector."""
    return mock.patch.object(scanner_module, "_integer_digits", lambda text: 0)


def _outcome(engine: LocalScanner, body: Any) -> tuple[Any, ...]:
    r = engine.scan(method="POST", url=URL, headers={"Content-Type": "application/json"}, body=body)
    found = sorted((f.type, f.location, f.start, f.end, f.redacted) for f in r.findings)
    return r.decision, found, r.sanitized_body


@pytest.fixture(scope="module")
def engine() -> LocalScanner:
    return LocalScanner()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(INTEGERS, st.sampled_from(KEYS))
def test_integer_may_match_is_a_guarantee(n: int, key: str) -> None:
    text = str(n)
    digits = len(text.lstrip("-"))
    if not pii.integer_may_match(digits, key or None):
        assert pii.detect(text, key or None) == [], (text, key)


def test_integer_may_match_keeps_what_the_key_asks_for() -> None:
    assert pii.integer_may_match(10, "phone") and pii.integer_may_match(10, "mobileNumber")
    assert not pii.integer_may_match(10, "timestamp") and not pii.integer_may_match(10, None)
    assert pii.integer_may_match(16, None) and not pii.integer_may_match(16, "order_id")
    assert pii.integer_may_match(9, "ssn") and not pii.integer_may_match(9, "count")
    assert not pii.integer_may_match(8, "phone") and not pii.integer_may_match(20, "card_number")


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(KEYS),
                       st.one_of(INTEGERS, st.lists(INTEGERS, max_size=6),
                                 st.lists(st.one_of(INTEGERS, st.floats(allow_nan=False)), max_size=4),
                                 st.sampled_from(SAMPLES), st.sampled_from(["0" + s for s in SAMPLES])),
                       min_size=1, max_size=5),
       st.booleans())
def test_integer_lane_answers_as_the_full_detectors(engine: LocalScanner, body: dict[str, Any],
                                                    as_text: bool) -> None:
    sent: Any = json.dumps(body) if as_text else body
    fast = _outcome(engine, sent)
    with _full_detectors():
        full = _outcome(engine, sent)
    assert fast == full


def test_integers_that_are_pii_are_still_found_and_only_they_are_rewritten(engine: LocalScanner) -> None:
    card = CARDS[0]
    body = {"phone_numbers": [4155552671, 12, 1726567512], "card_number": int(card),
            "points": [[1726567512, 5]], "score": 0.0025461781}
    for sent in (body, json.dumps(body)):
        decision, found, sanitized = _outcome(engine, sent)
        assert decision == Decision.SANITIZE
        assert [(t, loc) for t, loc, *_ in found] == [("CREDIT_CARD", "body$.card_number"),
                                                     ("PHONE_NUMBER", "body$.phone_numbers[0]")]
        out = sanitized if isinstance(sanitized, dict) else json.loads(sanitized)
        assert out == {**body, "phone_numbers": ["[REDACTED:PHONE_NUMBER]", 12, 1726567512],
                       "card_number": "[REDACTED:CREDIT_CARD]"}


def test_a_sensitive_key_still_reads_its_integers(engine: LocalScanner) -> None:
    # 32 digits under an ElevenLabs key name: the key-bound rule reads it (the lane steps aside).
    value = int("1" + "2345678901" * 3 + "2")
    body = {"xi_api_key": value}
    with _full_detectors():
        full = _outcome(engine, body)
    assert _outcome(engine, body) == full


def test_floats_are_never_findings_even_under_secret_keys(engine: LocalScanner) -> None:
    # "1e-07" under "password" used to be a PASSWORD (letters and digits); a float is no secret.
    for body in ({"password": 1e-07}, {"api_key": -8.277681566457297e-11}, {"phone": 4155552671.0},
                 {"card_number": 4.539578763621486e15}):
        decision, found, _ = _outcome(engine, json.dumps(body))
        assert (decision, found) == (Decision.ALLOW, []), body


def test_sanitize_of_an_upsert_leaves_every_float_as_written(engine: LocalScanner) -> None:
    rng = random.Random(3)
    vectors = [[round(rng.gauss(0, 0.05), 8) for _ in range(256)] for _ in range(3)]
    records = [{"id": f"doc-{i}", "values": v, "metadata": {"author": "jane.doe@acme.com"}}
               for i, v in enumerate(vectors)]
    text = json.dumps({"vectors": records, "namespace": "kb"})
    r = engine.scan(method="POST", url="https://kb-1.svc.us-east-1.pinecone.io/vectors/upsert",
                    headers={"Content-Type": "application/json"}, body=text)
    assert r.decision == Decision.SANITIZE
    assert {f.location for f in r.findings} == {f"body$.vectors[{i}].metadata.author" for i in range(3)}
    assert r.sanitized_body == text.replace("jane.doe@acme.com", "[REDACTED:EMAIL]")
    assert [v["values"] for v in json.loads(r.sanitized_body)["vectors"]] == vectors
