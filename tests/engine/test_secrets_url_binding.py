"""Which credentials in a URL's path or query are the destination's own auth.

A credential in the URL is dropped from the findings only when it is bound to the host: its
provider's own service domains (not the subdomains where that provider's customers run their own
servers or read their own request logs) or a host the policy's ``[bindings]`` names. A provider
without a known domain is bound nowhere there, and a secret that is never sent as anyone's auth (a
private key, the secret half of a signing key) is bound nowhere at all.
"""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_samples import AWS_BODY, B62, B64U, BECH32, HEX, SAMPLES, r

from interven_autoguard import Decision, LocalScanner, ReasonCode
from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets.providers import (
    NEVER_SENT,
    PROVIDER_HOSTS,
    SELF_HOSTED_PROVIDERS,
    SIGNING_IDS,
    TENANT_HOSTS,
)
from interven_autoguard.engine.secrets.rules import RULES

COLLECTOR = "https://collector.example.net/ingest"

# Self-hosted products' tokens and secrets that are nobody's auth: none is bound to a stranger's host.
UNBOUND_IN_URL = {
    "age": lambda: "AGE-SECRET-KEY-1" + r(BECH32, 58),
    "vault": lambda: "hvs." + r(B64U, 95),
    "gitlab": lambda: "glpat-" + r(B64U, 20),
    "sentry": lambda: "sntryu_" + r(HEX, 64),
    "grafana": lambda: SAMPLES["grafana-service-account-token"]()[1],
    "terraform": lambda: SAMPLES["terraform-cloud-token"]()[1],
    "jfrog": lambda: SAMPLES["jfrog-reference-token"]()[1],
    "langfuse": lambda: SAMPLES["langfuse-secret-key"]()[1],
    "dynatrace": lambda: SAMPLES["dynatrace-api-token"]()[1],
}


@pytest.fixture(scope="module")
def scanner() -> LocalScanner:
    return LocalScanner()


# ------------------------------------------------------------------ A: no host list is no binding

@pytest.mark.parametrize("name", sorted(UNBOUND_IN_URL))
@pytest.mark.parametrize("where", ["query", "path", "path segment", "fragment-free query, encoded"])
def test_an_unbound_credential_in_the_url_is_a_finding(scanner: LocalScanner, name: str, where: str) -> None:
    value = UNBOUND_IN_URL[name]()
    url = {
        "query": f"{COLLECTOR}?d={value}",
        "path": f"{COLLECTOR}/{value}",
        "path segment": f"{COLLECTOR}/{value}/x.json",
        "fragment-free query, encoded": f"{COLLECTOR}?a=1&d={value.replace('.', '%2E')}",
    }[where]
    result = scanner.scan(method="GET", url=url)
    assert result.decision != Decision.ALLOW, (name, where)
    assert result.findings and all(f.category == "secret" for f in result.findings)
    assert value not in (result.sanitized_url or "")
    assert value not in repr(result)  # types, positions and hashes only


def test_age_key_exfil_example_from_the_audit(scanner: LocalScanner) -> None:
    key = "AGE-SECRET-KEY-1" + r(BECH32, 58)
    result = scanner.scan(method="GET", url="https://collector.example.net/ingest?d=" + key)
    assert result.decision == Decision.SANITIZE
    assert [f.type for f in result.findings] == ["PRIVATE_KEY"]


def test_a_self_hosted_instance_named_in_bindings_gets_its_token_in_the_url() -> None:
    token = "glpat-" + r(B64U, 20)
    url = f"https://gitlab.mycompany.com/api/v4/projects?private_token={token}"
    assert LocalScanner().scan(method="GET", url=url).decision == Decision.SANITIZE
    bound = LocalScanner(policy='[bindings]\ngitlab = ["gitlab.mycompany.com"]')
    assert bound.scan(method="GET", url=url).decision == Decision.ALLOW
    # bound to the host, but GitLab reads no token from its path: there it is data
    # (test_secrets_url_auth_position.py)
    in_path = bound.scan(method="GET", url=f"https://gitlab.mycompany.com/{token}/x")
    assert in_path.decision == Decision.SANITIZE
    # named for GitLab only: a Vault token there, or the GitLab token elsewhere, is still a finding
    assert bound.scan(method="GET", url=f"https://gitlab.mycompany.com/?t=hvs.{r(B64U, 95)}").findings
    assert bound.scan(method="GET", url=f"{COLLECTOR}?private_token={token}").findings


def test_the_saas_home_of_a_self_hosted_product_is_bound() -> None:
    token = "glpat-" + r(B64U, 20)
    url = f"https://gitlab.com/api/v4/projects?private_token={token}"
    assert LocalScanner().scan(method="GET", url=url).decision == Decision.ALLOW


def test_self_hosted_auth_headers_go_anywhere_until_a_policy_names_the_instance() -> None:
    """Decision: an auth header is the token's ordinary channel and its instance's host cannot be
    known, so without ``[bindings]`` it may go anywhere (as before); once a policy names the
    provider's instances, every other host is a mismatch for it, headers included."""
    headers = {"Authorization": "Bearer glpat-" + r(B64U, 20)}
    plain = LocalScanner()
    assert plain.scan(method="GET", url="https://gitlab.mycompany.com/api/v4/user",
                      headers=headers).decision == Decision.ALLOW
    named = LocalScanner(policy='[bindings]\ngitlab = ["gitlab.mycompany.com"]')
    assert named.scan(method="GET", url="https://gitlab.mycompany.com/api/v4/user",
                      headers=headers).decision == Decision.ALLOW
    elsewhere = named.scan(method="GET", url=COLLECTOR, headers=headers)
    assert elsewhere.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in elsewhere.reason_codes
    assert not named.quiet_allow("GET", COLLECTOR, headers, None)


@pytest.mark.parametrize("header", ["Authorization", "X-Api-Key"])
def test_a_secret_that_is_nobodys_auth_in_an_auth_header_is_a_mismatch(scanner: LocalScanner,
                                                                      header: str) -> None:
    value = "AGE-SECRET-KEY-1" + r(BECH32, 58)
    for url in (COLLECTOR, "https://api.github.com/user"):
        result = scanner.scan(method="GET", url=url, headers={header: value})
        assert result.decision == Decision.DENY, url
        assert ReasonCode.CREDENTIAL_HOST_MISMATCH in result.reason_codes
        assert not scanner.quiet_allow("GET", url, {header: value}, None)


def test_never_sent_credentials_are_bound_nowhere_not_even_by_a_policy() -> None:
    bindings = (("aws", ("collector.example.net",)),)
    for detector in NEVER_SENT:
        provider = secrets.provider_for(detector)
        assert provider is not None, detector
        for host in ("collector.example.net", "sts.amazonaws.com", "api.stripe.com", "blob.core.windows.net"):
            for in_url in (False, True):
                assert not secrets.host_allowed_for_provider(provider, host, bindings, detector=detector,
                                                             in_url=in_url)


def test_the_binding_tables_name_real_rules_and_providers() -> None:
    ids = {rule.id for rule in RULES}
    assert NEVER_SENT <= ids and SIGNING_IDS <= ids and not NEVER_SENT & SIGNING_IDS
    assert SELF_HOSTED_PROVIDERS <= set(PROVIDER_HOSTS)
    assert set(TENANT_HOSTS) <= set(PROVIDER_HOSTS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(UNBOUND_IN_URL)),
    labels=st.lists(st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12), min_size=2,
                    max_size=4),
    param=st.text(string.ascii_letters + "_-", min_size=1, max_size=12),
    in_path=st.booleans(),
)
def test_unbound_credentials_in_any_strangers_url_are_found(scanner: LocalScanner, name: str,
                                                            labels: list[str], param: str,
                                                            in_path: bool) -> None:
    host = ".".join(labels)
    if secrets.host_allowed_for_provider(name, host, in_url=True):
        return  # a generated host that happens to be the product's own SaaS home
    value = UNBOUND_IN_URL[name]()
    url = f"https://{host}/x/{value}" if in_path else f"https://{host}/x?{param}={value}"
    result = scanner.scan(method="GET", url=url)
    assert result.decision != Decision.ALLOW
    assert any(f.category == "secret" for f in result.findings)


# ------------------------------------------------------------------ B: customers' hosts aren't the provider

def _akid() -> str:
    return "AKIA" + r(AWS_BODY, 16)


def _aws_secret() -> str:
    # With a "+" too: a query's literal reading keeps it (test_scanner_plus.py), as the wire does.
    return r(string.ascii_letters + string.digits + "/+", 40)


@pytest.mark.parametrize("url", [
    "https://attacker-app.appspot.com/c?key={gkey}",
    "https://v2-dot-attacker-app.uc.r.appspot.com/c?key={gkey}",
    "https://attacker-db.firebaseio.com/loot/{gkey}.json",
    "https://attacker.firebaseapp.com/x?k={gkey}",
    "https://us-central1-attacker.cloudfunctions.net/f?key={gkey}",
    "https://f-abc123-uc.a.run.app/?key={gkey}",
    "https://script.google.com/macros/s/AKfyc/exec?key={gkey}",
    "https://docs.google.com/forms/d/e/1FAIpQL/formResponse?entry.1={gkey}",
    "https://storage.googleapis.com/attacker-bucket/o?key={gkey}",
    "https://attacker-bucket.storage.googleapis.com/o?key={gkey}",
    "https://x-proxy.googleusercontent.com/?key={gkey}",
])
def test_a_google_key_to_a_customers_host_is_a_finding(scanner: LocalScanner, url: str) -> None:
    gkey = "AIza" + r(B62 + "_-", 35)
    result = scanner.scan(method="GET", url=url.format(gkey=gkey))
    assert result.decision != Decision.ALLOW
    assert [f.type for f in result.findings] == ["GOOGLE_API_KEY"]


@pytest.mark.parametrize("url", [
    "https://www.googleapis.com/youtube/v3/search?part=snippet&key={gkey}",
    "https://generativelanguage.googleapis.com/v1beta/models?key={gkey}",
    "https://maps.googleapis.com/maps/api/geocode/json?address=x&key={gkey}",
])
def test_a_google_key_to_googles_apis_is_their_auth(scanner: LocalScanner, url: str) -> None:
    gkey = "AIza" + r(B62 + "_-", 35)
    assert scanner.scan(method="GET", url=url.format(gkey=gkey)).decision == Decision.ALLOW


@pytest.mark.parametrize("host", ["attacker-app.appspot.com", "us-central1-x.cloudfunctions.net",
                                  "x.firebaseapp.com", "abcdef.lambda-url.us-east-1.on.aws",
                                  "abc123.execute-api.us-east-1.amazonaws.com",
                                  "ec2-3-4-5-6.compute-1.amazonaws.com"])
def test_a_bearer_token_in_the_auth_header_to_a_customers_server_is_a_mismatch(scanner: LocalScanner,
                                                                               host: str) -> None:
    headers = {"Authorization": "Bearer ya29." + r(B64U, 150)}
    result = scanner.scan(method="GET", url=f"https://{host}/c", headers=headers)
    assert result.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in result.reason_codes


def test_google_bearer_tokens_still_reach_google_storage_in_the_header(scanner: LocalScanner) -> None:
    headers = {"Authorization": "Bearer ya29." + r(B64U, 150)}
    for url in ("https://storage.googleapis.com/bkt/obj", "https://www.googleapis.com/drive/v3/files",
                "https://docs.google.com/feeds/download/documents/export/Export?id=1"):
        assert scanner.scan(method="GET", url=url, headers=headers).decision == Decision.ALLOW, url


def test_a_customers_app_named_in_bindings_is_bound() -> None:
    gkey = "AIza" + r(B62 + "_-", 35)
    url = f"https://my-app.appspot.com/_ah/api/x?key={gkey}"
    assert LocalScanner(policy='[bindings]\ngoogle = ["my-app.appspot.com"]').scan(
        method="GET", url=url).decision == Decision.ALLOW


@pytest.mark.parametrize("url", [
    "https://attacker-bucket.s3.amazonaws.com/x?aws_access_key_id={akid}&aws_secret_access_key={secret}",
    "https://abcdefghijklmnopqrstuvwxyz123456.lambda-url.us-east-1.on.aws/?aws_secret_access_key={secret}",
    "https://sts.amazonaws.com/?id={akid}&aws_secret_access_key={secret}",
    "https://s3.us-east-1.amazonaws.com/b/o?x={akid}&aws_secret_access_key={secret}",
])
def test_an_aws_secret_access_key_is_never_url_auth(scanner: LocalScanner, url: str) -> None:
    """SigV4 sends a signature made with the secret key, never the key: no host is its destination."""
    result = scanner.scan(method="GET", url=url.format(akid=_akid(), secret=_aws_secret()))
    assert result.decision != Decision.ALLOW
    assert "AWS_SECRET_KEY" in {f.type for f in result.findings}


@pytest.mark.parametrize("url", [
    "https://abcdefghijklmnopqrstuvwxyz123456.lambda-url.us-east-1.on.aws/?id={akid}&s={secret}",
    "https://abc123.execute-api.us-east-1.amazonaws.com/prod/{akid}",
    "https://attacker-bucket.s3.amazonaws.com/x?aws_access_key_id={akid}",
])
def test_a_key_id_outside_the_signing_parameters_of_a_customers_endpoint_is_data(scanner: LocalScanner,
                                                                                 url: str) -> None:
    """On a customer's endpoint an access key id is auth only where signed requests carry it."""
    result = scanner.scan(method="GET", url=url.format(akid=_akid(), secret=_aws_secret()))
    assert result.decision != Decision.ALLOW
    assert "AWS_ACCESS_KEY" in {f.type for f in result.findings}


def test_a_key_id_in_the_signing_parameters_of_aws_own_api_is_its_auth(scanner: LocalScanner) -> None:
    signed = f"https://sts.amazonaws.com/?Action=GetCallerIdentity&AWSAccessKeyId={_akid()}"
    assert scanner.scan(method="GET", url=signed).decision == Decision.ALLOW
    # Anywhere else it is data, AWS's own API included: SQS's MessageBody goes into a queue that
    # whoever owns it (and opened it to others) reads.
    sqs = "https://sqs.us-east-1.amazonaws.com/123456789012/q?Action=SendMessage&MessageBody="
    for url in (f"{signed}&id={_akid()}", sqs + _akid()):
        result = scanner.scan(method="GET", url=url)
        assert result.decision == Decision.SANITIZE, url
        assert [f.type for f in result.findings] == ["AWS_ACCESS_KEY"]


@pytest.mark.parametrize("host", [
    "my-bucket.s3.amazonaws.com", "my.dotted.bucket.s3.us-west-2.amazonaws.com",
    "my-bucket.s3.dualstack.eu-west-1.amazonaws.com", "abc123.execute-api.us-east-1.amazonaws.com",
    "abcdef.lambda-url.us-east-1.on.aws", "s3.amazonaws.com",
])
def test_sigv4_to_customers_aws_endpoints_still_passes(scanner: LocalScanner, host: str) -> None:
    """The key id and session token are the public half of a signing credential: boto3 to a bucket,
    IAM-authorised API Gateway and Lambda URLs send them (header or presigned query) by design."""
    akid = _akid()
    auth = {"Authorization": f"AWS4-HMAC-SHA256 Credential={akid}/20250101/us-east-1/s3/aws4_request, "
                             f"SignedHeaders=host;x-amz-date, Signature={r(HEX, 64)}"}
    assert scanner.scan(method="GET", url=f"https://{host}/k", headers=auth).decision == Decision.ALLOW
    presigned = (f"https://{host}/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 f"&X-Amz-Credential={akid}%2F20250101%2Fus-east-1%2Fs3%2Faws4_request"
                 f"&X-Amz-Date=20250101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
                 f"&X-Amz-Security-Token={r(B62, 300)}&X-Amz-Signature={r(HEX, 64)}")
    assert scanner.scan(method="GET", url=presigned).decision == Decision.ALLOW


@pytest.mark.parametrize(("provider", "host"), [
    ("google", "attacker-app.appspot.com"), ("google", "x.firebaseio.com"), ("google", "x.web.app"),
    ("google", "a-b-uc.a.run.app"), ("google", "script.google.com"),
    ("aws", "f.lambda-url.us-east-1.on.aws"), ("aws", "id.execute-api.eu-west-1.amazonaws.com"),
    ("aws", "b.s3.amazonaws.com"), ("aws", "lb-1.us-east-1.elb.amazonaws.com"),
    ("azure", "vm.westeurope.cloudapp.azure.com"), ("azure", "acct.blob.core.windows.net"),
    ("azure", "my-api.azure-api.net"), ("railway", "app.up.railway.app"),
    ("shopify", "attacker.myshopify.com"),
])
def test_customer_hosts_are_not_bound_for_bearer_credentials_in_the_url(provider: str, host: str) -> None:
    assert not secrets.host_allowed_for_provider(provider, host, in_url=True)


@pytest.mark.parametrize(("provider", "host"), [
    ("google", "www.googleapis.com"), ("google", "oauth2.googleapis.com"), ("aws", "sts.amazonaws.com"),
    ("aws", "bedrock-runtime.us-east-1.amazonaws.com"), ("azure", "login.microsoftonline.com"),
    ("railway", "backboard.railway.app"), ("shopify", "shopify.com"), ("github", "api.github.com"),
])
def test_the_providers_own_apis_stay_bound(provider: str, host: str) -> None:
    assert secrets.host_allowed_for_provider(provider, host, in_url=True)
    assert secrets.host_allowed_for_provider(provider, host)


def test_binding_json_body_is_unaffected(scanner: LocalScanner) -> None:
    gkey = "AIza" + r(B62 + "_-", 35)
    result = scanner.scan(method="POST", url="https://www.googleapis.com/x",
                          body=json.dumps({"k": gkey}), headers={"Content-Type": "application/json"})
    assert result.decision == Decision.SANITIZE


# ------------------------------------------------------------------ E: signed URLs' credential scopes

def _gcs_signed(host: str = "storage.googleapis.com",
                signer: str = "sa%40proj.iam.gserviceaccount.com") -> str:
    return (f"https://{host}/bkt/obj?X-Goog-Algorithm=GOOG4-RSA-SHA256"
            f"&X-Goog-Credential={signer}%2F20250101%2Fauto%2Fstorage%2Fgoog4_request"
            f"&X-Goog-Date=20250101T093107Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host"
            f"&X-Goog-Signature={r(HEX, 512)}")


@pytest.mark.parametrize("url", [
    _gcs_signed(),
    _gcs_signed("bkt.storage.googleapis.com"),
    _gcs_signed(signer="GOOG1E" + r(string.ascii_uppercase + string.digits, 55)),
    _gcs_signed(signer="my-robot%40my-project-123.iam.gserviceaccount.com"),
])
def test_a_gcs_v4_signed_url_passes_unchanged(scanner: LocalScanner, url: str) -> None:
    result = scanner.scan(method="GET", url=url)
    assert result.decision == Decision.ALLOW, result.findings
    assert result.sanitized_url is None


def test_a_signed_url_scope_elsewhere_or_with_something_else_is_still_read(scanner: LocalScanner) -> None:
    elsewhere = scanner.scan(method="GET", url=_gcs_signed("collector.example.net"))
    assert "EMAIL" in {f.type for f in elsewhere.findings}
    # a person's address is not a service account: the scope grammar does not take it
    personal = scanner.scan(method="GET", url=_gcs_signed(signer="jane.doe%40gmail.com"))
    assert "EMAIL" in {f.type for f in personal.findings}
    token = "ghp_" + r(B62, 36)
    smuggled = scanner.scan(method="GET", url=_gcs_signed(signer=token))
    assert smuggled.decision != Decision.ALLOW


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filler=st.text(string.ascii_letters + string.digits + "@._-", min_size=1, max_size=40))
def test_only_a_full_scope_is_exempt(filler: str) -> None:
    """Whatever follows a valid-looking start, the exemption needs the whole value to be a scope."""
    value = f"sa@proj.iam.gserviceaccount.com/20250101/auto/storage/goog4_request{filler}"
    assert not secrets.is_signed_url_scope("X-Goog-Credential", value, "storage.googleapis.com")
    assert secrets.is_signed_url_scope("X-Goog-Credential", value[: -len(filler)], "storage.googleapis.com")
    assert not secrets.is_signed_url_scope("X-Goog-Credential", value[: -len(filler)], "evil.example")
