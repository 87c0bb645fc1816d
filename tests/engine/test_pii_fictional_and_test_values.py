"""Published test cards and phone numbers reserved for fiction are nobody's data (fifth audit, M13).

Test cards of Authorize.Net, Checkout.com and Adyen were missing from ``TEST_CARD_NUMBERS``; the
numbers the numbering plans reserve for fiction and documentation (NANP 555-0100..0199, Ofcom's
drama ranges, ACMA's creative-works numbers) were reported as live. Their neighbours outside the
published lists and ranges are still found.
"""

from __future__ import annotations

from typing import Any

import pytest

import interven_autoguard
from interven_autoguard.engine import pii

ADDED_TEST_CARDS = [
    # Authorize.Net sandbox testing guide
    "370000000000002", "6011000000000012", "38000000000006", "4007000000027",
    "4012888818888", "5424000000000015", "2223000010309703", "2223000010309711",
    # Checkout.com sandbox test cards; Adyen's US debit Mastercard
    "4543474002249996", "5436031030606378", "2223000010479399", "5199992312641465", "345678901234564",
    "4658584090000001", "5500000000000004",
]  # fmt: skip


def luhn_neighbour(card: str) -> str:
    """The same number with its seventh digit changed and the check digit fixed: a card."""
    body = card[:6] + str((int(card[6]) + 1) % 10) + card[7:-1]
    for check in "0123456789":
        candidate = body + check
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise AssertionError(card)


def gist(content: str) -> Any:
    return interven_autoguard.scan(method="POST", url="https://api.github.com/gists",
                                   body={"files": {"test_payments.py": {"content": content}}})


@pytest.mark.parametrize("card", ADDED_TEST_CARDS)
def test_published_test_cards_pass(card: str) -> None:
    assert pii.detect(f'"card_number": "{card}"', key="card_number") == []
    response = gist(f'CARD = "{card}"  # test card\n')
    assert response.decision == "ALLOW" and response.findings == []


@pytest.mark.parametrize("card", ADDED_TEST_CARDS)
def test_a_neighbouring_card_number_is_still_a_card(card: str) -> None:
    other = luhn_neighbour(card)
    text = f"card number {other}"
    assert [(h.type, text[h.start : h.end]) for h in pii.detect(text)] == [("CREDIT_CARD", other)]


FICTIONAL = [
    # NANP: 555-0100..0199, any area code
    "+1 202-555-0143", "(212) 555-0100", "+1 415 555 0199", "1-800-555-0150",
    # Ofcom drama ranges
    "+44 20 7946 0958", "+44 20 7946 0000", "+44 113 496 0999", "+44 161 496 0123", "+44 121 496 0500",
    "+44 191 498 0123", "+44 29 2018 0456", "+44 808 157 0123", "+44 909 879 0123", "+44 306 999 0123",
    # ACMA creative-works numbers
    "+61 491 570 156", "+61 491 579 455", "+61 491 578 888", "+61 2 5550 1234", "+61 3 7010 9876",
    "+61 8 5550 0000",
]  # fmt: skip
REAL_LOOKING = [
    "+1 202-555-0200", "(212) 555-0099", "+1 415 555 2671", "1-800-555-0250",
    "+44 20 7946 1958", "+44 20 7946 1000", "+44 113 496 1999", "+44 161 497 0123", "+44 191 496 0123",
    "+61 491 570 155", "+61 491 579 456", "+61 2 5551 1234", "+61 3 7011 9876",
]  # fmt: skip


@pytest.mark.parametrize("number", FICTIONAL)
def test_numbers_reserved_for_fiction_pass(number: str) -> None:
    assert pii.detect(f"phone: {number}", key="phone") == []
    response = gist(f'CONTACT = {{"name": "Jane Example", "phone": "{number}"}}\n')
    assert response.decision == "ALLOW" and response.findings == []


@pytest.mark.parametrize("number", REAL_LOOKING)
def test_numbers_next_to_the_reserved_ranges_are_still_found(number: str) -> None:
    text = f"phone: {number}"
    hits = pii.detect(text, key="phone")
    assert [(h.type, text[h.start : h.end]) for h in hits] == [("PHONE_NUMBER", number)]


def test_nanp_numbers_without_a_country_code_pass_too() -> None:
    for number in ("(212) 555-0100", "212.555.0142", "212-555-0199", "1 (800) 555-0123"):
        assert pii.detect(f"call me on {number}") == [], number
    assert pii.detect("phone 2125550142", key="phone") == []


def test_a_trunk_0_number_is_still_read_in_every_fallback_region() -> None:
    """Without its country code, "020 7946 0958" is also a valid number in India (Pune) and Italy,
    and "0491 570 156" is one elsewhere: the national format stays reported where phone words say
    so. The reserved ranges are exempt written with their country code."""
    for number in ("020 7946 0958", "0491 570 156"):
        assert [h.type for h in pii.detect(f"call me on {number}")] == ["PHONE_NUMBER"], number


def test_a_fixture_with_examples_and_one_real_value_redacts_only_that() -> None:
    text = ('CARDS = ["5424000000000015", "4543474002249996"]\nPHONES = ["+1 202-555-0143", '
            '"+44 20 7946 0958", "+61 491 570 156"]\nOWNER_PHONE = "+1 415 555 2671"\n')
    response = gist(text)
    assert response.decision == "SANITIZE"
    found = [(f.type, text[f.start : f.end]) for f in response.findings]
    assert found == [("PHONE_NUMBER", "+1 415 555 2671")]
