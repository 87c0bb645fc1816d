"""A file committed as base64 (GitHub's contents API) with a token in it, sent through every HTTP
library with the embedded engine installed: the server receives valid base64 of the file with only
the token replaced, wrapped as it was sent, with a Content-Length that matches the rewritten body."""

from __future__ import annotations

import base64
import json

import pytest
from guard_clients import DRIVERS, Driver
from guardkit import RecordingServer


def _github_token() -> str:
    from interven_autoguard.engine.secrets import validators

    body = "Z8x3Cv5bN7mQ1wE9rT2yU4iO6pA0sD"  # built at run time: no credential-shaped literal
    return "ghp_" + body + validators.crc32_base62(body)


TOKEN = _github_token()
FILE = (
    "# deploy settings\nREGION=eu-west-1\nGITHUB_TOKEN=" + TOKEN + "\nREPLICAS=3\n"
    + "".join(f"# line {i}: what? -> nothing\n" for i in range(20))
)


def _wrapped(text: str, width: int = 60) -> str:
    """Base64 as GitHub's API writes it: 60 columns, LF, a final LF."""
    blob = base64.b64encode(text.encode()).decode()
    return "\n".join(blob[i : i + width] for i in range(0, len(blob), width)) + "\n"


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.name for d in DRIVERS])
def test_a_token_in_a_committed_file_leaves_as_valid_base64_of_the_file(
    driver: Driver, server: RecordingServer, embedded
) -> None:
    content = _wrapped(FILE)
    body = json.dumps({"message": "add deploy.env", "content": content, "branch": "main"}).encode()
    url = server.url("/repos/acme/api/contents/deploy.env")
    assert driver.send("PUT", url, body, {"Content-Type": "application/json"}) == 200
    got = server.last()
    assert int(got.header("content-length") or 0) == len(got.body)
    sent = json.loads(got.body)
    assert sent["message"] == "add deploy.env" and sent["branch"] == "main"
    assert sent["content"] == _wrapped(FILE.replace(TOKEN, "[REDACTED:GITHUB_PAT]"))
    assert base64.b64decode(sent["content"]).decode() == FILE.replace(TOKEN, "[REDACTED:GITHUB_PAT]")
    assert TOKEN.encode() not in got.body
