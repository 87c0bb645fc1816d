"""Credential ↔ destination binding: which hosts a provider's credential is expected to travel to.

A GitHub token in ``Authorization`` to ``api.github.com`` is ordinary traffic; the same token to any
other host is a leak (``CREDENTIAL_HOST_MISMATCH``). A host is allowed when it equals one of the
provider's registrable domains or is a proper subdomain of it, compared label by label:
``api.github.com`` ✓, ``api.github.com.evil.net`` ✗, ``evilgithub.com`` ✗.

Three refinements, each a table below:

* ``TENANT_HOSTS``: under some providers' domains anyone can run a server (``*.appspot.com``,
  Lambda function URLs, API Gateway) or read the request log of their own bucket or form (S3,
  Cloud Storage, Google Forms). A bearer credential sent there reaches a customer of the provider,
  possibly an attacker, not the provider: those hosts are not bound. Deployments of a provider's
  own server product (LangGraph Platform's ``*.langgraph.app``) take the provider's key in an auth
  header, as the SaaS does, but run the customer's code: bound there in auth headers until a
  policy's ``[bindings]`` names the provider's hosts (then only those), never in a URL.
* ``SIGNING_IDS`` / ``NEVER_SENT``: a request-signing credential (AWS SigV4 and its kin) has a
  public half that every signed request carries, to customers' endpoints too (boto3 to a bucket,
  IAM-authorised API Gateway), and a secret half that no request ever carries. The first is bound
  to tenant hosts as well; the second — like webhook signing secrets and private keys — is bound
  nowhere, not even by a policy.
* ``SELF_HOSTED_PROVIDERS`` (GitLab, Vault, Grafana, Sentry, Terraform Enterprise, JFrog, Langfuse,
  W&B, Dynatrace Managed, PostHog): their tokens go to instances whose hosts cannot be known. Only their
  SaaS home is listed. In an auth header (or URL user info), the request's ordinary credential
  channel, such a token may go to any host until a policy's ``[bindings]`` names the provider's
  instances; in a URL's path or query, where a value is as much data as auth, it is bound to the
  SaaS home and to the hosts ``[bindings]`` names, nowhere else.

In a URL a credential is the request's own auth only in an auth position
(``is_url_auth_position``): a query parameter whose name says auth (``URL_AUTH_PARAMS``) or the
provider's documented path segment (``URL_AUTH_PATHS``, Telegram's ``/bot<token>/``). In ``text=``
it is content, to its own provider too: Slack posts it into whoever's channel the request names.
The body's auth positions are in ``body_auth``. In every auth position (headers included) one rule
decides, ``is_own_credential``: a provider's credential must be bound to the host; one whose format
names no provider (``UNNAMED_BEARER_RULES``) is the host's own, as a generic Bearer token is.

A loopback destination (``127.0.0.0/8``, ``::1``, ``localhost``) is another host like any: an SSH
or ``kubectl port-forward`` tunnel, a pod's sidecar or a local relay makes it a way to other
machines, and relays of one's own are named in ``[bindings]``. Only a provider whose own tooling
runs a local server that takes its key (``LOCAL_SERVER_PROVIDERS``: the LangGraph dev server takes
the LangSmith key) is bound to loopback, in auth headers.

Gateways and proxies that forward provider keys (LiteLLM, Portkey, Helicone, an AI gateway of one's
own) are not in the table: a policy's ``[bindings]`` adds them for the providers whose keys they
carry (``Bindings``). One kind of relay is built in, for auth headers only (``auth_header_allowed``):
a vector database's cloud taking a provider's key in its module header for that provider
(``KEY_RELAY_HEADERS``, ``KEY_RELAY_HOSTS``: Weaviate's ``X-OpenAI-Api-Key`` to ``*.weaviate.cloud``).
"""

from __future__ import annotations

import ipaddress
import re

from .rules import RULES

# Hosts a policy adds to providers' own: ((provider, (host, ...)), ...), sorted, hashable (the
# engine's caches key on it). A name covers its subdomains, as the built-in domains do; an IP
# literal matches itself only.
Bindings = tuple[tuple[str, tuple[str, ...]], ...]

PROVIDER_HOSTS: dict[str, tuple[str, ...]] = {
    # on.aws only hosts customers' endpoints (Lambda function URLs, VPC Lattice): see TENANT_HOSTS.
    "aws": ("amazonaws.com", "amazonaws.com.cn", "aws.amazon.com", "api.aws", "on.aws", "amazoncognito.com"),
    "github": ("github.com", "githubusercontent.com", "ghcr.io", "githubcopilot.com"),
    "atlassian": ("atlassian.net", "atlassian.com", "bitbucket.org", "jira.com"),
    "slack": ("slack.com",),
    "discord": ("discord.com", "discordapp.com"),
    "telegram": ("telegram.org",),
    "stripe": ("stripe.com",),
    "shopify": ("myshopify.com", "shopify.com"),
    "square": ("squareup.com", "squareupsandbox.com"),
    "paypal": ("paypal.com", "braintreegateway.com", "braintree-api.com"),
    "flutterwave": ("flutterwave.com",),
    "easypost": ("easypost.com",),
    "shippo": ("goshippo.com",),
    "openai": ("openai.com",),
    "anthropic": ("anthropic.com",),
    # Not appspot.com, firebaseio.com, firebaseapp.com, web.app, cloudfunctions.net, run.app or
    # googleusercontent.com: every host there is a customer's app, database or content, not
    # Google's API. A policy binds its own (``google = ["my-app.appspot.com"]``).
    "google": ("googleapis.com", "google.com", "gcr.io", "pkg.dev"),
    "huggingface": ("huggingface.co", "hf.co"),
    "groq": ("groq.com",),
    "xai": ("x.ai",),
    "replicate": ("replicate.com",),
    "openrouter": ("openrouter.ai",),
    # langgraph.app: LangGraph Platform deployments, which take the LangSmith key (see TENANT_HOSTS)
    "langsmith": ("langchain.com", "langchain.plus", "langgraph.app"),
    "perplexity": ("perplexity.ai",),
    "fireworks": ("fireworks.ai",),
    "cerebras": ("cerebras.ai",),
    "nvidia": ("nvidia.com",),
    "pinecone": ("pinecone.io",),
    "tavily": ("tavily.com",),
    "firecrawl": ("firecrawl.dev",),
    "anyscale": ("anyscale.com",),
    "cohere": ("cohere.com", "cohere.ai"),
    "mistral": ("mistral.ai",),
    "deepseek": ("deepseek.com",),
    "together": ("together.xyz", "together.ai"),
    "elevenlabs": ("elevenlabs.io",),
    "datadog": ("datadoghq.com", "datadoghq.eu", "ddog-gov.com"),
    "newrelic": ("newrelic.com", "nr-data.net"),
    "honeycomb": ("honeycomb.io",),
    "digitalocean": ("digitalocean.com",),
    "databricks": ("databricks.com", "azuredatabricks.net"),
    "pulumi": ("pulumi.com",),
    "doppler": ("doppler.com",),
    "1password": ("1password.com", "1password.eu", "1password.ca"),
    "cloudflare": ("cloudflare.com",),
    "heroku": ("heroku.com",),
    "netlify": ("netlify.com",),
    "vercel": ("vercel.com",),
    "supabase": ("supabase.co", "supabase.com"),
    "flyio": ("fly.io", "machines.dev"),
    "railway": ("railway.app", "railway.com"),
    "render": ("render.com",),
    "alibaba": ("aliyuncs.com", "aliyun.com", "alibabacloud.com"),
    "tencent": ("tencentcloudapi.com", "tencentcloud.com", "qcloud.com"),
    "azure": (
        "windows.net",
        "azure.com",
        "azure.net",
        "microsoftonline.com",
        "microsoft.com",
    ),  # not azure-api.net: API Management hosts customers' APIs
    "docker": ("docker.com", "docker.io"),
    "circleci": ("circleci.com",),
    "buildkite": ("buildkite.com",),
    "npm": ("npmjs.org", "npmjs.com"),
    "pypi": ("pypi.org",),
    "rubygems": ("rubygems.org",),
    "clojars": ("clojars.org",),
    "nuget": ("nuget.org",),
    "prefect": ("prefect.cloud",),
    "readme": ("readme.com", "readme.io"),
    "planetscale": ("planetscale.com", "psdb.cloud"),
    "scalingo": ("scalingo.com", "scalingo.io"),
    "infracost": ("infracost.io",),
    "harness": ("harness.io",),
    "linear": ("linear.app",),
    "notion": ("notion.com", "notion.so"),
    "postman": ("postman.com", "getpostman.com"),
    "figma": ("figma.com",),
    "asana": ("asana.com",),
    "okta": ("okta.com", "oktapreview.com", "okta-emea.com"),
    "contentful": ("contentful.com",),
    "typeform": ("typeform.com",),
    "frameio": ("frame.io",),
    "dropbox": ("dropbox.com", "dropboxapi.com"),
    "snyk": ("snyk.io",),
    "twitch": ("twitch.tv",),
    "mapbox": ("mapbox.com",),
    # algolia.com: the Analytics, Insights, Recommend and ingestion APIs (analytics.algolia.com, ...)
    "algolia": ("algolia.net", "algolia.io", "algolianet.com", "algolia.com"),
    "airtable": ("airtable.com",),
    "mailchimp": ("mailchimp.com", "mandrillapp.com"),
    "facebook": ("facebook.com", "instagram.com", "facebook.net"),
    "sendgrid": ("sendgrid.com", "sendgrid.net"),
    "mailgun": ("mailgun.net", "mailgun.org", "mailgun.com"),
    "postmark": ("postmarkapp.com",),
    "brevo": ("brevo.com", "sendinblue.com"),
    "resend": ("resend.com",),
    "twilio": ("twilio.com",),
    # Audit 4 (M4): vendor tokens with a format of their own
    "hubspot": ("hubapi.com", "hubspot.com"),
    # Salesforce orgs' My Domain hosts (*.my.salesforce.com, *.lightning.force.com); Sites run
    # customers' Apex (TENANT_HOSTS)
    "salesforce": ("salesforce.com", "force.com"),
    "plaid": ("plaid.com",),  # sandbox., development., production.plaid.com
    "helicone": ("helicone.ai",),  # oai., anthropic., gateway., api., eu.api.helicone.ai
    # Known by their vendor auth header only (``auth.VENDOR_AUTH_HEADERS``): no format of their own.
    "coingecko": ("coingecko.com",),
    "coinmarketcap": ("coinmarketcap.com",),
    "finnhub": ("finnhub.io",),
    "riot": ("riotgames.com",),
    "alpaca": ("alpaca.markets",),
    "browserbase": ("browserbase.com",),
    # Self-hostable products (SELF_HOSTED_PROVIDERS): their SaaS home only.
    "gitlab": ("gitlab.com",),
    "vault": ("hashicorp.cloud",),
    "grafana": ("grafana.com", "grafana.net"),
    "sentry": ("sentry.io",),
    "terraform": ("app.terraform.io",),
    "jfrog": ("jfrog.io",),
    "langfuse": ("langfuse.com",),
    "wandb": ("wandb.ai",),
    "dynatrace": ("dynatrace.com",),
    "posthog": ("posthog.com",),  # us.i.posthog.com, eu.i.posthog.com, us.posthog.com, app.posthog.com
}

# Providers whose own tooling runs a server on this machine that takes their key in an auth header:
# ``langgraph dev`` (http://127.0.0.1:2024) and ``langgraph up`` (:8123) take the LangSmith key that
# the LangGraph SDK sends to every server. Bound to loopback hosts (``is_loopback_host``), not in URLs.
LOCAL_SERVER_PROVIDERS = frozenset({"langsmith"})

# Products customers also run on their own hosts: an auth header carrying their token may go to any
# host until a policy's ``[bindings]`` names the provider's instances (see the module docstring).
SELF_HOSTED_PROVIDERS = frozenset(
    {"gitlab", "vault", "grafana", "sentry", "terraform", "jfrog", "langfuse", "wandb", "dynatrace",
     "posthog"}
)

# Hosts under a provider's domains where its customers' own code sees the request (``server``), where
# a customer reads the request line of traffic to its bucket or form (``url``: the URL's path and
# query, not its headers, reach that customer), or where the provider's own server fronts a
# customer's deployment (``deployment``: bound in auth headers until a policy's [bindings] names the
# provider's hosts, as a self-hosted product's instances are; never in the URL). Patterns are
# matched against the whole host: a leading ``*.`` is one or more labels, any other ``*`` part of one
# label. A bearer credential is not bound to the first two (a policy's ``[bindings]`` can still name
# one host); SIGNING_IDS are.
_AWS_SUFFIXES = ("amazonaws.com", "amazonaws.com.cn")
TENANT_HOSTS: dict[str, dict[str, tuple[str, ...]]] = {
    "aws": {
        "server": (
            "*.on.aws",  # Lambda function URLs, VPC Lattice services
            *(f"*.{p}.{s}" for s in _AWS_SUFFIXES for p in (
                "execute-api.*",  # API Gateway
                "elb",  # load balancers
                "compute", "compute-1",  # EC2 instances' public names
                "appsync-api.*", "iot.*", "es", "aoss",  # AppSync, IoT, OpenSearch domains
                "s3-object-lambda.*",  # S3 Object Lambda runs the customer's function
            )),
        ),
        "url": tuple(
            f"{p}.{s}" for s in _AWS_SUFFIXES for p in (  # buckets, virtual-hosted and path-style
                "s3", "*.s3", "s3.*", "*.s3.*", "s3-*", "*.s3-*", "*.s3-*.*", "s3.dualstack.*",
                "*.s3.dualstack.*",
            )
        ),
    },
    "google": {
        "url": (
            "storage.googleapis.com", "*.storage.googleapis.com",  # buckets' usage logs
            "script.google.com",  # Apps Script web apps read every query parameter
            "docs.google.com",  # Google Forms take their answers from the query
        ),
    },
    "azure": {
        "server": ("*.cloudapp.azure.com", "*.inference.ml.azure.com"),  # VMs, ML online endpoints
        "url": ("*.core.windows.net",),  # storage accounts' logs and static websites
    },
    "railway": {"server": ("*.up.railway.app",)},
    "salesforce": {"server": ("*.secure.force.com",)},  # Salesforce Sites: public Apex pages
    # LangGraph Platform runs customers' graphs behind LangChain's server, which takes the LangSmith
    # key in ``x-api-key``; a deployment with custom auth hands its headers to the customer's code.
    "langsmith": {"deployment": ("*.langgraph.app",)},
    "shopify": {"url": ("*.myshopify.com",)},  # app proxies forward a shop's path and query to the app
    "alibaba": {
        "server": ("*.fc.aliyuncs.com",),  # Function Compute
        "url": ("oss-*.aliyuncs.com", "*.oss-*.aliyuncs.com"),  # OSS buckets, path- and virtual-hosted
    },
}

# Vector databases whose clients hand the user's model-provider keys to the user's own cluster, each
# in a header named for its provider, so that the cluster's modules (vectorizers, rerankers,
# generative search) call the provider with it: Weaviate's ``X-OpenAI-Api-Key``. In that header, to
# the database's cloud, the key is the request's auth relayed to its provider, not a leak. Only
# there: the key in another header, the body or the URL, a key of another provider in the header,
# or the header to any other host keep the binding rule. A self-hosted cluster is named in
# ``[bindings]`` for the provider (``openai = ["weaviate.internal.example"]``).
# relay -> the hosts of its cloud, as ``TENANT_HOSTS`` writes them.
KEY_RELAY_HOSTS: dict[str, tuple[str, ...]] = {
    # Weaviate Cloud clusters (<cluster>.c0.<region>.gcp.weaviate.cloud) and legacy WCS sandboxes
    "weaviate": ("*.weaviate.cloud", "*.weaviate.network"),
}
# Header (lower-cased) -> (relay, the provider whose key it carries). Only providers of
# ``PROVIDER_HOSTS`` with key formats the detectors know: a key of unknown provider in an auth header
# is the host's own anyway (Weaviate's ``X-VoyageAI-Api-Key``, ``X-JinaAI-Api-Key``,
# ``X-Friendli-Token``). Not AWS's ``X-AWS-Access-Key`` / ``X-AWS-Secret-Key``: a secret access key
# is sent nowhere (``NEVER_SENT``), so the pair stays a policy's decision to make elsewhere.
KEY_RELAY_HEADERS: dict[str, tuple[str, str]] = {
    "x-openai-api-key": ("weaviate", "openai"),
    "x-azure-api-key": ("weaviate", "azure"),  # Azure OpenAI
    "x-cohere-api-key": ("weaviate", "cohere"),
    "x-huggingface-api-key": ("weaviate", "huggingface"),
    "x-mistral-api-key": ("weaviate", "mistral"),
    "x-anthropic-api-key": ("weaviate", "anthropic"),
    "x-nvidia-api-key": ("weaviate", "nvidia"),
    "x-xai-api-key": ("weaviate", "xai"),
    "x-anyscale-api-key": ("weaviate", "anyscale"),
    "x-databricks-token": ("weaviate", "databricks"),
    # Google AI Studio and Vertex AI; the X-Google-… and X-PaLM names are the deprecated spellings
    "x-goog-studio-api-key": ("weaviate", "google"),
    "x-goog-vertex-api-key": ("weaviate", "google"),
    "x-google-studio-api-key": ("weaviate", "google"),
    "x-google-vertex-api-key": ("weaviate", "google"),
    "x-google-api-key": ("weaviate", "google"),
    "x-palm-api-key": ("weaviate", "google"),
}

# Rules whose value is the public half of a request-signing credential: every signed request
# carries it (SigV4 ``Credential=``, ``X-Amz-Security-Token``), also to customers' endpoints the
# provider fronts, and it authorises nothing without the secret half. Bound to tenant hosts too.
SIGNING_IDS = frozenset(
    {"aws-access-key-id", "aws-session-token", "alibaba-access-key-id", "tencent-secret-id"}
)

# Query parameters that carry a signing credential's public half in a signed URL (SigV4 presigned,
# SigV2 query auth, GCS V4): on a provider's tenant host, a SIGNING_IDS value is bound there only
# (``?id=AKIA…`` to someone's Lambda URL is data, ``X-Amz-Credential=AKIA…`` to a bucket is auth).
SIGNING_PARAMS: dict[str, str] = {
    "x-amz-credential": "aws",
    "x-amz-security-token": "aws",
    "awsaccesskeyid": "aws",
    "securitytoken": "aws",
    "x-goog-credential": "google",
}

# Where a credential in a URL is the request's own auth, not content: a query parameter whose name
# says so, or a provider's documented path segment. Anywhere else in the URL (``text=``, ``q=``, a
# parameter's name, any other path segment) a provider's credential is data even to its own host:
# ``slack.com/api/chat.postMessage?channel=C1&text=xoxb-…`` posts the token into someone's channel.
# Names are compared normalised (``url_param_norm``: case, ``-``, ``_`` and ``.`` ignored). OAuth
# client secrets, refresh tokens and codes are not here: RFC 6749 keeps them out of the URL.
URL_AUTH_PARAMS = frozenset(
    {
        # RFC 6750 and the names APIs generally use for a key or token in the query
        "token", "accesstoken", "authtoken", "apikey", "apitoken", "key", "accesskey", "auth",
        "authorization",  # Dropbox: "Bearer <token>"
        "xapikey",
        "oauthtoken",  # Google's older name for access_token
        # names providers in PROVIDER_HOSTS document
        "privatetoken", "jobtoken", "feedtoken",  # GitLab
        "circletoken",  # CircleCI
        "xalgoliaapikey",  # Algolia
        "ddapikey", "ddapplicationkey", "applicationkey",  # Datadog intake and v1 API
        "xlicensekey", "licensekey",  # New Relic log and metric APIs
        "inputtoken",  # Facebook's debug_token: the token under inspection
        "accesskeyid", "ossaccesskeyid", "xosscredential",  # Alibaba RPC APIs and OSS signed URLs
        "secretid",  # Tencent Cloud API v1 (the public half of its key)
        # signed URLs' key ids and session tokens (SIGNING_PARAMS) are added below
    }
)

# Documented path positions: provider -> patterns matched at the start of the URL's raw path; a
# credential is auth there when it lies inside the group ``cred``. Only this segment: content goes
# in paths too (a GitHub contents path is a file name, a JSON API's object name shows up in its
# owner's audit log), so "any path segment" would not do. Today's webhook rules need the host in
# front of the path to see a webhook at all; their entries keep a path-only rule from turning the
# provider's own webhook into a finding.
URL_AUTH_PATHS: dict[str, tuple[re.Pattern[str], ...]] = {
    # /bot<token>/<method>, /file/bot<token>/<file path>
    "telegram": (re.compile(r"/(?:file/)?(?:bot)?(?P<cred>[^/]+)"),),
    # /api[/v10]/webhooks/<id>/<token>[/...]
    "discord": (re.compile(r"/api(?:/v\d+)?/webhooks/\d+/(?P<cred>[^/]+)"),),
    # hooks.slack.com/services/T…/B…/<secret>, /workflows/T…/A…/<id>/<secret>, /triggers/T…/<id>/<secret>
    "slack": (re.compile(r"/(?P<cred>(?:services|workflows|triggers)(?:/[^/]+){2,4})/?$"),),
}

# A signed URL's credential scope, in full: the signer's public name (a key id, a service account,
# an HMAC access id), a date, a region and a service. Nothing in it is a secret — the signature next
# to it is what authorises — so such a value to a host of its provider is no finding at all
# (GCS: ``sa@p.iam.gserviceaccount.com/20250101/auto/storage/goog4_request``).
SIGNED_URL_SCOPES: dict[str, tuple[str, re.Pattern[str]]] = {
    "x-amz-credential": ("aws", re.compile(
        r"(?:AKIA|ASIA)[A-Z2-7]{16}/\d{8}/[a-z0-9-]+/[a-z0-9-]+/aws4_request")),
    "x-goog-credential": ("google", re.compile(
        r"(?:[a-z0-9][a-z0-9-]{0,62}@(?:[a-z0-9-]+\.)+gserviceaccount\.com|GOOG1[A-Z0-9]{20,80})"
        r"/\d{8}/[a-z0-9-]+/[a-z0-9-]+/goog4_request")),
}

# Rules whose value is never anyone's auth on the wire: the secret half of a signing key (a
# signature made with it travels, never the key), webhook signing secrets, account keys that
# derive other keys locally, private keys. Bound to no host, not even by a policy's [bindings].
NEVER_SENT = frozenset(
    {
        "aws-secret-access-key",
        "aws-secret-near-key-id",
        "alibaba-secret-key",
        "azure-storage-account-key",
        "azure-shared-access-key",
        "stripe-webhook-secret",
        "onepassword-secret-key",
        "age-secret-key",
    }
)

# Providers whose credentials are never sent to any host (age keys are file-encryption keys):
# listed so that ``provider_for`` knows them; never bound.
UNBOUND_PROVIDERS = frozenset({"age"})


def tenant_regex(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for host patterns as ``TENANT_HOSTS`` writes them (None for none)."""
    if not patterns:
        return None
    parts = []
    for pattern in patterns:
        lead = ""
        if pattern.startswith("*."):
            lead, pattern = r"(?:[^.]+\.)+", pattern[2:]
        parts.append(lead + r"\.".join("[^.]*".join(map(re.escape, label.split("*")))
                                       for label in pattern.split(".")))
    return re.compile("|".join(f"(?:{p})" for p in parts))


# provider -> (server tenants, server or URL tenants, deployments), compiled once.
_TENANTS: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None, re.Pattern[str] | None]] = {
    provider: (tenant_regex(kinds.get("server", ())),
               tenant_regex(kinds.get("server", ()) + kinds.get("url", ())),
               tenant_regex(kinds.get("deployment", ())))
    for provider, kinds in TENANT_HOSTS.items()
}

_BY_ID = {r.id: r.provider for r in RULES}
_BY_TYPE: dict[str, set[str | None]] = {}
for _rule in RULES:
    _BY_TYPE.setdefault(_rule.type, set()).add(_rule.provider)


def provider_for(hit_type_or_provider: str) -> str | None:
    """The provider key for a provider key, a rule id ("github-pat") or a hit type ("GITHUB_PAT")."""
    name = hit_type_or_provider.strip()
    if name.lower() in PROVIDER_HOSTS or name.lower() in UNBOUND_PROVIDERS:
        return name.lower()
    if name in _BY_ID:
        return _BY_ID[name]
    providers = _BY_TYPE.get(name.upper())
    if providers and len(providers) == 1:
        return next(iter(providers))
    return None


def _normalise_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and "]" in host:  # bracketed IPv6, maybe with a port
        return host[1 : host.index("]")]
    if host.count(":") == 1:  # host:port
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _bound_ip(host: str) -> bool:
    """Whether a bound host (as a policy normalises it) is an IP literal: names never end in an
    all-digit label there."""
    return ":" in host or host.rpartition(".")[2].isdigit()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is this machine by its spelling alone, no DNS asked: a loopback IP literal
    (``127.0.0.0/8``, ``::1``, an IPv4-mapped ``::ffff:127.x``) or ``localhost`` and its subdomains
    (RFC 6761). Not public names that resolve to 127.0.0.1 (``localtest.me``): their DNS is
    someone else's."""
    host = _normalise_host(host)
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def _named(provider: str, host: str, is_ip: bool, bindings: Bindings) -> bool:
    """Whether ``bindings`` name the (normalised) ``host`` for ``provider``: a bound name covers its
    subdomains on a label boundary, a bound IP literal only ever equals the host."""
    return any(
        bound == provider and any(host == h or (not is_ip and not _bound_ip(h) and host.endswith("." + h))
                                  for h in hosts)
        for bound, hosts in bindings
    )


def host_named_in_bindings(provider: str, host: str, bindings: Bindings) -> bool:
    """Whether the policy's ``bindings`` name ``host`` for ``provider`` (not the built-in tables)."""
    host = _normalise_host(host)
    return bool(host) and _named(provider.lower(), host, _is_ip(host), bindings)


def host_allowed_for_provider(provider: str, host: str, bindings: Bindings = (), *,
                              detector: str | None = None, in_url: bool = False,
                              param: str | None = None) -> bool:
    """True when a credential of ``provider`` (found by the rule ``detector``, when known) sent to
    ``host`` is that host's own auth: not a ``NEVER_SENT`` rule, and either a host the policy's
    ``bindings`` name for the provider (an IP literal among them matches itself only), or one of
    the provider's domains (exact or a subdomain on a label boundary; never an IP literal) that is
    not a customer's (``TENANT_HOSTS``, where ``SIGNING_IDS`` are still bound). ``in_url``: the
    credential is in the URL's path or query rather than an auth header or the URL's user info —
    URL tenants count, and a self-hosted product's token is bound only where a table or the policy
    says (in an auth header it may go anywhere until the policy names the provider's instances).
    ``param``: the query parameter's name, if any (``SIGNING_PARAMS``). A loopback host
    (``is_loopback_host``) is bound only for ``LOCAL_SERVER_PROVIDERS``, outside URLs. Unknown
    providers are bound nowhere. This is the host half only: in a URL the credential must also be in
    an auth position (``is_url_auth_position``)."""
    provider = provider.lower()
    if detector in NEVER_SENT or provider in UNBOUND_PROVIDERS:
        return False
    domains = PROVIDER_HOSTS.get(provider)
    if domains is None:
        return False
    host = _normalise_host(host)
    if not host:
        return False
    if provider in LOCAL_SERVER_PROVIDERS and not in_url and is_loopback_host(host):
        return True  # the provider's own local server (see the module docstring)
    is_ip = _is_ip(host)
    named = any(bound == provider for bound, _hosts in bindings)
    if named and _named(provider, host, is_ip, bindings):
        return True
    if provider in SELF_HOSTED_PROVIDERS and not in_url and not named:
        return True  # its instance's host cannot be known (see the module docstring)
    if is_ip or not any(host == d or host.endswith("." + d) for d in domains):
        return False
    server, any_tenant, deployment = _TENANTS.get(provider, (None, None, None))
    if deployment is not None and deployment.fullmatch(host):
        return not in_url and not named  # a customer's deployment behind the provider's server
    if detector in SIGNING_IDS:  # on a tenant host, in a URL: only where signed URLs carry it
        return not (in_url and any_tenant is not None and any_tenant.fullmatch(host)) or \
            SIGNING_PARAMS.get((param or "").lower()) == provider
    tenant = any_tenant if in_url else server
    return tenant is None or tenant.fullmatch(host) is None


_RELAY_HOSTS = {relay: tenant_regex(patterns) for relay, patterns in KEY_RELAY_HOSTS.items()}

# A policy's ``[settings.key_relays]`` travels in its ``Bindings`` (hashable, and already part of the
# key of every cache of the binding rule) as ``("relay:<relay>", hosts)``: no entry, the relay's
# whole cloud (the default); an empty tuple, none of it (``false``); else only those hosts. The
# prefix cannot be a provider id, so the provider look-ups never see these entries.
RELAY_PREFIX = "relay:"


def relay_bindings(key_relays: dict[str, bool | list[str]]) -> Bindings:
    """The ``Bindings`` entries of a policy's ``[settings.key_relays]`` (normalised by the schema)."""
    return tuple(
        (RELAY_PREFIX + relay, () if setting is False else tuple(setting))
        for relay, setting in sorted(key_relays.items()) if setting is not True
    )


def is_relay_host(relay: str, host: str) -> bool:
    """Whether ``host`` is one of the relay's cloud hosts (``KEY_RELAY_HOSTS``)."""
    pattern = _RELAY_HOSTS.get(relay)
    host = _normalise_host(host)
    return pattern is not None and bool(host) and not _is_ip(host) and pattern.fullmatch(host) is not None


def is_relayed_key(header: str | None, provider: str, host: str, *, detector: str | None = None,
                   bindings: Bindings = ()) -> bool:
    """Whether a credential of ``provider`` in the auth header named ``header`` goes to a vector
    database's cloud that relays it to the provider (``KEY_RELAY_HEADERS``, ``KEY_RELAY_HOSTS``): the
    header is the database's module header for that very provider and ``host`` one of the database's
    cloud hosts, and one the policy lets the relay have (``[settings.key_relays]``, carried in
    ``bindings``: off, or only the clusters it names). Never for a ``NEVER_SENT`` rule. The binding
    rule for auth headers only (``auth_header_allowed``): a URL or a body is no relay's module header."""
    row = KEY_RELAY_HEADERS.get(header.lower()) if header else None
    if row is None or row[1] != provider.lower() or detector in NEVER_SENT or not is_relay_host(row[0], host):
        return False
    key = RELAY_PREFIX + row[0]
    allowed = next((hosts for bound, hosts in bindings if bound == key), None)
    return allowed is None or _normalise_host(host) in allowed


def auth_header_allowed(provider: str, host: str, bindings: Bindings = (), *, detector: str | None = None,
                        header: str | None = None) -> bool:
    """The binding rule for a provider's credential in the auth header named ``header``: the rule of
    every auth position (``is_own_credential``), or the provider's key in a vector database's module
    header for it, to the database's cloud (``is_relayed_key``)."""
    return is_own_credential(provider, detector, host, bindings) or \
        is_relayed_key(header, provider, host, detector=detector, bindings=bindings)


# Credentials whose format names no provider but that are a bearer credential of whichever host
# receives them: a value under an API-key or token name (``?api_key=``, ``?token=``), a JWT. In an
# auth position they are the destination's own, as they are in an Authorization header (where no
# detector even looks for them): there is no provider to bind them to. Passwords, secrets, private
# keys and URI passwords are no one's bearer credential in a URL: they stay findings everywhere.
UNNAMED_BEARER_RULES = frozenset({"generic-api-key", "generic-token", "jwt"})


def is_own_credential(provider: str | None, detector: str | None, host: str, bindings: Bindings = (), *,
                      in_url: bool = False, param: str | None = None) -> bool:
    """The binding rule for a credential found in an auth position (an auth header, the URL's user
    info, an auth position of the URL or the body): whether it is the request's own auth to
    ``host``. A provider's credential must be bound to the host (``host_allowed_for_provider``,
    with ``in_url`` and ``param`` as there); one whose format names no provider is the host's own
    when it is a bearer credential (``UNNAMED_BEARER_RULES``), as a generic ``Bearer`` token is."""
    if provider is None:
        return detector in UNNAMED_BEARER_RULES
    return host_allowed_for_provider(provider, host, bindings, detector=detector, in_url=in_url, param=param)


def url_param_norm(name: str) -> str:
    """A query parameter's name as ``URL_AUTH_PARAMS`` and ``SIGNING_PARAMS`` compare it."""
    return re.sub(r"[-_.\s]", "", name.lower())


_URL_AUTH_PARAMS = URL_AUTH_PARAMS | {url_param_norm(p) for p in SIGNING_PARAMS}


def is_url_auth_position(provider: str, *, param: str | None = None, path: str | None = None,
                         span: tuple[int, int] | None = None) -> bool:
    """Whether a credential of ``provider`` in a URL sits where the request's own auth goes: the
    value of a query parameter named ``param`` that says auth (``URL_AUTH_PARAMS``, the signing
    parameters), or, in the raw ``path``, at ``span`` inside the provider's documented segment
    (``URL_AUTH_PATHS``). Which host it may go to is ``host_allowed_for_provider``'s question;
    both must hold for a credential in a URL to be no finding."""
    if param is not None:
        return url_param_norm(param) in _URL_AUTH_PARAMS
    if path is None or span is None:
        return False
    for pattern in URL_AUTH_PATHS.get(provider.lower(), ()):
        m = pattern.match(path)
        if m and m.start("cred") <= span[0] and span[1] <= m.end("cred"):
            return True
    return False


def is_signed_url_scope(param: str | None, value: str, host: str, bindings: Bindings = ()) -> bool:
    """Whether a URL query parameter is a signed URL's credential scope (``SIGNED_URL_SCOPES``) going
    to a host of its provider (customers' buckets included: that is where signed URLs go)."""
    scope = SIGNED_URL_SCOPES.get((param or "").lower())
    return scope is not None and scope[1].fullmatch(value) is not None and \
        host_allowed_for_provider(scope[0], host, bindings)
