"""Validate a parsed policy document and turn it into a normalised, JSON-able dict.

Every problem is collected (not just the first) as ``(line, message)``; lines come from
:class:`~.policy_lines.LineLocator`. The normalised form is what the policy version hashes, so
comments, key order and spelling variants (``"deny"`` vs ``"DENY"``) do not change the version.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from ..model import Decision
from .destinations import normalize_host
from .policy_globs import (
    field_glob_error,
    host_glob_error,
    name_glob_error,
    normalize_host_pattern,
    path_glob_error,
    type_glob_error,
)
from .policy_lines import LineLocator, Path

Errors = list[tuple[int | None, str]]

DECISIONS = tuple(d.value for d in Decision)
# Input conditions have no finding to redact, so SANITIZE would mean nothing for them.
_NO_SANITIZE = tuple(d for d in DECISIONS if d != Decision.SANITIZE.value)

# setting name -> (kind, allowed decisions or None)
SETTINGS_SCHEMA: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "max_body_bytes": ("positive_int", None),
    "body_too_large": ("decision", _NO_SANITIZE),
    "not_inspectable": ("decision", _NO_SANITIZE),
    "private_network": ("decision", _NO_SANITIZE),
    "exfil_destination": ("decision", _NO_SANITIZE),
    "approval_ttl_seconds": ("positive_int", None),
    "secrets": ("decision", DECISIONS),
    "pii": ("decision", DECISIONS),
    "types": ("decision_table", DECISIONS),
    "key_relays": ("relay_table", None),
}
RISK_KEYS = ("secret", "pii", "types")
TOP_KEYS = ("description", "extends", "disable", "settings", "risk", "rules", "allow", "bindings")
EXTENDS = ("default", "none")

# match key -> (validator of one pattern, how the value is normalised)
_Check = Callable[[object], "str | None"]
def _port_error(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return f"ports must be integers from 1 to 65535, got {value!r}"
    return None


MATCH_KEYS: dict[str, tuple[_Check, Callable[[Any], Any]]] = {
    "methods": (lambda v: _token_error(v, "method"), str.upper),
    "schemes": (lambda v: _token_error(v, "scheme"), str.lower),
    "hosts": (host_glob_error, normalize_host_pattern),
    "paths": (path_glob_error, str),
    "finding_types": (type_glob_error, str.upper),
    "categories": (lambda v: _category_error(v), str.lower),
    "fields": (field_glob_error, str),
    "agent_ids": (lambda v: name_glob_error(v, "agent id"), str),
    "ports": (_port_error, int),
}
FINDING_KEYS = ("finding_types", "categories", "fields")
CATEGORIES = ("secret", "pii")
RULE_KEYS = ("id", "description", "decision", "risk", *MATCH_KEYS)
ALLOW_KEYS = ("id", "description", *MATCH_KEYS)


def _token_error(value: object, what: str) -> str | None:
    if not isinstance(value, str):
        return f"{what}s must be strings, got {type(value).__name__}"
    if not value or not value.replace("-", "").replace("+", "").replace(".", "").isalnum():
        return f"invalid {what} {value!r}"
    return None


def _category_error(value: object) -> str | None:
    if not isinstance(value, str) or value.lower() not in CATEGORIES:
        return f"unknown category {value!r}; expected one of {', '.join(CATEGORIES)}"
    return None


_DNS_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
                       r"(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*")


def binding_host_error(value: object) -> tuple[str | None, str | None]:
    """(the host as the engine compares it, None) or (None, what is wrong): a DNS name (IDNA,
    lower case, no trailing dot; its subdomains are included) or an IP literal, nothing else."""
    if not isinstance(value, str) or not value.strip():
        return None, f"expected a host name, got {value!r}"
    text = value.strip()
    if "*" in text or "?" in text or (("[" in text or "]" in text) and not text.startswith("[")):
        return None, f"{value!r}: a host name, not a pattern (its subdomains are included)"
    if any(c in value for c in "/@ ") or "://" in value:
        return None, f"{value!r}: a host name alone (no scheme, path, user or spaces)"
    host = normalize_host(value)
    try:
        return str(ipaddress.ip_address(host)), None
    except ValueError:
        pass
    if ":" in host:
        return None, f"{value!r}: a host name alone, without a port"
    if not _DNS_NAME.fullmatch(host) or host.rpartition(".")[2].isdigit():
        return None, f"{value!r} is not a host name"
    return host, None


def _type_name(value: object) -> str:
    return {str: "string", int: "integer", float: "float", bool: "boolean", list: "array",
            dict: "table"}.get(type(value), type(value).__name__)


def unknown_key(key: str, known: tuple[str, ...] | list[str], where: str) -> str:
    """``unknown key 'x' in WHERE; did you mean 'y'?``: shared by the policy and gateway configs."""
    msg = f"unknown key {key!r} in {where}"
    close = difflib.get_close_matches(key, list(known), n=1)
    if close:
        msg += f"; did you mean {close[0]!r}?"
    return msg


class _Validator:
    def __init__(self, text: str | None) -> None:
        self.errors: Errors = []
        self._locator = LineLocator(text) if text else None

    def err(self, path: Path, message: str) -> None:
        line = self._locator.line(path) if self._locator else None
        self.errors.append((line, message))

    def decision(self, value: object, path: Path, where: str, allowed: tuple[str, ...]) -> str | None:
        if not isinstance(value, str) or value.upper() not in DECISIONS:
            self.err(path, f"{where} must be one of {', '.join(allowed)}, got {value!r}")
            return None
        if value.upper() not in allowed:
            self.err(path, f"{where} cannot be {value.upper()}; expected one of {', '.join(allowed)}")
            return None
        return value.upper()

    def _decision_any(self, value: object, path: Path, where: str) -> str | None:
        return self.decision(value, path, where, DECISIONS)

    def settings(self, raw: object) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if not isinstance(raw, dict):
            self.err(("settings",), f"[settings] must be a table, got {_type_name(raw)}")
            return out
        for key, value in raw.items():
            path = ("settings", key)
            if key not in SETTINGS_SCHEMA:
                self.err(path, unknown_key(key, list(SETTINGS_SCHEMA), "[settings]"))
                continue
            kind, allowed = SETTINGS_SCHEMA[key]
            if kind == "positive_int":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    self.err(path, f"settings.{key} must be a positive integer, got {value!r}")
                else:
                    out[key] = value
            elif kind == "decision":
                assert allowed is not None
                d = self.decision(value, path, f"settings.{key}", allowed)
                if d:
                    out[key] = d
            elif kind == "relay_table":
                out[key] = self.key_relays(value, path)
            else:
                out[key] = self._type_table(value, path, self._decision_any)
        return out

    def key_relays(self, raw: object, path: Path) -> dict[str, bool | list[str]]:
        """``[settings.key_relays]``: relay = true (any host of its cloud), false (none) or
        ["host", ...] (only these hosts of its cloud) for the provider keys a vector database's
        clients pass in module headers (``secrets.KEY_RELAY_HOSTS``)."""
        from .secrets import KEY_RELAY_HOSTS, is_relay_host

        out: dict[str, bool | list[str]] = {}
        if not isinstance(raw, dict):
            self.err(path, "[settings.key_relays] must be a table of relay = true, false or "
                           f"[\"host\", ...], got {_type_name(raw)}")
            return out
        for relay, value in raw.items():
            kpath = (*path, relay)
            where = f"settings.key_relays.{relay}"
            if relay not in KEY_RELAY_HOSTS:
                self.err(kpath, unknown_key(relay, sorted(KEY_RELAY_HOSTS),
                                         "[settings.key_relays] (a relay id)"))
                continue
            if isinstance(value, bool):
                out[relay] = value
                continue
            if not isinstance(value, list) or not value:
                self.err(kpath, f"{where} must be true, false or a non-empty array of host names, "
                                f"got {value!r}")
                continue
            hosts: list[str] = []
            ok = True
            for host in value:
                name, error = binding_host_error(host)
                if error or name is None:
                    self.err(kpath, f"{where}: {error}")
                    ok = False
                elif not is_relay_host(relay, name):
                    cloud = ", ".join(KEY_RELAY_HOSTS[relay])
                    self.err(kpath, f"{where}: {host!r} is not a host of {relay}'s cloud ({cloud}); "
                                    "a self-hosted cluster is named in [bindings] for each provider whose "
                                    "key it takes")
                    ok = False
                elif name not in hosts:
                    hosts.append(name)
            if ok:
                out[relay] = sorted(hosts)
        return out

    def bindings(self, raw: object) -> dict[str, list[str]]:
        """``[bindings]``: provider = ["host", ...], hosts its credentials may also travel to."""
        from .secrets import PROVIDER_HOSTS, UNBOUND_PROVIDERS

        out: dict[str, list[str]] = {}
        if not isinstance(raw, dict):
            self.err(("bindings",), f"[bindings] must be a table, got {_type_name(raw)}")
            return out
        for provider, hosts in raw.items():
            path = ("bindings", provider)
            if provider in UNBOUND_PROVIDERS:
                self.err(path, f"bindings.{provider}: its credentials are never sent to any host "
                               "(file-encryption keys): nothing to bind")
                continue
            if provider not in PROVIDER_HOSTS:
                self.err(path, unknown_key(provider, sorted(PROVIDER_HOSTS), "[bindings] (a provider id)"))
                continue
            if not isinstance(hosts, list) or not hosts:
                self.err(path, f"bindings.{provider} must be a non-empty array of host names")
                continue
            normalized = []
            for host in hosts:
                value, error = binding_host_error(host)
                if error:
                    self.err(path, f"bindings.{provider}: {error}")
                elif value not in normalized:
                    normalized.append(value)
            if normalized:
                out[provider] = sorted(normalized)
        return out

    def _type_table(self, raw: object, path: Path, convert: Callable[[object, Path, str], Any]) -> dict:
        where = ".".join(str(p) for p in path)
        if not isinstance(raw, dict):
            self.err(path, f"[{where}] must be a table of finding type = value, got {_type_name(raw)}")
            return {}
        out: dict[str, Any] = {}
        for type_glob, value in raw.items():
            kpath = (*path, type_glob)
            problem = type_glob_error(type_glob)
            if problem:
                self.err(kpath, f"in [{where}]: {problem}")
                continue
            converted = convert(value, kpath, f"{where}.{type_glob}")
            if converted is not None:
                out[type_glob.upper()] = converted
        return out

    def risk_value(self, value: object, path: Path, where: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            self.err(path, f"{where} must be a number between 0 and 1, got {value!r}")
            return None
        return float(value)

    def risk(self, raw: object) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if not isinstance(raw, dict):
            self.err(("risk",), f"[risk] must be a table, got {_type_name(raw)}")
            return out
        for key, value in raw.items():
            path = ("risk", key)
            if key not in RISK_KEYS:
                self.err(path, unknown_key(key, RISK_KEYS, "[risk]"))
            elif key == "types":
                out["types"] = self._type_table(value, path, self.risk_value)
            else:
                r = self.risk_value(value, path, f"risk.{key}")
                if r is not None:
                    out[key] = r
        return out

    def entries(self, raw: object, table: str, *, is_rule: bool) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            self.err((table,), f"'{table}' must be an array of tables ([[{table}]]), got {_type_name(raw)}")
            return []
        return [e for i, item in enumerate(raw) if (e := self.entry(item, table, i, is_rule)) is not None]

    def entry(self, raw: object, table: str, index: int, is_rule: bool) -> dict[str, Any] | None:
        base: Path = (table, index)
        rid = raw.get("id") if isinstance(raw, dict) else None
        where = f"[[{table}]] #{index + 1}" + (f" (id {rid!r})" if isinstance(rid, str) and rid else "")
        if not isinstance(raw, dict):
            self.err(base, f"{where} must be a table, got {_type_name(raw)}")
            return None
        known = RULE_KEYS if is_rule else ALLOW_KEYS
        ok = True
        out: dict[str, Any] = {}
        for key, value in raw.items():
            path = (*base, key)
            if key not in known:
                hint = ""
                if not is_rule and key in ("decision", "risk"):
                    hint = " (an allowance only removes expected findings; it has no decision or risk)"
                self.err(path, unknown_key(key, known, where) + hint)
                ok = False
            elif key == "id":
                if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
                    self.err(path, f"{where}: id must be a non-empty string without spaces, got {value!r}")
                    ok = False
                else:
                    out["id"] = value
            elif key == "description":
                if not isinstance(value, str):
                    self.err(path, f"{where}: description must be a string, got {_type_name(value)}")
                    ok = False
                else:
                    out["description"] = value
            elif key == "decision":
                d = self.decision(value, path, f"{where}: decision", DECISIONS)
                ok = ok and d is not None
                if d:
                    out["decision"] = d
            elif key == "risk":
                r = self.risk_value(value, path, f"{where}: risk")
                ok = ok and r is not None
                if r is not None:
                    out["risk"] = r
            else:
                patterns = self.patterns(value, path, where, key)
                ok = ok and patterns is not None
                if patterns is not None:
                    out[key] = patterns
        if "id" not in raw:
            self.err(base, f"{where} has no 'id'")
            ok = False
        if is_rule and "decision" not in raw:
            self.err(base, f"{where} has no 'decision' (one of {', '.join(DECISIONS)})")
            ok = False
        if not is_rule and not any(k in raw for k in FINDING_KEYS):
            self.err(base, f"{where} must say which findings it allows: set finding_types, categories "
                           "and/or fields (use categories = [\"secret\", \"pii\"] to allow everything)")
            ok = False
        return out if ok else None

    def patterns(self, value: object, path: Path, where: str, key: str) -> list[Any] | None:
        check, normalise = MATCH_KEYS[key]
        if not isinstance(value, list):
            items = "integers" if key == "ports" else "strings"
            self.err(path, f"{where}: {key} must be an array of {items}, got {_type_name(value)}")
            return None
        if not value:
            self.err(path, f"{where}: {key} is empty; leave the key out to match anything")
            return None
        out: list[Any] = []
        for item in value:
            problem = check(item)
            if problem:
                self.err(path, f"{where}: {problem}")
                return None
            n = normalise(item)
            if n not in out:
                out.append(n)
        return out


def validate(doc: dict[str, Any], text: str | None, base_ids: frozenset[str] = frozenset()
             ) -> tuple[dict[str, Any], Errors]:
    """Check one parsed policy file. Returns its normalised content and the errors found.

    ``base_ids`` are the rule/allowance ids of the default policy (what ``disable`` may name).
    """
    v = _Validator(text)
    out: dict[str, Any] = {"extends": "default", "disable": [], "settings": {}, "risk": {},
                           "rules": [], "allow": []}
    for key in doc:
        if key not in TOP_KEYS:
            v.err((key,), unknown_key(key, TOP_KEYS, "the policy file (top level)"))
    if "description" in doc and not isinstance(doc["description"], str):
        v.err(("description",), "description must be a string")
    if "extends" in doc:
        ext = doc["extends"]
        if ext not in EXTENDS:
            v.err(("extends",), f"extends must be \"default\" or \"none\", got {ext!r}")
        else:
            out["extends"] = ext
    if "disable" in doc:
        out["disable"] = _disable(v, doc["disable"], base_ids if out["extends"] == "default" else frozenset())
    if "settings" in doc:
        out["settings"] = v.settings(doc["settings"])
    if "risk" in doc:
        out["risk"] = v.risk(doc["risk"])
    if "rules" in doc:
        out["rules"] = v.entries(doc["rules"], "rules", is_rule=True)
    if "allow" in doc:
        out["allow"] = v.entries(doc["allow"], "allow", is_rule=False)
    if "bindings" in doc:
        out["bindings"] = v.bindings(doc["bindings"])
    _check_unique_ids(v, doc)
    return out, sorted(v.errors, key=lambda e: (e[0] is None, e[0] or 0))


def _disable(v: _Validator, raw: object, base_ids: frozenset[str]) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        v.err(("disable",), "disable must be an array of rule/allowance ids")
        return []
    for rid in raw:
        if rid not in base_ids:
            hint = difflib.get_close_matches(rid, sorted(base_ids), n=1)
            more = f"; did you mean {hint[0]!r}?" if hint else ""
            v.err(("disable",), f"disable: the default policy has no rule or allowance {rid!r}{more}")
    return [rid for rid in raw if rid in base_ids]


def _check_unique_ids(v: _Validator, doc: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for table in ("rules", "allow"):
        items = doc.get(table)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            rid = item.get("id") if isinstance(item, dict) else None
            if not isinstance(rid, str):
                continue
            here = f"[[{table}]] #{i + 1}"
            if rid in seen:
                v.err((table, i, "id"), f"{here}: duplicate id {rid!r} (first used by {seen[rid]})")
            else:
                seen[rid] = here
