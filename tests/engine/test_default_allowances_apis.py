"""The default policy's allowances for e-mail send, messaging, CRM, list and payout APIs.

Each request is built the way the vendor's SDK or documentation sends it and scanned by the embedded
engine. For every one: the recipients or the record's own contact fields go out untouched; an
address, phone number or SSN in another field of the same request is still redacted; and the same
body sent to another host is redacted as before.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import pytest

from interven_autoguard.engine.scanner import LocalScanner
from interven_autoguard.model import Decision, ScanResponse

SCANNER = LocalScanner()
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
SSN = "536-22-8107"
STRAY = "carol.stray@example.net"
PHONE = "+1 415 555 2132"


@dataclass
class Case:
    allow_id: str
    method: str
    url: str
    body: Any  # JSON-able object, or form text
    leak: Any  # the same request with one more finding in a field that is not the point of the call
    leak_locations: set[str]
    content_type: str = JSON
    point_types: set[str] = field(default_factory=lambda: {"EMAIL"})
    # what the request's own credential is where it is no auth field (Mandrill's body "key")
    credential_types: set[str] = field(default_factory=set)

    def text(self, body: Any) -> str:
        return body if isinstance(body, str) else json.dumps(body)


def scan(case: Case, body: Any, url: str | None = None) -> ScanResponse:
    return SCANNER.scan(
        method=case.method,
        url=url or case.url,
        headers={"Content-Type": case.content_type},
        body=case.text(body),
    )


def acted(response: ScanResponse) -> set[str]:
    return {f.location for f in response.findings if f.redacted}


def form(pairs: list[tuple[str, str]]) -> str:
    return urllib.parse.urlencode(pairs)


def mime(*, text: str = "Thanks for your order A-48213.") -> str:
    msg = (
        "From: Acme <no-reply@acme-corp.com>\r\nTo: jane.doe@gmail.com\r\nCc: bob@acme-corp.com\r\n"
        "Reply-To: support@acme-corp.com\r\nSubject: Your receipt\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
    )
    return base64.b64encode(msg.encode()).decode()


def ses_v2(text: str = "Thanks for your order A-48213.") -> dict[str, Any]:
    return {
        "FromEmailAddress": "Acme <no-reply@acme-corp.com>",
        "Destination": {
            "ToAddresses": ["jane.doe@gmail.com"],
            "CcAddresses": ["bob@acme-corp.com"],
            "BccAddresses": ["audit@acme-corp.com"],
        },
        "ReplyToAddresses": ["support@acme-corp.com"],
        "FeedbackForwardingEmailAddress": "bounces@acme-corp.com",
        "Content": {"Simple": {"Subject": {"Data": "Your receipt"}, "Body": {"Text": {"Data": text}}}},
        "ConfigurationSetName": "transactional",
    }


def ses_v1(extra: str = "Thanks") -> str:
    return form(
        [
            ("Action", "SendEmail"),
            ("Version", "2010-12-01"),
            ("Source", "receipts@acme-corp.com"),
            ("Destination.ToAddresses.member.1", "jane.doe@gmail.com"),
            ("Destination.ToAddresses.member.2", "john.roe@gmail.com"),
            ("Destination.CcAddresses.member.1", "bob@acme-corp.com"),
            ("ReplyToAddresses.member.1", "support@acme-corp.com"),
            ("ReturnPath", "bounces@acme-corp.com"),
            ("Message.Subject.Data", "Receipt"),
            ("Message.Body.Text.Data", extra),
        ]
    )


def brevo(html: str = "<p>Hi {{params.name}}</p>") -> dict[str, Any]:
    return {
        "sender": {"name": "Acme", "email": "hello@acme-corp.com"},
        "to": [{"email": "jane.doe@gmail.com", "name": "Jane Doe"}],
        "cc": [{"email": "bob@acme-corp.com"}],
        "bcc": [{"email": "audit@acme-corp.com"}],
        "replyTo": {"email": "support@acme-corp.com"},
        "subject": "Hello",
        "htmlContent": html,
        "params": {"name": "Jane"},
    }


def mandrill(text: str = "Thanks", template: bool = False) -> dict[str, Any]:
    message = {
        "from_email": "no-reply@acme-corp.com",
        "from_name": "Acme",
        "subject": "Receipt",
        "text": text,
        "to": [
            {"email": "jane.doe@gmail.com", "name": "Jane", "type": "to"},
            {"email": "bob@acme-corp.com", "type": "cc"},
        ],
        "headers": {"Reply-To": "support@acme-corp.com"},
        "bcc_address": "audit@acme-corp.com",
        "merge_vars": [{"rcpt": "jane.doe@gmail.com", "vars": [{"name": "FNAME", "content": "Jane"}]}],
    }
    body: dict[str, Any] = {"key": "md-Qm8Zp2Lm7Vn3Rt9Sx1Wy5A", "message": message}
    if template:
        body.update(template_name="receipt", template_content=[])
    return body


def mailgun(text: str = "Your id is %recipient.id%") -> str:
    variables = {
        "alice@acme-corp.com": {"first": "Alice", "id": 1},
        "bob@acme-corp.com": {"first": "Bob", "id": 2},
    }
    return form(
        [
            ("from", "Store <postmaster@mg.example-store.com>"),
            ("to", "alice@acme-corp.com"),
            ("to", "bob@acme-corp.com"),
            ("subject", "Hi %recipient.first%"),
            ("text", text),
            ("recipient-variables", json.dumps(variables)),
        ]
    )


def whatsapp(number: str, text: str = "Your order A-48213 has shipped") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": number,
        "type": "text",
        "text": {"preview_url": False, "body": text},
    }


def whatsapp_template(number: str, param: str = "A-48213") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "to": number,
        "type": "template",
        "template": {
            "name": "order_shipped",
            "language": {"code": "de"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": param}]}],
        },
    }


def hubspot(note: str = "Met at the trade fair") -> dict[str, Any]:
    return {
        "properties": {
            "email": "jane.doe@acme-corp.com",
            "firstname": "Jane",
            "lastname": "Doe",
            "phone": "+1 415 555 2671",
            "mobilephone": "+49 151 23456789",
            "notes_last_contacted": note,
        }
    }


def salesforce(description: str = "Inbound from the web form") -> dict[str, Any]:
    return {
        "LastName": "Doe",
        "FirstName": "Jane",
        "Company": "Acme",
        "Email": "jane.doe@acme-corp.com",
        "Phone": "(415) 555-2671",
        "MobilePhone": "+44 7700 900123",
        "Description": description,
    }


def zendesk_ticket(comment: str = "I cannot log in since yesterday.") -> dict[str, Any]:
    return {
        "ticket": {
            "subject": "Login problem",
            "comment": {"body": comment},
            "requester": {"name": "Jane Doe", "email": "jane.doe@gmail.com"},
            "email_ccs": [{"user_email": "bob@acme-corp.com", "action": "put"}],
            "priority": "normal",
        }
    }


def calcom(notes: str = "Looking forward to it") -> dict[str, Any]:
    return {
        "start": "2024-09-20T09:00:00Z",
        "eventTypeId": 123456,
        "attendee": {
            "name": "Jane Doe",
            "email": "jane.doe@gmail.com",
            "timeZone": "Europe/Berlin",
            "phoneNumber": "+4915123456789",
            "language": "de",
        },
        "guests": ["bob@acme-corp.com"],
        "bookingFieldsResponses": {"notes": notes},
    }


def paypal(note: str = "Thanks for your work") -> dict[str, Any]:
    return {
        "sender_batch_header": {
            "sender_batch_id": "Payouts_2024_09_17",
            "email_subject": "You have a payout!",
        },
        "items": [
            {
                "recipient_type": "EMAIL",
                "amount": {"value": "9.87", "currency": "USD"},
                "receiver": "vendor@example-vendor.com",
                "note": note,
                "sender_item_id": "201403140001",
            },
            {
                "recipient_type": "PHONE",
                "amount": {"value": "112.34", "currency": "USD"},
                "receiver": "+14085551234",
                "note": "Thanks",
            },
        ],
    }


SES_V2 = "https://email.us-east-1.amazonaws.com/v2/email/outbound-emails"
WA = "https://graph.facebook.com/v20.0/106540352242922/messages"
HUBSPOT = "https://api.hubapi.com/crm/v3/objects/contacts"

CASES: dict[str, Case] = {
    "ses-v2-simple": Case(
        "ses-recipients",
        "POST",
        SES_V2,
        ses_v2(),
        ses_v2("Questions? Ask " + STRAY),
        {"body$.Content.Simple.Body.Text.Data"},
    ),
    "ses-v2-raw": Case(
        "ses-recipients",
        "POST",
        "https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails",
        {"FromEmailAddress": "no-reply@acme-corp.com", "Content": {"Raw": {"Data": mime()}}},
        {
            "FromEmailAddress": "no-reply@acme-corp.com",
            "Content": {"Raw": {"Data": mime(text="Ask " + STRAY)}},
        },
        {"body$.Content.Raw.Data"},
    ),
    "ses-v2-bulk": Case(
        "ses-recipients",
        "POST",
        "https://email.us-west-2.amazonaws.com/v2/email/outbound-bulk-emails",
        {
            "FromEmailAddress": "no-reply@acme-corp.com",
            "BulkEmailEntries": [
                {
                    "Destination": {"ToAddresses": ["jane.doe@gmail.com"]},
                    "ReplacementEmailContent": {
                        "ReplacementTemplate": {"ReplacementTemplateData": '{"name": "Jane"}'}
                    },
                }
            ],
            "DefaultContent": {"Template": {"TemplateName": "receipt", "TemplateData": "{}"}},
        },
        {
            "FromEmailAddress": "no-reply@acme-corp.com",
            "BulkEmailEntries": [
                {
                    "Destination": {"ToAddresses": ["jane.doe@gmail.com"]},
                    "ReplacementEmailContent": {
                        "ReplacementTemplate": {"ReplacementTemplateData": json.dumps({"ssn": SSN})}
                    },
                }
            ],
            "DefaultContent": {"Template": {"TemplateName": "receipt", "TemplateData": "{}"}},
        },
        {
            "body$.BulkEmailEntries[0].ReplacementEmailContent.ReplacementTemplate"
            ".ReplacementTemplateData<json>$.ssn"
        },
    ),
    "ses-v1-form": Case(
        "ses-recipients",
        "POST",
        "https://email.us-east-1.amazonaws.com/",
        ses_v1(),
        ses_v1("Call me at " + PHONE),
        {"form:Message.Body.Text.Data"},
        FORM,
    ),
    "ses-v1-raw": Case(
        "ses-recipients",
        "POST",
        "https://email.eu-central-1.amazonaws.com/",
        form(
            [
                ("Action", "SendRawEmail"),
                ("Source", "no-reply@acme-corp.com"),
                ("RawMessage.Data", mime()),
            ]
        ),
        form(
            [
                ("Action", "SendRawEmail"),
                ("Source", "no-reply@acme-corp.com"),
                ("RawMessage.Data", mime(text="SSN " + SSN)),
            ]
        ),
        {"form:RawMessage.Data"},
        FORM,
    ),
    "brevo": Case(
        "brevo-recipients",
        "POST",
        "https://api.brevo.com/v3/smtp/email",
        brevo(),
        brevo("<p>Write to " + STRAY + "</p>"),
        {"body$.htmlContent"},
    ),
    "mandrill-send": Case(
        "mandrill-recipients",
        "POST",
        "https://mandrillapp.com/api/1.0/messages/send",
        mandrill(),
        mandrill("Write to " + STRAY),
        {"body$.message.text"},
        credential_types={"MAILCHIMP_KEY"},
    ),
    "mandrill-template": Case(
        "mandrill-recipients",
        "POST",
        "https://mandrillapp.com/api/1.0/messages/send-template.json",
        mandrill(template=True),
        mandrill("SSN " + SSN, template=True),
        {"body$.message.text"},
        credential_types={"MAILCHIMP_KEY"},
    ),
    "mailgun-batch": Case(
        "mailgun-recipient-variables",
        "POST",
        "https://api.mailgun.net/v3/mg.example-store.com/messages",
        mailgun(),
        mailgun("Write to " + STRAY),
        {"form:text"},
        FORM,
    ),
    "sendgrid": Case(
        "sendgrid-recipients",
        "POST",
        "https://api.sendgrid.com/v3/mail/send",
        {
            "personalizations": [
                {
                    "to": [{"email": "jane.doe@gmail.com", "name": "Jane"}],
                    "cc": [{"email": "bob@acme-corp.com"}],
                    "bcc": [{"email": "audit@acme-corp.com"}],
                    "dynamic_template_data": {"first": "Jane"},
                }
            ],
            "from": {"email": "no-reply@acme-corp.com", "name": "Acme"},
            "reply_to": {"email": "support@acme-corp.com"},
            "template_id": "d-1234",
        },
        {
            "personalizations": [
                {"to": [{"email": "jane.doe@gmail.com"}], "dynamic_template_data": {"contact": STRAY}}
            ],
            "from": {"email": "no-reply@acme-corp.com"},
            "template_id": "d-1234",
        },
        {"body$.personalizations[0].dynamic_template_data.contact"},
    ),
    "resend": Case(
        "resend-recipients",
        "POST",
        "https://api.resend.com/emails",
        {
            "from": "Acme <no-reply@acme-corp.com>",
            "to": ["jane.doe@gmail.com"],
            "cc": "bob@acme-corp.com",
            "bcc": ["audit@acme-corp.com"],
            "reply_to": "support@acme-corp.com",
            "subject": "Receipt",
            "html": "<p>Thanks</p>",
        },
        {
            "from": "Acme <no-reply@acme-corp.com>",
            "to": ["jane.doe@gmail.com"],
            "subject": "Receipt",
            "html": "<p>Ask " + STRAY + "</p>",
        },
        {"body$.html"},
    ),
    "whatsapp-text": Case(
        "whatsapp-message-recipient",
        "POST",
        WA,
        whatsapp("+16505551234"),
        whatsapp("+16505551234", "Call our agent on " + PHONE),
        {"body$.text.body"},
        point_types={"PHONE_NUMBER"},
    ),
    "whatsapp-template": Case(
        "whatsapp-message-recipient",
        "POST",
        WA,
        whatsapp_template("+4915123456789"),
        whatsapp_template("+4915123456789", PHONE),
        {"body$.template.components[0].parameters[0].text"},
        point_types={"PHONE_NUMBER"},
    ),
    "hubspot-create": Case(
        "hubspot-contact-fields",
        "POST",
        HUBSPOT,
        hubspot(),
        hubspot("SSN " + SSN),
        {"body$.properties.notes_last_contacted"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "hubspot-update": Case(
        "hubspot-contact-fields",
        "PATCH",
        HUBSPOT + "/51",
        hubspot(),
        hubspot("Ask " + STRAY),
        {"body$.properties.notes_last_contacted"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "hubspot-search": Case(
        "hubspot-contact-fields",
        "POST",
        HUBSPOT + "/search",
        {
            "filterGroups": [
                {"filters": [{"propertyName": "email", "operator": "EQ", "value": "jane.doe@acme-corp.com"}]}
            ],
            "properties": ["email", "firstname"],
            "limit": 10,
        },
        {
            "filterGroups": [
                {"filters": [{"propertyName": "email", "operator": "EQ", "value": "jane.doe@acme-corp.com"}]}
            ],
            "query": STRAY,
            "limit": 10,
        },
        {"body$.query"},
    ),
    "hubspot-batch-upsert": Case(
        "hubspot-contact-fields",
        "POST",
        HUBSPOT + "/batch/upsert",
        {
            "inputs": [
                {
                    "idProperty": "email",
                    "id": "jane.doe@acme-corp.com",
                    "properties": {"phone": "+1 415 555 2671", "firstname": "Jane"},
                }
            ]
        },
        {
            "inputs": [
                {
                    "idProperty": "email",
                    "id": "jane.doe@acme-corp.com",
                    "properties": {"phone": "+1 415 555 2671", "message": "SSN " + SSN},
                }
            ]
        },
        {"body$.inputs[0].properties.message"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "salesforce-lead": Case(
        "salesforce-lead-contact-fields",
        "POST",
        "https://acme.my.salesforce.com/services/data/v61.0/sobjects/Lead/",
        salesforce(),
        salesforce("Assistant: " + STRAY),
        {"body$.Description"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "salesforce-contact-update": Case(
        "salesforce-lead-contact-fields",
        "PATCH",
        "https://acme.my.salesforce.com/services/data/v59.0/sobjects/Contact/003xx000004TmiQ",
        salesforce(),
        salesforce("SSN " + SSN),
        {"body$.Description"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "zendesk-ticket": Case(
        "zendesk-requester-and-user-fields",
        "POST",
        "https://acme.zendesk.com/api/v2/tickets.json",
        zendesk_ticket(),
        zendesk_ticket("My SSN is " + SSN),
        {"body$.ticket.comment.body"},
    ),
    "zendesk-user": Case(
        "zendesk-requester-and-user-fields",
        "POST",
        "https://acme.zendesk.com/api/v2/users/create_or_update.json",
        {
            "user": {
                "name": "Jane Doe",
                "email": "jane.doe@gmail.com",
                "phone": "+1 415 555 2671",
                "notes": "VIP",
            }
        },
        {"user": {"name": "Jane Doe", "email": "jane.doe@gmail.com", "notes": "backup " + STRAY}},
        {"body$.user.notes"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "intercom-create": Case(
        "intercom-contact-fields",
        "POST",
        "https://api.intercom.io/contacts",
        {
            "role": "user",
            "external_id": "u-48213",
            "email": "jane.doe@gmail.com",
            "phone": "+1 415 555 2671",
            "name": "Jane Doe",
        },
        {
            "role": "user",
            "email": "jane.doe@gmail.com",
            "phone": "+1 415 555 2671",
            "custom_attributes": {"tax_id": SSN},
        },
        {"body$.custom_attributes.tax_id"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "intercom-search": Case(
        "intercom-contact-fields",
        "POST",
        "https://api.intercom.io/contacts/search",
        {"query": {"field": "email", "operator": "=", "value": "jane.doe@gmail.com"}},
        {
            "query": {"field": "email", "operator": "=", "value": "jane.doe@gmail.com"},
            "pagination": {"per_page": 5},
            "note": "Ask " + STRAY,
        },
        {"body$.note"},
    ),
    "calcom-v2": Case(
        "calcom-booking-attendee",
        "POST",
        "https://api.cal.com/v2/bookings",
        calcom(),
        calcom("Call me on " + PHONE),
        {"body$.bookingFieldsResponses.notes"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "calcom-v1": Case(
        "calcom-booking-attendee",
        "POST",
        "https://api.cal.com/v1/bookings?apiKey=cal_live_x",
        {
            "eventTypeId": 1,
            "start": "2024-09-20T09:00:00Z",
            "timeZone": "Europe/Berlin",
            "language": "en",
            "metadata": {},
            "responses": {
                "name": "Jane Doe",
                "email": "jane.doe@gmail.com",
                "guests": ["bob@acme-corp.com"],
                "notes": "Agenda attached",
            },
        },
        {
            "eventTypeId": 1,
            "start": "2024-09-20T09:00:00Z",
            "timeZone": "Europe/Berlin",
            "language": "en",
            "metadata": {},
            "responses": {"name": "Jane Doe", "email": "jane.doe@gmail.com", "notes": "SSN " + SSN},
        },
        {"body$.responses.notes"},
    ),
    "mailchimp-member": Case(
        "mailing-list-member-fields",
        "POST",
        "https://us21.api.mailchimp.com/3.0/lists/a1b2c3d4e5/members",
        {
            "email_address": "jane.doe@gmail.com",
            "status": "subscribed",
            "merge_fields": {"FNAME": "Jane", "PHONE": "+1 415 555 2671"},
        },
        {
            "email_address": "jane.doe@gmail.com",
            "status": "subscribed",
            "merge_fields": {"FNAME": "Jane", "REFERRER": STRAY},
        },
        {"body$.merge_fields.REFERRER"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "brevo-contact": Case(
        "mailing-list-member-fields",
        "POST",
        "https://api.brevo.com/v3/contacts",
        {
            "email": "jane.doe@gmail.com",
            "attributes": {"FIRSTNAME": "Jane", "SMS": "+33612345678"},
            "listIds": [2, 4],
            "updateEnabled": True,
        },
        {
            "email": "jane.doe@gmail.com",
            "attributes": {"FIRSTNAME": "Jane", "NOTES": "SSN " + SSN},
            "listIds": [2],
        },
        {"body$.attributes.NOTES"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "paypal-payout": Case(  # the sandbox: a live payout also needs approval (below)
        "paypal-payout-receivers",
        "POST",
        "https://api-m.sandbox.paypal.com/v1/payments/payouts",
        paypal(),
        paypal("Questions: " + STRAY),
        {"body$.items[0].note"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_the_point_of_the_call_goes_out_untouched(name: str) -> None:
    case = CASES[name]
    r = scan(case, case.body)
    assert r.decision == Decision.ALLOW, [(f.type, f.location) for f in r.findings if f.redacted]
    assert case.allow_id in r.matched_rules
    assert not acted(r)
    assert {f.type for f in r.findings} == case.point_types  # they were found, and excused


@pytest.mark.parametrize("name", CASES)
def test_pii_in_another_field_of_the_same_request_is_still_redacted(name: str) -> None:
    case = CASES[name]
    r = scan(case, case.leak)
    assert r.decision == Decision.SANITIZE
    assert acted(r) == case.leak_locations


@pytest.mark.parametrize("name", CASES)
def test_the_same_body_to_another_host_is_redacted(name: str) -> None:
    case = CASES[name]
    parts = urllib.parse.urlsplit(case.url)
    r = scan(case, case.body, parts._replace(netloc="api.example-relay.net").geturl())
    assert r.decision == Decision.SANITIZE
    assert r.matched_rules == []
    assert {f.type for f in r.findings if f.redacted} == case.point_types | case.credential_types


@pytest.mark.parametrize(
    "host",
    [
        "email.s3.amazonaws.com",
        "email.us-east-1.s3.amazonaws.com",
        "email.us-east-1.amazonaws.com.evil.example",
    ],
)
def test_ses_recipients_are_not_excused_on_look_alike_aws_hosts(host: str) -> None:
    case = CASES["ses-v2-simple"]
    r = scan(case, case.body, f"https://{host}/v2/email/outbound-emails")
    assert r.decision == Decision.SANITIZE and "ses-recipients" not in r.matched_rules


def test_a_whatsapp_recipient_excuses_a_phone_number_only() -> None:
    case = CASES["whatsapp-text"]
    r = scan(case, whatsapp("jane.doe@gmail.com"))
    assert r.decision == Decision.SANITIZE and acted(r) == {"body$.to"}


def test_a_record_field_does_not_excuse_an_ssn() -> None:
    case = CASES["salesforce-lead"]
    r = scan(case, dict(salesforce(), Phone=SSN))
    assert r.decision == Decision.SANITIZE and acted(r) == {"body$.Phone"}


def test_ses_v1_parameter_names_are_shown_and_an_allowance_can_name_them() -> None:
    case = CASES["ses-v1-form"]
    r = scan(case, case.body)
    assert {f.location for f in r.findings} == {
        "form:Source",
        "form:ReturnPath",
        "form:Destination.ToAddresses.member.1",
        "form:Destination.ToAddresses.member.2",
        "form:Destination.CcAddresses.member.1",
        "form:ReplyToAddresses.member.1",
    }


def test_a_live_paypal_payout_waits_for_approval_with_its_receivers_untouched() -> None:
    """Money leaving the balance needs a human (``paypal-create-payout``); who receives it is the
    point of the call, so the approver sees, and the approved call sends, the receivers as written."""
    case = CASES["paypal-payout"]
    r = scan(case, case.body, "https://api-m.paypal.com/v1/payments/payouts")
    assert r.decision == Decision.REQUIRE_APPROVAL
    assert {"paypal-create-payout", "paypal-payout-receivers"} <= set(r.matched_rules)
    assert not acted(r)


def test_ses_bulk_template_data_is_not_the_recipients() -> None:
    """A bulk destination's ReplacementTemplateData sits inside ``Destinations.member.N``: an address
    there is template data, redacted like one in DefaultTemplateData; the destination's addresses
    go out. (So SendRawEmail's optional ``Destinations.member.N`` list is not excused either: its
    recipients are the raw message's header lines.)"""
    body = form([
        ("Action", "SendBulkTemplatedEmail"), ("Source", "noreply@shop-example.com"), ("Template", "T"),
        ("Destinations.member.1.Destination.ToAddresses.member.1", "alice@acme-corp.com"),
        ("Destinations.member.1.ReplacementTemplateData", '{"note": "forward to carol.private@gmail.com"}'),
        ("DefaultTemplateData", '{"note": "forward to dave.private@gmail.com"}'),
    ])
    r = SCANNER.scan(method="POST", url="https://email.us-east-1.amazonaws.com/",
                     headers={"Content-Type": FORM}, body=body)
    assert r.decision == Decision.SANITIZE
    assert acted(r) == {"form:Destinations.member.1.ReplacementTemplateData", "form:DefaultTemplateData"}
