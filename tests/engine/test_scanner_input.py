"""Bodies a direct ``scan()`` caller may pass that JSON cannot sort: a decision, never an exception."""

from __future__ import annotations

from interven_autoguard import Decision, LocalScanner
from interven_autoguard.model import fingerprint_json


def test_a_body_whose_keys_do_not_sort_still_gets_its_approval() -> None:
    # the default policy holds Slack's admin.* methods for a human
    result = LocalScanner().scan(method="POST", url="https://slack.com/api/admin.users.invite",
                                 headers={"Content-Type": "application/json"},
                                 body={"email": "x", 1: "y"})
    assert result.decision == Decision.REQUIRE_APPROVAL


def test_the_fingerprint_is_stable_and_sorted_when_it_can_be() -> None:
    assert fingerprint_json({"b": 1, "a": 2}) == fingerprint_json({"a": 2, "b": 1})
    assert fingerprint_json({"a": 1, 2: "x"}) == fingerprint_json({"a": 1, 2: "x"})
