"""Find the line of a table or key in TOML text, so semantic errors can say where they are.

``tomllib`` reports positions only for syntax errors. For "unknown key 'hostz' in rule 3" we
re-scan the text: table headers (``[settings]``, ``[[rules]]`` counted per array), ``key =``
lines (bare, quoted and dotted keys) and triple-quoted strings (skipped, so a description that
contains ``x = y`` does not confuse us). Keys inside inline tables or multi-line arrays resolve
to the line of the enclosing key or table, which is close enough to point a user at the spot.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Path = tuple[str | int, ...]

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*(.+?)\s*\]\]\s*(?:#.*)?$")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\[\]].*?)\s*\]\s*(?:#.*)?$")
_ONE_KEY = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+)"""
_KEY = re.compile(rf"^\s*({_ONE_KEY}(?:\s*\.\s*{_ONE_KEY})*)\s*=")
_KEY_PART = re.compile(r""""((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_\-]+)""")


def _split_key(dotted: str) -> list[str]:
    return [m.group(1) if m.group(1) is not None else (m.group(2) or m.group(3) or "")
            for m in _KEY_PART.finditer(dotted)]


class LineLocator:
    """Maps a path such as ``("rules", 2, "hosts")`` to a 1-based line number."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        array_counts: dict[tuple[str, ...], int] = {}
        table: Path = ()
        in_string: str | None = None
        for lineno, line in enumerate(text.splitlines(), start=1):
            if in_string is not None:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            m = _ARRAY_HEADER.match(line)
            if m:
                names = tuple(_split_key(m.group(1)))
                index = array_counts.get(names, 0)
                array_counts[names] = index + 1
                table = (*self._resolve(names, array_counts), index)
                self._lines.setdefault(table, lineno)
                continue
            m = _TABLE_HEADER.match(line)
            if m:
                table = self._resolve(tuple(_split_key(m.group(1))), array_counts)
                self._lines.setdefault(table, lineno)
                continue
            m = _KEY.match(line)
            if m:
                self._lines.setdefault((*table, *_split_key(m.group(1))), lineno)
                rest = line[m.end():]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_string = quote
                        break

    @staticmethod
    def _resolve(names: Sequence[str], array_counts: dict[tuple[str, ...], int]) -> Path:
        """``[rules.match]`` after the third ``[[rules]]`` lives at ``("rules", 2, "match")``."""
        path: list[str | int] = []
        for i, name in enumerate(names):
            path.append(name)
            prefix = tuple(names[: i + 1])
            if i < len(names) - 1 and prefix in array_counts:
                path.append(array_counts[prefix] - 1)
        return tuple(path)

    def line(self, path: Path) -> int | None:
        """The line of ``path``, else of the nearest enclosing table or key that has one."""
        p = tuple(path)
        while p:
            found = self._lines.get(p)
            if found is not None:
                return found
            p = p[:-1]
        return None
