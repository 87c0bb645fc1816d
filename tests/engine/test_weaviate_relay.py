"""Provider keys relayed by a vector database: Weaviate's clients pass the user's model-provider keys
to the Weaviate cluster in module headers (``X-OpenAI-Api-Key``, ``X-Cohere-Api-Key``, ...) so that its
vectorizer, reranker and generative modules call the provider with them. To Weaviate Cloud, a key in
the module header for its own provider is allowed by default (``KEY_RELAY_HEADERS``,
``KEY_RELAY_HOSTS``); anything else keeps the binding rule.

All credentials are fake, built at run time with the right shape.
"""

from __future__ import annotations

from typing import Any

import pytest
from secret_samples import B62, SAMPLES, r

from interven_autoguard import Decision, LocalScanner, ReasonCode
from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets import providers

OPENAI_KEY = SAMPLES["openai-project-key"]()[1]
ANTHROPIC_KEY = SAMPLES["anthropic-api-key"]()[1]
GOOGLE_KEY = SAMPLES["google-api-key"]()[1]
HF_TOKEN = SAMPLES["huggingface-access-token"]()[1]
COHERE_KEY = r(B62, 40)
WEAVIATE_KEY = r(B62, 40)
CLUSTER = "rv8dx3ks.c0.europe-west3.gcp.weaviate.cloud"
GRAPHQL = f"https://{CLUSTER}/v1/graphql"
QUERY = {"query": '{ Get { Article(nearText: {concepts: ["billing"]}, limit: 3) { title } } }'}


@pytest.fixture(scope="module")
def scanner() -> LocalScanner:
    return LocalScanner()


def weaviate_headers(**module_headers: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {WEAVIATE_KEY}", **module_headers}


def scan(scanner: LocalScanner, url: str, headers: dict[str, str], body: Any = None) -> Any:
    return scanner.scan(method="POST", url=url, headers=headers, body=QUERY if body is None else body)


def test_every_relay_header_names_a_known_provider_and_relay() -> None:
    for header, (relay, provider) in providers.KEY_RELAY_HEADERS.items():
        assert header == header.lower()
        assert relay in providers.KEY_RELAY_HOSTS
        assert provider in providers.PROVIDER_HOSTS
        assert secrets.is_auth_header(header), header  # the exemption is for auth headers only


@pytest.mark.parametrize("host", [
    CLUSTER,
    "rv8dx3ks.c0.us-west3.gcp.weaviate.cloud",
    "my-sandbox-x1y2z3.weaviate.network",  # legacy WCS
    f"{CLUSTER}:443",
])
@pytest.mark.parametrize(("header", "key"), [
    ("X-OpenAI-Api-Key", OPENAI_KEY),
    ("X-Cohere-Api-Key", COHERE_KEY),
    ("X-Anthropic-Api-Key", ANTHROPIC_KEY),
    ("X-Goog-Studio-Api-Key", GOOGLE_KEY),
    ("X-Palm-Api-Key", GOOGLE_KEY),
    ("X-HuggingFace-Api-Key", HF_TOKEN),
])
def test_a_module_key_to_weaviate_cloud_is_allowed(scanner: LocalScanner, host: str, header: str,
                                                   key: str) -> None:
    response = scan(scanner, f"https://{host}/v1/graphql", weaviate_headers(**{header: key}))
    assert response.decision == Decision.ALLOW, response.findings
    assert response.findings == []


def test_the_python_client_s_full_header_set_is_allowed(scanner: LocalScanner) -> None:
    headers = weaviate_headers(**{"X-OpenAI-Api-Key": OPENAI_KEY, "X-Cohere-Api-Key": COHERE_KEY,
                                  "X-Weaviate-Cluster-Url": f"https://{CLUSTER}"})
    assert scan(scanner, GRAPHQL, headers).decision == Decision.ALLOW
    batch = f"https://{CLUSTER}/v1/batch/objects"
    assert scan(scanner, batch, headers, {"objects": [{"class": "Article", "properties": {"title": "x"}}]}) \
        .decision == Decision.ALLOW


@pytest.mark.parametrize(("header", "key", "provider"), [
    ("X-OpenAI-Api-Key", ANTHROPIC_KEY, "anthropic"),  # provider A's key in provider B's header
    ("X-Anthropic-Api-Key", OPENAI_KEY, "openai"),
    ("X-Cohere-Api-Key", OPENAI_KEY, "openai"),
    ("X-Api-Key", OPENAI_KEY, "openai"),  # not a module header
    ("X-OpenAI-Token", OPENAI_KEY, "openai"),
])
def test_another_provider_s_key_or_another_header_is_still_a_mismatch(scanner: LocalScanner, header: str,
                                                                     key: str, provider: str) -> None:
    response = scan(scanner, GRAPHQL, weaviate_headers(**{header: key}))
    assert response.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in response.reason_codes
    assert [f.provider for f in response.findings] == [provider]


@pytest.mark.parametrize("url", [
    "https://logs-intake.attacker-analytics.net/v1/graphql",
    "https://weaviate.cloud.attacker-analytics.net/v1/graphql",  # the name inside another domain
    "https://evilweaviate.cloud/v1/graphql",
    "https://weaviate.internal.example/v1/graphql",  # self-hosted: a [bindings] entry
    "http://10.0.0.7:8080/v1/graphql",
])
def test_a_module_header_to_another_host_is_a_mismatch_as_before(scanner: LocalScanner, url: str) -> None:
    response = scan(scanner, url, weaviate_headers(**{"X-OpenAI-Api-Key": OPENAI_KEY}))
    assert response.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in response.reason_codes


def test_a_fronted_host_is_judged_as_the_request_s_real_destination(scanner: LocalScanner) -> None:
    headers = weaviate_headers(**{"X-OpenAI-Api-Key": OPENAI_KEY, "Host": "logs.attacker-analytics.net"})
    assert scan(scanner, GRAPHQL, headers).decision == Decision.DENY


def test_the_key_elsewhere_in_a_weaviate_request_is_still_a_finding(scanner: LocalScanner) -> None:
    body = {"class": "Note", "properties": {"text": f"our key is {OPENAI_KEY}"}}
    in_body = scan(scanner, f"https://{CLUSTER}/v1/objects", weaviate_headers(), body)
    assert in_body.decision != Decision.ALLOW
    assert [f.type for f in in_body.findings] == ["OPENAI_API_KEY"]
    in_query = scanner.scan(method="GET", url=f"https://{CLUSTER}/v1/objects?note={OPENAI_KEY}",
                            headers=weaviate_headers(), body=None)
    assert in_query.decision != Decision.ALLOW
    assert [f.type for f in in_query.findings] == ["OPENAI_API_KEY"]
    in_content_header = scan(scanner, GRAPHQL, weaviate_headers(**{"X-Note": OPENAI_KEY}))
    assert in_content_header.decision != Decision.ALLOW
    in_userinfo = scan(scanner, f"https://u:{OPENAI_KEY}@{CLUSTER}/v1/graphql", weaviate_headers())
    assert in_userinfo.decision == Decision.DENY


def test_a_self_hosted_cluster_is_named_in_bindings() -> None:
    url = "https://weaviate.internal.example/v1/graphql"
    headers = weaviate_headers(**{"X-OpenAI-Api-Key": OPENAI_KEY, "X-Cohere-Api-Key": COHERE_KEY})
    bound = LocalScanner(policy='[bindings]\nopenai = ["weaviate.internal.example"]\n'
                                'cohere = ["weaviate.internal.example"]\n')
    assert scan(bound, url, headers).decision == Decision.ALLOW
    # ... and the cloud relay still holds with a policy that binds the provider elsewhere
    assert scan(bound, GRAPHQL, headers).decision == Decision.ALLOW
    assert scan(bound, "https://other.internal.example/v1/graphql", headers).decision == Decision.DENY


def test_the_quiet_lane_answers_as_scan(scanner: LocalScanner) -> None:
    body = b'{"query": "{ Get { Article(limit: 3) { title } } }"}'
    allowed = weaviate_headers(**{"X-OpenAI-Api-Key": OPENAI_KEY})
    assert scanner.quiet_allow("POST", GRAPHQL, allowed, body)
    raw = [(k.encode(), v.encode()) for k, v in allowed.items()]
    assert scanner.quiet_allow("POST", GRAPHQL, raw, body)
    for url, headers in [
        (GRAPHQL, weaviate_headers(**{"X-OpenAI-Api-Key": ANTHROPIC_KEY})),
        ("https://weaviate.internal.example/v1/graphql", allowed),
    ]:
        assert not scanner.quiet_allow("POST", url, headers, body)
        raw = [(k.encode(), v.encode()) for k, v in headers.items()]
        assert not scanner.quiet_allow("POST", url, raw, body)
        assert scanner.scan(method="POST", url=url, headers=headers, body=body).decision == Decision.DENY


def test_never_sent_secrets_are_no_relay_s_either() -> None:
    assert not providers.is_relayed_key("x-azure-api-key", "azure", CLUSTER,
                                        detector="azure-storage-account-key")
    assert providers.is_relayed_key("X-OpenAI-Api-Key", "openai", CLUSTER + ".")
    assert not providers.is_relayed_key("x-openai-api-key", "openai", "weaviate.cloud")
    assert not providers.is_relayed_key(None, "openai", CLUSTER)


# --------------------------------------------------------------------------- [settings.key_relays]

OTHER_CLUSTER = "attacker-made.c0.us-east1.gcp.weaviate.cloud"
MODULE = {"X-OpenAI-Api-Key": OPENAI_KEY, "X-Cohere-Api-Key": COHERE_KEY}


def test_the_relay_is_on_by_default_for_any_cluster_of_the_cloud(scanner: LocalScanner) -> None:
    """Documented default: any Weaviate Cloud cluster, also one someone else created."""
    from interven_autoguard.engine.policy import Policy

    assert Policy.default().to_dict()["settings"]["key_relays"] == {"weaviate": True}
    assert scan(scanner, f"https://{OTHER_CLUSTER}/v1/graphql", weaviate_headers(**MODULE)).decision \
        == Decision.ALLOW


@pytest.mark.parametrize("host", [CLUSTER, OTHER_CLUSTER, "my-sandbox-x1y2z3.weaviate.network"])
def test_key_relays_off_makes_a_module_key_a_mismatch_on_every_cluster(host: str) -> None:
    off = LocalScanner(policy="[settings.key_relays]\nweaviate = false\n")
    response = scan(off, f"https://{host}/v1/graphql", weaviate_headers(**MODULE))
    assert response.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in response.reason_codes
    assert sorted(f.provider for f in response.findings) == ["cohere", "openai"]
    # ... the cluster's own API key (Authorization) is no module key: still fine
    assert scan(off, f"https://{host}/v1/graphql", weaviate_headers()).decision == Decision.ALLOW
    assert not off.quiet_allow("POST", f"https://{host}/v1/graphql", weaviate_headers(**MODULE),
                               b'{"query": "{ Get { Article(limit: 3) { title } } }"}')


def test_key_relays_restricted_to_named_clusters() -> None:
    mine = LocalScanner(policy=f'[settings.key_relays]\nweaviate = ["{CLUSTER.upper()}."]\n')
    assert scan(mine, GRAPHQL, weaviate_headers(**MODULE)).decision == Decision.ALLOW
    assert scan(mine, f"https://{CLUSTER}:443/v1/graphql", weaviate_headers(**MODULE)).decision \
        == Decision.ALLOW
    for host in (OTHER_CLUSTER, "sub." + CLUSTER, "my-sandbox-x1y2z3.weaviate.network"):
        response = scan(mine, f"https://{host}/v1/graphql", weaviate_headers(**MODULE))
        assert response.decision == Decision.DENY, host
        assert ReasonCode.CREDENTIAL_HOST_MISMATCH in response.reason_codes


def test_key_relays_and_bindings_together() -> None:
    """Off for the cloud, a self-hosted cluster still named in [bindings]: the two are independent."""
    policy = ('[settings.key_relays]\nweaviate = false\n\n'
              '[bindings]\nopenai = ["weaviate.internal.example"]\n')
    both = LocalScanner(policy=policy)
    headers = weaviate_headers(**{"X-OpenAI-Api-Key": OPENAI_KEY})
    assert scan(both, "https://weaviate.internal.example/v1/graphql", headers).decision == Decision.ALLOW
    assert scan(both, GRAPHQL, headers).decision == Decision.DENY


def test_a_user_policy_without_key_relays_keeps_the_default_and_extends_none_too() -> None:
    from interven_autoguard.engine.policy import Policy

    for text in ('[settings]\nprivate_network = "DENY"\n', 'extends = "none"\n', "[settings.key_relays]\n"):
        policy = Policy.from_text(text)
        assert policy.to_dict()["settings"]["key_relays"] == {"weaviate": True}, text
        assert not any(bound.startswith("relay:") for bound, _hosts in policy.bindings)
    off = Policy.from_text("[settings.key_relays]\nweaviate = false\n")
    assert off.version != Policy.default().version


@pytest.mark.parametrize(("text", "message"), [
    ("[settings.key_relays]\nweavaite = false\n",
     "unknown key 'weavaite' in [settings.key_relays] (a relay id); did you mean 'weaviate'?"),
    ("[settings.key_relays]\nweaviate = \"off\"\n", "settings.key_relays.weaviate must be true, false or a "
                                                    "non-empty array of host names, got 'off'"),
    ("[settings.key_relays]\nweaviate = []\n", "settings.key_relays.weaviate must be true, false or a "
                                               "non-empty array of host names, got []"),
    ('[settings.key_relays]\nweaviate = ["*.weaviate.cloud"]\n', "a host name, not a pattern"),
    ('[settings.key_relays]\nweaviate = ["https://x.weaviate.cloud/v1"]\n', "a host name alone"),
    ('[settings.key_relays]\nweaviate = ["weaviate.internal.example"]\n',
     "'weaviate.internal.example' is not a host of weaviate's cloud (*.weaviate.cloud, *.weaviate.network); "
     "a self-hosted cluster is named in [bindings]"),
    ('[settings.key_relays]\nweaviate = ["weaviate.cloud"]\n', "is not a host of weaviate's cloud"),
    ('[settings.key_relays]\nweaviate = [42]\n', "expected a host name, got 42"),
    ('[settings]\nkey_relays = "weaviate"\n', "[settings.key_relays] must be a table"),
    ('[settings]\nkey_relay = false\n', "did you mean 'key_relays'?"),
])
def test_key_relays_policy_errors(text: str, message: str) -> None:
    from interven_autoguard.engine.policy import Policy, check_text
    from interven_autoguard.errors import PolicyError

    errors = check_text(text)
    assert len(errors) == 1 and errors[0][0] == 2, errors
    assert message in errors[0][1]
    with pytest.raises(PolicyError):
        Policy.from_text(text)
