"""Properties of the secret detectors over arbitrary input (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_samples import SAMPLES

from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets import _engine, _prefilter

# Pieces that steer random text into the interesting paths: keywords, assignments, prefixes,
# characters whose lower() is longer than themselves, lone surrogates, escapes.
FRAGMENTS = [
    "password=",
    '"secret": "',
    "api_key: ",
    "token=",
    "://",
    "user:",
    "@host",
    "AKIA",
    "ghp_",
    "glpat-",
    "sk-proj-",
    "eyJ",
    ".",
    "-----BEGIN PRIVATE KEY-----",
    "-----END PRIVATE KEY-----",
    "\\n",
    "İ",
    "ß",
    "\ud800",
    "\x00",
    "Bearer ",
    "xoxb-",
    "DD_API_KEY=",
    "jdbc:mysql://h/db?password=",
    "Server=x;Password=",
    "service_account",
    "discord",
    "twilio",
    "q~",
    ":AA",
    "T3BlbkFJ",
    "=",
    "&",
    '"',
    "'",
    " ",
    "\n",
]
SAFE_PADDING = st.text(alphabet=" \t\n\"'`,;()[]{}<>", max_size=40)

texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.text(max_size=24), st.sampled_from(FRAGMENTS)), max_size=30).map("".join),
    st.sampled_from(sorted(SAMPLES)).map(lambda rule_id: SAMPLES[rule_id]()[0]),
)
keys = st.one_of(
    st.none(),
    st.sampled_from(["password", "token", "x-api-key", "DD_API_KEY", "content", ""]),
    st.text(max_size=20),
)


def _well_formed(text: str, hits: list) -> None:
    last_end = 0
    for h in hits:
        assert 0 <= h.start < h.end <= len(text)
        assert h.start >= last_end, "hits overlap or are unsorted"
        last_end = h.end
        assert h.category == "secret"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, key=keys)
def test_detect_never_raises_and_hits_are_well_formed(text: str, key: str | None) -> None:
    hits = secrets.detect(text, key)
    _well_formed(text, hits)
    secrets.detect_auth_value(text)
    secrets.may_match(text)


@settings(max_examples=300, deadline=None)
@given(text=texts, data=st.data())
def test_may_match_false_means_no_substring_has_a_hit(text: str, data: st.DataObject) -> None:
    if secrets.may_match(text):
        return
    assert secrets.detect(text) == []
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, len(text)))
    assert secrets.detect(text[i:j]) == []


@settings(max_examples=300, deadline=None)
@given(rule_id=st.sampled_from(sorted(SAMPLES)), left=SAFE_PADDING, right=SAFE_PADDING)
def test_hit_span_is_stable_under_safe_padding(rule_id: str, left: str, right: str) -> None:
    text, _ = SAMPLES[rule_id]()
    base = [(h.detector, h.start, h.end) for h in secrets.detect(text)]
    padded = [
        (h.detector, h.start - len(left), h.end - len(left)) for h in secrets.detect(left + text + right)
    ]
    assert padded == base


def test_prefilter_back_ends_agree() -> None:
    c = _engine.compiled()
    re2_backend = _prefilter.build(c.exact_expressions, c.expressions)
    fast = _prefilter.build_fast(c.exact_expressions)
    if fast is None:
        pytest.skip("Hyperscan not available: only the re2 back-end is in use")

    @settings(max_examples=300, deadline=None)
    @given(text=texts)
    def agree(text: str) -> None:
        assert sorted(re2_backend.present(text)) == sorted(fast.present(text))
        assert re2_backend.any(text) == fast.any(text)

    agree()


SENSITIVE_KEYS = [
    "password",
    "pw",
    "passwd",
    "db_pass",
    "client_secret",
    "X-Api-Key",
    "accessToken",
    "auth",
    "jwt",
    "dsn",
    "sessionid",
    "mnemonic",
    "creds",
    "privateKey",
    "DD_API_KEY",
    "twilio_auth_token",
    "CLOUDFLARE_API_TOKEN",
    "refresh_token",
    "Authorization",
]


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(SENSITIVE_KEYS),
    value=st.text(alphabet="abcdefABCDEF0123456789-_#!.", min_size=6, max_size=48),
)
def test_raw_body_triage_covers_key_context(key: str, value: str) -> None:
    """A field that key context flags keeps its raw JSON / form body from being triaged away."""
    import json
    from urllib.parse import urlencode

    if not secrets.detect(value, key=key):
        return
    assert secrets.key_is_sensitive(key)
    assert secrets.may_match(json.dumps({key: value}))
    assert secrets.may_match(json.dumps({"outer": {key: value}}, indent=2))
    assert secrets.may_match(urlencode({key: value}))


def test_key_is_sensitive() -> None:
    assert secrets.key_is_sensitive("password")
    assert secrets.key_is_sensitive("DD-API-KEY")
    for key in ("max_tokens", "content", "role", "", "token_type"):
        assert not secrets.key_is_sensitive(key)
