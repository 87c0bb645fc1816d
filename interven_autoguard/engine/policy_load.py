"""Reading, validating and merging policy files; the policy version.

The default policy (``default_policy.toml``) is the single source of default settings: a user
file's settings are laid over it, and its rules and allowances are inherited unless the file says
``extends = "none"``. The effective content is plain JSON-able data; its hash is the version that
approvals are bound to.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from functools import lru_cache
from importlib import resources
from typing import Any

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


@lru_cache(maxsize=1)
def default_content() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("default_policy.toml").read_text(encoding="utf-8")
    doc, errors = parse(text)
    if doc is None or errors:
        raise PolicyError(error_summary("default_policy.toml", errors), errors)
    content, errors = validate(doc, text)
    if errors:
        raise PolicyError(error_summary("default_policy.toml", errors), errors)
    content["description"] = doc.get("description", "")
    return finalise(content)


def finalise(content: dict[str, Any]) -> dict[str, Any]:
    """The effective content: no inheritance bookkeeping, every optional table present."""
    out = {
        "description": content.get("description", ""),
        "settings": dict(content["settings"]),
        "risk": {"secret": 0.0, "pii": 0.0, "types": {}, **content["risk"]},
        "rules": content["rules"],
        "allow": content["allow"],
    }
    out["settings"].setdefault("types", {})
    return out


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
    settings = {**base["settings"], **{k: v for k, v in user["settings"].items() if k != "types"}}
    settings["types"] = merge_types(base["settings"]["types"], user["settings"].get("types", {}))
    risk = {**base["risk"], **{k: v for k, v in user["risk"].items() if k != "types"}}
    risk["types"] = merge_types(base["risk"]["types"], user["risk"].get("types", {}))
    merged: dict[str, Any] = {"settings": settings, "risk": risk}
    for table in ("rules", "allow"):
        if user["extends"] == "none":
            merged[table] = list(user[table])
            continue
        mine = {e["id"]: e for e in user[table]}
        entries = [mine.pop(e["id"], e) for e in base[table] if e["id"] not in user["disable"]]
        merged[table] = entries + [e for e in user[table] if e["id"] in mine]
    merged["description"] = user.get("description", "")
    return finalise(merged)


def merge_types(base: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    # User entries first: among globs the first match wins, so the user's globs take precedence.
    out = dict(user)
    for k, v in base.items():
        out.setdefault(k, v)
    return out


def looks_like_toml(source: str) -> bool:
    if "\n" in source or "[" in source:
        return True
    # A one-line document such as 'extends = "none"' is text unless a file has that name.
    return "=" in source and not os.path.exists(source)


def version_of(content: dict[str, Any]) -> str:
    payload = {k: v for k, v in content.items() if k != "description"}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


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
