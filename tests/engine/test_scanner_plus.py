"""A secret written with a raw "+" in a URL query or a form body is found, and redacted.

A form parser reads "+" as a space and splits a base64 secret there; the bytes on the wire still
carry it whole, and a receiver that logs the raw URL or decodes it as RFC 3986 reads it whole. The
scanner reads the parameter both ways: a secret sent with a raw "+" is found as it is with "%2B",
and the redacted request reads clean both ways, the rest of it byte for byte as sent.
"""

from __future__ import annotations

import base64
import random
import string
from urllib.parse import unquote, unquote_plus, urlsplit

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from secret_samples import SAMPLES, aws_secret

from interven_autoguard.engine.scanner import LocalScanner
from interven_autoguard.model import Decision, ScanResponse

URL = "https://collector.example.net/i"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
B64 = string.ascii_letters + string.digits + "+/"
GITHUB_TOKEN = SAMPLES["github-pat"]()[1]

_settings = settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def engine() -> LocalScanner:
    return LocalScanner()


def _aws_secret_with_plus() -> str:
    """A key with a "+" inside, where a form parser splits it (one at an edge only trims it)."""
    while True:
        key = aws_secret()
        if "+" in key[1:-1] and "+" not in key[0] + key[-1]:
            return key


def _send(engine: LocalScanner, where: str, query: str) -> tuple[ScanResponse, str]:
    """``query`` sent as a URL query or as a form body: the response and the query as sanitized."""
    if where == "query":
        response = engine.scan(method="GET", url=URL + "?" + query)
        sanitized = urlsplit(response.sanitized_url).query if response.sanitized_url else query
    else:
        response = engine.scan(method="POST", url=URL, headers=FORM, body=query)
        sanitized = response.sanitized_body if response.sanitized_body is not None else query
    return response, sanitized


def _lane(engine: LocalScanner, where: str, query: str) -> bool:
    if where == "query":
        return engine.quiet_allow("GET", URL + "?" + query, {}, None)
    return engine.quiet_allow("POST", URL, FORM, query.encode())


def _readings(query: str) -> list[str]:
    return [unquote_plus(query), unquote(query)]


def _check_redacted(engine: LocalScanner, where: str, query: str, sanitized: str, secret: str) -> None:
    """No reading of the sanitized query holds any piece of the secret; every other parameter is
    byte for byte as sent; the sanitized request scans clean."""
    pieces = [p for p in secret.split("+") if len(p) >= 8]
    for reading in _readings(sanitized):
        assert secret not in reading and not any(p in reading for p in pieces)
    sent, kept = query.split("&"), sanitized.split("&")
    assert len(sent) == len(kept)
    changed = [i for i, (a, b) in enumerate(zip(sent, kept, strict=True)) if a != b]
    assert len(changed) == 1 and secret in sent[changed[0]]
    again, _ = _send(engine, where, sanitized)
    assert again.findings == []


@pytest.mark.parametrize("where", ["query", "form"])
def test_an_aws_secret_key_with_a_raw_plus_is_found_and_redacted(engine: LocalScanner, where: str) -> None:
    key = _aws_secret_with_plus()
    query = "id=7&aws_secret_access_key=" + key + "&page=2+of+3"
    escaped, _ = _send(engine, where, query.replace(key, key.replace("+", "%2B")))
    response, sanitized = _send(engine, where, query)
    assert response.decision == escaped.decision != Decision.ALLOW
    assert [(f.type, f.location, f.encoding) for f in response.findings] == [
        ("AWS_SECRET_KEY", f"{where}:aws_secret_access_key", "plus")]
    assert not _lane(engine, where, query)
    _check_redacted(engine, where, query, sanitized, key)
    assert sanitized.endswith("&page=2+of+3")


def test_a_form_body_as_bytes_is_redacted_as_bytes(engine: LocalScanner) -> None:
    key = _aws_secret_with_plus()
    body = b"aws_secret_access_key=" + key.encode() + b"&note=hello+world"
    response = engine.scan(method="POST", url=URL, headers=FORM, body=body)
    assert response.decision != Decision.ALLOW
    assert isinstance(response.sanitized_body, bytes)
    assert response.sanitized_body.endswith(b"&note=hello+world")
    assert key.encode() not in response.sanitized_body


@pytest.mark.parametrize("query", [
    "q=a+b+c", "q=hello+world+this+is+a+search", "name=John+Smith&city=New+York",
    "q=The+Quick+Brown+Fox+Jumps+Over+The+Lazy+Dog", "utm_source=Google+Ads&utm_campaign=Spring+Sale+2024",
    "q=iPhone+15+Pro+Max+256GB+Blue", "t=2024-01-01T10:00:00+02:00", "v=1.2.3+build.45", "tz=+05:30",
    "q=C%2B%2B+templates+and+more", "sort=+name,-date",
    # Sensitive names: words joined by "+" are prose in the literal reading too.
    "api_key=not+a+real+key", "secret=my+little+secret", "password=correct+horse+battery+staple",
    "token=see+the+docs+for+how+to+get+one", "client_secret=ask+your+administrator",
])
@pytest.mark.parametrize("where", ["query", "form"])
def test_ordinary_plus_joined_words_are_not_findings(engine: LocalScanner, where: str, query: str) -> None:
    response, _ = _send(engine, where, query)
    assert response.findings == [] and response.decision == Decision.ALLOW


_WORDS = st.lists(st.text(string.ascii_letters, min_size=1, max_size=10), min_size=2, max_size=8)
_NAMES = st.sampled_from(["q", "name", "title", "api_key", "password", "secret", "token", "client_secret",
                          "auth", "session_id", "comment", "private_key"])


@_settings
@given(_NAMES, _WORDS, st.sampled_from(["query", "form"]))
def test_words_joined_by_plus_find_what_spaces_find(engine: LocalScanner, name: str, words: list[str],
                                                    where: str) -> None:
    """The literal reading adds no finding to prose: "+" between words finds what "%20" finds."""
    def seen(query: str) -> list[tuple[str, str, int, int]]:
        return sorted((f.type, f.location, f.start, f.end) for f in _send(engine, where, query)[0].findings)

    assert seen(f"{name}=" + "+".join(words)) == seen(f"{name}=" + "%20".join(words))


# -- any base64 secret, "+" anywhere ---------------------------------------------------------------

def _aws_key(rng: random.Random, pluses: list[int]) -> tuple[str, str]:
    chars = [rng.choice(B64[:-2] + "/") for _ in range(40)]
    for i in pluses:
        chars[i] = "+"
    return "aws_secret_access_key", "".join(chars)


def _azure_key(rng: random.Random, pluses: list[int]) -> tuple[str, str]:
    chars = list(base64.b64encode(rng.randbytes(64)).decode())
    for i in pluses:
        chars[i * 2] = "+"  # never in the "==" padding
    key = "".join(chars)
    return "conn", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + key + ";EndpointSuffix=x"


_secrets = st.one_of(
    st.builds(_aws_key, st.randoms(use_true_random=False),
              st.lists(st.integers(0, 39), min_size=1, max_size=4)),
    st.builds(_azure_key, st.randoms(use_true_random=False),
              st.lists(st.integers(0, 42), min_size=1, max_size=4)),
)


@_settings
@given(_secrets, st.sampled_from(["query", "form"]), st.sampled_from(["", "a=1&", "q=x+y&"]),
       st.sampled_from(["", "&b=2", "&note=hello+world"]))
def test_base64_secrets_with_a_raw_plus_anywhere(engine: LocalScanner, secret: tuple[str, str], where: str,
                                                 before: str, after: str) -> None:
    name, value = secret
    key = value.split("AccountKey=")[-1].split(";")[0]
    query = before + name + "=" + value + after
    escaped, _ = _send(engine, where, query.replace(key, key.replace("+", "%2B")))
    assume(escaped.findings)  # a key the detector knows at all (random ones may fail its checks)
    response, sanitized = _send(engine, where, query)
    assert response.decision == escaped.decision != Decision.ALLOW
    assert {f.type for f in escaped.findings} <= {f.type for f in response.findings}
    assert not _lane(engine, where, query)
    _check_redacted(engine, where, query, sanitized, key)


_TEXT_PIECES = st.sampled_from(["~", ">", "?", "~>", " ", "note", "see", "ok", "Grüße", "x" * 5])


@_settings
@given(st.lists(_TEXT_PIECES, min_size=4, max_size=20).map("".join), st.sampled_from(["email", "token"]),
       st.sampled_from(["query", "form", "name"]))
def test_base64_of_text_with_a_raw_plus_is_decoded(engine: LocalScanner, filler: str, kind: str,
                                                   where: str) -> None:
    """Base64 of text that holds an e-mail address or a token, whose encoding has a "+": decoded from
    the raw "+" reading, as from the "%2B" one; the blob is re-encoded with the value replaced."""
    secret = "john.smith@example.org" if kind == "email" else GITHUB_TOKEN
    blob = base64.b64encode(f"{filler} {secret} {filler}".encode()).decode()
    assume("+" in blob)
    query = ("x=1&" + blob + "&y=2") if where == "name" else ("x=1&data=" + blob + "&y=2")
    sent_as = "query" if where == "name" else where
    escaped, _ = _send(engine, sent_as, query.replace(blob, blob.replace("+", "%2B")))
    assume(escaped.findings)
    response, sanitized = _send(engine, sent_as, query)
    assert response.decision != Decision.ALLOW
    assert {f.type for f in escaped.findings} <= {f.type for f in response.findings}
    assert not _lane(engine, sent_as, query)
    _check_redacted(engine, sent_as, query, sanitized, blob)
    for reading in _readings(sanitized):
        assert secret not in reading

