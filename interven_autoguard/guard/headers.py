"""Header helpers shared by the adapters. HTTP header names are case-insensitive everywhere here:
a ``content-length`` left next to a new ``Content-Length`` would desynchronise a kept-alive connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FRAMING = ("content-length", "transfer-encoding")


def text(value: Any) -> str:
    """Header names and values as str; libraries also accept bytes (sent as latin-1)."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return str(value)


def to_dict(headers: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | None) -> dict[str, str]:
    """A plain ``{name: value}`` copy for the scanner; repeated names are joined with ``, ``.

    Runs on every guarded request: str pairs from a mapping (which cannot repeat a name in another
    case in the libraries' own header classes) take the short path."""
    if not headers:
        return {}
    if hasattr(headers, "items"):
        out = {}
        for name, value in headers.items():
            out[name if name.__class__ is str else text(name)] = (
                value if value.__class__ is str else text(value))
        if len({k.lower() for k in out}) == len(out):
            return out
        items: Iterable[tuple[Any, Any]] = out.items()
    else:
        items = headers
        if isinstance(items, list):  # httpx's ``headers.raw``: (bytes, bytes) pairs, names unique
            try:
                out = {name.decode("latin-1"): value.decode("latin-1") for name, value in items}
            except (AttributeError, TypeError, ValueError):
                pass  # not all bytes pairs: the general path below
            else:
                if len(out) == len(items) and len({k.lower() for k in out}) == len(out):
                    return out
    merged: dict[str, str] = {}
    lower_to_name: dict[str, str] = {}
    for raw_name, raw_value in items:
        name, value = text(raw_name), text(raw_value)
        seen = lower_to_name.get(name.lower())
        if seen is None:
            lower_to_name[name.lower()] = name
            merged[name] = value
        else:
            merged[seen] = f"{merged[seen]}, {value}"
    return merged


def get(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def without(headers: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    drop = {n.lower() for n in names}
    return {k: v for k, v in headers.items() if k.lower() not in drop}


def reframe(
    new_headers: Mapping[str, str],
    original_headers: Mapping[str, str],
    body_length: int | None,
) -> dict[str, str]:
    """Make the framing headers of a rewritten request agree with the body that will be sent.

    ``body_length`` is the length of a replaced body: ``Content-Length`` is set to it and any
    ``Transfer-Encoding`` dropped. ``None`` means the body is unchanged: the original framing
    headers are kept whatever the rewritten header set says.
    """
    out = without(new_headers, FRAMING)
    if body_length is None:
        for key, value in original_headers.items():
            if key.lower() in FRAMING:
                out[key] = value
    else:
        out["Content-Length"] = str(body_length)
    return out
