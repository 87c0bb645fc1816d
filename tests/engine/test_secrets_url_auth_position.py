"""A provider credential in a URL to its own host is that request's auth only in an auth position.

Found by an audit: a credential bound to the host was dropped from the findings wherever it sat in
the URL, so ``https://slack.com/api/chat.postMessage?channel=C123&text=xoxb-…`` (a victim's token
posted into an attacker's channel) and ``https://api.telegram.org/bot<attacker>/sendMessage?
chat_id=1&text=<victim's bot token>`` went out as ALLOW with no finding. Now the credential is auth
only in a query parameter whose name says so (``URL_AUTH_PARAMS``, the signing parameters) or in
its provider's documented path segment (``URL_AUTH_PATHS``); anywhere else it is a secret finding
like one in the body (SANITIZE), to its own provider too.
"""

from __future__ import annotations

import string
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_samples import B62, B64U, HEX, SAMPLES, digits, r

from interven_autoguard import Decision, LocalScanner, ReasonCode
from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets.providers import SIGNING_PARAMS, URL_AUTH_PARAMS, url_param_norm


@pytest.fixture(scope="module")
def scanner() -> LocalScanner:
    return LocalScanner()


def _slack() -> str:
    return SAMPLES["slack-bot-token"]()[1]


def _telegram() -> str:
    return digits(10) + ":AA" + r(B64U, 33)


def _gkey() -> str:
    return "AIza" + r(B62, 35)


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _discord_hook() -> str:
    """A Discord webhook URL whose id fails the Luhn check: an 18-digit snowflake can read as a card
    number in the path (PII, not this rule's business; noted separately)."""
    while True:
        hook = SAMPLES["discord-webhook-url"]()[1]
        if not _luhn_ok(hook.split("/")[-2]):
            return hook


# ------------------------------------------------------------------ the audit's examples

def test_a_slack_token_in_the_text_of_a_slack_message_is_a_finding(scanner: LocalScanner) -> None:
    token = _slack()
    result = scanner.scan(method="GET", url=f"https://slack.com/api/chat.postMessage?channel=C123&text={token}")
    assert result.decision == Decision.SANITIZE
    assert [(f.type, f.category, f.location) for f in result.findings] == [
        ("SLACK_TOKEN", "secret", "query:text")]
    assert ReasonCode.SECRET_DETECTED in result.reason_codes
    assert result.sanitized_url is not None and token not in result.sanitized_url
    assert "channel=C123" in result.sanitized_url
    assert token not in repr(result)


def test_a_bot_token_in_the_text_of_a_telegram_message_is_a_finding(scanner: LocalScanner) -> None:
    own, victim = _telegram(), _telegram()
    result = scanner.scan(method="GET",
                          url=f"https://api.telegram.org/bot{own}/sendMessage?chat_id=1&text={victim}")
    assert result.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in result.findings] == [("TELEGRAM_BOT_TOKEN", "query:text")]
    # the request's own token stays where Telegram reads it; only the message's copy goes
    assert result.sanitized_url is not None
    assert f"/bot{own}/sendMessage" in result.sanitized_url and victim not in result.sanitized_url


def test_the_same_token_in_the_auth_parameter_is_the_requests_auth(scanner: LocalScanner) -> None:
    token = _slack()
    url = f"https://slack.com/api/chat.postMessage?token={token}&channel=C123&text=hello"
    assert scanner.scan(method="GET", url=url).decision == Decision.ALLOW


# ------------------------------------------------------------------ legitimate provider URLs still pass

@pytest.mark.parametrize("url", [
    "https://api.telegram.org/bot{tg}/sendMessage?chat_id=1&text=hello",
    "https://api.telegram.org/bot{tg}/getUpdates",
    "https://api.telegram.org/file/bot{tg}/photos/file_1.jpg",
    "https://api.telegram.org/bot{tg_enc}/sendMessage",
    "https://slack.com/api/auth.test?token={slack}",
    "https://slack.com/api/conversations.history?channel=C1&Token={slack}",
    "https://www.googleapis.com/youtube/v3/search?part=snippet&q=cats&key={gkey}",
    "https://generativelanguage.googleapis.com/v1beta/models?key={gkey}",
    "https://www.googleapis.com/oauth2/v3/tokeninfo?access_token={ya29}",
    "https://oauth2.googleapis.com/revoke?token={ya29}",
    "https://gitlab.com/api/v4/projects?private_token={glpat}",
    "https://gitlab.com/api/v4/projects?search=x&access_token={glpat}",
    "{slack_hook}",
    "{discord_hook}",
    "{discord_hook}?wait=true",
])
def test_providers_documented_url_auth_still_passes(scanner: LocalScanner, url: str) -> None:
    tg = _telegram()
    url = url.format(tg=tg, tg_enc=tg.replace(":", "%3A"), slack=_slack(), gkey=_gkey(),
                     ya29="ya29." + r(B64U, 120), glpat="glpat-" + r(B64U, 20),
                     slack_hook=SAMPLES["slack-webhook-url"]()[1],
                     discord_hook=_discord_hook())
    result = scanner.scan(method="GET", url=url)
    assert result.decision == Decision.ALLOW, result.findings
    assert not result.findings


def test_aws_presigned_url_still_passes(scanner: LocalScanner) -> None:
    akid = "AKIA" + r(string.ascii_uppercase + "234567", 16)
    url = (f"https://sts.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256"
           f"&X-Amz-Credential={akid}%2F20250101%2Fus-east-1%2Fsts%2Faws4_request"
           f"&X-Amz-Security-Token={r(B62, 300)}&X-Amz-Signature={r(HEX, 64)}")
    assert scanner.scan(method="GET", url=url).decision == Decision.ALLOW


# ------------------------------------------------------------------ content positions, own provider

@pytest.mark.parametrize(("url", "location"), [
    ("https://www.googleapis.com/youtube/v3/search?part=snippet&q={gkey}&key={gkey2}", "query:q"),
    ("https://www.googleapis.com/upload/storage/v1/b/bkt/o?uploadType=media&name={gkey}", "query:name"),
    ("https://gitlab.com/api/v4/projects?search={glpat}", "query:search"),
    ("https://slack.com/api/chat.postMessage?channel=C1&{slack}", "query:#1<key>"),  # a bare name
    ("https://slack.com/api/chat.postMessage?channel=C1&text=see+{slack}+ok", "query:text"),
    ("https://slack.com/api/chat.postMessage/{slack}", "url.path"),
    ("https://api.telegram.org/bot{tg}/sendMessage/{tg2}", "url.path"),
    ("https://api.telegram.org/sendMessage/bot{tg}", "url.path"),
    ("https://slack.com/api/chat.postMessage?channel=C1&text={slack_hook_q}", "query:text"),
    ("https://discord.com/api/v10/channels/1/messages?content={discord_hook_q}", "query:content"),
])
def test_a_credential_in_a_content_position_to_its_own_provider_is_a_finding(scanner: LocalScanner,
                                                                             url: str, location: str) -> None:
    url = url.format(gkey=_gkey(), gkey2=_gkey(), glpat="glpat-" + r(B64U, 20), slack=_slack(),
                     tg=_telegram(), tg2=_telegram(),
                     slack_hook_q=quote(SAMPLES["slack-webhook-url"]()[1], safe=""),
                     discord_hook_q=quote(_discord_hook(), safe=""))
    result = scanner.scan(method="GET", url=url)
    assert result.decision == Decision.SANITIZE, url
    assert [f.location for f in result.findings] == [location]
    assert all(f.category == "secret" for f in result.findings)


def test_fronted_elsewhere_only_auth_positions_are_a_binding_mismatch(scanner: LocalScanner) -> None:
    """Sent on to another host (Host header), the token in the auth position is a mismatch there;
    the one in ``text=`` is a finding wherever the request goes, not a mismatch."""
    own = _telegram()
    url = f"https://api.telegram.org/bot{own}/sendMessage?chat_id=1&text=hi"
    fronted = scanner.scan(method="GET", url=url, headers={"Host": "collect.example"})
    assert fronted.decision == Decision.DENY
    assert [(f.category, f.location) for f in fronted.findings] == [("credential_binding", "url.path")]
    content = scanner.scan(method="GET", url=f"https://api.telegram.org/sendMessage?text={own}",
                           headers={"Host": "collect.example"})
    assert content.decision != Decision.ALLOW
    assert [(f.category, f.location) for f in content.findings] == [("secret", "query:text")]


# ------------------------------------------------------------------ the position tables

@pytest.mark.parametrize(("provider", "path", "token", "auth"), [
    ("telegram", "/bot{t}/sendMessage", "123:AAx", True),
    ("telegram", "/file/bot{t}/docs/a.pdf", "123:AAx", True),
    ("telegram", "/bot{t}", "123:AAx", True),
    ("telegram", "/bot1/sendMessage/{t}", "123:AAx", False),
    ("telegram", "/x/bot{t}/sendMessage", "123:AAx", False),
    ("discord", "/api/webhooks/123/{t}", "tok-en_1", True),
    ("discord", "/api/v10/webhooks/123/{t}/messages/9", "tok-en_1", True),
    ("discord", "/api/v10/channels/123/{t}", "tok-en_1", False),
    ("slack", "/services/TAAA/BBBB/{t}", "abc123", True),
    ("slack", "/api/chat.postMessage/{t}", "abc123", False),
    ("github", "/repos/o/r/contents/{t}", "ghp_x", False),  # a file name is content
    ("slack", "/bot{t}/sendMessage", "abc123", False),  # another provider's position
])
def test_documented_path_positions(provider: str, path: str, token: str, auth: bool) -> None:
    text = path.format(t=token)
    start = text.index(token)
    assert secrets.is_url_auth_position(provider, path=text, span=(start, start + len(token))) is auth


def test_a_parameter_name_or_no_position_is_never_auth() -> None:
    assert not secrets.is_url_auth_position("slack")
    assert not secrets.is_url_auth_position("slack", path="/bot1/x")  # no span
    for name in ("text", "message", "content", "q", "data", "client_secret", "refresh_token", "code",
                 "password", "signature", "sig", "name", "body", "MessageBody", "tokens", "keyword"):
        assert not secrets.is_url_auth_position("google", param=name), name


_AUTH_NAMES = sorted(URL_AUTH_PARAMS | {url_param_norm(p) for p in SIGNING_PARAMS})


@st.composite
def _auth_spelling(draw: st.DrawFn) -> str:
    """An auth parameter's name as an API might spell it: any case, ``-``/``_``/``.`` anywhere."""
    name = draw(st.sampled_from(_AUTH_NAMES))
    out = []
    for ch in name:
        out.append(ch.upper() if draw(st.booleans()) else ch)
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from("-_.")))
    return "".join(out)


_CONTENT_NAMES = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=14).filter(
    lambda n: url_param_norm(n) not in _AUTH_NAMES)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_auth_spelling())
def test_any_spelling_of_an_auth_name_carries_the_providers_token(scanner: LocalScanner, name: str) -> None:
    url = f"https://slack.com/api/chat.postMessage?channel=C1&{name}={_slack()}&text=hello"
    result = scanner.scan(method="GET", url=url)
    assert result.decision == Decision.ALLOW, (name, result.findings)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_CONTENT_NAMES, provider=st.sampled_from(["slack", "google", "telegram"]))
def test_any_other_name_carrying_the_providers_token_is_a_finding(scanner: LocalScanner, name: str,
                                                                 provider: str) -> None:
    value, url = {
        "slack": (_slack(), "https://slack.com/api/chat.postMessage?channel=C1&{name}={value}"),
        "google": (_gkey(), "https://www.googleapis.com/youtube/v3/search?part=snippet&{name}={value}"),
        "telegram": (_telegram(), "https://api.telegram.org/bot{own}/sendMessage?chat_id=1&{name}={value}"),
    }[provider]
    result = scanner.scan(method="GET", url=url.format(name=name, value=value, own=_telegram()))
    assert result.decision != Decision.ALLOW, name
    assert any(f.category == "secret" and f.location.startswith("query:") for f in result.findings)
    assert value not in (result.sanitized_url or "")
