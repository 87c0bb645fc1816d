"""Reading, validating and merging policy files; the policy version.

The default policy (``default_policy.toml``) is the single source of default settings: a user
file's settings are laid over it, and its rules and allowances are inherited unless the file says
``extends = "none"``. The effective content is plain JSON-able data; its hash is the version that
approvals are bound to.
"""

from __future__ import annotations

import json
import os
import re
import sys
from functools import lru_cache
from importlib import resources
from typing import Any

from ..digests import sha256
from ..errors import PolicyError
from .policy_schema import Errors, validate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


def parse(text: str) -> tuple[dict[str, Any] | None, Errors]:
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POSITION.search(msg)
        line = int(m.group(1)) if m else getattr(exc, "lineno", None)
        return None, [(line, "TOML syntax error: " + _TOML_POSITION.sub("", msg).strip())]


# Settings that are looked up per finding type. They are kept as layers (the user's file, then the
# default policy) so that anything a user writes beats anything inherited: a user's
# ``pii = "ALLOW"`` wins over the default's ``EMAIL = "SANITIZE"``.
LAYERED_SETTINGS = ("secrets", "pii", "types")


def _layer(section: dict[str, Any], secret_key: str, pii_key: str) -> dict[str, Any] | None:
    layer = {
        "types": [[k, v] for k, v in section.get("types", {}).items()],  # file order matters for globs
        "secret": section.get(secret_key),
        "pii": section.get(pii_key),
    }
    return layer if layer["types"] or layer["secret"] is not None or layer["pii"] is not None else None


@lru_cache(maxsize=1)
def default_content() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("default_policy.toml").read_text(encoding="utf-8")
    doc, errors = parse(text)
    if doc is None or errors:
        raise PolicyError(error_summary("default_policy.toml", errors), errors)
    content, errors = validate(doc, text)
    if errors:
        raise PolicyError(error_summary("default_policy.toml", errors), errors)
    settings, risk = content["settings"], content["risk"]
    decisions = _layer(settings, "secrets", "pii")
    weights = _layer(risk, "secret", "pii")
    if not decisions or decisions["secret"] is None or decisions["pii"] is None \
            or not weights or weights["secret"] is None or weights["pii"] is None:
        raise PolicyError("default_policy.toml must set settings.secrets/pii and risk.secret/pii")
    return {
        "description": doc.get("description", ""),
        "settings": {k: v for k, v in settings.items() if k not in LAYERED_SETTINGS},
        "decisions": [decisions],
        "risk": [weights],
        "rules": content["rules"],
        "allow": content["allow"],
    }


def base_ids() -> frozenset[str]:
    base = default_content()
    return frozenset(e["id"] for e in (*base["rules"], *base["allow"]))


def compile_text(text: str) -> tuple[dict[str, Any] | None, Errors]:
    doc, errors = parse(text)
    if doc is None:
        return None, errors
    content, errors = validate(doc, text, base_ids())
    if errors:
        return None, errors
    if isinstance(doc.get("description"), str):
        content["description"] = doc["description"]
    return merge(default_content(), content), []


def merge(base: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """Settings and risk weights always inherit from the default (the single source of defaults);
    rules and allowances inherit only with ``extends = "default"``, minus ``disable``, and a user
    entry with an inherited id replaces it in place."""
    mine_settings = {k: v for k, v in user["settings"].items() if k not in LAYERED_SETTINGS}
    decisions = _layer(user["settings"], "secrets", "pii")
    weights = _layer(user["risk"], "secret", "pii")
    if "key_relays" in mine_settings:  # per relay: the user's relays over the default's
        relays = base["settings"].get("key_relays", {})
        mine_settings["key_relays"] = {**relays, **mine_settings["key_relays"]}
    merged: dict[str, Any] = {
        "description": user.get("description", ""),
        "settings": {**base["settings"], **mine_settings},
        "decisions": ([decisions] if decisions else []) + base["decisions"],
        "risk": ([weights] if weights else []) + base["risk"],
    }
    # Extra hosts for providers' credentials: the user's alone (the default binds nothing more).
    # Absent when empty, so that the version of a policy without any stays what it was.
    bindings = {**base.get("bindings", {}), **user.get("bindings", {})}
    if bindings:
        merged["bindings"] = bindings
    for table in ("rules", "allow"):
        if user["extends"] == "none":
            merged[table] = list(user[table])
            continue
        mine = {e["id"]: e for e in user[table]}
        entries = [mine.pop(e["id"], e) for e in base[table] if e["id"] not in user["disable"]]
        merged[table] = entries + [e for e in user[table] if e["id"] in mine]
    return merged


def looks_like_toml(source: str) -> bool:
    if "\n" in source or "[" in source:
        return True
    # A one-line document such as 'extends = "none"' is text unless a file has that name.
    return "=" in source and not os.path.exists(source)


def version_of(content: dict[str, Any]) -> str:
    payload = {k: v for k, v in content.items() if k != "description"}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return sha256(blob.encode("utf-8")).hexdigest()[:12]


def read(path: str) -> tuple[str | None, Errors]:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read(), []
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return None, [(None, f"cannot read {path}: {reason}")]


def error_summary(source: str, errors: Errors) -> str:
    shown = "; ".join(f"line {ln}: {msg}" if ln else msg for ln, msg in errors[:3])
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"invalid policy {source}: {shown}{more}"
