"""``application/x-www-form-urlencoded`` bodies and URL query strings.

Only replaced parameters are re-encoded; every other byte of the original stays as it was, so
order, repeated keys and the sender's own escaping survive a rebuild.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, unquote_plus

from .body_fields import Field, key_segment, param_name


def _unescape(raw: str, plus: bool) -> str:
    if "%" not in raw and not (plus and "+" in raw):
        return raw
    unq = unquote_plus if plus else unquote
    try:
        return unq(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:  # not UTF-8 underneath: one character per byte keeps every byte visible
        return unq(raw, encoding="latin-1")


class FormDoc:
    """``a=1&b=2`` as fields ``{prefix}a``, ``{prefix}b``. Names that could be values are scanned too."""

    __slots__ = ("_parts", "_slots", "fields", "plus", "text")

    def __init__(self, text: str, prefix: str, *, plus: bool = True) -> None:
        self.text = text
        self.plus = plus
        self.fields: list[Field] = []
        # Per field: (parameter index, True for the name / False for the value).
        self._slots: list[tuple[int, bool]] = []
        self._parts: list[tuple[str, str | None]] = []
        if not text:
            return
        for index, part in enumerate(text.split("&")):
            raw_name, eq, raw_value = part.partition("=")
            self._parts.append((raw_name, raw_value if eq else None))
            name = _unescape(raw_name, plus)
            shown = param_name(name, index)
            if name and key_segment(name) is None:
                self.fields.append(Field(prefix + shown + "<key>", name, name, True))
                self._slots.append((index, True))
            if eq:
                self.fields.append(Field(prefix + shown, name, _unescape(raw_value, plus)))
                self._slots.append((index, False))

    def rebuild(self, replacements: dict[int, str]) -> str:
        if not replacements:
            return self.text
        parts = list(self._parts)
        for i, new in replacements.items():
            index, is_name = self._slots[i]
            raw_name, raw_value = parts[index]
            encoded = quote(new, safe="")
            parts[index] = (encoded, raw_value) if is_name else (raw_name, encoded)
        return "&".join(name if value is None else name + "=" + value for name, value in parts)


def parse_query(query: str) -> list[Field]:
    """The parameters of a URL query string (with or without its ``?``) as ``query:name`` fields."""
    return FormDoc(query[1:] if query.startswith("?") else query, "query:").fields


def rebuild_query(query: str, replacements: dict[int, str]) -> str:
    """``query`` with the fields of ``parse_query(query)`` at the given indexes replaced."""
    if not replacements:
        return query
    mark = "?" if query.startswith("?") else ""
    return mark + FormDoc(query[len(mark) :], "query:").rebuild(replacements)
