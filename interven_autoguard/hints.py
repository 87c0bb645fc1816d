"""What a user can do about a block, in one sentence built from the decision itself: reason codes,
the providers its findings name and the request's host. Never a value: a finding carries none.

The one block with a routine fix is a credential sent to a host its provider does not own: the
agent's OpenAI key to a local vLLM or Ollama server, a company LLM gateway, a Datadog Agent. Those
are legitimate once the policy names the host (``[bindings]``), and the reason code alone does not
tell a new user that, or which provider id to write.

The other is a body too large to scan (``BODY_TOO_LARGE``): a Docker layer, a wheel, a release
asset. The reason code does not say which setting decides it: the policy's ``max_body_bytes`` and
``body_too_large``, or, for a streamed body the guard stopped reading, its own read limit.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from .model import ReasonCode

# A binding cannot make these destinations acceptable: suggesting one there would only mislead.
_NOT_BINDABLE = frozenset({ReasonCode.EXFIL_DESTINATION, ReasonCode.SSRF_METADATA})

# ``ScanResponse.raw`` key of the guard's own BODY_TOO_LARGE: the read limit a streamed body hit.
GUARD_BODY_LIMIT = "guard_body_limit"


def block_hint(reason_codes: Any, findings: Any, url: str, *, scanner: str | None = None,
               raw: Any = None) -> str:
    """Advice for a blocked request, from its decision: ``binding_hint``, else ``body_size_hint``;
    "" when there is none."""
    return binding_hint(reason_codes, findings, url) or body_size_hint(reason_codes, scanner, raw)


def body_size_hint(reason_codes: Any, scanner: str | None, raw: Any = None) -> str:
    """The setting that decides a body too large to scan, as advice; "" unless ``BODY_TOO_LARGE`` is
    what blocked it (the first reason code: nothing stronger that a size setting cannot change).

    A streamed body the guard stopped reading (``raw[GUARD_BODY_LIMIT]``, set by the guard) is
    always blocked past that limit; any other comes from the embedded engine's policy. A gateway's
    limit is its own: no advice for a local setting."""
    codes = list(reason_codes or ())
    if not codes or codes[0] != ReasonCode.BODY_TOO_LARGE:
        return ""
    limit = raw.get(GUARD_BODY_LIMIT) if isinstance(raw, dict) else None
    if isinstance(limit, int) and not isinstance(limit, bool):
        return (f"hint: this streamed body (a file or generator) is larger than the guard reads to "
                f"scan, {limit} bytes, and such a body is always blocked; raise that limit with "
                f'install(extra={{"max_body_bytes": ...}}), and the policy\'s [settings] '
                f"max_body_bytes / body_too_large then decide " + docs_ref("Large uploads", "policy.md"))
    if scanner != "embedded":
        return ""
    return ("hint: the body was too large to scan (over the policy's [settings] max_body_bytes, 10 MiB "
            "by default, or over 50 MiB decompressed); the policy's [settings] body_too_large decides "
            "such bodies (DENY by default; REQUIRE_APPROVAL or ALLOW): raise max_body_bytes or set "
            "body_too_large in your policy " + docs_ref("Large uploads", "policy.md"))


def binding_hint(reason_codes: Any, findings: Any, url: str) -> str:
    """The ``[bindings]`` entry that would let this credential go to this host, as advice; "" when
    the block is not a credential/host mismatch (or the host cannot be bound)."""
    codes = set(reason_codes or ())
    if ReasonCode.CREDENTIAL_HOST_MISMATCH not in codes or codes & _NOT_BINDABLE:
        return ""
    providers = sorted({provider for provider in map(_binding_provider, findings or ()) if provider})
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not providers or not host:
        return ""
    entries = ", ".join(f"{provider} = [{json.dumps(host)}]" for provider in providers)
    names = "/".join(providers)
    return (f"hint: {names} credentials may go only to their provider's own hosts; if {host} is your "
            f"gateway, proxy or model server for {names}, name it in the policy: [bindings] {entries} "
            f"{docs_ref('[bindings]', 'policy.md')}")


def docs_ref(section: str, page: str) -> str:
    """Where a hint's advice is documented, in words a pip user can follow: the section and the page
    of the repository's ``docs/`` (an installed package has no ``docs/``), and the command that
    checks the edited policy. Every hint ends with one, in this form."""
    return (f"(see \"{section}\" in docs/{page} of the interven-autoguard source repository; check "
            f"the edited file with: python -m interven_autoguard policy check FILE)")


def _binding_provider(finding: Any) -> str | None:
    """The provider of a credential/host-mismatch finding (a ``Finding`` or a gateway's dict)."""
    if isinstance(finding, dict):
        category, provider = finding.get("category"), finding.get("provider")
    else:
        category, provider = getattr(finding, "category", None), getattr(finding, "provider", None)
    if category != "credential_binding" or not isinstance(provider, str):
        return None
    # Provider ids are the rule tables' own (lower-case words); anything else is not worth echoing.
    return provider if provider.replace("_", "").replace("-", "").isalnum() and len(provider) <= 40 else None
