"""``[bindings]``: hosts a policy adds to a provider's own, for gateways and proxies that carry its
credentials (LiteLLM, Portkey, Helicone, a company's own AI gateway). Without one, an OpenAI key sent
to such a host is ``CREDENTIAL_HOST_MISMATCH`` on every call, and the only way out was to stop
scanning that host altogether."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_samples import B64U, r

from interven_autoguard import Decision, LocalScanner, ReasonCode
from interven_autoguard.engine import scanner as scanner_module
from interven_autoguard.engine.policy import Policy
from interven_autoguard.engine.secrets import host_allowed_for_provider
from interven_autoguard.errors import PolicyError

GATEWAYS = """
[bindings]
openai = ["oai.helicone.ai", "Gateway.AI.Cloudflare.com.", "10.0.0.5"]
anthropic = ["llm-gateway.internal.example"]
"""


@functools.cache
def openai_key(seed: int = 1) -> str:
    """One key per seed, the same on every call (built at run time)."""
    return f"sk-proj-{r(B64U, 74)}T3BlbkFJ{r(B64U, 74)}"


def auth(seed: int = 1) -> dict[str, str]:
    return {"Authorization": f"Bearer {openai_key(seed)}", "Content-Type": "application/json"}


# ------------------------------------------------------------------------------------- loading

def test_bindings_are_normalised_and_sorted() -> None:
    policy = Policy.from_text(GATEWAYS)
    assert policy.bindings == (
        ("anthropic", ("llm-gateway.internal.example",)),
        ("openai", ("10.0.0.5", "gateway.ai.cloudflare.com", "oai.helicone.ai")),
    )
    # IP literals in any notation the destinations read, written as they compare them
    written = Policy.from_text('[bindings]\nopenai = ["Bücher.Example", "[FD00::1]", "0x0A000005"]')
    assert written.bindings == (("openai", ("10.0.0.5", "fd00::1", "xn--bcher-kva.example")),)


def test_a_policy_without_bindings_keeps_its_version() -> None:
    assert Policy.default().bindings == ()
    assert "bindings" not in Policy.default()._content
    assert Policy.from_text('description = "x"').version == Policy.default().version
    assert Policy.from_text(GATEWAYS).version != Policy.default().version


@pytest.mark.parametrize(("text", "message"), [
    ('[bindings]\nopenia = ["x.example"]', "did you mean 'openai'"),
    ('[bindings]\nage = ["x.example"]', "never sent to any host"),
    ('[bindings]\nopenai = "x.example"', "non-empty array"),
    ("[bindings]\nopenai = []", "non-empty array"),
    ("bindings = 3", "must be a table"),
    ('[bindings]\nopenai = ["*.x.example"]', "not a pattern"),
    ('[bindings]\nopenai = ["https://x.example"]', "host name alone"),
    ('[bindings]\nopenai = ["x.example/v1"]', "host name alone"),
    ('[bindings]\nopenai = ["user@x.example"]', "host name alone"),
    ('[bindings]\nopenai = ["x.example:8443"]', "without a port"),
    ('[bindings]\nopenai = ["gate_way!.example"]', "not a host name"),
    ('[bindings]\nopenai = ["-x.example"]', "not a host name"),
    ('[bindings]\nopenai = [""]', "expected a host name"),
    ("[bindings]\nopenai = [5]", "expected a host name"),
])
def test_bad_bindings_are_typed_errors_with_the_line(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message) as caught:
        Policy.from_text(text)
    assert "line " in str(caught.value)


# ------------------------------------------------------------------------------------- matching

@pytest.mark.parametrize(("host", "allowed"), [
    ("oai.helicone.ai", True),
    ("eu.oai.helicone.ai", True),  # a bound name covers its subdomains, as the built-in ones do
    ("OAI.Helicone.AI.", True),
    ("helicone.ai", False),
    ("oai.helicone.ai.evil.example", False),
    ("evil-oai.helicone.ai.example", False),
    ("10.0.0.5", True),
    ("1.10.0.0.5", False),
    ("110.0.0.5", False),
    ("api.openai.com", True),  # the provider's own domains still count
])
def test_bound_hosts_match_on_label_boundaries(host: str, allowed: bool) -> None:
    bindings = Policy.from_text(GATEWAYS).bindings
    assert host_allowed_for_provider("openai", host, bindings) is allowed
    assert host_allowed_for_provider("anthropic", host, bindings) is False or host == "api.openai.com"


def test_a_binding_is_for_its_provider_only() -> None:
    bindings = Policy.from_text(GATEWAYS).bindings
    assert not host_allowed_for_provider("github", "oai.helicone.ai", bindings)
    assert not host_allowed_for_provider("anthropic", "oai.helicone.ai", bindings)


# ------------------------------------------------------------------------------------- scanning

@pytest.mark.parametrize("url", [
    "https://oai.helicone.ai/v1/chat/completions",
    "https://gateway.ai.cloudflare.com/v1/acct/gw/openai/chat/completions",
    "http://10.0.0.5:4000/v1/chat/completions",
])
def test_a_key_to_its_bound_gateway_is_allowed_and_elsewhere_denied(url: str) -> None:
    body = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}'
    plain = LocalScanner().scan(method="POST", url=url, headers=auth(), body=body)
    assert plain.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in plain.reason_codes
    bound = LocalScanner(policy=GATEWAYS)
    assert bound.scan(method="POST", url=url, headers=auth(), body=body).decision == Decision.ALLOW
    assert bound.quiet_allow("POST", url, auth(), body)
    other = bound.scan(method="POST", url="https://collect.example/x", headers=auth(), body=body)
    assert other.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in other.reason_codes


def test_a_bound_key_in_the_query_is_the_gateways_auth_too() -> None:
    url = f"https://oai.helicone.ai/v1/models?key={openai_key()}"
    assert LocalScanner().scan(method="GET", url=url).decision != Decision.ALLOW
    assert LocalScanner(policy=GATEWAYS).scan(method="GET", url=url).decision == Decision.ALLOW


def test_a_bound_key_in_the_body_is_still_a_leak() -> None:
    body = f'{{"note": "my key is {openai_key()}"}}'.encode()
    r = LocalScanner(policy=GATEWAYS).scan(method="POST", url="https://oai.helicone.ai/v1/x", body=body,
                                           headers={"Content-Type": "application/json"})
    assert r.decision != Decision.ALLOW and r.findings


@pytest.mark.parametrize("shape", ["dict", "pairs", "raw", "raw with its length"])
def test_the_quiet_lane_forgets_a_binding_the_new_policy_drops(shape: str) -> None:
    """The lane remembers header sets found clean, keyed by host and bindings: a policy swapped for
    one without the binding must not find the remembered answer."""
    url = "https://oai.helicone.ai/v1/chat/completions"
    headers: Any = auth(7)
    if shape == "pairs":
        headers = list(headers.items())
    elif shape.startswith("raw"):
        headers = [(k.encode(), v.encode()) for k, v in headers.items()]
        if shape.endswith("length"):  # the remembered set leaves Content-Length out of its key
            headers.append((b"Content-Length", b"2"))
    engine = LocalScanner(policy=GATEWAYS)
    for _ in range(3):
        assert engine.quiet_allow("POST", url, headers, b"{}")
    engine.policy = Policy.load(None)
    assert not engine.quiet_allow("POST", url, headers, b"{}")
    assert engine.scan(method="POST", url=url, headers=dict(auth(7)), body=b"{}").decision == Decision.DENY
    engine.policy = Policy.from_text(GATEWAYS)
    assert engine.quiet_allow("POST", url, headers, b"{}")


HOSTS = ["oai.helicone.ai", "x.oai.helicone.ai", "helicone.ai", "api.openai.com", "10.0.0.5", "10.0.0.6",
         "gateway.ai.cloudflare.com", "collect.example"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(HOSTS), st.booleans(), st.integers(0, 2)), min_size=1, max_size=12))
def test_the_lane_answers_as_scan_across_policies(steps: list[tuple[str, bool, int]]) -> None:
    """A run of requests (host, policy with or without the bindings, which key) on one engine, its
    caches kept across them: the lane allows exactly what ``scan`` allows without findings."""
    engine = LocalScanner()
    with_bindings, without = Policy.from_text(GATEWAYS), Policy.load(None)
    for host, bound, seed in steps:
        engine.policy = with_bindings if bound else without
        url = f"https://{host}/v1/chat/completions"
        for headers in (auth(seed), [(k.encode(), v.encode()) for k, v in auth(seed).items()]):
            quiet = engine.quiet_allow("POST", url, headers, b'{"a": "b"}')
            response = engine.scan(method="POST", url=url, headers=auth(seed), body=b'{"a": "b"}')
            assert quiet == (response.decision == Decision.ALLOW and not response.findings), (host, bound)
    assert len(scanner_module._raw_heads) <= 1024
