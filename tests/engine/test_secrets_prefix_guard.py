"""A token right after a separator its own alphabet lacks is still found.

Each rule refuses a match whose literal prefix sits inside a longer token (the guard against
"glpat-glpat-…" floods). It used to refuse every token character before the prefix, so "X-ghp_…"
(a header *name* carrying a key), "key_sk_live_…" or "prefix-xoxb-…" went out unseen."""

from __future__ import annotations

import pytest
from secret_samples import SAMPLES

import interven_autoguard
from interven_autoguard.engine import secrets

# Rules whose tokens are built of letters and digits (and a fixed prefix): nothing of their own
# alphabet is "-" or "_", so a token after either is a token.
ALNUM_TOKENS = ["github-pat", "github-fine-grained-pat", "stripe-secret-key", "slack-bot-token",
                "huggingface-access-token", "groq-api-key", "openrouter-api-key", "npm-access-token",
                "digitalocean-pat", "shopify-access-token", "linear-api-key"]


def _token(rule_id: str) -> str:
    _text, value = SAMPLES[rule_id]()
    return value


@pytest.mark.parametrize("rule_id", ALNUM_TOKENS)
@pytest.mark.parametrize("before", ["X-", "key_", "a-b-", "__"])
def test_a_token_after_a_separator_it_lacks_is_found(rule_id: str, before: str) -> None:
    value = _token(rule_id)
    text = f"{before}{value} rest"
    hits = [(h.detector, h.start, h.end) for h in secrets.detect(text)]
    assert (rule_id, len(before), len(before) + len(value)) in hits


@pytest.mark.parametrize("rule_id", ALNUM_TOKENS)
def test_a_token_glued_to_letters_or_digits_is_still_refused(rule_id: str) -> None:
    value = _token(rule_id)
    assert not [h for h in secrets.detect(f"x9{value} rest") if h.detector == rule_id]


def test_a_prefix_flood_of_a_token_that_reads_dashes_is_still_refused_inside_the_run() -> None:
    """"glpat-" reads "-" and "_": an occurrence right after another stays refused (the flood
    guard), while the same token after a space is found."""
    value = _token("gitlab-pat")
    assert not [h for h in secrets.detect("glpat-" + value) if h.start == 6]
    assert [h for h in secrets.detect("x " + value) if h.detector == "gitlab-pat"]


def test_a_key_in_a_header_name_is_denied_end_to_end() -> None:
    token = _token("github-pat")
    response = interven_autoguard.scan(method="POST", url="https://collector.example.net/a",
                                       headers={"X-" + token: "1"}, body=b"")
    assert response.decision == "DENY"
    assert [(f.type, f.location) for f in response.findings] == [("GITHUB_PAT", "header#0.name")]
    assert token not in repr(response.findings)
