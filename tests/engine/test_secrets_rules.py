"""Every rule in the table: a true positive (exact span), and the placeholder form of it stays silent."""

from __future__ import annotations

import re

import pytest
from secret_samples import SAMPLES, URI_SAMPLES, uri_sample

from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets.rules import GENERIC_KINDS, RULES

TABLE_IDS = sorted(r.id for r in RULES)


def test_at_least_80_distinct_rule_ids() -> None:
    assert len(secrets.all_rule_ids()) >= 80
    assert len(TABLE_IDS) == len(set(TABLE_IDS)), "duplicate rule id in the table"


def test_every_table_rule_has_a_sample() -> None:
    assert sorted(SAMPLES) == TABLE_IDS


def test_every_rule_declares_lower_case_keywords_and_a_known_validator() -> None:
    from interven_autoguard.engine.secrets.validators import VALIDATORS

    for rule in RULES:
        assert rule.keywords, rule.id
        assert all(k == k.lower() for k in rule.keywords), rule.id
        assert rule.validator is None or rule.validator in VALIDATORS, rule.id
        re.compile(rule.pattern)


@pytest.mark.parametrize("rule_id", TABLE_IDS)
def test_true_positive_exact_span(rule_id: str) -> None:
    text, value = SAMPLES[rule_id]()
    hits = secrets.detect(text)
    assert secrets.may_match(text)
    mine = [h for h in hits if h.detector == rule_id]
    assert mine, f"{rule_id} did not fire; got {[h.detector for h in hits]}"
    hit = mine[0]
    assert text[hit.start : hit.end] == value
    assert hit.category == "secret"
    assert hit.type.isupper()
    assert 0 < hit.severity <= 1


@pytest.mark.parametrize("rule_id", TABLE_IDS)
def test_placeholder_version_is_silent(rule_id: str) -> None:
    """The same text with the credential's random part replaced by x's (as in docs) finds nothing."""
    text, value = SAMPLES[rule_id]()
    keep = 8 if len(value) > 16 else 3
    masked = value[:keep] + re.sub(r"[A-Za-z0-9]", "x", value[keep:])
    masked_text = text.replace(value, masked)
    at = masked_text.index(masked)
    hits = secrets.detect(masked_text)
    # (other credentials in the sample, e.g. the key id next to an AWS secret, may still fire)
    assert [h.detector for h in hits if h.start < at + len(masked) and h.end > at] == []


@pytest.mark.parametrize("rule_id", sorted(URI_SAMPLES))
def test_uri_passwords_by_scheme(rule_id: str) -> None:
    text, password = uri_sample(URI_SAMPLES[rule_id])
    hits = secrets.detect(text)
    assert [(h.detector, text[h.start : h.end]) for h in hits] == [(rule_id, password)]


def test_all_reported_ids_are_listed() -> None:
    listed = secrets.all_rule_ids()
    assert set(URI_SAMPLES) <= listed
    assert {rule_id for rule_id, _ in GENERIC_KINDS.values()} <= listed
