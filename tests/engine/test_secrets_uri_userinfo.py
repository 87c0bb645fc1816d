"""A pasted connection URL whose password holds a raw ``@ # / ?`` (third audit, M1).

``postgresql://checkout:Xk9@vL2qR7w@prod-db…`` went out ALLOWed with its whole password, and with
``#``, ``/`` or ``?`` only the tail ``vL2qR7w@prod-db…`` was redacted, as an e-mail address. The
credential schemes' userinfo is now read to the last ``@`` before the host (``secrets.uri``); the
finding is the whole password, the host stays readable, and e-mail addresses in ordinary URLs and
text are what they were.
"""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import interven_autoguard
from interven_autoguard.engine import pii, secrets
from interven_autoguard.engine.secrets import uri
from interven_autoguard.engine.secrets.validators import is_placeholder

CHAT_URL = "https://api.openai.com/v1/chat/completions"
HOST = "prod-db.c9akciq32.us-east-1.rds.amazonaws.com"
# scheme -> the finding type its family reports
SCHEMES = {
    "postgres": "DATABASE_URI_PASSWORD", "postgresql": "DATABASE_URI_PASSWORD",
    "mysql": "DATABASE_URI_PASSWORD", "mongodb": "DATABASE_URI_PASSWORD",
    "mongodb+srv": "DATABASE_URI_PASSWORD", "redis": "DATABASE_URI_PASSWORD",
    "rediss": "DATABASE_URI_PASSWORD", "amqp": "BROKER_URI_PASSWORD", "amqps": "BROKER_URI_PASSWORD",
    "postgresql+psycopg2": "DATABASE_URI_PASSWORD", "smtp": "URI_PASSWORD",
}
RAW_PASSWORDS = ["Xk9@vL2qR7w", "Xk9#vL2qR7w", "Xk9/vL2qR7w", "Xk9?vL2qR7w", "p@ss#w0rd/x", "N0t@#/?safe!",
                 "Xk9@vL2@qR7w"]


def ask(content: str) -> Any:
    return post({"model": "gpt-4o", "messages": [{"role": "user", "content": content}]})


def post(body: Any) -> Any:
    return interven_autoguard.scan(method="POST", url=CHAT_URL, headers={"Content-Type": "application/json"},
                                   body=body)


def sent_content(response: Any, content: str) -> str:
    return response.sanitized_body["messages"][0]["content"] if response.sanitized_body else content


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("password", RAW_PASSWORDS)
def test_a_raw_special_character_in_a_dsn_password_is_redacted_whole(scheme: str, password: str) -> None:
    dsn = f"{scheme}://checkout:{password}@{HOST}:5432/checkout"
    content = f"Why does this fail? {dsn}"
    response = ask(content)
    assert response.decision == "SANITIZE"
    assert [(f.type, content[f.start : f.end]) for f in response.findings] == [(SCHEMES[scheme], password)]
    sent = sent_content(response, content)
    assert password not in sent and f"checkout:[REDACTED:{SCHEMES[scheme]}]@{HOST}:5432/checkout" in sent


@pytest.mark.parametrize(("dsn", "password"), [
    # Azure Database for PostgreSQL/MySQL single server: the user name is "user@server"
    ("postgresql://pgadmin@acme-pg:Xk9#vL2qR7w@acme-pg.postgres.database.azure.com:5432/app", "Xk9#vL2qR7w"),
    # redis-py / ioredis: no user name, only the password
    ("redis://:Xk9@vL2qR7w@cache.internal:6379/0", "Xk9@vL2qR7w"),
    # MongoDB Atlas: the query string after the host keeps its own "@"-free options
    ("mongodb+srv://app:Xk9@vL2qR7w@cluster0.ab1cd.mongodb.net/?retryWrites=true&w=majority", "Xk9@vL2qR7w"),
    # a DSN in a JSON config pasted as text, and in a .env line
    ('{"url": "postgres://app:Xk9/vL2?qR7w@db:5432/app", "pool": 5}', "Xk9/vL2?qR7w"),
    ("DATABASE_URL=mysql://app:Xk9#vL2qR7w@db.internal/app\nDEBUG=0", "Xk9#vL2qR7w"),
])
def test_dsn_forms_that_drivers_accept(dsn: str, password: str) -> None:
    response = ask(dsn)
    assert [f.type for f in response.findings] == ["DATABASE_URI_PASSWORD"]
    assert sent_content(response, dsn) == dsn.replace(password, "[REDACTED:DATABASE_URI_PASSWORD]")


def test_the_tail_of_the_password_is_no_email_address() -> None:
    text = f"postgresql://checkout:Xk9#vL2qR7w@{HOST}:5432/checkout"
    assert pii.detect(text) == []
    assert [(h.type, text[h.start : h.end]) for h in secrets.detect(text)] == [
        ("DATABASE_URI_PASSWORD", "Xk9#vL2qR7w")]


@pytest.mark.parametrize(("content", "expected"), [
    # e-mail addresses in ordinary URLs and text are addresses, as before
    ("See https://example.com/contact?to=john@acme.com for details", [("EMAIL", "john@acme.com")]),
    ("Mail jane.doe@acme.com or https://acme.com/u/jane@acme.com", [("EMAIL", "jane.doe@acme.com"),
                                                                   ("EMAIL", "jane@acme.com")]),
    # after the host, the query's address is an address and the password is only the password
    ("postgres://app:Xk9vL2qR7w@db.internal/app?contact=ops@acme.com",
     [("DATABASE_URI_PASSWORD", "Xk9vL2qR7w"), ("EMAIL", "ops@acme.com")]),
    # Azure's documented form puts "user@server" in the query: no password there at all
    ("postgresql://acme-pg.postgres.database.azure.com:5432/app?user=pgadmin@acme-pg&sslmode=require", []),
    ("mongodb://h1.internal:27017,h2.internal:27017/app?replicaSet=rs0&authSource=ops@acme.com",
     [("EMAIL", "ops@acme.com")]),
    ("postgres://ops@db.internal:5432/app", []),
    # the plain-URL reading is still RFC 3986: a later "@" in https is not part of a password
    ("https://api.example.com:8443/users/jane@acme.com/profile", [("EMAIL", "jane@acme.com")]),
    ("https://svc:Xk9vL2qR7w@api.example.com/x?cc=jane@acme.com",
     [("URI_PASSWORD", "Xk9vL2qR7w"), ("EMAIL", "jane@acme.com")]),
    # templates and docs stay silent
    ("postgres://app:${DB_PASSWORD}@db:5432/app?application_name=a@b", []),
    ("redis://:@cache:6379/0", []),
])
def test_no_regression_for_addresses_and_plain_urls(content: str, expected: list[tuple[str, str]]) -> None:
    response = ask(content)
    assert [(f.type, content[f.start : f.end]) for f in response.findings] == expected


PASSWORD_CHARS = string.ascii_letters + string.digits + "@#/?!$%^&*()-_=+.,;:~[]|`"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scheme=st.sampled_from(sorted(SCHEMES)), middle=st.text(PASSWORD_CHARS, min_size=1, max_size=40),
       user=st.sampled_from(["app", "svc_user", "pgadmin@acme-pg", ""]),
       tail=st.sampled_from(["", ":5432", ":5432/app", "/app?sslmode=require", ",h2:27017/?w=majority"]))
def test_any_hand_written_password_is_found_exactly(scheme: str, middle: str, user: str, tail: str) -> None:
    password = "Zq" + middle + "7w"
    assume("://" not in password and uri._QUERY_PARAMETER.search(password) is None)
    assume(not is_placeholder(password))
    assume(user or scheme in uri.CREDENTIAL_SCHEMES or scheme.split("+")[0] in uri.CREDENTIAL_SCHEMES)
    text = f"connect with {scheme}://{user}:{password}@db.internal{tail} and retry"
    assert [text[h.start : h.end] for h in secrets.detect(text)] == [password]
    assert not [h for h in pii.detect(text) if h.type == "EMAIL"]


HOST_START = string.ascii_letters + string.digits + "["
URLISH = st.text(alphabet="ab7:/@#?=&.,[] \n\"", max_size=60)
SCHEME_PIECES = st.sampled_from(["postgres://", "redis://", "https://", "x://", "://", "mongodb+srv://"])
TEXTS = st.lists(st.one_of(URLISH, SCHEME_PIECES), max_size=10).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_every_uri_reading_is_a_bounded_userinfo(text: str) -> None:
    """What a reading can be, whatever the text: a password right after "://user:", ending at an
    "@" followed by a host character, no whitespace or quote in it, never longer than the bound."""
    for sep in range(len(text)):
        if not text.startswith("://", sep):
            continue
        found = uri.userinfo_at(text, sep)
        if found is None:
            continue
        _scheme, user_start, start, at = found
        assert user_start == sep + 3 and text[start - 1] == ":" and ":" not in text[user_start : start - 1]
        assert start < at <= start + uri.MAX_PASSWORD
        assert text[at] == "@" and text[at + 1] in HOST_START
        assert not any(c in ' \n"' for c in text[start:at])
    for h in secrets.detect(text):
        assert text[h.end] == "@" and text.rfind("://", 0, h.start) >= 0


@pytest.mark.parametrize("text", [
    "postgres://u:" + "@" * 20_000,
    ("postgres://u:" + "x@" * 200) * 100,
    "redis://:" * 10_000,
    ("mongodb://a:b" + "/" * 300 + "@") * 100,
    "postgres://u:" + "?a=" * 5_000 + "@h",
])
def test_adversarial_text_is_read_in_one_bounded_pass(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Linear by construction, checked without a clock: at most one reading per "://", and each
    reading returns a bounded span (the regexes have no nested repeats: ``secrets.uri``)."""
    from interven_autoguard.engine.secrets import _engine

    readings: list[tuple[int, int]] = []
    real = _engine.userinfo_at

    def counting(t: str, sep: int) -> tuple[str, int, int, int] | None:
        found = real(t, sep)
        readings.append((sep, -1 if found is None else found[3] - found[2]))
        return found

    monkeypatch.setattr(_engine, "userinfo_at", counting)
    hits = secrets.detect(text)
    assert len(readings) <= text.count("://")
    assert all(length <= uri.MAX_PASSWORD for _sep, length in readings)
    assert all(h.end - h.start <= uri.MAX_PASSWORD for h in hits)


def test_credential_schemes_are_the_rule_tables() -> None:
    from interven_autoguard.engine.secrets.rules import URI_SCHEMES

    named = {name for names, _id, _type in URI_SCHEMES for name in names}
    assert uri.CREDENTIAL_SCHEMES == named
    assert {"postgres", "postgresql", "mysql", "mongodb", "mongodb+srv", "redis", "rediss", "amqp",
            "amqps"} <= named
    assert "https" not in named and "http" not in named


def test_raw_json_body_with_the_dsn_is_caught_in_the_string_not_beyond_it() -> None:
    body = json.dumps({"messages": [{"role": "user", "content": "postgres://app:Xk9@vL2qR7w@db:5432/app"}],
                       "metadata": {"owner": "ops@acme.com"}})
    response = post(body)
    assert sorted(f.type for f in response.findings) == ["DATABASE_URI_PASSWORD", "EMAIL"]


def test_plain_urls_with_ports_and_addresses_do_not_wake_the_rule() -> None:
    """The lenient reading is for credential schemes: its prefilter names them, so a text full of
    ``http://host:8080/…?to=a@b.com`` costs one automaton pass, not a reading per URL."""
    import re

    from interven_autoguard.engine.secrets.rules import URI_RULE, prefilter_expression

    wakes = re.compile(prefilter_expression(URI_RULE), re.IGNORECASE | re.ASCII)  # type: ignore[arg-type]
    plain = "see http://host1.internal:8080/path/1?q=ops@acme.com and https://x.io:443/a@b"
    assert wakes.search(plain) is None
    for text in ("POSTGRES://app:Xk9@vL2@db:5432/app", "postgresql+psycopg2://app:Xk9/vL2@db/app",
                 "https://svc:Xk9vL2qR7w@api.example.com/", "redis://:Xk9#vL2@cache:6379"):
        assert wakes.search(text), text
