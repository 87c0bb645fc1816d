"""Keys their provider designs to be public are no secret; PostHog's personal key is one.

Found by the third audit: posthog-python sends the project key (``phc_…``) in every batch, and
libraries that ship PostHog telemetry hard-code it; PostHog describes it as public and write-only
(posthog-js puts it in every page). Under ``api_key`` it was a ``GENERIC_API_KEY`` finding and
redacted. Now ``validators.PUBLIC_KEY`` (PostHog project keys, Stripe publishable keys) is a shape the
key-name rules leave alone, wherever it goes (a PostHog reverse proxy on one's own domain too), and
PostHog's personal API key (``phx_…``), which reads and writes a whole account, has a rule of its
own, bound to posthog.com (self-hostable: like GitLab, its instances come from ``[bindings]``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from secret_samples import B62, r

from interven_autoguard import Decision, LocalScanner
from interven_autoguard.engine import secrets


@pytest.fixture(scope="module")
def scanner() -> LocalScanner:
    return LocalScanner()


@pytest.mark.parametrize("value", [
    lambda: "phc_" + r(B62, 43),
    lambda: "pk_live_" + r(B62, 99),
    lambda: "pk_test_" + r(B62, 24),
])
@pytest.mark.parametrize("name", ["api_key", "token", "publishableKey", "posthog_api_key"])
def test_public_keys_are_no_finding_anywhere(scanner: LocalScanner, value: Callable[[], str],
                                             name: str) -> None:
    body = json.dumps({name: value(), "event": "signup"}).encode()
    result = scanner.scan(method="POST", url="https://ph.acme-corp.example/batch/",
                          headers={"Content-Type": "application/json"}, body=body)
    assert result.decision == Decision.ALLOW and not result.findings


@pytest.mark.parametrize("value", [
    lambda: "sk_live_" + r(B62, 99),  # Stripe's secret key (a rule of its own)
    lambda: "phc_" + r(B62, 20) + "!" + r(B62, 20),  # not the public shape: read as any value
    lambda: "pk_" + r(B62, 40),  # no live/test mode: not Stripe's publishable shape
])
def test_look_alikes_are_still_secrets(scanner: LocalScanner, value: Callable[[], str]) -> None:
    result = scanner.scan(method="POST", url="https://collector.example.net/x",
                          headers={"Content-Type": "application/json"},
                          body=json.dumps({"api_key": value()}).encode())
    assert result.decision == Decision.SANITIZE


def test_the_personal_key_has_a_rule_and_a_home() -> None:
    key = "phx_" + r(B62, 43)
    [hit] = secrets.detect(f"POSTHOG_PERSONAL_API_KEY={key}")
    assert (hit.type, hit.detector, hit.provider) == (
        "POSTHOG_API_KEY", "posthog-personal-api-key", "posthog")
    assert secrets.host_allowed_for_provider("posthog", "us.posthog.com")
    assert not secrets.host_allowed_for_provider("posthog", "collector.example.net", in_url=True)
    bound = (("posthog", ("posthog.acme-corp.example",)),)
    assert secrets.host_allowed_for_provider("posthog", "posthog.acme-corp.example", bound, in_url=True)
    assert not secrets.host_allowed_for_provider("posthog", "collector.example.net", bound)
