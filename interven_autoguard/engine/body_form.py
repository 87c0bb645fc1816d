"""``application/x-www-form-urlencoded`` bodies and URL query strings.

Only replaced parameters are re-encoded; every other byte of the original stays as it was, so
order, repeated keys and the sender's own escaping survive a rebuild.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import quote, unquote, unquote_plus

from .body_fields import Field, param_name


def _unescape(raw: str, plus: bool) -> str:
    if "%" not in raw and not (plus and "+" in raw):
        return raw
    unq = unquote_plus if plus else unquote
    try:
        return unq(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:  # not UTF-8 underneath: one character per byte keeps every byte visible
        return unq(raw, encoding="latin-1")


class FormDoc:
    """``a=1&b=2`` as fields ``{prefix}a``, ``{prefix}b``; every distinct name is a field too.

    A bare ``token`` (no ``=``) is a name: ``urllib.request`` sends ``data=b"token"`` as a form.
    """

    __slots__ = ("_names", "_parts", "_slots", "fields", "plus", "text")

    def __init__(
        self, text: str, prefix: str, *, plus: bool = True, hidden: frozenset[str] = frozenset()
    ) -> None:
        self.text = text
        self.plus = plus
        self.fields: list[Field] = []
        # Per field: the parameter index of a value, or -1 for a name (renamed everywhere).
        self._slots: list[int] = []
        self._parts: list[tuple[str, str | None]] = []
        self._names: list[str] = []  # decoded name of each parameter
        if not text:
            return
        seen: set[str] = set()
        for index, part in enumerate(text.split("&")):
            raw_name, eq, raw_value = part.partition("=")
            self._parts.append((raw_name, raw_value if eq else None))
            name = _unescape(raw_name, plus)
            self._names.append(name)
            shown = param_name(name, index, hidden)
            if name and name not in seen:
                seen.add(name)
                self.fields.append(Field(prefix + shown + "<key>", None, name, True))
                self._slots.append(-1)
            if eq:
                self.fields.append(Field(prefix + shown, name, _unescape(raw_value, plus)))
                self._slots.append(index)

    def rebuild(self, replacements: dict[int, str]) -> str:
        if not replacements:
            return self.text
        parts = list(self._parts)
        renames: dict[str, str] = {}
        for i, new in replacements.items():
            index = self._slots[i]
            if index < 0:
                renames[self.fields[i].text] = quote(new, safe="")
            else:
                raw_name, _ = parts[index]
                parts[index] = (raw_name, quote(new, safe=""))
        if renames:
            for index, name in enumerate(self._names):
                if name in renames:
                    parts[index] = (renames[name], parts[index][1])
        return "&".join(name if value is None else name + "=" + value for name, value in parts)


def parse_query(query: str, hide_keys: Collection[str] = ()) -> list[Field]:
    """The parameters of a URL query string (with or without its ``?``) as ``query:name`` fields.

    ``hide_keys``: names written by position (``query:#2``) in locations, e.g. those that held a
    finding (see ``body_fields``).
    """
    text = query[1:] if query.startswith("?") else query
    return FormDoc(text, "query:", hidden=frozenset(hide_keys)).fields


def rebuild_query(query: str, replacements: dict[int, str]) -> str:
    """``query`` with the fields of ``parse_query(query)`` at the given indexes replaced."""
    if not replacements:
        return query
    mark = "?" if query.startswith("?") else ""
    return mark + FormDoc(query[len(mark) :], "query:").rebuild(replacements)
