"""Gateway configuration (TOML): API keys, approver tokens, HMAC agents, tools, limits, policy.

API keys and approver tokens are stored only as salted SHA-256 hashes (``sha256$SALT$HEX``, made by
``python -m interven_autoguard.gateway hash-key``) and verified in constant time. HMAC agent
secrets must be usable to verify signatures, so they are given by environment variable name
(``secret_env``) or, for tests and single-user setups, inline (``secret``).

Example::

    [server]
    host = "127.0.0.1"
    port = 4000
    db = "sqlite:///var/lib/interven/gateway.db"   # or postgresql://user@127.0.0.1/interven
    policy = "policy.toml"
    rate_limit_per_minute = 600
    approvals_page_token_env = "INTERVEN_APPROVALS_PAGE_TOKEN"   # optional: web page at /ui
    approval_ttl_seconds = 3600          # optional cap on the policy's approval expiry

    [[api_keys]]
    id = "ci-agents"
    hash = "sha256$0f1e...$9a8b..."
    agent_id = "ci"                      # optional default agent for this key

    [[approvers]]
    id = "alice"
    token_hash = "sha256$...$..."

    [[agents]]
    agent_id = "00000000-0000-0000-0000-000000000010"
    name = "release-bot"
    secret_env = "RELEASE_BOT_SECRET"

    [tools.github]
    base_url = "https://api.github.com"
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_HASH_SCHEME = "sha256"


def hash_secret(value: str, *, salt: str | None = None) -> str:
    """``sha256$SALT$HEX`` of an API key or approver token. Keys are random, so one round suffices."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256((salt + "\x00" + value).encode("utf-8")).hexdigest()
    return f"{_HASH_SCHEME}${salt}${digest}"


def verify_secret(value: str, stored: str) -> bool:
    """Constant-time check of ``value`` against one stored hash."""
    try:
        scheme, salt, expected = stored.split("$", 2)
    except ValueError:
        return False
    if scheme != _HASH_SCHEME:
        return False
    actual = hashlib.sha256((salt + "\x00" + value).encode("utf-8")).hexdigest()
    return hmac.compare_digest(actual.encode("ascii"), expected.encode("ascii"))


def new_api_key(prefix: str = "iv_live_") -> str:
    return prefix + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ApiKey:
    id: str
    hash: str
    agent_id: str | None = None
    rate_limit_per_minute: int | None = None


@dataclass(frozen=True)
class Approver:
    id: str
    token_hash: str


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Tool:
    name: str
    base_url: str


@dataclass(frozen=True)
class GatewayConfig:
    host: str = "127.0.0.1"
    port: int = 4000
    db: str | None = None
    policy: str | None = None
    rate_limit_per_minute: int = 600
    approval_ttl_seconds: float | None = None  # cap on the policy's approval expiry
    replay_window_seconds: float = 60.0
    max_body_bytes: int = 256 * 1024
    execute_requires_signature: bool = False
    approvals_page_token: str | None = field(default=None, repr=False)  # enables the web page at /ui
    api_keys: tuple[ApiKey, ...] = ()
    approvers: tuple[Approver, ...] = ()
    agents: tuple[Agent, ...] = ()
    tools: tuple[Tool, ...] = ()

    def match_api_key(self, presented: str) -> ApiKey | None:
        return _match(self.api_keys, presented, lambda k: k.hash)

    def match_approver(self, presented: str) -> Approver | None:
        return _match(self.approvers, presented, lambda a: a.token_hash)

    def agent(self, agent_id: str) -> Agent | None:
        for agent in self.agents:
            if hmac.compare_digest(agent.agent_id.encode(), agent_id.encode()):
                return agent
        return None

    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.tools if t.name == name), None)

    @classmethod
    def load(cls, path: str, env: Mapping[str, str] | None = None) -> GatewayConfig:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ConfigurationError(f"cannot read gateway config {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"gateway config {path} is not valid TOML: {exc}") from None
        base = os.path.dirname(os.path.abspath(path))
        return cls.from_dict(data, env=env, base_dir=base)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, env: Mapping[str, str] | None = None, base_dir: str | None = None
    ) -> GatewayConfig:
        env = os.environ if env is None else env
        _check_keys(data)
        server = _table(data, "server")
        policy = server.get("policy")
        if policy and base_dir and not os.path.isabs(policy):
            policy = os.path.join(base_dir, policy)
        keys = tuple(
            ApiKey(
                id=_req(k, "id", "api_keys"),
                hash=_hash_field(k, "hash", "api_keys"),
                agent_id=k.get("agent_id"),
                rate_limit_per_minute=_opt_int(k, "rate_limit_per_minute"),
            )
            for k in _array(data, "api_keys")
        )
        approvers = tuple(
            Approver(id=_req(a, "id", "approvers"), token_hash=_hash_field(a, "token_hash", "approvers"))
            for a in _array(data, "approvers")
        )
        agents = tuple(_agent(a, env) for a in _array(data, "agents"))
        tools_table = data.get("tools", {})
        if not isinstance(tools_table, Mapping):
            raise ConfigurationError("[tools] must be a table of [tools.NAME] base_url = ...")
        tools = tuple(
            Tool(name=str(name), base_url=_req(t, "base_url", f"tools.{name}").rstrip("/"))
            for name, t in tools_table.items()
        )
        if any(k.id.startswith("agent:") for k in keys):
            raise ConfigurationError("[[api_keys]] ids must not start with 'agent:' (reserved)")
        for label, items in (
            ("api_keys", [k.id for k in keys]),
            ("approvers", [a.id for a in approvers]),
            ("agents", [a.agent_id for a in agents]),
        ):
            if len(set(items)) != len(items):
                raise ConfigurationError(f"duplicate id in [[{label}]]")
        return cls(
            host=str(server.get("host", "127.0.0.1")),
            port=int(server.get("port", 4000)),
            db=server.get("db"),
            policy=policy,
            rate_limit_per_minute=int(server.get("rate_limit_per_minute", 600)),
            approval_ttl_seconds=_opt_float(server, "approval_ttl_seconds"),
            replay_window_seconds=float(server.get("replay_window_seconds", 60.0)),
            max_body_bytes=int(server.get("max_body_bytes", 256 * 1024)),
            execute_requires_signature=bool(server.get("execute_requires_signature", False)),
            approvals_page_token=_page_token(server, env),
            api_keys=keys,
            approvers=approvers,
            agents=agents,
            tools=tools,
        )


# Every key the config knows, per table: anything else is a typo that would otherwise be dropped
# silently (``prot = 4012`` serving on the default port, ``plicy`` serving the default policy).
_KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "": ("server", "api_keys", "approvers", "agents", "tools"),
    "server": ("host", "port", "db", "policy", "rate_limit_per_minute", "approval_ttl_seconds",
               "replay_window_seconds", "max_body_bytes", "execute_requires_signature",
               "approvals_page_token_env"),
    "api_keys": ("id", "hash", "agent_id", "rate_limit_per_minute"),
    "approvers": ("id", "token_hash"),
    "agents": ("agent_id", "name", "secret", "secret_env"),
    "tools": ("base_url",),
}


def _check_keys(data: Mapping[str, Any]) -> None:
    """Raise one ``ConfigurationError`` naming every unknown key, each with a "did you mean"."""
    from ..engine.policy_schema import unknown_key  # the policy loader's wording and suggestions

    errors: list[str] = []

    def check(item: object, known: tuple[str, ...], where: str) -> None:
        if isinstance(item, Mapping):
            errors.extend(unknown_key(str(k), known, where) for k in item if k not in known)

    check(data, _KNOWN_KEYS[""], "the gateway config (top level)")
    check(data.get("server"), _KNOWN_KEYS["server"], "[server]")
    for table in ("api_keys", "approvers", "agents"):
        items = data.get(table)
        for item in items if isinstance(items, list) else ():
            check(item, _KNOWN_KEYS[table], f"[[{table}]]")
    tools = data.get("tools")
    for name, tool in tools.items() if isinstance(tools, Mapping) else ():
        check(tool, _KNOWN_KEYS["tools"], f"[tools.{name}]")
    if errors:
        raise ConfigurationError("invalid gateway config: " + "; ".join(errors))


def _match(items: tuple[Any, ...], presented: str, get_hash: Any) -> Any:
    # Check every entry (no early exit) so timing does not reveal which key almost matched.
    found = None
    for item in items:
        if verify_secret(presented, get_hash(item)) and found is None:
            found = item
    return found


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"[{name}] must be a table")
    return value


def _array(data: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ConfigurationError(f"[[{name}]] must be an array of tables")
    return value


def _req(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"[[{where}]] entry needs a non-empty string '{key}'")
    return value


def _hash_field(item: Mapping[str, Any], key: str, where: str) -> str:
    value = _req(item, key, where)
    if value.count("$") != 2 or not value.startswith(_HASH_SCHEME + "$"):
        raise ConfigurationError(
            f"[[{where}]] '{key}' must be a hash made by 'python -m interven_autoguard.gateway hash-key', "
            "never the key itself"
        )
    return value


def _page_token(server: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    name = server.get("approvals_page_token_env")
    if not name:
        return None
    token = env.get(str(name))
    if not token or len(token) < 16:
        raise ConfigurationError(
            f"approvals page: environment variable {name} must hold a token of 16+ characters"
        )
    return token


def _opt_float(item: Mapping[str, Any], key: str) -> float | None:
    value = item.get(key)
    return None if value is None else float(value)


def _opt_int(item: Mapping[str, Any], key: str) -> int | None:
    value = item.get(key)
    return None if value is None else int(value)


def _agent(item: Mapping[str, Any], env: Mapping[str, str]) -> Agent:
    agent_id = _req(item, "agent_id", "agents")
    secret = item.get("secret")
    secret_env = item.get("secret_env")
    if secret_env:
        secret = env.get(str(secret_env))
        if not secret:
            raise ConfigurationError(f"agent {agent_id}: environment variable {secret_env} is not set")
    if not isinstance(secret, str) or not secret:
        raise ConfigurationError(f"agent {agent_id}: give 'secret_env' (preferred) or 'secret'")
    return Agent(agent_id=agent_id, name=str(item.get("name", agent_id)), secret=secret)
