"""Read a request body to scan it, then hand the library an *equivalent* body.

A library sends a generator chunked with the caller's chunk boundaries, re-reads a seekable file
from where it was (and rewinds it on a 307/308 or a retry), and raises its own error for a body it
cannot send. The guard must not change any of that: bytes/str stay the caller's object; a seekable
file is read and re-seeked to its original position (the caller's object is what the library gets);
a one-shot iterator or an unseekable file is replaced by a replay of exactly the chunks it yielded.

Streams are read at most up to ``limit`` bytes: the rest is neither buffered nor scanned, and the
body is reported ``complete=False`` (the guard then fails closed with ``BODY_TOO_LARGE``).

Inside an iterable body, a chunk that is bytes-like (``bytearray``, ``memoryview``, ``array.array``,
anything with the buffer protocol) is scanned as its bytes, and a file-like chunk is read (and handed
on re-seeked, or as an equivalent reader) — http.client and urllib3 send both. A falsy chunk is
skipped, as those libraries skip it. Any other chunk cannot be inspected, yet a library may still
send it (http.client iterates an iterable chunk): the body is reported ``complete=False`` with
``reason=BODY_NOT_INSPECTABLE`` — fail closed, never a replay of chunks nobody scanned.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..model import ReasonCode

DEFAULT_LIMIT = 32 * 1024 * 1024
_READ_SIZE = 64 * 1024


@dataclass
class Captured:
    """What the scanner sees (``data``) and what the library is handed (``replay``)."""

    data: bytes | None
    replay: Any
    complete: bool = True
    # Why an incomplete body was not read to its end: BODY_NOT_INSPECTABLE, else BODY_TOO_LARGE.
    reason: str | None = None


def chunk_bytes(chunk: Any, encoding: str) -> bytes | None:
    """The bytes a library sends for ``chunk`` when it is bytes-like (str encoded as the library
    encodes it); None for a file-like object (libraries read those first, even an ``mmap``) or
    anything else."""
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode(encoding)
    if hasattr(chunk, "read"):
        return None
    try:
        with memoryview(chunk) as view:  # array.array, bytearray, numpy arrays: their raw bytes
            return view.tobytes()
    except TypeError:
        return None


def capture(body: Any, *, str_encoding: str = "utf-8", limit: int = DEFAULT_LIMIT) -> Captured:
    """Scan-ready bytes of a sync body plus an equivalent body for the library."""
    if body is None:
        return Captured(None, None)
    fixed = chunk_bytes(body, str_encoding)
    if fixed is not None:
        return Captured(fixed, body)
    if hasattr(body, "read"):
        return _capture_file(body, str_encoding, limit)
    try:
        iterator = iter(body)
    except TypeError:
        # Nothing any library can send: let the library raise its own error (nothing is sent).
        return Captured(None, body)
    chunks, data, reason = _collect(iterator, str_encoding, limit)
    if reason is None and isinstance(body, (list, tuple)) and all(
            a is b for a, b in zip(chunks, body)):
        return Captured(data, body)  # re-iterable as it is: keep the caller's object
    return Captured(data, replay_chunks(chunks, None if reason is None else iterator),
                    reason is None, reason)


def _collect(iterator: Iterator[Any], encoding: str, limit: int) -> tuple[list[Any], bytes, str | None]:
    """Pull chunks until the end (reason None), the limit (BODY_TOO_LARGE) or a chunk that cannot
    be inspected (BODY_NOT_INSPECTABLE). ``chunks`` are what the library is to be handed: the
    caller's objects, except an unseekable file chunk, replaced by an equivalent reader."""
    chunks: list[Any] = []
    parts: list[bytes] = []
    size = 0
    for chunk in iterator:
        raw = chunk_bytes(chunk, encoding)
        if raw is None and hasattr(chunk, "read"):
            read = _capture_file(chunk, encoding, limit - size)
            chunk, raw = read.replay, read.data or b""
            if not read.complete:
                chunks.append(chunk)
                parts.append(raw)
                return chunks, b"".join(parts), ReasonCode.BODY_TOO_LARGE
        elif raw is None:
            if not _skipped(chunk):
                chunks.append(chunk)
                return chunks, b"".join(parts), ReasonCode.BODY_NOT_INSPECTABLE
            raw = b""
        chunks.append(chunk)
        parts.append(raw)
        size += len(raw)
        if size > limit:
            return chunks, b"".join(parts), ReasonCode.BODY_TOO_LARGE
    return chunks, b"".join(parts), None


def _skipped(chunk: Any) -> bool:
    """http.client and urllib3 skip a falsy chunk (``None``, ``0``, an empty list) without sending."""
    try:
        return not chunk
    except Exception:  # a __bool__ that raises: nothing we can reason about
        return False


def replay_chunks(chunks: list[Any], rest: Iterator[Any] | None) -> Iterator[Any]:
    """A one-shot generator yielding the same chunks (then whatever ``rest`` still holds)."""
    yield from chunks
    if rest is not None:
        yield from rest


def _capture_file(body: Any, encoding: str, limit: int) -> Captured:
    position = _tell(body)
    parts: list[Any] = []
    size = 0
    complete = True
    while True:
        piece = body.read(_READ_SIZE)
        if not piece:
            break
        parts.append(piece)
        size += len(piece)
        if size > limit:
            complete = False
            break
    raw = b"".join(chunk_bytes(p, encoding) or b"" for p in parts)
    if position is not None:
        body.seek(position)
        return Captured(raw, body, complete)
    joined: Any = "".join(parts) if parts and isinstance(parts[0], str) else b"".join(parts)
    return Captured(raw, _PrefixedReader(joined, body if not complete else None, body), complete)


def _tell(body: Any) -> int | None:
    try:
        seekable = body.seekable() if hasattr(body, "seekable") else hasattr(body, "seek")
        return int(body.tell()) if seekable else None
    except (OSError, ValueError, AttributeError):
        return None


class _PrefixedReader:
    """An unseekable file's replacement: what was read from it, then what is left in it."""

    def __init__(self, prefix: Any, rest: Any, original: Any) -> None:
        self._prefix = prefix
        self._rest = rest
        self.name = getattr(original, "name", None)
        self.mode = getattr(original, "mode", "rb")

    def read(self, size: int | None = -1) -> Any:
        if size is None or size < 0:
            out, self._prefix = self._prefix, self._prefix[:0]
            if self._rest is not None:
                out += self._rest.read()
            return out
        if self._prefix:
            out, self._prefix = self._prefix[:size], self._prefix[size:]
            return out
        return self._rest.read(size) if self._rest is not None else self._prefix[:0]


async def acollect(
    iterable: AsyncIterable[Any], *, encoding: str = "utf-8", limit: int = DEFAULT_LIMIT
) -> tuple[list[Any], bytes, bool, AsyncIterator[Any] | None]:
    """Async counterpart of ``_collect``: (chunks, bytes, complete, the iterator if not drained)."""
    iterator = iterable.__aiter__()
    chunks: list[Any] = []
    parts: list[bytes] = []
    size = 0
    async for chunk in iterator:
        chunks.append(chunk)
        raw = chunk_bytes(chunk, encoding)
        if raw is None:
            if not _skipped(chunk):  # an async stream's chunk must be bytes-like: fail closed
                return chunks, b"".join(parts), False, iterator
            raw = b""
        parts.append(raw)
        size += len(raw)
        if size > limit:
            return chunks, b"".join(parts), False, iterator
    return chunks, b"".join(parts), True, None


async def areplay_chunks(chunks: list[Any], rest: AsyncIterator[Any] | None) -> AsyncIterator[Any]:
    for chunk in chunks:
        yield chunk
    if rest is not None:
        async for chunk in rest:
            yield chunk


def collect_sync(
    iterable: Iterable[Any], *, encoding: str = "utf-8", limit: int = DEFAULT_LIMIT
) -> tuple[list[Any], bytes, bool, Iterator[Any] | None]:
    """(chunks, bytes, complete, the iterator if not drained) for adapters with their own streams."""
    iterator = iter(iterable)
    chunks, data, reason = _collect(iterator, encoding, limit)
    return chunks, data, reason is None, None if reason is None else iterator
