"""The shipped default policy: settings, approval rules and allowances do what docs/policy.md says."""

from __future__ import annotations

import pathlib
import re

import pytest
from policy_support import evaluate, finding

from interven_autoguard.engine.policy import Policy, check_file
from interven_autoguard.model import Decision, ReasonCode

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT = Policy.default()


def test_default_settings():
    d = DEFAULT
    assert d.max_body_bytes == 10 * 1024 * 1024
    assert d.body_too_large == Decision.DENY
    assert d.not_inspectable == Decision.DENY
    assert d.private_network == "ALLOW"
    assert d.exfil_destination == Decision.DENY
    assert d.approval_ttl_seconds == 3600
    assert re.fullmatch(r"[0-9a-f]{12}", d.version)
    assert Policy.default() is d  # parsed once


def test_default_policy_file_is_valid_on_its_own():
    path = ROOT / "interven_autoguard" / "engine" / "default_policy.toml"
    assert check_file(path) == []


@pytest.mark.parametrize(
    ("rule_id", "method", "url"),
    [
        ("github-add-collaborator", "PUT", "https://api.github.com/repos/octo/demo/collaborators/mallory"),
        ("github-set-org-membership", "PUT", "https://api.github.com/orgs/octo/memberships/mallory"),
        ("github-delete-repository", "DELETE", "https://api.github.com/repos/octo/demo"),
        (
            "github-remove-branch-protection",
            "DELETE",
            "https://api.github.com/repos/octo/demo/branches/main/protection",
        ),
        ("github-add-deploy-key", "POST", "https://api.github.com/repos/octo/demo/keys"),
        ("stripe-create-payout", "POST", "https://api.stripe.com/v1/payouts"),
        ("stripe-create-transfer", "POST", "https://api.stripe.com/v1/transfers"),
        ("paypal-create-payout", "POST", "https://api-m.paypal.com/v1/payments/payouts"),
        ("wise-fund-transfer", "POST", "https://api.wise.com/v3/profiles/123/transfers/456/payments"),
        ("slack-admin-api", "POST", "https://slack.com/api/admin.users.invite"),
        ("slack-admin-api", "POST", "https://acme.slack.com/api/admin.conversations.delete"),
    ],
)
def test_approval_rules_fire_for_the_documented_requests(rule_id, method, url):
    v = evaluate(DEFAULT, method, url)
    assert v.decision == Decision.REQUIRE_APPROVAL
    assert v.matched_rules == [rule_id]
    assert v.reason_codes == [ReasonCode.POLICY_RULE, ReasonCode.APPROVAL_REQUIRED]
    assert v.risk_score == 0.6


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "https://api.github.com/repos/octo/demo/collaborators/mallory"),  # reading is fine
        ("DELETE", "https://api.github.com/repos/octo/demo/collaborators/mallory"),  # removing access
        ("DELETE", "https://api.github.com/repos/octo/demo/issues/comments/1"),  # not the repository
        ("PATCH", "https://api.github.com/repos/octo/demo"),
        ("GET", "https://api.github.com/repos/octo/demo/keys"),
        ("PUT", "https://api.github.com.evil.net/repos/octo/demo/collaborators/mallory"),
        ("PUT", "https://github.example.com/repos/octo/demo/collaborators/mallory"),
        ("GET", "https://api.stripe.com/v1/payouts"),
        ("POST", "https://api.stripe.com/v1/payouts/po_123/cancel"),
        ("POST", "https://api.stripe.com/v1/customers"),
        ("POST", "https://api-m.sandbox.paypal.com/v1/payments/payouts"),  # the sandbox moves no money
        ("GET", "https://api-m.paypal.com/v1/payments/payouts/ABC123"),
        ("POST", "https://api.wise.com/v3/profiles/123/transfers"),  # creating it sends nothing yet
        ("POST", "https://api.wise.com/v3/quotes"),
        ("POST", "https://slack.com/api/chat.postMessage"),
        ("POST", "https://slack.com.evil.net/api/admin.users.invite"),
    ],
)
def test_approval_rules_do_not_fire_for_near_misses(method, url):
    v = evaluate(DEFAULT, method, url)
    assert v.decision == Decision.ALLOW and v.matched_rules == []


def test_issue_example_email_and_ssn_to_slack_are_sanitized():
    v = evaluate(
        DEFAULT,
        "POST",
        "https://slack.com/api/chat.postMessage",
        [finding("US_SSN", "body$.text"), finding("EMAIL", "body$.text")],
    )
    assert v.decision == Decision.SANITIZE
    assert v.reason_codes == [ReasonCode.PII_DETECTED]
    assert len(v.findings) == 2


@pytest.mark.parametrize(
    "location", ["body$.config.token", "query:api_key", "header:x-debug", "url.path", "body"]
)
def test_secrets_anywhere_outside_auth_are_sanitized(location):
    v = evaluate(DEFAULT, "POST", "https://api.example.com/x", [finding("AWS_ACCESS_KEY", location)])
    assert v.decision == Decision.SANITIZE
    assert v.reason_codes == [ReasonCode.SECRET_DETECTED]
    assert v.risk_score == 0.8


@pytest.mark.parametrize(
    "pii", ["US_SSN", "US_ITIN", "CREDIT_CARD", "IBAN", "EMAIL", "PHONE_NUMBER", "ABA_ROUTING"]
)
def test_pii_is_sanitized_by_default(pii):
    assert (
        evaluate(DEFAULT, "POST", "https://api.example.com/x", [finding(pii)]).decision == Decision.SANITIZE
    )


@pytest.mark.parametrize("pii", ["CN_RESIDENT_ID", "IN_AADHAAR", "IN_PAN", "KR_RRN", "JP_MY_NUMBER"])
def test_national_ids_are_treated_like_an_ssn(pii):
    """Listed in the default policy with an SSN's risk weight, not the 0.4 of an unlisted PII type."""
    ssn = evaluate(DEFAULT, "POST", "https://api.example.com/x", [finding("US_SSN")])
    national = evaluate(DEFAULT, "POST", "https://api.example.com/x", [finding(pii)])
    assert national.decision == ssn.decision == Decision.SANITIZE
    assert national.risk_score == ssn.risk_score
    assert national.reason_codes == ssn.reason_codes


MAIL_CASES = [
    ("sendgrid-recipients", "https://api.sendgrid.com/v3/mail/send", "body$.personalizations[0].to[1].email"),
    ("sendgrid-recipients", "https://api.sendgrid.com/v3/mail/send", "body$.from.email"),
    ("mailgun-recipients", "https://api.mailgun.net/v3/mg.acme.test/messages", "form:to"),
    ("mailgun-recipients", "https://api.eu.mailgun.net/v3/mg.acme.test/messages", "multipart:bcc"),
    ("resend-recipients", "https://api.resend.com/emails", "body$.to[0]"),
    ("resend-recipients", "https://api.resend.com/emails/batch", "body$[3].to[0]"),
    ("postmark-recipients", "https://api.postmarkapp.com/email", "body$.To"),
    ("postmark-recipients", "https://api.postmarkapp.com/email/batch", "body$[0].Cc"),
    (
        "msgraph-sendmail-recipients",
        "https://graph.microsoft.com/v1.0/me/sendMail",
        "body$.message.toRecipients[0].emailAddress.address",
    ),
    (
        "msgraph-sendmail-recipients",
        "https://graph.microsoft.com/v1.0/users/u-1/sendMail",
        "body$.message.ccRecipients[2].emailAddress.address",
    ),
    ("gmail-send-recipients", "https://gmail.googleapis.com/gmail/v1/users/me/messages/send",
     "body$.raw<mime>.header:To"),
    ("gmail-send-recipients", "https://gmail.googleapis.com/upload/gmail/v1/users/me/messages/send",
     "body$.raw<mime>.header:Reply-To"),
    ("gmail-send-recipients", "https://gmail.googleapis.com/gmail/v1/users/me/drafts",
     "body$.message.raw<mime>.header:Bcc"),
]


@pytest.mark.parametrize(("allow_id", "url", "location"), MAIL_CASES)
def test_mail_api_recipients_are_expected(allow_id, url, location):
    v = evaluate(DEFAULT, "POST", url, [finding("EMAIL", location)])
    assert v.decision == Decision.ALLOW
    assert v.matched_rules == [allow_id]
    assert v.findings == [] and [f.location for f in v.allowed_findings] == [location]


@pytest.mark.parametrize(("allow_id", "url", "location"), MAIL_CASES)
def test_mail_allowances_cover_neither_other_fields_nor_other_types(allow_id, url, location):
    body_leak = finding("EMAIL", "body$.subject")
    ssn_in_recipient = finding("US_SSN", location)
    v = evaluate(DEFAULT, "POST", url, [body_leak, ssn_in_recipient])
    assert v.decision == Decision.SANITIZE
    assert v.findings == [body_leak, ssn_in_recipient]


def test_twilio_numbers_are_expected_but_not_in_the_message_body():
    url = "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
    v = evaluate(
        DEFAULT, "POST", url, [finding("PHONE_NUMBER", "form:To"), finding("PHONE_NUMBER", "form:Body")]
    )
    assert v.decision == Decision.SANITIZE
    assert [f.location for f in v.findings] == ["form:Body"]
    assert v.matched_rules == ["twilio-message-numbers"]


@pytest.mark.parametrize(("method", "url"), [
    ("POST", "https://graph.microsoft.com/v1.0/users/jane.doe@acme.com/sendMail"),
    ("GET", "https://graph.microsoft.com/v1.0/users/jane.doe@acme.com/messages"),
    ("GET", "https://graph.microsoft.com/beta/users/jane.doe@acme.com/calendar/events"),
    ("GET", "https://gmail.googleapis.com/gmail/v1/users/jane.doe@acme.com/messages"),
    ("POST", "https://www.googleapis.com/calendar/v3/calendars/jane.doe@acme.com/events"),
])
def test_a_mailbox_named_in_the_url_path_is_expected(method, url):
    v = evaluate(DEFAULT, method, url, [finding("EMAIL", "url.path")])
    assert v.decision == Decision.ALLOW and v.matched_rules == ["mailbox-in-url-path"]
    leak = evaluate(DEFAULT, method, url, [finding("EMAIL", "url.path"), finding("EMAIL", "query:q")])
    assert leak.decision == Decision.SANITIZE and [f.location for f in leak.findings] == ["query:q"]
    elsewhere = url.replace("graph.microsoft.com", "graph.evil.example")
    elsewhere = elsewhere.replace("googleapis.com", "evil.example")
    assert evaluate(DEFAULT, method, elsewhere, [finding("EMAIL", "url.path")]).decision == Decision.SANITIZE


@pytest.mark.parametrize(("method", "url", "location"), [
    ("POST", "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json", "form:To"),
    ("GET", "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json", "query:From"),
    ("POST", "https://verify.twilio.com/v2/Services/VA1/Verifications", "form:To"),
    ("GET", "https://lookups.twilio.com/v2/PhoneNumbers/+14155552671", "url.path"),
])
def test_twilio_call_verify_and_lookup_numbers_are_expected(method, url, location):
    v = evaluate(DEFAULT, method, url, [finding("PHONE_NUMBER", location), finding("US_SSN", location)])
    assert v.decision == Decision.SANITIZE and [f.type for f in v.findings] == ["US_SSN"]
    assert v.matched_rules == ["twilio-call-and-verify-numbers"]


@pytest.mark.parametrize(("allow_id", "method", "url", "finding_type", "location"), [
    ("invitation-and-lookup-addresses", "POST", "https://www.googleapis.com/calendar/v3/calendars/primary/events",
     "EMAIL", "body$.attendees[1].email"),
    ("invitation-and-lookup-addresses", "POST", "https://www.googleapis.com/drive/v3/files/f1/permissions",
     "EMAIL", "body$.emailAddress"),
    ("invitation-and-lookup-addresses", "GET", "https://slack.com/api/users.lookupByEmail", "EMAIL",
     "query:email"),
    ("stripe-customer-contact", "POST", "https://api.stripe.com/v1/customers", "EMAIL", "form:email"),
    ("stripe-customer-contact", "POST", "https://api.stripe.com/v1/customers/cus_1", "PHONE_NUMBER",
     "form:phone"),
    ("stripe-customer-contact", "POST", "https://api.stripe.com/v1/payment_intents", "EMAIL",
     "form:receipt_email"),
])
def test_invitation_lookup_and_customer_contact_fields_are_expected(allow_id, method, url, finding_type,
                                                                    location):
    v = evaluate(DEFAULT, method, url, [finding(finding_type, location)])
    assert v.decision == Decision.ALLOW and v.matched_rules == [allow_id]
    other_field = evaluate(DEFAULT, method, url, [finding(finding_type, "body$.description")])
    assert other_field.decision == Decision.SANITIZE
    ssn_there = evaluate(DEFAULT, method, url, [finding("US_SSN", location)])
    assert ssn_there.decision == Decision.SANITIZE


def test_every_default_rule_and_allowance_is_described_and_documented():
    docs = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    for entry in (*DEFAULT.rules, *DEFAULT.allowances):
        assert entry.description, entry.id
        assert f"`{entry.id}`" in docs, f"docs/policy.md does not document {entry.id}"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "examples" / "policies").glob("*.toml")), ids=lambda p: p.name
)
def test_example_policies_are_valid(path):
    assert check_file(path) == []
    assert Policy.load(path).version != DEFAULT.version


def test_there_are_example_policies():
    assert len(list((ROOT / "examples" / "policies").glob("*.toml"))) >= 3
