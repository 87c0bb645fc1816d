"""Synthetic credentials for the secret-detector tests, built at run time.

Nothing here is a real credential and no literal in this file looks like one: every token is
assembled from its prefix and random characters (with the provider's checksum where it has one),
so the repository itself does not trip secret scanners.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import string
from collections.abc import Callable

from interven_autoguard.engine.secrets.validators import crc32_base62

B62 = string.ascii_letters + string.digits
B64U = B62 + "-_"
HEX = "0123456789abcdef"
UPPER_ALNUM = string.ascii_uppercase + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
AWS_BODY = string.ascii_uppercase + "234567"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"

_rnd = random.Random(20251126)


def r(alphabet: str, n: int) -> str:
    """Random string that mixes character classes (so entropy gates see a realistic token)."""
    while True:
        s = "".join(_rnd.choice(alphabet) for _ in range(n))
        if len(set(s)) >= min(n, 12) and (n < 8 or not any(ch * 4 in s for ch in set(s))):
            return s


def digits(n: int) -> str:
    return str(_rnd.randint(1, 9)) + "".join(_rnd.choice(string.digits) for _ in range(n - 1))


def uuid4() -> str:
    h = r(HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def github(prefix: str) -> str:
    body = r(B62, 30)
    return prefix + body + crc32_base62(body)


def crc_hex_upper(payload: str) -> str:
    return f"{binascii.crc32(payload.encode()):08X}"


def atlassian(prefix: str) -> str:
    head = prefix + r(B64U, 170) + "="
    return head + crc_hex_upper(head)


def bitbucket() -> str:
    head = "ATBB" + r(B62, 24)
    return head + crc_hex_upper(head)


def grafana_sa() -> str:
    head = "glsa_" + r(B62, 32)
    return head + "_" + binascii.crc32(head.encode()).to_bytes(4, "little").hex()


def b64json(obj: object) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def jwt() -> str:
    header = b64url({"alg": "HS256", "typ": "JWT"})
    payload = b64url({"sub": r(B62, 12), "iat": 1732600000, "scope": "read write"})
    return f"{header}.{payload}.{r(B64U, 43)}"


def pem(label: str, nbytes: int = 600) -> str:
    body = base64.b64encode(_rnd.randbytes(nbytes)).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"


def discord_bot() -> str:
    ident = base64.b64encode(digits(18).encode()).decode().rstrip("=")
    return f"{ident}.{r(B64U, 6)}.{r(B64U, 30)}"


def aws_secret() -> str:
    return r(B62 + "/+", 40)


def gcp_service_account() -> tuple[str, str]:
    key = pem("PRIVATE KEY").replace("\n", "\\n") + "\\n"
    doc = (
        '{"type": "service_account", "project_id": "demo-project", "private_key_id": "'
        + r(HEX, 40)
        + '", "private_key": "'
        + key
        + '", "client_email": "svc@demo-project.iam.gserviceaccount.com"}'
    )
    return doc, key


# rule id -> () -> (text containing the credential, the exact value expected as the hit)
Sample = Callable[[], tuple[str, str]]


def tok(make: Callable[[], str], before: str = "value: ", after: str = "\n") -> Sample:
    def build() -> tuple[str, str]:
        value = make()
        return before + value + after, value

    return build


SAMPLES: dict[str, Sample] = {
    "aws-access-key-id": tok(lambda: "AKIA" + r(AWS_BODY, 16)),
    "aws-secret-near-key-id": lambda: (lambda kid, sec: (f'{{"id": "{kid}", "s": "{sec}"}}', sec))(
        "AKIA" + r(AWS_BODY, 16), aws_secret()
    ),
    "aws-secret-access-key": tok(aws_secret, "AWS_SECRET_ACCESS_KEY="),
    "aws-session-token": tok(lambda: r(B62 + "/+", 300), "aws_session_token = "),
    "github-pat": tok(lambda: github("ghp_")),
    "github-oauth-token": tok(lambda: github("gho_")),
    "github-user-to-server-token": tok(lambda: github("ghu_")),
    "github-server-to-server-token": tok(lambda: github("ghs_")),
    "github-refresh-token": tok(lambda: github("ghr_")),
    "github-fine-grained-pat": tok(lambda: "github_pat_" + r(B62, 22) + "_" + r(B62, 59)),
    "gitlab-pat": tok(lambda: "glpat-" + r(B64U, 20)),
    "gitlab-pipeline-trigger-token": tok(lambda: "glptt-" + r(HEX, 40)),
    "gitlab-deploy-token": tok(lambda: "gldt-" + r(B64U, 20)),
    "gitlab-runner-token": tok(lambda: "glrt-" + r(B64U, 20)),
    "gitlab-runner-registration-token": tok(lambda: "GR1348941" + r(B64U, 20)),
    "gitlab-cicd-job-token": tok(lambda: "glcbt-64_" + r(B64U, 20)),
    "gitlab-oauth-app-secret": tok(lambda: "gloas-" + r(B64U, 64)),
    "gitlab-feed-token": tok(lambda: "glft-" + r(B64U, 20)),
    "gitlab-incoming-mail-token": tok(lambda: "glimt-" + r(B64U, 25)),
    "gitlab-scim-token": tok(lambda: "glsoat-" + r(B64U, 20)),
    "gitlab-agent-token": tok(lambda: "glagent-" + r(B64U, 50)),
    "bitbucket-app-password": tok(bitbucket),
    "atlassian-api-token": tok(lambda: atlassian("ATATT3xFfGF0")),
    "atlassian-admin-token": tok(lambda: atlassian("ATCTT3xFfGF0")),
    "slack-bot-token": tok(lambda: f"xoxb-{digits(11)}-{digits(12)}-{r(B62, 24)}"),
    "slack-user-token": tok(lambda: f"xoxp-{digits(11)}-{digits(11)}-{digits(12)}-{r(B62, 32)}"),
    "slack-app-token": tok(lambda: f"xapp-1-{r(UPPER_ALNUM, 11)}-{digits(13)}-{r(HEX, 64)}"),
    "slack-legacy-token": tok(lambda: f"xoxa-2-{digits(12)}-{r(B62, 32)}"),
    "slack-config-token": tok(lambda: "xoxe.xoxp-1-" + r(UPPER_ALNUM, 163)),
    "slack-webhook-url": tok(
        lambda: f"https://hooks.slack.com/services/T{r(UPPER_ALNUM, 10)}/B{r(UPPER_ALNUM, 10)}/{r(B62, 24)}"
    ),
    "discord-webhook-url": tok(lambda: f"https://discord.com/api/webhooks/{digits(18)}/{r(B64U, 68)}"),
    "discord-bot-token": tok(discord_bot, "discord bot token: "),
    "telegram-bot-token": tok(lambda: digits(10) + ":AA" + r(B64U, 33)),
    "stripe-secret-key": tok(lambda: "sk_live_" + r(B62, 24)),
    "stripe-restricted-key": tok(lambda: "rk_test_" + r(B62, 24)),
    "stripe-webhook-secret": tok(lambda: "whsec_" + r(B62, 32)),
    "shopify-access-token": tok(lambda: "shpat_" + r(HEX, 32)),
    "shopify-custom-app-token": tok(lambda: "shpca_" + r(HEX, 32)),
    "shopify-private-app-token": tok(lambda: "shppa_" + r(HEX, 32)),
    "shopify-shared-secret": tok(lambda: "shpss_" + r(HEX, 32)),
    "square-access-token": tok(lambda: "EAAA" + r(B64U, 60)),
    "square-oauth-secret": tok(lambda: "sq0csp-" + r(B64U, 43)),
    "braintree-access-token": tok(lambda: f"access_token$production${r(LOWER_ALNUM, 16)}${r(HEX, 32)}"),
    "flutterwave-secret-key": tok(lambda: "FLWSECK_TEST-" + r(HEX, 32) + "-X"),
    "easypost-api-key": tok(lambda: "EZAK" + r(B62, 54)),
    "shippo-api-token": tok(lambda: "shippo_live_" + r(HEX, 40)),
    "openai-project-key": tok(lambda: "sk-proj-" + r(B64U, 74) + "T3BlbkFJ" + r(B64U, 74)),
    "openai-service-account-key": tok(lambda: "sk-svcacct-" + r(B64U, 74) + "T3BlbkFJ" + r(B64U, 74)),
    "openai-admin-key": tok(lambda: "sk-admin-" + r(B64U, 74) + "T3BlbkFJ" + r(B64U, 74)),
    "openai-legacy-key": tok(lambda: "sk-" + r(B62, 20) + "T3BlbkFJ" + r(B62, 20)),
    "anthropic-api-key": tok(lambda: "sk-ant-api03-" + r(B64U, 93) + "AA"),
    "anthropic-admin-key": tok(lambda: "sk-ant-admin01-" + r(B64U, 93) + "AA"),
    "anthropic-oauth-token": tok(lambda: "sk-ant-oat01-" + r(B64U, 95)),
    "google-api-key": tok(lambda: "AIza" + r(B62, 35)),
    "google-oauth-client-secret": tok(lambda: "GOCSPX-" + r(B64U, 28)),
    "google-oauth-access-token": tok(lambda: "ya29." + r(B64U, 120)),
    "google-oauth-refresh-token": tok(lambda: "1//0" + r(B64U, 60)),
    "gcp-service-account-key": gcp_service_account,
    "huggingface-access-token": tok(lambda: "hf_" + r(string.ascii_letters, 34)),
    "huggingface-org-token": tok(lambda: "api_org_" + r(string.ascii_letters, 34)),
    "groq-api-key": tok(lambda: "gsk_" + r(B62, 52)),
    "xai-api-key": tok(lambda: "xai-" + r(B62, 80)),
    "replicate-api-token": tok(lambda: "r8_" + r(B62, 37)),
    "openrouter-api-key": tok(lambda: "sk-or-v1-" + r(HEX, 64)),
    "langsmith-api-key": tok(lambda: f"lsv2_pt_{r(HEX, 32)}_{r(HEX, 10)}"),
    "langfuse-secret-key": tok(lambda: "sk-lf-" + uuid4()),
    "perplexity-api-key": tok(lambda: "pplx-" + r(B62, 48)),
    "fireworks-api-key": tok(lambda: "fw_" + r(B62, 24)),
    "cerebras-api-key": tok(lambda: "csk-" + r(LOWER_ALNUM, 48)),
    "nvidia-api-key": tok(lambda: "nvapi-" + r(B64U, 64)),
    "pinecone-api-key": tok(lambda: f"pcsk_{r(B62, 5)}_{r(B62, 64)}"),
    "tavily-api-key": tok(lambda: "tvly-dev-" + r(B62, 32)),
    "posthog-personal-api-key": tok(lambda: "phx_" + r(B62, 43)),
    "firecrawl-api-key": tok(lambda: "fc-" + r(HEX, 32)),
    "anyscale-api-key": tok(lambda: "esecret_" + r(B62, 26)),
    "cohere-api-key": tok(lambda: r(B62, 40), "COHERE_API_KEY="),
    "mistral-api-key": tok(lambda: r(B62, 32), 'mistral_api_key: "', '"'),
    "deepseek-api-key": tok(lambda: "sk-" + r(HEX, 32), "DEEPSEEK_API_KEY="),
    "together-api-key": tok(lambda: r(HEX, 64), "TOGETHER_API_KEY="),
    "elevenlabs-api-key": tok(lambda: "sk_" + r(HEX, 48), "ELEVENLABS_API_KEY="),
    "wandb-api-key": tok(lambda: r(HEX, 40), "WANDB_API_KEY="),
    "datadog-api-key": tok(lambda: r(HEX, 32), "DD_API_KEY="),
    "datadog-app-key": tok(lambda: r(HEX, 40), '{"dd_app_key": "', '"}'),
    "grafana-service-account-token": tok(grafana_sa),
    "grafana-cloud-token": tok(lambda: "glc_" + b64json({"o": digits(6), "n": "stack-a", "k": r(B62, 24)})),
    "grafana-api-key": tok(lambda: "eyJrIjoi" + r(B62, 70)),
    "sentry-user-token": tok(lambda: "sntryu_" + r(HEX, 64)),
    "sentry-org-token": tok(lambda: "sntrys_eyJ" + r(B64U, 90)),
    "newrelic-user-api-key": tok(lambda: "NRAK-" + r(UPPER_ALNUM, 27)),
    "newrelic-insert-key": tok(lambda: "NRII-" + r(B64U, 32)),
    "newrelic-browser-key": tok(lambda: "NRJS-" + r(HEX, 19)),
    "newrelic-license-key": tok(lambda: r(HEX, 36) + "NRAL", "NEW_RELIC_LICENSE_KEY="),
    "dynatrace-api-token": tok(lambda: f"dt0c01.{r(UPPER_ALNUM, 24)}.{r(UPPER_ALNUM, 64)}"),
    "honeycomb-api-key": tok(lambda: r(B62, 22), "HONEYCOMB_API_KEY="),
    "digitalocean-pat": tok(lambda: "dop_v1_" + r(HEX, 64)),
    "digitalocean-oauth-token": tok(lambda: "doo_v1_" + r(HEX, 64)),
    "digitalocean-refresh-token": tok(lambda: "dor_v1_" + r(HEX, 64)),
    "databricks-api-token": tok(lambda: "dapi" + r(HEX, 32)),
    "vault-service-token": tok(lambda: "hvs." + r(B64U, 95)),
    "vault-batch-token": tok(lambda: "hvb." + r(B64U, 140)),
    "vault-recovery-token": tok(lambda: "hvr." + r(B64U, 30)),
    "vault-legacy-token": tok(lambda: "s." + r(B62, 24), "VAULT_TOKEN="),
    "terraform-cloud-token": tok(lambda: r(B62, 14) + ".atlasv1." + r(B64U, 67)),
    "pulumi-access-token": tok(lambda: "pul-" + r(HEX, 40)),
    "doppler-token": tok(lambda: "dp.pt." + r(B62, 43)),
    "onepassword-service-account-token": tok(
        lambda: (
            "ops_"
            + b64json(
                {
                    "signInAddress": "my.1password.com",
                    "email": r(LOWER_ALNUM, 12),
                    "secretKey": r(B62, 34),
                    "srpX": r(HEX, 64),
                    "muk": {"k": r(B64U, 43)},
                }
            )
        )
    ),
    "onepassword-secret-key": tok(
        lambda: (
            f"A3-{r(UPPER_ALNUM, 6)}-{r(UPPER_ALNUM, 11)}-{r(UPPER_ALNUM, 5)}-{r(UPPER_ALNUM, 5)}-"
            f"{r(UPPER_ALNUM, 5)}"
        )
    ),
    "cloudflare-origin-ca-key": tok(lambda: f"v1.0-{r(HEX, 24)}-{r(HEX, 146)}"),
    "cloudflare-api-token": tok(lambda: r(B64U, 40), "CLOUDFLARE_API_TOKEN="),
    "heroku-api-key-v2": tok(lambda: "HRKU-AA" + r(B64U, 58)),
    "heroku-api-key": tok(uuid4, "HEROKU_API_KEY="),
    "netlify-access-token": tok(lambda: r(B64U, 43), "NETLIFY_AUTH_TOKEN="),
    "netlify-pat": tok(lambda: "nfp_" + r(B62, 36)),
    "vercel-token": tok(lambda: r(B62, 24), "VERCEL_TOKEN="),
    "vercel-scoped-token": tok(lambda: "vcp_" + r(B62, 60)),
    "supabase-access-token": tok(lambda: "sbp_" + r(HEX, 40)),
    "supabase-secret-key": tok(lambda: "sb_secret_" + r(B64U, 31)),
    "flyio-token": tok(lambda: "fo1_" + r(B64U, 43)),
    "railway-api-token": tok(uuid4, "RAILWAY_TOKEN="),
    "render-api-key": tok(lambda: "rnd_" + r(B62, 32)),
    "firebase-cloud-messaging-key": tok(lambda: "AAAA" + r(B64U, 7) + ":APA91b" + r(B64U, 134)),
    "alibaba-access-key-id": tok(lambda: "LTAI" + r(B62, 20)),
    "alibaba-secret-key": tok(lambda: r(B62, 30), "ALIBABA_CLOUD_ACCESS_KEY_SECRET="),
    "tencent-secret-id": tok(lambda: "AKID" + r(B62, 32)),
    "azure-storage-account-key": tok(
        lambda: base64.b64encode(_rnd.randbytes(64)).decode(),
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=",
        ";EndpointSuffix=core.windows.net",
    ),
    "azure-shared-access-key": tok(
        lambda: base64.b64encode(_rnd.randbytes(32)).decode(),
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=",
    ),
    "azure-ad-client-secret": tok(lambda: r(B62, 3) + "8Q~" + r(B62, 34), 'client_secret "', '"'),
    "docker-hub-pat": tok(lambda: "dckr_pat_" + r(B64U, 27)),
    "jfrog-api-key": tok(lambda: "AKCp" + r(B62, 69)),
    "jfrog-reference-token": tok(lambda: "cmVmdGtu" + r(B62, 56)),
    "circleci-token": tok(lambda: f"CCIPAT_{r(B62, 22)}_{r(HEX, 40)}"),
    "buildkite-token": tok(lambda: "bkua_" + r(HEX, 40)),
    "npm-access-token": tok(lambda: github("npm_")),
    "pypi-upload-token": tok(lambda: "pypi-AgEIcHlwaS5vcmc" + r(B64U, 70)),
    "rubygems-api-key": tok(lambda: "rubygems_" + r(HEX, 48)),
    "clojars-token": tok(lambda: "CLOJARS_" + r(LOWER_ALNUM, 60)),
    "nuget-api-key": tok(lambda: "oy2" + r(LOWER_ALNUM, 43)),
    "prefect-api-key": tok(lambda: "pnu_" + r(B62, 36)),
    "readme-api-key": tok(lambda: "rdme_" + r(LOWER_ALNUM, 70)),
    "planetscale-token": tok(lambda: "pscale_tkn_" + r(B64U, 43)),
    "scalingo-api-token": tok(lambda: "tk-us-" + r(B64U, 48)),
    "infracost-api-token": tok(lambda: "ico-" + r(B62, 32)),
    "harness-api-key": tok(lambda: f"pat.{r(B64U, 22)}.{r(HEX, 24)}.{r(B62, 20)}"),
    "linear-api-key": tok(lambda: "lin_api_" + r(B62, 40)),
    "notion-integration-token": tok(lambda: "ntn_" + digits(11) + r(B62, 35)),
    "postman-api-key": tok(lambda: f"PMAK-{r(HEX, 24)}-{r(HEX, 34)}"),
    "figma-pat": tok(lambda: "figd_" + r(B64U, 40)),
    "asana-pat": tok(lambda: f"1/{digits(16)}:{r(B62, 32)}", "ASANA_TOKEN="),
    "okta-api-token": tok(lambda: "00" + r(B64U, 40), "OKTA_API_TOKEN="),
    "contentful-pat": tok(lambda: "CFPAT-" + r(B64U, 43)),
    "typeform-pat": tok(lambda: "tfp_" + r(B64U, 59)),
    "frameio-api-token": tok(lambda: "fio-u-" + r(B64U, 64)),
    "dropbox-access-token": tok(lambda: "sl." + r(B64U, 140)),
    "snyk-api-token": tok(uuid4, "SNYK_TOKEN="),
    "twitch-api-token": tok(lambda: r(LOWER_ALNUM, 30), "TWITCH_CLIENT_SECRET="),
    "mapbox-secret-token": tok(lambda: "sk.eyJ" + r(B64U, 60) + "." + r(B64U, 22)),
    "algolia-admin-key": tok(lambda: r(HEX, 32), "ALGOLIA_ADMIN_KEY="),
    "airtable-api-key": tok(lambda: "pat" + r(B62, 14) + "." + r(HEX, 64), "AIRTABLE_API_KEY="),
    "mailchimp-api-key": tok(lambda: r(HEX, 32) + "-us21", "MAILCHIMP_API_KEY="),
    "facebook-access-token": tok(lambda: "EAAB" + r(B62, 150)),
    "sendgrid-api-key": tok(lambda: f"SG.{r(B64U, 22)}.{r(B64U, 43)}"),
    "mailgun-api-key": tok(lambda: "key-" + r(HEX, 32), "mailgun: "),
    "postmark-server-token": tok(uuid4, "POSTMARK_SERVER_TOKEN="),
    "brevo-api-key": tok(lambda: f"xkeysib-{r(HEX, 64)}-{r(B62, 16)}"),
    "resend-api-key": tok(lambda: f"re_{r(B62, 8)}_{r(B62, 24)}", "resend key "),
    "twilio-api-key": tok(lambda: "SK" + r(HEX, 32), "twilio sid "),
    "twilio-account-sid": tok(lambda: "AC" + r(HEX, 32), "twilio account "),
    # vendor tokens (audit 4, M4)
    "hubspot-private-app-token": tok(lambda: f"pat-na1-{uuid4()}", "Authorization: Bearer "),
    "salesforce-session-id": tok(lambda: f"00D{r(B62, 12)}!AQ{r(B62, 40)}.{r(B62, 56)}", "sid="),
    "plaid-access-token": tok(lambda: f"access-production-{uuid4()}", "item "),
    "plaid-secret": tok(lambda: r(HEX, 30), "PLAID_SECRET="),
    "helicone-api-key": tok(lambda: "sk-helicone-" + "-".join(r(LOWER_ALNUM, 7) for _ in range(4)),
                            "Helicone-Auth: Bearer "),
    "mandrill-api-key": tok(lambda: "md-" + r(B62, 22), '{"key": "', '"}'),
    "twilio-auth-token": tok(lambda: r(HEX, 32), "TWILIO_AUTH_TOKEN="),
    "jwt": tok(jwt, "Cookie-ish: session="),
    "private-key": tok(lambda: pem("RSA PRIVATE KEY"), "key:\n"),
    "openssh-private-key": tok(lambda: pem("OPENSSH PRIVATE KEY"), "key:\n"),
    "pgp-private-key": tok(lambda: pem("PGP PRIVATE KEY BLOCK"), "key:\n"),
    "putty-private-key": tok(
        lambda: (
            "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: k\nPublic-Lines: 2\n"
            + r(B62, 64)
            + "\nPrivate-Lines: 2\n"
            + r(B62, 64)
            + "\nPrivate-MAC: "
            + r(HEX, 40)
        )
    ),
    "age-secret-key": tok(lambda: "AGE-SECRET-KEY-1" + r(BECH32, 58)),
    "jdbc-password": tok(
        lambda: "Zx9!kLm2Qp" + r(B62, 4), "jdbc:postgresql://db:5432/app?user=svc&password="
    ),
    "jdbc-oracle-password": tok(
        lambda: "T1gerPw9x" + r(B62, 4), "jdbc:oracle:thin:scott/", "@//db:1521/orcl"
    ),
    "connection-string-password": tok(
        lambda: "Gh7!kLp9Zq" + r(B62, 4),
        "Server=tcp:db.example.net,1433;Database=app;User ID=svc;Password=",
        ";Encrypt=True",
    ),
}

URI_SAMPLES: dict[str, str] = {
    "postgres-uri-password": "postgresql",
    "mysql-uri-password": "mysql",
    "mongodb-uri-password": "mongodb+srv",
    "redis-uri-password": "rediss",
    "amqp-uri-password": "amqps",
    "mssql-uri-password": "mssql",
    "database-uri-password": "clickhouse",
    "broker-uri-password": "kafka",
    "service-uri-password": "sftp",
    "url-basic-auth": "https",
}


def uri_sample(scheme: str) -> tuple[str, str]:
    password = r(B62, 6) + "-" + r(B62, 6)
    return f"connect to {scheme}://svc_user:{password}@db.internal.example:5432/app now", password
