"""The LangSmith key and loopback destinations (fourth audit, item 1).

The LangGraph SDK sends the environment's LangSmith key (``LANGSMITH_API_KEY``, ``lsv2_…``) as
``x-api-key`` to every LangGraph server it talks to: LangGraph Platform deployments on
``*.langgraph.app``, the local ``langgraph dev`` server and self-hosted servers. The key was bound to
``langchain.com`` only, so every LangGraph client call was a ``CREDENTIAL_HOST_MISMATCH``.

Now ``langgraph.app`` is LangSmith's (a ``deployment`` tenant: bound in auth headers until a policy's
``[bindings]`` names the provider's hosts, never in the URL); loopback is bound for LangSmith only
(``LOCAL_SERVER_PROVIDERS``: its tooling runs the local server), since a port on this machine may be
a tunnel, a sidecar or a relay to another; a self-hosted server, and a local server of one's own
for another provider, is named in ``[bindings]``. A foreign host, a Host header fronting a loopback
URL elsewhere, and the key as content stay what they were.
"""

from __future__ import annotations

from typing import Any

import pytest
from secret_samples import B64U, HEX, SAMPLES, r

from interven_autoguard import Decision, LocalScanner, ReasonCode
from interven_autoguard.engine import secrets
from interven_autoguard.engine.policy import Policy
from interven_autoguard.engine.secrets.providers import PROVIDER_HOSTS, is_loopback_host

BODY = {
    "assistant_id": "agent",
    "input": {"messages": [{"role": "human", "content": "Summarise ticket 48213"}]},
}


def langsmith_key() -> str:
    return f"lsv2_pt_{r(HEX, 32)}_{r(HEX, 10)}"


def scan(url: str, headers: dict[str, str], body: Any = None, policy: Any = None) -> Any:
    sent = {"Content-Type": "application/json", "User-Agent": "langgraph-sdk-py/0.1.31", **headers}
    return LocalScanner(policy=policy).scan(
        method="POST", url=url, headers=sent, body=BODY if body is None else body
    )


def mismatch(result: Any) -> bool:
    return result.decision == Decision.DENY and ReasonCode.CREDENTIAL_HOST_MISMATCH in result.reason_codes


@pytest.mark.parametrize(
    "url",
    [
        "https://support-bot-3f9a1c.us.langgraph.app/threads/6f1c2e0a-5b7d-4c3e-9f8a-1b2c3d4e5f60/runs/stream",
        "https://coagents-3f9a1c.default.us.langgraph.app/assistants/search",
        "https://agent-3f9a1c.eu.langgraph.app/runs/wait",
        "https://api.smith.langchain.com/runs/batch",
        "http://localhost:2024/threads/6f1c2e0a-5b7d-4c3e-9f8a-1b2c3d4e5f60/runs/wait",
        "http://127.0.0.1:2024/assistants/search",
        "http://127.0.0.1:8123/assistants/search",
        "http://[::1]:2024/assistants/search",
        "http://studio.localhost:2024/assistants/search",
    ],
)
def test_langgraph_sdk_calls_are_allowed(url: str) -> None:
    result = scan(url, {"x-api-key": langsmith_key()})
    assert result.decision == Decision.ALLOW, (url, result.reason_codes, result.findings)


@pytest.mark.parametrize(
    "url",
    [
        "https://langgraph.acme-corp.com/runs/stream",  # self-hosted: [bindings] langsmith = [...]
        "http://langgraph-api:8000/runs/stream",
        "https://langgraph.app.evil.example/runs/stream",
        "https://evil-langgraph.app/runs/stream",
        "http://10.0.0.7:8123/runs/stream",  # a private address is another machine
        "http://localtest.me:2024/runs/stream",  # public DNS that answers 127.0.0.1: not this machine's
    ],
)
def test_the_key_elsewhere_is_a_mismatch(url: str) -> None:
    assert mismatch(scan(url, {"x-api-key": langsmith_key()}))


def test_self_hosted_langgraph_is_named_in_bindings() -> None:
    policy = Policy.from_text('[bindings]\nlangsmith = ["langgraph.acme-corp.com", "langgraph-api"]\n')
    key = langsmith_key()
    assert (
        scan("https://langgraph.acme-corp.com/runs/stream", {"x-api-key": key}, policy=policy).decision
        == Decision.ALLOW
    )
    assert (
        scan("http://langgraph-api:8000/runs/stream", {"x-api-key": key}, policy=policy).decision
        == Decision.ALLOW
    )
    # Naming LangSmith's hosts makes the deployments strict: only the ones named (and LangSmith).
    assert mismatch(
        scan("https://other-3f9a1c.us.langgraph.app/runs/stream", {"x-api-key": key}, policy=policy)
    )
    assert (
        scan("https://api.smith.langchain.com/runs/batch", {"x-api-key": key}, policy=policy).decision
        == Decision.ALLOW
    )
    named = Policy.from_text('[bindings]\nlangsmith = ["mine-3f9a1c.us.langgraph.app"]\n')
    assert (
        scan("https://mine-3f9a1c.us.langgraph.app/runs/stream", {"x-api-key": key}, policy=named).decision
        == Decision.ALLOW
    )
    assert mismatch(
        scan("https://theirs-3f9a1c.us.langgraph.app/runs/stream", {"x-api-key": key}, policy=named)
    )


def test_langgraph_deployments_take_the_key_in_headers_only() -> None:
    host = "support-bot-3f9a1c.us.langgraph.app"
    assert secrets.host_allowed_for_provider("langsmith", host)
    assert not secrets.host_allowed_for_provider("langsmith", host, in_url=True)
    assert secrets.host_allowed_for_provider("langsmith", "api.smith.langchain.com", in_url=True)
    assert "langgraph.app" in PROVIDER_HOSTS["langsmith"]
    result = LocalScanner().scan(method="GET", url=f"https://{host}/threads?api_key={langsmith_key()}")
    assert result.decision == Decision.SANITIZE and result.findings[0].type == "LANGSMITH_API_KEY"


def test_the_key_as_content_is_still_a_finding() -> None:
    key = langsmith_key()
    for url in ("http://localhost:2024/runs/wait", "https://support-bot-3f9a1c.us.langgraph.app/runs/wait"):
        body = {"input": {"messages": [{"role": "human", "content": f"my key is {key}"}]}}
        result = scan(url, {"x-api-key": key}, body=body)
        assert result.decision == Decision.SANITIZE
        assert [(f.type, f.location) for f in result.findings] == [
            ("LANGSMITH_API_KEY", "body$.input.messages[0].content")
        ]


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "[::1]",
        "[::1]:2024",
        "::ffff:127.0.0.1",
        "localhost",
        "LOCALHOST.",
        "localhost:2024",
        "app.localhost",
    ],
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "0.0.0.0",
        "::",
        "localhost.evil.example",
        "evil-localhost",
        "localtest.me",
        "127.0.0.1.nip.io",
        "",
        "example.com",
    ],
)
def test_not_loopback_hosts(host: str) -> None:
    assert not is_loopback_host(host)


def openai_key() -> str:
    return f"sk-proj-{r(B64U, 74)}T3BlbkFJ{r(B64U, 74)}"


LOCAL_MODEL = "http://localhost:11434/v1/chat/completions"  # Ollama; vLLM, LM Studio alike


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (LOCAL_MODEL, lambda: {"Authorization": f"Bearer {openai_key()}"}),
        ("http://127.0.0.1:8000/v1/chat/completions", lambda: {"Authorization": f"Bearer {openai_key()}"}),
        ("http://localhost:8126/api/v2/series", lambda: {"DD-API-KEY": r(HEX, 32)}),
        ("http://[::1]:8080/upload", lambda: {"Authorization": f"Bearer {SAMPLES['github-pat']()[1]}"}),
    ],
)
def test_other_providers_keys_to_loopback_are_a_mismatch(url: str, headers: Any) -> None:
    # A port on this machine may be an SSH or kubectl port-forward, a sidecar or a relay: another host.
    assert mismatch(scan(url, headers(), body={"model": "llama3", "messages": []}))


def test_a_local_server_of_ones_own_is_named_in_bindings() -> None:
    policy = Policy.from_text('[bindings]\nopenai = ["localhost", "127.0.0.1"]\n')
    headers = {"Authorization": f"Bearer {openai_key()}"}
    assert scan(LOCAL_MODEL, headers, body={"messages": []}, policy=policy).decision == Decision.ALLOW
    assert (
        scan(
            "http://127.0.0.1:8000/v1/chat/completions", headers, body={"messages": []}, policy=policy
        ).decision
        == Decision.ALLOW
    )
    assert mismatch(scan("http://[::1]:8000/v1/chat/completions", headers, body={}, policy=policy))


def test_the_langsmith_key_to_loopback_only_in_headers() -> None:
    assert secrets.host_allowed_for_provider("langsmith", "127.0.0.1")
    assert not secrets.host_allowed_for_provider("langsmith", "127.0.0.1", in_url=True)
    result = LocalScanner().scan(method="GET", url=f"http://localhost:2024/threads?api_key={langsmith_key()}")
    assert result.decision == Decision.SANITIZE


def test_a_host_header_fronting_loopback_elsewhere_is_judged_there() -> None:
    result = scan(
        "http://127.0.0.1:2024/runs", {"x-api-key": langsmith_key(), "Host": "collector.evil.example"}
    )
    assert mismatch(result)


def test_private_network_deny_still_denies_loopback() -> None:
    policy = Policy.from_text('[settings]\nprivate_network = "DENY"\n')
    result = scan("http://localhost:2024/runs/wait", {"x-api-key": langsmith_key()}, policy=policy)
    assert result.decision == Decision.DENY
    assert ReasonCode.SSRF_PRIVATE_NETWORK in result.reason_codes
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH not in result.reason_codes
