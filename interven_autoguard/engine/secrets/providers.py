"""Credential ↔ destination binding: which hosts a provider's credential is expected to travel to.

A GitHub token in ``Authorization`` to ``api.github.com`` is ordinary traffic; the same token to any
other host is a leak (``CREDENTIAL_HOST_MISMATCH``). A host is allowed when it equals one of the
provider's registrable domains or is a proper subdomain of it, compared label by label:
``api.github.com`` ✓, ``api.github.com.evil.net`` ✗, ``evilgithub.com`` ✗.

Providers that customers commonly self-host (GitLab, Vault, Grafana, Sentry, Terraform Enterprise,
JFrog Artifactory, Langfuse, W&B, Dynatrace Managed) have no host set: their tokens legitimately go to
arbitrary hosts, so no binding is possible and every host is allowed. Gateways and proxies that
forward provider keys (LiteLLM, Portkey, Helicone, an AI gateway of one's own) are not in the table:
a policy's ``[bindings]`` adds them for the providers whose keys they carry (``Bindings``).
"""

from __future__ import annotations

import ipaddress

from .rules import RULES

# Hosts a policy adds to providers' own: ((provider, (host, ...)), ...), sorted, hashable (the
# engine's caches key on it). A name covers its subdomains, as the built-in domains do; an IP
# literal matches itself only.
Bindings = tuple[tuple[str, tuple[str, ...]], ...]

PROVIDER_HOSTS: dict[str, tuple[str, ...]] = {
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
    "google": (
        "googleapis.com",
        "google.com",
        "firebaseio.com",
        "firebaseapp.com",
        "googleusercontent.com",
        "gcr.io",
        "pkg.dev",
        "appspot.com",
    ),
    "huggingface": ("huggingface.co", "hf.co"),
    "groq": ("groq.com",),
    "xai": ("x.ai",),
    "replicate": ("replicate.com",),
    "openrouter": ("openrouter.ai",),
    "langsmith": ("langchain.com", "langchain.plus"),
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
        "azure-api.net",
    ),
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
    "algolia": ("algolia.net", "algolia.io", "algolianet.com"),
    "airtable": ("airtable.com",),
    "mailchimp": ("mailchimp.com", "mandrillapp.com"),
    "facebook": ("facebook.com", "instagram.com", "facebook.net"),
    "sendgrid": ("sendgrid.com", "sendgrid.net"),
    "mailgun": ("mailgun.net", "mailgun.org", "mailgun.com"),
    "postmark": ("postmarkapp.com",),
    "brevo": ("brevo.com", "sendinblue.com"),
    "resend": ("resend.com",),
    "twilio": ("twilio.com",),
}

# Self-hostable or host-agnostic providers: listed so that ``provider_for`` knows them, never bound.
UNBOUND_PROVIDERS = frozenset(
    {"gitlab", "vault", "grafana", "sentry", "terraform", "jfrog", "langfuse", "wandb", "dynatrace", "age"}
)

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


def host_allowed_for_provider(provider: str, host: str, bindings: Bindings = ()) -> bool:
    """True when ``host`` is one of ``provider``'s hosts (exact or a subdomain on a label boundary),
    or when the provider has no known host set. IP literals and empty hosts never match a bound
    provider's own domains; ``bindings`` (a policy's) may add hosts, an IP literal among them."""
    provider = provider.lower()
    domains = PROVIDER_HOSTS.get(provider)
    if domains is None:
        return True
    host = _normalise_host(host)
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        is_ip = True
    except ValueError:
        is_ip = False
    for bound, hosts in bindings:  # a bound IP literal only ever equals the host
        if bound == provider and any(host == h or (not is_ip and not _bound_ip(h) and host.endswith("." + h))
                                     for h in hosts):
            return True
    return not is_ip and any(host == d or host.endswith("." + d) for d in domains)
