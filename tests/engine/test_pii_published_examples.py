"""Published example values are nobody's data: test cards were exempt, example IBANs now are too
(third audit, problem 8).

``GB82 WEST 1234 5698 7654 32`` (ISO 13616 / ECBS), ``DE89 3704 0044 0532 0130 00`` and the SWIFT
registry's per-country examples are in every IBAN tutorial, validator and test suite; they were
redacted while ``4242 4242 4242 4242`` and ``078-05-1120`` in the same text were not. Any other
IBAN, even with an example's bank code, is still reported.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interven_autoguard
from interven_autoguard.engine import pii, pii_tables

_LETTERS = str.maketrans({chr(c): str(c - 55) for c in range(65, 91)})


def iban(country: str, bban: str) -> str:
    check = 98 - int((bban + country + "00").translate(_LETTERS)) % 97
    return f"{country}{check:02d}{bban}"


def grouped(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def ask(content: str) -> Any:
    messages = [{"role": "user", "content": content}]
    return interven_autoguard.scan(method="POST", url="https://api.openai.com/v1/chat/completions",
                                   body={"model": "gpt-4o", "messages": messages})


def test_docs_examples_pass_like_the_test_cards() -> None:
    text = ("Validate IBAN input; docs examples: GB82 WEST 1234 5698 7654 32, "
            "DE89 3704 0044 0532 0130 00, FR14 2004 1010 0505 0001 3M02 606. "
            "Card 4242 4242 4242 4242 and SSN 078-05-1120 are test values.")
    response = ask(text)
    assert response.decision == "ALLOW" and response.findings == []


@pytest.mark.parametrize("example", sorted(pii_tables.EXAMPLE_IBANS))
def test_every_example_iban_passes_compact_grouped_and_under_an_iban_key(example: str) -> None:
    for written in (example, grouped(example)):
        assert pii.detect(f"e.g. {written}.") == []
        response = interven_autoguard.scan(method="POST", url="https://api.example-bank.com/v1/validate",
                                           body={"iban": written, "note": f"sample {written}"})
        assert response.decision == "ALLOW" and response.findings == []


@pytest.mark.parametrize("example", sorted(pii_tables.EXAMPLE_IBANS))
def test_the_table_holds_only_well_formed_ibans(example: str) -> None:
    assert example == example.upper() and " " not in example
    assert len(example) == pii_tables.IBAN_LENGTHS[example[:2]]
    assert int((example[4:] + example[:4]).translate(_LETTERS)) % 97 == 1


@settings(max_examples=80, deadline=None)
@given(account=st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_a_real_looking_account_at_an_example_bank_is_still_an_iban(account: str) -> None:
    value = iban("DE", "37040044" + account)
    response = ask(f"Please pay the invoice to {grouped(value)} by Friday.")
    if value in pii_tables.EXAMPLE_IBANS:
        assert response.decision == "ALLOW"
        return
    assert response.decision == "SANITIZE"
    assert [f.type for f in response.findings] == ["IBAN"]
    assert grouped(value) not in response.sanitized_body["messages"][0]["content"]


def test_an_example_next_to_a_real_iban_only_the_real_one_goes() -> None:
    real = iban("GB", "NWBK60161331926820")
    text = f"format like GB29 NWBK 6016 1331 9268 19; mine is {grouped(real)}"
    response = ask(text)
    assert [(f.type, text[f.start : f.end]) for f in response.findings] == [("IBAN", grouped(real))]


@pytest.mark.parametrize("realistic", ["FR76 3000 6000 0112 3456 7890 189", "GB33 BUKB 2020 1555 5555 55"])
def test_realistic_looking_ibans_from_elsewhere_are_still_reported(realistic: str) -> None:
    """The third audit's leak probe: an IBAN written into a Notion page goes out redacted."""
    response = interven_autoguard.scan(
        method="PATCH", url="https://api.notion.com/v1/blocks/9f86d081884c7d659a2feaa0c55ad015/children",
        body={"children": [{"paragraph": {"rich_text": [{"text": {"content": f"Pay to {realistic}"}}]}}]})
    assert response.decision == "SANITIZE" and [f.type for f in response.findings] == ["IBAN"]


def test_the_digits_of_an_example_are_no_other_number() -> None:
    # exempt as an IBAN, its digit groups must not come back as a card, phone number or SSN
    for example in pii_tables.EXAMPLE_IBANS:
        assert pii.detect(f"IBAN: {grouped(example)}") == [], example
