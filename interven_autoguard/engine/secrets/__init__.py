"""Secret detectors: 100+ provider credential formats, key-context generic rules, credential binding.

Public contract (the engine's scanner codes against these names)::

    detect(text, key=None) -> list[Hit]     # sorted, non-overlapping, spans = the secret value only
    may_match(text) -> bool                 # False ⇒ detect(t) == [] for every substring t
    key_is_sensitive(key) -> bool           # True when key context can add hits for this field name
    detect_auth_value(value, key=None) -> list[Hit]  # provider tokens inside an auth header value
    is_auth_header(name) -> bool            # the header carries the request's own credential
    vendor_hit(name, value) -> Hit | None   # the credential a vendor's own auth header names
    AUTH_HEADERS, VENDOR_AUTH_HEADERS       # the usual auth header names; vendors' own (-> provider)
    provider_for(name) -> str | None
    host_allowed_for_provider(provider, host, bindings=(), *, detector=None, in_url=False, param=None)
    auth_header_allowed(provider, host, bindings=(), *, detector=None, header=None) -> bool
    relay_bindings(key_relays) -> Bindings  # [settings.key_relays] as Bindings entries
    is_own_credential(provider, detector, host, bindings=(), *, in_url=False, param=None) -> bool
    is_url_auth_position(provider, *, param=None, path=None, span=None) -> bool
    is_signed_url_scope(param, value, host, bindings=()) -> bool
    body_auth_fields(host, path, bindings=()) -> frozenset[(kind, name)]   # documented body auth fields
    wsse_password_spans(text) -> tuple[(start, end)]  # a SOAP envelope's WS-Security PasswordText

Tables are compiled on first use (thread-safe); importing this package is cheap.
"""

from __future__ import annotations

from ._engine import (
    JWK_PRIVATE_MEMBERS,
    detect,
    jwk_private_value,
    key_is_sensitive,
    may_match,
    may_name_a_secret,
)
from .auth import AUTH_HEADERS, VENDOR_AUTH_HEADERS, detect_auth_value, is_auth_header, vendor_hit
from .body_auth import body_auth_fields, wsse_password_spans
from .providers import (
    KEY_RELAY_HOSTS,
    PROVIDER_HOSTS,
    UNBOUND_PROVIDERS,
    Bindings,
    auth_header_allowed,
    host_allowed_for_provider,
    is_own_credential,
    is_relay_host,
    is_signed_url_scope,
    is_url_auth_position,
    provider_for,
    relay_bindings,
)
from .rules import JWK_MEMBER_VALUE, JWK_RULE, RULES, all_rule_ids


def warm_up() -> None:
    """Compile the rule tables now instead of on the first request."""
    from ._engine import compiled

    compiled()


__all__ = [
    "AUTH_HEADERS",
    "JWK_MEMBER_VALUE",
    "JWK_PRIVATE_MEMBERS",
    "JWK_RULE",
    "KEY_RELAY_HOSTS",
    "PROVIDER_HOSTS",
    "RULES",
    "UNBOUND_PROVIDERS",
    "VENDOR_AUTH_HEADERS",
    "Bindings",
    "all_rule_ids",
    "auth_header_allowed",
    "body_auth_fields",
    "detect",
    "detect_auth_value",
    "host_allowed_for_provider",
    "is_auth_header",
    "is_own_credential",
    "is_relay_host",
    "is_signed_url_scope",
    "is_url_auth_position",
    "jwk_private_value",
    "key_is_sensitive",
    "may_match",
    "may_name_a_secret",
    "provider_for",
    "relay_bindings",
    "vendor_hit",
    "warm_up",
    "wsse_password_spans",
]
