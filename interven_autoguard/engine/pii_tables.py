"""Reference data for the PII validators: kept apart from the matching code so it can be audited.

Sources: the SWIFT IBAN registry (country → IBAN length), the card networks' published IIN ranges,
the SSA's SSN/ITIN allocation rules, the ABA routing-number prefix ranges.
"""

from __future__ import annotations

# ISO 3166 country code → total IBAN length (country code and check digits included).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

# Payment-card issuer ranges: (lowest prefix, highest prefix, allowed lengths, brand).
# Both ends of a range have the same number of digits; a card matches when its first that-many
# digits fall inside the range and its length is allowed.
CARD_RANGES: tuple[tuple[int, int, frozenset[int], str], ...] = (
    (4, 4, frozenset({13, 16, 19}), "visa"),
    (51, 55, frozenset({16}), "mastercard"),
    (2221, 2720, frozenset({16}), "mastercard"),
    (34, 34, frozenset({15}), "amex"),
    (37, 37, frozenset({15}), "amex"),
    (6011, 6011, frozenset({16, 17, 18, 19}), "discover"),
    (644, 649, frozenset({16, 17, 18, 19}), "discover"),
    (65, 65, frozenset({16, 17, 18, 19}), "discover"),
    (622126, 622925, frozenset({16, 17, 18, 19}), "discover"),
    (3528, 3589, frozenset({16, 17, 18, 19}), "jcb"),
    (300, 305, frozenset({14, 15, 16, 17, 18, 19}), "diners"),
    (36, 36, frozenset({14, 15, 16, 17, 18, 19}), "diners"),
    (38, 39, frozenset({14, 15, 16, 17, 18, 19}), "diners"),
    (62, 62, frozenset({16, 17, 18, 19}), "unionpay"),
    (2200, 2204, frozenset({16, 17, 18, 19}), "mir"),
    (5018, 5018, frozenset(range(12, 20)), "maestro"),
    (5020, 5020, frozenset(range(12, 20)), "maestro"),
    (5038, 5038, frozenset(range(12, 20)), "maestro"),
    (5893, 5893, frozenset(range(12, 20)), "maestro"),
    (6304, 6304, frozenset(range(12, 20)), "maestro"),
    (6759, 6759, frozenset(range(12, 20)), "maestro"),
    (6761, 6763, frozenset(range(12, 20)), "maestro"),
)

# SSNs that were printed in advertising or pamphlets and are (still) used as samples everywhere.
FAKE_SSNS: frozenset[str] = frozenset({"078051120", "219099999", "123456789", "457555462"})

# ITIN: area 9xx with these group numbers (IRS allocation); never a valid SSN (area ≥ 900).
ITIN_GROUPS: frozenset[int] = frozenset([*range(50, 66), *range(70, 89), *range(90, 93), *range(94, 100)])

# First two digits of an ABA routing number: Federal Reserve districts, thrifts, electronic,
# traveller's cheques.
ABA_PREFIXES: frozenset[int] = frozenset([*range(0, 13), *range(21, 33), *range(61, 73), 80])

# E-mail "TLDs" that are really file extensions: ``logo@2x.png`` is an image, not a mailbox.
EMAIL_FAKE_TLDS: frozenset[str] = frozenset(
    "png jpg jpeg gif svg webp bmp ico tif tiff css scss js mjs cjs ts tsx jsx json map txt lock "
    "html htm xml yaml yml toml ini cfg log csv wasm zip gz tgz whl".split()
)

# Words that make a bare number a PII candidate (JSON key tokens or words just before the value).
PHONE_KEY_TOKENS: frozenset[str] = frozenset(
    "phone tel telephone mobile cell cellphone fax msisdn whatsapp sms landline".split()
)
SSN_KEY_TOKENS: frozenset[str] = frozenset("ssn socialsecurity socialsecuritynumber ssnumber".split())
ITIN_KEY_TOKENS: frozenset[str] = frozenset("itin tin taxid taxpayerid taxpayer".split())
ABA_KEY_TOKENS: frozenset[str] = frozenset("aba routing rtn routingnumber abarouting transit".split())

# Regions tried for a national-format phone number (no "+") when the context says "phone".
PHONE_FALLBACK_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "IN", "AU", "CA", "ES", "IT", "NL", "BR")
