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
    """A plain ``{name: value}`` copy for the scanner; repeated names are joined with ``, ``."""
    if not headers:
        return {}
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    lower_to_name: dict[str, str] = {}
    for raw_name, raw_value in items:
        name, value = text(raw_name), text(raw_value)
        seen = lower_to_name.get(name.lower())
        if seen is None:
            lower_to_name[name.lower()] = name
            out[name] = value
        else:
            out[seen] = f"{out[seen]}, {value}"
    return out


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
