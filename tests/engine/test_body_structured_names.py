"""Structured parameter names (AWS Query API ``Destination.ToAddresses.member.1``, ``shipping[phone]``)
are shown in locations, so an allowance can name them; names that could hold a value stay hidden."""

from __future__ import annotations

import urllib.parse

import pytest

from interven_autoguard.engine.body_fields import key_segment
from interven_autoguard.engine.scanner import LocalScanner
from interven_autoguard.model import Decision

SCANNER = LocalScanner()
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "name",
    [
        "Destination.ToAddresses.member.1",
        "Destinations.member.12.Destination.ToAddresses",
        "shipping[phone]",
        "items[0][price]",
        "metadata[order_id]",
        "to[]",
        "Message.Body.Html.Data",
        "Tags.member.3.Key",
    ],
)
def test_structured_parameter_names_are_shown(name: str) -> None:
    assert key_segment(name) == "['" + name + "']"


@pytest.mark.parametrize(
    "name",
    [
        "Destination.member.4155552671",  # a digit run
        "Destination.ToAddresses.415.555.267",  # indexes in a row: a number cut into pieces
        "Destination[ToAddresses][415][555][267]",
        "Tok.aB3dE5fG9hI7jK9lMnO1pQ3rS",  # a token-like piece
        "jane.doe@gmail.com",  # an address
        "AKIAIOSFODNN7EXAMPLE.member.1",
    ],
)
def test_names_that_could_hold_a_value_stay_hidden(name: str) -> None:
    assert key_segment(name) is None


def test_stripe_shipping_phone_is_nameable_and_excused() -> None:
    """``shipping[phone]`` was shown by position before, so ``stripe-customer-contact`` never matched it."""
    r = SCANNER.scan(
        method="POST",
        url="https://api.stripe.com/v1/customers",
        headers={"Content-Type": FORM},
        body=urllib.parse.urlencode(
            [
                ("email", "jane.doe@gmail.com"),
                ("shipping[name]", "Jane Doe"),
                ("shipping[phone]", "+14155552671"),
                ("shipping[address][line1]", "1 Main St"),
            ]
        ),
    )
    assert r.decision == Decision.ALLOW and not [f for f in r.findings if f.redacted]
    assert {f.location for f in r.findings} == {"form:email", "form:shipping[phone]"}


def test_an_aws_query_api_form_is_located_by_name_and_its_values_never_are() -> None:
    body = urllib.parse.urlencode(
        [
            ("Action", "SendEmail"),
            ("Destination.ToAddresses.member.1", "jane.doe@gmail.com"),
            ("Message.Body.Text.Data", "Call +1 415 555 2132"),
        ]
    )
    r = SCANNER.scan(
        method="POST", url="https://api.example-relay.net/", headers={"Content-Type": FORM}, body=body
    )
    assert sorted((f.type, f.location) for f in r.findings) == [
        ("EMAIL", "form:Destination.ToAddresses.member.1"),
        ("PHONE_NUMBER", "form:Message.Body.Text.Data"),
    ]
    assert "jane.doe" not in (r.sanitized_body or "")
