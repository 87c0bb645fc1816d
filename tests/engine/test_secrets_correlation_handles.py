"""A protocol's correlation handles are not credentials (third audit, problem 7).

MCP's ``params._meta.progressToken`` is a string or number the *client* picks so that the server's
``notifications/progress`` can name the request. A nanoid or hex one was rewritten to
``[REDACTED:GENERIC_TOKEN]``, so the notifications carried a token the client never sent.
Idempotency, de-duplication, correlation and trace tokens are the same kind of value; names ending
in "id" (``requestId``, ``correlationId``, ``x-request-id``) and ``traceparent`` never counted.
Real token names and provider-format credentials still do, under any name.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from secret_samples import B62, github, r

import interven_autoguard
from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets.context import CORRELATION_WORDS, classify_key

MCP_URL = "https://mcp.example-vendor.com/mcp"
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": "2025-06-18", "Mcp-Session-Id": "1868a90c5f3c4e2b9d7a6b5c4d3e2f1a"}


def tools_call(meta: dict[str, Any], arguments: dict[str, Any] | None = None) -> Any:
    return interven_autoguard.scan(method="POST", url=MCP_URL, headers=MCP_HEADERS, body={
        "jsonrpc": "2.0", "id": 14, "method": "tools/call",
        "params": {"name": "long_job", "arguments": arguments or {"n": 5}, "_meta": meta}})


@pytest.mark.parametrize("token", ["V1StGXR8_Z5jdHi6B-myT", "c2e8f9d1a7b3", "pt-21e38160e0cb", 7,
                                   "5f3c2a1b-0d9e-4f8a-b7c6-d5e4f3a2b1c0", "progress-Qm8Zp2Lm7Vn3Rt9Sx1Wy5"])
def test_mcp_progress_tokens_pass_unchanged(token: Any) -> None:
    result = tools_call({"progressToken": token})
    assert result.decision == "ALLOW" and result.findings == []


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=B62 + "_-", min_size=8, max_size=48))
def test_any_client_chosen_progress_token_passes(token: str) -> None:
    result = tools_call({"progressToken": token})
    assert result.decision == "ALLOW", [(f.type, f.location) for f in result.findings]


def test_a_credential_next_to_the_progress_token_is_still_found() -> None:
    pat = github("ghp_")
    result = tools_call({"progressToken": "V1StGXR8_Z5jdHi6B-myT"},
                        arguments={"repo": "acme/api", "access_token": r(B62, 40)})
    assert [(f.type, f.location) for f in result.findings] == [
        ("GENERIC_TOKEN", "body$.params.arguments.access_token")]
    # a provider-format credential is found whatever the field is called
    result = tools_call({"progressToken": pat})
    assert [f.type for f in result.findings] == ["GITHUB_PAT"]


@pytest.mark.parametrize(("name", "value"), [
    ("requestId", "req_Qm8Zp2Lm7Vn3Rt9Sx1Wy5Az6"), ("correlationId", "Qm8Zp2Lm7Vn3Rt9Sx1Wy5Az6"),
    ("x-request-id", "Qm8Zp2Lm7Vn3Rt9Sx1Wy5Az6"), ("idempotencyToken", "Qm8Zp2Lm7Vn3Rt9Sx1Wy5Az6"),
    ("idempotency_key", "Qm8Zp2Lm7Vn3Rt9Sx1Wy5Az6"), ("correlationToken", "Qm8Zp2Lm7Vn3Rt9Sx1Wy5Az6"),
    ("dedupToken", "Qm8Zp2Lm7Vn3Rt9Sx1Wy5Az6"), ("traceToken", "Qm8Zp2Lm7Vn3Rt9Sx1Wy5Az6"),
    ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
])
def test_correlation_handles_in_a_body_pass(name: str, value: str) -> None:
    result = interven_autoguard.scan(method="POST", url="https://api.example-vendor.com/v1/jobs",
                                     headers={"Content-Type": "application/json"},
                                     body={"job": {"kind": "export"}, name: value})
    assert result.decision == "ALLOW" and result.findings == []


@given(word=st.sampled_from(sorted(CORRELATION_WORDS)),
       style=st.sampled_from(["snake", "camel", "kebab", "flat"]))
def test_any_spelling_of_a_correlation_token_name_is_not_a_credential(word: str, style: str) -> None:
    words = [word, "token"]
    name = {"snake": "_".join(words), "kebab": "-".join(words), "flat": "".join(words),
            "camel": words[0] + "".join(w.capitalize() for w in words[1:])}[style]
    assert classify_key(name) is None, name
    assert secrets.detect(r(B62, 32), key=name) == []


@pytest.mark.parametrize("name", ["requestToken", "taskToken", "progressAccessToken", "access_token",
                                  "session_token", "clientToken"])
def test_names_that_may_authenticate_still_count(name: str) -> None:
    assert classify_key(name) == "token"
