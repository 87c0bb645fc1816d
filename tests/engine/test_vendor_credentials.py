"""Vendor credentials of the fourth audit: Plaid's and Telegram's body auth positions (items 3, 7),
and vendor token formats that had no rule (M4: HubSpot, Salesforce, Plaid, Helicone, Mandrill).

Each: to its own host in its auth position ALLOW; to another host a mismatch (auth header) or a
finding (body, URL); in a content position a finding, to its own provider too. Credentials are
fake, built at run time in the provider's shape (``secret_samples``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import pytest
from secret_samples import B62, HEX, LOWER_ALNUM, SAMPLES, r, uuid4

from interven_autoguard import Decision, LocalScanner, ReasonCode
from interven_autoguard.engine import secrets

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
FOREIGN = "https://api.attacker-analytics.example"


def scan(method: str, url: str, headers: dict[str, str] | None = None, body: Any = None) -> Any:
    return LocalScanner().scan(method=method, url=url, headers=headers or {}, body=body)


def found(result: Any) -> list[tuple[str, str]]:
    return [(f.type, f.location) for f in result.findings]


def mismatch(result: Any) -> bool:
    return result.decision == Decision.DENY and ReasonCode.CREDENTIAL_HOST_MISMATCH in result.reason_codes


# ------------------------------------------------------------------------------------------ Plaid


def plaid_auth() -> dict[str, str]:
    return {"client_id": r(HEX, 24), "secret": r(HEX, 30)}


def access_token(env: str = "production") -> str:
    return f"access-{env}-{uuid4()}"


@pytest.mark.parametrize(
    ("env", "path", "extra"),
    [
        (
            "production",
            "/link/token/create",
            lambda: {
                "client_name": "Acme Budget",
                "country_codes": ["US"],
                "user": {"client_user_id": "user_8812"},
            },
        ),
        (
            "production",
            "/transactions/sync",
            lambda: {"access_token": access_token(), "cursor": "", "count": 500},
        ),
        ("sandbox", "/item/public_token/exchange", lambda: {"public_token": f"public-sandbox-{uuid4()}"}),
        ("development", "/accounts/balance/get", lambda: {"access_token": access_token("development")}),
        ("sandbox", "/link/token/get", lambda: {"link_token": f"link-sandbox-{uuid4()}"}),
    ],
)
def test_plaid_calls_are_allowed(env: str, path: str, extra: Any) -> None:
    result = scan("POST", f"https://{env}.plaid.com{path}", JSON, {**plaid_auth(), **extra()})
    assert result.decision == Decision.ALLOW, found(result)


def test_plaid_keys_in_headers_and_token_in_body() -> None:
    auth = plaid_auth()
    headers = {**JSON, "PLAID-CLIENT-ID": auth["client_id"], "PLAID-SECRET": auth["secret"]}
    body = {"access_token": access_token()}
    assert scan("POST", "https://production.plaid.com/accounts/get", headers, body).decision == Decision.ALLOW
    result = scan("POST", f"{FOREIGN}/accounts/get", headers, body)
    assert mismatch(result)
    assert ("PLAID_SECRET", "header:plaid-secret") in found(result)


def test_plaid_credentials_elsewhere_are_findings() -> None:
    token = access_token()
    result = scan("POST", f"{FOREIGN}/transactions/sync", JSON, {**plaid_auth(), "access_token": token})
    assert result.decision == Decision.SANITIZE
    assert set(found(result)) == {
        ("GENERIC_SECRET", "body$.secret"),
        ("PLAID_ACCESS_TOKEN", "body$.access_token"),
    }
    assert mismatch(scan("GET", f"{FOREIGN}/items", {"Authorization": f"Bearer {token}"}))


def test_plaid_token_as_content_is_a_finding_to_plaid_too() -> None:
    token = access_token()
    body = {**plaid_auth(), "access_token": access_token(), "user": {"legal_name": f"see {token}"}}
    result = scan("POST", "https://production.plaid.com/link/token/create", JSON, body)
    assert found(result) == [("PLAID_ACCESS_TOKEN", "body$.user.legal_name")]
    prompt = {"messages": [{"role": "user", "content": f"ERROR item={token} status=ITEM_LOGIN_REQUIRED"}]}
    result = scan("POST", "https://api.openai.com/v1/chat/completions", JSON, prompt)
    assert found(result) == [("PLAID_ACCESS_TOKEN", "body$.messages[0].content")]


def test_another_providers_key_in_plaids_auth_field_is_a_mismatch() -> None:
    key = SAMPLES["github-pat"]()[1]
    assert mismatch(
        scan("POST", "https://production.plaid.com/accounts/get", JSON, {**plaid_auth(), "secret": key})
    )


# --------------------------------------------------------------------------------------- Telegram

BOT = "https://api.telegram.org/bot{}"


def bot_token() -> str:
    return SAMPLES["telegram-bot-token"]()[1]


def secret_token() -> str:
    return r(B62 + "_-", 32)


@pytest.mark.parametrize("method", ["setWebhook", "setwebhook"])
def test_set_webhook_secret_token_is_telegrams_auth(method: str) -> None:
    url = BOT.format(bot_token()) + "/" + method
    body = {
        "url": "https://bot.acme-corp.example/tg",
        "secret_token": secret_token(),
        "allowed_updates": ["message"],
    }
    assert scan("POST", url, JSON, body).decision == Decision.ALLOW
    form = urlencode({"url": "https://bot.acme-corp.example/tg", "secret_token": secret_token()})
    assert scan("POST", url, FORM, form).decision == Decision.ALLOW
    query = urlencode({"url": "https://bot.acme-corp.example/tg", "secret_token": secret_token()})
    result = scan("GET", f"{url}?{query}")
    assert result.decision == Decision.ALLOW, found(result)


def test_secret_token_elsewhere_is_content() -> None:
    token, secret = bot_token(), secret_token()
    # another method of the Bot API: the parameter is text the bot sends
    result = scan("POST", BOT.format(token) + "/sendMessage", JSON, {"chat_id": 1, "secret_token": secret})
    assert found(result) == [("GENERIC_SECRET", "body$.secret_token")]
    result = scan(
        "GET", BOT.format(token) + "/sendMessage?" + urlencode({"chat_id": 1, "secret_token": secret})
    )
    assert found(result) == [("GENERIC_SECRET", "query:secret_token")]
    # another host with Telegram's path
    result = scan("GET", f"{FOREIGN}/bot123/setWebhook?" + urlencode({"secret_token": secret}))
    assert found(result) == [("GENERIC_SECRET", "query:secret_token")]
    result = scan("POST", f"{FOREIGN}/bot123/setWebhook", JSON, {"secret_token": secret})
    assert found(result) == [("GENERIC_SECRET", "body$.secret_token")]
    # the text of a message is content, to Telegram too
    result = scan(
        "POST",
        BOT.format(token) + "/setWebhook",
        JSON,
        {"secret_token": secret, "url": "https://bot.acme-corp.example/tg", "x": f"password={secret}"},
    )
    assert result.decision == Decision.SANITIZE


def test_a_provider_key_in_secret_token_must_be_telegrams() -> None:
    key = SAMPLES["github-pat"]()[1]
    url = BOT.format(bot_token()) + "/setWebhook"
    assert mismatch(scan("POST", url, JSON, {"secret_token": key}))
    result = scan("GET", f"{url}?secret_token={quote(key)}")
    assert found(result) == [("GITHUB_PAT", "query:secret_token")]


def test_query_kind_is_only_for_the_documented_row() -> None:
    fields = secrets.body_auth_fields("api.telegram.org", "/bot123:AAx/setWebhook")
    assert ("query", "secret_token") in fields
    assert all(kind != "query" for kind, _ in secrets.body_auth_fields("slack.com", "/api/chat.postMessage"))


# ------------------------------------------------------------------------------ M4 vendor tokens


def hubspot() -> str:
    return f"pat-na1-{uuid4()}"


def salesforce() -> str:
    return f"00D{r(B62, 12)}!AQ{r(B62, 40)}.{r(B62, 56)}"


def helicone() -> str:
    return "sk-helicone-" + "-".join(r(LOWER_ALNUM, 7) for _ in range(4))


def mandrill() -> str:
    return "md-" + r(B62, 22)


@pytest.mark.parametrize(
    ("url", "header", "make", "kind"),
    [
        (
            "https://api.hubapi.com/crm/v3/objects/contacts",
            "Authorization",
            lambda: f"Bearer {hubspot()}",
            "HUBSPOT_TOKEN",
        ),
        (
            "https://api-eu1.hubapi.com/crm/v3/objects/deals",
            "Authorization",
            lambda: f"Bearer {hubspot()}",
            "HUBSPOT_TOKEN",
        ),
        (
            "https://acme.my.salesforce.com/services/data/v61.0/query",
            "Authorization",
            lambda: f"Bearer {salesforce()}",
            "SALESFORCE_TOKEN",
        ),
        (
            "https://oai.helicone.ai/v1/chat/completions",
            "Helicone-Auth",
            lambda: f"Bearer {helicone()}",
            "HELICONE_API_KEY",
        ),
        (
            "https://api.helicone.ai/v1/request/query",
            "Authorization",
            lambda: f"Bearer {helicone()}",
            "HELICONE_API_KEY",
        ),
    ],
)
def test_vendor_tokens_are_bound_to_their_hosts(url: str, header: str, make: Any, kind: str) -> None:
    value = make()
    assert scan("GET", url, {header: value}).decision == Decision.ALLOW
    result = scan("GET", FOREIGN + "/v1/x", {header: value})
    assert mismatch(result)
    assert found(result) == [(kind, f"header:{header.lower()}")]


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (hubspot, "HUBSPOT_TOKEN"),
        (salesforce, "SALESFORCE_TOKEN"),
        (lambda: f"access-sandbox-{uuid4()}", "PLAID_ACCESS_TOKEN"),
        (helicone, "HELICONE_API_KEY"),
        (mandrill, "MAILCHIMP_KEY"),
    ],
)
def test_vendor_tokens_in_a_prompt_are_findings(make: Any, kind: str) -> None:
    text = f"my token {make()} returns 401, curl -H 'X-Note: 1' ..."
    result = scan(
        "POST",
        "https://api.openai.com/v1/chat/completions",
        JSON,
        {"messages": [{"role": "user", "content": text}]},
    )
    assert result.decision == Decision.SANITIZE
    assert found(result) == [(kind, "body$.messages[0].content")]


def test_mandrill_key_in_its_body_field() -> None:
    key = mandrill()
    body = {"key": key, "message": {"text": "hi", "subject": "Order 4821 shipped"}}
    assert (
        scan("POST", "https://mandrillapp.com/api/1.0/messages/send", JSON, body).decision == Decision.ALLOW
    )
    assert (
        scan("POST", "https://mandrillapp.com/api/1.0/users/ping", JSON, {"key": key}).decision
        == Decision.ALLOW
    )
    result = scan("POST", "https://mail.attacker-analytics.example/api/1.0/messages/send", JSON, body)
    assert found(result) == [("MAILCHIMP_KEY", "body$.key")]
    result = scan(
        "POST",
        "https://mandrillapp.com/api/1.0/messages/send",
        JSON,
        {"key": key, "message": {"text": f"our key is {key}"}},
    )
    assert found(result) == [("MAILCHIMP_KEY", "body$.message.text")]


@pytest.mark.parametrize(
    "text",
    [
        "md-autocomplete-suggestions",
        "class md-input-container-label",
        "md-button md-primary md-raised",
        "pat-na1-not-a-uuid",
        "00Dxx0000001gEH!",
        "sk-helicone-...",
        "access-production-token",
        "see 00D5e000000AbCd for the org",
        "md-abcdefghijklmnopqrstuv",
    ],
)
def test_lookalikes_are_not_tokens(text: str) -> None:
    assert secrets.detect(text) == []
