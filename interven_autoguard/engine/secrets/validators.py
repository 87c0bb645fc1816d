"""Post-match checks that turn a regex candidate into a finding: checksums, structure, entropy.

A regex only says "this looks like a token". These functions say "this *is* one" (checksum-valid,
decodes to the documented structure) or "this is an obvious stand-in" (placeholder, template, digest).
Every function takes the candidate value and returns a bool; none raises, none logs the value.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Callable

BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


# --------------------------------------------------------------------------- checksums


def base62_encode(number: int, width: int = 6) -> str:
    """Base62 (digits, upper, lower) left-padded with '0' — the alphabet GitHub and npm use."""
    out = ""
    while number:
        number, rem = divmod(number, 62)
        out = BASE62_ALPHABET[rem] + out
    return out.rjust(width, "0")


def crc32_base62(payload: str) -> str:
    """The 6-character checksum GitHub/npm append: base62(crc32(payload))."""
    return base62_encode(binascii.crc32(payload.encode("ascii")))


def base62_checksum_ok(value: str) -> bool:
    """``<prefix>_<random><6 checksum chars>``: the suffix is base62(crc32(random)).

    Used for GitHub ``gh[pousr]_`` and npm ``npm_`` tokens. A typo'd or invented token fails.
    """
    _, sep, body = value.partition("_")
    if not sep or len(body) <= 6 or not body.isascii():
        return False
    return crc32_base62(body[:-6]) == body[-6:]


def grafana_service_token_ok(value: str) -> bool:
    """``glsa_<32 random>_<8 hex>``: the hex is the little-endian CRC32 of ``glsa_<32 random>``."""
    head, _, checksum = value.rpartition("_")
    if len(checksum) != 8 or not head.isascii():
        return False
    try:
        expected = binascii.crc32(head.encode("ascii")).to_bytes(4, "little").hex()
    except (UnicodeEncodeError, OverflowError):
        return False
    return checksum.lower() == expected


def atlassian_token_ok(value: str) -> bool:
    """Atlassian API tokens / Bitbucket app passwords end in 8 hex = CRC32 of everything before them."""
    if len(value) <= 8 or not value.isascii():
        return False
    try:
        checksum = int(value[-8:], 16)
    except ValueError:
        return False
    return binascii.crc32(value[:-8].encode("ascii")) == checksum


# --------------------------------------------------------------------------- structure


def b64_decode_loose(segment: str) -> bytes | None:
    """Decode base64 or base64url with or without padding; None when it is not base64."""
    segment = segment.rstrip("=")
    if not segment or len(segment) % 4 == 1:
        return None
    padded = segment + "=" * (-len(segment) % 4)
    try:
        if "-" in padded or "_" in padded:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _json_object(raw: bytes | None) -> dict[str, object] | None:
    if raw is None:
        return None
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def jwt_ok(value: str) -> bool:
    """Header and payload both decode to JSON objects and the header names an ``alg``."""
    parts = value.split(".")
    if len(parts) != 3:
        return False
    header = _json_object(b64_decode_loose(parts[0]))
    if header is None or "alg" not in header:
        return False
    return _json_object(b64_decode_loose(parts[1])) is not None


def base64_json_ok(value: str) -> bool:
    """After the first ``_``: base64 of a JSON object (Grafana Cloud ``glc_``, 1Password ``ops_``)."""
    _, _, body = value.partition("_")
    return _json_object(b64_decode_loose(body)) is not None


def discord_bot_token_ok(value: str) -> bool:
    """The first segment is the base64 of the bot's numeric snowflake id."""
    first = value.split(".", 1)[0]
    raw = b64_decode_loose(first)
    return raw is not None and raw.isdigit() and 15 <= len(raw) <= 21


_PEM_BODY = re.compile(r"-----BEGIN[^-]*-----(.*?)-----END", re.S)
_NOT_B64 = re.compile(r"[^A-Za-z0-9+/=]")


def private_key_ok(value: str) -> bool:
    """A real key block carries a substantial base64 body, not ``...`` or ``<your key here>``."""
    m = _PEM_BODY.search(value)
    if not m:
        return False
    body = m.group(1).replace("\\n", "\n").replace("\\r", "\n")
    # RFC 1421 headers such as "Proc-Type: 4,ENCRYPTED" precede a blank line; drop them.
    lines = [ln for ln in body.splitlines() if ":" not in ln]
    b64 = _NOT_B64.sub("", "".join(lines))
    return len(b64) >= 64 and len(set(b64)) >= 16


def aws_secret_ok(value: str) -> bool:
    """40 chars of base64 that are not a hex digest: real AWS secrets mix cases and digits."""
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() or c in "+/" for c in value)
    )


def putty_key_ok(value: str) -> bool:
    return "Private-Lines:" in value


# --------------------------------------------------------------------------- false-positive gates


_XLOGX = [0.0] + [c * math.log2(c) for c in range(1, 4097)]


def shannon_entropy(value: str) -> float:
    """Bits per character of the value's own character distribution: log2(n) - Σ c·log2(c) / n."""
    n = len(value)
    if not n:
        return 0.0
    counts = Counter(value).values()
    if n > 4096:
        return -sum(c / n * math.log2(c / n) for c in counts)
    return math.log2(n) - sum(map(_XLOGX.__getitem__, counts)) / n


# Lower-case fragments that mark documentation, templates and masked values, never live credentials.
_PLACEHOLDER_FRAGMENTS = (
    "example",
    "your_",
    "your-",
    "yourapi",
    "yourkey",
    "yoursecret",
    "yourtoken",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "%s",
    "%(",
    "xxxx",
    "****",
    "••",
    "....",
    "changeme",
    "change_me",
    "change-me",
    "dummy",
    "placeholder",
    "redacted",
    "replace_me",
    "replaceme",
    "insert_",
    "insert-",
    "put_your",
    "sample",
    "123456789",
    "abcdefghij",
    "foobar",
    "notreal",
    "not_a_real",
    "not-a-real",
    "[redacted",
    "enc[",
)
# One regex instead of a loop over fragments: this runs on every candidate. Also: a character repeated
# eight times in a row ("sk-aaaaaaaa…", "00000000").
_PLACEHOLDER = re.compile("|".join(re.escape(f) for f in _PLACEHOLDER_FRAGMENTS))
_REPEAT_RUN = re.compile(r"(.)\1{7,}", re.S)


# Credentials their publishers print in documentation, which every tutorial, test and sample app
# copies: nobody's secret, as the test cards are nobody's card. Whole values only; another token
# with the same header and payload, or another key with the same prefix, is still found.
PUBLISHED_EXAMPLE_CREDENTIALS = frozenset(
    {
        # jwt.io's example token, HS256 "your-256-bit-secret" (older) and
        # "a-string-secret-at-least-256-bits-long" (current); RFC 7519 §3.1 / RFC 7515 A.1's JWS
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2"
        "MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRy"
        "dWUsImlhdCI6MTUxNjIzOTAyMn0.KMUFsIDTnFmyG3nMiGM6H9FNFUROf3wh7SmqJp-QV30",
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9l"
        "eGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        # the test-mode secret keys of Stripe's API reference (current and older)
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    }
)


def is_placeholder(value: str) -> bool:
    """Obvious stand-ins: YOUR_API_KEY, sk-xxxx…, ${VAR}, {{ x }}, <token>, ****, EXAMPLE, aaaaaaaa…,
    and the published example credentials above."""
    if len(set(value)) < 6 or _PLACEHOLDER.search(value.lower()) or value in PUBLISHED_EXAMPLE_CREDENTIALS:
        return True
    return _REPEAT_RUN.search(value) is not None


# Values that generic key=value rules see constantly and that are never secrets.
STOPWORDS = frozenset(
    """
    true false null none nil undefined nan yes no on off enabled disabled required optional hidden
    masked redacted secret secrets password passwd passphrase token tokens apikey api_key key keys
    string bearer basic digest oauth oauth2 jwt default empty unset unknown admin root user username
    guest public private anonymous login logout session cookie header authorization authenticated
    sha256 sha384 sha512 sha1 md5 hmac base64 utf-8 utf8 ascii json yaml text plain application
    """.split()
)
_TEST_WORDS = re.compile("test|dummy|fake|mock|sample|lorem|foo|bar|qwerty|letmein|password")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGEST_PREFIX = re.compile(r"(?i)(?:sha(?:1|224|256|384|512)|md5)[-:=]")
_IDENTIFIER = re.compile(
    r"[a-z]+(?:[_.-][a-z]+)*|_*[A-Z][A-Z_]+|[a-z]+(?:[A-Z][a-z]+)+|(?:[A-Z][a-z]+){2,}|[A-Z]?[a-z]+"
    # snake_case with short segments: urlsafe_b64decode, max_retries_2
    r"|_*[a-z][a-z0-9]{0,11}(?:_[a-z0-9]{1,12})+"
    # dotted code references / entry points: Rails.application.credentials, base64.b64encode, pkg.mod:main
    r"|[A-Za-z_][A-Za-z0-9_]{0,59}(?:(?:\.|::?|->)[A-Za-z_][A-Za-z0-9_]{0,59})+"
    r"|_+[A-Za-z][A-Za-z0-9_]*"  # private names: _ProxyTypeDescriptor
)
_TEMPLATE = re.compile(r"process\.env|os\.environ|env\(|getenv|vault:|secretref", re.I)
# A variable as the whole value ($NAME, ${NAME}, %NAME%, $(command …)); a "$" or "%" inside a longer
# value is one of its characters (Django's keys draw on "!@#$%^&*(-_=+)").
_REFERENCE = re.compile(r"(?:\$\w+|\$\{[^{}]*\}|%\w+%)+|\$\(.*", re.S)
# A stored password hash (crypt's $1$/$2b$/$5$/$6$/$y$, Django's pbkdf2_sha256$…, Werkzeug's
# pbkdf2:sha256:…$): what a user fixture's "password" field holds, not the password.
_PASSWORD_HASH = re.compile(
    r"\$(?:1|2[abxy]?|5|6|7|y|gy|apr1|md5|sha1|argon2(?:id|i|d)|pbkdf2[\w-]*|scrypt)\$"
    r"|(?:pbkdf2|argon2|bcrypt|scrypt|sha1|md5|crypt|unsalted)[\w:-]{0,30}\$",
    re.I,
)
_LETTERS_ONLY = re.compile(r"[A-Za-z_]+")
# Shapes seen in config files and package lists rather than credentials.
_CONFIG_WORDS = re.compile(
    r"[A-Za-z_]+="  # "password= scmVersion=": an empty value followed by the next key
    r"|[A-Za-z]{1,12}(?:/[A-Za-z]{1,12}){2,}"  # "JWT/Session/OAuth"
)
_KEBAB = re.compile(r"[a-z0-9]{1,8}(?:-[a-z0-9]{1,8})+")  # "scram-sha-256", "google-auth-library"
_ALGORITHM = re.compile(r"(?i)sha-?(?:1|224|256|384|512)|md5|scram|hmac|aes-?\d|bcrypt|argon2|pbkdf2")
_CODE_RECEIVERS = (
    "self.",
    "this.",
    "cls.",
    "os.",
    "process.",
    "config.",
    "settings.",
    "env.",
    "params.",
    "args.",
    "kwargs[",
    "request.",
    "ctx.",
    "props.",
    "window.",
    "document.",
)


# An Amazon Resource Name up to its resource part: partition (aws, aws-cn, aws-us-gov, aws-iso-*),
# service, region, account. An ARN names a thing (``…:secret:prod/db-AbCdEf`` is a secret's *name*),
# so neither the whole ARN nor a keyword inside its resource part announces a credential.
_ARN_HEAD = r"arn:aws(?:-cn|-us-gov|-iso(?:-[a-z])?)?:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws)?:"
_ARN = re.compile(_ARN_HEAD + r"[^\s\"'`<>]+")
# From an ARN's start to a point inside its resource part (no quote, space or "=" in between).
_ARN_TO_HERE = re.compile(_ARN_HEAD + r"[^\s\"'`<>=&,;]*")
_ARN_REACH = 512  # an ARN's resource part is at most a few hundred characters


def inside_arn(text: str, pos: int) -> bool:
    """Whether ``text[pos]`` lies in the resource part of an ARN that starts before it (a keyword
    there — ``…:secret:name`` — is part of the name, not an assignment)."""
    start = text.rfind("arn:", max(0, pos - _ARN_REACH), pos)
    if start < 0 or (start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_-")):
        return False
    return _ARN_TO_HERE.fullmatch(text, start, pos) is not None


# Keys their provider designs to be public: shipped in web pages and apps, they only write events or
# identify an account (PostHog project keys, Stripe publishable keys). No credential: a key-name
# rule leaves them alone wherever they go, including a PostHog reverse proxy on one's own domain.
PUBLIC_KEY = re.compile(r"phc_[0-9A-Za-z]{32,64}|pk_(?:live|test)_[0-9A-Za-z]{24,247}")


def looks_like_non_secret(
    value: str, kind: str = "token", *, after_scheme: bool = False, named: bool = False
) -> bool:
    """Shapes that a generic rule must leave alone: digests, UUIDs, public keys, identifiers, code, URLs,
    paths, numbers.

    ``kind`` "password" keeps letters-only values (people choose those); machine tokens almost always
    mix in digits or symbols, so a letters-only value under ``token=`` is an identifier or a type name.
    ``after_scheme``: the value follows an auth scheme word (``Bearer``, ``Token``), which says it is
    a credential: a hex string of a digest's length is then a token (``Token <40 hex>``). ``named``:
    the value's name announces a credential and no digest (``JWT_SECRET``, ``api_key``; not
    ``password_sha1``): the same holds (``openssl rand -hex 32``).
    """
    if _UUID.fullmatch(value) or _DIGEST_PREFIX.match(value):
        return True
    if value.startswith(("phc_", "pk_")) and PUBLIC_KEY.fullmatch(value):
        return True
    if value.startswith("arn:") and _ARN.fullmatch(value):
        return True
    # Cheap membership tests first: the template regex only runs when one of its anchors is present.
    if ("$" in value or "%" in value) and (_REFERENCE.fullmatch(value) or _PASSWORD_HASH.match(value)):
        return True
    if ("$" in value or "%" in value or "env" in value.lower() or ":" in value) and _TEMPLATE.search(value):
        return True
    # md5/sha1(git)/sha256/sha512 digests, unless a credential's name says it is a key
    if not (after_scheme or named) and _HEX.fullmatch(value) and len(value) in (32, 40, 64, 128):
        return True
    if value.startswith(("data:", "/", "./", "../", "~/", "http:", "https:", "file:")) or "://" in value:
        return True
    if value.replace(".", "").replace("-", "").replace("_", "").isdigit():
        return True
    if value.startswith(_CODE_RECEIVERS) or value.endswith(("()", ")")):
        return True
    if kind != "password" and len(value) < 24 and _LETTERS_ONLY.fullmatch(value):
        return True
    if _CONFIG_WORDS.fullmatch(value) or (kind != "password" and _KEBAB.fullmatch(value)):
        return True
    if _KEBAB.fullmatch(value) and _ALGORITHM.search(value):
        return True
    return bool(_IDENTIFIER.fullmatch(value))


_DIGIT = re.compile(r"\d")


def _char_classes(value: str) -> int:
    """How many of lower / upper / digit / other the value mixes."""
    return (
        (value.upper() != value)
        + (value.lower() != value)
        + (_DIGIT.search(value) is not None)
        + (not value.isalnum())
    )


def generic_value_ok(value: str, kind: str, *, after_scheme: bool = False, named: bool = False) -> bool:
    """Gate for values found only by their key name (``password``, ``secret``, ``api_key``, ``token``).

    ``kind`` is "password" (humans choose these: shorter, lower entropy allowed) or anything else
    (machine tokens: longer, higher entropy, at least two character classes). ``after_scheme``: see
    ``looks_like_non_secret``.
    """
    if not value.isprintable() or value[0] in ":=*&":  # binary junk; "a::b"; pointers and globs
        return False
    low = value.lower()
    if low in STOPWORDS or _TEST_WORDS.search(low):
        return False
    if len(value.split(None, 1)) != 1:  # whitespace inside: prose, not a credential
        return False
    if is_placeholder(value) or looks_like_non_secret(value, kind, after_scheme=after_scheme, named=named):
        return False
    entropy = shannon_entropy(value)
    if kind == "password":
        if len(value) < 6 or entropy < 2.3:
            return False
        # Mixed letters/digits/case, or a long symbol-bearing phrase; "mongodb+srv" is neither.
        alnum_classes = _char_classes(value) - (not value.isalnum())
        return alnum_classes >= 2 or (len(value) >= 12 and entropy >= 3.0 and _char_classes(value) >= 2)
    if len(value) < 12 or entropy < 3.0:
        return False
    return _char_classes(value) >= 2 or (len(value) >= 24 and entropy >= 3.6)


# Credentials the OAuth and HTTP auth RFCs print as examples (6749, 6750, 7617), copied into every
# client library's docs: after an auth scheme word they are documentation, not a leak.
SPEC_EXAMPLE_CREDENTIALS = frozenset(
    {"mF_9.B5f-4.1JqM", "2YotnFZFEjr1zCsicMWpAA", "tGzv3JOkF0XG5Qx2TlKWIA", "SplxlOBeZQQYbYS6WxSbIA",
     "gX1fBat3bV", "7Fjfp0ZBr1KtDRbnfVdmIw", "8xLOxBtZp8", "h480djs93hd8"}
)


def basic_credentials(blob: str) -> tuple[str, str] | None:
    """``Basic`` credentials (RFC 7617): base64 (standard or URL-safe alphabet) of ``user:password``
    in printable UTF-8; None for anything else (``Basic Authentication`` decodes to no such thing)."""
    padded = blob.rstrip("=")
    padded += "=" * (-len(padded) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, colon, password = text.partition(":")
    if not colon or not text.isprintable():
        return None
    return user, password


def mixed_case_ok(value: str) -> bool:
    """Both upper and lower case letters: a random token, not a kebab-case name (``md-input-…``)."""
    return value.upper() != value and value.lower() != value


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "base62-crc32": base62_checksum_ok,
    "grafana-crc32": grafana_service_token_ok,
    "atlassian-crc32": atlassian_token_ok,
    "jwt": jwt_ok,
    "base64-json": base64_json_ok,
    "discord-bot": discord_bot_token_ok,
    "private-key": private_key_ok,
    "aws-secret": aws_secret_ok,
    "putty-key": putty_key_ok,
    "mixed-case": mixed_case_ok,
}
