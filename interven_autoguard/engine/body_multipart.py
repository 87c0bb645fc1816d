"""``multipart/form-data`` bodies: each part read by its own content type, rebuilt in place.

Boundaries, part headers, preamble and epilogue are kept byte-for-byte; only the content (or the
header parameter) of a part with a replacement is rewritten.
"""

from __future__ import annotations

import re

from .body_fields import Field, key_segment, param_name
from .body_json import Limits

_DISPOSITION_PARAM = re.compile(rb'(?:^|[;\s])(name|filename)=(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))', re.I | re.S)
_CONTENT_TYPE = re.compile(rb"^content-type:[ \t]*(.*?)[ \t]*$", re.I | re.M)
_DISPOSITION = re.compile(rb"^content-disposition:[ \t]*(.*?)[ \t]*$", re.I | re.M)


class _Part:
    __slots__ = ("content_end", "content_start", "doc", "header_params")

    def __init__(self, content_start: int, content_end: int) -> None:
        self.content_start = content_start
        self.content_end = content_end
        self.doc: object | None = None
        # Header parameters scanned as fields: (start, end) of the value inside the body bytes.
        self.header_params: list[tuple[int, int]] = []


class MultipartDoc:
    """Fields ``multipart:name`` (text part) and ``multipart:name#filename`` (file part)."""

    __slots__ = ("_parts", "_slots", "data", "fields")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.fields: list[Field] = []
        # Per field: (part index, index in the part's document, or -1 - header parameter index).
        self._slots: list[tuple[int, int]] = []
        self._parts: list[_Part] = []

    @classmethod
    def parse(cls, data: bytes, boundary: str, limits: Limits, depth: int, base: str) -> MultipartDoc | None:
        """None when ``data`` is not well-formed multipart (the caller then scans it as text)."""
        try:
            delim = b"--" + boundary.encode("latin-1")
        except UnicodeEncodeError:
            return None
        spans = _part_spans(data, delim)
        if spans is None:
            return None
        doc = cls(data)
        for index, (start, end) in enumerate(spans):
            doc._add_part(index, start, end, limits, depth, base)
        return doc

    def _add_part(self, index: int, start: int, end: int, limits: Limits, depth: int, base: str) -> None:
        from .body import bytes_doc  # body imports this module lazily; no cycle at import time

        data = self.data
        if data.startswith(b"\r\n", start):  # a part without headers
            headers, content_start = b"", start + 2
        else:
            head_end = data.find(b"\r\n\r\n", start, end)
            if head_end < 0:  # headers only, no content
                headers, content_start = data[start:end], end
            else:
                headers, content_start = data[start:head_end], head_end + 4
        part = _Part(content_start, end)
        self._parts.append(part)

        params: dict[str, tuple[str, int, int]] = {}
        disposition = _DISPOSITION.search(headers)
        if disposition is not None:
            for m in _DISPOSITION_PARAM.finditer(disposition.group(1)):
                group = 2 if m.group(2) is not None else 3
                value = m.group(group).decode("utf-8", "replace").replace('\\"', '"')
                offset = start + disposition.start(1)
                params[m.group(1).decode("ascii").lower()] = (
                    value,
                    offset + m.start(group),
                    offset + m.end(group),
                )
        name = params.get("name", ("", 0, 0))[0]
        location = ("multipart" if base == "body" else base) + ":" + param_name(name, index)
        for pname in ("name", "filename"):
            if pname in params and params[pname][0] and key_segment(params[pname][0]) is None:
                value, vstart, vend = params[pname]
                shown = location if pname == "name" else location + "#*"
                self.fields.append(Field(shown + "<key>", pname, value, True))
                self._slots.append((index, -1 - len(part.header_params)))
                part.header_params.append((vstart, vend))
        if "filename" in params:
            fname = params["filename"][0]
            location += "#" + (fname if fname and key_segment(fname) is not None else "*")

        ctype_match = _CONTENT_TYPE.search(headers)
        ctype = ctype_match.group(1).decode("latin-1") if ctype_match else None
        if ctype is None:
            ctype = "application/octet-stream" if "filename" in params else "text/plain"
        _, pdoc, _ = bytes_doc(
            data[content_start:end],
            ctype,
            limits,
            json_prefix=location + "$",
            text_location=location,
            form_prefix=None,
            key=name or None,
            multipart_depth=depth,
        )
        part.doc = pdoc
        self.fields.extend(pdoc.fields)
        self._slots.extend((index, j) for j in range(len(pdoc.fields)))

    def rebuild(self, replacements: dict[int, str]) -> bytes:
        if not replacements:
            return self.data
        per_part: dict[int, dict[int, str]] = {}
        for i, new in replacements.items():
            index, j = self._slots[i]
            per_part.setdefault(index, {})[j] = new
        edits: list[tuple[int, int, bytes]] = []
        for index, repl in per_part.items():
            part = self._parts[index]
            content = {j: t for j, t in repl.items() if j >= 0}
            for j, new in repl.items():
                if j < 0:
                    vstart, vend = part.header_params[-1 - j]
                    quoted = (
                        new.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")
                    )
                    edits.append((vstart, vend, quoted.encode("utf-8")))
            if content:
                edits.append((part.content_start, part.content_end, part.doc.rebuild(content)))  # type: ignore[union-attr]
        edits.sort()
        out, last = [], 0
        for s, e, new_bytes in edits:
            out.append(self.data[last:s])
            out.append(new_bytes)
            last = e
        out.append(self.data[last:])
        return b"".join(out)


def _part_spans(data: bytes, delim: bytes) -> list[tuple[int, int]] | None:
    """(start, end) of each part's bytes (headers + content), or None if malformed."""
    if data.startswith(delim):
        pos = 0
    else:
        i = data.find(b"\r\n" + delim)
        if i < 0:
            return None
        pos = i + 2
    spans = []
    sep = b"\r\n" + delim
    while True:
        after = pos + len(delim)
        if data.startswith(b"--", after):
            return spans
        line_end = data.find(b"\r\n", after)
        if line_end < 0:
            return None
        start = line_end + 2
        nxt = data.find(sep, start)
        if nxt < 0:
            return None
        spans.append((start, nxt))
        pos = nxt + 2
