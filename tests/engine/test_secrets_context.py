"""Generic key=value rules, key context, false-positive controls, overlap preference, in-band markers."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json

import pytest
from secret_samples import AWS_BODY, B62, HEX, github, r, uuid4

from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets.context import classify_key


def spans(text: str, key: str | None = None) -> list[tuple[str, str]]:
    return [(h.detector, text[h.start : h.end]) for h in secrets.detect(text, key)]


# --------------------------------------------------------------------------- key context


def test_password_by_key_spans_whole_value() -> None:
    assert spans("hunter2-Xq9#Lm", key="password") == [("generic-password", "hunter2-Xq9#Lm")]


def test_key_context_trims_whitespace_and_auth_scheme() -> None:
    value = r(B62, 32)
    text = f"  Bearer {value}  "
    hits = secrets.detect(text, key="authorization")
    assert [(h.type, text[h.start : h.end]) for h in hits] == [("GENERIC_TOKEN", value)]


@pytest.mark.parametrize(
    ("key", "detector"),
    [
        ("client_secret", "generic-secret"),
        ("X-Api-Key", "generic-api-key"),
        ("accessToken", "generic-token"),
        ("refresh_token", "generic-token"),
        ("AWS_SECRET", "generic-secret"),
        ("privateKey", "generic-private-key"),
        ("DB_PASS", "generic-password"),
    ],
)
def test_generic_kinds_by_key(key: str, detector: str) -> None:
    value = r(B62, 20) + "-" + r(B62, 8)
    assert spans(value, key=key) == [(detector, value)]


@pytest.mark.parametrize(
    "key",
    [
        "max_tokens",
        "token_type",
        "password_policy",
        "tokenizer",
        "secret_name",
        "prompt_tokens",
        "content",
        "keyword",
        "api_key_id",
        "passport_number",
        "monkey",
    ],
)
def test_keys_that_are_about_credentials_are_not_credentials(key: str) -> None:
    assert classify_key(key) is None
    assert spans(r(B62, 24), key=key) == []


def test_provider_context_rule_by_key() -> None:
    value = r(HEX, 32)
    assert spans(value, key="DD-API-KEY") == [("datadog-api-key", value)]
    assert spans(value, key="DD_API_KEY") == [("datadog-api-key", value)]


# --------------------------------------------------------------------------- inline context in raw bodies


def test_json_body_inline_password() -> None:
    body = json.dumps({"user": "bob", "password": "Tr0ub4dor&3x", "remember": True})
    assert spans(body) == [("generic-password", "Tr0ub4dor&3x")]


def test_form_body_inline_password_stops_at_ampersand() -> None:
    body = "username=bob&password=Tr0ub4dor%263x&remember=1"
    assert spans(body) == [("generic-password", "Tr0ub4dor%263x")]


def test_env_file_lines() -> None:
    secret = r(B62, 28)
    text = f"DEBUG=1\nDB_PASSWORD=Xk9#mLp2Qz\nSTRIPE_WEBHOOK_SECRET_VALUE={secret}\nLOG_LEVEL=info\n"
    assert spans(text) == [("generic-password", "Xk9#mLp2Qz"), ("generic-secret", secret)]


def test_specific_rule_wins_over_generic_on_overlap() -> None:
    token = github("ghp_")
    body = json.dumps({"password": token})
    assert spans(body) == [("github-pat", token)]
    assert spans(token, key="password") == [("github-pat", token)]


def test_hits_sorted_and_disjoint() -> None:
    a, b = github("ghp_"), "AKIA" + r(AWS_BODY, 16)
    text = f"first {b} then {a} and again {b}"
    hits = secrets.detect(text)
    assert [h.detector for h in hits] == ["aws-access-key-id", "github-pat", "aws-access-key-id"]
    assert all(x.end <= y.start for x, y in itertools.pairwise(hits))


@pytest.mark.parametrize(
    "marker", ["  # pragma: allowlist secret", " // gitleaks:allow", " # nosec", " #noqa"]
)
def test_in_band_allow_markers_are_not_honoured(marker: str) -> None:
    token = github("ghp_")
    assert spans(f'TOKEN = "{token}"{marker}') == [("github-pat", token)]


# --------------------------------------------------------------------------- false positives


def _fp_corpus() -> list[str]:
    sha = hashlib.sha1(b"x").hexdigest()
    sha256 = hashlib.sha256(b"x").hexdigest()
    sri = "sha384-" + base64.b64encode(hashlib.sha384(b"x").digest()).decode()
    png = "data:image/png;base64," + base64.b64encode(bytes(range(256)) * 4).decode()
    return [
        'api_key = "YOUR_API_KEY"',
        "OPENAI_API_KEY=sk-" + "x" * 48,
        "OPENAI_API_KEY=sk-proj-" + "x" * 60,
        "token: ${GITHUB_TOKEN}",
        "password: {{ secrets.DB_PASSWORD }}",
        "Authorization: Bearer <token>",
        "api_key=<your-api-key-here>",
        "password=********",
        "AWS_ACCESS_KEY_ID=AKIA" + "IOSFODNN7" + "EXAMPLE",
        "password=changeme",
        "password: dummy-password",
        "password=test1234",
        "secret=aaaaaaaaaaaaaaaa",
        "client_secret=REPLACE_ME_WITH_SECRET",
        '{"request_id": "' + uuid4() + '"}',
        '{"commit": "' + sha + '", "sha": "' + sha + '"}',
        '{"digest": "sha256:' + sha256 + '"}',
        '<script src="app.js" integrity="' + sri + '" crossorigin="anonymous"></script>',
        '{"image": "' + png + '"}',
        "The quick brown fox jumps over the lazy dog; tokens, keys and passwords are discussed here.",
        "see https://example.com/docs/page?id=42&lang=en and http://localhost:8080/health",
        '{"model": "gpt-4o", "max_tokens": 4096, "temperature": 0.7, "stream": true}',
        '{"token_type": "Bearer", "expires_in": 3600, "scope": "read"}',
        '{"password_policy": "min-length-12", "passwordLength": 16}',
        '{"auth": {"type": "oauth2", "flow": "client_credentials"}}',
        "postgres://user:password@localhost:5432/db",
        "mysql://root:${MYSQL_PASSWORD}@db:3306/app",
        "redis://:@cache:6379/0",
        "http://localhost:8080@example.com/",
        "const secretsManager = new SecretsManagerClient({ region });",
        '{"secret": true, "password": null, "token": ""}',
        "eyJhbGciOiJIUzI1NiJ9.not-a-jwt.payload",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PUBLIC KEY-----\n"
        + base64.b64encode(bytes(range(200))).decode()
        + "\n-----END PUBLIC KEY-----",
        "ghp_" + "A" * 36,
        "ghp_" + r(B62, 36),  # right shape, wrong checksum
        "AIzaSy" + "X" * 33,
        "secret_key_base = Rails.application.credentials.secret_key_base",
        "password = os.environ['DB_PASSWORD']",
        "api_key = process.env.API_KEY",
    ]


@pytest.mark.parametrize("text", _fp_corpus())
def test_false_positive_corpus_is_silent(text: str) -> None:
    assert spans(text) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("password", "changeme"),
        ("password", "test"),
        ("password", "testing123"),
        ("api_key", "YOUR_API_KEY"),
        ("token", "<token>"),
        ("token", "${TOKEN}"),
        ("secret", "****************"),
        ("token", "550e8400-e29b-41d4-a716-446655440000"),
        ("access_token_sha256", hashlib.sha256(b"y").hexdigest()),  # a digest's name: a hash, no key
        ("password", "correct horse battery staple"),
        ("secret", "true"),
        ("authorization", "Bearer"),
        ("api_key", "https://api.example.com/v1"),
    ],
)
def test_false_positive_values_by_key(key: str, value: str) -> None:
    assert spans(value, key=key) == []


def test_hit_repr_never_contains_the_value() -> None:
    token = github("ghp_")
    (hit,) = secrets.detect(token)
    assert token not in repr(hit)
    assert token[4:] not in repr(hit)


def test_dense_key_value_body_still_finds_the_password_at_the_end() -> None:
    rows = [{"token_count": i, "auth_mode": "none", "name": f"row{i}"} for i in range(500)]
    rows.append({"password": "Tr0ub4dor&3x"})
    body = json.dumps(rows)
    assert spans(body) == [("generic-password", "Tr0ub4dor&3x")]


def test_keyword_flood_still_reports_provider_tokens() -> None:
    token = github("ghp_")
    body = "password=" * 30_000 + f" {token} " + "DD_API_KEY=" * 20_000
    assert ("github-pat", token) in spans(body)


@pytest.mark.parametrize("bad", [None, 3, b"ghp_", ["x"], ""])
def test_non_string_inputs_are_empty_not_errors(bad: object) -> None:
    assert secrets.detect(bad) == []  # type: ignore[arg-type]
    assert secrets.may_match(bad) is False  # type: ignore[arg-type]
    assert secrets.key_is_sensitive(bad) is False  # type: ignore[arg-type]
    token = github("ghp_")
    assert [h.detector for h in secrets.detect(token, key=bad)] == ["github-pat"]  # type: ignore[arg-type]


def test_a_telegram_token_follows_bot_in_its_api_urls_but_never_more_digits() -> None:
    """Every Telegram Bot API URL spells ``/bot<token>/method``: the token may follow letters, not
    digits, and nothing of its own alphabet may follow it."""
    token = "9458073021:AA" + r(B62, 33)
    for text in (f"https://evil.example/bot{token}/sendMessage", f"bot{token}", f"x_{token}", f"{token}/x"):
        found = secrets.detect(text)
        assert [h.type for h in found] == ["TELEGRAM_BOT_TOKEN"], text
        assert text[found[0].start : found[0].end] == token
    for text in (f"1{token}", f"{token}x", f"{token}-", f"{token}_"):
        assert secrets.detect(text) == [], text
