"""Redaction that keeps every encoding layer valid: ``apply_edits(text, edits)``.

An edit either replaces a span with the placeholder ``[REDACTED:TYPE]`` or, for a base64/hex blob
(``decoding_map.Blob``), decodes the blob, applies its own edits to the decoded text (recursively:
base64 of a manifest holding base64, of percent-encoded text, ...) and encodes the result again
the way the blob was written: the same alphabet (standard or URL-safe), padding or none, the same
line width and line break (``\\n`` or ``\\r\\n``), hex in the same case. A blob whose form cannot
be told exactly — re-encoding its own decoded text does not give it back byte for byte, or it does
not decode to UTF-8 text — raises ``NotReencodable``: nothing corrupt is ever written.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .decoding_layers import _b64decode
from .decoding_map import BASE64, HEX, Blob, Edit


class NotReencodable(ValueError):
    """A blob cannot be rewritten exactly; the message never holds its content."""


def placeholder(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# The end of an edit that runs to the end of its text (``_merged``): the decoded text of a blob
# that is itself found as a value.
_TO_THE_END = 1 << 62


def apply_edits(text: str, edits: Iterable[Edit], source: str | None = None, *, in_url: bool = False) -> str:
    """``text`` with ``edits`` applied; overlapping edits merge into one placeholder (a blob
    partly overlapped by a plain span is replaced whole with it; a blob that is exactly a plain span
    — a value found as written that is also base64 of text with a value in it, a Kubernetes
    secret's ``data`` — keeps its encoding, its whole decoded text replaced). ``source``: a text of
    the same length the blobs are read from instead (a query parameter's literal reading, its raw
    ``+`` kept a ``+``). ``in_url``: the text is part of a URL, so a blob of this text (not the
    ones nested in it) whose alphabet does not show is taken for base64url: a "/" written into a path
    would change it."""
    out: list[str] = []
    pos = 0
    read = text if source is None else source
    for start, end, what in _merged(edits, len(text)):
        out.append(text[pos:start])
        if isinstance(what, Blob):
            out.append(_rewrite(read[start:end], what, in_url))
        else:
            out.append(placeholder(what))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _merged(edits: Iterable[Edit], size: int) -> list[Edit]:
    """Edits of one span combined (``_combined``), then overlapping ones merged into a placeholder."""
    spans: dict[tuple[int, int], list[str | Blob]] = {}
    for start, end, what in edits:
        end = min(end, size)
        if end > start:
            spans.setdefault((start, end), []).append(what)
    merged: list[Edit] = []
    for (start, end), group in sorted(spans.items()):
        if merged and start < merged[-1][1]:
            ps, pe, prev = merged[-1]
            merged[-1] = (ps, max(pe, end), _kind(prev))
        else:
            merged.append((start, end, _combined(group)))
    return merged


def _combined(group: list[str | Blob]) -> str | Blob:
    """One edit for the edits of one span: one blob rewrite for all the values in it (a value that
    is the whole blob replacing all it decodes to), or one placeholder."""
    blobs = [what for what in group if isinstance(what, Blob)]
    kinds = [what for what in group if isinstance(what, str)]
    if not blobs or len({blob.codec for blob in blobs}) > 1:
        return kinds[0] if kinds else _kind(blobs[0])
    inner = [edit for blob in blobs for edit in blob.edits]
    inner.extend((0, _TO_THE_END, kind) for kind in kinds)
    return Blob(blobs[0].codec, tuple(inner))


def _kind(what: str | Blob) -> str:
    while isinstance(what, Blob):
        what = what.edits[0][2]
    return what


def _rewrite(raw: str, blob: Blob, in_url: bool = False) -> str:
    if blob.codec == BASE64:
        form = _Base64Form.of(raw, in_url)
        data = _b64decode(raw)
    elif blob.codec == HEX:
        form = None
        data = bytes.fromhex(raw) if len(raw) % 2 == 0 else None
    else:
        raise NotReencodable("unknown encoding")
    if data is None:
        raise NotReencodable("an encoded blob does not decode")
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotReencodable("an encoded blob does not decode to text") from None
    encode: Callable[[bytes], str] = form.encode if form is not None else _hex_encoder(raw)
    if encode(data) != raw:
        raise NotReencodable("an encoded blob is not written in a form that can be reproduced")
    return encode(apply_edits(decoded, blob.edits).encode("utf-8"))


def _hex_encoder(raw: str) -> Callable[[bytes], str]:
    upper = raw == raw.upper()
    return lambda data: data.hex().upper() if upper else data.hex()


@dataclass(frozen=True)
class _Base64Form:
    """How a base64 blob is written: alphabet, padding, line width and line break (0 / "": one line)."""

    urlsafe: bool
    padded: bool
    width: int
    newline: str

    @classmethod
    def of(cls, raw: str, in_url: bool = False) -> _Base64Form:
        newline = "\r\n" if "\r\n" in raw else "\n" if "\n" in raw else ""
        width = raw.index(newline) if newline else 0
        flat = raw.replace("\r", "").replace("\n", "") if newline else raw
        urlsafe = "-" in flat or "_" in flat
        if not urlsafe and "+" not in flat and "/" not in flat:
            # Neither alphabet shows: unpadded of a length that needs padding is base64url's way,
            # and so is any blob in a URL.
            urlsafe = in_url or (not flat.endswith("=") and len(flat) % 4 != 0)
        padded = flat.endswith("=") or (len(flat) % 4 == 0 and not urlsafe)
        return cls(urlsafe, padded, width, newline)

    def encode(self, data: bytes) -> str:
        text = (base64.urlsafe_b64encode if self.urlsafe else base64.b64encode)(data).decode("ascii")
        if not self.padded:
            text = text.rstrip("=")
        if self.width:
            text = self.newline.join(text[i : i + self.width] for i in range(0, len(text), self.width))
        return text

