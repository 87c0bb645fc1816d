"""Mailboxes that are nobody's personal data (fifth audit, H2): the co-author and sign-off trailers
coding agents put on nearly every commit and pull request, and no-reply senders.

``Co-Authored-By: Claude <noreply@anthropic.com>``, GitHub's privacy addresses
(``583231+octocat@users.noreply.github.com``) and bots' fixed identities were redacted as EMAIL,
rewriting every agent commit. They are no one's mailbox; a person's address in the same text, or one
that only looks like these, is still redacted.
"""

from __future__ import annotations

from typing import Any

import pytest

import interven_autoguard
from interven_autoguard.engine import pii

REPO = "https://api.github.com/repos/acme/api"
PERSON = "jane.doe@acme-corp.com"

TRAILERS = [
    "🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n"
    "Co-Authored-By: Claude <noreply@anthropic.com>",
    "Co-authored-by: octocat <583231+octocat@users.noreply.github.com>",
    "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
    "Co-authored-by: openhands <openhands@all-hands.dev>",
    "Signed-off-by: dependabot[bot] <support@github.com>",
    "Signed-off-by: Renovate Bot <bot@renovateapp.com>",
    "Co-authored-by: Cursor Agent <cursoragent@cursor.com>",
    "Co-authored-by: jane <4711-jane@users.noreply.gitlab.com>",
    "Co-authored-by: GitHub <noreply@github.com>",
    "From: Acme <No-Reply@acme-corp.com>",
    "sent by DoNotReply@acme-corp.com and do-not-reply@acme-corp.com, no_reply@acme-corp.com",
]


def pull_request(text: str) -> Any:
    body = {"title": "fix: race", "head": "fix/race", "base": "main", "body": text}
    return interven_autoguard.scan(method="POST", url=REPO + "/pulls", body=body)


@pytest.mark.parametrize("trailer", TRAILERS)
def test_agent_and_bot_trailers_pass_untouched(trailer: str) -> None:
    assert pii.detect(trailer) == []
    response = pull_request(trailer)
    assert response.decision == "ALLOW" and response.findings == []


@pytest.mark.parametrize("trailer", TRAILERS)
def test_a_person_next_to_the_trailer_is_still_redacted(trailer: str) -> None:
    text = f"Fixes the race. Reported by {PERSON}.\n\n{trailer}"
    response = pull_request(text)
    assert response.decision == "SANITIZE"
    assert [(f.type, text[f.start : f.end]) for f in response.findings] == [("EMAIL", PERSON)]
    assert PERSON not in response.sanitized_body["body"]


@pytest.mark.parametrize(
    "address",
    [
        "noreply.jane@acme-corp.com",  # the word inside a personal local part
        "jane-noreply@acme-corp.com",
        "noreplyjane@acme-corp.com",
        "jane@noreply.com",  # a domain named so is anyone's
        "octocat@github.com",
        "jane@anthropic.com",
        "583231+octocat@users.noreply.github.com.evil.io",  # look-alike domains
        "583231+octocat@mail.users.noreply.github.com",
        "583231+octocat@users-noreply.github.com",
        "openhands@all-hands.dev.example.org",
        "support@gitlab.com",
    ],
)
def test_addresses_that_only_look_like_them_are_still_found(address: str) -> None:
    text = f"Co-authored-by: someone <{address}>"
    assert [(h.type, text[h.start : h.end]) for h in pii.detect(text)] == [("EMAIL", address)]
