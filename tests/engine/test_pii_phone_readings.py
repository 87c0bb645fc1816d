"""Phone-shaped codes and phone words in their other senses (third audit, problems 5 and 6).

Problem 5: a number written ``XXX-XXX-XXXX`` needs no context to be a phone number, and identifier
keys did not cancel that: about 45% of Google Ads customer IDs (``{"customer_id": "415-555-2671"}``,
the way Google Ads prints them) and phone-shaped SKUs were redacted. Under a key that names an
identifier, a code or a count it is that; under a phone key, after phone words, or in prose such
as "call me at 415-555-2671", it is still a phone number.

Problem 6: "mobile", "cell", "SMS" and "phone model … serial" gave phone context to any ten-digit
number nearby ("Set cell C7 to 4155552671", "Mobile checkout order 4155552671 failed"): about 45%
of random values were redacted. "cell", "mobile", "sms" now count only right before a number
("mobile: …", "my cell is …"), and identifier nouns cancel a phone word as counts and ids did.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import interven_autoguard
from interven_autoguard.engine import pii

AREA_CODES = [212, 213, 312, 415, 510, 617, 646, 650, 702, 713, 206, 303, 305, 404, 512, 602, 718, 773]
# valid US numbers (every area code above, exchange 200-999): phonenumbers accepts each one
us_numbers = st.builds(lambda area, exchange, line: (area, exchange, line), st.sampled_from(AREA_CODES),
                       st.integers(200, 999), st.integers(0, 9999))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def dashed(n: tuple[int, int, int]) -> str:
    return f"{n[0]}-{n[1]}-{n[2]:04d}"


def bare(n: tuple[int, int, int]) -> str:
    return f"{n[0]}{n[1]}{n[2]:04d}"


def chat(content: str) -> Any:
    messages = [{"role": "user", "content": content}]
    return interven_autoguard.scan(method="POST", url="https://api.openai.com/v1/chat/completions",
                                   body={"model": "gpt-4o", "messages": messages})


def mcp_tool_call(arguments: dict[str, Any]) -> Any:
    return interven_autoguard.scan(method="POST", url="https://mcp.example-vendor.com/mcp", body={
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "google_ads_report", "arguments": arguments}})


def phone_findings(response: Any) -> list[str]:
    return [f.location for f in response.findings if f.type == "PHONE_NUMBER"]


# ---------------------------------------------------------------- problem 5: codes under their keys

CODE_KEYS = ["customer_id", "customerId", "login_customer_id", "client_customer_id", "order_id", "sku", "mpn",
             "part_number", "partNo", "invoice_no", "ticket", "tracking_number", "item_count", "serial"]
PHONE_KEYS = ["phone", "phoneNumber", "mobile_number", "order_phone", "contact_tel", "fax", "cell"]


@pytest.mark.parametrize("key", CODE_KEYS)
def test_a_dashed_code_under_its_key_is_no_phone_number(key: str) -> None:
    response = mcp_tool_call({key: "415-555-2671", "date_range": "LAST_30_DAYS"})
    assert response.decision == "ALLOW" and response.findings == []


@pytest.mark.parametrize("key", PHONE_KEYS)
def test_a_dashed_number_under_a_phone_key_still_is(key: str) -> None:
    response = mcp_tool_call({key: "415-555-2671"})
    assert response.decision == "SANITIZE" and phone_findings(response) == [f"body$.params.arguments.{key}"]


def test_google_ads_tool_call_in_a_chat_and_a_phone_number_next_to_it() -> None:
    arguments = json.dumps({"customer_id": "415-555-2671", "contact": "call me at 212-555-2143"})
    call = {"id": "call_Qm8Zp2Lm7Vn3Rt9Sx1Wy5Az6", "type": "function",
            "function": {"name": "pause_campaigns", "arguments": arguments}}
    body = {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Pause all campaigns for customer ID 415-555-2671."},
        {"role": "assistant", "tool_calls": [call]}]}
    response = interven_autoguard.scan(method="POST", url="https://api.openai.com/v1/chat/completions",
                                       body=body)
    assert phone_findings(response) == ["body$.messages[1].tool_calls[0].function.arguments<json>$.contact"]


def test_shopify_variants_with_phone_shaped_skus_pass() -> None:
    response = interven_autoguard.scan(
        method="POST", url="https://acme-store.myshopify.com/admin/api/2024-07/products.json",
        headers={"X-Shopify-Access-Token": "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"},
        body={"product": {"title": "USB-C cable", "variants": [
            {"sku": "415-555-2671", "price": "9.99"}, {"sku": "TF-650-253-0000-BLK", "price": "12.99"}]}})
    assert response.decision == "ALLOW" and response.findings == []


def test_a_form_body_with_a_customer_id_passes() -> None:
    response = interven_autoguard.scan(
        method="POST", url="https://reports.example-vendor.com/run",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body="customer_id=415-555-2671&report=campaign_performance")
    assert response.decision == "ALLOW" and response.findings == []


@pytest.mark.parametrize("text", [
    "call me at 415-555-2671", "Call me at (415) 555-2671 after six", "my number: 415.555.2671",
    "Phone orders: 415-555-2671", "tel-415-555-2671", "WhatsApp account 415-555-2671",
])
def test_phone_numbers_in_prose_still_are(text: str) -> None:
    assert chat(text).decision == "SANITIZE"


@pytest.mark.parametrize("text", [
    "customer ID 415-555-2671", "SKU 415-555-2671 is out of stock", "order #415-555-2671 shipped",
    "part TF-650-253-0000-BLK", '{"part_no": "415-555-2671"}',
])
def test_a_code_named_by_its_label_in_prose_is_not(text: str) -> None:
    assert pii.detect(text) == []
    assert chat(text).decision == "ALLOW"


def test_phone_context_wins_over_the_key() -> None:
    response = mcp_tool_call({"order_id": "A-1001", "note": "customer says call me at 415-555-2671"})
    assert phone_findings(response) == ["body$.params.arguments.note"]
    assert [h.type for h in pii.detect("call me at 415-555-2671", "order_id")] == ["PHONE_NUMBER"]


@SETTINGS
@given(us_numbers, st.sampled_from(CODE_KEYS))
def test_any_customer_id_or_sku_passes(number: tuple[int, int, int], key: str) -> None:
    assert mcp_tool_call({key: dashed(number)}).decision == "ALLOW"


@SETTINGS
@given(us_numbers, st.sampled_from(PHONE_KEYS))
def test_any_phone_number_under_a_phone_key_or_after_call_me_at_is_found(number: tuple[int, int, int],
                                                                         key: str) -> None:
    assert mcp_tool_call({key: dashed(number)}).decision == "SANITIZE"
    assert chat(f"call me at {dashed(number)}").decision == "SANITIZE"


# ---------------------------------------------------------------- problem 6: other senses of phone words

@pytest.mark.parametrize("text", [
    "Set cell C7 to 4155552671", "Mobile checkout order 4155552671 failed at payment step",
    "phone model SM-S918B serial 4155552671", "sms batch 4155552671 sent 1200 messages",
    "the mobile app build 4155552671 crashed", "SMS gateway job 4155552671 retried",
    "Handy tip: row 4155552671 is the total", "mobile app 0151 2345678",
])
def test_phone_words_in_other_senses_give_no_context(text: str) -> None:
    assert pii.detect(text) == []
    assert chat(text).decision == "ALLOW"


@pytest.mark.parametrize("text", [
    "mobile: 4155552671", "my cell is 4155552671", "cell 4155552671", "Mobile number 4155552671",
    "cell phone 4155552671", "SMS me at 4155552671", "text or sms to 4155552671", "phone: 4155552671",
    "Handy: 0151 23456789", "Handy-Nr. 0151 23456789", "Mobil 0151 2345678", "mobiel: 06 12345678",
    "Mobile : 06 12 34 56 78",
])
def test_phone_words_before_a_number_still_give_context(text: str) -> None:
    assert [h.type for h in pii.detect(text)] == ["PHONE_NUMBER"]
    assert chat(text).decision == "SANITIZE"


@pytest.mark.parametrize(("key", "found"), [
    ("sms_batch", False), ("phone_serial", False), ("mobile_order", False), ("phone_model", False),
    ("cell_count", False), ("cell", True), ("order_phone", True), ("mobile", True), ("sms", True),
])
def test_keys_say_what_the_field_is_by_their_last_word(key: str, found: bool) -> None:
    assert bool(pii.detect("4155552671", key)) is found


TEMPLATES = ["Set cell {col}{row} to {n}", "Mobile checkout order {n} failed", "sms batch {n} sent",
             "phone model SM-S918B serial {n}", "mobile app build {n} crashed", "cell {col}{row} = {n}"]


@SETTINGS
@given(us_numbers, st.sampled_from(TEMPLATES), st.sampled_from(["A", "C", "AB", "Z"]), st.integers(1, 999))
def test_any_value_in_these_sentences_passes(number: tuple[int, int, int], template: str, col: str,
                                             row: int) -> None:
    text = template.format(n=bare(number), col=col, row=row)
    assert chat(text).decision == "ALLOW", text


@SETTINGS
@given(us_numbers, st.sampled_from(["mobile: {n}", "my cell is {n}", "Mobile number {n}", "SMS me at {n}"]))
def test_any_number_given_as_a_mobile_number_is_found(number: tuple[int, int, int], template: str) -> None:
    assert chat(template.format(n=bare(number))).decision == "SANITIZE"
