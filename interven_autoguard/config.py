"""Settings of the guard, from arguments or ``INTERVEN_*`` environment variables.

Arguments win over the environment; the environment wins over defaults.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        hosts = tuple(
            h.strip().lower() for h in env.get("INTERVEN_EXCLUDE_HOSTS", "").split(",") if h.strip()
        )
        base = cls(
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
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(base, **given) if given else base
