"""LLM SDKs (openai, anthropic) send through httpx2 and retry connection errors: a block must reach
the agent once — not be retried, re-scanned or re-asked for approval."""

from __future__ import annotations

import pickle

import pytest
from guardkit import RecordingServer, RuleScanner

from interven_autoguard import RequestBlocked
from interven_autoguard.guard.errors import blocked_error


def test_openai_does_not_retry_a_blocked_request(server: RecordingServer, scanner: RuleScanner,
                                                 guard_on) -> None:
    openai = pytest.importorskip("openai")
    guard_on()
    client = openai.OpenAI(base_url=server.url("/deny/v1"), api_key="test-key", max_retries=2)
    with pytest.raises(openai.OpenAIError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert isinstance(caught.value, RequestBlocked)
    assert len(scanner.calls) == 1 and server.connections == 0


def test_openai_approval_denied_is_asked_once(server: RecordingServer, scanner: RuleScanner,
                                              guard_on) -> None:
    openai = pytest.importorskip("openai")
    scanner.approval_state = "denied"
    guard_on()
    client = openai.OpenAI(base_url=server.url("/approve/v1"), api_key="test-key", max_retries=3)
    with pytest.raises(RequestBlocked):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert len(scanner.approvals) == 1


def test_openai_allowed_call_goes_through(server: RecordingServer, scanner: RuleScanner, guard_on) -> None:
    openai = pytest.importorskip("openai")
    guard_on()
    client = openai.OpenAI(base_url=server.url("/v1"), api_key="test-key", max_retries=0)
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hello"}])
    assert server.last().target == "/v1/chat/completions"
    assert b'"content":"hello"' in server.last().body.replace(b" ", b"")
    assert len(scanner.calls) == 1


def test_anthropic_does_not_retry_a_blocked_request(server: RecordingServer, scanner: RuleScanner,
                                                    guard_on) -> None:
    anthropic = pytest.importorskip("anthropic")
    guard_on()
    client = anthropic.Anthropic(base_url=server.url("/deny"), api_key="test-key", max_retries=2)
    with pytest.raises(anthropic.AnthropicError) as caught:
        client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    assert isinstance(caught.value, RequestBlocked)
    assert len(scanner.calls) == 1 and server.connections == 0


def test_blocked_errors_pickle_round_trip() -> None:
    pytest.importorskip("openai")
    for cls in (blocked_error("requests"), blocked_error("httpx2", ("openai",)),
                blocked_error("http.client")):
        exc = cls("blocked", decision="DENY", reason_codes=["POLICY_RULE"], method="GET", url="http://x/")
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is cls and back.reason_codes == ["POLICY_RULE"] and str(back) == "blocked"
