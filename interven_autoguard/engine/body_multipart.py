"""``multipart/form-data`` bodies: each part read by its own content type, rebuilt in place.

Everything a receiver may read is a field, not only part contents: the preamble and epilogue,
every part header line (name and value, ``multipart:#1.header:x-meta``), each part's ``name`` and
``filename`` (key fields), anything after a delimiter on its line, and the boundary itself. Only
the bytes of fields with a replacement are rewritten; the rest stays byte-for-byte.

The boundary also sits in the request's Content-Type header, outside the body, so it cannot be
changed here: a replacement for it makes ``rebuild`` raise ``BodyNotInspectable`` (fail closed).
"""

from __future__ import annotations

import re

from .body_fields import NOT_INSPECTABLE, BodyNotInspectable, Field, key_segment, param_name
from .body_json import Limits

_DISPOSITION_PARAM = re.compile(rb'(?:^|[;\s])(name|filename)=(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))', re.I | re.S)
_CONTENT_TYPE = re.compile(rb"^content-type:[ \t]*(.*?)[ \t]*$", re.I | re.M)
_DISPOSITION = re.compile(rb"^content-disposition:[ \t]*(.*?)[ \t]*$", re.I | re.M)
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_BOUNDARY = "boundary"


def _text(raw: bytes) -> tuple[str, str]:
    """(text, codec): UTF-8 when it decodes, else one character per byte (lossless)."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


class _Part:
    __slots__ = ("content_end", "content_start", "disposition", "doc", "header_params")

    def __init__(self, content_start: int, content_end: int) -> None:
        self.content_start = content_start
        self.content_end = content_end
        self.doc: object | None = None
        # name/filename values: (start, end) inside the body bytes.
        self.header_params: list[tuple[int, int]] = []
        # (start, end) of the Content-Disposition header line, which holds those values.
        self.disposition: tuple[int, int] | None = None


class MultipartDoc:
    """Fields ``multipart:name`` (text part), ``multipart:name#filename`` (file part) and framing."""

    __slots__ = ("_parts", "_slots", "data", "fields")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.fields: list[Field] = []
        # Per field: ("part", part index, index in the part's document or -1 - header parameter
        # index) or ("raw", start, end, codec) for framing bytes replaced as they are, or
        # ("boundary", 0, 0).
        self._slots: list[tuple] = []
        self._parts: list[_Part] = []

    def _raw_field(self, location: str, key: str | None, start: int, end: int, line: bool = False) -> None:
        """Framing bytes as a field; ``line``: they are one line (a header) and must stay so."""
        text, codec = _text(self.data[start:end])
        self.fields.append(Field(location, key, text))
        self._slots.append(("raw", start, end, codec, line))

    @classmethod
    def parse(cls, data: bytes, boundary: str, limits: Limits, depth: int, base: str) -> MultipartDoc | None:
        """None when ``data`` is not well-formed multipart (the caller then scans it as text)."""
        try:
            delim = b"--" + boundary.encode("latin-1")
        except UnicodeEncodeError:
            return None
        framing = _part_spans(data, delim)
        if framing is None:
            return None
        spans, preamble_end, epilogue_start = framing
        doc = cls(data)
        head = "multipart" if base == "body" else base
        doc.fields.append(Field(head + ":boundary", _BOUNDARY, boundary))
        doc._slots.append((_BOUNDARY, 0, 0))
        if data[:preamble_end].strip():
            doc._raw_field(head + ":preamble", None, 0, preamble_end)
        for index, (padding, start, end) in enumerate(spans):
            if data[padding[0] : padding[1]].strip():  # text after the delimiter on its line
                doc._raw_field(f"{head}:#{index}.delimiter", None, *padding, line=True)
            doc._add_part(index, start, end, limits, depth, head)
        if data[epilogue_start:].strip():
            doc._raw_field(head + ":epilogue", None, epilogue_start, len(data))
        return doc

    def _add_part(self, index: int, start: int, end: int, limits: Limits, depth: int, head: str) -> None:
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
        part_index = len(self._parts) - 1

        # Every header line, name and value, as it is on the wire.
        line_start = start
        for k, line in enumerate(headers.split(b"\r\n") if headers else []):
            line_end = line_start + len(line)
            name = line.partition(b":")[0].strip().decode("latin-1").lower()
            plain = _HEADER_NAME.fullmatch(name) and key_segment(name) is not None
            shown = name if plain and name not in limits.hidden else f"#{k}"
            if name == "content-disposition":
                part.disposition = (line_start, line_end)
            self._raw_field(f"{head}:#{index}.header:{shown}", name or None, line_start, line_end, True)
            line_start = line_end + 2

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
        location = head + ":" + param_name(name, index, limits.hidden)
        name_location = location
        if "filename" in params:
            fname = params["filename"][0]
            shown_name = param_name(fname, 0, limits.hidden) if fname else "#"
            location += "#" + (shown_name if not shown_name.startswith("#") else "*")
        for pname, key_location in (("name", name_location), ("filename", location)):
            if pname in params and params[pname][0]:
                value, vstart, vend = params[pname]
                self.fields.append(Field(key_location + "<key>", None, value, True))
                self._slots.append(("part", part_index, -1 - len(part.header_params)))
                part.header_params.append((vstart, vend))

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
        self._slots.extend(("part", part_index, j) for j in range(len(pdoc.fields)))

    def rebuild(self, replacements: dict[int, str]) -> bytes:
        if not replacements:
            return self.data
        per_part: dict[int, dict[int, str]] = {}
        edits: list[tuple[int, int, bytes]] = []
        for i, new in replacements.items():
            slot = self._slots[i]
            if slot[0] == _BOUNDARY:
                raise BodyNotInspectable(
                    NOT_INSPECTABLE,
                    "a replacement in the multipart boundary, which is also in the Content-Type "
                    "header: the body cannot be redacted on its own",
                )
            if slot[0] == "raw":
                _, s, e, codec, line = slot
                if line:  # a header line must stay one line: a replacement may not start a new one
                    new = new.replace("\r", " ").replace("\n", " ")
                edits.append((s, e, new.encode(codec, "xmlcharrefreplace")))
            else:
                per_part.setdefault(slot[1], {})[slot[2]] = new
        rewritten = {(s, e) for s, e, _ in edits}
        for index, repl in per_part.items():
            part = self._parts[index]
            content = {j: t for j, t in repl.items() if j >= 0}
            # A rewritten Content-Disposition line already carries its own name/filename.
            if part.disposition not in rewritten:
                for j, new in repl.items():
                    if j < 0:
                        vstart, vend = part.header_params[-1 - j]
                        quoted = (
                            new.replace("\\", "\\\\")
                            .replace('"', '\\"')
                            .replace("\r", " ")
                            .replace("\n", " ")
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


def _part_spans(data: bytes, delim: bytes) -> tuple[list[tuple[tuple[int, int], int, int]], int, int] | None:
    """Framing of a multipart body, or None if malformed: per part ((start, end) of the bytes after
    its delimiter on the delimiter's line, start, end of the part's headers + content), the end of
    the preamble and the start of the epilogue (after the close delimiter)."""
    if data.startswith(delim):
        pos = 0
    else:
        i = data.find(b"\r\n" + delim)
        if i < 0:
            return None
        pos = i + 2
    preamble_end = pos
    spans = []
    sep = b"\r\n" + delim
    while True:
        after = pos + len(delim)
        if data.startswith(b"--", after):
            return spans, preamble_end, after + 2
        line_end = data.find(b"\r\n", after)
        if line_end < 0:
            return None
        start = line_end + 2
        nxt = data.find(sep, start)
        if nxt < 0:
            return None
        spans.append(((after, line_end), start, nxt))
        pos = nxt + 2
