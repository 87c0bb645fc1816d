"""Seventeen to nineteen bare digits are the snowflake ids of Discord, X and others, in every API
path and body; about one in sixty passes Luhn and an IIN range. Such a run is a card only when
something says card; a 16-digit run needs nothing."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interven_autoguard
from interven_autoguard.engine import pii


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        if pii._luhn(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always completes Luhn")


def _card_like_ids(count: int) -> list[str]:
    """UnionPay-prefixed 17-19 digit runs that pass Luhn and the IIN table: what a snowflake id
    collides with."""
    rng = random.Random(7)
    ids = [_luhn_complete("62", rng.choice((17, 18, 19)), rng) for _ in range(count)]
    assert all(pii._valid_card(i) for i in ids)
    return ids


def _kinds(text: str, key: str | None = None) -> list[str]:
    return [h.type for h in pii.detect(text, key)]


@pytest.mark.parametrize("snowflake", _card_like_ids(6))
def test_a_card_shaped_snowflake_in_an_api_path_is_not_a_card(snowflake: str) -> None:
    for url in (f"https://discord.com/api/webhooks/{snowflake}/Abc_def-123",
                f"https://discord.com/api/v10/channels/{snowflake}/messages",
                f"https://api.x.com/2/tweets/{snowflake}"):
        response = interven_autoguard.scan(method="POST", url=url, body=b'{"content": "hi"}',
                                           headers={"Content-Type": "application/json"})
        assert response.decision == "ALLOW", (url, [f.type for f in response.findings])


@pytest.mark.parametrize("snowflake", _card_like_ids(4))
def test_card_shaped_ids_in_prose_and_json_are_not_cards(snowflake: str) -> None:
    assert "CREDIT_CARD" not in _kinds(f"reply to message {snowflake} in the thread")
    assert "CREDIT_CARD" not in _kinds(snowflake, "channel")


@pytest.mark.parametrize("number", _card_like_ids(4))
def test_a_long_card_is_a_card_when_something_says_so(number: str) -> None:
    assert "CREDIT_CARD" in _kinds(f"my UnionPay card is {number}")
    assert "CREDIT_CARD" in _kinds(number, "card_number")
    assert "CREDIT_CARD" in _kinds(number, "pan")


def test_sixteen_bare_digits_need_no_context() -> None:
    sixteen = _luhn_complete("4", 16, random.Random(3))
    assert "CREDIT_CARD" in _kinds(f"ref {sixteen} x")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=10**16, max_value=10**19 - 1))
def test_no_bare_long_run_is_a_card_without_context(value: int) -> None:
    assert "CREDIT_CARD" not in _kinds(f"GET /api/v10/channels/{value}/messages")


@pytest.mark.parametrize("number", ["4242424242424242", "4242 4242 4242 4242", "4111-1111-1111-1111",
                                    "5555555555554444", "378282246310005", "6011111111111117"])
def test_the_providers_published_test_cards_are_no_card(number: str) -> None:
    """Stripe's, Braintree's and the networks' test numbers, in the test code a coding agent writes."""
    assert "CREDIT_CARD" not in _kinds(f'stripe.PaymentMethod.create(card={{"number": "{number}"}})')
    assert "CREDIT_CARD" not in _kinds(number, "card_number")


@pytest.mark.parametrize("ean", ["4039621723216", "4093686274953"])
def test_a_13_digit_barcode_is_not_a_card_without_card_words(ean: str) -> None:
    assert pii._valid_card(ean)  # a Visa IIN and Luhn: what made it one
    assert "CREDIT_CARD" not in _kinds(f"Look up EAN {ean} in the catalogue")
    assert "CREDIT_CARD" not in _kinds(ean, "gtin")
    response = interven_autoguard.scan(method="GET", url=f"https://shop.example/admin/api/products/{ean}.json")
    assert response.decision == "ALLOW"
    assert "CREDIT_CARD" in _kinds(f"old visa card {ean}")  # a card word makes it one
