"""The default policy's allowances for help-desk, payment, bank-transfer, validation and contact-list
APIs whose customer e-mail, phone number or IBAN is the point of the call: Freshdesk, Square, PayPal
Orders and Invoicing, Wise recipients, Mailgun validation, SendGrid and Resend contacts, SES contact
lists.

Built as the vendors document the requests and scanned by the embedded engine, with the conventions
of ``test_default_allowances_apis``: the contact fields go out untouched; the same kind of value in a
free-text field of the same request (a note, a description, custom fields) is still redacted; the
same body to another host is redacted; and on another path of the same host, or with a credential
in the contact field, nothing is excused.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from secret_samples import SAMPLES
from test_default_allowances_apis import FORM, PHONE, SSN, STRAY, Case, acted, scan

from interven_autoguard.engine.scanner import LocalScanner
from interven_autoguard.model import Decision

SCANNER = LocalScanner()
IBAN = "DE44500105175407324931"
GITHUB_TOKEN = SAMPLES["github-pat"]()[1]
SES_LIST = "https://email.eu-west-1.amazonaws.com/v2/email/contact-lists/newsletter/contacts"


def freshdesk_contact(description: str = "Prefers e-mail") -> dict[str, Any]:
    return {
        "name": "Jane Doe",
        "email": "jane.doe@gmail.com",
        "other_emails": ["jane@acme-corp.com"],
        "phone": "+1 415 555 2671",
        "mobile": "+49 151 23456789",
        "description": description,
    }


def freshdesk_ticket(description: str = "<p>I cannot log in since yesterday.</p>") -> dict[str, Any]:
    return {
        "subject": "Login problem",
        "description": description,
        "email": "jane.doe@gmail.com",
        "phone": "+1 415 555 2671",
        "cc_emails": ["bob@acme-corp.com"],
        "priority": 1,
        "status": 2,
        "custom_fields": {"cf_order": "A-48213"},
    }


def square_customer(note: str = "Regular since 2021") -> dict[str, Any]:
    return {
        "idempotency_key": "8f3c2a4e-5d6b-4c1e-9a7f-2b3c4d5e6f70",
        "given_name": "Jane",
        "family_name": "Doe",
        "email_address": "jane.doe@gmail.com",
        "phone_number": "+1-415-555-2671",
        "reference_id": "A-48213",
        "note": note,
    }


def paypal_order(description: str = "Blue mug") -> dict[str, Any]:
    return {
        "intent": "CAPTURE",
        "payer": {
            "name": {"given_name": "Jane", "surname": "Doe"},
            "email_address": "jane.doe@gmail.com",
            "phone": {"phone_type": "MOBILE", "phone_number": {"national_number": "4155552671"}},
        },
        "payment_source": {"paypal": {"email_address": "jane.doe@gmail.com"}},
        "purchase_units": [
            {
                "reference_id": "A-48213",
                "description": description,
                "amount": {"currency_code": "USD", "value": "100.00"},
                "payee": {"email_address": "sales@acme-corp.com"},
                "shipping": {
                    "name": {"full_name": "Jane Doe"},
                    "email_address": "jane.doe@gmail.com",
                    "phone_number": {"country_code": "1", "national_number": "4155552671"},
                    "address": {"address_line_1": "1 Main St", "admin_area_2": "San Jose",
                                "admin_area_1": "CA", "postal_code": "95131", "country_code": "US"},
                },
            }
        ],
    }


def paypal_invoice(note: str = "Thank you for your business.") -> dict[str, Any]:
    return {
        "detail": {"invoice_number": "#123", "currency_code": "USD", "note": note, "term": "Net 10",
                   "memo": "Q3 contract"},
        "invoicer": {
            "name": {"given_name": "David", "surname": "Larusso"},
            "email_address": "billing@acme-corp.com",
            "phones": [{"country_code": "001", "national_number": "4085551234", "phone_type": "MOBILE"}],
            "website": "https://acme-corp.com",
        },
        "primary_recipients": [
            {
                "billing_info": {
                    "name": {"given_name": "Stephanie", "surname": "Meyers"},
                    "email_address": "bill-me@gmail.com",
                    "phones": [{"country_code": "001", "national_number": "4155552671"}],
                },
                "shipping_info": {"name": {"given_name": "Stephanie", "surname": "Meyers"}},
            }
        ],
        "additional_recipients": ["inform-me@gmail.com"],
        "items": [{"name": "Yoga Mat", "quantity": "1",
                   "unit_amount": {"currency_code": "USD", "value": "50.00"}}],
    }


def wise_iban(holder: str = "Jane Doe") -> dict[str, Any]:
    return {
        "currency": "EUR",
        "type": "iban",
        "profile": 12345678,
        "accountHolderName": holder,
        "details": {"legalType": "PRIVATE", "IBAN": IBAN},
    }


def sendgrid_contacts(city: str = "Berlin") -> dict[str, Any]:
    return {
        "list_ids": ["ca7a3796-e8a8-4029-9ccb-df8937940562"],
        "contacts": [
            {
                "email": "jane.doe@gmail.com",
                "alternate_emails": ["jane@acme-corp.com"],
                "phone_number": "+1 415 555 2671",
                "first_name": "Jane",
                "city": city,
                "custom_fields": {"e1_T": "gold"},
            }
        ],
    }


CASES: dict[str, Case] = {
    "freshdesk-contact": Case(
        "freshdesk-contact-and-requester-fields",
        "POST",
        "https://acme.freshdesk.com/api/v2/contacts",
        freshdesk_contact(),
        freshdesk_contact("Her assistant: " + STRAY),
        {"body$.description"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "freshdesk-contact-update": Case(
        "freshdesk-contact-and-requester-fields",
        "PUT",
        "https://acme.freshdesk.com/api/v2/contacts/432",
        freshdesk_contact(),
        freshdesk_contact("SSN " + SSN),
        {"body$.description"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "freshdesk-ticket": Case(
        "freshdesk-contact-and-requester-fields",
        "POST",
        "https://acme.freshdesk.com/api/v2/tickets",
        freshdesk_ticket(),
        freshdesk_ticket("<p>Call me back on " + PHONE + "</p>"),
        {"body$.description"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "square-customer": Case(
        "square-customer-contact",
        "POST",
        "https://connect.squareup.com/v2/customers",
        square_customer(),
        square_customer("Husband: " + STRAY),
        {"body$.note"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "square-customer-update-sandbox": Case(
        "square-customer-contact",
        "PUT",
        "https://connect.squareupsandbox.com/v2/customers/JDKYHBWT1D4F8MFH63DBMEN8Y4",
        square_customer(),
        square_customer("Other phone " + PHONE),
        {"body$.note"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "paypal-order": Case(
        "paypal-order-and-invoice-parties",
        "POST",
        "https://api-m.paypal.com/v2/checkout/orders",
        paypal_order(),
        paypal_order("Gift for " + STRAY),
        {"body$.purchase_units[0].description"},
    ),
    "paypal-invoice": Case(
        "paypal-order-and-invoice-parties",
        "POST",
        "https://api-m.sandbox.paypal.com/v2/invoicing/invoices",
        paypal_invoice(),
        paypal_invoice("Questions? " + STRAY),
        {"body$.detail.note"},
    ),
    "wise-iban-recipient": Case(
        "wise-recipient-account",
        "POST",
        "https://api.wise.com/v1/accounts",
        wise_iban(),
        wise_iban("Jane Doe " + STRAY),
        {"body$.accountHolderName"},
        point_types={"IBAN"},
    ),
    "wise-email-recipient": Case(
        "wise-email-recipient",
        "POST",
        "https://api.sandbox.transferwise.tech/v1/accounts",
        {"currency": "EUR", "type": "email", "profile": 12345678, "accountHolderName": "Jane Doe",
         "details": {"email": "jane.doe@gmail.com"}},
        {"currency": "EUR", "type": "email", "profile": 12345678, "accountHolderName": "Jane Doe",
         "details": {"email": "jane.doe@gmail.com", "reference": "IBAN " + IBAN}},
        {"body$.details.reference"},
    ),
    "mailgun-validate-form": Case(
        "mailgun-address-validation",
        "POST",
        "https://api.mailgun.net/v4/address/validate",
        urllib.parse.urlencode({"address": "jane.doe@gmail.com"}),
        urllib.parse.urlencode({"address": "jane.doe@gmail.com", "note": "from " + STRAY}),
        {"form:note"},
        FORM,
    ),
    "sendgrid-contacts": Case(
        "sendgrid-marketing-contacts",
        "PUT",
        "https://api.sendgrid.com/v3/marketing/contacts",
        sendgrid_contacts(),
        sendgrid_contacts("Berlin, ask " + STRAY),
        {"body$.contacts[0].city"},
        point_types={"EMAIL", "PHONE_NUMBER"},
    ),
    "resend-audience-contact": Case(
        "resend-contacts",
        "POST",
        "https://api.resend.com/audiences/78261eea-8f8b-4381-83c6-79fa7120f1cf/contacts",
        {"email": "jane.doe@gmail.com", "first_name": "Jane", "last_name": "Doe", "unsubscribed": False},
        {"email": "jane.doe@gmail.com", "first_name": "Jane", "last_name": "Doe " + STRAY},
        {"body$.last_name"},
    ),
    "resend-global-contact": Case(
        "resend-contacts",
        "POST",
        "https://api.resend.com/contacts",
        {"email": "jane.doe@gmail.com", "first_name": "Jane", "properties": {"plan": "pro"}},
        {"email": "jane.doe@gmail.com", "first_name": "Jane", "properties": {"referrer": STRAY}},
        {"body$.properties.referrer"},
    ),
    "ses-contact-list": Case(
        "ses-contact-list-contacts",
        "POST",
        SES_LIST,
        {"EmailAddress": "jane.doe@gmail.com",
         "TopicPreferences": [{"TopicName": "weekly", "SubscriptionStatus": "OPT_IN"}],
         "AttributesData": '{"plan": "pro"}'},
        {"EmailAddress": "jane.doe@gmail.com", "AttributesData": '{"phone": "' + PHONE + '"}'},
        {"body$.AttributesData<json>$.phone"},
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_the_contact_goes_out_untouched(name: str) -> None:
    case = CASES[name]
    r = scan(case, case.body)
    assert r.decision == Decision.ALLOW, [(f.type, f.location) for f in r.findings if f.redacted]
    assert case.allow_id in r.matched_rules
    assert not acted(r)
    assert {f.type for f in r.findings} == case.point_types  # found, and excused


@pytest.mark.parametrize("name", CASES)
def test_pii_in_a_free_text_field_of_the_same_call_is_still_redacted(name: str) -> None:
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
    assert {f.type for f in r.findings if f.redacted} == case.point_types


@pytest.mark.parametrize(("name", "path"), [
    ("freshdesk-contact", "/api/v2/contacts/432/send_invite/x"),
    ("freshdesk-ticket", "/api/v2/tickets/48213/reply"),  # a reply's body is a message, not a record
    ("square-customer", "/v2/invoices"),
    ("paypal-order", "/v2/checkout/orders/5O190127TN364715T/capture"),
    ("wise-iban-recipient", "/v3/profiles/12345678/transfers"),
    ("mailgun-validate-form", "/v3/mg.acme-corp.com/messages"),
    ("sendgrid-contacts", "/v3/mail/batch"),
    ("resend-global-contact", "/broadcasts"),
    ("ses-contact-list", "/v2/email/contact-lists/newsletter"),
])
def test_another_path_of_the_same_api_excuses_nothing(name: str, path: str) -> None:
    case = CASES[name]
    url = urllib.parse.urlsplit(case.url)._replace(path=path).geturl()
    r = scan(case, case.body, url)
    assert r.decision == Decision.SANITIZE
    assert {f.type for f in r.findings if f.redacted} == case.point_types


@pytest.mark.parametrize(("name", "field"), [
    ("freshdesk-contact", "email"),
    ("square-customer", "email_address"),
    ("resend-global-contact", "email"),
    ("ses-contact-list", "EmailAddress"),
])
def test_a_credential_in_a_contact_field_is_still_a_finding(name: str, field: str) -> None:
    case = CASES[name]
    body = dict(case.body, **{field: GITHUB_TOKEN})
    r = scan(case, body)
    assert r.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in r.findings if f.redacted] == [("GITHUB_PAT", f"body$.{field}")]


def test_a_contact_field_excuses_an_ssn_in_it_no_more_than_elsewhere() -> None:
    case = CASES["square-customer"]
    r = scan(case, dict(square_customer(), phone_number=SSN))
    assert r.decision == Decision.SANITIZE and acted(r) == {"body$.phone_number"}


def test_an_iban_in_the_email_field_or_an_address_in_the_iban_field_is_no_contact() -> None:
    case = CASES["wise-iban-recipient"]
    wrong = dict(wise_iban(), details={"legalType": "PRIVATE", "IBAN": IBAN, "email": IBAN,
                                       "address": {"city": "Berlin", "firstLine": STRAY}})
    r = scan(case, wrong)
    assert r.decision == Decision.SANITIZE
    assert acted(r) == {"body$.details.email", "body$.details.address.firstLine"}


def test_mailgun_validation_takes_the_address_in_the_query_too() -> None:
    url = "https://api.eu.mailgun.net/v4/address/validate?address=jane.doe%40gmail.com&provider_lookup=true"
    r = SCANNER.scan(method="GET", url=url, headers={}, body=None)
    assert r.decision == Decision.ALLOW and "mailgun-address-validation" in r.matched_rules
    other = SCANNER.scan(method="GET", url=url + "&note=" + urllib.parse.quote(STRAY), headers={}, body=None)
    assert other.decision == Decision.SANITIZE and acted(other) == {"query:note"}


def test_an_address_named_in_the_contact_path_is_the_contact() -> None:
    for url in (SES_LIST + "/jane.doe%40gmail.com",
                "https://api.resend.com/audiences/78261eea-8f8b-4381-83c6-79fa7120f1cf/contacts/jane.doe@gmail.com"):
        r = SCANNER.scan(method="GET", url=url, headers={}, body=None)
        assert r.decision == Decision.ALLOW, url
        assert {f.type for f in r.findings} == {"EMAIL"}
        # ... but not in another path of the same host
        other = url.replace("contacts", "templates")
        assert SCANNER.scan(method="GET", url=other, headers={}, body=None).decision == Decision.SANITIZE


def test_sendgrid_contacts_are_excused_on_the_upsert_only() -> None:
    case = CASES["sendgrid-contacts"]
    for method in ("POST", "PATCH"):
        r = SCANNER.scan(method=method, url=case.url, headers={"Content-Type": "application/json"},
                         body=case.text(case.body))
        assert r.decision == Decision.SANITIZE, method
