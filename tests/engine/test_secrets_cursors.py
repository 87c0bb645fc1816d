"""Pagination and sync cursors are not credentials: ``pageToken``, ``continuation-token``,
``$skiptoken``, ``nextPageToken`` name a position in a listing, and redacting one breaks the
provider's own API call (S3 ListObjectsV2, Drive, Calendar, Microsoft Graph). Names of real tokens
(``access_token``, ``refresh_token``, ``id_token``, ``session_token``, ``csrf_token``) still count,
and a provider-format credential is found whatever the field is called."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from secret_samples import B62, github, r

from interven_autoguard import Decision, LocalScanner
from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets.context import CURSOR_WORDS, classify_key

CURSOR_NAMES = [
    "continuation-token", "ContinuationToken", "pageToken", "page_token", "syncToken", "$skiptoken",
    "$deltatoken", "nextPageToken", "next_page_token", "NextToken", "next_token", "cursor_token",
    "startPageToken", "pagination_token", "resumeToken", "resumptionToken", "nextSyncToken",
]
CREDENTIAL_NAMES = ["access_token", "refresh_token", "id_token", "session_token", "csrf_token", "token",
                    "auth_token", "page_access_token", "next_access_token", "x-auth-token", "apiToken"]


@pytest.mark.parametrize("name", CURSOR_NAMES)
def test_cursor_names_are_not_credentials(name: str) -> None:
    assert classify_key(name) is None
    value = r(B62, 40)
    assert secrets.detect(value, key=name) == []
    assert secrets.detect(f'{{"{name}": "{value}"}}') == []
    assert secrets.detect(f"{name}={value}&x=1") == []


@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
def test_token_names_still_are(name: str) -> None:
    assert classify_key(name) == "token", name


@pytest.mark.parametrize("name", ["pageToken", "nextPageToken", "continuation-token"])
def test_a_provider_credential_under_a_cursor_name_is_still_found(name: str) -> None:
    token = github("ghp_")
    assert [h.type for h in secrets.detect(token, key=name)] == ["GITHUB_PAT"]


@given(word=st.sampled_from(sorted(CURSOR_WORDS)), style=st.sampled_from(["snake", "camel", "kebab", "flat"]),
       lead=st.sampled_from(["", "next", "x"]))
def test_any_spelling_of_a_cursor_name_is_not_a_credential(word: str, style: str, lead: str) -> None:
    words = [w for w in (lead, word, "token") if w]
    name = {
        "snake": "_".join(words),
        "kebab": "-".join(words),
        "camel": words[0] + "".join(w.capitalize() for w in words[1:]),
        "flat": "".join(words),
    }[style]
    assert classify_key(name) is None, name


@pytest.mark.parametrize("url", [
    "https://my-bucket.s3.us-east-1.amazonaws.com/?list-type=2&continuation-token="
    "1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D",
    "https://www.googleapis.com/drive/v3/files?pageSize=100&pageToken="
    "CiAKGjBpNDd2Nmp2Zml2cXRiMjNtMXEzdDh1ZmJxEAEYASABKAE",
    "https://www.googleapis.com/calendar/v3/calendars/primary/events?syncToken=CPDAlvWDx70CEPDAlvWDx70CGAU%3D",
    "https://graph.microsoft.com/v1.0/users?$skiptoken=RFNwdAIAAQAAAD8TZWxlbWVudF9pZD0xMjM0NTY3ODkw",
])
def test_listing_calls_pass_unchanged(url: str) -> None:
    result = LocalScanner().scan(method="GET", url=url)
    assert result.decision == Decision.ALLOW and result.findings == []


def test_a_cursor_in_a_json_body_passes() -> None:
    body = json.dumps({"nextPageToken": "QVFIUjRtc2lVT2Rxb3N2T1JTWkd4V1h3Y2t0cHZZZUZ3YnZ6RnE5"})
    result = LocalScanner().scan(method="POST", url="https://api.mycompany.com/sync", body=body,
                                 headers={"Content-Type": "application/json"})
    assert result.decision == Decision.ALLOW
