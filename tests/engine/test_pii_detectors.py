"""Table-driven true/false positives for every PII detector in ``engine.pii``."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from interven_autoguard.engine import pii, pii_tables


def luhn_complete(partial: str) -> str:
    """Append the Luhn check digit, so test card numbers are computed rather than pasted."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return partial + str((10 - total % 10) % 10)


def luhn_broken(partial: str) -> str:
    good = luhn_complete(partial)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def iban(country: str, bban: str) -> str:
    """A valid IBAN for ``bban``: the mod-97 check digits are computed, not pasted."""
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def found(text: str, key: str | None = None) -> list[tuple[str, str]]:
    return [(h.type, text[h.start : h.end]) for h in pii.detect(text, key)]


def kinds(text: str, key: str | None = None) -> list[str]:
    return [h.type for h in pii.detect(text, key)]


# ---------------------------------------------------------------- SSN / ITIN


@pytest.mark.parametrize(
    "text, value",
    [
        ("Customer SSN 478-23-9156, thanks", "478-23-9156"),
        ("478-23-9156", "478-23-9156"),
        ('{"ssn": "524-11-0832"}', "524-11-0832"),
        ("ssn: 478 23 9156", "478 23 9156"),  # spaced form needs context...
        ("social security number 478239156", "478239156"),  # ...and so does the bare form
    ],
)
def test_ssn_true_positives(text, value):
    assert found(text) == [("US_SSN", value)]


def test_ssn_bare_with_key_context():
    assert found("478239156", key="customer.ssn") == [("US_SSN", "478239156")]
    assert found("478239156", key="socialSecurityNumber") == [("US_SSN", "478239156")]


@pytest.mark.parametrize(
    "text",
    [
        "000-12-3456",  # area 000
        "666-12-3456",  # area 666
        "901-12-3456",  # area 9xx is never an SSN (and group 12 is no ITIN group)
        "478-00-9156",  # group 00
        "478-23-0000",  # serial 0000
        "078-05-1120",  # Woolworth wallet card
        "219-09-9999",  # SSA pamphlet sample
        "123-45-6789",  # the advertising sample
        "111-11-1111",  # one repeated digit: placeholder
        "478239156",  # bare nine digits without context
        "478 23 9156",  # spaced without context
        "id 1478-23-91567",  # part of a longer number
        "x478-23-9156",  # glued to a word
        "478-23-9156-7",  # followed by more dashed digits
    ],
)
def test_ssn_false_positives(text):
    assert "US_SSN" not in kinds(text)


@pytest.mark.parametrize("group", ["50", "65", "70", "88", "90", "92", "94", "99"])
def test_itin_groups(group):
    text = f"taxpayer {'912'}-{group}-3456"
    assert found(text) == [("US_ITIN", f"912-{group}-3456")]


@pytest.mark.parametrize("group", ["49", "66", "69", "89", "93", "00"])
def test_itin_invalid_groups(group):
    assert kinds(f"912-{group}-3456") == []


def test_itin_bare_needs_context():
    assert kinds("912703456") == []
    assert found("912703456", key="itin") == [("US_ITIN", "912703456")]
    assert found("ITIN 912703456") == [("US_ITIN", "912703456")]


# ---------------------------------------------------------------- payment cards

CARD_PREFIXES = {
    "visa16": "453914880343646",  # not the providers' published test numbers: those are no card
    "visa13": "453914880343",
    "mastercard": "545454545454545",
    "mastercard2": "222300000000000",
    "amex": "37998812345678",
    "discover": "601198765432101",
    "jcb": "356612345678901",
    "diners14": "3012345678901",
    "unionpay": "621234567890123",
    "maestro": "67590000000000",
}


@pytest.mark.parametrize("brand, partial", sorted(CARD_PREFIXES.items()))
def test_card_luhn_valid_fires(brand, partial):
    number = luhn_complete(partial)
    assert found(f"card: {number}.") == [("CREDIT_CARD", number)], brand


@pytest.mark.parametrize("brand, partial", sorted(CARD_PREFIXES.items()))
def test_card_luhn_broken_does_not_fire(brand, partial):
    assert "CREDIT_CARD" not in kinds(f"card: {luhn_broken(partial)}."), brand


@pytest.mark.parametrize("sep", [" ", "-"])
def test_card_grouped(sep):
    number = luhn_complete("453914880343646")
    grouped = sep.join(number[i : i + 4] for i in range(0, 16, 4))
    assert found(f"pay with {grouped} exp 12/27") == [("CREDIT_CARD", grouped)]
    amex = luhn_complete("37998812345678")
    amex_grouped = f"{amex[:4]}{sep}{amex[4:10]}{sep}{amex[10:]}"
    assert found(f"amex {amex_grouped}") == [("CREDIT_CARD", amex_grouped)]


@pytest.mark.parametrize(
    "text",
    [
        luhn_complete("123456789012345"),  # Luhn-valid but no issuer starts with 1
        luhn_complete("999999999999999"),  # no issuer
        luhn_complete("41111111111111"),  # Visa prefix, 15 digits: wrong length
        "0000000000000000",  # Luhn-valid zeros
        "4444444444444444",  # one repeated digit
        "ts 1700000000123 and 1700000000123456",  # epoch milliseconds / microseconds
        "4111 1111 1111 111",  # groups that do not add up to a card
        "order 4111-11111-1111-1111",  # irregular grouping
    ],
)
def test_card_false_positives(text):
    assert "CREDIT_CARD" not in kinds(text)


# ---------------------------------------------------------------- IBAN

# The published examples' bank codes with another account number (the examples themselves are
# exempt, as the test cards are: test_pii_published_examples.py).
IBAN_BBANS = {
    "DE": "370400440532013001",
    "GB": "WEST12345698765433",
    "FR": "20041010050500013M02607",
    "NL": "ABNA0417164301",
    "BE": "539007547035",
    "CH": "00762011623852958",
    "NO": "86011117948",
    "ES": "21000418450200051333",
    "IT": "X0542811101000000123457",
    "PL": "109010140000071219812875",
}


@pytest.mark.parametrize("country, bban", sorted(IBAN_BBANS.items()))
def test_iban_valid_compact_and_spaced(country, bban):
    value = iban(country, bban)
    assert found(f"IBAN {value}, ok") == [("IBAN", value)]
    spaced = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    assert found(f"pay to {spaced}. Thanks") == [("IBAN", spaced)]


def test_iban_with_an_example_bank_code_and_a_real_looking_account():
    assert found("DE08 3704 0044 0532 0131 00") == [("IBAN", "DE08 3704 0044 0532 0131 00")]


@pytest.mark.parametrize("country, bban", sorted(IBAN_BBANS.items()))
def test_iban_bad_check_digits(country, bban):
    value = iban(country, bban)
    broken = value[:2] + f"{(int(value[2:4]) + 1) % 100:02d}" + value[4:]
    assert "IBAN" not in kinds(broken)


@pytest.mark.parametrize(
    "text",
    [
        iban("DE", "370400440532013000")[:-1],  # one character short for Germany
        iban("DE", "370400440532013000") + "7",  # one too long
        iban("ZZ", "370400440532013000"),  # no such country
        "X" + iban("DE", "370400440532013000"),  # glued to a word
        "AB12CDEF34567890",  # looks like a code, is nothing
    ],
)
def test_iban_false_positives(text):
    assert "IBAN" not in kinds(text)


# ---------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    "text, value",
    [
        ("email john@acme.com please", "john@acme.com"),
        ("<first.last+tag@mail.example.co.uk>", "first.last+tag@mail.example.co.uk"),
        ('{"to": "ops@sub-domain.acme.io"}', "ops@sub-domain.acme.io"),
        ("mailto:jane_doe@acme.com", "jane_doe@acme.com"),
        ("https://x.test/?email=john@acme.com", "john@acme.com"),  # in a query value: still PII
    ],
)
def test_email_true_positives(text, value):
    assert found(text) == [("EMAIL", value)]


@pytest.mark.parametrize(
    "text",
    [
        "user@localhost",  # no dotted domain
        "pkg@1.2.3",  # npm-style version specifier
        "@scope/pkg@2.0.1",
        "logo@2x.png",  # retina asset
        "git@github.com:org/repo.git",  # SSH remote
        "https://user:hunter2@db.acme.com/x",  # URL credentials: the secret detectors' job
        "https://john@acme.com/path",  # URL userinfo
        "a @ b.com",
        "@acme.com",
        "john@",
        "john@acme",
    ],
)
def test_email_false_positives(text):
    assert "EMAIL" not in kinds(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("ping founder@startup.io", "founder@startup.io"),
        ("team@lab.ai", "team@lab.ai"),
        ("me@jane.dev", "me@jane.dev"),
        ("hello@product.app", "hello@product.app"),
        ("kontakt@firma.de", "kontakt@firma.de"),
        ("info@shop.com.br", "info@shop.com.br"),
        ("a.b@mx.eu.corp.example.org", "a.b@mx.eu.corp.example.org"),
        ("jane+newsletter@gmail.com", "jane+newsletter@gmail.com"),
        ("EMAIL@EXAMPLE.COM", "EMAIL@EXAMPLE.COM"),
        ("info@пример.рф", "info@пример.рф"),  # an internationalised TLD (xn--p1ai)
        ("write to john@acme.com.Thanks", "john@acme.com"),  # a sentence glued on is not a label
        ("Mail John.Smith@Company.Com today", "John.Smith@Company.Com"),  # capitalised as a name is
    ],
)
def test_email_real_tlds(text, value):
    assert found(text) == [("EMAIL", value)]


@pytest.mark.parametrize(
    "text",
    [
        # PEP 465 matrix products and Kotlin labels: the "domain" ends in an attribute, not a TLD.
        "def forward(self, x):\n    return x@self.weight.T + self.bias",
        "scores = q@k.mT",  # "mt" is Malta, but no address writes its TLD in mixed case
        "y = X@model.coef",
        "h = inputs@self.kernel",
        "it@outer.value",
        "user@host.notatld",
        "a@b.cOM",
        "jane@printer.local",  # reserved names (RFC 2606/6761/6762) are no TLD
        "ops@ci.test",
        "nobody@acme.invalid",
    ],
)
def test_email_needs_a_real_top_level_domain(text):
    assert "EMAIL" not in kinds(text), found(text)


def test_email_tld_table():
    tlds = pii_tables.EMAIL_TLDS
    assert len(tlds) > 1400
    assert all(t == t.lower() and t.isascii() and "." not in t for t in tlds)
    assert {"com", "io", "ai", "dev", "app", "de", "uk", "xn--p1ai"} <= tlds
    assert not {"test", "example", "invalid", "localhost", "local", "internal"} & tlds


# ---------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    "text, value",
    [
        ("call (415) 555-2671 today", "(415) 555-2671"),
        ("call 415-555-2671", "415-555-2671"),
        ("call 415.555.2671", "415.555.2671"),
        ("tel +1 415 555 2671", "+1 415 555 2671"),
        ("+1-415-555-2671", "+1-415-555-2671"),
        ("London +44 20 7946 1958.", "+44 20 7946 1958"),
        ("Paris +33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("Berlin +49 30 901820", "+49 30 901820"),
        ("E.164: +14155552671", "+14155552671"),
        ("intl 0044 20 7946 1958", "0044 20 7946 1958"),
        ("phone: 020 7946 1958", "020 7946 1958"),  # national format with a "phone" word before it
        ("+1 (415) 555-2671", "+1 (415) 555-2671"),
        ("(415)555-2671", "(415)555-2671"),
        ("tel:+14155552671", "+14155552671"),
        ("Tel: +49 (0)30 901820", "+49 (0)30 901820"),
        ("1-800-555-2199", "1-800-555-2199"),
    ],
)
def test_phone_true_positives(text, value):
    assert found(text) == [("PHONE_NUMBER", value)]


def test_short_national_candidates_are_not_reported():
    # The national shape counts separators: "01..0(415" fits it with six digits. Every hit must hold
    # seven (may_match's guarantee); the NANP number is glued to the "0" before it, so no hit at all.
    assert found("01..0(415) 555-2671", "phone") == []


def test_phone_trailing_number_is_not_swallowed():
    assert found("+44 20 7946 1958 123") == [("PHONE_NUMBER", "+44 20 7946 1958")]


@pytest.mark.parametrize("key", ["phone", "phoneNumber", "mobile_phone", "contact.tel", "fax"])
def test_phone_bare_digits_with_key(key):
    assert found("4155552671", key=key) == [("PHONE_NUMBER", "4155552671")]


@pytest.mark.parametrize(
    "text",
    [
        "4155552671",  # bare ten digits: an order id until a key says "phone"
        "1700000000",  # epoch seconds
        "2024-01-15 12:30:45",  # timestamp
        "2024-01-15T12:30:45.123Z",
        "15/01/2024",  # date
        "192.168.100.200",  # IP address
        "version 10.0.19041.1",  # version string
        "v1.2.3-rc.4",
        "550e8400-e29b-41d4-a716-446655440000",  # UUID
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",  # git SHA
        "price $1,234,567.89 or 1234567.89 EUR",  # prices
        "order #555-123-4567",  # 555 is no area code
        "020 7946 1958",  # national format without a phone context
        "id: 12345678901234567890",
        "+1.5e10",
    ],
)
def test_phone_false_positives(text):
    assert "PHONE_NUMBER" not in kinds(text), found(text)


@pytest.mark.parametrize(
    "text",
    [
        "-0.004926862482795391",  # an embedding component: "0049…" is no "00" international prefix
        "0.004926862482795391",
        "0.0012345678901",
        "0.00447911123456",
        "3.14159265358979",
        "1.4155552671",  # a decimal fraction, not "+1" and a NANP number
        "-1.4155552671",
        "0.02079461958",
        "[0.5, -0.004926862482795391, 1.4155552671]",
        "pi is 3.14159265358979 and the score was 0.004926862482795391",
    ],
)
@pytest.mark.parametrize("key", [None, "phone", "embedding"])
def test_decimal_fractions_are_not_phone_numbers(text, key):
    assert kinds(text, key) == [], found(text, key)


@pytest.mark.parametrize(
    "text, key",
    [
        ("0.478239156", "ssn"),
        ("ssn 0.478239156", None),
        ("12.4111111111111111", None),
        ("0.021000021", "routing_number"),
    ],
)
def test_digits_after_a_decimal_point_are_no_ssn_card_or_routing_number(text, key):
    assert kinds(text, key) == [], found(text, key)


@pytest.mark.parametrize(
    "text, value",
    [
        ("+1.415.555.2671", "+1.415.555.2671"),
        ("415.555.2671", "415.555.2671"),
        ("+1.4155552671", "+1.4155552671"),  # the EPP/WHOIS form: "+" says it is a phone number
        ("tel 020.79461958", "020.79461958"),  # a leading zero: no decimal number is written so
    ],
)
def test_dotted_phone_numbers_stay_detected(text, value):
    assert found(text) == [("PHONE_NUMBER", value)]


@pytest.mark.parametrize(
    "text",
    [
        # "call" as agents use it: a tool/function/API/method/RPC/system call, or the call's own data.
        "The tool call took 2013456789 ns",
        "function call at ts=2147483647",
        "API call transferred 3124567890 bytes",
        "method call returned 4155552671",
        "RPC call id 4155552671",
        "system call 4155552671",
        "the tool-call 4155552671",
        "the call took 4155552671 ns",
        "call count: 4155552671",
        "total calls: 4155552671",
        "it was called 4155552671 times",
        # A phone word naming a measurement or an identifier, not the number itself.
        "cell count 4155552671",
        "sms sent bytes 4155552671",
        "phone id 4155552671",
    ],
)
def test_call_and_measure_words_are_no_phone_context(text):
    assert kinds(text) == [], found(text)


def test_random_numbers_after_tool_call_are_not_phones():
    rng = random.Random(3)
    for _ in range(300):
        text = f"The tool call returned {rng.randrange(2_000_000_000, 9_999_999_999)} bytes"
        assert kinds(text) == [], text


@pytest.mark.parametrize(
    "text, value",
    [
        ("call me at 4155552671", "4155552671"),
        ("Call us on 4155552671", "4155552671"),
        ("please call him at 4155552671", "4155552671"),
        ("call them: 4155552671", "4155552671"),
        ("call me back at 4155552671", "4155552671"),
        ("call 4155552671", "4155552671"),
        ("call at 4155552671", "4155552671"),
        ("calling 4155552671 now", "4155552671"),
        ("phone: 4155552671", "4155552671"),
        ("my cell 4155552671", "4155552671"),
        ("phone us at 4155552671", "4155552671"),
        ("call me on 020 7946 1958", "020 7946 1958"),
    ],
)
def test_phone_words_in_prose(text, value):
    assert found(text) == [("PHONE_NUMBER", value)]


@pytest.mark.parametrize(
    "key", ["cell_count", "sms_sent_bytes", "phone_number_id", "phoneId", "fax_pages", "sms_ts"]
)
def test_phone_keys_naming_a_measure_or_id_are_no_context(key):
    assert kinds("4155552671", key) == []


@pytest.mark.parametrize("key", ["cell", "mobile_number", "phone_num", "whatsapp", "cellphone"])
def test_more_phone_keys(key):
    assert found("4155552671", key) == [("PHONE_NUMBER", "4155552671")]


# ---------------------------------------------------------------- ABA routing


def test_aba_needs_context_and_checksum():
    assert found("routing number 021000021") == [("ABA_ROUTING", "021000021")]
    assert found("021000021", key="routingNumber") == [("ABA_ROUTING", "021000021")]
    assert found("ABA: 011000015") == [("ABA_ROUTING", "011000015")]
    assert kinds("021000021") == []  # no context
    assert kinds("routing number 021000022") == []  # checksum fails
    assert kinds("routing number 991000021") == []  # prefix 99 is not allocated
    assert kinds("routing 000000000") == []


# ---------------------------------------------------------------- benign payloads and mixtures


BENIGN = [
    json.dumps(
        {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Summarise the quarterly report, revenue grew 12%."}],
            "temperature": 0.2,
            "max_tokens": 512,
            "request_id": "a8f5f167-0e1c-4d3b-9a2b-7c1d2e3f4a5b",
            "created": 1700000000,
            "ts": "2024-01-15T12:30:45Z",
            "sha": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "integrity": "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "version": "10.0.19041.1",
            "price": 1234567.89,
            "ip": "10.20.30.40",
        }
    ),
    "The meeting is on 2024-03-05 from 09:00 to 17:30 in room 4.12; call the desk on extension 4471.",
    "Build 2024.11.26.1532 passed 1532 tests in 12.345 s (seed 3141592653).",
]


@pytest.mark.parametrize("text", BENIGN)
def test_benign_text_has_no_pii(text):
    assert pii.detect(text) == []


def test_mixture_sorted_non_overlapping_and_exact():
    card = luhn_complete("545454545454545")
    text = (
        f"SSN 478-23-9156; card {card}; mail john@acme.com; "
        f"iban {iban('DE', '370400440532013001')}; phone +44 20 7946 1958"
    )
    hits = pii.detect(text)
    assert [h.type for h in hits] == ["US_SSN", "CREDIT_CARD", "EMAIL", "IBAN", "PHONE_NUMBER"]
    for a, b in itertools.pairwise(hits):
        assert a.end <= b.start
    assert all(h.category == "pii" and 0 < h.severity <= 1 for h in hits)
    assert [h.detector for h in hits] == ["us-ssn", "credit-card", "email", "iban", "phone-number"]


def test_non_ascii_text_keeps_offsets():
    text = "Kundin Jürgen — SSN 478-23-9156 — ✉ jürgen@acme.com? no: juergen@acme.com"
    assert found(text) == [
        ("US_SSN", "478-23-9156"),
        ("EMAIL", "jürgen@acme.com"),  # internationalised local parts are addresses too
        ("EMAIL", "juergen@acme.com"),
    ]
    assert found("an IDN: info@bücher.de") == [("EMAIL", "info@bücher.de")]


def test_fullwidth_digits_are_not_matched_raw():
    # Normalisation (NFKC) is the decoding layer's job; raw detection is ASCII-only and exact.
    assert pii.detect("４７８-２３-９１５６") == []


def test_empty_and_tiny():
    assert pii.detect("") == []
    assert pii.may_match("") is False
    assert pii.detect("@") == []


def test_may_match_triage():
    assert pii.may_match("nothing here, just words and 12 numbers 2024") is False
    assert pii.may_match("john@acme.com") is True
    assert pii.may_match("478-23-9156") is True
    assert pii.may_match("DE89370400440532013000") is True
    assert pii.may_match(json.dumps({"a": [1, 2, 3], "b": "text", "c": 3.14})) is False


def test_luhn_passing_ids_under_identifier_keys_are_not_cards():
    card_like = "4539148803436467"  # Luhn-valid, Visa IIN
    for key in ("id", "message_id", "orderId", "uuid", "ids"):
        assert [h.type for h in pii.detect(card_like, key)] == [], key
    assert [h.type for h in pii.detect(card_like, "card_number")] == ["CREDIT_CARD"]
    assert [h.type for h in pii.detect(card_like, None)] == ["CREDIT_CARD"]
    assert [h.type for h in pii.detect("4539 1488 0343 6467", "id")] == ["CREDIT_CARD"]
