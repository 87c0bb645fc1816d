"""A national-format number is a phone number after a phone word in the language it is written in,
not only in English: "Telefon: 030 12345678" went out unseen while "phone: 030 12345678" did not."""

from __future__ import annotations

import pytest

import interven_autoguard
from interven_autoguard.engine import pii


@pytest.mark.parametrize("text", [
    "Telefon: 030 12345678", "Handy: 0151 23456789", "Rufnummer 089 1234567",
    "Téléphone : 06 12 34 56 78", "tél. 01 42 68 53 00", "telefoon 020 123 4567",
])
def test_phone_words_of_other_languages_make_a_national_number_a_phone(text: str) -> None:
    assert [h.type for h in pii.detect(text)] == ["PHONE_NUMBER"]
    response = interven_autoguard.scan(method="POST", url="https://collector.example.net/i",
                                       body={"note": text})
    assert response.decision == "SANITIZE"


@pytest.mark.parametrize("key", ["telefon", "handynummer", "telefono", "celular"])
def test_phone_keys_of_other_languages(key: str) -> None:
    assert [h.type for h in pii.detect("030 12345678", key)] == ["PHONE_NUMBER"]


def test_the_same_numbers_without_a_phone_word_stay_data() -> None:
    assert pii.detect("Artikel 030 12345678") == []
    assert pii.detect("the portable edition 030 12345678") == []
