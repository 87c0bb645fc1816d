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


def lines(headers: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | None) -> list[tuple[str, str]]:
    """Every header line as given, as str, in order; a name may repeat (unlike ``to_dict``)."""
    if not headers:
        return []
    items = headers.items() if hasattr(headers, "items") else headers
    return [(text(name), text(value)) for name, value in items]


def rewritten(
    original: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | None,
    scanned: Mapping[str, str],
    sanitized: Mapping[str, str] | None,
    body_length: int | None,
) -> list[tuple[str, str]]:
    """The header lines of a sanitized request.

    ``original``: the lines as the caller gave them; ``scanned``: what the scanner read
    (``to_dict(original)``: repeated names joined with ``, ``); ``sanitized``: the scanner's version
    of ``scanned`` (None: headers unchanged). A header the scanner left unchanged goes out as the
    caller's own lines: repeated lines stay apart, in order — joined, two ``Cookie`` lines would be
    read as one cookie (RFC 6265 joins cookies with ``; ``; RFC 9110 does not make Cookie or
    Set-Cookie list headers). A redacted repeated header is split back where its unchanged lines
    can still be found (``_split_like``). Framing: ``body_length`` is the length of a replaced body,
    ``Content-Length`` is set to it and ``Transfer-Encoding`` dropped; None means the body is
    unchanged and the original framing lines are kept, whatever the scanner's headers say.
    """
    given = lines(original)
    before = {name.lower(): value for name, value in scanned.items()}
    # The scanner's values as it gave them: one a library cannot send must fail there, closed.
    after = None if sanitized is None else {str(n).lower(): v for n, v in sanitized.items()}
    out: list[tuple[str, str]] = []
    redacted: set[str] = set()
    for name, value in given:
        key = name.lower()
        if key in FRAMING:
            if body_length is None:
                out.append((name, value))
        elif after is None or (key in after and after[key] == before.get(key)):
            out.append((name, value))
        elif key in after and key not in redacted:  # not in ``after``: the scanner dropped it
            redacted.add(key)
            same = [v for n, v in given if n.lower() == key]
            out.extend((name, part) for part in _split_like(after[key], same))
    if sanitized is not None:  # a header the scanner added
        out.extend((n, v) for n, v in sanitized.items()
                   if str(n).lower() not in before and str(n).lower() not in FRAMING)
    if body_length is not None:
        out.append(("Content-Length", str(body_length)))
    return out


def _split_like(value: str, originals: list[str]) -> list[str]:
    """``value`` (``originals`` joined with ``, ``, then redacted) as lines again: the unchanged
    lines found at its start and at its end are peeled off, the rest is one line. Every line is a
    piece of ``value`` between two ``, ``: nothing but what the scanner returned is sent."""
    if len(originals) < 2 or not isinstance(value, str):
        return [value]  # a value that is no str: as the scanner gave it, for the library to refuse
    first, last = 0, len(originals)
    head: list[str] = []
    tail: list[str] = []
    while first < last - 1 and value.startswith(originals[first] + ", "):
        head.append(originals[first])
        value = value[len(originals[first]) + 2:]
        first += 1
    while first < last - 1 and value.endswith(", " + originals[last - 1]):
        tail.append(originals[last - 1])
        value = value[: -len(originals[last - 1]) - 2]
        last -= 1
    return [*head, value, *reversed(tail)]
