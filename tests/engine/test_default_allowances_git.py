"""The default policy's allowances for the git identity fields of GitHub's and GitLab's commit APIs
(fifth audit, H2).

A commit or tag created through the API carries its author's, committer's or tagger's e-mail; the
host writes it into the git object, and ``[REDACTED:EMAIL]`` there is an invalid identity the host
rejects. Only those fields are excused: an address in the commit message or the file's content, an
SSN in the identity field, the same body to another host or another endpoint are still redacted.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from interven_autoguard.engine.scanner import LocalScanner
from interven_autoguard.model import Decision, ScanResponse

SCANNER = LocalScanner()
GH = "https://api.github.com/repos/acme/api"
GL = "https://gitlab.com/api/v4/projects"
AUTHOR = "jane.doe@acme-corp.com"
COMMITTER = "bob.smith@acme-corp.com"
STRAY = "carol.stray@example.net"
SSN = "536-22-8107"


def scan(method: str, url: str, body: Any, content_type: str = "application/json") -> ScanResponse:
    text = body if isinstance(body, str) else json.dumps(body)
    return SCANNER.scan(method=method, url=url, headers={"Content-Type": content_type}, body=text)


def acted(response: ScanResponse) -> set[str]:
    return {f.location for f in response.findings if f.redacted}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def git_commit(message: str = "fix: race") -> dict[str, Any]:
    return {
        "message": message,
        "tree": "3f786850e387550fdab836ed7e6dc881de23001b",
        "parents": ["9c1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"],
        "author": {"name": "Jane Doe", "email": AUTHOR, "date": "2026-11-27T07:00:00Z"},
        "committer": {"name": "Bob Smith", "email": COMMITTER, "date": "2026-11-27T07:00:00Z"},
    }


def contents(message: str = "docs: readme", content: str = "# API\n") -> dict[str, Any]:
    return {
        "message": message,
        "content": b64(content),
        "branch": "main",
        "committer": {"name": "Bob Smith", "email": COMMITTER},
        "author": {"name": "Jane Doe", "email": AUTHOR},
    }


def gitlab_commit(message: str = "fix: race", content: str = "print('hi')\n") -> dict[str, Any]:
    return {
        "branch": "main",
        "commit_message": message,
        "author_email": AUTHOR,
        "author_name": "Jane Doe",
        "actions": [{"action": "update", "file_path": "app.py", "content": content}],
    }


def gitlab_file(message: str = "docs", content: str = "# API\n") -> dict[str, Any]:
    return {"branch": "main", "commit_message": message, "author_email": AUTHOR, "content": content}


# (allowance id, method, url, body, the same with a stray address elsewhere, where that one is)
CASES: dict[str, tuple[str, str, str, Any, Any, set[str]]] = {
    "github-git-commit": (
        "github-git-identity", "POST", GH + "/git/commits", git_commit(),
        git_commit("fix: race\n\nReported-by: " + STRAY), {"body$.message"},
    ),
    "github-git-tag": (
        "github-git-identity", "POST", GH + "/git/tags",
        {"tag": "v1.2.0", "message": "release", "object": "3f786850e387550fdab836ed7e6dc881de23001b",
         "type": "commit", "tagger": {"name": "Jane Doe", "email": AUTHOR, "date": "2026-11-27T07:00:00Z"}},
        {"tag": "v1.2.0", "message": "release, questions to " + STRAY,
         "object": "3f786850e387550fdab836ed7e6dc881de23001b", "type": "commit",
         "tagger": {"name": "Jane Doe", "email": AUTHOR}},
        {"body$.message"},
    ),
    "github-contents-put": (
        "github-git-identity", "PUT", GH + "/contents/docs/guide/README.md", contents(),
        contents(content="# API\nMaintainer: " + STRAY + "\n"), {"body$.content"},
    ),
    "github-contents-delete": (
        "github-git-identity", "DELETE", GH + "/contents/old.txt",
        {"message": "remove", "sha": "329688480d39049927147c162b9d2deaf885005f",
         "committer": {"name": "Bob Smith", "email": COMMITTER}},
        {"message": "remove, asked by " + STRAY, "sha": "329688480d39049927147c162b9d2deaf885005f",
         "committer": {"name": "Bob Smith", "email": COMMITTER}},
        {"body$.message"},
    ),
    "gitlab-commit": (
        "gitlab-git-identity", "POST", GL + "/acme%2Fapi/repository/commits", gitlab_commit(),
        gitlab_commit(content=f"OWNER = '{STRAY}'\n"), {"body$.actions[0].content"},
    ),
    "gitlab-file-put": (
        "gitlab-git-identity", "PUT", GL + "/42/repository/files/src%2Fapp.py", gitlab_file(),
        gitlab_file(message="docs for " + STRAY), {"body$.commit_message"},
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_the_git_identity_goes_out_untouched(name: str) -> None:
    allow_id, method, url, body, _leak, _where = CASES[name]
    r = scan(method, url, body)
    assert r.decision == Decision.ALLOW, [(f.type, f.location) for f in r.findings if f.redacted]
    assert allow_id in r.matched_rules
    assert {f.type for f in r.findings} == {"EMAIL"}  # found, and excused
    assert not acted(r)


@pytest.mark.parametrize("name", CASES)
def test_an_address_in_the_message_or_the_content_is_still_redacted(name: str) -> None:
    _allow_id, method, url, _body, leak, where = CASES[name]
    r = scan(method, url, leak)
    assert r.decision == Decision.SANITIZE
    assert acted(r) == where
    assert STRAY not in json.dumps(r.sanitized_body)


@pytest.mark.parametrize("name", CASES)
def test_the_same_body_to_another_host_is_redacted(name: str) -> None:
    _allow_id, method, url, body, _leak, _where = CASES[name]
    host = "api.github.com" if "github" in url else "gitlab.com"
    r = scan(method, url.replace(host, "git.example-relay.net"), body)
    assert r.decision == Decision.SANITIZE and r.matched_rules == []


def test_an_identity_field_does_not_excuse_an_ssn() -> None:
    body = git_commit()
    body["author"]["email"] = SSN
    r = scan("POST", GH + "/git/commits", body)
    assert r.decision == Decision.SANITIZE and acted(r) == {"body$.author.email"}


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", GH + "/issues"),  # another endpoint of the same API
        ("POST", GH + "/pulls"),
        ("POST", "https://api.github.com/repos/acme/api/git/commits/extra"),
        ("POST", "https://api.github.com.evil.example/repos/acme/api/git/commits"),
    ],
)
def test_the_same_fields_elsewhere_are_not_excused(method: str, url: str) -> None:
    r = scan(method, url, git_commit())
    assert r.decision == Decision.SANITIZE
    assert acted(r) == {"body$.author.email", "body$.committer.email"}
