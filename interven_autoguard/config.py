"""Settings of the guard, from arguments or ``INTERVEN_*`` environment variables.

Arguments win over the environment; the environment wins over defaults.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigurationError

MODES = ("enforce", "monitor")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be one of 1/0/true/false/yes/no/on/off, got {raw!r}")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ConfigurationError(f"{name} must not be negative, got {raw!r}")
    return value


def _host_pattern(pattern: str) -> str:
    """An ``exclude_hosts`` glob as it is matched: against the URL's bare host name, lower-cased, an
    IPv6 address without its brackets. A port cannot be matched, so one is refused, not ignored."""
    text = pattern.strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]  # "[::1]": the host is "::1"
    if text.count(":") == 1 or text.startswith("[") or "]:" in text:
        raise ConfigurationError(
            f"exclude_hosts takes host names, addresses or globs, not ports: {pattern!r}")
    if not text:
        raise ConfigurationError("exclude_hosts has an empty pattern")
    return text


HOSTED_GATEWAY_URL = "https://api.intervensecurity.com"  # Interven's hosted service (the SDK's default)


def gateway_origin(url: str) -> str:
    """``scheme://host[:port]`` of a gateway URL: what may be shown (no user, password, path or query)."""
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def check_scanner_choice(api_key: str | None, gateway_url: str | None, policy: object) -> None:
    """Refuse a configuration whose effect would surprise: raises ``ConfigurationError``.

    * A key without ``INTERVEN_GATEWAY_URL``: every request (bodies, headers, secrets) would go to
      the hosted service by default. Where it goes must be chosen, never implied.
    * A key and a local policy: the gateway's policy decides, so the local one would be ignored.
    """
    if not api_key:
        return
    if not gateway_url or not gateway_url.strip():
        raise ConfigurationError(
            "INTERVEN_API_KEY is set but INTERVEN_GATEWAY_URL is not: every request would be sent to "
            "a gateway for scanning, so say which one. Set INTERVEN_GATEWAY_URL to your gateway "
            "(e.g. http://127.0.0.1:4000 for 'python -m interven_autoguard serve') or to "
            f"{HOSTED_GATEWAY_URL} for Interven's hosted service; or unset INTERVEN_API_KEY to scan "
            "in-process with the embedded engine")
    parts = urllib.parse.urlsplit(gateway_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            "INTERVEN_GATEWAY_URL must be an http:// or https:// URL with a host "
            "(not repeated here: a malformed value may hold a user name or a key)")
    if policy is not None and policy != "":
        raise ConfigurationError(
            "a local policy (--policy / INTERVEN_POLICY) has no effect when INTERVEN_API_KEY is set: the "
            f"gateway at {gateway_origin(gateway_url)} decides with its own policy. Unset INTERVEN_POLICY "
            "(and drop --policy) to use the gateway, putting your rules in the gateway's policy file, or "
            "unset INTERVEN_API_KEY to scan in-process with this policy")


@dataclass(frozen=True)
class Settings:
    mode: str = "enforce"  # "enforce" | "monitor"
    policy: str | None = None  # path of a TOML policy file
    fail_open: bool = False  # scanner error → send anyway (recorded) instead of blocking
    disabled: bool = False  # kill switch: install() patches nothing
    exclude_hosts: tuple[str, ...] = ()  # host globs never scanned (e.g. a trusted internal API)
    approval_timeout: float = 3600.0  # seconds a guarded call waits for a human decision
    api_key: str | None = None  # INTERVEN_API_KEY: use the gateway instead of the embedded engine
    gateway_url: str | None = None
    gateway_timeout: float = 30.0  # seconds for a whole answer of the gateway (then fail closed/open)
    agent_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigurationError(f"mode must be one of {MODES}, got {self.mode!r}")
        object.__setattr__(self, "exclude_hosts", tuple(map(_host_pattern, self.exclude_hosts)))
        if not self.gateway_timeout > 0:
            raise ConfigurationError(
                f"gateway_timeout must be more than 0 seconds, got {self.gateway_timeout!r}")
        if not self.disabled:  # the kill switch always works, whatever else is set
            check_scanner_choice(self.api_key, self.gateway_url, self.policy)

    def describe_scanner(self) -> str:
        """Which scanner decides, and where, for a start-up line: never the key."""
        if self.api_key and self.gateway_url:
            return f"the gateway at {gateway_origin(self.gateway_url)} (its policy decides)"
        policy = self.policy if isinstance(self.policy, str) or self.policy is None else "given in code"
        return f"the embedded engine, in-process (policy: {policy or 'built-in default'})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        hosts = tuple(
            h.strip().lower() for h in env.get("INTERVEN_EXCLUDE_HOSTS", "").split(",") if h.strip()
        )
        values: dict[str, Any] = dict(
            mode=(env.get("INTERVEN_MODE") or "enforce").strip().lower(),
            policy=env.get("INTERVEN_POLICY") or None,
            fail_open=_flag(env, "INTERVEN_FAIL_OPEN", False),
            disabled=_flag(env, "INTERVEN_DISABLED", False),
            exclude_hosts=hosts,
            approval_timeout=_float(env, "INTERVEN_APPROVAL_TIMEOUT", 3600.0),
            api_key=env.get("INTERVEN_API_KEY") or None,
            gateway_url=env.get("INTERVEN_GATEWAY_URL") or None,
            gateway_timeout=_float(env, "INTERVEN_GATEWAY_TIMEOUT", 30.0),
            agent_id=env.get("INTERVEN_AGENT_ID") or None,
        )
        # Validated once, arguments laid over the environment: an argument may complete what the
        # environment lacks (install(gateway_url=...) with INTERVEN_API_KEY exported).
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
